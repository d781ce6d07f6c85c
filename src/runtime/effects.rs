//! Runs the effects `update` asks for, each on its own task, and sends the outcome back
//! as a message. The only place (with the event loop) that awaits.

use std::sync::{Arc, Mutex};

use chrono::Utc;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::app::effect::{AwsKeys, Effect};
use crate::app::msg::{
    AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, LabStatus, LeaseFacts,
    LookupFailure, Msg, Outcome,
};
use crate::aws::{self, AwsCallError, AwsTarget, StaticKeys};
use crate::lease::Lifecycle;
use crate::lease::is_unknown_lease;
use crate::lease::journal::{Entry, Journal, JournalError};
use crate::vault::request::{self, VaultRequest};
use crate::vault::types::{AwsCreds, Reply, RoleSpec};
use crate::vault::{VaultClient, VaultError};

/// Where the lab's requests go.
#[derive(Clone)]
pub struct EffectRunner {
    vault: Arc<VaultClient>,
    /// A custom AWS endpoint (the sandbox, moto, LocalStack), or AWS itself.
    aws_endpoint: Option<String>,
    outcomes: UnboundedSender<Msg>,
    /// Where issued leases are recorded before their keys are shown (live mode).
    journal: Option<Arc<Mutex<Journal>>>,
}

impl EffectRunner {
    pub fn new(
        vault: VaultClient,
        aws_endpoint: Option<String>,
        outcomes: UnboundedSender<Msg>,
    ) -> Self {
        Self {
            vault: Arc::new(vault),
            aws_endpoint,
            outcomes,
            journal: None,
        }
    }

    pub fn with_journal(mut self, journal: Option<Arc<Mutex<Journal>>>) -> Self {
        self.journal = journal;
        self
    }

    /// The journal's file and the leases earlier runs left open (nothing in sandbox mode),
    /// for the app to look up at start. Leases of another vaultlab still running against
    /// this Vault are only counted: that run tracks them, and its quit asks about them.
    pub fn journal_read(&self) -> Outcome {
        let Some(journal) = &self.journal else {
            return Outcome::JournalRead {
                path: None,
                open: Vec::new(),
                other_runs: 0,
            };
        };
        let journal = journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (open, other_runs) = journal.open_leftovers();
        Outcome::JournalRead {
            path: Some(journal.path().display().to_string()),
            open,
            other_runs,
        }
    }

    /// Applies a change to the journal; its failure is logged, shown on screen (as a
    /// message of its own, whatever the effect's outcome) and returned as a warning.
    fn journal(
        &self,
        change: impl FnOnce(&mut Journal) -> Result<(), JournalError>,
    ) -> Option<String> {
        let journal = self.journal.as_ref()?;
        let mut journal = journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut journal).err().map(|e| {
            tracing::error!("{e}");
            let _ = self
                .outcomes
                .send(Msg::Outcome(Outcome::JournalFailed(e.to_string())));
            e.to_string()
        })
    }

    pub fn spawn(&self, effect: Effect) {
        let runner = self.clone();
        let step = effect.step();
        let task = tokio::spawn(async move { runner.run(effect).await });
        let outcomes = self.outcomes.clone();
        // A panicking effect must not leave its step running forever: say it failed.
        tokio::spawn(async move {
            let outcome = match task.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => Some(Outcome::Crashed {
                    step,
                    failure: Failure {
                        what: "vaultlab hit an internal error".into(),
                        detail: "the operation panicked; the log file has the details".into(),
                        hint: "Please report it. The step can be run again.".into(),
                    },
                }),
                Err(_) => None,
            };
            if let Some(outcome) = outcome {
                // The loop may have ended (quit): nobody is left to tell.
                let _ = outcomes.send(Msg::Outcome(outcome));
            }
        });
    }

    /// Runs one effect to its outcome. Public so `walk` can await effects in order.
    pub async fn run(&self, effect: Effect) -> Option<Outcome> {
        Some(match effect {
            Effect::RefreshStatus { mount, role } => {
                Outcome::Status(self.status(&mount, &role).await)
            }
            Effect::EnableEngine { mount } => Outcome::EngineEnabled(self.enable(&mount).await),
            Effect::RunDoctor { mount, role, keys } => Outcome::Doctor(
                crate::doctor::check(crate::doctor::DoctorInputs {
                    vault: &self.vault,
                    mount: &mount,
                    role: &role,
                    keys: keys.map(|(keys, source)| (static_keys(&keys), keys.region, source)),
                    aws_endpoint: self.aws_endpoint.clone(),
                })
                .await,
            ),
            Effect::CheckRootKeys(keys) => Outcome::RootKeysChecked(
                aws::caller_identity(&self.target(&keys), &static_keys(&keys))
                    .await
                    .map(|id| CallerIdentity {
                        account: id.account,
                        arn: id.arn,
                        user_id: id.user_id,
                    })
                    .map_err(|e| aws_failure("STS did not accept the root keys", &e)),
            ),
            Effect::WriteRootConfig {
                mount,
                keys,
                engine_endpoint,
            } => Outcome::RootConfigWritten(
                self.write_root_config(&mount, &keys, engine_endpoint.as_deref())
                    .await,
            ),
            Effect::WriteRole {
                mount,
                role,
                policy_document,
            } => Outcome::RoleWritten(
                self.exchange(
                    "Vault did not accept the role",
                    request::write_aws_role(&mount, &role, &RoleSpec::iam_user(policy_document)),
                )
                .await,
            ),
            Effect::WriteLeaseConfig {
                mount,
                lease,
                lease_max,
            } => Outcome::LeaseConfigWritten(
                self.exchange(
                    "Vault did not accept the lease config",
                    request::write_aws_lease_config(&mount, lease, lease_max),
                )
                .await,
            ),
            Effect::GenerateCreds { mount, role, root } => {
                Outcome::CredsIssued(self.generate(&mount, &role, &root).await)
            }
            Effect::DescribeInstances {
                lease_id,
                keys,
                attempt,
                delay,
            } => {
                tokio::time::sleep(delay).await;
                let result = aws::describe_instances(&self.target(&keys), &static_keys(&keys))
                    .await
                    .map(|answer| Exchange {
                        curl: self.describe_instances_cli(&keys),
                        response: pretty(&answer),
                    })
                    .map_err(|e| AwsRefusal {
                        retryable: e.is_unknown_key() || e.is_throttling(),
                        code: e.code,
                        message: e.message,
                    });
                Outcome::Described {
                    lease_id,
                    attempt,
                    result,
                }
            }
            Effect::RevokeLease { lease_id, sync } => {
                let result = self
                    .exchange(
                        "Vault did not revoke the lease",
                        request::lease_revoke(&lease_id, sync),
                    )
                    .await;
                // A queued revocation may still fail inside Vault: its entry stays open
                // until the proof that the keys died, or a lookup, says it is over.
                let state = match &result {
                    Ok(_) if sync => Some(Lifecycle::Revoked { at: Utc::now() }),
                    Ok(_) => None,
                    Err(failure) => Some(Lifecycle::RevokeFailed {
                        at: Utc::now(),
                        error: failure.detail.clone(),
                    }),
                };
                if let Some(state) = state {
                    self.journal(|journal| journal.mark(&lease_id, state));
                }
                Outcome::Revoked { result, lease_id }
            }
            Effect::ProveRevoked {
                lease_id,
                keys,
                root,
                iam_user,
                attempt,
                delay,
            } => {
                tokio::time::sleep(delay).await;
                self.prove_revoked(lease_id, keys, root, iam_user, attempt)
                    .await
            }
            Effect::RenewLease {
                lease_id,
                increment,
            } => {
                let result = self
                    .vault
                    .lease_renew(&lease_id, increment)
                    .await
                    .map(|renewal| (renewal.lease.duration, renewal.warnings))
                    .map_err(|e| vault_failure("Vault did not renew the lease", &e));
                if let Ok((ttl, _)) = &result {
                    self.journal(|journal| journal.renewed(&lease_id, Utc::now(), *ttl));
                }
                Outcome::Renewed {
                    result,
                    asked: increment,
                    lease_id,
                }
            }
            Effect::LookupLease {
                lease_id,
                attempt,
                delay,
            } => {
                tokio::time::sleep(delay).await;
                let result = self.lookup(&lease_id).await;
                Outcome::LookedUp {
                    lease_id,
                    attempt,
                    result,
                }
            }
            // Written by the event loop itself: it owns the terminal.
            Effect::CopyToClipboard(_) => return None,
        })
    }

    /// Looks a lease up; one Vault no longer knows is closed in the journal.
    async fn lookup(&self, lease_id: &str) -> Result<LeaseFacts, LookupFailure> {
        match self.vault.lease_lookup(lease_id).await {
            Ok(lookup) => Ok(LeaseFacts {
                ttl: std::time::Duration::from_secs(lookup.ttl.max(0) as u64),
                renewable: lookup.renewable,
            }),
            Err(e) if is_unknown_lease(&e) => {
                self.journal(|journal| journal.mark(lease_id, Lifecycle::Gone { at: Utc::now() }));
                Err(LookupFailure::Gone)
            }
            Err(e) => Err(LookupFailure::Failed(vault_failure(
                "Could not look the lease up",
                &e,
            ))),
        }
    }

    fn target(&self, keys: &AwsKeys) -> AwsTarget {
        AwsTarget {
            endpoint_url: self.aws_endpoint.clone(),
            region: keys.region.clone(),
        }
    }

    /// Sends one request; returns its curl form and Vault's reply.
    async fn send(&self, what: &str, req: &VaultRequest) -> Result<(String, Reply), Failure> {
        let curl = self.vault.curl_equivalent(&req.describe());
        let reply = self
            .vault
            .send(req)
            .await
            .map_err(|e| vault_failure(what, &e))?;
        Ok((curl, reply))
    }

    /// Sends one request and keeps what the pane shows: its curl form and the answer.
    async fn exchange(&self, what: &str, req: VaultRequest) -> Result<Exchange, Failure> {
        let (curl, reply) = self.send(what, &req).await?;
        Ok(Exchange {
            curl,
            response: describe_reply(&reply),
        })
    }

    async fn status(&self, mount: &str, role: &str) -> Result<LabStatus, Failure> {
        let what = "Could not read the lab's state from Vault";
        let engine_enabled = self
            .engine_is_aws(mount)
            .await
            .map_err(|e| vault_failure(what, &e))?;
        if !engine_enabled {
            return Ok(LabStatus::default());
        }
        let exists = |result: Result<(), VaultError>| match result {
            Ok(()) => Ok(true),
            Err(VaultError::NotFound { .. }) => Ok(false),
            Err(e) => Err(vault_failure(what, &e)),
        };
        let root_configured = exists(self.vault.read_aws_root_config(mount).await.map(drop))?;
        let role_written = exists(self.vault.read_aws_role(mount, role).await.map(drop))?;
        Ok(LabStatus {
            engine_enabled,
            root_configured,
            role_written,
        })
    }

    /// Whether the AWS engine is what is mounted at `mount`.
    async fn engine_is_aws(&self, mount: &str) -> Result<bool, VaultError> {
        let mounts = self.vault.list_mounts().await?;
        Ok(mounts
            .get(&format!("{}/", mount.trim_end_matches('/')))
            .is_some_and(|m| m.kind == "aws"))
    }

    async fn enable(&self, mount: &str) -> Result<Exchange, Failure> {
        let req = request::enable_aws(mount);
        let curl = self.vault.curl_equivalent(&req.describe());
        match self.vault.send(&req).await {
            Ok(reply) => Ok(Exchange {
                curl,
                response: describe_reply(&reply),
            }),
            // Enabled before (perhaps with the CLI): that is the step done, if it is AWS.
            Err(e)
                if e.vault_errors()
                    .iter()
                    .any(|m| m.contains("already in use")) =>
            {
                let is_aws = self
                    .engine_is_aws(mount)
                    .await
                    .map_err(|e| vault_failure("Could not list Vault's mounts", &e))?;
                if is_aws {
                    Ok(Exchange {
                        curl,
                        response: format!("{e}\n(already enabled: the step is done)"),
                    })
                } else {
                    Err(Failure {
                        what: format!("Something other than the AWS engine is mounted at {mount}/"),
                        detail: e.to_string(),
                        hint: "Disable it (vault secrets disable), or run the lab at another mount path.".into(),
                    })
                }
            }
            Err(e) => Err(vault_failure("Vault did not enable the AWS engine", &e)),
        }
    }

    async fn write_root_config(
        &self,
        mount: &str,
        keys: &AwsKeys,
        endpoint: Option<&str>,
    ) -> Result<Exchange, Failure> {
        let write = request::write_aws_root_config(
            mount,
            &keys.access_key_id,
            &keys.secret_access_key,
            Some(&keys.region),
            endpoint,
            endpoint,
        );
        let written = self
            .exchange("Vault did not accept the root keys", write)
            .await?;
        // The read-back shows what Vault keeps, and that it never returns the secret.
        let read_back = self
            .exchange(
                "Vault did not return the root config",
                request::read_aws_root_config(mount),
            )
            .await?;
        Ok(Exchange {
            curl: written.curl,
            response: format!("{}\nread back: {}", written.response, read_back.response),
        })
    }

    async fn generate(
        &self,
        mount: &str,
        role: &str,
        root: &AwsKeys,
    ) -> Result<(IssuedCreds, Exchange), Failure> {
        let what = "Vault did not issue credentials";
        let (curl, reply) = self
            .send(what, &request::generate_aws_creds(mount, role))
            .await?;
        // Recorded before anything else, and before anyone sees the keys: a crash or a
        // slow AWS from here on forgets nothing, and an answer that turns out not to be
        // credentials still leaves its lease id behind.
        let journal_warning = match reply.envelope.as_ref().filter(|e| !e.lease_id.is_empty()) {
            Some(envelope) => {
                let ttl = std::time::Duration::from_secs(envelope.lease_duration);
                self.journal(|journal| {
                    journal.record(Entry {
                        lease_id: envelope.lease_id.clone(),
                        mount: mount.to_owned(),
                        role: role.to_owned(),
                        issued_at: Utc::now(),
                        ttl_seconds: ttl.as_secs(),
                        expires_at: Some(crate::lease::countdown::expiry(Utc::now(), ttl)),
                        state: Lifecycle::Active,
                        // `record` fills in this run.
                        owner: None,
                    })
                })
            }
            None => None,
        };
        let creds = reply
            .envelope
            .as_ref()
            .ok_or_else(|| "an empty body".to_owned())
            .and_then(|envelope| AwsCreds::from_envelope(envelope).map_err(|e| e.0))
            .map_err(|reason| Failure {
                what: what.into(),
                detail: format!("the answer was not credentials: {reason}"),
                hint: "Is this an AWS engine mount, and the role an iam_user role?".into(),
            })?;
        // Best effort: without the user's name, the proof of revocation rests on AWS
        // refusing the keys alone.
        let iam_user =
            aws::find_user_by_access_key(&self.target(root), &static_keys(root), &creds.access_key)
                .await
                .ok()
                .flatten();
        let issued = IssuedCreds {
            lease_id: creds.lease.id.clone(),
            lease_duration: creds.lease.duration,
            renewable: creds.lease.renewable,
            access_key_id: creds.access_key.clone(),
            secret_access_key: creds.secret_key.clone(),
            iam_user,
        };
        let mut response = describe_reply(&reply);
        if let Some(warning) = journal_warning {
            response.push_str(&format!(
                "\nWARNING: {warning}. Note the lease id: revoke it with `vault lease revoke` when done."
            ));
        }
        Ok((issued, Exchange { curl, response }))
    }

    async fn prove_revoked(
        &self,
        lease_id: String,
        keys: AwsKeys,
        root: AwsKeys,
        iam_user: Option<String>,
        attempt: u32,
    ) -> Outcome {
        let refused = aws::describe_instances(&self.target(&keys), &static_keys(&keys)).await;
        let refused_with = match &refused {
            Err(e) if e.is_unknown_key() => Some(e.code.clone()),
            _ => None,
        };
        let user_gone = match &iam_user {
            Some(name) => {
                matches!(
                    aws::user_exists(&self.target(&root), &static_keys(&root), name).await,
                    Ok(false)
                )
            }
            // Unknown user: the refused key is the whole proof.
            None => refused_with.is_some(),
        };
        let response = match &refused {
            Ok(answer) => pretty(answer),
            Err(e) => e.to_string(),
        };
        if refused_with.is_some() && user_gone {
            // The queued revocation has happened: the lease is over.
            self.journal(|journal| journal.mark(&lease_id, Lifecycle::Revoked { at: Utc::now() }));
        }
        Outcome::RevocationChecked {
            lease_id,
            attempt,
            refused_with,
            user_gone,
            exchange: Exchange {
                curl: self.describe_instances_cli(&keys),
                response,
            },
        }
    }

    /// The aws CLI command that makes the same call, the secret masked.
    fn describe_instances_cli(&self, keys: &AwsKeys) -> String {
        let endpoint = self
            .aws_endpoint
            .as_deref()
            .map(|url| format!(" --endpoint-url {url}"))
            .unwrap_or_default();
        format!(
            "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY=<secret_key> aws ec2 describe-instances --region {}{endpoint}",
            keys.access_key_id, keys.region
        )
    }
}

fn static_keys(keys: &AwsKeys) -> StaticKeys {
    StaticKeys {
        access_key_id: keys.access_key_id.clone(),
        secret_access_key: keys.secret_access_key.clone(),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// What came back, as the pane shows it: the status, and the envelope with secrets masked.
fn describe_reply(reply: &Reply) -> String {
    match reply.redacted_json() {
        Some(json) => pretty(&json),
        None => match reply.status {
            202 => "202 Accepted (queued)".to_owned(),
            204 => "204 No Content".to_owned(),
            other => format!("{other}"),
        },
    }
}

fn vault_failure(what: &str, error: &VaultError) -> Failure {
    Failure {
        what: what.to_owned(),
        detail: error.to_string(),
        hint: error.hint().to_owned(),
    }
}

fn aws_failure(what: &str, error: &AwsCallError) -> Failure {
    Failure {
        what: what.to_owned(),
        detail: error.to_string(),
        hint: error.hint().to_owned(),
    }
}

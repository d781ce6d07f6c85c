//! One module per secrets engine a lab uses: what vaultlab does with an engine's
//! credentials beyond Vault's own API (check the keys a form holds, use issued
//! credentials, prove revoked ones dead, the engine's doctor checks). An engine knows
//! nothing of the UI: it answers with words (facts, refusals, proofs) the app shows as
//! they are, and the app decides what happens next.

pub mod aws;
pub mod database;
pub mod spec;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::checks::Check;
use crate::exchange::{Exchange, Failure};
use crate::setup::Prefill;
use crate::vault::refusal::VaultRefusal;

/// Named values a step hands an engine: a form's fields, issued credentials. Every value
/// is kept secret; `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct Values(Vec<(String, SecretString)>);

impl Values {
    pub fn with(mut self, name: impl Into<String>, value: SecretString) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets `name`, replacing what it held.
    pub fn insert(&mut self, name: impl Into<String>, value: SecretString) {
        let name = name.into();
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value));
    }

    pub fn get(&self, name: &str) -> Option<&SecretString> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The value of `name` in clear, trimmed; empty when there is none.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map_or("", |v| v.expose_secret().trim())
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

/// One thing an engine found out, as a pane shows it (`STS says  arn:…`) and as the
/// walk's transcript says it (`STS: arn:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub label: String,
    pub short: String,
    pub value: String,
}

/// A form's values, checked by the engine before Vault gets them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    pub facts: Vec<Fact>,
    /// Accepted, but worth a second thought (the account's root user's keys).
    pub warnings: Vec<String>,
}

/// Why trying issued credentials again may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It will not: the answer stands.
    No,
    /// The new credentials are not known everywhere yet (IAM's eventual consistency).
    NotYet,
    /// The service is throttling the caller.
    Throttled,
}

/// Issued credentials refused, or no answer: the service's code and words, whether to
/// try again, what to say while waiting, and what failed if it comes to that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub retry: Retry,
    /// The credentials work, but what they may do does not include this: the lab says
    /// what that teaches.
    pub denied: bool,
    pub waiting: String,
    pub failure: Failure,
}

/// One observation that revoked credentials are dead, or not yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofLine {
    pub ok: bool,
    pub text: String,
}

/// One look at revoked credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub lines: Vec<ProofLine>,
    /// The whole look in a line, for the walk's transcript.
    pub summary: String,
    /// Every line is ok: the credentials are dead.
    pub dead: bool,
    pub exchange: Exchange,
    /// What failed, should they never die.
    pub still_alive: Failure,
}

/// What an engine is asked to do; each carries what it needs.
#[derive(Debug, Clone)]
pub enum EngineCall {
    /// Check the form of step `step` before Vault gets its values.
    Verify { step: usize, values: Values },
    /// Find what issued credentials stand for (AWS: the IAM user Vault made), with the
    /// root values of the form.
    Identify {
        lease_id: String,
        creds: Values,
        values: Values,
    },
    /// Use the credentials once, after `delay`.
    Probe {
        step: usize,
        lease_id: String,
        creds: Values,
        values: Values,
        attempt: u32,
        delay: Duration,
    },
    /// Look at revoked credentials once, after `delay`.
    ProveRevoked {
        step: usize,
        lease_id: String,
        creds: Values,
        values: Values,
        subject: Option<String>,
        attempt: u32,
        delay: Duration,
    },
}

impl EngineCall {
    /// The step the call works for, so a failure to run it can be shown there.
    pub fn step(&self) -> Option<usize> {
        match self {
            EngineCall::Verify { step, .. }
            | EngineCall::Probe { step, .. }
            | EngineCall::ProveRevoked { step, .. } => Some(*step),
            EngineCall::Identify { .. } => None,
        }
    }
}

/// An engine's answer.
#[derive(Debug, Clone)]
pub enum EngineReply {
    Verified {
        step: usize,
        result: Result<Verified, Failure>,
    },
    Identified {
        lease_id: String,
        subject: Option<String>,
    },
    Probed {
        step: usize,
        lease_id: String,
        attempt: u32,
        result: Result<Exchange, Refusal>,
    },
    Proved {
        step: usize,
        lease_id: String,
        attempt: u32,
        proof: Proof,
    },
}

impl EngineReply {
    /// The lease an answer is about: answers about older credentials must not touch newer.
    pub fn lease_id(&self) -> Option<&str> {
        match self {
            EngineReply::Verified { .. } => None,
            EngineReply::Identified { lease_id, .. }
            | EngineReply::Probed { lease_id, .. }
            | EngineReply::Proved { lease_id, .. } => Some(lease_id),
        }
    }
}

/// The engine a lab names in its `engine` field. `endpoint` is where vaultlab reaches the
/// engine's service when that is not the service itself (the sandbox, moto); `own` holds
/// the values of servers vaultlab runs for it (the sandbox's admin keys, the login of the
/// PostgreSQL it started), which the lab's form then starts with.
pub fn for_lab(
    engine: &spec::EngineSpec,
    endpoint: Option<String>,
    own: Option<Prefill>,
) -> Arc<dyn Engine> {
    match engine.id {
        "aws" => Arc::new(aws::AwsEngine {
            endpoint,
            own_keys: own,
            trust: crate::aws::Trust::Roots,
            in_room: false,
        }),
        "database" => Arc::new(database::DatabaseEngine { own }),
        other => unreachable!("the {other} engine is in spec::ENGINES without a module"),
    }
}

/// A secrets engine as vaultlab uses it. Object-safe, so a session holds whichever the
/// lab names.
pub trait Engine: Send + Sync {
    /// The values the lab's form starts with (AWS: root keys; database: the connection):
    /// those of the servers vaultlab runs itself, else found as the service's own CLI
    /// finds them (`env` reads the environment).
    fn prefill(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<Prefill>;
    /// What the learner can do about an error that is the service's own words passed on
    /// by Vault (PostgreSQL's `password authentication failed`); `None` leaves Vault's
    /// hint.
    fn hint(&self, _error: &str) -> Option<String> {
        None
    }
    /// Checks a form's values before Vault gets them.
    fn verify(&self, values: Values) -> BoxFuture<'_, Result<Verified, Failure>>;
    /// What issued credentials stand for, found with the form's values; `None` when it
    /// cannot be found (the proof of revocation then rests on the credentials alone).
    fn identify(&self, creds: Values, values: Values) -> BoxFuture<'_, Option<String>>;
    /// Uses the credentials once.
    fn probe(&self, creds: Values, values: Values) -> BoxFuture<'_, Result<Exchange, Refusal>>;
    /// Looks once at revoked credentials, and at what they stood for.
    fn prove_revoked(
        &self,
        creds: Values,
        values: Values,
        subject: Option<String>,
    ) -> BoxFuture<'_, Proof>;
    /// The engine's part of `vaultlab doctor`, with the form's values and where they came
    /// from, when there are any.
    fn doctor_checks(&self, values: Option<(Values, String)>) -> BoxFuture<'_, Vec<Check>>;
}

/// A Vault refusal with the engine's hint, when Vault passed on the service's own error.
/// Vault's own refusals keep Vault's hint: no answer, a token refused (401, 403: its
/// "permission denied" is not PostgreSQL's), a quota (429), sealed or standby (503).
pub fn explain(engine: &dyn Engine, mut refusal: VaultRefusal) -> VaultRefusal {
    let vaults_own = matches!(refusal.status, None | Some(401 | 403 | 429 | 503));
    if vaults_own {
        return refusal;
    }
    if let Some(hint) = engine.hint(&refusal.message) {
        refusal.hint = hint;
    }
    refusal
}

/// Runs one call on `engine`, after its delay.
pub async fn run(engine: &dyn Engine, call: EngineCall) -> EngineReply {
    match call {
        EngineCall::Verify { step, values } => EngineReply::Verified {
            step,
            result: engine.verify(values).await,
        },
        EngineCall::Identify {
            lease_id,
            creds,
            values,
        } => EngineReply::Identified {
            subject: engine.identify(creds, values).await,
            lease_id,
        },
        EngineCall::Probe {
            step,
            lease_id,
            creds,
            values,
            attempt,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            EngineReply::Probed {
                step,
                lease_id,
                attempt,
                result: engine.probe(creds, values).await,
            }
        }
        EngineCall::ProveRevoked {
            step,
            lease_id,
            creds,
            values,
            subject,
            attempt,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            EngineReply::Proved {
                step,
                lease_id,
                attempt,
                proof: engine.prove_revoked(creds, values, subject).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: Option<u16>, message: &str) -> VaultRefusal {
        VaultRefusal {
            message: message.to_owned(),
            hint: "Vault's own hint".to_owned(),
            status,
            errors: vec![message.to_owned()],
            invalid_request: false,
        }
    }

    #[test]
    fn a_token_vault_refuses_keeps_vaults_hint_and_a_passed_on_postgresql_error_gets_the_engines() {
        let database = for_lab(&spec::DATABASE, None, None);
        let denied = "permission denied on PUT database/config/lab-postgres: needs create or update; this token has: list, read (Vault: permission denied)";
        for status in [Some(403), Some(401), None] {
            let explained = explain(database.as_ref(), refusal(status, denied));
            assert_eq!(explained.hint, "Vault's own hint", "{status:?}");
        }
        let passed_on = "error creating database object: pq: permission denied to create role";
        let explained = explain(database.as_ref(), refusal(Some(400), passed_on));
        assert!(explained.hint.contains("CREATEROLE"), "{}", explained.hint);
    }

    #[test]
    fn every_engine_a_lab_may_name_is_built_from_its_own_module() {
        let pg_refusal = "pq: password authentication failed for user \"vault\"";
        for engine in spec::ENGINES {
            let built = for_lab(engine, None, None);
            // Only the database engine knows PostgreSQL's words.
            assert_eq!(
                built.hint(pg_refusal).is_some(),
                engine.id == spec::DATABASE.id,
                "{}",
                engine.id
            );
        }
        let own = Prefill {
            values: Values::default().with("host", SecretString::from("127.0.0.1")),
            source: "the PostgreSQL vaultlab started".to_owned(),
        };
        let database = for_lab(&spec::DATABASE, None, Some(own));
        let prefill = database
            .prefill(&|_| None)
            .expect("its own servers' values");
        assert_eq!(prefill.values.text("host"), "127.0.0.1");
    }
}

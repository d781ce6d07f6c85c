//! The AWS secrets engine, as the lab uses it: root keys checked with STS before Vault
//! gets them, issued keys used with EC2 DescribeInstances (retried while IAM makes them
//! valid), the IAM user Vault made found and, after revocation, shown gone; and the
//! doctor's checks of the root keys. Its words are AWS's.

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;

use super::{Engine, Fact, Proof, ProofLine, Refusal, Retry, Values, Verified};
use crate::aws::error::{CERTIFICATE_REFUSED, is_unreachable_code};
use crate::aws::{AwsCallError, AwsTarget, StaticKeys, Trust, calls};
use crate::checks::Check;
use crate::exchange::{Exchange, Failure};
use crate::setup::{EnvVar, Prefill};
// What to do when the room's AWS does not answer a seat: as when its Vault does not.
use crate::vault::error::ROOM_UNREACHABLE;
use secrecy::SecretString;
use vaultlab_sandbox::Sandbox;

/// The `export` lines of the sandbox (`vaultlab sandbox` prints them), with another AWS
/// endpoint (moto) and the keys this run uses for it when one is named (`elsewhere`):
/// a second terminal without the keys would write empty root keys into Vault.
pub fn sandbox_environment(
    sandbox: &Sandbox,
    elsewhere: Option<&str>,
    prefill: Option<&Prefill>,
) -> Vec<EnvVar> {
    let prefilled = |name: &str| prefill.and_then(|p| p.values.get(name)).cloned();
    sandbox
        .environment()
        .into_iter()
        .filter_map(|(name, value)| {
            let value = match (name, elsewhere) {
                ("AWS_ENDPOINT_URL", Some(url)) => SecretString::from(url.to_owned()),
                ("AWS_ACCESS_KEY_ID", Some(_)) => prefilled(ACCESS_KEY)?,
                ("AWS_SECRET_ACCESS_KEY", Some(_)) => prefilled(SECRET_KEY)?,
                _ => SecretString::from(value),
            };
            Some(EnvVar {
                name: name.to_owned(),
                value,
                secret: matches!(name, "VAULT_TOKEN" | "AWS_SECRET_ACCESS_KEY"),
            })
        })
        .collect()
}

/// The EC2 call that uses issued keys (the lab's test, and the proof they died).
pub const PROBE_ACTION: &str = "DescribeInstances";

/// The names of the values the engine reads: the root keys form's fields, and the
/// issued credentials' fields (Vault's names for both).
pub const ACCESS_KEY: &str = "access_key";
pub const SECRET_KEY: &str = "secret_key";
pub const REGION: &str = "region";

/// The IAM actions Vault's engine calls to issue and revoke iam_user credentials.
pub const IAM_ACTIONS: &[&str] = &[
    "iam:CreateUser",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:AddUserToGroup",
    "iam:CreateAccessKey",
    "iam:ListGroupsForUser",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:DetachUserPolicy",
    "iam:DeleteUserPolicy",
    "iam:RemoveUserFromGroup",
    "iam:DeleteUser",
];

/// The AWS engine, its calls sent to `endpoint` (the sandbox, moto, LocalStack) or, when
/// `None`, to AWS itself. `own_keys` are the sandbox's admin keys, when the sandbox is
/// the AWS the lab uses.
#[derive(Debug, Clone)]
pub struct AwsEngine {
    pub endpoint: Option<String>,
    pub own_keys: Option<Prefill>,
    /// Whose certificates the calls trust: the platform's roots, `AWS_CA_BUNDLE`, or a
    /// room's pin (a seat of a room served with --tls).
    pub trust: Trust,
    /// In a workshop room's seat (`vaultlab join`): AWS is the room's, at the address
    /// `join` was given, so no answer is the room's to explain, not an endpoint's.
    pub in_room: bool,
}

/// What to do when the room's AWS shows a certificate other than the one the seat pinned
/// (as the seat's Vault calls say it: someone may be in between).
const ROOM_NOT_PINNED: &str = "The room's certificate is not the one your join line pinned: ask the facilitator for the room's join line, and do not go on until it matches (someone may be in between).";

/// What to do next after `e`, in a room's seat or not.
fn hint(in_room: bool, e: &AwsCallError) -> String {
    if in_room && is_unreachable_code(&e.code) {
        ROOM_UNREACHABLE.to_owned()
    } else if in_room && e.code == CERTIFICATE_REFUSED {
        ROOM_NOT_PINNED.to_owned()
    } else {
        e.hint().to_owned()
    }
}

/// The keys among `values`: the root keys of the form, or issued credentials.
fn keys(values: &Values) -> StaticKeys {
    StaticKeys {
        access_key_id: values.text(ACCESS_KEY).to_owned(),
        secret_access_key: values.get(SECRET_KEY).cloned().unwrap_or_default(),
    }
}

impl AwsEngine {
    fn target(&self, values: &Values) -> AwsTarget {
        AwsTarget {
            endpoint_url: self.endpoint.clone(),
            region: values.text(REGION).to_owned(),
            trust: self.trust.clone(),
        }
    }

    /// The target of the doctor's checks: the region of the keys it checks, if any.
    fn target_of(&self, values: Option<&(Values, String)>) -> AwsTarget {
        match values {
            Some((values, _)) => self.target(values),
            None => self.target(&Values::default()),
        }
    }

    fn describe_instances_cli(&self, creds: &Values, values: &Values) -> String {
        describe_instances_cli(
            self.endpoint.as_deref(),
            creds.text(ACCESS_KEY),
            values.text(REGION),
        )
    }
}

impl Engine for AwsEngine {
    fn prefill(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<Prefill> {
        self.own_keys.clone().or_else(|| prefill(env, None))
    }

    fn verify(&self, values: Values) -> BoxFuture<'_, Result<Verified, Failure>> {
        async move {
            let identity = calls::caller_identity(&self.target(&values), &keys(&values))
                .await
                .map_err(|e| {
                    let hint = hint(self.in_room, &e);
                    Failure::new("STS did not accept the root keys", e.to_string(), hint)
                })?;
            Ok(verified(identity.arn))
        }
        .boxed()
    }

    /// Vault's answer names the key, not the user; the user is what revocation deletes.
    fn identify(&self, creds: Values, values: Values) -> BoxFuture<'_, Option<String>> {
        async move {
            calls::find_user_by_access_key(
                &self.target(&values),
                &keys(&values),
                creds.text(ACCESS_KEY),
            )
            .await
            .ok()
            .flatten()
        }
        .boxed()
    }

    fn probe(&self, creds: Values, values: Values) -> BoxFuture<'_, Result<Exchange, Refusal>> {
        async move {
            let curl = self.describe_instances_cli(&creds, &values);
            match calls::describe_instances(&self.target(&values), &keys(&creds)).await {
                Ok(answer) => Ok(Exchange {
                    curl,
                    response: pretty(&answer),
                }),
                Err(e) => {
                    let hint = hint(self.in_room, &e);
                    Err(refusal(e, &hint))
                }
            }
        }
        .boxed()
    }

    fn prove_revoked(
        &self,
        creds: Values,
        values: Values,
        subject: Option<String>,
    ) -> BoxFuture<'_, Proof> {
        async move {
            let refused = calls::describe_instances(&self.target(&values), &keys(&creds)).await;
            let refused_with = match &refused {
                Err(e) if e.is_unknown_key() => Some(e.code.clone()),
                _ => None,
            };
            let user_gone = match &subject {
                Some(name) => matches!(
                    calls::user_exists(&self.target(&values), &keys(&values), name).await,
                    Ok(false)
                ),
                // Unknown user: the refused key is the whole proof.
                None => refused_with.is_some(),
            };
            let response = match &refused {
                Ok(answer) => pretty(answer),
                Err(e) => e.to_string(),
            };
            let exchange = Exchange {
                curl: self.describe_instances_cli(&creds, &values),
                response,
            };
            match &refused {
                // No answer proves nothing either way: said as such, in the room's words
                // in a seat.
                Err(e) if is_unreachable_code(&e.code) => {
                    unanswered(e, &hint(self.in_room, e), exchange)
                }
                _ => proof(refused_with, user_gone, exchange),
            }
        }
        .boxed()
    }

    fn doctor_checks(&self, values: Option<(Values, String)>) -> BoxFuture<'_, Vec<Check>> {
        doctor_checks(self.target_of(values.as_ref()), self.in_room, values).boxed()
    }
}

/// The root keys to start the form with: the sandbox's admin user (when it is the AWS the
/// lab uses), else the AWS environment variables, else the AWS CLI's profile, found as the
/// CLI finds them. The region comes with them when they name one; else the form's own.
pub fn prefill(env: impl Fn(&str) -> Option<String>, sandbox: Option<&Sandbox>) -> Option<Prefill> {
    let keys = |key: String, secret: SecretString, region: Option<String>, source: String| {
        let mut values = Values::default()
            .with(ACCESS_KEY, SecretString::from(key))
            .with(SECRET_KEY, secret);
        if let Some(region) = region {
            values.insert(REGION, SecretString::from(region));
        }
        Prefill { values, source }
    };
    if let Some(sandbox) = sandbox {
        let admin = sandbox.admin_credentials();
        return Some(keys(
            admin.access_key_id,
            SecretString::from(admin.secret_access_key.expose().to_owned()),
            Some(sandbox.region().to_owned()),
            "the sandbox's AWS account (its admin user)".to_owned(),
        ));
    }
    let region = || env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    if let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Some(keys(
            key,
            SecretString::from(secret),
            region(),
            "the AWS environment variables".to_owned(),
        ));
    }
    crate::aws::profile::load(&env).map(|profile| {
        keys(
            profile.access_key_id,
            profile.secret_access_key,
            region().or(profile.region),
            format!("the AWS profile {:?}", profile.profile),
        )
    })
}

/// The aws CLI command that makes the same call as the probe, the secret masked.
pub fn describe_instances_cli(endpoint: Option<&str>, access_key: &str, region: &str) -> String {
    let endpoint = endpoint
        .map(|url| format!(" --endpoint-url {url}"))
        .unwrap_or_default();
    format!(
        "AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY=<secret_key> aws ec2 describe-instances --region {region}{endpoint}"
    )
}

/// What STS said of the root keys, in words: whose they are, and a warning for the
/// account's root user.
pub fn verified(arn: String) -> Verified {
    let mut warnings = Vec::new();
    if arn.ends_with(":root") {
        warnings.push(
            "These are the account root user's keys. Give Vault an IAM user's keys instead: root keys cannot be limited or safely rotated."
                .to_owned(),
        );
    }
    Verified {
        facts: vec![Fact {
            label: "STS says".into(),
            short: "STS".into(),
            value: arn,
        }],
        warnings,
    }
}

/// One look at revoked keys, in words: refused by AWS (with its code), and the IAM user
/// Vault made gone.
pub fn proof(refused_with: Option<String>, user_gone: bool, exchange: Exchange) -> Proof {
    let lines = vec![
        match &refused_with {
            Some(code) => ProofLine {
                ok: true,
                text: format!("DescribeInstances with the old keys: refused ({code})"),
            },
            None => ProofLine {
                ok: false,
                text: "DescribeInstances with the old keys still works: Vault revokes in the background".into(),
            },
        },
        if user_gone {
            ProofLine {
                ok: true,
                text: "The IAM user Vault made is gone".into(),
            }
        } else {
            ProofLine {
                ok: false,
                text: "The IAM user is still there".into(),
            }
        },
    ];
    Proof {
        summary: format!(
            "old keys refused: {} · IAM user gone: {}",
            refused_with.as_deref().unwrap_or("no"),
            if user_gone { "yes" } else { "no" }
        ),
        dead: refused_with.is_some() && user_gone,
        lines,
        exchange,
        still_alive: Failure::new(
            "The revoked keys still work",
            "AWS still accepts them, or the IAM user is still there.",
            "Vault revokes in the background: look up the lease, or check Vault's log for a revocation error.",
        ),
    }
}

/// A look at revoked keys that AWS did not answer (`e`): neither refused nor accepted,
/// and the IAM user neither seen gone nor there; `hint` says what to do.
pub fn unanswered(e: &AwsCallError, hint: &str, exchange: Exchange) -> Proof {
    Proof {
        summary: format!("no answer from AWS ({})", e.code),
        dead: false,
        lines: vec![
            ProofLine {
                ok: false,
                text: format!(
                    "DescribeInstances with the old keys: no answer ({})",
                    e.code
                ),
            },
            ProofLine {
                ok: false,
                text: "Whether the IAM user Vault made is gone: no answer".into(),
            },
        ],
        exchange,
        still_alive: Failure::new(
            format!("No answer from AWS to DescribeInstances ({})", e.code),
            e.message.clone(),
            hint,
        ),
    }
}

/// An AWS error on DescribeInstances, in words: why it may pass on its own, and what to
/// do should it not (`hint`).
pub fn refusal(e: AwsCallError, hint: &str) -> Refusal {
    let retry = if e.is_unknown_key() {
        Retry::NotYet
    } else if e.is_throttling() {
        Retry::Throttled
    } else {
        Retry::No
    };
    let waiting = match retry {
        Retry::Throttled => format!(
            "Waiting: AWS is throttling these calls ({}: {}). vaultlab backs off and tries again.",
            e.code, e.message
        ),
        _ => format!(
            "Waiting: AWS does not accept the new key yet ({}). IAM is eventually consistent; a new key takes a few seconds to reach every service.",
            e.code
        ),
    };
    let what = if is_unreachable_code(&e.code) {
        format!("No answer from AWS to DescribeInstances ({})", e.code)
    } else if e.code == CERTIFICATE_REFUSED {
        "AWS's certificate was refused: DescribeInstances was not sent".to_owned()
    } else {
        format!("AWS refused DescribeInstances: {}", e.code)
    };
    let hint = format!("{hint} Enter tries again.");
    Refusal {
        denied: e.is_denied(),
        failure: Failure::new(what, e.message.clone(), hint),
        code: e.code,
        message: e.message,
        retry,
        waiting,
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The root keys: valid (STS), not the account's root user, and allowed the IAM actions
/// Vault needs (where `iam:SimulatePrincipalPolicy` is permitted).
async fn doctor_checks(
    target: AwsTarget,
    in_room: bool,
    values: Option<(Values, String)>,
) -> Vec<Check> {
    let Some((values, source)) = values else {
        return vec![Check::fail(
            "no AWS root keys found",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an IAM user's keys), or an AWS CLI profile.",
        )];
    };
    let static_keys = keys(&values);
    let mut checks = Vec::new();
    let identity = match calls::caller_identity(&target, &static_keys).await {
        Ok(identity) => identity,
        Err(e) => {
            checks.push(Check::fail(
                format!("AWS root keys from {source}: {e}"),
                hint(in_room, &e),
            ));
            return checks;
        }
    };
    checks.push(Check::pass(format!(
        "AWS root keys from {source} are valid: {}",
        identity.arn
    )));
    if identity.arn.ends_with(":root") {
        checks.push(Check::warn(
            "these are the account root user's keys",
            "Give Vault an IAM user's keys instead: root keys cannot be limited or safely rotated.",
        ));
        return checks;
    }
    match calls::simulate_iam_actions(&target, &static_keys, &identity.arn, IAM_ACTIONS).await {
        Ok(denied) => {
            if denied.is_empty() {
                checks.push(Check::pass(
                    "the root keys may do every IAM action Vault needs",
                ));
            } else {
                checks.push(Check::fail(
                    format!("the root keys may not {}", denied.join(", ")),
                    "Attach a policy allowing those actions to the IAM user whose keys Vault gets.",
                ));
            }
        }
        Err(e) => {
            checks.push(Check::warn(
                format!("the IAM actions Vault needs could not be simulated ({})", e.code),
                "Not a failure: iam:SimulatePrincipalPolicy is often not granted. Generating credentials will tell.",
            ));
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> AwsCallError {
        AwsCallError {
            code: code.into(),
            message: "Request limit exceeded.".into(),
            http_status: None,
        }
    }

    /// `refusal`, with the hint a run outside a room gives.
    fn refused(code: &str) -> Refusal {
        refusal(error(code), &hint(false, &error(code)))
    }

    #[test]
    fn refusals_say_whether_waiting_helps_and_what_to_do_should_it_not() {
        for (code, retry, what, hint) in [
            (
                "AuthFailure",
                Retry::NotYet,
                "AWS refused DescribeInstances: AuthFailure",
                "too new to have propagated",
            ),
            (
                "RequestLimitExceeded",
                Retry::Throttled,
                "AWS refused DescribeInstances: RequestLimitExceeded",
                "rate-limiting",
            ),
            (
                "Unreachable",
                Retry::No,
                "No answer from AWS to DescribeInstances (Unreachable)",
                "endpoint",
            ),
        ] {
            let refusal = refused(code);
            assert_eq!(refusal.retry, retry, "{code}");
            assert_eq!(refusal.failure.what, what);
            assert!(
                refusal.failure.hint.contains(hint),
                "{code}: {}",
                refusal.failure.hint
            );
            assert!(refusal.failure.hint.contains("Enter tries again"), "{code}");
        }
        assert!(
            refused("RequestLimitExceeded")
                .waiting
                .contains("throttling")
        );
        assert!(
            refused("AuthFailure")
                .waiting
                .contains("eventually consistent")
        );
    }

    #[test]
    fn in_a_seat_a_certificate_other_than_the_pinned_one_is_said_as_the_vault_calls_say_it() {
        let error = AwsCallError {
            code: CERTIFICATE_REFUSED.into(),
            message: "the room's certificate does not match the fingerprint in your join line"
                .into(),
            http_status: None,
        };
        let said = hint(true, &error);
        assert!(said.contains("someone may be in between"), "{said}");
        assert!(!said.contains("does not answer"), "{said}");
        let refused = refusal(error.clone(), &said);
        assert!(
            !refused.failure.what.contains("No answer"),
            "{}",
            refused.failure.what
        );
        assert_eq!(refused.retry, Retry::No);
        assert!(!hint(false, &error).contains("join line"));
    }

    #[test]
    fn a_denied_action_is_said_to_be_one() {
        let refusal = refused("UnauthorizedOperation");
        assert_eq!(refusal.retry, Retry::No);
        assert!(refusal.denied, "the lab's words on least privilege follow");
        assert!(!refused("AuthFailure").denied);
    }

    #[test]
    fn the_account_root_user_is_warned_about_and_dead_keys_need_both_proofs() {
        assert!(
            !verified("arn:aws:iam::123456789012:root".into())
                .warnings
                .is_empty()
        );
        assert!(
            verified("arn:aws:iam::123456789012:user/admin".into())
                .warnings
                .is_empty()
        );
        let dead = proof(Some("AuthFailure".into()), true, Exchange::default());
        assert!(dead.dead);
        assert_eq!(
            dead.summary,
            "old keys refused: AuthFailure · IAM user gone: yes"
        );
        assert!(!proof(Some("AuthFailure".into()), false, Exchange::default()).dead);
        assert!(!proof(None, true, Exchange::default()).dead);
    }

    #[tokio::test]
    async fn in_a_rooms_seat_no_answer_from_aws_is_the_rooms_to_explain() {
        // A port nobody listens on: the room has gone.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let values = Values::default()
            .with(ACCESS_KEY, SecretString::from("AKIASEAT"))
            .with(SECRET_KEY, SecretString::from("seat-secret"))
            .with(REGION, SecretString::from("us-east-1"));
        for (in_room, said, not_said) in [
            (true, "The room does not answer", "--aws-endpoint"),
            (false, "--aws-endpoint", "room"),
        ] {
            let engine = AwsEngine {
                endpoint: Some(format!("http://127.0.0.1:{port}")),
                own_keys: None,
                trust: Trust::Roots,
                in_room,
            };
            let said_so = |hint: &str| hint.contains(said) && !hint.contains(not_said);
            let Err(failure) = engine.verify(values.clone()).await else {
                panic!("nothing answers, yet the keys were verified");
            };
            assert!(said_so(&failure.hint), "step 2: {}", failure.hint);
            let Err(refused) = engine.probe(values.clone(), values.clone()).await else {
                panic!("nothing answers, yet the probe passed");
            };
            assert!(
                said_so(&refused.failure.hint),
                "step 5: {}",
                refused.failure.hint
            );
            // Step 6: no answer is not keys that still work.
            let proof = engine
                .prove_revoked(values.clone(), values.clone(), Some("vault-user".into()))
                .await;
            assert!(!proof.dead);
            assert!(
                said_so(&proof.still_alive.hint),
                "step 6: {}",
                proof.still_alive.hint
            );
            for line in &proof.lines {
                assert!(
                    !line.text.contains("still") && line.text.contains("no answer"),
                    "step 6: {}",
                    line.text
                );
            }
            assert!(!proof.still_alive.what.contains("still work"));
            let checks = engine
                .doctor_checks(Some((values.clone(), "the seat".into())))
                .await;
            let fix = checks[0].fix.clone().unwrap_or_default();
            assert!(said_so(&fix), "doctor: {fix}");
        }
    }
}

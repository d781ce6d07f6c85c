//! `vaultlab doctor`: can the lab run here? Each check says what it found and, when it
//! fails, what to do. Checks that depend on an earlier one are skipped when it fails.

use std::io::Write;

use crate::aws::{self, AwsTarget, StaticKeys};
use crate::session::Session;
use crate::vault::{VaultClient, VaultError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Worth knowing; the lab can still run.
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    pub what: String,
    pub fix: Option<String>,
}

fn pass(what: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Pass,
        what: what.into(),
        fix: None,
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Fail,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

fn warn(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Warn,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

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

/// What the checks look at: the same Vault, lab and keys the lab itself uses. `keys` are
/// the root keys with their region and where they came from.
pub struct DoctorInputs<'a> {
    pub vault: &'a VaultClient,
    pub mount: &'a str,
    pub role: &'a str,
    pub keys: Option<(StaticKeys, String, String)>,
    pub aws_endpoint: Option<String>,
}

pub async fn run(session: &Session) -> Vec<Check> {
    let keys = session.prefill.as_ref().map(|keys| {
        (
            StaticKeys {
                access_key_id: keys.access_key_id.clone(),
                secret_access_key: keys.secret_access_key.clone(),
            },
            keys.region.clone(),
            keys.source.clone(),
        )
    });
    check(DoctorInputs {
        vault: &session.vault,
        mount: &session.lab.mount,
        role: &session.lab.role,
        keys,
        aws_endpoint: session.aws_endpoint.clone(),
    })
    .await
}

/// Every check, in order.
pub async fn check(inputs: DoctorInputs<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let vault = inputs.vault;
    let addr = vault.address().to_owned();

    let health = match vault.health().await {
        Ok(health) => health,
        Err(e) => {
            checks.push(fail(format!("Vault at {addr}: {e}"), e.hint()));
            return checks;
        }
    };
    checks.push(pass(format!(
        "Vault reachable at {addr}, version {}",
        health.version
    )));
    if !health.initialized {
        checks.push(fail(
            "Vault is not initialised",
            "Run `vault operator init`, then unseal it.",
        ));
        return checks;
    }
    checks.push(pass("Vault is initialised"));
    if health.sealed {
        checks.push(fail(
            "Vault is sealed",
            "Unseal it (`vault operator unseal`, once per key share) and run doctor again.",
        ));
        return checks;
    }
    checks.push(pass("Vault is unsealed"));

    match vault.token_lookup_self().await {
        Ok(token) => {
            let ttl = if token.ttl == 0 {
                "never expires".to_owned()
            } else {
                format!(
                    "expires in {}",
                    crate::lease::countdown::format_vault_duration(std::time::Duration::from_secs(
                        token.ttl.max(0) as u64
                    ),)
                )
            };
            checks.push(pass(format!(
                "token valid ({}, policies {}, {ttl})",
                token.display_name,
                token.policies.join(",")
            )));
        }
        Err(e) => {
            checks.push(fail(format!("token: {e}"), e.hint()));
            return checks;
        }
    }

    let mount = inputs.mount.trim_end_matches('/');
    let role = inputs.role;
    let paths = [
        format!("sys/mounts/{mount}"),
        format!("{mount}/config/root"),
        format!("{mount}/roles/{role}"),
        format!("{mount}/creds/{role}"),
        "sys/leases/lookup".to_owned(),
        "sys/leases/revoke".to_owned(),
    ];
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    match vault.capabilities_self(&path_refs).await {
        Ok(capabilities) => {
            let missing: Vec<&str> = path_refs
                .iter()
                .copied()
                .filter(|path| {
                    capabilities
                        .get(*path)
                        .is_none_or(|caps| caps.is_empty() || caps.iter().any(|c| c == "deny"))
                })
                .collect();
            if missing.is_empty() {
                checks.push(pass(format!(
                    "the token may use every path the lab uses ({})",
                    paths.join(", ")
                )));
            } else {
                checks.push(fail(
                    format!("the token may not use {}", missing.join(", ")),
                    "Ask for a policy granting create/update/read on those paths (sudo is not needed).",
                ));
            }
        }
        Err(e) => checks.push(warn(
            format!("capabilities could not be read: {e}"),
            e.hint(),
        )),
    }

    checks.push(engine_check(vault, mount).await);
    checks.extend(aws_checks(inputs.keys, inputs.aws_endpoint).await);
    checks
}

async fn engine_check(vault: &VaultClient, mount: &str) -> Check {
    match vault.list_mounts().await {
        Ok(mounts) => match mounts.get(&format!("{mount}/")) {
            Some(m) if m.kind == "aws" => {
                return pass(format!("the AWS secrets engine is mounted at {mount}/"));
            }
            Some(m) => {
                return fail(
                    format!("{mount}/ holds a {} engine, not aws", m.kind),
                    "Disable it, or give the lab another mount path.",
                );
            }
            None => {}
        },
        Err(e) => return warn(format!("mounts could not be listed: {e}"), e.hint()),
    }
    match vault.read("sys/plugins/catalog/secret/aws").await {
        Ok(_) => pass(format!(
            "the AWS secrets engine is available; step 1 mounts it at {mount}/"
        )),
        Err(VaultError::NotFound { .. }) => fail(
            "this server has no AWS secrets engine (OpenBao ships without it)",
            "Run the lab on vaultlab's own sandbox (`vaultlab --sandbox`), or on a Vault server; OpenBao needs the openbao-plugin-secrets-aws plugin registered in its catalog.",
        ),
        Err(e) => warn(
            format!("whether the AWS engine is available could not be read: {e}"),
            "Step 1 will tell: it fails with `plugin not found in the catalog: aws` if it is missing.",
        ),
    }
}

async fn aws_checks(
    keys: Option<(StaticKeys, String, String)>,
    aws_endpoint: Option<String>,
) -> Vec<Check> {
    let Some((static_keys, region, source)) = keys else {
        return vec![fail(
            "no AWS root keys found",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an IAM user's keys), or an AWS CLI profile.",
        )];
    };
    let target = AwsTarget {
        endpoint_url: aws_endpoint,
        region,
    };
    let mut checks = Vec::new();
    let identity = match aws::caller_identity(&target, &static_keys).await {
        Ok(identity) => identity,
        Err(e) => {
            checks.push(fail(format!("AWS root keys from {source}: {e}"), e.hint()));
            return checks;
        }
    };
    checks.push(pass(format!(
        "AWS root keys from {source} are valid: {}",
        identity.arn
    )));
    if identity.arn.ends_with(":root") {
        checks.push(warn(
            "these are the account root user's keys",
            "Give Vault an IAM user's keys instead: root keys cannot be limited or safely rotated.",
        ));
        return checks;
    }
    let iam = aws::clients::iam(&target, &static_keys);
    let simulated = iam
        .simulate_principal_policy()
        .policy_source_arn(&identity.arn)
        .set_action_names(Some(IAM_ACTIONS.iter().map(|a| (*a).to_owned()).collect()))
        .send()
        .await;
    match simulated {
        Ok(result) => {
            let denied: Vec<&str> = result
                .evaluation_results()
                .iter()
                .filter(|r| r.eval_decision().as_str() != "allowed")
                .map(|r| r.eval_action_name())
                .collect();
            if denied.is_empty() {
                checks.push(pass("the root keys may do every IAM action Vault needs"));
            } else {
                checks.push(fail(
                    format!("the root keys may not {}", denied.join(", ")),
                    "Attach a policy allowing those actions to the IAM user whose keys Vault gets.",
                ));
            }
        }
        Err(e) => {
            let e = aws::AwsCallError::from(e);
            checks.push(warn(
                format!("the IAM actions Vault needs could not be simulated ({})", e.code),
                "Not a failure: iam:SimulatePrincipalPolicy is often not granted. Step 4 will tell.",
            ));
        }
    }
    checks
}

/// Prints the checks; returns whether the lab can run (no failure).
pub fn report(checks: &[Check], out: &mut impl Write) -> std::io::Result<bool> {
    for check in checks {
        let mark = match check.verdict {
            Verdict::Pass => "✓",
            Verdict::Warn => "!",
            Verdict::Fail => "✗",
        };
        writeln!(out, "{mark} {}", check.what)?;
        if let Some(fix) = &check.fix {
            writeln!(out, "    → {fix}")?;
        }
    }
    let ok = checks.iter().all(|c| c.verdict != Verdict::Fail);
    writeln!(
        out,
        "{}",
        if ok {
            "The lab can run here."
        } else {
            "The lab cannot run here yet: fix what is marked ✗."
        }
    )?;
    Ok(ok)
}

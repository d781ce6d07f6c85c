//! The checks behind `vaultlab doctor` and the overview: can the lab run here? Each check
//! says what it found and, when it fails, what to do. Checks that depend on an earlier one
//! are skipped when it fails.

use crate::aws::{self, AwsTarget, StaticKeys};
use crate::checks::Check;
use crate::vault::{VaultClient, VaultError};

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

/// Every check, in order.
pub async fn check(inputs: DoctorInputs<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let vault = inputs.vault;
    let addr = vault.address().to_owned();

    let health = match vault.health().await {
        Ok(health) => health,
        Err(e) => {
            checks.push(Check::fail(format!("Vault at {addr}: {e}"), e.hint()));
            return checks;
        }
    };
    let namespace = match &vault.config().namespace {
        Some(namespace) => format!("; working in namespace {namespace}"),
        None => String::new(),
    };
    checks.push(Check::pass(format!(
        "Vault reachable at {addr}, version {}{namespace}",
        health.version
    )));
    if !health.initialized {
        checks.push(Check::fail(
            "Vault is not initialised",
            "Run `vault operator init`, then unseal it.",
        ));
        return checks;
    }
    checks.push(Check::pass("Vault is initialised"));
    if health.sealed {
        checks.push(Check::fail(
            "Vault is sealed",
            "Unseal it (`vault operator unseal`, once per key share) and run doctor again.",
        ));
        return checks;
    }
    checks.push(Check::pass("Vault is unsealed"));

    match vault.token_lookup_self().await {
        Ok(token) if !token.reaches_namespace(vault.config().namespace.as_deref()) => {
            let here = match &vault.config().namespace {
                Some(namespace) => format!("namespace {namespace}"),
                None => "the root namespace".to_owned(),
            };
            checks.push(Check::fail(
                format!(
                    "the token belongs to namespace {}, but vaultlab works in {here}",
                    token.namespace_path
                ),
                format!(
                    "Set VAULT_NAMESPACE={} (or --namespace {}), or use a token of {here}.",
                    token.namespace_path, token.namespace_path
                ),
            ));
            return checks;
        }
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
            checks.push(Check::pass(format!(
                "token valid ({}, policies {}, {ttl})",
                token.display_name,
                token.policies.join(",")
            )));
        }
        Err(e) => {
            checks.push(Check::fail(format!("token: {e}"), e.hint()));
            return checks;
        }
    }

    let mount = inputs.mount.trim_end_matches('/');
    checks.push(capabilities_check(vault, mount, inputs.role).await);
    checks.push(engine_check(vault, mount).await);
    checks.extend(aws_checks(inputs.keys, inputs.aws_endpoint).await);
    checks
}

/// What the lab does on each path, as capabilities: `create|update` is either one (a write
/// creates or updates, as the entry exists or not).
fn lab_needs(mount: &str, role: &str) -> Vec<(String, &'static [&'static str])> {
    vec![
        ("sys/mounts".to_owned(), &["read"]),
        (format!("sys/mounts/{mount}"), &["update"]),
        (format!("{mount}/config/root"), &["create|update", "read"]),
        (format!("{mount}/roles/{role}"), &["create|update", "read"]),
        (format!("{mount}/creds/{role}"), &["read"]),
        ("sys/leases/lookup".to_owned(), &["update"]),
        ("sys/leases/renew".to_owned(), &["update"]),
        ("sys/leases/revoke".to_owned(), &["update"]),
    ]
}

/// What the token lacks on `path`, given what it `has` there.
fn lacking(needs: &[&'static str], has: &[String]) -> Vec<&'static str> {
    if has.iter().any(|c| c == "root") {
        return Vec::new();
    }
    needs
        .iter()
        .copied()
        .filter(|need| !need.split('|').any(|cap| has.iter().any(|h| h == cap)))
        .collect()
}

/// The token's capabilities (in the namespace it works in) on every path the lab uses.
async fn capabilities_check(vault: &VaultClient, mount: &str, role: &str) -> Check {
    let needs = lab_needs(mount, role);
    let paths: Vec<&str> = needs.iter().map(|(path, _)| path.as_str()).collect();
    let capabilities = match vault.capabilities_self(&paths).await {
        Ok(capabilities) => capabilities,
        Err(e) => return Check::warn(format!("capabilities could not be read: {e}"), e.hint()),
    };
    let mut missing = Vec::new();
    for (path, need) in &needs {
        let has = capabilities.get(path).cloned().unwrap_or_default();
        let lacks = lacking(need, &has);
        if !lacks.is_empty() {
            let has = if has.is_empty() {
                "nothing".to_owned()
            } else {
                has.join(", ")
            };
            missing.push(format!("{} {path} (it has {has})", lacks.join(", ")));
        }
    }
    let place = match &vault.config().namespace {
        Some(namespace) => format!(" in namespace {namespace}"),
        None => String::new(),
    };
    if missing.is_empty() {
        Check::pass(format!(
            "the token may use every path the lab uses{place} ({})",
            paths.join(", ")
        ))
    } else {
        Check::fail(
            format!("the token{place} lacks: {}", missing.join("; ")),
            "Ask for a policy granting those capabilities on those paths (sudo is not needed); `vault token capabilities <path>` shows what a token may do.",
        )
    }
}

async fn engine_check(vault: &VaultClient, mount: &str) -> Check {
    match vault.list_mounts().await {
        Ok(mounts) => match mounts.get(&format!("{mount}/")) {
            Some(m) if m.kind == "aws" => {
                return Check::pass(format!("the AWS secrets engine is mounted at {mount}/"));
            }
            Some(m) => {
                return Check::fail(
                    format!("{mount}/ holds a {} engine, not aws", m.kind),
                    "Disable it, or give the lab another mount path.",
                );
            }
            None => {}
        },
        Err(e) => return Check::warn(format!("mounts could not be listed: {e}"), e.hint()),
    }
    match vault.read("sys/plugins/catalog/secret/aws").await {
        Ok(_) => Check::pass(format!(
            "the AWS secrets engine is available; step 1 mounts it at {mount}/"
        )),
        Err(VaultError::NotFound { .. }) => Check::fail(
            "this server has no AWS secrets engine (OpenBao ships without it)",
            "Run the lab on vaultlab's own sandbox (`vaultlab --sandbox`), or on a Vault server; OpenBao needs the openbao-plugin-secrets-aws plugin registered in its catalog.",
        ),
        Err(e) => Check::warn(
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
        return vec![Check::fail(
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
            checks.push(Check::fail(
                format!("AWS root keys from {source}: {e}"),
                e.hint(),
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
            let e = aws::AwsCallError::from(e);
            checks.push(Check::warn(
                format!("the IAM actions Vault needs could not be simulated ({})", e.code),
                "Not a failure: iam:SimulatePrincipalPolicy is often not granted. Step 4 will tell.",
            ));
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_write_is_satisfied_by_create_or_update_and_root_by_anything() {
        assert!(lacking(&["create|update", "read"], &caps(&["update", "read"])).is_empty());
        assert!(lacking(&["create|update", "read"], &caps(&["create", "read"])).is_empty());
        assert_eq!(
            lacking(&["create|update", "read"], &caps(&["read"])),
            ["create|update"]
        );
        assert_eq!(lacking(&["update"], &caps(&["deny"])), ["update"]);
        assert!(lacking(&["update"], &caps(&["root"])).is_empty());
        assert_eq!(lacking(&["read"], &caps(&[])), ["read"]);
    }
}

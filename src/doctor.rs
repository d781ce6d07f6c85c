//! The checks behind `vaultlab doctor` and the overview: can the lab run here? Each check
//! says what it found and, when it fails, what to do. Checks that depend on an earlier one
//! are skipped when it fails.

use crate::checks::Check;
use crate::engines::spec::EngineSpec;
use crate::engines::{Engine, Values};
use crate::vault::{VaultClient, VaultError};

/// What the checks look at: every path the lab uses with the capabilities it needs
/// there, the engine's mount, and the values the engine checks (the root keys) with where
/// they came from.
#[derive(Debug, Clone)]
pub struct DoctorPlan {
    pub needs: Vec<(String, Vec<&'static str>)>,
    pub mount: String,
    pub engine: &'static EngineSpec,
    pub values: Option<(Values, String)>,
}

/// Every check, in order.
pub async fn check(vault: &VaultClient, plan: &DoctorPlan, engine: &dyn Engine) -> Vec<Check> {
    let mut checks = Vec::new();
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

    checks.push(capabilities_check(vault, &plan.needs).await);
    checks.extend(engine_checks(vault, plan.engine, plan.mount.trim_end_matches('/')).await);
    checks.extend(engine.doctor_checks(plan.values.clone()).await);
    checks
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
async fn capabilities_check(vault: &VaultClient, needs: &[(String, Vec<&'static str>)]) -> Check {
    let paths: Vec<&str> = needs.iter().map(|(path, _)| path.as_str()).collect();
    let capabilities = match vault.capabilities_self(&paths).await {
        Ok(capabilities) => capabilities,
        Err(e) => return Check::warn(format!("capabilities could not be read: {e}"), e.hint()),
    };
    let mut missing = Vec::new();
    for (path, need) in needs {
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

/// The lab's engine: mounted where the lab works, or at least available to mount; and
/// the plugin it needs, when that is not the engine itself (the database engine's
/// PostgreSQL plugin), in the catalog.
async fn engine_checks(vault: &VaultClient, engine: &EngineSpec, mount: &str) -> Vec<Check> {
    let name = engine.name;
    let (kind, plugin) = engine.catalog;
    let mounted = match vault.list_mounts().await {
        Ok(mounts) => match mounts.get(&format!("{mount}/")) {
            Some(m) if m.kind == engine.mount_type => Some(Check::pass(format!(
                "the {name} secrets engine is mounted at {mount}/"
            ))),
            Some(m) => {
                return vec![Check::fail(
                    format!(
                        "{mount}/ holds a {} engine, not {}",
                        m.kind, engine.mount_type
                    ),
                    "Disable it, or give the lab another mount path.",
                )];
            }
            None => None,
        },
        Err(e) => {
            return vec![Check::warn(
                format!("mounts could not be listed: {e}"),
                e.hint(),
            )];
        }
    };
    let is_mounted = mounted.is_some();
    if is_mounted && plugin == engine.mount_type {
        return mounted.into_iter().collect();
    }
    let available = match vault
        .read(&format!("sys/plugins/catalog/{kind}/{plugin}"))
        .await
    {
        Ok(_) if is_mounted => Check::pass(format!("{plugin} is in the server's plugin catalog")),
        Ok(_) if plugin == engine.mount_type => Check::pass(format!(
            "the {name} secrets engine is available; the lab mounts it at {mount}/"
        )),
        Ok(_) => Check::pass(format!(
            "the {name} secrets engine and its {plugin} are available; the lab mounts it at {mount}/"
        )),
        Err(VaultError::NotFound { .. }) => Check::fail(engine.missing.0, engine.missing.1),
        // The catalog is the root namespace's: a namespace's token (a room's seat) is not
        // let read it, and that says nothing about the engine. Step 1 tells.
        Err(VaultError::PermissionDenied { .. })
            if vault.config().namespace.is_some() && plugin == engine.mount_type =>
        {
            return mounted.into_iter().collect();
        }
        Err(e) => Check::warn(
            format!("whether {plugin} is available could not be read: {e}"),
            format!(
                "The lab's steps will tell: they fail with `plugin not found in the catalog: {plugin}` if it is missing."
            ),
        ),
    };
    mounted.into_iter().chain([available]).collect()
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

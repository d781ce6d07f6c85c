//! Vault paths the sandbox does not serve, told apart from paths Vault does not have: a
//! path Vault has answers 501 in the sandbox's own words; any other keeps Vault's 404.
//! The lists are Vault's own route patterns (`vault/logical_system_paths.go`, the token
//! store's paths), by their leading segments.

use super::http::Reply;

/// `sys/` routes Vault (or Vault Enterprise and OpenBao, for namespaces and quotas) has,
/// which the sandbox does not serve.
const SYS_PATHS: &[&str] = &[
    "activity",
    "audit",
    "audit-hash",
    "auth",
    "capabilities",
    "capabilities-accessor",
    "config/auditing",
    "config/cors",
    "config/group-policy-application",
    "config/reload",
    "config/state",
    "config/ui",
    "control-group",
    "decode-token",
    "experiments",
    "generate-recovery-token",
    "generate-root",
    "ha-status",
    "host-info",
    "in-flight-req",
    "internal",
    "key-status",
    "leases/tidy",
    "license",
    "locked-users",
    "loggers",
    "managed-keys",
    "metrics",
    "mfa",
    "monitor",
    "namespaces",
    "plugins",
    "policies",
    "policy",
    "pprof",
    "quotas",
    "raw",
    "rekey",
    "rekey-recovery-key",
    "remount",
    "replication",
    "rotate",
    "seal",
    "step-down",
    "storage",
    "sync",
    "tools",
    "unseal",
    "version-history",
    "wrapping",
];

/// `auth/token/` routes of Vault's token store besides `lookup-self`.
const TOKEN_PATHS: &[&str] = &[
    "accessors",
    "create",
    "create-orphan",
    "lookup",
    "lookup-accessor",
    "renew",
    "renew-accessor",
    "renew-self",
    "revoke",
    "revoke-accessor",
    "revoke-orphan",
    "revoke-self",
    "roles",
    "tidy",
];

/// Secrets engine types Vault has built in, besides `aws` (its plugin registry).
const SECRETS_ENGINES: &[&str] = &[
    "ad",
    "alicloud",
    "azure",
    "consul",
    "database",
    "gcp",
    "gcpkms",
    "generic",
    "kubernetes",
    "kv",
    "kv-v1",
    "kv-v2",
    "ldap",
    "mongodbatlas",
    "nomad",
    "openldap",
    "pki",
    "rabbitmq",
    "ssh",
    "terraform",
    "totp",
    "transit",
];

/// The answer to enabling a secrets engine type Vault has and the sandbox does not.
pub fn secrets_engine(kind: &str) -> Option<Reply> {
    SECRETS_ENGINES.contains(&kind).then(|| {
        Reply::not_implemented(format!(
            "vaultlab sandbox does not implement the {kind} secrets engine; it has only the aws engine"
        ))
    })
}

/// A request feature of Vault's HTTP layer the sandbox lacks: path help (`?help=1`, what
/// `vault path-help` asks for) and response wrapping (`X-Vault-Wrap-TTL`, `-wrap-ttl`).
/// Answering without them would hand back something the client did not ask for.
pub fn request_feature(query: Option<&str>, headers: &axum::http::HeaderMap) -> Option<Reply> {
    let help = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "help" && !v.is_empty())
    });
    if help {
        return Some(Reply::not_implemented(
            "vaultlab sandbox does not implement path help (help=1, vault path-help)",
        ));
    }
    if headers.contains_key("x-vault-wrap-ttl") {
        return Some(Reply::not_implemented(
            "vaultlab sandbox does not implement response wrapping (X-Vault-Wrap-TTL, -wrap-ttl)",
        ));
    }
    None
}

/// Whether `rest` is `route` or lies under it (segment-wise).
fn under(rest: &str, route: &str) -> bool {
    rest == route
        || rest
            .strip_prefix(route)
            .is_some_and(|tail| tail.starts_with('/'))
}

/// The answer for `sys/<rest>` when the sandbox has no handler for it.
pub fn sys(rest: &str) -> Reply {
    let rest = rest.trim_end_matches('/');
    match SYS_PATHS.iter().find(|route| under(rest, route)) {
        Some(route) => Reply::not_implemented(format!(
            "vaultlab sandbox does not implement sys/{route}; it serves sys/health, sys/init, \
             sys/seal-status, sys/leader, sys/mounts (and tune), sys/namespaces, \
             sys/policies/acl, sys/policy, sys/capabilities-self and sys/leases"
        )),
        None => Reply::unsupported_path(),
    }
}

/// The answer for `auth/token/<rest>` when the sandbox has no handler for it.
pub fn token(rest: &str) -> Reply {
    let rest = rest.trim_end_matches('/');
    match TOKEN_PATHS.iter().find(|route| under(rest, route)) {
        Some(route) => Reply::not_implemented(format!(
            "vaultlab sandbox does not implement auth/token/{route}; it serves \
             auth/token/create, create-orphan, lookup-self, lookup-accessor, renew-self, \
             revoke, revoke-self, revoke-orphan and revoke-accessor"
        )),
        None => Reply::unsupported_path(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn vaults_paths_are_named_and_others_keep_vaults_404() {
        let reply = sys("policy/default");
        assert_eq!(reply.status, StatusCode::NOT_IMPLEMENTED);
        assert!(
            reply.body.unwrap()["errors"][0]
                .as_str()
                .unwrap()
                .starts_with("vaultlab sandbox does not implement sys/policy;")
        );
        assert_eq!(sys("policyx").status, StatusCode::NOT_FOUND);
        assert_eq!(sys("nope").status, StatusCode::NOT_FOUND);
        assert_eq!(token("create").status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(token("roles/x").status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(token("nope").status, StatusCode::NOT_FOUND);
        assert!(secrets_engine("kv").is_some());
        assert!(secrets_engine("no-such-engine").is_none());
    }

    #[test]
    fn help_and_wrapping_are_named() {
        let mut headers = axum::http::HeaderMap::new();
        assert!(request_feature(Some("help=1"), &headers).is_some());
        assert!(request_feature(Some("list=true"), &headers).is_none());
        headers.insert("X-Vault-Wrap-TTL", "5m".parse().unwrap());
        assert!(request_feature(None, &headers).is_some());
    }
}

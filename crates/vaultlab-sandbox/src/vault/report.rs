//! Telling the event stream about each Vault request: method, path, status, the first error
//! in Vault's words, who asked (the root token, another token, nobody). Never the token or
//! a body; a path segment that looks like a token (Vault's old `auth/token/lookup/<token>`
//! form puts one there) is masked.

use std::time::Duration;

use axum::http::Method;

use super::VaultServer;
use super::http::Reply;
use super::namespace::NsRef;
use super::state::Lease;
use crate::events::{self, Client, Detail, LeaseChange, LeaseChangeKind, VaultCall};

impl VaultServer {
    pub(super) fn report(
        &self,
        method: &Method,
        ns: &NsRef,
        path: &str,
        token: Option<&str>,
        reply: &Reply,
        elapsed: Duration,
    ) {
        let client = match token {
            None => Client::Anonymous,
            Some(t) if self.is_root_token(Some(t)) => Client::Root,
            Some(_) => Client::Token,
        };
        let error = reply
            .body
            .as_ref()
            .and_then(|b| b.get("errors"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.as_str())
            .map(events::bounded_error);
        self.events.emit(Detail::Vault(VaultCall {
            namespace: ns.display().to_owned(),
            method: method.as_str().to_owned(),
            path: masked(path.trim_start_matches('/')),
            status: reply.status.as_u16(),
            duration_ms: events::millis(elapsed),
            client,
            error,
        }));
    }
}

impl VaultServer {
    /// Tells the event stream what happened to `lease`: its TTL from now when issued or
    /// renewed, the error when a revocation failed.
    pub(super) fn report_lease(&self, lease: &Lease, change: LeaseChangeKind, error: Option<&str>) {
        let ttl_seconds = matches!(change, LeaseChangeKind::Issued | LeaseChangeKind::Renewed)
            .then(|| (lease.expire_time - self.now()).num_seconds().max(0));
        self.events.emit(Detail::Lease(LeaseChange {
            namespace: lease.namespace.clone(),
            lease_id: lease.id.clone(),
            change,
            iam_user: Some(lease.username.clone()),
            ttl_seconds,
            error: error.map(events::bounded_error),
        }));
    }
}

/// Token prefixes Vault and OpenBao use (service, batch, recovery; old and new forms).
const TOKEN_PREFIXES: &[&str] = &["hvs.", "hvb.", "hvr.", "s.", "b.", "r."];

/// `path` with each segment that looks like a token replaced by `<token>`.
fn masked(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let looks_like_token = TOKEN_PREFIXES.iter().any(|p| {
                segment
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.len() >= 20 && !rest.contains(['/', ' ']))
            });
            if looks_like_token { "<token>" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_in_a_path_is_masked_and_nothing_else() {
        assert_eq!(
            masked("auth/token/lookup/s.Yw3H50vXfFSMcFXkiANOA6U9.DOXSrE"),
            "auth/token/lookup/<token>"
        );
        assert_eq!(
            masked("auth/token/lookup/hvs.CAESIJ8xQ2abcdefghijklmnop"),
            "auth/token/lookup/<token>"
        );
        for kept in [
            "aws/creds/my-role",
            "sys/leases/lookup/aws/creds/my-role/m2P0PgrncYiRG97ktVHawMrB.DOXSrE",
            "sys/mounts/s.short",
        ] {
            assert_eq!(masked(kept), kept);
        }
    }
}

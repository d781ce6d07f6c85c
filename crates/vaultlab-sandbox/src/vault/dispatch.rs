//! One request, from its path to its handler, in OpenBao's order: the namespace (header,
//! then path prefix) and its lock; `sys/` paths only the root namespace serves; Vault's own
//! unauthenticated handlers; the token (the root token may do anything anywhere; another
//! token what its policies allow, in its namespace and those below it); a room seat's
//! steps the facilitator holds (`room::hold`); then the route.
//!
//! Two kinds of request are moved to another namespace before the token is checked, as
//! OpenBao moves them: `auth/token/*-self` to the token's own, and a lease lookup, renewal
//! or revocation to the namespace its lease id's suffix names.

use axum::http::StatusCode;

use super::http::{Operation, Reply, VaultRequest};
use super::namespace::{self, NsRef};
use super::token_revoke::Children;
use super::tokens::{self, TokenEntry};
use super::{VaultServer, acl, auth, namespace_lock, not_implemented, sys};

/// `sys/` paths refused with any `X-Vault-Namespace` header (OpenBao's HTTP layer).
const HTTP_ROOT_ONLY: &[&str] = &[
    "raw",
    "generate-recovery-token",
    "init",
    "seal",
    "step-down",
    "unseal",
    "health",
    "rekey-recovery-key",
    "rekey",
    "storage",
    "generate-root",
    "metrics",
    "pprof",
    "in-flight-req",
];

/// `sys/` paths only the root namespace serves (OpenBao's logical layer), besides those.
const LOGICAL_ROOT_ONLY: &[&str] = &[
    "audit",
    "audit-hash",
    "config/auditing",
    "config/cors",
    "config/reload",
    "config/state",
    "config/ui",
    "host-info",
    "internal/counters",
    "internal/inspect/router",
    "loggers",
    "mfa/method",
    "monitor",
    "quotas",
    "replication",
    "sealwrap/rewrap",
    "sync/config",
];

fn sys_head_in(path: &str, list: &[&str]) -> bool {
    let Some(rest) = path.strip_prefix("sys/") else {
        return false;
    };
    list.iter().any(|p| {
        rest == *p || rest.starts_with(&format!("{p}/")) || rest == format!("{p}/").as_str()
    })
}

/// An ACL refusal (a valid token without the capability), in OpenBao's multierror form.
pub fn acl_denied() -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "1 error occurred:\n\t* permission denied\n\n",
    )
}

/// Who made a request.
enum Caller {
    Root,
    Token(Box<TokenEntry>),
}

impl VaultServer {
    /// Handles one parsed request (the router's work, callable directly in tests).
    pub async fn handle(&self, req: VaultRequest) -> Reply {
        self.handle_in(req).await.0
    }

    /// The same, and the namespace that served it.
    pub async fn handle_in(&self, mut req: VaultRequest) -> (Reply, NsRef) {
        let header = req
            .namespace_header
            .as_deref()
            .map(namespace::canonical_header)
            .unwrap_or_default();
        let header_sent = req
            .namespace_header
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty());
        if header_sent && sys_head_in(&req.path, HTTP_ROOT_ONLY) {
            return (
                Reply::bad_request("operation unavailable in namespaces"),
                NsRef::root(),
            );
        }
        let resolved = {
            let state = self.lock();
            namespace::resolve(&state.namespaces, &header, &req.path).and_then(|(ns, rest)| {
                // A locked namespace (or one under it) answers nothing, token or not.
                match namespace_lock::refusal(|p| state.namespaces.get(p), &ns.path, &rest) {
                    Some(locked) => Err(locked),
                    // One being deleted answers nothing, as OpenBao's router.
                    None if state.namespaces.get(&ns.path).is_some_and(|n| n.tainted) => {
                        Err(super::namespace_delete::tainted_refusal(&rest, &ns.path))
                    }
                    None => Ok((ns, rest)),
                }
            })
        };
        let (ns, rest) = match resolved {
            Ok(found) => found,
            Err(reply) => return (reply, NsRef::root()),
        };
        // Only a namespace takes a patch here, only the namespaces a scan; anywhere else
        // Vault's router refuses the operation before it looks at the token.
        let taken = match req.operation {
            Operation::Patch => takes_a_patch(&rest),
            Operation::Scan => rest.trim_end_matches('/') == "sys/namespaces",
            _ => true,
        };
        if !taken {
            return (Reply::unsupported_operation(), ns);
        }
        req.prefixed = ns.path.len() > header.len();
        req.path = rest;
        req.ns = ns;
        let reply = self.handle_resolved(req.clone()).await;
        (reply, req.ns)
    }

    async fn handle_resolved(&self, mut req: VaultRequest) -> Reply {
        let reads = req.operation == Operation::Read;
        if !req.ns.is_root() {
            // What a namespace answers as the root does.
            match req.path.trim_end_matches('/') {
                "sys/seal-status" if reads => return self.seal_status(),
                "sys/leader" if reads => return sys::leader(),
                _ => {}
            }
            if sys_head_in(&req.path, HTTP_ROOT_ONLY) || sys_head_in(&req.path, LOGICAL_ROOT_ONLY) {
                return Reply::bad_request("operation only available in root namespace");
            }
        }
        // Vault's own HTTP handlers, served without a token; each answers only GET (and
        // sys/health HEAD, sys/init PUT/POST) and 405 `{"errors":[]}` to anything else.
        match req.path.as_str() {
            "sys/health" => {
                return if reads {
                    self.health(&req)
                } else {
                    Reply::method_not_allowed()
                };
            }
            "sys/seal-status" => {
                return if reads {
                    self.seal_status()
                } else {
                    Reply::method_not_allowed()
                };
            }
            // `vault status` asks for it.
            "sys/leader" => {
                return if reads {
                    sys::leader()
                } else {
                    Reply::method_not_allowed()
                };
            }
            "sys/init" => return sys::init(&req),
            _ => {}
        }
        // Vault refuses a write to a path ending in '/' before it looks at the token.
        if matches!(req.operation, Operation::Update | Operation::Patch) && req.path.ends_with('/')
        {
            return Reply::bad_request("cannot write to a path ending in '/'");
        }
        let caller = match self.caller(req.token.as_deref()) {
            Some(caller) => caller,
            None => return Reply::permission_denied(),
        };
        if let Caller::Token(entry) = &caller
            && is_self_path(&req.path)
        {
            match self.ns_ref(&entry.namespace) {
                Some(own) => req.ns = own,
                None => return Reply::permission_denied(),
            }
        }
        if let Some(owner) = self.lease_owner(&req) {
            req.ns = owner;
        }
        if let Caller::Token(entry) = &caller
            && !self.allowed(entry, &req)
        {
            return acl_denied();
        }
        // The facilitator's pace: beside the ACL, in the same place (see room::hold).
        if let Caller::Token(entry) = &caller
            && let Some(held) = self.pace_hold(&entry.namespace, &req)
        {
            return held;
        }
        self.route(&req, &caller).await
    }

    async fn route(&self, req: &VaultRequest, caller: &Caller) -> Reply {
        if req.path.trim_end_matches('/') == "sys" || req.path.starts_with("sys/") {
            let rest = req.path.strip_prefix("sys/").unwrap_or("");
            return self.sys_route(req, rest).await;
        }
        if let Some(rest) = req.path.strip_prefix("auth/token/") {
            if let Some(reply) = self.token_revoke_route(req, rest.trim_end_matches('/')) {
                return reply;
            }
            return match (rest.trim_end_matches('/'), caller) {
                ("lookup-self", Caller::Root) => {
                    self.lookup_self(req).warn_ignored(req, &["token"])
                }
                ("lookup-self", Caller::Token(entry)) => self.token_lookup_self(req, entry),
                ("create" | "create-orphan", Caller::Root) => self.token_create(req, rest, None),
                ("create" | "create-orphan", Caller::Token(entry)) => {
                    self.token_create(req, rest, Some(entry))
                }
                ("renew-self", Caller::Root) => Reply::bad_request("lease is not renewable"),
                ("renew-self", Caller::Token(entry)) => self.token_renew_self(req, entry),
                ("revoke-self", Caller::Token(_)) => self.token_revoke_self(req),
                ("revoke-self", Caller::Root) => Reply::not_implemented(
                    "vaultlab sandbox keeps its one root token: it is not revoked",
                ),
                (other, _)
                    if other == "lookup-accessor" || other.starts_with("lookup-accessor/") =>
                {
                    let tail = other.strip_prefix("lookup-accessor").unwrap_or("");
                    self.token_lookup_accessor(req, tail.trim_start_matches('/'))
                }
                (other, _) => not_implemented::token(other),
            };
        }
        let probe = format!("{}/", req.path);
        let mount = {
            let state = self.lock();
            state
                .mounts
                .values()
                .filter(|m| m.namespace == req.ns.path && probe.starts_with(&m.path))
                .max_by_key(|m| m.path.len())
                .map(|m| (m.path.clone(), m.mount_type.clone()))
        };
        match mount {
            Some((mount, kind)) if kind == "aws" => {
                let rest = req.path.get(mount.len()..).unwrap_or("").to_owned();
                self.aws_route(&req.ns.key(&mount), &rest, req).await
            }
            // cubbyhole/ and identity/ are listed, as in every Vault, but not served.
            Some((_, kind)) => Reply::not_implemented(format!(
                "vaultlab sandbox does not implement the {kind} secrets engine; it has only the aws engine"
            )),
            None => Reply::no_handler(&req.path),
        }
    }

    fn caller(&self, token: Option<&str>) -> Option<Caller> {
        let token = token?;
        if auth::is_root(Some(token), &self.root_token()) {
            return Some(Caller::Root);
        }
        let now = self.now();
        let key = tokens::key(token);
        let (entry, dead) = {
            let state = self.lock();
            let entry = state.tokens.get(&key)?.clone();
            // As Vault's lookup: a token past its TTL, or whose parent is gone or past its
            // own, is no token; it goes, with its children and leases.
            let parent_gone = entry.parent.as_ref().is_some_and(|parent| {
                state
                    .tokens
                    .get(parent)
                    .is_none_or(|parent| parent.expired(now))
            });
            let dead = entry.expired(now) || parent_gone;
            (entry, dead)
        };
        if dead {
            self.revoke_token(&key, Children::Revoke);
            return None;
        }
        Some(Caller::Token(Box::new(entry)))
    }

    /// The namespace at `path` (`""`: the root), if it still exists.
    pub(super) fn ns_ref(&self, path: &str) -> Option<NsRef> {
        if path.is_empty() {
            return Some(NsRef::root());
        }
        self.lock().namespaces.get(path).map(NsRef::of)
    }

    /// For a lease lookup, renewal or revocation whose id has a namespace's suffix: that
    /// namespace.
    fn lease_owner(&self, req: &VaultRequest) -> Option<NsRef> {
        let rest = req.path.strip_prefix("sys/")?;
        let rest = rest.strip_prefix("leases/").unwrap_or(rest);
        let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if !matches!(head, "lookup" | "renew" | "revoke") || req.operation != Operation::Update {
            return None;
        }
        if head == "lookup" && !tail.is_empty() {
            return None;
        }
        let id = req
            .str_field("lease_id")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| tail.to_owned());
        let state = self.lock();
        namespace::by_suffix(&state.namespaces, &id).map(NsRef::of)
    }

    /// Whether `entry`'s policies allow the request.
    fn allowed(&self, entry: &TokenEntry, req: &VaultRequest) -> bool {
        let Some(relative) = acl::relative_to(&entry.namespace, &req.ns.path, &req.path) else {
            return false;
        };
        let state = self.lock();
        let policies: Vec<&acl::Policy> = entry
            .policies
            .iter()
            .filter_map(|name| state.policies.get(&format!("{}{name}", entry.namespace)))
            .collect();
        let acl = acl::Acl::new(policies);
        acl.allows(&relative, req.operation, acl::needs_sudo(&req.path))
    }
}

impl VaultServer {
    /// Whether the token `entry` (`None`: the root token) has `sudo` on the request's path,
    /// as Vault's `SudoPrivilege` tells a backend that checks it itself: the rule of its
    /// policies that matches the path grants the capability, whatever the operation.
    pub(super) fn has_sudo(&self, entry: Option<&TokenEntry>, req: &VaultRequest) -> bool {
        let Some(entry) = entry else {
            return true;
        };
        let Some(relative) = acl::relative_to(&entry.namespace, &req.ns.path, &req.path) else {
            return false;
        };
        let state = self.lock();
        let policies: Vec<&acl::Policy> = entry
            .policies
            .iter()
            .filter_map(|name| state.policies.get(&format!("{}{name}", entry.namespace)))
            .collect();
        acl::Acl::new(policies)
            .describe(&relative)
            .iter()
            .any(|c| c == "sudo")
    }

    /// Whether the caller of `req` has `sudo` on its path (see [`Self::has_sudo`]).
    pub(super) fn caller_has_sudo(&self, req: &VaultRequest) -> bool {
        match self.caller(req.token.as_deref()) {
            Some(Caller::Root) => true,
            Some(Caller::Token(entry)) => self.has_sudo(Some(&entry), req),
            None => false,
        }
    }
}

impl VaultServer {
    /// What `sys/capabilities-self` answers for `path` (relative to the request's
    /// namespace): `["root"]` for the root token, else what the token's policies give.
    pub(super) fn capabilities_of(&self, req: &VaultRequest, path: &str) -> Vec<String> {
        let entry = match self.caller(req.token.as_deref()) {
            Some(Caller::Root) => return vec!["root".to_owned()],
            Some(Caller::Token(entry)) => entry,
            None => return vec!["deny".to_owned()],
        };
        let Some(relative) = acl::relative_to(&entry.namespace, &req.ns.path, path) else {
            return vec!["deny".to_owned()];
        };
        let state = self.lock();
        let policies: Vec<&acl::Policy> = entry
            .policies
            .iter()
            .filter_map(|name| state.policies.get(&format!("{}{name}", entry.namespace)))
            .collect();
        acl::Acl::new(policies).describe(&relative)
    }
}

/// `sys/namespaces/<name>` (and `sys/namespaces/`, refused later for its slash).
fn takes_a_patch(path: &str) -> bool {
    path.strip_prefix("sys/namespaces/").is_some()
}

fn is_self_path(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "auth/token/lookup-self" | "auth/token/renew-self" | "auth/token/revoke-self"
    )
}

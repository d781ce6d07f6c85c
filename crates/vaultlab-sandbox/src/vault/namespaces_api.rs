//! `sys/namespaces` (create, read, list, scan, patch, delete; locks are `namespace_lock`)
//! and the token endpoints a namespace needs (`auth/token/create`, `lookup-self` of a token
//! other than the root token; the other `-self` paths are `token_self`), with OpenBao
//! 2.7's answers and words.
//!
//! Deleting a namespace is `namespace_delete`.

use serde_json::{Map, Value, json};

use super::VaultServer;
use super::http::{Operation, Reply, VaultRequest};
use super::namespace::{self, Namespace, NsRef};
use super::tokens::{self, NewToken, TokenEntry};
use super::{acl, duration, sys};

/// The most namespaces a server holds: a room's seats, with room to spare.
pub const MAX_NAMESPACES: usize = 2000;
/// The most tokens other than the root token (expired ones are dropped first).
pub const MAX_TOKENS: usize = 20_000;

impl VaultServer {
    pub(super) async fn namespaces_route(&self, req: &VaultRequest, rest: &str) -> Reply {
        let name = rest
            .strip_prefix("namespaces")
            .unwrap_or("")
            .trim_start_matches('/');
        if name.is_empty() {
            return match req.operation {
                Operation::Scan => self.namespaces_list(req, true),
                Operation::List => self.namespaces_list(req, false),
                _ => Reply::unsupported_operation(),
            };
        }
        if let Some(rest) = name.strip_prefix("api-lock/") {
            return self.namespace_api_lock(req, rest);
        }
        let bare = name.strip_suffix('/').unwrap_or(name);
        if bare.contains('/') {
            return Reply::bad_request("namespace name cannot contain /");
        }
        let path = req.ns.key(&format!("{bare}/"));
        match req.operation {
            Operation::List | Operation::Scan => Reply::unsupported_operation(),
            Operation::Patch => self
                .namespace_patch(req, &path)
                .warn_ignored(req, &["custom_metadata"]),
            Operation::Read => match self.lock().namespaces.get(&path) {
                Some(ns) => Reply::data(ns.json()),
                None => Reply::not_found_empty(),
            },
            Operation::Update => self.namespace_write(req, bare, &path),
            Operation::Delete => self.namespace_delete(&path),
        }
    }

    fn namespaces_list(&self, req: &VaultRequest, scan: bool) -> Reply {
        let state = self.lock();
        let mut keys = Vec::new();
        let mut info = Map::new();
        for (path, ns) in state.namespaces.with_prefix(req.ns.path.clone()) {
            let relative = &path[req.ns.path.len()..];
            // A direct child has one segment (and its trailing slash).
            if relative.is_empty() || (!scan && relative.trim_end_matches('/').contains('/')) {
                continue;
            }
            keys.push(relative.to_owned());
            info.insert(relative.to_owned(), ns.json());
        }
        // An empty list is Vault's 404; an empty scan is OpenBao's 200 with no keys.
        if keys.is_empty() {
            return match scan {
                true => Reply::data(json!({})),
                false => Reply::not_found_empty(),
            };
        }
        Reply::data(json!({ "keys": keys, "key_info": info }))
    }

    fn namespace_write(&self, req: &VaultRequest, name: &str, path: &str) -> Reply {
        if let Err(e) = namespace::check_name(name) {
            return Reply::bad_request(e);
        }
        let metadata = match req.data.get("custom_metadata") {
            None | Some(Value::Null) => Default::default(),
            Some(Value::Object(map)) => {
                let mut out = std::collections::BTreeMap::new();
                for (k, v) in map {
                    let Value::String(v) = v else {
                        return Reply::bad_request("custom_metadata values must be strings");
                    };
                    out.insert(k.clone(), v.clone());
                }
                out
            }
            Some(_) => return Reply::bad_request("custom_metadata values must be strings"),
        };
        let json = {
            let mut state = self.lock();
            let mount = format!("{name}/");
            if state
                .mounts
                .values()
                .any(|m| m.namespace == req.ns.path && m.path == mount)
            {
                return Reply::bad_request(format!(
                    "new namespace conflicts with existing mount: {mount}"
                ));
            }
            if let Some(existing) = state.namespaces.get_mut(path) {
                if existing.tainted {
                    return Reply::bad_request(
                        "namespace with that name exists and is currently tainted",
                    );
                }
                existing.custom_metadata = metadata;
                existing.json()
            } else {
                if state.namespaces.len() >= MAX_NAMESPACES {
                    return Reply::bad_request(format!(
                        "vaultlab sandbox holds at most {MAX_NAMESPACES} namespaces"
                    ));
                }
                let mut ns = Namespace::new(path, &state.namespaces);
                ns.custom_metadata = metadata;
                let made = NsRef::of(&ns);
                let json = ns.json();
                state.namespaces.insert(path.to_owned(), ns);
                sys::ensure_builtin_mounts(&mut state.mounts, &made);
                acl::ensure_default_policy(&mut state.policies, path);
                json
            }
        };
        self.changed();
        Reply::data(json)
    }

    /// `PATCH sys/namespaces/<name>`: a JSON merge patch of `custom_metadata` (a null
    /// value removes a key, a null `custom_metadata` clears it), as OpenBao words it.
    fn namespace_patch(&self, req: &VaultRequest, path: &str) -> Reply {
        let patch = match req.data.get("custom_metadata") {
            None => Some(Map::new()),
            Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(other) => {
                return Reply::bad_request(format!(
                    "Field validation failed: error converting input for field \"custom_metadata\": '' expected type 'map[string]interface {{}}', got unconvertible type '{}'",
                    super::http::go_type(other)
                ));
            }
        };
        if let Some(bad) = patch
            .iter()
            .flat_map(|map| map.values())
            .find(|v| !matches!(v, Value::String(_) | Value::Null))
        {
            let kind = match bad {
                Value::Number(_) => "json.Number",
                other => super::http::go_type(other),
            };
            return Reply::bad_request(format!(
                "metadata patch can only have string or null values, got {kind}"
            ));
        }
        let json = {
            let mut state = self.lock();
            let Some(ns) = state.namespaces.get_mut(path) else {
                return Reply::bad_request("namespace not found");
            };
            if ns.tainted {
                return Reply::bad_request(
                    "namespace with that name exists and is currently tainted",
                );
            }
            match patch {
                None => ns.custom_metadata.clear(),
                Some(map) => {
                    for (key, value) in map {
                        match value {
                            Value::String(v) => ns.custom_metadata.insert(key, v),
                            _ => ns.custom_metadata.remove(&key),
                        };
                    }
                }
            }
            ns.json()
        };
        self.changed();
        Reply::data(json)
    }

    /// `auth/token/create` and `create-orphan`, in the request's namespace. `parent` is
    /// the calling token (`None`: the root token).
    pub(super) fn token_create(
        &self,
        req: &VaultRequest,
        rest: &str,
        parent: Option<&TokenEntry>,
    ) -> Reply {
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        // Refused by Vault's framework before the handler, as every malformed field.
        let no_parent = match req.bool_field("no_parent") {
            Ok(b) => b,
            Err(reply) => return reply,
        };
        let mut policies = match string_list(req.data.get("policies")) {
            Ok(p) => p,
            Err(e) => return Reply::bad_request(e),
        };
        if policies.iter().any(|p| p == "root") {
            return if req.ns.is_root() {
                Reply::not_implemented(
                    "vaultlab sandbox has one root token; it makes tokens with policies only",
                )
            } else {
                Reply::bad_request("root tokens may not be created from a parent namespace")
            };
        }
        let no_default = match req.bool_field("no_default_policy") {
            Ok(b) => b,
            Err(reply) => return reply,
        };
        if !no_default && !policies.iter().any(|p| p == "default") {
            policies.push("default".into());
        }
        policies.sort();
        policies.dedup();
        // As OpenBao's handleCreateCommon: sudo on this path lets a token give policies it
        // lacks, and make an orphan with `no_parent` (`create-orphan` is ACL'd by its path).
        let sudo = self.has_sudo(parent, req);
        if let Some(parent) = parent
            && !sudo
            && !policies.iter().all(|p| parent.policies.contains(p))
        {
            return Reply::bad_request("child policies must be subset of parent");
        }
        if no_parent && !sudo {
            return Reply::bad_request("root or sudo privileges required to create orphan token");
        }
        let ttl = match req.data.get("ttl") {
            None | Some(Value::Null) => super::leases::SYSTEM_MAX_TTL,
            Some(v) => match duration::parse_duration_second(v) {
                Ok(n) if n > 0 => n,
                Ok(_) => super::leases::SYSTEM_MAX_TTL,
                Err(e) => return Reply::bad_request(super::http::field_error(v, "ttl", &e)),
            },
        };
        let display_name = match req.str_field("display_name") {
            Some(name) if !name.is_empty() => format!("token-{name}"),
            _ => "token".to_owned(),
        };
        let meta = match req.data.get("meta") {
            Some(Value::Object(m)) => Some(m.clone()),
            _ => None,
        };
        // As in Vault, a token the root token makes is its child (not an orphan); the
        // root token is never revoked, so no link to it is kept.
        let orphan = rest.trim_end_matches('/') == "create-orphan" || no_parent;
        // A child token goes with its parent when the parent is revoked.
        let parent_key = match parent {
            Some(_) if !orphan => req.token.as_deref().map(tokens::key),
            _ => None,
        };
        let now = self.now();
        let (token, entry, warnings, queued) = {
            let mut state = self.lock();
            let mut queued = Vec::new();
            if state.tokens.len() >= MAX_TOKENS {
                // Room made as the expiry worker would (it may be busy revoking leases):
                // each expired token revoked with its children, its leases queued.
                let expired: Vec<String> = state
                    .tokens
                    .iter()
                    .filter(|(_, t)| t.expired(now))
                    .map(|(k, _)| k.clone())
                    .collect();
                queued = super::token_revoke::revoke_tokens_in(
                    &mut state,
                    &expired,
                    super::token_revoke::Children::Revoke,
                    now,
                );
                if state.tokens.len() >= MAX_TOKENS {
                    drop(state);
                    self.revoked_tokens(&queued);
                    return Reply::bad_request(format!(
                        "vaultlab sandbox holds at most {MAX_TOKENS} tokens"
                    ));
                }
            }
            let warnings: Vec<String> = policies
                .iter()
                .filter(|p| !state.policies.contains_key(&req.ns.key(p)))
                .map(|p| format!("Policy {p:?} does not exist"))
                .collect();
            let (token, entry) = tokens::mint(
                NewToken {
                    namespace: &req.ns,
                    policies,
                    ttl,
                    display_name,
                    orphan,
                    parent: parent_key,
                    meta,
                },
                now,
            );
            state.insert_token(tokens::key(&token), entry.clone());
            (token, entry, warnings, queued)
        };
        self.revoked_tokens(&queued);
        let warnings = (!warnings.is_empty()).then_some(warnings);
        Reply::auth(entry.auth_json(&token), warnings)
    }

    pub(super) fn token_lookup_self(&self, req: &VaultRequest, entry: &TokenEntry) -> Reply {
        if !matches!(req.operation, Operation::Read | Operation::Update) {
            return Reply::unsupported_operation();
        }
        let token = req.token.clone().unwrap_or_default();
        Reply::data(entry.lookup_json(&token, self.now()))
    }
}

/// Vault's comma-separated string slice: a list of strings, or one string with commas.
fn string_list(value: Option<&Value>) -> Result<Vec<String>, String> {
    let items: Vec<String> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("policies must be strings, not {other}")),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("policies must be a list of strings, not {other}")),
    };
    Ok(items
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

/// What the room asks of the Vault side for its seats.
impl VaultServer {
    /// The namespace at `path` (`room/ada/`), made (with its parents) if missing.
    pub fn ensure_namespace(&self, path: &str) -> Result<NsRef, String> {
        let mut made = NsRef::root();
        let mut at = String::new();
        for segment in path.trim_end_matches('/').split('/') {
            namespace::check_name(segment)?;
            at.push_str(segment);
            at.push('/');
            let mut state = self.lock();
            if let Some(ns) = state.namespaces.get(&at) {
                if ns.tainted {
                    return Err(format!("namespace {at:?} is being deleted"));
                }
                made = NsRef::of(ns);
                continue;
            }
            if state.namespaces.len() >= MAX_NAMESPACES {
                return Err(format!(
                    "vaultlab sandbox holds at most {MAX_NAMESPACES} namespaces"
                ));
            }
            let ns = Namespace::new(&at, &state.namespaces);
            made = NsRef::of(&ns);
            state.namespaces.insert(at.clone(), ns);
            sys::ensure_builtin_mounts(&mut state.mounts, &made);
            acl::ensure_default_policy(&mut state.policies, &at);
        }
        self.changed();
        Ok(made)
    }

    /// Writes the policy `name` in `ns`.
    pub fn put_policy(&self, ns: &NsRef, name: &str, text: &str) -> Result<(), String> {
        let policy = acl::Policy::new(name, text)?;
        self.lock().policies.insert(ns.key(name), policy);
        self.changed();
        Ok(())
    }

    /// A new token in `ns` with `policies` (and `default`), valid for `ttl` seconds.
    pub fn issue_token(&self, ns: &NsRef, policies: &[&str], ttl: i64, name: &str) -> String {
        let mut policies: Vec<String> = policies.iter().map(|p| (*p).to_owned()).collect();
        policies.push("default".into());
        policies.sort();
        policies.dedup();
        let (token, entry) = tokens::mint(
            NewToken {
                namespace: ns,
                policies,
                ttl,
                display_name: format!("token-{name}"),
                orphan: true,
                parent: None,
                meta: None,
            },
            self.now(),
        );
        self.lock().insert_token(tokens::key(&token), entry);
        self.changed();
        token
    }

    /// Whether `token` is a live token of the namespace at `path`.
    pub fn token_in(&self, token: &str, path: &str) -> bool {
        let now = self.now();
        self.lock()
            .tokens
            .get(&tokens::key(token))
            .is_some_and(|t| t.namespace == path && !t.expired(now))
    }

    /// Waits until what was changed is kept (at once without a state file).
    pub async fn kept_now(&self) -> Result<(), String> {
        self.kept().await.map_err(|e| e.to_string())
    }
}

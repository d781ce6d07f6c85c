//! `sys/policies/acl[/NAME]` and the older `sys/policy[/NAME]`, per namespace: list, read,
//! write and delete ACL policies, in Vault's shapes and words.

use serde_json::json;

use super::{MAX_POLICIES, MAX_POLICY_BYTES, Policy};
use crate::vault::VaultServer;
use crate::vault::http::{Operation, Reply, VaultRequest};

impl VaultServer {
    /// Routes `sys/policies/acl…` and `sys/policy…`; `None` if `rest` is neither.
    pub(in crate::vault) fn policy_route(&self, req: &VaultRequest, rest: &str) -> Option<Reply> {
        let (legacy, name) = if let Some(tail) = rest.strip_prefix("policies/acl") {
            (false, tail)
        } else if let Some(tail) = rest.strip_prefix("policy") {
            (true, tail)
        } else {
            return None;
        };
        if !(name.is_empty() || name.starts_with('/')) {
            return None;
        }
        let name = name.trim_matches('/');
        let listing = req.operation == Operation::List;
        Some(match (name, req.operation) {
            ("", Operation::Read) if legacy => self.policy_names(req, true),
            ("", _) if listing => self.policy_names(req, false),
            ("", _) => Reply::unsupported_operation(),
            (_, Operation::Read) => self.policy_read(req, name, legacy),
            (_, Operation::Update) => self.policy_write(req, name, legacy),
            (_, Operation::Delete) => self.policy_delete(req, name),
            (_, Operation::List | Operation::Patch | Operation::Scan) => {
                Reply::unsupported_operation()
            }
        })
    }

    fn policy_names(&self, req: &VaultRequest, legacy: bool) -> Reply {
        let state = self.lock();
        let mut names: Vec<String> = state
            .policies
            .with_prefix(req.ns.path.clone())
            .map(|(k, _)| k[req.ns.path.len()..].to_owned())
            .filter(|n| !n.contains('/'))
            .collect();
        if req.ns.is_root() {
            names.push("root".into());
            names.sort();
        }
        if legacy {
            req.data_reply(json!({ "keys": names, "policies": names }))
        } else {
            Reply::data(json!({ "keys": names }))
        }
    }

    fn policy_read(&self, req: &VaultRequest, name: &str, legacy: bool) -> Reply {
        let state = self.lock();
        let Some(policy) = state.policies.get(&req.ns.key(name)) else {
            return Reply::not_found_empty();
        };
        if legacy {
            req.data_reply(json!({ "name": name, "rules": policy.text }))
        } else {
            Reply::data(json!({ "name": name, "policy": policy.text }))
        }
    }

    fn policy_write(&self, req: &VaultRequest, name: &str, legacy: bool) -> Reply {
        if name == "root" {
            return Reply::bad_request("cannot update \"root\" policy");
        }
        let field = if legacy && req.data.contains_key("rules") {
            "rules"
        } else {
            "policy"
        };
        let text = req.str_field(field).unwrap_or_default();
        if text.trim().is_empty() {
            return Reply::bad_request("'policy' parameter not supplied or empty");
        }
        if text.len() > MAX_POLICY_BYTES {
            return Reply::bad_request(format!(
                "vaultlab sandbox takes policies of at most {MAX_POLICY_BYTES} bytes"
            ));
        }
        let policy = match Policy::new(name, &text) {
            Ok(p) => p,
            Err(e) => return Reply::bad_request(format!("failed to parse policy: {e}")),
        };
        {
            let mut state = self.lock();
            let key = req.ns.key(name);
            let count = state.policies.with_prefix(req.ns.path.clone()).count();
            if !state.policies.contains_key(&key) && count >= MAX_POLICIES {
                return Reply::bad_request(format!(
                    "vaultlab sandbox holds at most {MAX_POLICIES} policies a namespace"
                ));
            }
            state.policies.insert(key, policy);
        }
        self.changed();
        Reply::no_content()
    }

    fn policy_delete(&self, req: &VaultRequest, name: &str) -> Reply {
        if name == "root" || name == "default" {
            return Reply::bad_request(format!("cannot delete {name:?} policy"));
        }
        self.lock().policies.remove(&req.ns.key(name));
        self.changed();
        Reply::no_content()
    }
}

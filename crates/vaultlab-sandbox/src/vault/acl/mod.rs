//! ACL policies and their check, as Vault's `acl.go` does it: a token's policies (those of
//! its namespace) decide what it may do on a path. A request path matches the policies'
//! rules exactly first; else the most specific glob (`kv/*`) or segment wildcard
//! (`+/kv/*`) rule wins, by Vault's priority order; `deny` wins over everything; some
//! paths also need `sudo`. Rules are relative to the policy's namespace, so a token's
//! policies reach its own namespace and its children, never a parent or a sibling.
//!
//! `parse` reads policy texts; `api` serves `sys/policies/acl` and `sys/policy`.

pub mod api;

pub mod parse;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::http::Operation;

/// Vault's `default` policy, as every new namespace gets it (OpenBao 2.7's text).
pub const DEFAULT_POLICY: &str = include_str!("default_policy.hcl");

/// The most policies a namespace holds.
pub const MAX_POLICIES: usize = 64;
/// The longest policy text, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 << 10;

/// A policy: its text as written, and the rules read from it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Policy {
    pub name: String,
    pub text: String,
    pub rules: Vec<PathRule>,
}

impl Policy {
    pub fn new(name: &str, text: &str) -> Result<Self, String> {
        Ok(Self {
            name: name.to_owned(),
            text: text.to_owned(),
            rules: parse::parse(text)?,
        })
    }

    pub fn default_policy() -> Self {
        Self::new("default", DEFAULT_POLICY).expect("the default policy reads")
    }
}

/// Gives the namespace at `ns_path` its `default` policy if it has none.
pub fn ensure_default_policy(policies: &mut crate::persist::TrackedMap<Policy>, ns_path: &str) {
    let key = format!("{ns_path}default");
    if !policies.contains_key(&key) {
        policies.insert(key, Policy::default_policy());
    }
}

/// One `path "…" { capabilities = […] }` block.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathRule {
    pub path: String,
    /// Sorted.
    pub capabilities: Vec<String>,
}

/// Paths (relative to a namespace) that need `sudo` besides their capability: Vault's
/// "root paths" of its system backend and token store. A path ending in `*` covers
/// everything under it.
const SUDO_PATHS: &[&str] = &[
    "sys/leases/lookup/*",
    "sys/leases/revoke-prefix/*",
    "sys/leases/revoke-force/*",
    "sys/revoke-prefix/*",
    "sys/revoke-force/*",
    "sys/auth/*",
    "sys/audit",
    "sys/audit/*",
    "sys/raw*",
    "sys/rotate",
    "sys/plugins/catalog/*",
    "sys/config/cors",
    "sys/config/auditing/*",
    "auth/token/accessors*",
    // OpenBao's `revoke-orphan/*`: the path itself is not one; its handler checks sudo.
    "auth/token/revoke-orphan/*",
];

/// Whether `path` needs `sudo`.
pub fn needs_sudo(path: &str) -> bool {
    SUDO_PATHS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == *p,
    })
}

/// The capability an operation needs.
fn wanted(operation: Operation) -> &'static [&'static str] {
    match operation {
        Operation::Read => &["read"],
        Operation::List => &["list"],
        // Vault needs `create` to write something new and `update` to change it, as the
        // backend's existence check tells; the sandbox takes either for any write.
        Operation::Update => &["create", "update"],
        Operation::Delete => &["delete"],
        Operation::Patch => &["patch"],
        Operation::Scan => &["scan"],
    }
}

/// The rules of a token's policies, merged.
pub struct Acl<'a> {
    rules: Vec<&'a PathRule>,
}

/// A rule that matched, with what Vault orders glob and wildcard matches by.
struct Candidate<'a> {
    rule: &'a str,
    first_wildcard: usize,
    is_prefix: bool,
    wildcards: usize,
}

impl Candidate<'_> {
    fn of(rule: &str) -> Candidate<'_> {
        Candidate {
            rule,
            first_wildcard: rule.find(['+', '*']).unwrap_or(rule.len()),
            is_prefix: rule.ends_with('*'),
            wildcards: rule.split('/').filter(|s| *s == "+").count(),
        }
    }

    /// Vault's priority: wildcards later, not a glob, fewer `+`, longer, then larger.
    fn priority(&self, other: &Self) -> Ordering {
        self.first_wildcard
            .cmp(&other.first_wildcard)
            .then_with(|| other.is_prefix.cmp(&self.is_prefix))
            .then_with(|| other.wildcards.cmp(&self.wildcards))
            .then_with(|| self.rule.len().cmp(&other.rule.len()))
            .then_with(|| self.rule.cmp(other.rule))
    }
}

/// Whether a rule with `+` segments (and maybe a trailing `*`) matches `path`.
fn segments_match(rule: &str, path: &str) -> bool {
    let (body, glob) = match rule.strip_suffix('*') {
        Some(body) => (body, true),
        None => (rule, false),
    };
    let rule_segments: Vec<&str> = body.split('/').collect();
    let path_segments: Vec<&str> = path.split('/').collect();
    if path_segments.len() < rule_segments.len()
        || (!glob && path_segments.len() != rule_segments.len())
    {
        return false;
    }
    let last = rule_segments.len() - 1;
    rule_segments.iter().enumerate().all(|(i, segment)| {
        let actual = path_segments[i];
        match *segment {
            "+" => true,
            s if glob && i == last => actual.starts_with(s),
            s => actual == s,
        }
    })
}

impl<'a> Acl<'a> {
    pub fn new(policies: impl IntoIterator<Item = &'a Policy>) -> Self {
        Self {
            rules: policies.into_iter().flat_map(|p| p.rules.iter()).collect(),
        }
    }

    /// The merged capabilities of every rule written exactly as `pattern`.
    fn merged(&self, pattern: &str) -> BTreeSet<String> {
        self.rules
            .iter()
            .filter(|r| r.path == pattern)
            .flat_map(|r| r.capabilities.iter().cloned())
            .collect()
    }

    /// The capabilities the policies give on `path`; `None` when no rule matches.
    pub fn capabilities(&self, path: &str, list: bool) -> Option<BTreeSet<String>> {
        let exact = |p: &str| {
            self.rules
                .iter()
                .any(|r| r.path == p && !r.path.ends_with('*') && !r.path.contains('+'))
        };
        if exact(path) {
            return Some(self.merged(path));
        }
        if list
            && let Some(bare) = path.strip_suffix('/')
            && exact(bare)
        {
            return Some(self.merged(bare));
        }
        let mut best: Option<Candidate<'_>> = None;
        for rule in &self.rules {
            let pattern = rule.path.as_str();
            let matches = if pattern.contains('+') {
                segments_match(pattern, path)
            } else if let Some(prefix) = pattern.strip_suffix('*') {
                path.starts_with(prefix)
            } else {
                false
            };
            if !matches {
                continue;
            }
            let candidate = Candidate::of(pattern);
            if best
                .as_ref()
                .is_none_or(|b| candidate.priority(b) == Ordering::Greater)
            {
                best = Some(candidate);
            }
        }
        best.map(|b| self.merged(b.rule))
    }

    /// Whether the policies allow `operation` on `path` (relative to the policies'
    /// namespace); `sudo`: whether the path needs it (see [`needs_sudo`], which takes the
    /// path relative to the namespace that serves it).
    pub fn allows(&self, path: &str, operation: Operation, sudo: bool) -> bool {
        let Some(capabilities) = self.capabilities(path, operation == Operation::List) else {
            return false;
        };
        if capabilities.contains("deny") {
            return false;
        }
        if sudo && !capabilities.contains("sudo") {
            return false;
        }
        wanted(operation).iter().any(|c| capabilities.contains(*c))
    }

    /// What `sys/capabilities-self` answers for `path`: the capabilities, sorted, or
    /// `["deny"]`.
    pub fn describe(&self, path: &str) -> Vec<String> {
        match self.capabilities(path, false) {
            Some(caps) if !caps.is_empty() && !caps.contains("deny") => caps.into_iter().collect(),
            _ => vec!["deny".to_owned()],
        }
    }
}

/// A path as a token's policies see it: `request_ns` + `path`, relative to the token's
/// namespace; `None` when the request is outside that namespace and its children.
pub fn relative_to(token_ns: &str, request_ns: &str, path: &str) -> Option<String> {
    let full = format!("{request_ns}{path}");
    full.strip_prefix(token_ns).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::new("p", text).unwrap()
    }

    #[test]
    fn exact_then_the_most_specific_glob_or_wildcard_wins() {
        let p = policy(
            r#"
            path "kv/*" { capabilities = ["read"] }
            path "kv/secret" { capabilities = ["deny"] }
            path "kv/team/*" { capabilities = ["update"] }
            path "+/sys/leases/*" { capabilities = ["list", "sudo"] }
            path "sys/leases/*" { capabilities = ["read"] }
            path "a/+/c" { capabilities = ["create"] }
            "#,
        );
        let acl = Acl::new([&p]);
        assert!(acl.allows("kv/x", Operation::Read, needs_sudo("kv/x")));
        assert!(
            !acl.allows("kv/secret", Operation::Read, needs_sudo("kv/secret")),
            "deny on the exact path"
        );
        assert!(acl.allows("kv/team/x", Operation::Update, needs_sudo("kv/team/x")));
        assert!(
            !acl.allows("kv/team/x", Operation::Read, needs_sudo("kv/team/x")),
            "the longer glob wins, alone"
        );
        // Served in `ada`, where it is sys/leases/lookup/x: sudo needed, and given.
        assert!(acl.allows("ada/sys/leases/lookup/x", Operation::List, true));
        assert!(
            !acl.allows(
                "sys/leases/lookup/x",
                Operation::List,
                needs_sudo("sys/leases/lookup/x")
            ),
            "no sudo there"
        );
        assert!(acl.allows("a/b/c", Operation::Update, needs_sudo("a/b/c")));
        assert!(!acl.allows("a/b/c/d", Operation::Update, needs_sudo("a/b/c/d")));
        assert!(!acl.allows("other", Operation::Read, needs_sudo("other")));
        assert_eq!(acl.describe("kv/x"), ["read"]);
        assert_eq!(acl.describe("nope"), ["deny"]);
    }

    #[test]
    fn identical_paths_in_two_policies_add_up() {
        let a = policy(r#"path "kv/*" { capabilities = ["read"] }"#);
        let b = policy(r#"path "kv/*" { capabilities = ["list"] }"#);
        let acl = Acl::new([&a, &b]);
        assert_eq!(acl.describe("kv/x"), ["list", "read"]);
    }

    #[test]
    fn the_default_policy_lets_a_token_look_itself_up_and_no_more() {
        let p = Policy::default_policy();
        let acl = Acl::new([&p]);
        assert!(acl.allows(
            "auth/token/lookup-self",
            Operation::Read,
            needs_sudo("auth/token/lookup-self")
        ));
        assert!(acl.allows(
            "sys/capabilities-self",
            Operation::Update,
            needs_sudo("sys/capabilities-self")
        ));
        assert!(acl.allows(
            "sys/leases/lookup",
            Operation::Update,
            needs_sudo("sys/leases/lookup")
        ));
        assert!(!acl.allows(
            "sys/leases/lookup/aws/",
            Operation::List,
            needs_sudo("sys/leases/lookup/aws/")
        ));
        assert!(!acl.allows("sys/mounts", Operation::Read, needs_sudo("sys/mounts")));
    }

    #[test]
    fn paths_are_relative_to_the_tokens_namespace() {
        assert_eq!(
            relative_to("room/ada/", "room/ada/", "kv/x").as_deref(),
            Some("kv/x")
        );
        assert_eq!(
            relative_to("room/", "room/ada/", "kv/x").as_deref(),
            Some("ada/kv/x")
        );
        assert_eq!(
            relative_to("room/ada/", "room/", "ada/kv/x").as_deref(),
            Some("kv/x")
        );
        assert_eq!(relative_to("room/ada/", "room/bob/", "kv/x"), None);
        assert_eq!(relative_to("room/ada/", "", "kv/x"), None);
        assert_eq!(
            relative_to("", "room/ada/", "kv/x").as_deref(),
            Some("room/ada/kv/x")
        );
    }
}

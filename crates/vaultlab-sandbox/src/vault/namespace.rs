//! Vault namespaces (OpenBao 2.7's, Vault Enterprise's): what a namespace is, and how a
//! request finds the one it is served in.
//!
//! Internally the sandbox is one tree: a namespace's mounts, policies and leases are keyed
//! by its path (`room/ada/`) followed by their own (`aws/`). What crosses the wire is
//! relative to the namespace, and lease ids and tokens carry the namespace's id as a
//! suffix (`aws/creds/r/<24>.<nsid>`), as OpenBao's do.
//!
//! Resolution (OpenBao's `ResolveNamespaceFromRequest`): the `X-Vault-Namespace` header,
//! canonicalized, is prepended to the path; the longest existing namespace path that
//! prefixes it serves the request, and the rest is the path inside it. A header that names
//! no namespace is refused (`namespace not found`); a path prefix that names none is
//! simply a path in the deepest one that exists (`no handler for route`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::Reply;
use super::username::random_base62;

/// One namespace below the root. The root namespace has no entry: its path and id are "".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Namespace {
    /// Six base62 characters, unique in the server: the suffix of its tokens and leases.
    pub id: String,
    pub uuid: String,
    /// The full path with a trailing slash: `room/ada/`.
    pub path: String,
    #[serde(default)]
    pub custom_metadata: BTreeMap<String, String>,
    /// Locked (`sys/namespaces/api-lock/lock`): the SHA-256 (hex) of its unlock key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlock_key_hash: Option<String>,
    /// Being deleted (`DELETE sys/namespaces/<name>`): its tokens are revoked, its leases
    /// queued; it is forgotten once the last of them is revoked. As OpenBao's, it answers
    /// no request meanwhile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tainted: bool,
}

impl Namespace {
    pub fn new(path: &str, taken: &BTreeMap<String, Namespace>) -> Self {
        let id = loop {
            let id = random_base62(6);
            if !taken.values().any(|n| n.id == id) {
                break id;
            }
        };
        Self {
            id,
            uuid: uuid::Uuid::new_v4().to_string(),
            path: path.to_owned(),
            custom_metadata: BTreeMap::new(),
            unlock_key_hash: None,
            tainted: false,
        }
    }

    /// What `sys/namespaces/<name>` answers.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "custom_metadata": self.custom_metadata,
            "id": self.id,
            "locked": self.unlock_key_hash.is_some(),
            "path": self.path,
            "tainted": self.tainted,
            "uuid": self.uuid,
        })
    }
}

/// Where a request is served: a namespace's path (`""` for the root) and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsRef {
    pub path: String,
    pub id: String,
}

impl NsRef {
    pub fn root() -> Self {
        Self::default()
    }

    pub fn of(ns: &Namespace) -> Self {
        Self {
            path: ns.path.clone(),
            id: ns.id.clone(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.path.is_empty()
    }

    /// A key of the internal tree: this namespace's path, then `relative`.
    pub fn key(&self, relative: &str) -> String {
        format!("{}{relative}", self.path)
    }

    /// `.nsid` for ids made here (nothing in the root).
    pub fn suffix(&self) -> String {
        if self.id.is_empty() {
            String::new()
        } else {
            format!(".{}", self.id)
        }
    }

    /// The path events and `namespace_path` name (`room/ada/`; `""` for the root).
    pub fn display(&self) -> &str {
        &self.path
    }
}

/// The header's value as OpenBao reads it: outer spaces and a leading `/` dropped, the
/// path cleaned, one trailing `/`; `root` and empty mean the root (`""`).
pub fn canonical_header(value: &str) -> String {
    let value = value.trim();
    let mut parts: Vec<&str> = Vec::new();
    for segment in value.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() || parts == ["root"] {
        return String::new();
    }
    format!("{}/", parts.join("/"))
}

/// The namespace a request is served in and the path inside it. `header` is the
/// canonical header (`""`: none, or the root); `path` the request path under `/v1/`.
pub fn resolve(
    namespaces: &BTreeMap<String, Namespace>,
    header: &str,
    path: &str,
) -> Result<(NsRef, String), Reply> {
    if !header.is_empty() && !namespaces.contains_key(header) {
        return Err(namespace_not_found());
    }
    let full = format!("{header}{path}");
    let mut best = NsRef::root();
    // Walk down segment by segment: each step must be an existing namespace.
    let mut at = 0;
    while let Some(slash) = full[at..].find('/') {
        let candidate = &full[..at + slash + 1];
        match namespaces.get(candidate) {
            Some(ns) => {
                best = NsRef::of(ns);
                at += slash + 1;
            }
            None => break,
        }
    }
    let rest = full[best.path.len()..].to_owned();
    Ok((best, rest))
}

/// The namespace a lease id's or token's `.nsid` suffix names, if any.
pub fn by_suffix<'a>(
    namespaces: &'a BTreeMap<String, Namespace>,
    id: &str,
) -> Option<&'a Namespace> {
    let (_, suffix) = id.rsplit_once('.')?;
    if suffix.len() != 6 || suffix.contains('/') {
        return None;
    }
    namespaces.values().find(|n| n.id == suffix)
}

pub fn namespace_not_found() -> Reply {
    Reply::error(
        axum::http::StatusCode::NOT_FOUND,
        "namespace not found".to_owned(),
    )
}

/// Names OpenBao keeps for itself.
const RESERVED: &[&str] = &["sys", "root", "audit", "auth", "cubbyhole", "identity"];

/// Whether `name` can name a new namespace; `Err` in OpenBao's words.
pub fn check_name(name: &str) -> Result<(), String> {
    if RESERVED.contains(&name) {
        return Err(format!(
            "\"{name}/\" is a reserved path and cannot be used as a namespace name"
        ));
    }
    if name.contains('/') {
        return Err("namespace name cannot contain /".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{name:?} contains space characters that cannot be used in a namespace name"
        ));
    }
    for wildcard in ['+', '*'] {
        if name.contains(wildcard) {
            return Err(format!(
                "{name:?} contains wildcard characters that cannot be used in a namespace name: '{wildcard}'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> BTreeMap<String, Namespace> {
        let mut map = BTreeMap::new();
        for path in paths {
            let ns = Namespace::new(path, &map);
            map.insert((*path).to_owned(), ns);
        }
        map
    }

    #[test]
    fn headers_are_cleaned_and_root_means_the_root() {
        for spelling in [
            "room/ada",
            "room/ada/",
            "/room/ada",
            " room/ada ",
            "room//ada",
            "room/./ada",
            "room/../room/ada",
        ] {
            assert_eq!(canonical_header(spelling), "room/ada/", "{spelling:?}");
        }
        for root in ["", "/", "root", "root/"] {
            assert_eq!(canonical_header(root), "", "{root:?}");
        }
    }

    #[test]
    fn header_and_prefix_stack_and_the_deepest_namespace_serves() {
        let ns = tree(&["room/", "room/ada/", "room/bob/"]);
        let at = |h: &str, p: &str| {
            resolve(&ns, &canonical_header(h), p)
                .map(|(n, rest)| (n.path, rest))
                .map_err(|r| r.status.as_u16())
        };
        assert_eq!(
            at("room/ada", "kv/who"),
            Ok(("room/ada/".into(), "kv/who".into()))
        );
        assert_eq!(
            at("", "room/ada/kv/who"),
            Ok(("room/ada/".into(), "kv/who".into()))
        );
        assert_eq!(
            at("room", "ada/kv/who"),
            Ok(("room/ada/".into(), "kv/who".into()))
        );
        assert_eq!(
            at("room/ada", "room/ada/kv/who"),
            Ok(("room/ada/".into(), "room/ada/kv/who".into()))
        );
        assert_eq!(
            at("", "room/nosuch/kv"),
            Ok(("room/".into(), "nosuch/kv".into()))
        );
        assert_eq!(at("", "root/kv"), Ok(("".into(), "root/kv".into())));
        assert_eq!(at("nosuch", "kv/who"), Err(404));
        assert_eq!(at("Room/Ada", "kv/who"), Err(404));
        assert_eq!(
            at("room/ada", "bob/kv"),
            Ok(("room/ada/".into(), "bob/kv".into()))
        );
    }

    #[test]
    fn names_are_refused_in_openbaos_words() {
        assert_eq!(
            check_name("sys").unwrap_err(),
            "\"sys/\" is a reserved path and cannot be used as a namespace name"
        );
        assert_eq!(
            check_name("a b").unwrap_err(),
            "\"a b\" contains space characters that cannot be used in a namespace name"
        );
        assert_eq!(
            check_name("a+b").unwrap_err(),
            "\"a+b\" contains wildcard characters that cannot be used in a namespace name: '+'"
        );
        assert_eq!(
            check_name("a/b").unwrap_err(),
            "namespace name cannot contain /"
        );
        for good in ["ROOT", "café", "a.b", "a:b", "x?y", "sys2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_suffix_names_its_namespace() {
        let ns = tree(&["room/", "room/ada/"]);
        let ada = &ns["room/ada/"];
        let id = format!("aws/creds/r/abc.{}", ada.id);
        assert_eq!(
            by_suffix(&ns, &id).map(|n| n.path.as_str()),
            Some("room/ada/")
        );
        assert!(by_suffix(&ns, "aws/creds/r/abc").is_none());
        assert!(by_suffix(&ns, "aws/creds/r/abc.ZZZZZZ").is_none() || ada.id == "ZZZZZZ");
    }
}

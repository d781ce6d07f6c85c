//! Templates in a lab file: text with `{placeholders}` the app fills with this run's
//! values, and the Vault requests a step sends, built from them.

use serde_json::Value;

/// Every `{name}` in `template`, with where it starts (a byte offset).
pub fn placeholders(template: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if is_name(name) {
            found.push((offset + open, name));
        }
        let consumed = open + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    found
}

/// A placeholder opened and never closed (`{mount` in `sys/mounts/{mount`): where its `{`
/// is, and the name after it. A `{` not followed by a name is not one (JSON, Vault's own
/// `{{name}}`).
pub fn unclosed(template: &str) -> Option<(usize, &str)> {
    let bytes = template.as_bytes();
    template.match_indices('{').find_map(|(open, _)| {
        if open > 0 && bytes[open - 1] == b'{' {
            return None;
        }
        let after = &template[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(after.len());
        let closed = after[name_len..].starts_with('}');
        (name_len > 0 && !closed).then(|| (open, &after[..name_len]))
    })
}

/// A placeholder's name: letters, digits, `_`, `-` and `.` (`creds.access_key`). JSON in a
/// template (`{"Version": …}`) is not one.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The placeholder a whole template is, if it is nothing else (`"{secret_key}"`).
pub fn whole(template: &str) -> Option<&str> {
    let name = template.strip_prefix('{')?.strip_suffix('}')?;
    is_name(name).then_some(name)
}

/// A template with its placeholders filled in; names without a value stay as they are.
pub fn fill(template: &str, value_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (start, name) in placeholders(template) {
        let end = start + name.len() + 2;
        out.push_str(&template[last..start]);
        match value_of(name) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&template[start..end]),
        }
        last = end;
    }
    out.push_str(&template[last..]);
    out
}

/// A Vault request as a lab declares it: `method`, `path` and a JSON body whose string
/// values are templates.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestTemplate {
    pub method: Method,
    pub path: String,
    /// Field name → value; strings are templates, other values are sent as they are.
    pub body: Vec<(String, Value)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    List,
}

impl Method {
    pub fn parse(text: &str) -> Option<Method> {
        Some(match text {
            "GET" => Method::Get,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "LIST" => Method::List,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::List => "LIST",
        }
    }

    /// The capability a token needs for it on `path` (`create|update` is either: a write
    /// creates or updates as the entry exists or not; sys/ paths only update).
    pub fn capability(self, path: &str) -> &'static str {
        match self {
            Method::Get => "read",
            Method::List => "list",
            Method::Delete => "delete",
            Method::Put | Method::Post if path.starts_with("sys/") => "update",
            Method::Put | Method::Post => "create|update",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_and_json_kept() {
        let filled = fill(
            "vault read {mount}/creds/{role} {x} { {\"a\":1}",
            |name| match name {
                "mount" => Some("aws".into()),
                "role" => Some("my-role".into()),
                _ => None,
            },
        );
        assert_eq!(filled, "vault read aws/creds/my-role {x} { {\"a\":1}");
        assert_eq!(
            placeholders("{creds.secret_key}=x {a-b}"),
            [(0, "creds.secret_key"), (21, "a-b")]
        );
        assert_eq!(whole("{secret_key}"), Some("secret_key"));
        assert_eq!(unclosed("sys/mounts/{mount"), Some((11, "mount")));
        assert_eq!(unclosed("{mount/x} {a}"), Some((0, "mount")));
        assert_eq!(unclosed("{mount}/{{name}} {\"a\": 1} { x"), None);
        assert_eq!(whole("x{secret_key}"), None);
    }
}

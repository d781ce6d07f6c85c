//! Reading an ACL policy's text: the HCL Vault's policies are written in (`path "…" {
//! capabilities = […] }` blocks, with `#`, `//` and `/* */` comments, and the old `policy =
//! "read"` form), or the same as JSON. Only what policies use is read; anything else is
//! refused with Vault's words where Vault words it (`invalid key`, `invalid capability`)
//! and plainly otherwise.

use serde_json::Value;

use super::PathRule;

/// Vault's capabilities (OpenBao adds `scan`).
pub const CAPABILITIES: &[&str] = &[
    "create", "read", "update", "delete", "list", "sudo", "deny", "patch", "scan",
];

/// Keys a `path` block may have besides its capabilities, which the sandbox does not
/// enforce: a policy with them is refused rather than half-applied.
const NOT_ENFORCED: &[&str] = &[
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "control_group",
    "mfa_methods",
    "pagination_limit",
    "list_scan_response_keys_filter_path",
];

/// The rules of a policy text, or why it cannot be read (in the words after Vault's
/// `failed to parse policy: `).
pub fn parse(text: &str) -> Result<Vec<PathRule>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return parse_json(text);
    }
    let tokens = tokenize(text)?;
    Parser { tokens, at: 0 }.policy()
}

fn parse_json(text: &str) -> Result<Vec<PathRule>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Object(top) = value else {
        return Err("a policy in JSON must be an object".into());
    };
    let mut rules = Vec::new();
    for (key, value) in top {
        if key != "path" {
            return Err(format!(
                "1 error occurred:\n\t* invalid key {key:?} on line 0\n\n"
            ));
        }
        let Value::Object(paths) = value else {
            return Err("\"path\" must be an object of paths".into());
        };
        for (path, body) in paths {
            let Value::Object(body) = body else {
                return Err(format!("path {path:?}: its rules must be an object"));
            };
            let mut capabilities = Vec::new();
            let mut legacy = None;
            for (key, value) in body {
                match (key.as_str(), value) {
                    ("capabilities", Value::Array(items)) => {
                        for item in items {
                            let Value::String(cap) = item else {
                                return Err(format!("path {path:?}: capabilities must be strings"));
                            };
                            capabilities.push(cap);
                        }
                    }
                    ("policy", Value::String(p)) => legacy = Some(p),
                    (other, _) => return Err(invalid_key(&path, other, 0)),
                }
            }
            rules.push(rule(&path, capabilities, legacy)?);
        }
    }
    Ok(rules)
}

fn invalid_key(path: &str, key: &str, line: usize) -> String {
    if NOT_ENFORCED.contains(&key) {
        return format!(
            "path {path:?}: vaultlab sandbox does not implement {key} in policies; only capabilities are enforced"
        );
    }
    format!("path {path:?}: 1 error occurred:\n\t* invalid key {key:?} on line {line}\n\n")
}

/// A rule from a block's capabilities and old-style `policy` value, checked.
fn rule(
    path: &str,
    mut capabilities: Vec<String>,
    legacy: Option<String>,
) -> Result<PathRule, String> {
    if let Some(policy) = legacy {
        let implied: &[&str] = match policy.as_str() {
            "deny" => &["deny"],
            "read" => &["read", "list"],
            "write" => &["create", "read", "update", "delete", "list"],
            "sudo" => &["create", "read", "update", "delete", "list", "sudo"],
            other => return Err(format!("path {path:?}: invalid policy {other:?}")),
        };
        capabilities.extend(implied.iter().map(|c| (*c).to_owned()));
    }
    for capability in &capabilities {
        if !CAPABILITIES.contains(&capability.as_str()) {
            return Err(format!(
                "path {path:?}: path {path:?}: invalid capability {capability:?}"
            ));
        }
    }
    capabilities.sort();
    capabilities.dedup();
    Ok(PathRule {
        path: path.to_owned(),
        capabilities,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Equals,
    Open,
    Close,
    ListOpen,
    ListClose,
    Comma,
}

/// Tokens with the line each starts on.
fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(format!("At {line}: comment not terminated"));
                }
                i += 2;
            }
            '"' => {
                let start_line = line;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None | Some('\n') => {
                            return Err(format!("At {start_line}: literal not terminated"));
                        }
                        Some('"') => break,
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => value.push('\n'),
                                Some('t') => value.push('\t'),
                                Some(&other) => value.push(other),
                                None => return Err(format!("At {line}: literal not terminated")),
                            }
                            i += 2;
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push((Token::Str(value), start_line));
            }
            '=' => push(&mut tokens, &mut i, Token::Equals, line),
            '{' => push(&mut tokens, &mut i, Token::Open, line),
            '}' => push(&mut tokens, &mut i, Token::Close, line),
            '[' => push(&mut tokens, &mut i, Token::ListOpen, line),
            ']' => push(&mut tokens, &mut i, Token::ListClose, line),
            ',' => push(&mut tokens, &mut i, Token::Comma, line),
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut word = String::new();
                while let Some(&c) = chars.get(i) {
                    if !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.') {
                        break;
                    }
                    word.push(c);
                    i += 1;
                }
                tokens.push((Token::Ident(word), line));
            }
            other => return Err(format!("At {line}: illegal char {other:?}")),
        }
    }
    Ok(tokens)
}

fn push(tokens: &mut Vec<(Token, usize)>, i: &mut usize, token: Token, line: usize) {
    tokens.push((token, line));
    *i += 1;
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<(Token, usize)> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, wanted: &Token, what: &str) -> Result<usize, String> {
        match self.next() {
            Some((token, line)) if token == *wanted => Ok(line),
            Some((token, line)) => Err(format!("At {line}: expected {what}, got: {token:?}")),
            None => Err(format!("expected {what}, got the end of the policy")),
        }
    }

    fn policy(mut self) -> Result<Vec<PathRule>, String> {
        let mut rules = Vec::new();
        while let Some((token, line)) = self.next() {
            match token {
                Token::Ident(key) if key == "path" => rules.push(self.block()?),
                Token::Ident(key) | Token::Str(key) => {
                    let _ = line;
                    return Err(format!(
                        "1 error occurred:\n\t* invalid key {key:?} on line 0\n\n"
                    ));
                }
                other => return Err(format!("At {line}: expected a path block, got: {other:?}")),
            }
        }
        Ok(rules)
    }

    fn block(&mut self) -> Result<PathRule, String> {
        let path = match self.next() {
            Some((Token::Str(path), _)) => path,
            Some((other, line)) => {
                return Err(format!("At {line}: expected a quoted path, got: {other:?}"));
            }
            None => return Err("expected a quoted path, got the end of the policy".into()),
        };
        self.expect(&Token::Open, "{")?;
        let mut capabilities = Vec::new();
        let mut legacy = None;
        loop {
            match self.next() {
                Some((Token::Close, _)) => break,
                Some((Token::Ident(key), line)) => {
                    self.expect(&Token::Equals, "=")?;
                    match key.as_str() {
                        "capabilities" => capabilities.extend(self.list()?),
                        "policy" => match self.next() {
                            Some((Token::Str(value), _)) => legacy = Some(value),
                            _ => return Err(format!("At {line}: policy must be a string")),
                        },
                        other => return Err(invalid_key(&path, other, line)),
                    }
                }
                Some((other, line)) => {
                    return Err(format!("At {line}: expected a key or }}, got: {other:?}"));
                }
                None => return Err(format!("path {path:?}: block not closed")),
            }
        }
        rule(&path, capabilities, legacy)
    }

    fn list(&mut self) -> Result<Vec<String>, String> {
        self.expect(&Token::ListOpen, "[")?;
        let mut items = Vec::new();
        loop {
            match self.next() {
                Some((Token::ListClose, _)) => return Ok(items),
                Some((Token::Str(item), _)) => {
                    items.push(item);
                    match self.next() {
                        Some((Token::Comma, _)) => {}
                        Some((Token::ListClose, _)) => return Ok(items),
                        Some((other, line)) => {
                            return Err(format!(
                                "At {line}: error parsing list, expected comma or list end, got: {}",
                                token_name(&other)
                            ));
                        }
                        None => return Err("list not closed".into()),
                    }
                }
                Some((other, line)) => {
                    return Err(format!("At {line}: expected a string, got: {other:?}"));
                }
                None => return Err("list not closed".into()),
            }
        }
    }
}

/// HCL's names for the tokens it reports.
fn token_name(token: &Token) -> &'static str {
    match token {
        Token::Close => "RBRACE",
        Token::Open => "LBRACE",
        Token::Equals => "ASSIGN",
        Token::ListOpen => "LBRACK",
        Token::ListClose => "RBRACK",
        Token::Comma => "COMMA",
        Token::Str(_) => "STRING",
        Token::Ident(_) => "IDENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(rules: &[PathRule], path: &str) -> Vec<String> {
        rules
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.capabilities.clone())
            .unwrap_or_default()
    }

    #[test]
    fn vaults_default_policy_reads() {
        let rules = parse(super::super::DEFAULT_POLICY).unwrap();
        assert_eq!(caps(&rules, "auth/token/lookup-self"), ["read"]);
        assert_eq!(
            caps(&rules, "cubbyhole/*"),
            ["create", "delete", "list", "read", "update"]
        );
        assert_eq!(
            caps(&rules, "identity/oidc/provider/+/authorize"),
            ["read", "update"]
        );
    }

    #[test]
    fn comments_json_and_the_old_form_read() {
        let rules = parse(
            "# a\n// b\n/* c\n d */ path \"kv/*\" {\n capabilities = [\"read\", \"list\",]\n}\npath \"x\" { policy = \"write\" }",
        )
        .unwrap();
        assert_eq!(caps(&rules, "kv/*"), ["list", "read"]);
        assert_eq!(
            caps(&rules, "x"),
            ["create", "delete", "list", "read", "update"]
        );
        let json = parse(r#"{"path": {"kv/*": {"capabilities": ["read"]}}}"#).unwrap();
        assert_eq!(caps(&json, "kv/*"), ["read"]);
    }

    #[test]
    fn errors_are_worded_as_vaults() {
        assert_eq!(
            parse(r#"path "kv/*" { capabilities = ["read","foo"] }"#).unwrap_err(),
            "path \"kv/*\": path \"kv/*\": invalid capability \"foo\""
        );
        assert_eq!(
            parse(r#"path "kv/*" { capabilities = ["read" }"#).unwrap_err(),
            "At 1: error parsing list, expected comma or list end, got: RBRACE"
        );
        assert_eq!(
            parse(r#"path "kv/*" { capabilities = ["read"] bogus = 1 }"#).unwrap_err(),
            "path \"kv/*\": 1 error occurred:\n\t* invalid key \"bogus\" on line 1\n\n"
        );
        assert_eq!(
            parse(r#"foo "kv/*" { capabilities = ["read"] }"#).unwrap_err(),
            "1 error occurred:\n\t* invalid key \"foo\" on line 0\n\n"
        );
        assert!(
            parse(r#"path "x" { capabilities = ["read"] allowed_parameters = {} }"#)
                .unwrap_err()
                .contains("does not implement allowed_parameters")
        );
    }
}

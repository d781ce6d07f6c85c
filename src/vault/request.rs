//! Requests as values: what a typed call will send, so the UI can show it (as a `curl`
//! line, with the token and secret fields masked) before or after sending it.
//!
//! Secret fields are kept as [`SecretString`]s beside the plain body and only merged into
//! the JSON when the request is sent; a [`RequestDescription`] never contains them.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

/// What replaces a secret value in a description, a `curl` line or a `Debug` dump.
pub const REDACTED: &str = "<redacted>";

/// Field names whose values are secrets wherever they appear in a Vault body.
pub const SECRET_FIELDS: &[&str] = &[
    "secret_key",
    "security_token",
    "session_token",
    "password",
    "client_token",
    "secret_id",
    "private_key",
    "token",
];

/// One HTTP request to Vault's API.
#[derive(Clone)]
pub struct VaultRequest {
    /// `GET`, `PUT`, `POST`, `DELETE`, or `LIST` (sent as `GET …?list=true`, as the CLI does).
    pub method: &'static str,
    /// The API path without `/v1/`, e.g. `aws/creds/my-role`.
    pub path: String,
    /// The non-secret body (a JSON object for every Vault call), or `None` for no body.
    pub body: Option<Value>,
    /// Secret body fields, merged in only when sending.
    secrets: Vec<(String, SecretString)>,
}

impl fmt::Debug for VaultRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultRequest")
            .field("description", &self.describe())
            .finish()
    }
}

/// What a request sends, safe to display: the body has every secret field masked.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDescription {
    /// The HTTP method on the wire (`LIST` is shown as `GET` with `?list=true`).
    pub method: String,
    /// The path without `/v1/`, with any query (`aws/roles?list=true`).
    pub path: String,
    pub body_redacted: Option<Value>,
}

impl VaultRequest {
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: normalize_path(&path.into()),
            body: None,
            secrets: Vec::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    pub fn list(path: impl Into<String>) -> Self {
        Self::new("LIST", path)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new("DELETE", path)
    }

    /// A `PUT` (what `vault write` sends; Vault treats `PUT` and `POST` alike).
    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Self::new("PUT", path).with_body(body)
    }

    /// A `POST` (what `vault secrets enable` and `token capabilities` send).
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new("POST", path).with_body(body)
    }

    /// Sets the plain body; `null` means no body.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = (!body.is_null()).then_some(body);
        self
    }

    /// Adds a secret body field.
    pub fn with_secret(mut self, field: &str, value: &SecretString) -> Self {
        if !matches!(self.body, Some(Value::Object(_))) {
            self.body = Some(Value::Object(Map::new()));
        }
        self.secrets.push((field.to_owned(), value.clone()));
        self
    }

    /// The method on the wire.
    pub fn wire_method(&self) -> &'static str {
        if self.method == "LIST" {
            "GET"
        } else {
            self.method
        }
    }

    /// The path with the query the wire carries (`?list=true` for `LIST`).
    pub fn wire_path(&self) -> String {
        if self.method == "LIST" {
            format!("{}?list=true", self.path)
        } else {
            self.path.clone()
        }
    }

    /// The JSON body to send, secrets included. Only the client calls this.
    pub(crate) fn body_to_send(&self) -> Option<Value> {
        let mut body = self.body.clone()?;
        if let Value::Object(map) = &mut body {
            for (field, value) in &self.secrets {
                map.insert(
                    field.clone(),
                    Value::String(value.expose_secret().to_owned()),
                );
            }
        }
        Some(body)
    }

    /// What this request sends, with every secret masked.
    pub fn describe(&self) -> RequestDescription {
        let body_redacted = self.body.as_ref().map(|plain| {
            let mut body = plain.clone();
            if let Value::Object(map) = &mut body {
                for (field, _) in &self.secrets {
                    map.insert(field.clone(), Value::String(REDACTED.to_owned()));
                }
            }
            redact_json(&body)
        });
        RequestDescription {
            method: self.wire_method().to_owned(),
            path: self.wire_path(),
            body_redacted,
        }
    }
}

fn normalize_path(path: &str) -> String {
    let path = path.trim_start_matches('/');
    path.strip_prefix("v1/").unwrap_or(path).to_owned()
}

fn mount(mount: &str) -> &str {
    mount.trim_matches('/')
}

/// A copy of `value` with every [`SECRET_FIELDS`] value (at any depth) replaced by
/// [`REDACTED`], unless it is `null` (a `security_token: null` says something useful).
pub fn redact_json(value: &Value) -> Value {
    redact_json_by(value, &|_| false)
}

/// The same, masking also every field `secret` names: the fields a lab and its engine
/// declare secret, whatever they are called.
pub fn redact_json_by(value: &Value, secret: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let named = SECRET_FIELDS.contains(&k.as_str()) || secret(k);
                    let v = if named && !v.is_null() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact_json_by(v, secret)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| redact_json_by(item, secret))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Quotes a string for a POSIX shell in single quotes.
pub fn shell_single_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The `curl` line for a request, in the shape `vault … -output-curl-string` prints, with the
/// token as `$VAULT_TOKEN`.
pub fn curl_line(
    address: &str,
    namespace: Option<&str>,
    token_header: bool,
    desc: &RequestDescription,
) -> String {
    let mut parts = vec!["curl".to_owned()];
    if desc.method != "GET" {
        parts.push(format!("-X {}", desc.method));
    }
    parts.push(r#"-H "X-Vault-Request: true""#.to_owned());
    if token_header {
        parts.push(r#"-H "X-Vault-Token: $VAULT_TOKEN""#.to_owned());
    }
    if let Some(ns) = namespace {
        parts.push(format!(
            "-H {}",
            shell_single_quote(&format!("X-Vault-Namespace: {ns}"))
        ));
    }
    if let Some(body) = &desc.body_redacted {
        // Redact again: a description may have been built by hand.
        let body = redact_json(body);
        parts.push(format!("-d {}", shell_single_quote(&body.to_string())));
    }
    let url = format!("{}/v1/{}", address.trim_end_matches('/'), desc.path);
    parts.push(format!("\"{}\"", url.replace('"', "%22")));
    parts.join(" ")
}

// ---------------------------------------------------------------------------------------
// The lab's requests. Each typed client method sends exactly what these build.

pub fn health() -> VaultRequest {
    VaultRequest::get("sys/health")
}

pub fn seal_status() -> VaultRequest {
    VaultRequest::get("sys/seal-status")
}

pub fn list_mounts() -> VaultRequest {
    VaultRequest::get("sys/mounts")
}

/// `vault secrets enable -path=<path> <kind>`.
pub fn enable_mount(path: &str, kind: &str) -> VaultRequest {
    VaultRequest::post(
        format!("sys/mounts/{}", mount(path)),
        json!({ "type": kind }),
    )
}

/// `vault secrets disable <path>`.
pub fn disable_mount(path: &str) -> VaultRequest {
    VaultRequest::delete(format!("sys/mounts/{}", mount(path)))
}

/// `vault token lookup`.
pub fn token_lookup_self() -> VaultRequest {
    VaultRequest::get("auth/token/lookup-self")
}

/// `vault token capabilities <paths>`.
pub fn capabilities_self(paths: &[&str]) -> VaultRequest {
    VaultRequest::post("sys/capabilities-self", json!({ "paths": paths }))
}

/// `vault lease lookup <id>`.
pub fn lease_lookup(lease_id: &str) -> VaultRequest {
    VaultRequest::put("sys/leases/lookup", json!({ "lease_id": lease_id }))
}

/// `vault lease renew [-increment=…] <id>`; without an increment Vault applies the
/// backend's default TTL.
pub fn lease_renew(lease_id: &str, increment: Option<Duration>) -> VaultRequest {
    let mut body = json!({ "lease_id": lease_id });
    if let Some(increment) = increment {
        body["increment"] = json!(increment.as_secs());
    }
    VaultRequest::put("sys/leases/renew", body)
}

/// `vault lease revoke [-sync] <id>`. `sync` is always sent: Vault's HTTP API defaults to a
/// synchronous revoke (204), the CLI to a queued one (202).
pub fn lease_revoke(lease_id: &str, sync: bool) -> VaultRequest {
    VaultRequest::put(
        "sys/leases/revoke",
        json!({ "lease_id": lease_id, "sync": sync }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lab's root keys request, as a lab template builds it: the secret key beside
    /// the plain body.
    fn root_config(
        access_key: &str,
        secret: &SecretString,
        endpoint: Option<&str>,
    ) -> VaultRequest {
        let mut body = json!({ "access_key": access_key, "region": "us-east-1" });
        if let Some(endpoint) = endpoint {
            body["iam_endpoint"] = json!(endpoint);
        }
        VaultRequest::put("/aws/config/root", body).with_secret("secret_key", secret)
    }

    #[test]
    fn root_config_description_masks_the_secret_key() {
        let secret = SecretString::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned());
        let req = root_config(
            "AKIAIOSFODNN7EXAMPLE",
            &secret,
            Some("http://127.0.0.1:4566"),
        );
        let desc = req.describe();
        assert_eq!(desc.method, "PUT");
        assert_eq!(desc.path, "aws/config/root");
        let body = desc.body_redacted.as_ref().unwrap();
        assert_eq!(body["secret_key"], REDACTED);
        assert_eq!(body["access_key"], "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(body["iam_endpoint"], "http://127.0.0.1:4566");
        assert!(!format!("{req:?}").contains("wJalr"));
        // But the wire body carries it.
        assert_eq!(
            req.body_to_send().unwrap()["secret_key"],
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
    }

    #[test]
    fn curl_line_matches_the_cli_shape_and_masks_token_and_secrets() {
        let secret = SecretString::from("topsecretvalue".to_owned());
        let desc = root_config("AKIA1", &secret, None).describe();
        let line = curl_line("http://127.0.0.1:8200/", None, true, &desc);
        assert_eq!(
            line,
            r#"curl -X PUT -H "X-Vault-Request: true" -H "X-Vault-Token: $VAULT_TOKEN" -d '{"access_key":"AKIA1","region":"us-east-1","secret_key":"<redacted>"}' "http://127.0.0.1:8200/v1/aws/config/root""#
        );
        assert!(!line.contains("topsecretvalue"));

        // A hand-made description with a secret in it is masked too.
        let desc = RequestDescription {
            method: "PUT".into(),
            path: "x".into(),
            body_redacted: Some(json!({"nested": {"secret_key": "leak", "password": "leak"}})),
        };
        assert!(!curl_line("http://a", None, true, &desc).contains("leak"));
    }

    #[test]
    fn list_is_get_with_list_true_and_namespace_is_quoted() {
        let desc = VaultRequest::list("aws/roles").describe();
        assert_eq!(desc.method, "GET");
        assert_eq!(desc.path, "aws/roles?list=true");
        let line = curl_line("https://vault:8200", Some("team a/"), true, &desc);
        assert_eq!(
            line,
            r#"curl -H "X-Vault-Request: true" -H "X-Vault-Token: $VAULT_TOKEN" -H 'X-Vault-Namespace: team a/' "https://vault:8200/v1/aws/roles?list=true""#
        );
    }

    #[test]
    fn single_quotes_in_a_body_survive_the_shell() {
        let desc = VaultRequest::put("kv/x", json!({"note": "it's"})).describe();
        let line = curl_line("http://a", None, false, &desc);
        assert!(line.contains(r#"-d '{"note":"it'\''s"}'"#), "{line}");
        assert!(!line.contains("X-Vault-Token"));
    }

    #[test]
    fn lab_requests_have_the_documented_shape() {
        let d = enable_mount("aws", "aws").describe();
        assert_eq!(
            (d.method.as_str(), d.path.as_str()),
            ("POST", "sys/mounts/aws")
        );
        assert_eq!(d.body_redacted, Some(json!({"type": "aws"})));
        let d = lease_revoke("aws/creds/my-role/abc", false).describe();
        assert_eq!(d.path, "sys/leases/revoke");
        assert_eq!(
            d.body_redacted,
            Some(json!({"lease_id": "aws/creds/my-role/abc", "sync": false}))
        );
        let d = lease_renew("l", Some(Duration::from_secs(3600))).describe();
        assert_eq!(
            d.body_redacted,
            Some(json!({"lease_id": "l", "increment": 3600}))
        );
    }

    #[test]
    fn redaction_keeps_nulls_and_reaches_nested_values() {
        let v = json!({"data": {"access_key": "AKIA", "secret_key": "s", "security_token": null},
                       "auth": {"client_token": "hvs.x"}, "list": [{"password": "p"}]});
        let r = redact_json(&v);
        assert_eq!(r["data"]["secret_key"], REDACTED);
        assert_eq!(r["data"]["security_token"], Value::Null);
        assert_eq!(r["data"]["access_key"], "AKIA");
        assert_eq!(r["auth"]["client_token"], REDACTED);
        assert_eq!(r["list"][0]["password"], REDACTED);
    }
}

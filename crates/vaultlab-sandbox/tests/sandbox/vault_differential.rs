//! The sandbox's Vault API side by side with OpenBao (`bao server -dev`, a real Vault-API
//! server) on every path both serve: the same requests to both, then the same status, the
//! same set of fields with the same JSON types, and the same error words. OpenBao has no
//! AWS engine, so its `transit` mount stands in for the sandbox's `aws` mount where a mount
//! is needed, and its token leases for the sandbox's AWS leases.
//!
//! Where the two differ on purpose the difference is listed below with its reason: the
//! sandbox answers as Vault 1.15 does, and OpenBao has dropped or renamed a few fields.

use vaultlab_testkit as common;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

/// Fields the sandbox has because Vault has them, which OpenBao dropped or renamed
/// (Vault's `HealthResponse`, `SealStatusResponse`, `LeaderResponse`).
const VAULT_ONLY: &[(&str, &str)] = &[
    ("sys/health", "performance_standby"),
    ("sys/seal-status", "build_date"),
    ("sys/leader", "active_time"),
    ("sys/leader", "is_self"),
    ("sys/leader", "leader_address"),
    ("sys/leader", "leader_cluster_address"),
    ("sys/leader", "performance_standby"),
    ("sys/leader", "performance_standby_last_remote_wal"),
];

/// Fields only OpenBao has: `commit_date` is its name for Vault's `build_date`; its lease
/// lookup adds the lease's `path`.
const OPENBAO_ONLY: &[(&str, &str)] = &[
    ("sys/seal-status", "commit_date"),
    ("sys/leases/lookup", "data.path"),
];

/// OpenBao rewords a few of Vault's errors; the sandbox keeps Vault's words. This turns the
/// sandbox's message into OpenBao's wording before the two are compared: OpenBao says
/// "decode" for Vault's "parse" JSON errors and leaves the input value out of field
/// conversion errors.
fn as_openbao_words(message: &str) -> String {
    let message = message.replace(
        "failed to parse JSON input: ",
        "failed to decode JSON input: ",
    );
    const FIELD: &str = "Field validation failed: error converting input ";
    match message
        .strip_prefix(FIELD)
        .and_then(|rest| rest.split_once(" for field "))
    {
        Some((_value, tail)) => format!("{FIELD}for field {tail}"),
        None => message,
    }
}

/// Requests whose error words differ on purpose: (case label, why).
const VAULT_WORDS: &[(&str, &str)] = &[
    ("POST sys/mounts/sys/tune", UNTUNABLE),
    ("POST sys/mounts/cubbyhole/tune", UNTUNABLE),
    ("POST sys/mounts/identity/tune", UNTUNABLE),
];

const UNTUNABLE: &str = "Vault 1.15 refuses to tune its own mounts with `cannot tune \"sys/\"`; OpenBao names the parameter";

#[derive(Clone, Copy)]
enum Token {
    Root,
    /// The root token as `Authorization: Bearer`.
    Bearer,
    None,
    Bad,
}

struct Case {
    method: &'static str,
    path: String,
    body: Option<String>,
    token: Token,
    content_type: Option<&'static str>,
    /// JSON pointers to compare instead of the whole body.
    focus: Vec<&'static str>,
    /// JSON pointers whose values (not only types) must be equal.
    same_values: Vec<&'static str>,
}

fn case(method: &'static str, path: impl Into<String>, body: Option<Value>) -> Case {
    Case {
        method,
        path: path.into(),
        body: body.map(|b| b.to_string()),
        token: Token::Root,
        content_type: None,
        focus: Vec::new(),
        same_values: Vec::new(),
    }
}

impl Case {
    fn token(mut self, token: Token) -> Self {
        self.token = token;
        self
    }
    fn focus(mut self, pointers: &[&'static str]) -> Self {
        self.focus = pointers.to_vec();
        self
    }
    fn values(mut self, pointers: &[&'static str]) -> Self {
        self.same_values = pointers.to_vec();
        self
    }
    fn content_type(mut self, value: &'static str) -> Self {
        self.content_type = Some(value);
        self
    }
    fn label(&self) -> String {
        let token = match self.token {
            Token::Root => "",
            Token::Bearer => " (bearer)",
            Token::None => " (no token)",
            Token::Bad => " (bad token)",
        };
        format!(
            "{} {} {}{token}",
            self.method,
            self.path,
            self.body.as_deref().unwrap_or("")
        )
    }
}

struct Server {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Server {
    async fn send(&self, case: &Case) -> (StatusCode, Option<Value>) {
        let mut req = self.http.request(
            reqwest::Method::from_bytes(case.method.as_bytes()).unwrap(),
            format!("{}/v1/{}", self.url, case.path),
        );
        req = match case.token {
            Token::Root => req.header("X-Vault-Token", &self.token),
            Token::Bearer => req.header("Authorization", format!("Bearer {}", self.token)),
            Token::None => req,
            Token::Bad => req.header("X-Vault-Token", "hvs.notarealtokenatall00000"),
        };
        if let Some(ct) = case.content_type {
            req = req.header("Content-Type", ct);
        }
        if let Some(body) = &case.body {
            req = req.body(body.clone());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = (!text.trim().is_empty())
            .then(|| serde_json::from_str(&text).unwrap_or(Value::String(text)));
        (status, body)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The request path a field difference may be excused under (query and trailing ids cut).
fn route(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Compares the shapes of `ours` and `theirs` below `at`, appending what differs.
fn shape_diff(route: &str, at: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let here = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => shape_diff(route, &here, x, y, out),
                    (Some(_), None) if VAULT_ONLY.contains(&(route, here.as_str())) => {}
                    (None, Some(_)) if OPENBAO_ONLY.contains(&(route, here.as_str())) => {}
                    (Some(_), None) => out.push(format!("field {here} only in the sandbox")),
                    (None, Some(_)) => out.push(format!("field {here} only in OpenBao")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape_diff(route, &format!("{at}[]"), x, y, out);
            }
        }
        (a, b) if type_name(a) != type_name(b) => out.push(format!(
            "{at}: {} in the sandbox, {} in OpenBao",
            type_name(a),
            type_name(b)
        )),
        _ => {}
    }
}

/// Every difference between the two answers to one case.
fn differences(
    case: &Case,
    ours: &(StatusCode, Option<Value>),
    theirs: &(StatusCode, Option<Value>),
) -> Vec<String> {
    let mut out = Vec::new();
    if ours.0 != theirs.0 {
        out.push(format!("status {} here, {} in OpenBao", ours.0, theirs.0));
    }
    match (&ours.1, &theirs.1) {
        (None, None) => {}
        (Some(a), None) => out.push(format!("a body here ({a}), none in OpenBao")),
        (None, Some(b)) => out.push(format!("no body here, OpenBao has {b}")),
        (Some(a), Some(b)) => {
            if b.get("errors").is_some() || a.get("errors").is_some() {
                let reworded = a.get("errors").map(|errors| match errors {
                    Value::Array(list) => Value::Array(
                        list.iter()
                            .map(|e| Value::String(as_openbao_words(e.as_str().unwrap_or(""))))
                            .collect(),
                    ),
                    other => other.clone(),
                });
                let excused = VAULT_WORDS
                    .iter()
                    .any(|(label, _)| case.label().starts_with(label));
                if reworded.as_ref() != b.get("errors") && !excused {
                    out.push(format!(
                        "errors {} here, {} in OpenBao",
                        a["errors"], b["errors"]
                    ));
                }
            } else if case.focus.is_empty() {
                shape_diff(route(&case.path), "", a, b, &mut out);
            } else {
                for pointer in &case.focus {
                    match (a.pointer(pointer), b.pointer(pointer)) {
                        (Some(x), Some(y)) => {
                            shape_diff(route(&case.path), pointer, x, y, &mut out)
                        }
                        (x, y) => out.push(format!(
                            "{pointer}: {} here, {} in OpenBao",
                            x.map_or("missing", type_name),
                            y.map_or("missing", type_name)
                        )),
                    }
                }
            }
            for pointer in &case.same_values {
                if a.pointer(pointer) != b.pointer(pointer) {
                    out.push(format!(
                        "{pointer}: {:?} here, {:?} in OpenBao",
                        a.pointer(pointer),
                        b.pointer(pointer)
                    ));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_and_openbao_answer_alike_on_every_path_both_serve() {
    let bao = tokio::task::spawn_blocking(common::Bao::dev).await.unwrap();
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let theirs = Server {
        url: bao.url(),
        token: bao.token.clone(),
        http: http.clone(),
    };
    let ours = Server {
        url: sandbox.vault_addr().to_owned(),
        token: sandbox.root_token().expose().to_owned(),
        http,
    };

    // A mount at eng/ on each (transit there, aws here), with TTLs given at enable time.
    let config = json!({"default_lease_ttl": "1h0m0s", "max_lease_ttl": "2h0m0s", "force_no_cache": false, "options": null});
    for (server, kind) in [(&theirs, "transit"), (&ours, "aws")] {
        let (status, body) = server
            .send(&case(
                "POST",
                "sys/mounts/eng",
                Some(json!({"type": kind, "description": "", "config": config, "local": false, "seal_wrap": false, "options": null})),
            ))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{kind}: {body:?}");
    }
    // A lease on each: a token's on OpenBao, AWS credentials' here.
    let (_, token) = theirs
        .send(&case(
            "POST",
            "auth/token/create",
            Some(json!({"ttl": "1h"})),
        ))
        .await;
    assert!(token.is_some());
    let (_, keys) = theirs
        .send(&case("LIST", "sys/leases/lookup/auth/token/create/", None))
        .await;
    // The token just made is the one lease there with an expiry.
    let mut their_lease = None;
    for key in keys.unwrap()["data"]["keys"].as_array().unwrap() {
        let id = format!("auth/token/create/{}", key.as_str().unwrap());
        let (_, found) = theirs
            .send(&case(
                "PUT",
                "sys/leases/lookup",
                Some(json!({"lease_id": id})),
            ))
            .await;
        if found.is_some_and(|f| f["data"]["expire_time"].is_string()) {
            their_lease = Some(id);
        }
    }
    let their_lease = their_lease.expect("OpenBao lists the new token's lease");
    let admin = sandbox.admin_credentials();
    for (path, body) in [
        (
            "eng/config/root",
            json!({"access_key": admin.access_key_id, "secret_key": admin.secret_access_key.expose()}),
        ),
        (
            "eng/roles/r",
            json!({"credential_type": "iam_user", "policy_document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:DescribeInstances\",\"Resource\":\"*\"}]}"}),
        ),
    ] {
        let (status, reply) = ours.send(&case("POST", path, Some(body))).await;
        assert!(status.is_success(), "{path}: {reply:?}");
    }
    let (status, creds) = ours.send(&case("GET", "eng/creds/r", None)).await;
    assert_eq!(status, StatusCode::OK, "{creds:?}");
    let our_lease = creds.unwrap()["lease_id"].as_str().unwrap().to_owned();

    let mut cases = vec![
        // Vault's own handlers, no token needed.
        case("GET", "sys/init", None).token(Token::None),
        case("PUT", "sys/init", Some(json!({}))).token(Token::None),
        case(
            "PUT",
            "sys/init",
            Some(json!({"secret_shares": 1, "secret_threshold": 1})),
        ),
        case(
            "PUT",
            "sys/init",
            Some(json!({"secret_shares": 3, "secret_threshold": 1})),
        ),
        case(
            "PUT",
            "sys/init",
            Some(json!({"secret_shares": 1, "secret_threshold": 2})),
        ),
        case("DELETE", "sys/init", None),
        case("GET", "sys/health", None).token(Token::None),
        case("HEAD", "sys/health", None).token(Token::None),
        case("GET", "sys/health?activecode=299", None).token(Token::None),
        case("GET", "sys/health?activecode=204&standbyok=true", None).token(Token::None),
        case("GET", "sys/health?activecode=abc", None).token(Token::None),
        case("GET", "sys/health?sealedcode=x", None).token(Token::None),
        case("POST", "sys/health", Some(json!({}))),
        case("DELETE", "sys/health", None),
        case("GET", "sys/seal-status", None).token(Token::None),
        case("PUT", "sys/seal-status", Some(json!({}))),
        case("GET", "sys/leader", None).token(Token::None),
        case("PUT", "sys/leader", Some(json!({}))),
        // Tokens.
        case("GET", "sys/mounts", None).token(Token::None),
        case("GET", "sys/mounts", None).token(Token::Bad),
        case("GET", "auth/token/lookup-self", None),
        case("POST", "auth/token/lookup-self", Some(json!({}))),
        case("GET", "auth/token/lookup-self", None).token(Token::None),
        case("GET", "auth/token/lookup-self", None).token(Token::Bad),
        case("DELETE", "auth/token/lookup-self", None),
        case("GET", "auth/token/lookup-self", None).token(Token::Bearer),
        case("GET", "sys/mounts/eng", None).token(Token::Bearer),
        // Methods.
        case("FOO", "sys/mounts", None),
        case("OPTIONS", "sys/mounts", None),
        case("HEAD", "sys/mounts", None),
        case("PATCH", "sys/mounts/eng", Some(json!({}))).content_type("application/json"),
        case("PATCH", "sys/mounts/eng", Some(json!({})))
            .content_type("application/merge-patch+json"),
        case("FOO", "sys/mounts", None).token(Token::None),
        // Mounts.
        case("GET", "sys/mounts", None)
            .focus(&[
                "/data/sys~1",
                "/data/eng~1",
                "/data/cubbyhole~1",
                "/data/identity~1",
                "/sys~1",
                "/eng~1",
                "/request_id",
                "/lease_id",
                "/renewable",
                "/lease_duration",
                "/wrap_info",
                "/warnings",
                "/auth",
            ])
            .values(&[
                "/data/eng~1/config",
                "/data/sys~1/config",
                "/data/sys~1/seal_wrap",
                "/data/sys~1/description",
                "/data/cubbyhole~1/config",
                "/data/cubbyhole~1/local",
                "/data/cubbyhole~1/seal_wrap",
                "/data/cubbyhole~1/description",
                "/data/identity~1/config",
                "/data/identity~1/local",
                "/data/identity~1/description",
            ]),
        case("DELETE", "sys/mounts/cubbyhole", None),
        case("DELETE", "sys/mounts/identity", None),
        case("DELETE", "sys/mounts/auth/x", None),
        case("GET", "sys/mounts/cubbyhole/tune", None).values(&["/data"]),
        case("GET", "sys/mounts/identity/tune", None).values(&["/data"]),
        case(
            "POST",
            "sys/mounts/cubbyhole/tune",
            Some(json!({"max_lease_ttl": "1h"})),
        ),
        case(
            "POST",
            "sys/mounts/identity/tune",
            Some(json!({"max_lease_ttl": "1h"})),
        ),
        case(
            "POST",
            "sys/mounts/cubbyhole",
            Some(json!({"type": "no-such-engine"})),
        ),
        case(
            "POST",
            "sys/mounts/identity/x",
            Some(json!({"type": "no-such-engine"})),
        ),
        case("LIST", "sys/mounts", None),
        case("GET", "sys/mounts/eng", None).values(&["/data/config", "/description"]),
        case("GET", "sys/mounts/nope", None),
        case("GET", "sys/mounts/", None),
        case("POST", "sys/mounts/x", Some(json!({}))),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine"})),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine", "options": {"version": "2"}})),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"config": {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}})),
        ),
        case("POST", "sys/mounts/eng", Some(json!({"type": "aws"}))),
        case("POST", "sys/mounts/eng/sub", Some(json!({"type": "aws"}))),
        case("POST", "sys/mounts/sys/x", Some(json!({"type": "aws"}))),
        case("POST", "sys/mounts/x/", Some(json!({"type": "aws"}))),
        case(
            "POST",
            "sys/mounts/x",
            Some(
                json!({"type": "no-such-engine", "config": {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}}),
            ),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine", "config": {"default_lease_ttl": "abc"}})),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine", "config": {"max_lease_ttl": "1y"}})),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine", "config": {"default_lease_ttl": "800h"}})),
        ),
        case(
            "POST",
            "sys/mounts/x",
            Some(json!({"type": "no-such-engine", "config": {"default_lease_ttl": 60}})),
        ),
        case("DELETE", "sys/mounts/sys", None),
        case("DELETE", "sys/mounts/nope", None),
        // Tuning.
        case("GET", "sys/mounts/eng/tune", None)
            .values(&["/data/default_lease_ttl", "/data/max_lease_ttl"]),
        case("GET", "sys/mounts/sys/tune", None).values(&["/data"]),
        case("GET", "sys/mounts/nope/tune", None),
        case("GET", "sys/mounts/eng/sub/tune", None).values(&["/data/default_lease_ttl"]),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(
                json!({"options": null, "default_lease_ttl": "30m0s", "max_lease_ttl": "1h0m0s", "force_no_cache": false}),
            ),
        ),
        case("GET", "sys/mounts/eng/tune", None)
            .values(&["/data/default_lease_ttl", "/data/max_lease_ttl"]),
        case("GET", "sys/mounts/eng", None).values(&["/data/config"]),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(json!({"default_lease_ttl": "2h", "max_lease_ttl": "1h"})),
        ),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(json!({"default_lease_ttl": "abc"})),
        ),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(json!({"max_lease_ttl": 600})),
        ),
        case("GET", "sys/mounts/eng/tune", None).values(&["/data/max_lease_ttl"]),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(json!({"default_lease_ttl": "system", "max_lease_ttl": "system"})),
        ),
        case("GET", "sys/mounts/eng/tune", None)
            .values(&["/data/default_lease_ttl", "/data/max_lease_ttl"]),
        case(
            "POST",
            "sys/mounts/eng/tune",
            Some(json!({"description": "tuned"})),
        ),
        case("GET", "sys/mounts/eng/tune", None).values(&["/data/description"]),
        case(
            "POST",
            "sys/mounts/sys/tune",
            Some(json!({"default_lease_ttl": "1h"})),
        ),
        case(
            "POST",
            "sys/mounts/nope/tune",
            Some(json!({"default_lease_ttl": "1h"})),
        ),
        case("DELETE", "sys/mounts/eng/tune", None),
        // Capabilities.
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": ["eng/x"]})),
        ),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"path": "eng/x"})),
        ),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": "a,b"})),
        ),
        case("POST", "sys/capabilities-self", Some(json!({}))),
        case("GET", "sys/capabilities-self", None),
        case("POST", "sys/capabilities-self", Some(json!({"paths": 5}))),
        case("POST", "sys/capabilities-self", Some(json!({"paths": [5]}))),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": ["a"], "path": "b"})),
        ),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"path": "a,b"})),
        ),
        case("GET", "auth/token/lookup-self?x=1", None).values(&["/warnings"]),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": ["eng/x"], "bogus": 1, "other": "x"})),
        )
        .values(&["/warnings"]),
        case(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": "nope/x", "bogus": 1})),
        ),
        case("PUT", "sys/leases/revoke", Some(json!({"sync": "maybe"}))),
        case("PUT", "sys/leases/renew", Some(json!({"increment": "abc"}))),
        case("POST", "sys/mounts/eng/tune", Some(json!({"bogus": 1}))),
        case(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": ["eng/x"]})),
        )
        .token(Token::None),
        // Leases that do not exist.
        case(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": "nope/x"})),
        ),
        case("PUT", "sys/leases/lookup", Some(json!({}))),
        case("GET", "sys/leases/lookup", None),
        case("LIST", "sys/leases/lookup/nope/", None),
        case(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": "nope/x"})),
        ),
        case("PUT", "sys/leases/renew", Some(json!({}))),
        case(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": "nope/x", "increment": "abc"})),
        ),
        case("GET", "sys/leases/renew", None),
        case(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": "nope/x"})),
        ),
        case(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": "nope/x", "sync": false})),
        ),
        case(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": "nope/x", "sync": "maybe"})),
        ),
        case("PUT", "sys/leases/revoke", Some(json!({}))),
        case("PUT", "sys/leases/revoke/nope/x", Some(json!({}))),
        case(
            "PUT",
            "sys/leases/revoke/nope/x",
            Some(json!({"sync": false})),
        ),
        case("DELETE", "sys/leases/revoke", None),
        case("PUT", "sys/leases/revoke-prefix/nope", Some(json!({}))),
        case(
            "PUT",
            "sys/leases/revoke-prefix/nope",
            Some(json!({"sync": false})),
        ),
        case("PUT", "sys/leases/revoke-prefix/", Some(json!({}))),
        case("PUT", "sys/leases/revoke-force/nope", Some(json!({}))),
        case(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": "nope/x"})),
        )
        .token(Token::None),
        case("GET", "sys/leases", None),
        case("GET", "sys/leases?type=irrevocable", None),
        case("GET", "sys/leases/count", None),
        case("GET", "sys/leases/count?type=irrevocable", None),
        // Unknown paths and bad input.
        case("GET", "sys/nope", None),
        case("GET", "sys/nope", None).token(Token::None),
        case("GET", "nope/x", None),
        case("GET", "nope/x", None).token(Token::None),
        case("PUT", "nope/x/", Some(json!({}))).token(Token::None),
        case("GET", "sys", None),
        case("PUT", "sys/mounts/x", None).content_type("application/json"),
    ];
    let mut malformed = case("PUT", "sys/mounts/x", None);
    malformed.body = Some("{\"type\":".into());
    cases.push(malformed);
    let mut not_an_object = case("PUT", "sys/mounts/x", None);
    not_an_object.body = Some("[1]".into());
    cases.push(not_an_object);

    let mut report = Vec::new();
    for case in &cases {
        let a = ours.send(case).await;
        let b = theirs.send(case).await;
        for difference in differences(case, &a, &b) {
            report.push(format!("{}: {difference}", case.label()));
        }
    }

    // A real lease on each: lookup, list and renewal shapes.
    let lookup = |id: &str| case("PUT", "sys/leases/lookup", Some(json!({"lease_id": id})));
    let (ours_lookup, theirs_lookup) = (
        ours.send(&lookup(&our_lease)).await,
        theirs.send(&lookup(&their_lease)).await,
    );
    for difference in differences(&lookup("…"), &ours_lookup, &theirs_lookup) {
        report.push(format!("lookup of a live lease: {difference}"));
    }
    let (ours_list, theirs_list) = (
        ours.send(&case("LIST", "sys/leases/lookup/eng/creds/r/", None))
            .await,
        theirs
            .send(&case("LIST", "sys/leases/lookup/auth/token/create/", None))
            .await,
    );
    for difference in differences(
        &case("LIST", "sys/leases/lookup/…", None),
        &ours_list,
        &theirs_list,
    ) {
        report.push(format!("list of live leases: {difference}"));
    }

    let (ours_root, theirs_root) = (
        ours.send(&case("LIST", "sys/leases/lookup/", None)).await,
        theirs.send(&case("LIST", "sys/leases/lookup/", None)).await,
    );
    for difference in differences(
        &case("LIST", "sys/leases/lookup/", None),
        &ours_root,
        &theirs_root,
    ) {
        report.push(format!("list of lease prefixes: {difference}"));
    }

    // Revoking a live lease without `sync` is synchronous in both: 204, then it is gone.
    let revoke = |id: &str| case("PUT", "sys/leases/revoke", Some(json!({"lease_id": id})));
    for (what, a, b) in [
        (
            "revoke of a live lease",
            ours.send(&revoke(&our_lease)).await,
            theirs.send(&revoke(&their_lease)).await,
        ),
        (
            "lookup after revoke",
            ours.send(&lookup(&our_lease)).await,
            theirs.send(&lookup(&their_lease)).await,
        ),
    ] {
        for difference in differences(&revoke("…"), &a, &b) {
            report.push(format!("{what}: {difference}"));
        }
    }

    assert!(
        report.is_empty(),
        "the sandbox answers differently from OpenBao:\n{}",
        report.join("\n")
    );
}

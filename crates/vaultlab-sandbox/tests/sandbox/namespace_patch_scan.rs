//! `PATCH sys/namespaces/<name>` (a JSON merge patch of `custom_metadata`) and `SCAN
//! sys/namespaces` (every descendant), the sandbox side by side with OpenBao 2.7: the same
//! requests to both, then the same status, errors, warnings, metadata and keys
//! (namespaces-spec §1.4, §1.5).

use serde_json::{Value, json};

use super::namespace_differential::{Server, both};

/// A PATCH with `content_type` and a raw body, with the root token: (status, body).
async fn patch(
    server: &Server,
    path: &str,
    namespace: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = server
        .http
        .patch(format!("{}/v1/{path}", server.url))
        .header("X-Vault-Token", &server.root)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    if let Some(namespace) = namespace {
        request = request.header("X-Vault-Namespace", namespace);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// What is compared: status, errors, warnings, and the namespace's path and metadata.
fn compared((status, body): &(u16, Value)) -> Value {
    json!({
        "status": status,
        "errors": body.get("errors"),
        "warnings": body.get("warnings"),
        "path": body["data"]["path"],
        "custom_metadata": body["data"]["custom_metadata"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespaces_metadata_is_patched_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        server
            .root("POST", "room/sys/namespaces/ada", None, None)
            .await;
    }
    const MERGE: Option<&str> = Some("application/merge-patch+json");
    let patches: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        ("sys/namespaces/room", None, None, "{}"),
        ("sys/namespaces/room", None, Some("application/json"), "{}"),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":{"course":"dyn-secrets","seats":"30"}}"#,
        ),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":{"seats":null,"x":"y"}}"#,
        ),
        ("sys/namespaces/room", None, MERGE, "{}"),
        ("sys/namespaces/room", None, MERGE, ""),
        ("sys/namespaces/room", None, MERGE, r#"{"other":1}"#),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":{"n":1}}"#,
        ),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":{"b":true}}"#,
        ),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":{"b":[1]}}"#,
        ),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":"x"}"#,
        ),
        ("sys/namespaces/room", None, MERGE, "[1]"),
        (
            "sys/namespaces/room",
            None,
            MERGE,
            r#"{"custom_metadata":null}"#,
        ),
        (
            "room/sys/namespaces/ada",
            None,
            MERGE,
            r#"{"custom_metadata":{"k":"v"}}"#,
        ),
        (
            "sys/namespaces/ada",
            Some("room"),
            MERGE,
            r#"{"custom_metadata":{"k":null,"j":"w"}}"#,
        ),
        ("sys/namespaces/nosuch", None, MERGE, "{}"),
        ("sys/namespaces/room/ada", None, MERGE, "{}"),
        ("sys/namespaces/", None, MERGE, "{}"),
        ("sys/namespaces", None, MERGE, "{}"),
        ("sys/mounts/x", None, MERGE, "{}"),
        ("sys/mounts/x", Some("nosuch"), MERGE, "{}"),
    ];
    let mut diffs = Vec::new();
    for (path, namespace, content_type, body) in patches {
        let a = patch(&theirs, path, *namespace, *content_type, body).await;
        let b = patch(&ours, path, *namespace, *content_type, body).await;
        if compared(&a) != compared(&b) {
            diffs.push(format!(
                "PATCH {path} [ns {namespace:?}, {content_type:?}] {body}\n  openbao: {}\n  sandbox: {}",
                compared(&a),
                compared(&b)
            ));
        }
    }
    // The patched metadata is what a read shows.
    let theirs_read = theirs
        .root("GET", "room/sys/namespaces/ada", None, None)
        .await;
    let ours_read = ours
        .root("GET", "room/sys/namespaces/ada", None, None)
        .await;
    assert_eq!(ours_read.body["data"]["custom_metadata"], json!({"j": "w"}));
    assert_eq!(
        theirs_read.body["data"]["custom_metadata"],
        ours_read.body["data"]["custom_metadata"]
    );
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    sandbox.shutdown().await.unwrap();
}

/// What is compared of a list or scan: status, errors, the keys as a set (their order is
/// unspecified) and each key's path.
fn listed(answer: &super::namespace_differential::Answer) -> Value {
    let mut keys: Vec<String> = answer.body["data"]["keys"]
        .as_array()
        .map(|k| k.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    keys.sort();
    let paths: Vec<Value> = keys
        .iter()
        .map(|k| answer.body["data"]["key_info"][k]["path"].clone())
        .collect();
    json!({
        "status": answer.status,
        "errors": answer.body.get("errors"),
        "data": answer.body["data"].as_object().map(|d| d.is_empty()),
        "keys": keys,
        "paths": paths,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_are_scanned_by_the_scan_method_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        for child in ["room/sys/namespaces/ada", "room/sys/namespaces/bob"] {
            server.root("POST", child, None, None).await;
        }
        server
            .root("POST", "room/ada/sys/namespaces/sub", None, None)
            .await;
    }
    let probes: &[(&str, &str, Option<&str>, bool)] = &[
        ("SCAN", "sys/namespaces", None, true),
        ("SCAN", "sys/namespaces/", None, true),
        ("SCAN", "sys/namespaces", Some("room"), true),
        ("SCAN", "room/sys/namespaces", None, true),
        ("GET", "sys/namespaces?scan=true", Some("room"), true),
        // A namespace with no children: an empty scan, a 404 list.
        ("SCAN", "room/ada/sub/sys/namespaces", None, true),
        ("LIST", "room/ada/sub/sys/namespaces", None, true),
        ("SCAN", "sys/namespaces?list=true", None, true),
        ("GET", "sys/namespaces?scan=true&list=true", None, true),
        ("SCAN", "sys/namespaces/room", None, true),
        ("GET", "sys/namespaces/room?scan=true", None, true),
        ("SCAN", "sys/policies/acl", None, true),
        ("SCAN", "sys/namespaces", None, false),
    ];
    let mut diffs = Vec::new();
    for (method, path, namespace, with_token) in probes {
        let (theirs_token, ours_token) = (
            with_token.then(|| theirs.root.clone()),
            with_token.then(|| ours.root.clone()),
        );
        let a = theirs
            .send(method, path, *namespace, theirs_token.as_deref(), None)
            .await;
        let b = ours
            .send(method, path, *namespace, ours_token.as_deref(), None)
            .await;
        if listed(&a) != listed(&b) {
            diffs.push(format!(
                "{method} {path} [ns {namespace:?}]\n  openbao: {}\n  sandbox: {}",
                listed(&a),
                listed(&b)
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    sandbox.shutdown().await.unwrap();
}

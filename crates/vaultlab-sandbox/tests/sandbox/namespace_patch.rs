//! `PATCH sys/namespaces/<name>` (a JSON merge patch of `custom_metadata`), the sandbox
//! side by side with OpenBao 2.7: the same patches to both, then the same status, errors,
//! warnings and metadata (namespaces-spec §1.5).

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

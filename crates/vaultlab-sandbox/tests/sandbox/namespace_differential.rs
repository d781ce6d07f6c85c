//! Vault namespaces, the sandbox side by side with OpenBao 2.7 (`bao server -dev`): the same
//! requests to both (namespaces made, read, listed and deleted; the header and path-prefix
//! forms; names refused; tokens made in a namespace and refused outside it; policies per
//! namespace), then the same status and error words, and the same shapes where they
//! answer. The sequences are those of /work/notes/namespaces-spec.md §10, where both serve
//! the paths (OpenBao has no AWS engine; its `kv` mount stands in where a mount is needed).

use vaultlab_testkit as common;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) url: String,
    pub(crate) root: String,
    pub(crate) http: reqwest::Client,
}

/// What one request got: status, body (Null when empty), the echoed namespace header.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) echoed: Option<String>,
}

impl Server {
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        namespace: Option<&str>,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}/v1/{path}", self.url));
        if let Some(ns) = namespace {
            request = request.header("X-Vault-Namespace", ns);
        }
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let echoed = response
            .headers()
            .get("x-vault-namespace")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            echoed,
        }
    }

    pub(crate) async fn root(
        &self,
        method: &str,
        path: &str,
        ns: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send(method, path, ns, Some(&self.root.clone()), body)
            .await
    }
}

/// The comparable part of an answer: its status, its errors, the sorted keys of `data`
/// (and of `data.keys` when it lists).
pub(crate) fn gist(answer: &Answer) -> Value {
    let data = &answer.body["data"];
    let keys: BTreeSet<String> = data
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut listed: Vec<String> = data["keys"]
        .as_array()
        .map(|k| {
            k.iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    listed.sort();
    json!({
        "status": answer.status,
        "errors": answer.body.get("errors"),
        "data_fields": keys,
        "listed": listed,
    })
}

pub(crate) async fn both() -> (common::Bao, Sandbox, Server, Server) {
    let bao = tokio::task::spawn_blocking(common::Bao::dev).await.unwrap();
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let theirs = Server {
        name: "openbao",
        url: bao.url(),
        root: bao.token.clone(),
        http: http.clone(),
    };
    let ours = Server {
        name: "sandbox",
        url: sandbox.vault_addr().to_owned(),
        root: sandbox.root_token().expose().to_owned(),
        http,
    };
    (bao, sandbox, theirs, ours)
}

/// Sends the same request to both and compares the gists; returns both answers.
async fn alike(
    theirs: &Server,
    ours: &Server,
    method: &str,
    path: &str,
    ns: Option<&str>,
    body: Option<Value>,
    differences: &mut Vec<String>,
) -> (Answer, Answer) {
    let a = theirs.root(method, path, ns, body.clone()).await;
    let b = ours.root(method, path, ns, body).await;
    if gist(&a) != gist(&b) {
        differences.push(format!(
            "{method} {path} [ns {ns:?}]\n  {}: {}\n  {}: {}",
            theirs.name,
            gist(&a),
            ours.name,
            gist(&b)
        ));
    }
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_are_made_read_listed_and_deleted_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let mut diffs = Vec::new();
    let d = &mut diffs;

    // S1: create in the three forms, read, list, scan.
    let (room_a, room_b) =
        alike(&theirs, &ours, "POST", "sys/namespaces/room", None, None, d).await;
    for answer in [&room_a, &room_b] {
        let data = &answer.body["data"];
        assert_eq!(data["path"], "room/", "{}", answer.body);
        let id = data["id"].as_str().unwrap();
        assert!(
            id.len() == 6 && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id}"
        );
        assert_eq!(data["locked"], false);
        assert_eq!(data["custom_metadata"], json!({}));
    }
    alike(
        &theirs,
        &ours,
        "POST",
        "room/sys/namespaces/ada",
        None,
        None,
        d,
    )
    .await;
    let (_, bob) = alike(
        &theirs,
        &ours,
        "POST",
        "sys/namespaces/bob",
        Some("room"),
        None,
        d,
    )
    .await;
    assert_eq!(bob.body["data"]["path"], "room/bob/");
    for (path, ns) in [
        ("sys/namespaces/room", None),
        ("sys/namespaces/room/", None),
        ("room/sys/namespaces/ada", None),
        ("sys/namespaces/ada", Some("room/")),
        ("sys/namespaces/nosuch", None),
        ("sys/namespaces/room/ada", None),
        ("sys/namespaces?list=true", None),
        ("room/sys/namespaces?list=true", None),
        ("sys/namespaces?scan=true", None),
    ] {
        alike(&theirs, &ours, "GET", path, ns, None, d).await;
    }
    for (path, ns) in [
        ("sys/namespaces", None),
        ("room/ada/sys/namespaces", None),
        ("sys/namespaces/room", None),
    ] {
        alike(&theirs, &ours, "LIST", path, ns, None, d).await;
    }

    // S2: a second create replaces the metadata, keeps the id.
    let (_, before) = alike(
        &theirs,
        &ours,
        "PUT",
        "sys/namespaces/room",
        None,
        Some(json!({"custom_metadata": {"k": "v"}})),
        d,
    )
    .await;
    assert_eq!(before.body["data"]["custom_metadata"], json!({"k": "v"}));
    let (_, after) = alike(&theirs, &ours, "POST", "sys/namespaces/room", None, None, d).await;
    assert_eq!(after.body["data"]["custom_metadata"], json!({}));
    assert_eq!(after.body["data"]["id"], room_b.body["data"]["id"]);
    alike(
        &theirs,
        &ours,
        "PUT",
        "sys/namespaces/room",
        None,
        Some(json!({"custom_metadata": {"n": 1}})),
        d,
    )
    .await;

    // S3: names.
    for name in [
        "sys",
        "root",
        "audit",
        "auth",
        "cubbyhole",
        "identity",
        "a%20b",
        "a+b",
        "a*b",
        "a%2Fb",
        "a/b",
        "trail/",
        "ROOT",
        "caf%C3%A9",
        "a.b",
        "a:b",
        "x%3Fy",
    ] {
        alike(
            &theirs,
            &ours,
            "POST",
            &format!("sys/namespaces/{name}"),
            None,
            None,
            d,
        )
        .await;
    }
    alike(
        &theirs,
        &ours,
        "POST",
        &format!("sys/namespaces/{}", "n".repeat(300)),
        None,
        None,
        d,
    )
    .await;
    alike(
        &theirs,
        &ours,
        "POST",
        "room/sys/namespaces/root",
        None,
        None,
        d,
    )
    .await;
    alike(&theirs, &ours, "POST", "sys/namespaces", None, None, d).await;
    // A mount's name is taken (kv there, aws here: each server's own engine).
    theirs
        .root("POST", "sys/mounts/eng", None, Some(json!({"type": "kv"})))
        .await;
    ours.root("POST", "sys/mounts/eng", None, Some(json!({"type": "aws"})))
        .await;
    alike(&theirs, &ours, "POST", "sys/namespaces/eng", None, None, d).await;

    // S9: delete.
    alike(
        &theirs,
        &ours,
        "POST",
        "room/sys/namespaces/tmp",
        None,
        None,
        d,
    )
    .await;
    let (_, gone) = alike(
        &theirs,
        &ours,
        "DELETE",
        "room/sys/namespaces/tmp",
        None,
        None,
        d,
    )
    .await;
    assert_eq!(gone.body["data"]["status"], "in-progress");
    // OpenBao deletes in the background: wait (with a deadline) until it is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while theirs
        .root("GET", "room/sys/namespaces/tmp", None, None)
        .await
        .status
        != 404
    {
        assert!(
            std::time::Instant::now() < deadline,
            "openbao never finished the delete"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    alike(
        &theirs,
        &ours,
        "GET",
        "room/sys/namespaces/tmp",
        None,
        None,
        d,
    )
    .await;
    alike(
        &theirs,
        &ours,
        "DELETE",
        "room/sys/namespaces/tmp",
        None,
        None,
        d,
    )
    .await;
    alike(
        &theirs,
        &ours,
        "DELETE",
        "sys/namespaces/room",
        None,
        None,
        d,
    )
    .await;
    alike(
        &theirs,
        &ours,
        "DELETE",
        "sys/namespaces/x",
        Some("nosuch"),
        None,
        d,
    )
    .await;

    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_finds_its_namespace_by_header_and_prefix_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let mut diffs = Vec::new();
    let d = &mut diffs;
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        server
            .root("POST", "room/sys/namespaces/ada", None, None)
            .await;
        server
            .root("POST", "room/sys/namespaces/bob", None, None)
            .await;
    }
    // S4: which namespace answers sys/mounts (each lists its own mounts).
    let headers = [
        Some("room/ada"),
        Some("room/ada/"),
        Some("/room/ada"),
        Some("room//ada"),
        Some("room/../room/ada"),
        Some("Room/Ada"),
        Some("nosuch"),
        Some("room/nosuch"),
        Some("root"),
        Some(""),
        None,
    ];
    for header in headers {
        alike(
            &theirs,
            &ours,
            "GET",
            "auth/token/lookup-self",
            header,
            None,
            d,
        )
        .await;
        let (a, b) = alike(
            &theirs,
            &ours,
            "GET",
            "sys/namespaces?list=true",
            header,
            None,
            d,
        )
        .await;
        if header.is_some_and(|h| !h.is_empty()) {
            assert_eq!(a.echoed.as_deref(), header, "openbao echoes the header");
            assert_eq!(b.echoed.as_deref(), header, "the sandbox echoes the header");
        }
    }
    for (path, header) in [
        ("room/ada/sys/namespaces/x", None),
        ("root/sys/namespaces/x", None),
        ("nosuch/sys/namespaces/x", None),
        ("room/nosuch/sys/namespaces/x", None),
        ("ada/sys/namespaces/x", Some("room")),
        ("room/ada/sys/namespaces/x", Some("room/ada")),
        ("bob/sys/namespaces/x", Some("room/ada")),
        ("room/ada/nothing/here", None),
    ] {
        alike(&theirs, &ours, "GET", path, header, None, d).await;
    }
    // A new namespace's mounts: sys/, cubbyhole/, identity/ only.
    let mounts = ours.root("GET", "room/ada/sys/mounts", None, None).await;
    let listed: BTreeSet<&str> = mounts.body["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(listed, BTreeSet::from(["cubbyhole/", "identity/", "sys/"]));

    // S5: root-only sys paths in a namespace.
    for (method, path, header) in [
        ("GET", "sys/health", Some("room/ada")),
        ("GET", "sys/health", Some("root")),
        ("GET", "room/ada/sys/health", None),
        ("PUT", "sys/step-down", Some("room/ada")),
        ("PUT", "room/ada/sys/step-down", None),
        ("GET", "room/ada/sys/host-info", None),
    ] {
        alike(&theirs, &ours, method, path, header, None, d).await;
    }
    let status = ours
        .send("GET", "room/ada/sys/seal-status", None, None, None)
        .await;
    assert_eq!(status.status, 200);
    assert_eq!(status.body["sealed"], false);

    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    sandbox.shutdown().await.unwrap();
}

/// A seat's policy: everything in its namespace.
const SEAT_POLICY: &str =
    r#"path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_token_works_in_its_namespace_only_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let mut diffs = Vec::new();
    let mut tokens = Vec::new();
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        let mut seat_tokens = Vec::new();
        for seat in ["ada", "bob"] {
            server
                .root("POST", &format!("room/sys/namespaces/{seat}"), None, None)
                .await;
            let written = server
                .root(
                    "PUT",
                    &format!("room/{seat}/sys/policies/acl/seat"),
                    None,
                    Some(json!({"policy": SEAT_POLICY})),
                )
                .await;
            assert_eq!(written.status, 204, "{}: {:?}", server.name, written.body);
            let made = server
                .root(
                    "POST",
                    &format!("room/{seat}/auth/token/create"),
                    None,
                    Some(json!({"policies": ["seat"], "ttl": "1h"})),
                )
                .await;
            assert_eq!(made.status, 200, "{}: {:?}", server.name, made.body);
            let auth = &made.body["auth"];
            let token = auth["client_token"].as_str().unwrap().to_owned();
            let ns_id = server
                .root("GET", &format!("room/sys/namespaces/{seat}"), None, None)
                .await
                .body["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                token.ends_with(&format!(".{ns_id}")),
                "{}: {token}",
                server.name
            );
            assert!(
                auth["accessor"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(".{ns_id}"))
            );
            let mut policies: Vec<&str> = auth["policies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            policies.sort();
            assert_eq!(policies, ["default", "seat"], "{}", server.name);
            seat_tokens.push(token);
        }
        tokens.push(seat_tokens);
    }
    // S7: where each token works. (method, path, header)
    let probes: &[(&str, &str, Option<&str>)] = &[
        ("GET", "sys/mounts", Some("room/ada")),
        ("GET", "room/ada/sys/mounts", None),
        ("GET", "sys/mounts", None),
        ("GET", "sys/mounts", Some("room")),
        ("GET", "room/sys/mounts", None),
        ("GET", "sys/mounts", Some("room/bob")),
        ("GET", "room/bob/sys/mounts", None),
        ("GET", "bob/sys/mounts", Some("room")),
        ("GET", "auth/token/lookup-self", Some("room/ada")),
        ("GET", "auth/token/lookup-self", None),
        ("GET", "auth/token/lookup-self", Some("room/bob")),
        ("GET", "sys/policies/acl", Some("room/ada")),
        ("LIST", "sys/policies/acl", Some("room/bob")),
        ("GET", "sys/namespaces?list=true", Some("room")),
        ("PUT", "sys/policies/acl/mine", Some("room/bob")),
        ("GET", "sys/leases/lookup/aws/?list=true", Some("room/bob")),
        ("GET", "sys/nothing", Some("room/ada")),
    ];
    for (method, path, header) in probes {
        let body = (*method == "PUT").then(|| json!({"policy": SEAT_POLICY}));
        let a = theirs
            .send(method, path, *header, Some(&tokens[0][0]), body.clone())
            .await;
        let b = ours
            .send(method, path, *header, Some(&tokens[1][0]), body)
            .await;
        let (ga, gb) = (gist(&a), gist(&b));
        // Where both answer 200, the data differ by engine (kv, aws); statuses and words
        // must agree everywhere.
        if ga["status"] != gb["status"] || ga["errors"] != gb["errors"] {
            diffs.push(format!(
                "[ada's token] {method} {path} [{header:?}]\n  openbao: {ga}\n  sandbox: {gb}"
            ));
        }
    }
    // What a seat token may do, as sys/capabilities-self tells it: the same capabilities
    // in its namespace, refused in its sibling's.
    for header in ["room/ada", "room/bob"] {
        let body = json!({"paths": ["sys/mounts", "sys/leases/revoke-prefix/x"]});
        let a = theirs
            .send(
                "POST",
                "sys/capabilities-self",
                Some(header),
                Some(&tokens[0][0]),
                Some(body.clone()),
            )
            .await;
        let b = ours
            .send(
                "POST",
                "sys/capabilities-self",
                Some(header),
                Some(&tokens[1][0]),
                Some(body),
            )
            .await;
        if (a.status, &a.body["data"], &a.body.get("errors"))
            != (b.status, &b.body["data"], &b.body.get("errors"))
        {
            diffs.push(format!(
                "capabilities-self [{header}]\n  openbao: {} {}\n  sandbox: {} {}",
                a.status, a.body, b.status, b.body
            ));
        }
    }
    // lookup-self from ada's token names its namespace, wherever it is asked.
    let me = ours
        .send(
            "GET",
            "auth/token/lookup-self",
            None,
            Some(&tokens[1][0]),
            None,
        )
        .await;
    assert_eq!(me.body["data"]["namespace_path"], "room/ada/");
    // A bogus token, no token, and a bogus token in a namespace that does not exist.
    for (token, header) in [
        (Some("s.bogusbogusbogusbogus1234"), None),
        (None, Some("room/ada")),
        (Some("bogus"), Some("nosuch")),
    ] {
        let a = theirs.send("GET", "sys/mounts", header, token, None).await;
        let b = ours.send("GET", "sys/mounts", header, token, None).await;
        if gist(&a) != gist(&b) {
            diffs.push(format!(
                "[{token:?}] GET sys/mounts [{header:?}]\n  openbao: {}\n  sandbox: {}",
                gist(&a),
                gist(&b)
            ));
        }
    }
    // Once its namespace is deleted, the token is gone with it.
    for (server, seat_tokens) in [(&theirs, &tokens[0]), (&ours, &tokens[1])] {
        let deleted = server
            .root("DELETE", "room/sys/namespaces/bob", None, None)
            .await;
        assert_eq!(deleted.status, 200, "{}", server.name);
        // OpenBao finishes a delete in the background.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while server
            .root("GET", "room/sys/namespaces/bob", None, None)
            .await
            .status
            != 404
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the delete never finished",
                server.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let refused = server
            .send(
                "GET",
                "auth/token/lookup-self",
                None,
                Some(&seat_tokens[1]),
                None,
            )
            .await;
        assert_eq!(refused.status, 403, "{}", server.name);
        assert_eq!(
            refused.body,
            json!({"errors": ["permission denied"]}),
            "{}",
            server.name
        );
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    sandbox.shutdown().await.unwrap();
}

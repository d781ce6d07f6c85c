//! `sys/namespaces/api-lock/lock` and `unlock`, the sandbox side by side with OpenBao 2.7:
//! the same sequence to both (lock a seat, its requests refused with 503 whatever the
//! token, a wrong key, unlocking itself with sudo, a locked parent locking its children,
//! the key that unlocks), then the same status, errors, warnings and fields
//! (namespaces-spec §1.6).

use serde_json::{Value, json};

use super::namespace_differential::{Answer, Server, both};

/// What is compared: status, errors, warnings, the fields of `data` and its `locked`.
fn compared(answer: &Answer) -> Value {
    let fields: Vec<String> = answer.body["data"]
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    json!({
        "status": answer.status,
        "errors": answer.body.get("errors"),
        "warnings": answer.body.get("warnings"),
        "fields": fields,
        "locked": answer.body["data"]["locked"],
    })
}

/// One step of the sequence: method, path, namespace header, token (`None`: none sent;
/// `"root"`: the server's root token), body (`"KEY"` stands for the unlock key kept).
type Step = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<Value>,
);

async fn run(server: &Server, steps: &[Step]) -> Vec<Answer> {
    let mut key = String::new();
    let mut answers = Vec::new();
    for (method, path, namespace, token, body) in steps {
        let token = token.map(|t| match t {
            "root" => server.root.clone(),
            other => other.to_owned(),
        });
        let body = body
            .as_ref()
            .map(|b| serde_json::from_str(&b.to_string().replace("KEY", &key)).unwrap());
        let answer = server
            .send(method, path, *namespace, token.as_deref(), body)
            .await;
        if let Some(k) = answer.body["data"]["unlock_key"].as_str() {
            key = k.to_owned();
        }
        answers.push(answer);
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_namespace_answers_503_until_unlocked_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let root = Some("root");
    let room = Some("room");
    let steps: Vec<Step> = vec![
        ("POST", "sys/namespaces/room", None, root, None),
        ("POST", "room/sys/namespaces/ada", None, root, None),
        ("POST", "room/sys/namespaces/bob", None, root, None),
        ("PUT", "sys/namespaces/api-lock/lock/bob", room, root, None),
        ("PUT", "sys/namespaces/api-lock/lock/bob", room, root, None),
        ("LIST", "room/bob/sys/namespaces", None, root, None),
        ("LIST", "sys/namespaces", Some("room/bob"), None, None),
        ("LIST", "room/bob/sys/namespaces", None, Some("bogus"), None),
        ("GET", "sys/namespaces/bob", room, root, None),
        ("LIST", "room/ada/sys/namespaces", None, root, None),
        (
            "PUT",
            "sys/namespaces/api-lock/unlock/bob",
            room,
            root,
            Some(json!({"unlock_key": "wrong"})),
        ),
        (
            "PUT",
            "sys/namespaces/api-lock/lock/nosuch",
            room,
            root,
            None,
        ),
        (
            "PUT",
            "sys/namespaces/api-lock/unlock/nosuch",
            room,
            root,
            None,
        ),
        ("GET", "sys/namespaces/api-lock/lock/bob", room, root, None),
        (
            "DELETE",
            "sys/namespaces/api-lock/lock/bob",
            room,
            root,
            None,
        ),
        ("PUT", "sys/namespaces/api-lock/lock", None, root, None),
        ("PUT", "sys/namespaces/api-lock/unlock", None, root, None),
        // A namespace's request to unlock itself passes its lock (sudo, no key).
        (
            "PUT",
            "room/bob/sys/namespaces/api-lock/unlock",
            None,
            root,
            None,
        ),
        (
            "PUT",
            "sys/namespaces/api-lock/unlock/bob",
            room,
            root,
            None,
        ),
        ("LIST", "room/bob/sys/namespaces", None, root, None),
        // A locked parent locks its children; its key unlocks it.
        ("PUT", "sys/namespaces/api-lock/lock/room", None, root, None),
        ("LIST", "room/ada/sys/namespaces", None, root, None),
        (
            "PUT",
            "room/sys/namespaces/api-lock/unlock/bob",
            None,
            root,
            None,
        ),
        ("GET", "sys/namespaces/room", None, root, None),
        (
            "PUT",
            "sys/namespaces/api-lock/unlock/room",
            None,
            root,
            Some(json!({"unlock_key": "KEY"})),
        ),
        ("LIST", "room/ada/sys/namespaces", None, root, None),
        // A nested path from further up.
        (
            "PUT",
            "sys/namespaces/api-lock/lock/room/ada",
            None,
            root,
            None,
        ),
        ("LIST", "room/ada/sys/namespaces", None, root, None),
        ("PUT", "sys/namespaces/api-lock/lock/a/b", None, root, None),
        (
            "PUT",
            "sys/namespaces/api-lock/unlock/room/ada",
            None,
            root,
            Some(json!({"unlock_key": ""})),
        ),
        ("LIST", "room/ada/sys/namespaces", None, root, None),
    ];
    let (a, b) = (run(&theirs, &steps).await, run(&ours, &steps).await);
    let diffs: Vec<String> = steps
        .iter()
        .zip(a.iter().zip(&b))
        .filter(|(_, (a, b))| compared(a) != compared(b))
        .map(|((method, path, ns, token, _), (a, b))| {
            format!(
                "{method} {path} [ns {ns:?}, token {token:?}]\n  openbao: {}\n  sandbox: {}",
                compared(a),
                compared(b)
            )
        })
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The sequence did what it says: bob locked, then refused with the words.
    assert_eq!(b[5].status, 503);
    assert_eq!(
        b[5].body["errors"][0],
        "API access to this namespace has been locked by an administrator - \"room/bob/\" must be unlocked to gain access."
    );
    assert_eq!(b[8].body["data"]["locked"], true);
    sandbox.shutdown().await.unwrap();
}

//! A namespace token renewing and revoking itself, and a token looked up by its accessor,
//! the sandbox side by side with OpenBao 2.7 (`bao token renew`, `bao token revoke -self`,
//! `bao token lookup -accessor` from a seat): the same requests to both, then the same
//! status, errors, fields and lease durations.

use serde_json::{Value, json};

use super::namespace_differential::{Answer, Server, both, gist};

/// A token made by the root token in `room/ada` (with `default`, 1h): (token, accessor).
async fn seat_token(server: &Server) -> (String, String) {
    let made = server
        .root(
            "POST",
            "room/ada/auth/token/create",
            None,
            Some(json!({"policies": ["default"], "ttl": "1h"})),
        )
        .await;
    assert_eq!(made.status, 200, "{}: {:?}", server.name, made.body);
    let field = |k: &str| made.body["auth"][k].as_str().unwrap().to_owned();
    (field("client_token"), field("accessor"))
}

/// What is compared of an answer: its gist, plus the granted lease duration and the
/// warnings of a renewal (a capped one's words name a duration that counts down: only
/// their shape is compared).
fn compared(answer: &Answer) -> Value {
    let warnings: Vec<String> = answer.body["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| {
                    let w = w.as_str().unwrap_or("");
                    w.split(" of \"767h")
                        .next()
                        .unwrap_or(w)
                        .split(" of \"768h")
                        .next()
                        .unwrap_or(w)
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    let lease = answer.body["auth"]["lease_duration"].as_i64();
    json!({
        "gist": gist(answer),
        // Within a few seconds of each other (a capped renewal counts down from creation).
        "lease_minutes": lease.map(|s| (s + 30) / 60),
        "warnings": warnings,
        // lookup-accessor leaves the token out.
        "id_empty": answer.body["data"]["id"].as_str() == Some(""),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_token_renews_and_revokes_itself_and_is_found_by_accessor_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let mut seats = Vec::new();
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        server
            .root("POST", "room/sys/namespaces/ada", None, None)
            .await;
        seats.push(seat_token(server).await);
    }
    let mut diffs = Vec::new();
    // (method, path, header, with the seat token (else root), body)
    type Probe = (
        &'static str,
        &'static str,
        Option<&'static str>,
        bool,
        Option<Value>,
    );
    let accessor = |side: usize| seats[side].1.clone();
    let probes = |side: usize| -> Vec<Probe> {
        vec![
            // renew-self: in its namespace, from the root (moved there), by increment.
            (
                "PUT",
                "auth/token/renew-self",
                Some("room/ada"),
                true,
                Some(json!({"increment": "2h"})),
            ),
            ("PUT", "auth/token/renew-self", None, true, None),
            (
                "PUT",
                "auth/token/renew-self",
                None,
                true,
                Some(json!({"increment": 60})),
            ),
            (
                "PUT",
                "auth/token/renew-self",
                None,
                true,
                Some(json!({"increment": "10000h"})),
            ),
            (
                "PUT",
                "auth/token/renew-self",
                None,
                true,
                Some(json!({"increment": "xyz"})),
            ),
            ("GET", "auth/token/renew-self", None, true, None),
            ("PUT", "auth/token/renew-self", None, false, None),
            (
                "GET",
                "auth/token/lookup-self",
                Some("room/ada"),
                true,
                None,
            ),
            // lookup-accessor: only in the token's namespace.
            (
                "PUT",
                "auth/token/lookup-accessor",
                Some("room/ada"),
                false,
                Some(json!({"accessor": accessor(side)})),
            ),
            (
                "PUT",
                "room/ada/auth/token/lookup-accessor",
                None,
                false,
                Some(json!({"accessor": accessor(side)})),
            ),
            (
                "PUT",
                "auth/token/lookup-accessor",
                None,
                false,
                Some(json!({"accessor": accessor(side)})),
            ),
            (
                "PUT",
                "auth/token/lookup-accessor",
                Some("room"),
                false,
                Some(json!({"accessor": accessor(side)})),
            ),
            (
                "PUT",
                "auth/token/lookup-accessor",
                None,
                false,
                Some(json!({"accessor": "nope"})),
            ),
            (
                "PUT",
                "auth/token/lookup-accessor",
                Some("room/ada"),
                false,
                Some(json!({"accessor": "nope"})),
            ),
            (
                "PUT",
                "auth/token/lookup-accessor",
                Some("room/ada"),
                false,
                Some(json!({})),
            ),
            (
                "GET",
                "auth/token/lookup-accessor",
                Some("room/ada"),
                false,
                None,
            ),
            // revoke-self, asked in another namespace: moved to its own, and it is gone.
            ("PUT", "auth/token/revoke-self", Some("room"), true, None),
            (
                "GET",
                "auth/token/lookup-self",
                Some("room/ada"),
                true,
                None,
            ),
        ]
    };
    let (theirs_probes, ours_probes) = (probes(0), probes(1));
    for (a, b) in theirs_probes.into_iter().zip(ours_probes) {
        let (method, path, header, seat, body) = a;
        let token = |server: &Server, side: usize| {
            if seat {
                seats[side].0.clone()
            } else {
                server.root.clone()
            }
        };
        let theirs_answer = theirs
            .send(method, path, header, Some(&token(&theirs, 0)), body)
            .await;
        let ours_answer = ours
            .send(method, path, header, Some(&token(&ours, 1)), b.4)
            .await;
        if compared(&theirs_answer) != compared(&ours_answer) {
            diffs.push(format!(
                "{method} {path} [ns {header:?}, {}]\n  openbao: {}\n  sandbox: {}",
                if seat { "seat token" } else { "root token" },
                compared(&theirs_answer),
                compared(&ours_answer)
            ));
        }
    }
    // The accessor in the URL is not a route.
    let theirs_answer = theirs
        .root(
            "PUT",
            &format!("auth/token/lookup-accessor/{}", accessor(0)),
            Some("room/ada"),
            None,
        )
        .await;
    let ours_answer = ours
        .root(
            "PUT",
            &format!("auth/token/lookup-accessor/{}", accessor(1)),
            Some("room/ada"),
            None,
        )
        .await;
    if gist(&theirs_answer) != gist(&ours_answer) {
        diffs.push(format!(
            "PUT auth/token/lookup-accessor/<accessor>\n  openbao: {}\n  sandbox: {}",
            gist(&theirs_answer),
            gist(&ours_answer)
        ));
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    sandbox.shutdown().await.unwrap();
}

//! A room's control API over HTTP: progress derived on the server from a learner using the
//! real `bao` and `aws` CLIs in a seat (and kept across a restart), the seat's log,
//! broadcast and pace reaching a learner's long poll, short leases and a seat's leases
//! revoked, the room's end (every lease revoked, no `vault-*` user left in any account,
//! joins refused), and a seat's token refused with Vault's 403 on the facilitator's paths.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::room_lab::{Client, POLICY, do_the_lab, iam, open_room, start};
use vaultlab_testkit as common;

impl Client {
    /// A `/vaultlab/room…` request with `token`; (status, JSON body or null).
    pub(crate) async fn room(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}/vaultlab/room{path}", self.url))
            .header("X-Vault-Token", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The room's status once `done` holds, polled (the progress follows the event
    /// stream, a moment after the request).
    pub(crate) async fn status_when(&self, root: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body) = self.room("GET", "", root, None).await;
            assert_eq!(status, 200, "{body}");
            if done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "the room never got there: {body:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn steps_done(seat: &Value) -> Vec<bool> {
    seat["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| !s["done_at"].is_null())
        .collect()
}

/// Runs a CLI with the seat's settings, as `vaultlab join --env` would export them.
pub(crate) async fn cli(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let home = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(common::peer_program(program))
        .args(args)
        .envs(env.iter().copied())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("VAULT_NAMESPACE")
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bao_and_aws_cli_session_in_a_seat_shows_as_six_steps_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, root, code) = open_room(Some(state.clone()), 3).await;
    let seat = client.seated(&code, "ada").await;
    let s = |k: &str| seat[k].as_str().unwrap().to_owned();
    let (token, key, secret) = (
        s("vault_token"),
        s("aws_access_key_id"),
        s("aws_secret_access_key"),
    );
    let bao_env = [
        ("BAO_ADDR", client.url.as_str()),
        ("BAO_TOKEN", token.as_str()),
        ("BAO_NAMESPACE", "room/ada"),
    ];
    let bao = |args: &'static [&'static str]| cli("bao", args, &bao_env);

    let fresh = client
        .status_when(&root, |b| b["summary"]["joined"] == 1)
        .await;
    assert_eq!(steps_done(&fresh["seats"][0]), [false; 6]);

    let (ok, _, err) = bao(&["secrets", "enable", "aws"]).await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli(
        "bao",
        &[
            "write",
            "aws/config/root",
            &format!("access_key={key}"),
            &format!("secret_key={secret}"),
            "region=us-east-1",
        ],
        &bao_env,
    )
    .await;
    assert!(ok, "{err}");
    // A mistake first: it is the seat's last error, in Vault's words.
    let (ok, _, _) = bao(&["write", "aws/roles/my-role", "credential_type=nonsense"]).await;
    assert!(!ok);
    let erred = client
        .status_when(&root, |b| !b["seats"][0]["last_error"].is_null())
        .await;
    let error = &erred["seats"][0]["last_error"];
    assert_eq!(error["what"], "PUT /v1/aws/roles/my-role", "{error}");
    assert_eq!(error["status"], 400);
    assert!(
        !error["message"].as_str().unwrap().contains('\n'),
        "{error}"
    );
    assert_eq!(
        steps_done(&erred["seats"][0]),
        [true, true, false, false, false, false]
    );

    let (ok, _, err) = cli(
        "bao",
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            &format!("policy_document={POLICY}"),
        ],
        &bao_env,
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = bao(&["read", "-format=json", "aws/creds/my-role"]).await;
    assert!(ok, "{err}");
    let creds: Value = serde_json::from_str(&out).unwrap();
    let lease = creds["lease_id"].as_str().unwrap().to_owned();
    let dynamic = [
        (
            "AWS_ACCESS_KEY_ID",
            creds["data"]["access_key"].as_str().unwrap(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds["data"]["secret_key"].as_str().unwrap(),
        ),
        ("AWS_ENDPOINT_URL", client.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ];
    let with_lease = client
        .status_when(&root, |b| {
            b["seats"][0]["leases"].as_array().unwrap().len() == 1
        })
        .await;
    assert_eq!(
        with_lease["seats"][0]["leases"][0]["lease_id"],
        lease.as_str()
    );
    assert_eq!(with_lease["summary"]["leases_alive"], 1);

    let (ok, _, err) = cli("aws", &["ec2", "describe-instances"], &dynamic).await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli("bao", &["lease", "revoke", &lease], &bao_env).await;
    assert!(ok, "{err}");
    let (ok, _, _) = cli("aws", &["ec2", "describe-instances"], &dynamic).await;
    assert!(!ok, "the revoked key is refused");

    let done = client
        .status_when(&root, |b| steps_done(&b["seats"][0]) == [true; 6])
        .await;
    assert_eq!(done["summary"]["done_per_step"], json!([1, 1, 1, 1, 1, 1]));
    assert_eq!(done["summary"]["leases_alive"], 0);
    assert_eq!(
        done["seats"][0]["last_error"]["what"], "PUT /v1/aws/roles/my-role",
        "the refusal that proves step 6 is expected, not an error"
    );

    // The seat's log: newest first, every kind, no secret.
    let (status, log) = client
        .room("GET", "/seats/ada/events?limit=500", &root, None)
        .await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["vault", "aws", "lease"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str()),
        "newest first"
    );
    let text = log.to_string();
    for hidden in [
        token.as_str(),
        secret.as_str(),
        creds["data"]["secret_key"].as_str().unwrap(),
    ] {
        assert!(!text.contains(hidden), "a secret in the seat's log");
    }
    let (status, short) = client
        .room("GET", "/seats/ada/events?limit=3", &root, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(short["entries"].as_array().unwrap().len(), 3);

    // Restarted with the same state: the progress is still there.
    sandbox.shutdown().await.unwrap();
    let again = start(Some(state), 3).await;
    let client = Client::of(&again);
    let kept = client.status_when(&root, |_| true).await;
    assert_eq!(steps_done(&kept["seats"][0]), [true; 6]);
    assert_eq!(kept["seats"][0]["steps"], done["seats"][0]["steps"]);
    assert_eq!(
        kept["seats"][0]["last_error"],
        done["seats"][0]["last_error"]
    );
    again.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_and_pace_wake_a_learners_long_poll() {
    let (sandbox, client, root, code) = open_room(None, 3).await;
    let seat = client.seated(&code, "ada").await;
    let token = seat["vault_token"].as_str().unwrap().to_owned();

    let (status, first) = client.room("GET", "/seat", &token, None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["seat"].as_str(), first["ended"].as_bool()),
        (Some("ada"), Some(false))
    );
    assert!(first["broadcast"].is_null() && first["pace"].is_null());
    assert_eq!(first["steps"].as_array().unwrap().len(), 6);
    let version = first["version"].as_u64().unwrap();

    // Nothing new: the poll waits its whole time.
    let started = Instant::now();
    let (status, same) = client
        .room(
            "GET",
            &format!("/seat?since={version}&wait=1s"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(same["version"].as_u64(), Some(version));
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A broadcast wakes a poll waiting 30 s.
    let waiting = {
        let (url, token) = (client.url.clone(), token.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let body: Value = reqwest::Client::new()
                .get(format!("{url}/vaultlab/room/seat?since={version}&wait=30s"))
                .header("X-Vault-Token", token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (started.elapsed(), body)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = client
        .room(
            "POST",
            "/broadcast",
            &root,
            Some(json!({"message": "  break until 11:00 "})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (waited, woken) = waiting.await.unwrap();
    assert!(
        waited < Duration::from_secs(15),
        "woken, not timed out: {waited:?}"
    );
    assert_eq!(woken["broadcast"]["message"], "break until 11:00");
    let version = woken["version"].as_u64().unwrap();

    let (status, body) = client
        .room("POST", "/pace", &root, Some(json!({"step": 3})))
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, paced) = client
        .room(
            "GET",
            &format!("/seat?since={version}&wait=30s"),
            &token,
            None,
        )
        .await;
    assert_eq!(paced["pace"], 3);
    assert_eq!(paced["broadcast"]["message"], "break until 11:00");
    let (_, status_body) = client.room("GET", "", &root, None).await;
    assert_eq!(status_body["pace"], 3);
    assert_eq!(status_body["broadcast"]["message"], "break until 11:00");

    // Refusals leave the room as it was.
    for (path, body, words) in [
        (
            "/pace",
            json!({"step": 7}),
            "the pace is a step from 1 to 6, or null to free the room",
        ),
        (
            "/pace",
            json!({"step": 0}),
            "the pace is a step from 1 to 6, or null to free the room",
        ),
        (
            "/broadcast",
            json!({"message": "two\nlines"}),
            "a broadcast is one line",
        ),
        (
            "/broadcast",
            json!({"message": "x".repeat(201)}),
            "a broadcast is at most 200 characters",
        ),
        (
            "/broadcast",
            json!({"text": "x"}),
            "the body is JSON: {\"message\": \"…\"}",
        ),
    ] {
        let (status, answer) = client.room("POST", path, &root, Some(body)).await;
        assert_eq!(
            (status, answer),
            (400, json!({"errors": [words]})),
            "{path}"
        );
    }
    let (status, _) = client
        .room("POST", "/pace", &root, Some(json!({"step": null})))
        .await;
    assert_eq!(status, 204);
    let (status, _) = client
        .room("POST", "/broadcast", &root, Some(json!({"message": ""})))
        .await;
    assert_eq!(status, 204);
    let (_, freed) = client.room("GET", "/seat", &token, None).await;
    assert!(
        freed["pace"].is_null() && freed["broadcast"].is_null(),
        "{freed}"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_the_room_revokes_every_lease_and_leaves_no_vault_user_in_any_account() {
    let (sandbox, client, root, code) = open_room(None, 3).await;
    let mut seats = Vec::new();
    for name in ["ada", "bob"] {
        let (status, seat) = client.join(&code, name, None).await;
        assert_eq!(status, 200, "{seat}");
        do_the_lab(&client, &seat).await;
        // A second lease, left to the end.
        let (status, _) = client
            .vault(
                "GET",
                "aws/creds/my-role",
                seat["vault_token"].as_str().unwrap(),
                Some(&format!("room/{name}")),
                None,
            )
            .await;
        assert_eq!(status, 200);
        seats.push(seat);
    }
    client
        .status_when(&root, |b| b["summary"]["leases_alive"] == 4)
        .await;

    // Short leases for all: each seat's config/lease, as the seat reads it.
    let (status, body) = client.room("POST", "/short-leases", &root, None).await;
    assert_eq!((status, body), (200, json!({"seats": 2})));
    for seat in &seats {
        let ns = seat["namespace"].as_str().unwrap();
        let (_, lease) = client
            .vault(
                "GET",
                "aws/config/lease",
                seat["vault_token"].as_str().unwrap(),
                Some(ns),
                None,
            )
            .await;
        assert_eq!(
            (
                lease["data"]["lease"].as_str(),
                lease["data"]["lease_max"].as_str()
            ),
            (Some("2m0s"), Some("5m0s")),
            "{lease}"
        );
    }
    // One seat's leases revoked by the facilitator.
    let (status, body) = client.room("POST", "/seats/bob/revoke", &root, None).await;
    assert_eq!((status, body), (200, json!({"revoked": 2})));
    let (status, body) = client
        .room("POST", "/seats/nobody/revoke", &root, None)
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"errors": ["no seat named \"nobody\" in this room"]})
        )
    );
    // Bob issues one more before the end.
    let (status, _) = client
        .vault(
            "GET",
            "aws/creds/my-role",
            seats[1]["vault_token"].as_str().unwrap(),
            Some("room/bob"),
            None,
        )
        .await;
    assert_eq!(status, 200);

    let (status, report) = client.room("POST", "/end", &root, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["leases_revoked"], 3, "{report:#}");
    assert_eq!(report["vault_users_left"], 0);
    let by_name = |name: &str| {
        report["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by_name("ada")["leases_issued"].as_u64(),
            by_name("ada")["leases_revoked"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        (
            by_name("bob")["leases_issued"].as_u64(),
            by_name("bob")["leases_revoked"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert!(
        by_name("ada")["steps"][4]["done_at"].is_string(),
        "step 5 done: {report:#}"
    );

    // Seen from each account with its own keys: no vault-* user.
    for seat in &seats {
        let users = iam(
            &client.url,
            seat["aws_access_key_id"].as_str().unwrap(),
            seat["aws_secret_access_key"].as_str().unwrap(),
        )
        .list_users()
        .send()
        .await
        .unwrap();
        let names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
        assert!(names.iter().all(|n| !n.starts_with("vault-")), "{names:?}");
    }
    let (status, body) = client.join(&code, "carol", None).await;
    assert_eq!(
        (status, body),
        (410, json!({"errors": ["the room has ended"]}))
    );
    let (_, status_body) = client.room("GET", "", &root, None).await;
    assert!(status_body["ended"].is_string());
    assert_eq!(status_body["summary"]["leases_alive"], 0);
    let (_, notice) = client
        .room(
            "GET",
            "/seat",
            seats[0]["vault_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(notice["ended"], true);
    // A seat can make no new lease after the end: its token is refused, in Vault's words.
    let (status, body) = client
        .vault(
            "GET",
            "aws/creds/my-role",
            seats[0]["vault_token"].as_str().unwrap(),
            Some("room/ada"),
            None,
        )
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"errors": ["1 error occurred:\n\t* permission denied\n\n"]})
        )
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_token_gets_vaults_403_on_the_facilitators_paths() {
    let (sandbox, client, root, code) = open_room(None, 3).await;
    let seat = client.seated(&code, "ada").await;
    let token = seat["vault_token"].as_str().unwrap();
    let denied = json!({"errors": ["permission denied"]});
    for who in [token, "hvs.nobody-at-all-xxxxxxxxxxxx", ""] {
        for (method, path, body) in [
            ("GET", "", None),
            ("GET", "/seats/ada/events", None),
            ("POST", "/broadcast", Some(json!({"message": "hi"}))),
            ("POST", "/pace", Some(json!({"step": 1}))),
            ("POST", "/short-leases", None),
            ("DELETE", "/short-leases", None),
            ("POST", "/seats/ada/revoke", None),
            ("POST", "/end", None),
        ] {
            let (status, answer) = client.room(method, path, who, body).await;
            assert_eq!(
                (status, answer),
                (403, denied.clone()),
                "{method} {path} as {who:.4}"
            );
        }
    }
    // The learner's poll is a seat's: the root token is no seat.
    let (status, answer) = client.room("GET", "/seat", &root, None).await;
    assert_eq!((status, answer), (403, denied));
    let (status, answer) = client
        .room("GET", "/seats/nobody/events", &root, None)
        .await;
    assert_eq!(
        (status, answer),
        (
            404,
            json!({"errors": ["no seat named \"nobody\" in this room"]})
        )
    );
    let (_, after) = client.room("GET", "", &root, None).await;
    assert!(
        after["broadcast"].is_null() && after["pace"].is_null() && after["ended"].is_null(),
        "nothing changed: {after}"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_cut_short_after_its_account_leaves_no_account_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, _, code) = open_room(Some(state.clone()), 3).await;
    let ada = client.seated(&code, "ada").await;
    // What a join killed between making the seat's account and keeping the seat leaves.
    let ghost = sandbox
        .aws()
        .create_account(Some("room/ghost/".into()))
        .unwrap();
    sandbox.shutdown().await.unwrap();

    let again = start(Some(state), 3).await;
    let accounts: Vec<String> = again
        .aws()
        .account_namespaces()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        accounts,
        [ada["account_id"].as_str().unwrap()],
        "ghost {} gone",
        ghost.account_id
    );
    // The seat that was kept still works with its keys.
    let users = iam(
        again.vault_addr(),
        ada["aws_access_key_id"].as_str().unwrap(),
        ada["aws_secret_access_key"].as_str().unwrap(),
    )
    .list_users()
    .send()
    .await;
    assert!(users.is_ok(), "{users:?}");
    again.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seats_short_lease_expires_by_itself_and_its_user_goes() {
    let (sandbox, client, root, code) = open_room(None, 3).await;
    let seat = client.seated(&code, "ada").await;
    let first = do_the_lab(&client, &seat).await;
    let token = seat["vault_token"].as_str().unwrap();
    let (status, _) = client
        .vault(
            "PUT",
            "sys/leases/revoke",
            token,
            Some("room/ada"),
            Some(json!({ "lease_id": first })),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = client
        .room(
            "POST",
            "/short-leases",
            &root,
            Some(json!({"ttl": "1s", "max_ttl": "2s"})),
        )
        .await;
    assert_eq!((status, body), (200, json!({"seats": 1})));
    let (status, creds) = client
        .vault("GET", "aws/creds/my-role", token, Some("room/ada"), None)
        .await;
    assert_eq!(status, 200);
    // Issued with the short TTL (the dashboard may never see it alive on a slow machine).
    assert_eq!(creds["lease_duration"], 1, "{creds:#}");
    // Nobody revokes it: it expires by itself.
    client
        .status_when(&root, |b| b["summary"]["leases_alive"] == 0)
        .await;
    // Read once: the room answers after its tracker has taken in what happened, and a
    // lease's end is told before the lease leaves the table.
    let (_, log) = client.room("GET", "/seats/ada/events", &root, None).await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "lease" && e["method"] == "expired"),
        "{log:#}"
    );
    let users = iam(
        &client.url,
        seat["aws_access_key_id"].as_str().unwrap(),
        seat["aws_secret_access_key"].as_str().unwrap(),
    )
    .list_users()
    .send()
    .await
    .unwrap();
    assert!(
        users
            .users()
            .iter()
            .all(|u| !u.user_name().starts_with("vault-")),
        "{users:?}"
    );
    sandbox.shutdown().await.unwrap();
}

/// A seat's `config/lease` as its token reads it: (status, body).
async fn lease_config(client: &Client, seat: &Value) -> (u16, Value) {
    client.as_seat("GET", "aws/config/lease", seat, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_leases_off_gives_every_seat_the_engines_defaults_and_stays_off_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, root, code) = open_room(Some(state.clone()), 4).await;
    // What a fresh aws mount answers, config/lease never written: the engine's defaults.
    let fresh = client.seated(&code, "fresh").await;
    let (status, _) = client
        .as_seat(
            "POST",
            "sys/mounts/aws",
            &fresh,
            Some(json!({"type": "aws"})),
        )
        .await;
    assert_eq!(status, 204);
    let defaults = lease_config(&client, &fresh).await;
    assert_eq!(defaults.0, 404, "{}", defaults.1);

    let ada = client.seated(&code, "ada").await;
    do_the_lab(&client, &ada).await;
    let (status, body) = client.room("POST", "/short-leases", &root, None).await;
    assert_eq!((status, body), (200, json!({"seats": 2})));
    let (_, room) = client.room("GET", "", &root, None).await;
    assert_eq!(room["short_leases"], json!({"ttl": 120, "max_ttl": 300}));
    assert_eq!(lease_config(&client, &ada).await.0, 200);

    let (status, body) = client.room("DELETE", "/short-leases", &root, None).await;
    assert_eq!((status, body), (200, json!({"seats": 2})));
    for seat in [&ada, &fresh] {
        assert_eq!(
            lease_config(&client, seat).await,
            defaults,
            "{}",
            seat["seat"]
        );
    }
    let (_, room) = client.room("GET", "", &root, None).await;
    assert!(room.get("short_leases").is_none(), "{room:#}");
    // Credentials issued now get the engine's (here the system's) 768h again.
    let (status, creds) = client.as_seat("GET", "aws/creds/my-role", &ada, None).await;
    assert_eq!(status, 200, "{creds}");
    assert_eq!(creds["lease_duration"], 768 * 3600);
    // A seat mounting aws afterwards gets the defaults too.
    let bob = client.seated(&code, "bob").await;
    do_the_lab(&client, &bob).await;
    assert_eq!(lease_config(&client, &bob).await, defaults);
    sandbox.shutdown().await.unwrap();

    // Kept off across a restart: a seat that mounts aws then gets the defaults.
    let (sandbox, client, _, _) = open_room(Some(state), 4).await;
    let (_, room) = client.room("GET", "", &root, None).await;
    assert!(room.get("short_leases").is_none(), "{room:#}");
    let cy = client.seated(&code, "cy").await;
    do_the_lab(&client, &cy).await;
    assert_eq!(lease_config(&client, &cy).await, defaults);
    sandbox.shutdown().await.unwrap();
}

/// Short leases turned on and off at the same moment, again and again, by two facilitator
/// terminals: whichever wins, the room's setting and every seat's `config/lease` agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_leases_on_and_off_at_once_leave_the_room_and_its_seats_agreeing() {
    const SEATS: usize = 30;
    let (sandbox, client, root, code) = open_room(None, SEATS).await;
    for n in 0..SEATS {
        let name = format!("s{n}");
        let (status, _) = client.join(&code, &name, None).await;
        assert_eq!(status, 200);
        let (status, body) = client
            .vault(
                "POST",
                "sys/mounts/aws",
                &root,
                Some(&format!("room/{name}")),
                Some(json!({"type": "aws"})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
    for round in 0..100 {
        let on = client.room(
            "POST",
            "/short-leases",
            &root,
            Some(json!({"ttl": "2m", "max_ttl": "5m"})),
        );
        let off = client.room("DELETE", "/short-leases", &root, None);
        let (on, off) = tokio::join!(on, off);
        assert_eq!((on.0, off.0), (200, 200), "{on:?} {off:?}");
        let (_, status) = client.room("GET", "", &root, None).await;
        let room_on = !status["short_leases"].is_null();
        for n in 0..SEATS {
            let (code, body) = client
                .vault(
                    "GET",
                    "aws/config/lease",
                    &root,
                    Some(&format!("room/s{n}")),
                    None,
                )
                .await;
            assert_eq!(
                code == 200,
                room_on,
                "round {round}: the room says short leases {}, seat s{n} answers {code} {body}",
                if room_on { "on" } else { "off" }
            );
        }
    }
    sandbox.shutdown().await.unwrap();
}

//! Revoking a token revokes its leases and its child tokens, the sandbox side by side with
//! OpenBao 2.7 (`bao server -dev`), in the root namespace and in a namespace: the same
//! token tree is made on both, each token issues a lease (OpenBao has no AWS engine: its
//! `pki` mount with `generate_lease` stands in for the sandbox's `aws/creds`), tokens are
//! revoked by `revoke`, `revoke-orphan`, `revoke-accessor` and `revoke-self`, and then the
//! same leases must be gone and the same ones alive; so too when a token reaches its TTL. On the sandbox the IAM users of the
//! revoked leases are gone too, and their keys refused. A room seat's token revoking
//! itself takes the seat's leases and users along.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::namespace_differential::{Server, both};
use super::room_lab::{POLICY, creds_work, do_the_lab, iam, open_room, user_names};

/// The tokens of the tree, each issuing one lease: `a` (revoked) with child `a1`; `b`
/// (revoked as an orphan's parent) with child `b1`; `c` (revoked by accessor); `d`
/// (revokes itself); `e` (kept).
const TOKENS: &[&str] = &["a", "a1", "b", "b1", "c", "d", "e"];

/// What was issued on one server in one namespace.
pub(super) struct Tree {
    pub(super) tokens: BTreeMap<&'static str, (String, String)>,
    pub(super) leases: BTreeMap<&'static str, Value>,
}

/// The mount that issues leases: the sandbox's `aws` engine with the account's admin keys,
/// OpenBao's `pki` with a role that leases its certificates. The policy a token needs to
/// issue and to make children.
pub(super) async fn issuing_mount(server: &Server, ns: Option<&str>, admin: Option<(&str, &str)>) {
    let ok = |answer: super::namespace_differential::Answer, what: &str| {
        assert!(
            answer.status < 300,
            "{} {what}: {} {}",
            server.name,
            answer.status,
            answer.body
        );
    };
    let (policy, steps) = match admin {
        Some((key, secret)) => (
            r#"path "aws/creds/*" { capabilities = ["read"] }
path "auth/token/create" { capabilities = ["update"] }"#,
            vec![
                ("sys/mounts/aws", json!({"type": "aws"})),
                (
                    "aws/config/root",
                    json!({"access_key": key, "secret_key": secret, "region": "us-east-1"}),
                ),
                (
                    "aws/roles/r",
                    json!({"credential_type": "iam_user", "policy_document": POLICY}),
                ),
            ],
        ),
        None => (
            r#"path "pki/issue/*" { capabilities = ["update"] }
path "auth/token/create" { capabilities = ["update"] }"#,
            vec![
                ("sys/mounts/pki", json!({"type": "pki"})),
                (
                    "pki/root/generate/internal",
                    json!({"common_name": "example.com", "key_type": "ec", "ttl": "24h"}),
                ),
                (
                    "pki/roles/r",
                    json!({"allow_any_name": true, "generate_lease": true, "ttl": "1h", "key_type": "ec"}),
                ),
            ],
        ),
    };
    for (path, body) in steps {
        ok(server.root("POST", path, ns, Some(body)).await, path);
    }
    ok(
        server
            .root(
                "POST",
                "sys/policies/acl/issuer",
                ns,
                Some(json!({ "policy": policy })),
            )
            .await,
        "policy",
    );
}

/// A lease issued with `token`.
pub(super) async fn issue(server: &Server, ns: Option<&str>, token: &str, aws: bool) -> Value {
    let answer = if aws {
        server
            .send("GET", "aws/creds/r", ns, Some(token), None)
            .await
    } else {
        server
            .send(
                "POST",
                "pki/issue/r",
                ns,
                Some(token),
                Some(json!({"common_name": "learner.example.com"})),
            )
            .await
    };
    assert_eq!(answer.status, 200, "{}: {}", server.name, answer.body);
    answer.body
}

/// A token with `issuer`, made by `parent` (the root token if `None`): (token, accessor).
async fn token(server: &Server, ns: Option<&str>, parent: Option<&str>) -> (String, String) {
    token_for(server, ns, parent, "1h").await
}

async fn token_for(
    server: &Server,
    ns: Option<&str>,
    parent: Option<&str>,
    ttl: &str,
) -> (String, String) {
    let parent = parent.map_or(server.root.clone(), str::to_owned);
    let made = server
        .send(
            "POST",
            "auth/token/create",
            ns,
            Some(&parent),
            Some(json!({"policies": ["issuer"], "ttl": ttl})),
        )
        .await;
    assert_eq!(made.status, 200, "{}: {}", server.name, made.body);
    let field = |k: &str| made.body["auth"][k].as_str().unwrap().to_owned();
    (field("client_token"), field("accessor"))
}

pub(super) async fn grow(server: &Server, ns: Option<&str>, aws: bool) -> Tree {
    let mut tokens = BTreeMap::new();
    for name in TOKENS {
        let parent = match *name {
            "a1" => Some(tokens.get("a").map(|(t, _): &(String, String)| t.clone())),
            "b1" => Some(tokens.get("b").map(|(t, _): &(String, String)| t.clone())),
            _ => None,
        }
        .flatten();
        tokens.insert(*name, token(server, ns, parent.as_deref()).await);
    }
    let mut leases = BTreeMap::new();
    for (name, (token, _)) in &tokens {
        leases.insert(*name, issue(server, ns, token, aws).await);
    }
    Tree { tokens, leases }
}

/// The revocations, each with its answer's status.
async fn revoke(server: &Server, ns: Option<&str>, tree: &Tree) -> Vec<(&'static str, u16)> {
    let token = |name: &str| tree.tokens[name].0.clone();
    let mut statuses = Vec::new();
    let root = server.root.clone();
    for (what, path, caller, body) in [
        (
            "revoke a",
            "auth/token/revoke",
            root.clone(),
            json!({"token": token("a")}),
        ),
        (
            "revoke-orphan b",
            "auth/token/revoke-orphan",
            root.clone(),
            json!({"token": token("b")}),
        ),
        (
            "revoke-accessor c",
            "auth/token/revoke-accessor",
            root.clone(),
            json!({"accessor": tree.tokens["c"].1}),
        ),
        (
            "revoke-self d",
            "auth/token/revoke-self",
            token("d"),
            json!({}),
        ),
    ] {
        let answer = server
            .send("POST", path, ns, Some(&caller), Some(body))
            .await;
        statuses.push((what, answer.status));
    }
    statuses
}

/// What a revocation that finds nothing, or lacks its field, answers: status, errors and
/// warnings of each.
async fn refusals(server: &Server, ns: Option<&str>) -> Vec<Value> {
    let mut answers = Vec::new();
    for (method, path, body) in [
        ("POST", "auth/token/revoke", json!({})),
        (
            "POST",
            "auth/token/revoke",
            json!({"token": "s.NoSuchTokenNoSuchTokenNo"}),
        ),
        ("GET", "auth/token/revoke", json!({})),
        ("POST", "auth/token/revoke-orphan", json!({})),
        (
            "POST",
            "auth/token/revoke-orphan",
            json!({"token": "s.NoSuchTokenNoSuchTokenNo"}),
        ),
        ("POST", "auth/token/revoke-accessor", json!({})),
        (
            "POST",
            "auth/token/revoke-accessor",
            json!({"accessor": "NoSuchAccessorNoSuchAcce"}),
        ),
    ] {
        let answer = server.root(method, path, ns, Some(body)).await;
        answers.push(json!({
            "request": format!("{method} {path}"),
            "status": answer.status,
            "errors": answer.body.get("errors"),
            "warnings": answer.body.get("warnings"),
        }));
    }
    answers
}

/// Whether each token's lease is still known to `sys/leases/lookup`, once the revoked
/// ones are gone (leases are revoked in the background, as Vault's expiration manager
/// does): polled until it stops changing or 20 s pass.
async fn alive_leases(server: &Server, ns: Option<&str>, tree: &Tree) -> BTreeMap<String, bool> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let expected_gone = ["a", "a1", "b", "c", "d"];
    loop {
        let mut alive = BTreeMap::new();
        for (name, lease) in &tree.leases {
            let looked = server
                .root(
                    "PUT",
                    "sys/leases/lookup",
                    ns,
                    Some(json!({"lease_id": lease["lease_id"]})),
                )
                .await;
            alive.insert((*name).to_owned(), looked.status == 200);
        }
        let settled = expected_gone.iter().all(|n| !alive[*n]);
        if settled || Instant::now() > deadline {
            return alive;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether each token can still be used (`lookup-self`), and whether it is an orphan.
pub(super) async fn tokens_left(
    server: &Server,
    ns: Option<&str>,
    tree: &Tree,
) -> BTreeMap<String, Value> {
    let mut left = BTreeMap::new();
    for (name, (token, _)) in &tree.tokens {
        let looked = server
            .send("GET", "auth/token/lookup-self", ns, Some(token), None)
            .await;
        left.insert(
            (*name).to_owned(),
            json!({"status": looked.status, "orphan": looked.body["data"]["orphan"]}),
        );
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_revokes_its_leases_and_children_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let admin = sandbox.admin_credentials();
    let admin_keys = (
        admin.access_key_id.as_str(),
        admin.secret_access_key.expose(),
    );
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        server
            .root("POST", "room/sys/namespaces/ada", None, None)
            .await;
    }
    for ns in [None, Some("room/ada")] {
        let mut outcome = Vec::new();
        let mut trees = Vec::new();
        for server in [&theirs, &ours] {
            let aws = server.name == "sandbox";
            issuing_mount(server, ns, aws.then_some(admin_keys)).await;
            let tree = grow(server, ns, aws).await;
            let statuses = revoke(server, ns, &tree).await;
            let leases = alive_leases(server, ns, &tree).await;
            let tokens = tokens_left(server, ns, &tree).await;
            let refusals = refusals(server, ns).await;
            outcome.push(json!({
                "revocations": statuses,
                "leases alive": leases,
                "tokens": tokens,
                "refusals": refusals,
            }));
            trees.push(tree);
        }
        assert_eq!(
            outcome[0], outcome[1],
            "namespace {ns:?}: OpenBao (left) and the sandbox (right) differ"
        );
        // What both agree on is Vault's rule.
        let alive = &outcome[1]["leases alive"];
        assert_eq!(
            alive,
            &json!({"a": false, "a1": false, "b": false, "b1": true, "c": false, "d": false, "e": true}),
            "namespace {ns:?}"
        );
        assert_eq!(outcome[1]["tokens"]["b1"]["orphan"], true);
        assert_eq!(outcome[1]["tokens"]["a1"]["status"], 403);

        // On the sandbox the revoked leases' IAM users are gone: their keys are refused.
        let ours_tree = &trees[1];
        for (name, lease) in &ours_tree.leases {
            let works = creds_work(sandbox.aws_endpoint_url(), &lease["data"]).await;
            assert_eq!(
                works,
                alive[*name].as_bool().unwrap(),
                "namespace {ns:?}: the keys of {name}'s lease"
            );
        }
    }
    // Both namespaces issued from the one account: the users left are the two kept leases
    // of each.
    let users = vault_users(&sandbox, &admin).await;
    assert_eq!(users.len(), 4, "{users:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reaching_its_ttl_takes_its_leases_and_children_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let admin = sandbox.admin_credentials();
    let admin_keys = (
        admin.access_key_id.as_str(),
        admin.secret_access_key.expose(),
    );
    let mut outcome = Vec::new();
    for server in [&theirs, &ours] {
        let aws = server.name == "sandbox";
        issuing_mount(server, None, aws.then_some(admin_keys)).await;
        // A short-lived parent with a long-lived child, and a token that outlives both.
        let (short, _) = token_for(server, None, None, "2s").await;
        let (child, _) = token(server, None, Some(&short)).await;
        let (kept, _) = token(server, None, None).await;
        let mut leases = Vec::new();
        for issuer in [&short, &child, &kept] {
            leases.push(issue(server, None, issuer, aws).await["lease_id"].clone());
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let alive = loop {
            let mut alive = Vec::new();
            for lease in &leases {
                let looked = server
                    .root(
                        "PUT",
                        "sys/leases/lookup",
                        None,
                        Some(json!({ "lease_id": lease })),
                    )
                    .await;
                alive.push(looked.status == 200);
            }
            if alive == [false, false, true] || Instant::now() > deadline {
                break alive;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let child_status = server
            .send("GET", "auth/token/lookup-self", None, Some(&child), None)
            .await
            .status;
        outcome.push(json!({"leases alive": alive, "child": child_status}));
    }
    assert_eq!(
        outcome[0], outcome[1],
        "OpenBao (left), the sandbox (right)"
    );
    assert_eq!(
        outcome[1],
        json!({"leases alive": [false, false, true], "child": 403})
    );
    assert_eq!(vault_users(&sandbox, &admin).await.len(), 1);
}

pub(super) async fn vault_users(
    sandbox: &vaultlab_sandbox::Sandbox,
    admin: &vaultlab_sandbox::aws::AdminCredentials,
) -> Vec<String> {
    let admin_iam = iam(
        sandbox.aws_endpoint_url(),
        &admin.access_key_id,
        admin.secret_access_key.expose(),
    );
    let mut users = user_names(&admin_iam).await;
    users.retain(|name| name.starts_with("vault-"));
    users
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_token_revoking_itself_takes_the_seats_leases_and_users_along() {
    let (sandbox, client, _, code) = open_room(None, 2).await;
    let seat = client.seated(&code, "ada").await;
    let token = seat["vault_token"].as_str().unwrap().to_owned();
    let ns = seat["namespace"].as_str();
    let lease = do_the_lab(&client, &seat).await;
    // A child of the seat's token, with its own lease.
    let child = client.child_token(&token, ns, &["seat"]).await;
    let (status, creds) = client
        .vault("GET", "aws/creds/my-role", &child, ns, None)
        .await;
    assert_eq!(status, 200, "{creds}");
    let child_lease = creds["lease_id"].as_str().unwrap().to_owned();

    let account = iam(
        sandbox.aws_endpoint_url(),
        seat["aws_access_key_id"].as_str().unwrap(),
        seat["aws_secret_access_key"].as_str().unwrap(),
    );
    let users = |client: aws_sdk_iam::Client| async move {
        client
            .list_users()
            .send()
            .await
            .unwrap()
            .users()
            .iter()
            .filter(|u| u.user_name().starts_with("vault-"))
            .count()
    };
    assert_eq!(users(account.clone()).await, 2);

    let (status, body) = client
        .vault("POST", "auth/token/revoke-self", &token, ns, None)
        .await;
    assert_eq!(status, 204, "{body}");
    let root = sandbox.root_token().expose().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut known = 0;
        for id in [&lease, &child_lease] {
            let (status, _) = client
                .vault(
                    "PUT",
                    "sys/leases/lookup",
                    &root,
                    ns,
                    Some(json!({ "lease_id": id })),
                )
                .await;
            known += usize::from(status == 200);
        }
        if known == 0 && users(account.clone()).await == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after revoke-self, {known} of the seat's 2 leases are still known"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = client
        .vault("GET", "auth/token/lookup-self", &child, ns, None)
        .await;
    assert_eq!(status, 403, "the child token went with its parent");
}

/// Which of the token store's own `sudo` checks a test compares.
#[derive(Clone, Copy, PartialEq)]
enum SudoCheck {
    /// `auth/token/create` with `no_parent` (and policies outside the caller's).
    Create,
    /// `auth/token/revoke-orphan`.
    RevokeOrphan,
}

/// What a token with `update` alone, and one with `update` and `sudo`, on
/// `auth/token/create` and `auth/token/revoke-orphan` get from `check`, in `ns`.
async fn sudo_outcome(server: &Server, ns: Option<&str>, check: SudoCheck) -> Vec<Value> {
    let mut outcome = Vec::new();
    for (name, capabilities) in [
        ("narrow", r#"["update"]"#),
        ("wide", r#"["update", "sudo"]"#),
    ] {
        let policy = format!(
            "path \"auth/token/create\" {{ capabilities = {capabilities} }}\npath \"auth/token/revoke-orphan\" {{ capabilities = {capabilities} }}"
        );
        let written = server
            .root(
                "POST",
                &format!("sys/policies/acl/{name}"),
                ns,
                Some(json!({ "policy": policy })),
            )
            .await;
        assert!(written.status < 300, "{}: {}", server.name, written.body);
    }
    let make = |parent: String, body: Value| async move {
        server
            .send("POST", "auth/token/create", ns, Some(&parent), Some(body))
            .await
    };
    for caller_policy in ["narrow", "wide"] {
        let caller = make(
            server.root.clone(),
            json!({"policies": [caller_policy], "ttl": "1h"}),
        )
        .await;
        assert_eq!(caller.status, 200, "{}: {}", server.name, caller.body);
        let caller = caller.body["auth"]["client_token"]
            .as_str()
            .unwrap()
            .to_owned();
        if check == SudoCheck::Create {
            for body in [
                json!({"policies": [caller_policy], "no_parent": true}),
                json!({"policies": [caller_policy], "no_parent": false}),
                json!({"policies": [caller_policy], "no_parent": "maybe"}),
                json!({"policies": ["narrow", "wide"]}),
            ] {
                let made = make(caller.clone(), body.clone()).await;
                // Vault's framework shows the value it could not convert, OpenBao's (2.7)
                // not; the sandbox words it as Vault.
                let errors = made.body.get("errors").map(|errors| {
                    json!(
                        errors
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|e| e.as_str().unwrap().replace("input maybe for", "input for"))
                            .collect::<Vec<_>>()
                    )
                });
                outcome.push(json!({
                    "caller": caller_policy,
                    "create": body,
                    "status": made.status,
                    "errors": errors,
                    "orphan": made.body["auth"].get("orphan"),
                }));
            }
            continue;
        }
        let victim = make(server.root.clone(), json!({"policies": ["narrow"]})).await;
        let victim = victim.body["auth"]["client_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let revoked = server
            .send(
                "POST",
                "auth/token/revoke-orphan",
                ns,
                Some(&caller),
                Some(json!({ "token": victim })),
            )
            .await;
        let alive = server
            .send("GET", "auth/token/lookup-self", ns, Some(&victim), None)
            .await;
        outcome.push(json!({
            "caller": caller_policy,
            "revoke-orphan": revoked.status,
            "errors": revoked.body.get("errors"),
            "victim alive": alive.status == 200,
        }));
    }
    outcome
}

/// `check` on the sandbox and on OpenBao, in the root namespace and in a namespace.
async fn sudo_side_by_side(check: SudoCheck) {
    let (_bao, _sandbox, theirs, ours) = both().await;
    for server in [&theirs, &ours] {
        server.root("POST", "sys/namespaces/room", None, None).await;
        server
            .root("POST", "room/sys/namespaces/ada", None, None)
            .await;
    }
    for ns in [None, Some("room/ada")] {
        let theirs = sudo_outcome(&theirs, ns, check).await;
        let ours = sudo_outcome(&ours, ns, check).await;
        assert_eq!(
            serde_json::to_string_pretty(&ours).unwrap(),
            serde_json::to_string_pretty(&theirs).unwrap(),
            "{ns:?}: the sandbox (left) and OpenBao (right)"
        );
    }
}

/// `revoke-orphan` needs `sudo`, which the token store checks itself (the ACL's root path
/// is `revoke-orphan/*`): without it OpenBao answers 400 in its own words, not 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_orphan_needs_sudo_as_openbao_does() {
    sudo_side_by_side(SudoCheck::RevokeOrphan).await;
}

/// Making an orphan with `no_parent`, or a child with policies its parent lacks, needs
/// `sudo` on `auth/token/create` (a malformed `no_parent` is refused as Vault's framework
/// refuses it), so a narrow token's child cannot escape its parent's revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_creation_needs_sudo_as_openbao_does() {
    sudo_side_by_side(SudoCheck::Create).await;
}

/// A TCP proxy to `upstream` that holds each new connection for `delay` first: an IAM
/// that answers slowly, so a token can be revoked while the engine waits on it.
async fn slow_proxy(upstream: std::net::SocketAddr, delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    url
}

/// A token revoked while its credentials are being made: the request that made them is
/// refused (Vault's 403) rather than handing out keys whose lease, and IAM user, its
/// token's revocation takes; and no `vault-*` user is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_asked_for_by_a_token_revoked_meanwhile_are_not_handed_out() {
    let sandbox = vaultlab_sandbox::Sandbox::start(vaultlab_sandbox::SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..vaultlab_sandbox::SandboxOptions::default()
    })
    .await
    .unwrap();
    let server = Server {
        name: "sandbox",
        url: sandbox.vault_addr().to_owned(),
        root: sandbox.root_token().expose().to_owned(),
        http: reqwest::Client::new(),
    };
    let admin = sandbox.admin_credentials();
    let upstream: std::net::SocketAddr = sandbox
        .aws_endpoint_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = slow_proxy(upstream, Duration::from_millis(1500)).await;
    for (path, body) in [
        ("sys/mounts/aws", json!({"type": "aws"})),
        (
            "aws/config/root",
            json!({
                "access_key": admin.access_key_id,
                "secret_key": admin.secret_access_key.expose(),
                "region": "us-east-1",
                "iam_endpoint": proxy,
            }),
        ),
        (
            "aws/roles/r",
            json!({"credential_type": "iam_user", "policy_document": POLICY}),
        ),
        (
            "sys/policies/acl/issuer",
            json!({"policy": r#"path "aws/creds/*" { capabilities = ["read"] }"#}),
        ),
    ] {
        let answer = server.root("POST", path, None, Some(body)).await;
        assert!(
            answer.status < 300,
            "{path}: {} {}",
            answer.status,
            answer.body
        );
    }
    let (token, _) = token(&server, None, None).await;
    let asking = {
        let server = Server {
            name: "sandbox",
            url: server.url.clone(),
            root: server.root.clone(),
            http: server.http.clone(),
        };
        let token = token.clone();
        tokio::spawn(async move {
            server
                .send("GET", "aws/creds/r", None, Some(&token), None)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let revoked = server
        .send("POST", "auth/token/revoke-self", None, Some(&token), None)
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let answer = asking.await.unwrap();
    assert_eq!(
        (answer.status, answer.body.get("errors").cloned()),
        (403, Some(json!(["permission denied"]))),
        "{}",
        answer.body
    );
    let users = vault_users(&sandbox, &admin).await;
    assert!(users.is_empty(), "{users:?}");
    // Nothing was issued, so nothing is told revoked (a room's seat log would count a
    // revocation of a lease it never saw issued).
    let told: Vec<_> = sandbox
        .events()
        .since(0)
        .backlog
        .iter()
        .filter_map(|event| match &event.detail {
            vaultlab_sandbox::events::Detail::Lease(change) => Some(change.change),
            _ => None,
        })
        .collect();
    assert!(told.is_empty(), "{told:?}");
    sandbox.shutdown().await.unwrap();
}

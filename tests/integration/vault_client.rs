//! The typed Vault client against a real OpenBao server (`bao server -dev`, started per test
//! on a free loopback port and killed on drop). OpenBao has no AWS engine, so the AWS calls
//! are checked for their error path here; leases come from OpenBao's SSH OTP engine, which
//! issues real, revocable (not renewable) leases without any outside service.

use vaultlab_testkit as common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Bao, free_port};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vaultlab::vault::config::ProxySettings;
use vaultlab::vault::error::{Access, UnreachableKind};
use vaultlab::vault::request::{self, VaultRequest};
use vaultlab::vault::types::RevokeOutcome;
use vaultlab::vault::{VaultClient, VaultConfig, VaultError};

const ROOT_TOKEN: &str = common::BAO_ROOT_TOKEN;

/// vaultlab's own Vault client, set up for an OpenBao test server.
trait ClientFor {
    fn config(&self, token: Option<&str>) -> VaultConfig;
    fn client(&self) -> VaultClient;
    fn client_with_token(&self, token: Option<&str>) -> VaultClient;
}

impl ClientFor for Bao {
    fn config(&self, token: Option<&str>) -> VaultConfig {
        let mut config =
            VaultConfig::new(&self.url(), token.map(|t| SecretString::from(t.to_owned())))
                .expect("config");
        if self.url().starts_with("https") {
            config.ca_cert = Some(self.ca_file());
        }
        config
    }

    fn client(&self) -> VaultClient {
        self.client_with_token(Some(ROOT_TOKEN))
    }

    fn client_with_token(&self, token: Option<&str>) -> VaultClient {
        VaultClient::new(self.config(token)).expect("client")
    }
}

/// A token with only the `default` policy, made by the root token.
async fn default_policy_token(root: &VaultClient) -> String {
    let reply = root
        .write(
            "auth/token/create",
            json!({"policies": ["default"], "ttl": "1h"}),
        )
        .await
        .expect("auth/token/create");
    reply.envelope.expect("envelope").auth.expect("auth")["client_token"]
        .as_str()
        .expect("client_token")
        .to_owned()
}

#[tokio::test]
async fn health_of_a_dev_server_is_active_initialised_and_unsealed() {
    let bao = Bao::dev();
    let health = bao.client().health().await.expect("health");
    assert_eq!(health.status, 200);
    assert!(health.initialized);
    assert!(!health.sealed);
    assert!(!health.standby);
    assert!(health.version.starts_with('2'), "{}", health.version);
    health.ready(&bao.url()).expect("ready");
    // Health needs no token.
    let anonymous = bao.client_with_token(None).health().await.expect("health");
    assert_eq!(anonymous.status, 200);
}

#[tokio::test]
async fn list_mounts_shows_the_dev_servers_defaults() {
    let bao = Bao::dev();
    let mounts = bao.client().list_mounts().await.expect("list mounts");
    assert_eq!(mounts["secret/"].kind, "kv");
    assert_eq!(mounts["sys/"].kind, "system");
    assert_eq!(mounts["cubbyhole/"].kind, "cubbyhole");
    assert!(!mounts["secret/"].accessor.is_empty());
    assert!(!mounts.contains_key("aws/"));
}

#[tokio::test]
async fn generic_write_enables_kv_and_disable_mount_removes_it() {
    let bao = Bao::dev();
    let client = bao.client();
    let reply = client
        .write("sys/mounts/lab-kv", json!({"type": "kv"}))
        .await
        .expect("enable kv");
    assert_eq!(reply.status, 204);
    assert!(reply.envelope.is_none());
    let mounts = client.list_mounts().await.expect("list mounts");
    assert_eq!(mounts["lab-kv/"].kind, "kv");

    // The same path again: OpenBao's own words, status 400.
    match client.enable_mount("lab-kv", "kv").await {
        Err(VaultError::InvalidRequest {
            status,
            errors,
            path,
            ..
        }) => {
            assert_eq!(status, 400);
            assert_eq!(path, "sys/mounts/lab-kv");
            assert_eq!(errors, ["path is already in use at lab-kv/"]);
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }

    client.disable_mount("lab-kv").await.expect("disable");
    let mounts = client.list_mounts().await.expect("list mounts");
    assert!(!mounts.contains_key("lab-kv/"));
}

#[tokio::test]
async fn generic_read_list_and_delete_keep_the_envelope() {
    let bao = Bao::dev();
    let client = bao.client();
    client
        .enable_mount("kv1", "kv")
        .await
        .expect("enable kv v1");
    let written = client
        .write("kv1/greeting", json!({"text": "hello"}))
        .await
        .expect("write");
    assert_eq!(written.status, 204);
    let read = client.read("kv1/greeting").await.expect("read");
    assert_eq!(read.status, 200);
    let envelope = read.envelope.as_ref().expect("envelope");
    assert!(!envelope.request_id.is_empty());
    // KV v1 answers with a lease_duration (the mount's default TTL) but no lease id.
    assert_eq!(envelope.lease_id, "");
    assert_eq!(read.data().unwrap()["text"], "hello");

    let listed = client.list("kv1/").await.expect("list");
    assert_eq!(listed.data().unwrap()["keys"], json!(["greeting"]));

    let deleted = client.delete("kv1/greeting").await.expect("delete");
    assert_eq!(deleted.status, 204);
    // A missing entry is 404 with an empty errors list, as a missing AWS role or config.
    match client.read("kv1/greeting").await {
        Err(e @ VaultError::NotFound { .. }) => {
            assert!(e.vault_errors().is_empty(), "{e:?}");
            assert!(e.hint().contains("written"));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn enable_aws_on_openbao_is_engine_not_available_in_its_own_words() {
    let bao = Bao::dev();
    let err = bao.client().enable_mount("aws", "aws").await.unwrap_err();
    match &err {
        VaultError::EngineNotAvailable {
            engine,
            method,
            path,
            errors,
        } => {
            assert_eq!(engine, "aws");
            assert_eq!(method, "POST");
            assert_eq!(path, "sys/mounts/aws");
            assert_eq!(errors, &["plugin not found in the catalog: aws"]);
        }
        other => panic!("expected EngineNotAvailable, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("plugin not found in the catalog: aws")
    );
}

#[tokio::test]
async fn aws_paths_without_a_mount_are_not_found_with_no_handler() {
    let bao = Bao::dev();
    let client = bao.client();
    let err = client.read("aws/roles/my-role").await.unwrap_err();
    match &err {
        VaultError::NotFound { path, errors, .. } => {
            assert_eq!(path, "aws/roles/my-role");
            assert_eq!(
                errors,
                &["no handler for route \"aws/roles/my-role\". route entry not found."]
            );
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(err.hint().contains("enable"));
    let err = client.read("aws/creds/my-role").await.unwrap_err();
    assert!(matches!(err, VaultError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn token_lookup_self_describes_the_root_token_without_its_id() {
    let bao = Bao::dev();
    let info = bao.client().token_lookup_self().await.expect("lookup-self");
    assert_eq!(info.policies, ["root"]);
    assert_eq!(info.ttl, 0);
    assert!(!info.accessor.is_empty());
    assert!(!format!("{info:?}").contains(ROOT_TOKEN));
}

#[tokio::test]
async fn capabilities_self_for_root_and_for_a_default_policy_token() {
    let bao = Bao::dev();
    let root = bao.client();
    let caps = root
        .capabilities_self(&["sys/mounts", "aws/creds/my-role"])
        .await
        .expect("capabilities");
    assert_eq!(caps["sys/mounts"], ["root"]);
    assert_eq!(caps["aws/creds/my-role"], ["root"]);

    let limited = bao.client_with_token(Some(&default_policy_token(&root).await));
    let caps = limited
        .capabilities_self(&["sys/mounts", "auth/token/lookup-self"])
        .await
        .expect("capabilities");
    assert_eq!(caps["sys/mounts"], ["deny"]);
    assert!(
        caps["auth/token/lookup-self"].contains(&"read".to_owned()),
        "{caps:?}"
    );
    // And the server agrees with what it said.
    match limited.list_mounts().await {
        Err(VaultError::PermissionDenied {
            path, token_sent, ..
        }) => {
            assert_eq!(path, "sys/mounts");
            assert!(token_sent);
        }
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_token_or_none_is_permission_denied_and_never_shown() {
    let bao = Bao::dev();
    let bogus = "hvs.this-token-does-not-exist";
    let err = bao
        .client_with_token(Some(bogus))
        .list_mounts()
        .await
        .unwrap_err();
    match &err {
        VaultError::PermissionDenied {
            method,
            path,
            errors,
            token_sent,
            access,
        } => {
            assert_eq!(method, "GET");
            assert_eq!(path, "sys/mounts");
            assert_eq!(errors, &["permission denied"]);
            assert!(token_sent);
            // Not even sys/capabilities-self would answer: the token is no good.
            assert_eq!(access, &Access::TokenRejected { from_file: false });
        }
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
    assert!(!err.to_string().contains(bogus));
    assert!(!format!("{err:?}").contains(bogus));

    let err = bao
        .client_with_token(None)
        .token_lookup_self()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::PermissionDenied {
                token_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.hint().contains("VAULT_TOKEN"));
}

#[tokio::test]
async fn a_server_stopped_mid_lab_is_unreachable_and_the_same_client_goes_on_once_it_is_back() {
    let mut bao = Bao::dev();
    let port = bao.process.port;
    let client = bao.client();
    client.enable_mount("lab-kv", "kv").await.expect("mid-lab");

    bao.process.child.kill().expect("stop the server");
    bao.process.child.wait().expect("reap it");
    // The first request goes out on a pooled connection the dead server closed; the
    // client sends it again on a new one, which finds nothing listening.
    let err = client.list_mounts().await.unwrap_err();
    match &err {
        VaultError::Unreachable { addr, kind, .. } => {
            assert_eq!(addr, &bao.url());
            assert_eq!(*kind, UnreachableKind::Refused, "{err}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(err.hint().contains("VAULT_ADDR"), "{}", err.hint());

    // Back on the same port (a dev server starts empty): the client's pooled connections
    // to the old process must not poison the next request.
    let _back = Bao::dev_on(port);
    let mounts = client
        .list_mounts()
        .await
        .expect("answered once it is back");
    assert!(mounts.contains_key("sys/"));
    assert!(
        !mounts.contains_key("lab-kv/"),
        "a new dev server, a new state"
    );
}

#[tokio::test]
async fn nothing_listening_is_unreachable_naming_the_address() {
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let client = VaultClient::new(VaultConfig::new(&address, None).unwrap()).unwrap();
    let err = client.health().await.unwrap_err();
    match &err {
        VaultError::Unreachable { addr, kind, .. } => {
            assert_eq!(addr, &address);
            assert_eq!(*kind, UnreachableKind::Refused);
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains(&address), "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold connections without answering.
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let mut config = VaultConfig::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
    config.timeout = Duration::from_millis(500);
    let err = VaultClient::new(config)
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::Unreachable {
                kind: UnreachableKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    held.abort();
}

#[tokio::test]
async fn a_sealed_server_is_sealed() {
    let bao = Bao::dev();
    let output = bao
        .cli(&["operator", "seal"])
        .output()
        .expect("bao operator seal");
    assert!(
        output.status.success(),
        "bao operator seal: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let client = bao.client();
    let err = client.list_mounts().await.unwrap_err();
    match &err {
        VaultError::Sealed { addr, errors, .. } => {
            assert_eq!(addr, &bao.url());
            assert_eq!(errors, &["Vault is sealed"]);
        }
        other => panic!("expected Sealed, got {other:?}"),
    }
    assert!(err.hint().contains("nseal"));

    // Health still answers, with 503 and the body that says why.
    let health = client.health().await.expect("health of a sealed server");
    assert_eq!(health.status, 503);
    assert!(health.sealed);
    assert!(matches!(
        health.ready(&bao.url()),
        Err(VaultError::Sealed { .. })
    ));
    let seal = client.seal_status().await.expect("seal-status");
    assert!(seal.sealed);
    assert!(seal.initialized);
}

#[tokio::test]
async fn an_uninitialised_server_is_told_apart_from_a_sealed_one() {
    let bao = Bao::uninitialized();
    let client = bao.client();
    // The server answers "Vault is sealed"; seal-status shows it was never initialised.
    let err = client.list_mounts().await.unwrap_err();
    match &err {
        VaultError::Uninitialized { errors, .. } => {
            assert_eq!(errors, &["Vault is sealed"]);
        }
        other => panic!("expected Uninitialized, got {other:?}"),
    }
    assert!(err.hint().contains("init"));
    let health = client.health().await.expect("health");
    assert_eq!(health.status, 501);
    assert!(!health.initialized);
    assert!(matches!(
        health.ready(&bao.url()),
        Err(VaultError::Uninitialized { .. })
    ));
}

#[tokio::test]
async fn a_rate_limit_quota_is_rate_limited() {
    let bao = Bao::dev();
    let client = bao.client();
    client
        .write(
            "sys/quotas/rate-limit/lab",
            json!({"rate": 1, "interval": "1m", "path": "secret/"}),
        )
        .await
        .expect("rate-limit quota");
    // The first read is allowed (and finds nothing); the quota refuses the next ones.
    let mut last = None;
    for _ in 0..3 {
        last = Some(client.read("secret/data/nothing").await);
    }
    let err = last.unwrap().unwrap_err();
    match &err {
        VaultError::RateLimited { path, errors, .. } => {
            assert_eq!(path, "secret/data/nothing");
            assert_eq!(
                errors,
                &["request path \"secret/data/nothing\": rate limit quota exceeded"]
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn bogus_lease_ids_get_vaults_own_answers() {
    let bao = Bao::dev();
    let client = bao.client();
    let bogus = "aws/creds/my-role/AAAAAAAAAAAAAAAAAAAAAAAA";
    match client.lease_lookup(bogus).await {
        Err(VaultError::InvalidRequest {
            status,
            errors,
            path,
            ..
        }) => {
            assert_eq!(status, 400);
            assert_eq!(path, "sys/leases/lookup");
            assert_eq!(errors, ["invalid lease"]);
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    match client.lease_renew(bogus, None).await {
        Err(VaultError::InvalidRequest { errors, .. }) => {
            assert_eq!(errors, ["lease not found"]);
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    // Revoking an unknown lease succeeds: queued (202) or, with sync, 204.
    assert_eq!(
        client.lease_revoke(bogus, false).await.expect("revoke"),
        RevokeOutcome::Queued
    );
    assert_eq!(
        client.lease_revoke(bogus, true).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
}

#[tokio::test]
async fn a_real_ssh_otp_lease_is_looked_up_refused_renewal_and_revoked() {
    let bao = Bao::dev();
    let client = bao.client();
    client.enable_mount("ssh", "ssh").await.expect("enable ssh");
    client
        .write(
            "ssh/roles/otp",
            json!({"key_type": "otp", "default_user": "ubuntu", "cidr_list": "0.0.0.0/0"}),
        )
        .await
        .expect("ssh role");
    let issue = || async {
        client
            .write("ssh/creds/otp", json!({"ip": "10.0.0.5"}))
            .await
            .expect("ssh creds")
            .envelope
            .expect("envelope")
    };
    let envelope = issue().await;
    let lease_id = envelope.lease_id.clone();
    assert!(lease_id.starts_with("ssh/creds/otp/"), "{lease_id}");
    // The system default max TTL, 768h, as for an AWS iam_user lease without config/lease.
    assert_eq!(envelope.lease_duration, 2_764_800);

    let lookup = client.lease_lookup(&lease_id).await.expect("lookup");
    assert_eq!(lookup.id, lease_id);
    assert!(!lookup.renewable);
    assert!(lookup.ttl > 0 && lookup.ttl <= 2_764_800, "{}", lookup.ttl);
    let (issued, expires) = (lookup.issue_time.unwrap(), lookup.expire_time.unwrap());
    assert_eq!((expires - issued).num_hours(), 768);
    assert_eq!(lookup.last_renewal, None);

    match client
        .lease_renew(&lease_id, Some(Duration::from_secs(60)))
        .await
    {
        Err(e @ VaultError::InvalidRequest { .. }) => {
            assert_eq!(e.vault_errors(), ["lease is not renewable"]);
            assert!(e.hint().contains("cannot be renewed"));
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }

    assert_eq!(
        client.lease_revoke(&lease_id, true).await.expect("revoke"),
        RevokeOutcome::Revoked
    );
    assert!(matches!(
        client.lease_lookup(&lease_id).await,
        Err(VaultError::InvalidRequest { .. })
    ));

    // A queued revocation of a real lease: 202, then the lease is gone once Vault gets to it.
    let second = issue().await.lease_id;
    assert_eq!(
        client.lease_revoke(&second, false).await.expect("revoke"),
        RevokeOutcome::Queued
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.lease_lookup(&second).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "queued revocation never happened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_curl_equivalent_is_a_working_command_without_the_token() {
    let bao = Bao::dev();
    let client = bao.client();
    let desc = request::enable_mount("via-curl", "kv").describe();
    let line = client.curl_equivalent(&desc);
    assert!(!line.contains(ROOT_TOKEN), "{line}");
    assert!(line.contains("$VAULT_TOKEN"), "{line}");
    let output = Command::new("sh")
        .args(["-c", &format!("{line} --fail --silent --show-error")])
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .output()
        .expect("run curl");
    assert!(
        output.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(client.list_mounts().await.unwrap()["via-curl/"].kind, "kv");

    // The root config's curl line masks the secret key; the request sent is the same one.
    let secret = SecretString::from("wJalrXUtnFEMI-not-shown".to_owned());
    let root_config = VaultRequest::put(
        "aws/config/root",
        json!({"access_key": "AKIA", "region": "us-east-1"}),
    )
    .with_secret("secret_key", &secret);
    let line = client.curl_equivalent(&root_config.describe());
    assert!(!line.contains("wJalrXUtnFEMI"), "{line}");
    assert!(line.contains(r#""secret_key":"<redacted>""#), "{line}");
}

#[tokio::test]
async fn namespaces_go_in_the_x_vault_namespace_header() {
    let bao = Bao::dev();
    let root = bao.client();
    root.write("sys/namespaces/team", json!({}))
        .await
        .expect("create namespace");
    let mut config = bao.config(Some(ROOT_TOKEN));
    config.namespace = Some("team".into());
    let team = VaultClient::new(config).unwrap();
    team.enable_mount("team-kv", "kv")
        .await
        .expect("enable in ns");
    assert!(team.list_mounts().await.unwrap().contains_key("team-kv/"));
    assert!(!root.list_mounts().await.unwrap().contains_key("team-kv/"));
    assert!(
        team.curl_equivalent(&request::list_mounts().describe())
            .contains("-H 'X-Vault-Namespace: team'")
    );

    let mut config = bao.config(Some(ROOT_TOKEN));
    config.namespace = Some("nope".into());
    match VaultClient::new(config).unwrap().list_mounts().await {
        Err(VaultError::NotFound { errors, .. }) => assert_eq!(errors, ["namespace not found"]),
        other => panic!("expected NotFound, got {other:?}"),
    }

    // Health is served in the root namespace only; the client asks there whatever the
    // namespace (OpenBao answers "operation unavailable in namespaces" otherwise).
    assert_eq!(team.health().await.expect("health").status, 200);

    // A token made in the namespace, used outside it, is told where it belongs.
    let reply = team
        .write("auth/token/create", json!({"policies": ["default"]}))
        .await
        .expect("token in ns");
    let team_token = reply.envelope.unwrap().auth.unwrap()["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let outside = bao.client_with_token(Some(&team_token));
    match outside.list_mounts().await {
        Err(VaultError::PermissionDenied {
            access: Access::Unknown(why),
            ..
        }) => assert!(why.contains("belongs to namespace team/"), "{why}"),
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_needs_the_servers_ca_or_skip_verify() {
    let bao = Bao::dev_tls();
    let with_ca = bao.client();
    assert_eq!(with_ca.health().await.expect("health with CA").status, 200);

    let mut config = bao.config(Some(ROOT_TOKEN));
    config.ca_cert = None;
    let err = VaultClient::new(config.clone())
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::Tls { .. }), "{err:?}");
    assert!(err.hint().contains("VAULT_CACERT"));

    config.skip_verify = true;
    let health = VaultClient::new(config).unwrap().health().await;
    assert_eq!(health.expect("health with skip-verify").status, 200);

    // VAULT_CAPATH: a directory holding the CA.
    let mut config = bao.config(Some(ROOT_TOKEN));
    config.ca_cert = None;
    config.ca_path = Some(bao.home.path().to_owned());
    let listed = VaultClient::new(config).unwrap().list_mounts().await;
    assert!(listed.expect("list mounts via CAPATH").contains_key("sys/"));

    // Plain HTTP to the TLS listener: Vault's own plain-text answer.
    let plain = format!("http://127.0.0.1:{}", bao.process.port);
    let client = VaultClient::new(VaultConfig::new(&plain, None).unwrap()).unwrap();
    let err = client.seal_status().await.unwrap_err();
    assert_eq!(
        err.vault_errors(),
        ["Client sent an HTTP request to an HTTPS server."]
    );
    assert!(err.hint().contains("https://"), "{err:?}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let bao = Bao::dev();
    let address = format!("https://127.0.0.1:{}", bao.process.port);
    let client = VaultClient::new(VaultConfig::new(&address, None).unwrap()).unwrap();
    let err = client.health().await.unwrap_err();
    assert!(matches!(err, VaultError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("use http://"), "{err}");
}

/// A stand-in for a standby node: answers every request with a 307 to `target` + the same
/// path, after reading the whole request. Records the request lines it saw.
async fn redirector(target: Option<String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let me = format!("http://{}", listener.local_addr().unwrap());
    let target = target.unwrap_or_else(|| me.clone());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (head, _body) = read_request(&mut socket).await;
            let request_line = head.lines().next().unwrap_or_default().to_owned();
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .to_owned();
            log.lock().unwrap().push(request_line);
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (me, seen)
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return (String::from_utf8_lossy(&buffer).into_owned(), Vec::new());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    (head, body)
}

#[tokio::test]
async fn a_standby_redirect_is_followed_keeping_method_body_and_token() {
    let bao = Bao::dev();
    let (standby, seen) = redirector(Some(bao.url())).await;
    let via_standby = VaultClient::new(
        VaultConfig::new(&standby, Some(SecretString::from(ROOT_TOKEN.to_owned()))).unwrap(),
    )
    .unwrap();
    via_standby
        .enable_mount("redirected", "kv")
        .await
        .expect("enable through a 307");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["POST /v1/sys/mounts/redirected HTTP/1.1"]
    );
    let mounts = bao.client().list_mounts().await.unwrap();
    assert_eq!(mounts["redirected/"].kind, "kv");

    // A node that keeps redirecting is not followed forever.
    let (looping, _) = redirector(None).await;
    let client = VaultClient::new(VaultConfig::new(&looping, None).unwrap()).unwrap();
    let err = client.seal_status().await.unwrap_err();
    assert!(
        matches!(err, VaultError::UnexpectedResponse { status: 307, .. }),
        "{err:?}"
    );
}

/// A stand-in HTTP proxy: records the request lines it gets and answers each with a health
/// body naming itself.
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (head, _) = read_request(&mut socket).await;
            log.lock()
                .unwrap()
                .push(head.lines().next().unwrap_or_default().to_owned());
            let body =
                r#"{"initialized":true,"sealed":false,"standby":false,"version":"from-the-proxy"}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn http_proxy_is_used_except_for_loopback_and_no_proxy() {
    let bao = Bao::dev();
    let (proxy, seen) = recording_proxy().await;
    let settings = ProxySettings {
        http: Some(proxy.clone()),
        https: Some(proxy.clone()),
        no_proxy: None,
    };

    // Loopback goes direct: the real server answers, the proxy sees nothing.
    let mut config = bao.config(None);
    config.proxy = settings.clone();
    let health = VaultClient::new(config).unwrap().health().await.unwrap();
    assert_ne!(health.version, "from-the-proxy");
    let mut config = bao.config(None);
    config.address = format!("http://localhost:{}", bao.process.port)
        .parse()
        .unwrap();
    config.proxy = settings.clone();
    let health = VaultClient::new(config).unwrap().health().await.unwrap();
    assert_ne!(health.version, "from-the-proxy");
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );

    // Anything else goes through the proxy.
    let mut config = VaultConfig::new("http://vault.example.invalid:8200", None).unwrap();
    config.proxy = settings.clone();
    let health = VaultClient::new(config).unwrap().health().await.unwrap();
    assert_eq!(health.version, "from-the-proxy");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["GET http://vault.example.invalid:8200/v1/sys/health HTTP/1.1"]
    );

    // Unless NO_PROXY names it: then it is resolved directly, and does not resolve.
    let mut config = VaultConfig::new("http://vault.example.invalid:8200", None).unwrap();
    config.proxy = ProxySettings {
        no_proxy: Some("example.invalid".into()),
        ..settings
    };
    let err = VaultClient::new(config)
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::Unreachable {
                kind: UnreachableKind::Dns,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn from_env_style_config_reaches_the_server_with_a_token_file() {
    let bao = Bao::dev();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".vault-token"), format!("{ROOT_TOKEN}\n")).unwrap();
    let vars: BTreeMap<&str, String> = [
        ("VAULT_ADDR", bao.url()),
        ("HOME", home.path().display().to_string()),
        ("VAULT_CLIENT_TIMEOUT", "30s".to_owned()),
    ]
    .into_iter()
    .collect();
    let config = VaultConfig::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let client = VaultClient::new(config).unwrap();
    assert_eq!(
        client
            .token_lookup_self()
            .await
            .expect("lookup-self")
            .policies,
        ["root"]
    );
    assert!(!format!("{client:?}").contains(ROOT_TOKEN));
}

/// A token with only `policy` (and `default`, unless `no_default`), made by the root token.
async fn token_with_policy(
    root: &VaultClient,
    policy: &str,
    rules: &str,
    no_default: bool,
) -> String {
    root.write(
        &format!("sys/policies/acl/{policy}"),
        json!({ "policy": rules }),
    )
    .await
    .expect("write policy");
    let reply = root
        .write(
            "auth/token/create",
            json!({"policies": [policy], "no_default_policy": no_default, "ttl": "1h"}),
        )
        .await
        .expect("auth/token/create");
    reply.envelope.expect("envelope").auth.expect("auth")["client_token"]
        .as_str()
        .expect("client_token")
        .to_owned()
}

#[tokio::test]
async fn a_refusal_names_the_capability_the_token_lacks_and_what_it_has() {
    let bao = Bao::dev();
    let root = bao.client();
    let token = token_with_policy(
        &root,
        "lab-read-only",
        r#"path "sys/mounts/aws" { capabilities = ["read"] }"#,
        false,
    )
    .await;
    let limited = bao.client_with_token(Some(&token));

    let err = limited.enable_mount("aws", "kv").await.unwrap_err();
    match &err {
        VaultError::PermissionDenied { path, access, .. } => {
            assert_eq!(path, "sys/mounts/aws");
            assert_eq!(
                access,
                &Access::Lacks {
                    needed: "update",
                    has: vec!["read".into()],
                }
            );
        }
        other => panic!("expected PermissionDenied, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.contains("POST sys/mounts/aws: needs update; this token has: read"),
        "{shown}"
    );
    assert!(shown.contains("(Vault: permission denied)"), "{shown}");
    assert!(err.hint().contains("policy granting"), "{}", err.hint());

    // A path the policy never mentions: the token has `deny` there.
    let err = limited.read("aws/creds/my-role").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("GET aws/creds/my-role: needs read; this token has: deny"),
        "{err}"
    );
}

#[tokio::test]
async fn without_the_default_policy_the_refusal_falls_back_to_saying_so() {
    let bao = Bao::dev();
    let root = bao.client();
    // May list mounts, but may not even ask sys/capabilities-self.
    let token = token_with_policy(
        &root,
        "mounts-only",
        r#"path "sys/mounts" { capabilities = ["read"] }"#,
        true,
    )
    .await;
    let limited = bao.client_with_token(Some(&token));
    limited.list_mounts().await.expect("the policy allows this");
    let err = limited.enable_mount("aws", "kv").await.unwrap_err();
    assert!(
        matches!(
            &err,
            VaultError::PermissionDenied {
                access: Access::TokenRejected { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains("POST sys/mounts/aws"), "{shown}");
    assert!(shown.contains("default policy"), "{shown}");
}

#[tokio::test]
async fn an_expired_token_says_so_and_a_new_login_is_picked_up_on_retry() {
    let bao = Bao::dev();
    let root = bao.client();
    let reply = root
        .write(
            "auth/token/create",
            json!({"policies": ["root"], "ttl": "2s", "explicit_max_ttl": "2s"}),
        )
        .await
        .expect("a short-lived token");
    let short = reply.envelope.unwrap().auth.unwrap()["client_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // The learner's token is in ~/.vault-token, as `vault login` leaves it.
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join(".vault-token");
    std::fs::write(&token_file, format!("{short}\n")).unwrap();
    let vars: BTreeMap<&str, String> = [
        ("VAULT_ADDR", bao.url()),
        ("HOME", home.path().display().to_string()),
    ]
    .into_iter()
    .collect();
    let client =
        VaultClient::new(VaultConfig::from_lookup(|name| vars.get(name).cloned()).unwrap())
            .unwrap();
    client
        .list_mounts()
        .await
        .expect("the token works at first");

    // Wait for it to expire.
    let deadline = Instant::now() + Duration::from_secs(30);
    let err = loop {
        match client.list_mounts().await {
            Err(e) => break e,
            Ok(_) => {
                assert!(Instant::now() < deadline, "the 2 s token never expired");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    assert!(
        matches!(
            &err,
            VaultError::PermissionDenied {
                access: Access::TokenRejected { from_file: true },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(err.hint().contains("vault login"), "{}", err.hint());
    assert!(!err.to_string().contains(&short));

    // `vault login` in another terminal rewrites the file; the same client picks it up.
    std::fs::write(&token_file, format!("{ROOT_TOKEN}\n")).unwrap();
    let info = client
        .token_lookup_self()
        .await
        .expect("the new token is used");
    assert_eq!(info.policies, ["root"]);
}

//! The AWS engine's IAM client under a burst of credential requests: it keeps a bounded
//! number of connections to IAM and closes them once idle. Measured through a TCP proxy
//! that counts the connections passing through it on their way to the sandbox's own AWS
//! endpoint (the engine's `iam_endpoint`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

/// A loopback TCP proxy to `target` (host:port) counting the connections through it.
struct CountingProxy {
    url: String,
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

async fn counting_proxy(target: String) -> CountingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let open = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (open_count, most_count) = (open.clone(), most.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                continue;
            };
            let now = open_count.fetch_add(1, Ordering::SeqCst) + 1;
            most_count.fetch_max(now, Ordering::SeqCst);
            let open_count = open_count.clone();
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
                open_count.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    CountingProxy { url, open, most }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_creds_keeps_few_connections_to_iam_and_closes_them_once_idle() {
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    let aws_host = sandbox
        .aws_endpoint_url()
        .strip_prefix("http://")
        .unwrap()
        .to_owned();
    let proxy = counting_proxy(aws_host).await;
    let http = reqwest::Client::new();
    let token = sandbox.root_token().expose().to_owned();
    let vault = |path: &str| format!("{}/v1/{path}", sandbox.vault_addr());
    let admin = sandbox.admin_credentials();
    for (path, body) in [
        ("sys/mounts/aws", json!({"type": "aws"})),
        (
            "aws/config/root",
            json!({
                "access_key": admin.access_key_id,
                "secret_key": admin.secret_access_key.expose(),
                "region": sandbox.region(),
                "iam_endpoint": proxy.url,
            }),
        ),
        (
            "aws/roles/my-role",
            json!({
                "credential_type": "iam_user",
                "policy_document": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#,
            }),
        ),
    ] {
        let response = http
            .post(vault(path))
            .header("X-Vault-Token", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{path}");
    }

    let burst: Vec<_> = (0..200)
        .map(|_| {
            let request = http
                .get(vault("aws/creds/my-role"))
                .header("X-Vault-Token", &token);
            tokio::spawn(async move {
                let response = request.send().await.expect("creds");
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                (status, body)
            })
        })
        .collect();
    for request in burst {
        let (status, body) = request.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }

    // Each issue is five IAM calls; unbounded, the engine opened a connection for nearly
    // every one of the 200 in flight and kept them all.
    let most = proxy.most.load(Ordering::SeqCst);
    assert!(
        most <= 32,
        "{most} connections to IAM at once for 200 parallel creds"
    );
    // Idle connections are closed (the deadline only stops a hung test).
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.open.load(Ordering::SeqCst) > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections to IAM still open a minute after the burst",
            proxy.open.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sandbox.shutdown().await.expect("shutdown");
}

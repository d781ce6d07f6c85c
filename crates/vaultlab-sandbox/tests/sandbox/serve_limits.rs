//! The sandbox's listener under clients that misbehave: a request head or body that never
//! finishes is cut off, a body over the bound is refused, and at the connection cap the
//! connection idle longest makes room for a new client.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vaultlab_sandbox::serve::Limits;
use vaultlab_sandbox::{Sandbox, SandboxOptions};

async fn sandbox(limits: Limits) -> (Sandbox, String) {
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        limits,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    let addr = sandbox
        .vault_addr()
        .strip_prefix("http://")
        .expect("http://")
        .to_owned();
    (sandbox, addr)
}

fn quick(max_connections: usize) -> Limits {
    Limits {
        max_connections,
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        ..Limits::for_fd_limit(1024)
    }
}

/// Everything the server sends until it closes. The deadline only stops a hung test.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    // A reset is a close too.
    let _ = read;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn health(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET /v1/sys/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    read_until_closed(&mut stream).await
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let (_sandbox, addr) = sandbox(quick(64)).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: slow\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off() {
    let (_sandbox, addr) = sandbox(quick(64)).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(
            b"POST /v1/sys/mounts/aws HTTP/1.1\r\nHost: slow\r\nContent-Length: 100\r\n\r\n{\"type\":",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("sent nothing for 300ms"), "{answer}");
}

#[tokio::test]
async fn a_body_over_the_bound_is_refused() {
    let (sandbox, _) = sandbox(Limits::for_fd_limit(1024)).await;
    let http = reqwest::Client::new();
    let big = format!(
        r#"{{"type":"aws","description":"{}"}}"#,
        "x".repeat(1_500_000)
    );
    let response = http
        .post(format!("{}/v1/sys/mounts/aws", sandbox.vault_addr()))
        .header("X-Vault-Token", sandbox.root_token().expose())
        .body(big.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.text().await.unwrap().trim(),
        r#"{"errors":["http: request body too large"]}"#
    );
    let response = http
        .post(sandbox.aws_endpoint_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 413);

    // Without a length up front (chunked), the bound applies as the body arrives.
    let addr = sandbox
        .vault_addr()
        .strip_prefix("http://")
        .unwrap()
        .to_owned();
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let token = sandbox.root_token().expose().to_owned();
    let sending = tokio::spawn(async move {
        let head = format!(
            "POST /v1/sys/mounts/aws HTTP/1.1\r\nHost: big\r\nX-Vault-Token: {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        writer.write_all(head.as_bytes()).await?;
        let chunk = format!("{:x}\r\n{}\r\n", 64 << 10, "x".repeat(64 << 10));
        for _ in 0..24 {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let _ = sending.await;
    assert!(health(&addr).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn at_the_cap_the_connection_idle_longest_makes_room() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(60),
        ..quick(4)
    };
    let (_sandbox, addr) = sandbox(limits).await;
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: slow\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    let answer = health(&addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The first stalled connection was among those closed to make room.
    let closed = read_until_closed(&mut stalled[0]).await;
    assert!(!closed.contains("200 OK"), "{closed}");
}

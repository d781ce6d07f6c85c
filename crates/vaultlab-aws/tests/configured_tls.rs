//! The SDK's HTTP client in a room's seat (`Trust::Configured`: reqwest under the SDK), as
//! seen from a small HTTP server on loopback that answers STS's GetCallerIdentity: what it
//! does with a redirect, and how many connections the calls open. (The sandbox never
//! redirects, and does not say how many connections it was given.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vaultlab_aws::{AwsTarget, ConfiguredHttps, StaticKeys, Trust, caller_identity};

const IDENTITY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ada</Arn><UserId>AIDAADA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;

/// What the server saw.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    moved: AtomicUsize,
}

/// Serves on loopback: `/` answers STS's identity, or with `redirect` a 302 to `/moved`,
/// which answers the identity. Connections are kept open between requests.
async fn serve(redirect: bool) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let counted = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(stream, redirect, counted.clone()));
        }
    });
    (url, seen)
}

async fn answer(mut stream: TcpStream, redirect: bool, seen: Arc<Seen>) {
    let mut buffer = Vec::new();
    loop {
        // One request: its head, then as much body as it says.
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let moved = head
            .lines()
            .next()
            .is_some_and(|line| line.contains(" /moved"));
        buffer.drain(..head_end + length);
        if moved {
            seen.moved.fetch_add(1, Ordering::SeqCst);
        }
        let reply = if redirect && !moved {
            "HTTP/1.1 302 Found\r\nlocation: /moved\r\ncontent-length: 0\r\n\r\n".to_owned()
        } else {
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{IDENTITY}",
                IDENTITY.len()
            )
        };
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A seat's trust: a rustls configuration (trusting nothing: these calls are plain HTTP)
/// and no proxy.
fn configured() -> Trust {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Trust::Configured(ConfiguredHttps::new(Arc::new(tls), Vec::new()))
}

fn target(url: &str, trust: Trust) -> AwsTarget {
    AwsTarget {
        endpoint_url: Some(url.to_owned()),
        region: "us-east-1".into(),
        trust,
    }
}

fn keys() -> StaticKeys {
    StaticKeys {
        access_key_id: "AKIASEAT".into(),
        secret_access_key: "seat-secret".to_owned().into(),
    }
}

#[tokio::test]
async fn a_redirect_reaches_the_sdk_as_it_came_and_is_not_followed() {
    let (url, seen) = serve(true).await;
    let answer = caller_identity(&target(&url, configured()), &keys()).await;
    // A followed 302 would have become a GET without the signed body.
    let Err(refused) = answer else {
        panic!("the 302 was followed: {answer:?}");
    };
    assert_eq!(refused.http_status, Some(302), "{refused:?}");
    assert_eq!(seen.moved.load(Ordering::SeqCst), 0);
    // The same server, asked at the place it names: it answers (the test's own check).
    let moved = caller_identity(&target(&format!("{url}/moved"), configured()), &keys()).await;
    assert!(moved.is_ok(), "{moved:?}");
}

#[tokio::test]
async fn the_calls_of_one_seat_share_one_client_and_its_connections() {
    let (url, seen) = serve(false).await;
    let trust = configured();
    // Each call makes its SDK client, as the lab's calls do.
    for _ in 0..3 {
        let identity = caller_identity(&target(&url, trust.clone()), &keys()).await;
        assert!(identity.is_ok(), "{identity:?}");
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

//! Serving the sandbox's router over HTTP/1.1 with what a shared server needs and
//! `axum::serve` lacks: a cap on open connections (at the cap, the connection idle longest
//! makes room, so clients that never finish a request cannot lock others out), read
//! timeouts for a request's head and for each piece of its body, and bounds on the sizes
//! of both.
//!
//! The engine's own IAM calls reach the sandbox's AWS endpoint through a second loopback
//! listener of their own: requests waiting on the engine would otherwise hold the slots its
//! calls need. On shutdown (`Sandbox::shutdown`) the public listener stops accepting and
//! its requests finish first (the engine's calls for them included), then the engine's
//! listener closes.
//!
//! With a TLS acceptor (a room's `--tls`), each connection's handshake runs on its own
//! task, bounded by the header read timeout, so a client that stalls it holds nothing but
//! its own slot.

mod body;
mod connections;
mod limits;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use body::TimeoutBody;
use connections::{Connections, Slot};
pub use limits::{ENGINE_CONNECTIONS, Limits};

/// Connections the kernel holds, finished but not yet accepted, while every slot is taken
/// (the kernel caps it at `net.core.somaxconn`). With the usual 128, most of a burst of
/// 2,000 clients had their connections dropped and retried until they timed out; waiting
/// in this queue costs the sandbox no file descriptor.
const BACKLOG: u32 = 4096;

/// A listener on `addr` with a backlog deep enough for a burst (see [`BACKLOG`]).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then stops
/// accepting, lets every connection finish the request it has in flight, and returns once
/// all are closed. Dropping the future closes every connection at once. With `tls`, every
/// connection is HTTPS.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    name: &'static str,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let connections = Connections::new(limits.max_connections, name, limits.fd_limit);
    let (stopping, stop_requested) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let slot = tokio::select! {
                        slot = connections.slot() => slot,
                        () = &mut shutdown => break,
                    };
                    tasks.spawn(accepted_connection(
                        stream,
                        tls.clone(),
                        peer,
                        slot,
                        router.clone(),
                        limits.clone(),
                        stop_requested.clone(),
                    ));
                }
                Err(error) => accept_errors.wait_after(name, &error).await,
            },
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// A connection just accepted: its TLS handshake first when the listener has one (within
/// the header read timeout; a failed one is a debug line, as any broken connection is).
async fn accepted_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    peer: SocketAddr,
    slot: Slot,
    router: Router,
    limits: Limits,
    stop_requested: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        return connection(stream, peer, slot, router, limits, stop_requested).await;
    };
    // A client that never says hello (a port scan, a laptop gone to sleep) must not hold
    // the server's stop for the whole timeout.
    let handshake = tokio::time::timeout(limits.header_read_timeout, tls.accept(stream));
    let mut stopping = stop_requested.clone();
    let finished = tokio::select! {
        finished = handshake => Some(finished),
        _ = stopping.wait_for(|stop| *stop) => None,
    };
    match finished {
        Some(Ok(Ok(stream))) => {
            connection(stream, peer, slot, router, limits, stop_requested).await
        }
        Some(Ok(Err(error))) => tracing::debug!("TLS handshake with {peer} failed: {error}"),
        Some(Err(_)) => tracing::debug!("TLS handshake with {peer} timed out"),
        None => tracing::debug!("TLS handshake with {peer} given up: the server stops"),
    }
}

/// One connection, until it ends, is asked to make room while idle, or is drained.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    slot: Slot,
    router: Router,
    limits: Limits,
    mut stop_requested: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let slot = Arc::new(slot);
    let service = {
        let slot = slot.clone();
        let limits = limits.clone();
        service_fn(move |request: Request<Incoming>| {
            let in_flight = slot.begin_request();
            let router = router.clone();
            let limits = limits.clone();
            async move {
                let _in_flight = in_flight;
                if let Some(refusal) = too_large(&request, limits.max_body_bytes) {
                    return Ok::<_, std::convert::Infallible>(refusal);
                }
                let mut request = request;
                // Who is asking (the room rate-limits wrong join codes by address).
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let request = request.map(|body| {
                    let limited = http_body_util::Limited::new(body, limits.max_body_bytes);
                    Body::new(TimeoutBody::new(limited, limits.body_read_timeout))
                });
                router.oneshot(request).await
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        // hyper's read buffer would otherwise grow to ~400 KiB per connection.
        .max_buf_size(limits.max_header_bytes + (8 << 10))
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!("connection ended: {error}");
                }
                return;
            }
            () = slot.close.notified() => {
                // Asked to make room: only a connection with nothing in flight goes.
                if slot.is_idle() {
                    return;
                }
            }
            _ = stop_requested.wait_for(|stop| *stop), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A request whose `Content-Length` is over the bound is refused before its body is read:
/// 413 in Vault's words under `/v1/` (Go's `http.MaxBytesReader`), plain text elsewhere.
fn too_large(request: &Request<Incoming>, max: usize) -> Option<Response<Body>> {
    let length: u64 = request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if length <= u64::try_from(max).unwrap_or(u64::MAX) {
        return None;
    }
    let (content_type, body) = if request.uri().path().starts_with("/v1/") {
        (
            "application/json",
            r#"{"errors":["http: request body too large"]}"#.to_owned() + "\n",
        )
    } else {
        (
            "text/plain; charset=utf-8",
            format!("request body too large: {length} bytes, at most {max} are taken\n"),
        )
    };
    Response::builder()
        .status(StatusCode::PAYLOAD_TOO_LARGE)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONNECTION, "close")
        .body(Body::from(body))
        .ok()
}

/// What to do when `accept` fails: a client that gave up is nothing; running out of file
/// descriptors is said (once in a while) and waited out a little, as every server must.
#[derive(Default)]
struct AcceptErrors {
    last_said: Option<Instant>,
}

impl AcceptErrors {
    async fn wait_after(&mut self, name: &str, error: &io::Error) {
        use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
        ) {
            return;
        }
        let now = Instant::now();
        if self
            .last_said
            .is_none_or(|last| now.duration_since(last) >= Duration::from_secs(10))
        {
            self.last_said = Some(now);
            tracing::warn!("{name} listener: cannot accept a connection: {error}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

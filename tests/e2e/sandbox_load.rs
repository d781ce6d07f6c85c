//! `vaultlab sandbox` under a small open-file limit, against clients that open connections
//! and never finish a request: other clients are still answered.

use vaultlab_testkit as common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::SandboxProcess;

/// The sandbox under `ulimit -n LIMIT`.
fn sandbox_with_fd_limit(limit: u32) -> SandboxProcess {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {limit} && exec \"$0\" sandbox --propagation-delay 0s"),
        crate::VAULTLAB,
    ]);
    SandboxProcess::start_command(command)
}

fn host_port(sandbox: &SandboxProcess) -> String {
    sandbox
        .var("VAULT_ADDR")
        .strip_prefix("http://")
        .expect("an http:// address")
        .to_owned()
}

/// `GET /v1/sys/health` on a new connection; the whole answer, or why there was none.
/// The read timeout only stops a hung test: it is no target.
fn health(addr: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "GET /v1/sys/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e} (after {answer:?})"))?;
    Ok(answer)
}

#[test]
fn clients_that_never_finish_their_headers_do_not_lock_others_out() {
    // 256 open files leave the sandbox room for 64 connections (serve::Limits).
    let sandbox = sandbox_with_fd_limit(256);
    let addr = host_port(&sandbox);
    assert!(
        health(&addr)
            .expect("health before")
            .starts_with("HTTP/1.1 200")
    );

    // More half-sent requests than the sandbox may even open files for.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream
            .write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: slow\r\nX-Still: typing")
            .expect("half a request head");
        stalled.push(stream);
    }

    let answer = health(&addr).expect("health while 300 clients stall");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""initialized":true"#), "{answer}");

    // The oldest stalled connections were closed to make room, and the cap was logged.
    let mut first = stalled.remove(0);
    first
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut rest = Vec::new();
    let read = first.read_to_end(&mut rest);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "the oldest stalled connection is closed: {read:?} {rest:?}"
    );
    let log = sandbox.log();
    assert!(
        log.contains(
            "sandbox listener: 64 connections open, the most it keeps (its open-file limit is 256); "
        ),
        "{log}"
    );
}

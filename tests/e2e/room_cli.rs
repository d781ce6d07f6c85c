//! `vaultlab room --headless` and `vaultlab join … --env` as a facilitator and learners use
//! them: the built binary, the join line it prints, the export lines `join` prints, and the
//! real `bao` CLI run with them in the seat's namespace.

use vaultlab_testkit as common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::peer_program;

pub(crate) struct Room {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) code: String,
    /// The join line's `--pin`, for a room served with --tls.
    pub(crate) pin: Option<String>,
    /// The whole join line, as printed.
    pub(crate) join_line: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Room {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_room(state: &std::path::Path) -> Room {
    start_room_with(state, &[])
}

/// A headless room with more options (`--tls`).
pub(crate) fn start_room_with(state: &std::path::Path, more: &[&str]) -> Room {
    let listen: &[&str] = if more.contains(&"--listen") {
        &[]
    } else {
        &["--listen", "127.0.0.1:0"]
    };
    let mut child = Command::new(crate::VAULTLAB)
        .args(["room", "--headless", "--seats", "2"])
        .args(listen)
        .args(["--propagation-delay", "0s", "--title", "e2e"])
        .args(more)
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vaultlab room");
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the join line");
    let words: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(&words[..2], ["vaultlab", "join"], "{first}");
    let pin = match words.get(4..) {
        Some(["--pin", pin]) => Some((*pin).to_owned()),
        Some([]) => None,
        _ => panic!("a join line with more than a pin: {first}"),
    };
    Room {
        child,
        url: words[2].to_owned(),
        code: words[3].to_owned(),
        pin,
        join_line: first.clone(),
        lines,
    }
}

impl Room {
    /// Waits (with a deadline) for a printed line containing `text`.
    pub(crate) fn wait_for_line(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line with {text:?}; saw:\n{}", seen.join("\n"));
    }
}

pub(crate) fn join(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(crate::VAULTLAB)
        .arg("join")
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("run vaultlab join")
}

pub(crate) fn exports(output: &std::process::Output) -> Vec<(String, String)> {
    assert!(
        output.status.success(),
        "join failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.trim_matches('\'').to_owned())
        })
        .collect()
}

pub(crate) fn bao(
    env: &[(String, String)],
    home: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new(peer_program("bao"))
        .args(args)
        .env("HOME", home)
        .env_remove("BAO_ADDR")
        .env_remove("BAO_TOKEN")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run bao")
}

#[test]
fn a_learner_joins_with_the_printed_line_and_uses_bao_in_the_seat_only() {
    let dir = tempfile::tempdir().unwrap();
    let room = start_room(&dir.path().join("room.json"));
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    let ada = exports(&join(
        &home,
        &[&room.url, &room.code, "--name", "ada", "--env"],
    ));
    let var = |env: &[(String, String)], k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(var(&ada, "VAULT_NAMESPACE"), "room/ada");
    assert_eq!(var(&ada, "VAULT_ADDR"), room.url);
    assert_eq!(var(&ada, "AWS_ENDPOINT_URL"), room.url);
    // The seed lab's first step, verbatim, lands in ada's namespace.
    let enabled = bao(&ada, &home, &["secrets", "enable", "-path=aws", "aws"]);
    assert!(
        enabled.status.success(),
        "{}",
        String::from_utf8_lossy(&enabled.stderr)
    );
    let line = room.wait_for_line("room/ada vault POST /v1/sys/mounts/aws 204");
    assert!(!line.contains(&var(&ada, "VAULT_TOKEN")), "{line}");

    // The same command again: the same seat.
    let again = exports(&join(
        &home,
        &[&room.url, &room.code, "--name", "ada", "--env"],
    ));
    assert_eq!(var(&again, "VAULT_TOKEN"), var(&ada, "VAULT_TOKEN"));
    let kept = std::fs::read_dir(home.join(".local/share/vaultlab/seats"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Another learner's seat is out of ada's reach, in Vault's words.
    let bob_home = dir.path().join("bob");
    std::fs::create_dir_all(&bob_home).unwrap();
    let bob = exports(&join(
        &bob_home,
        &[&room.url, &room.code, "--name", "bob", "--env"],
    ));
    assert_ne!(
        var(&bob, "AWS_ACCESS_KEY_ID"),
        var(&ada, "AWS_ACCESS_KEY_ID")
    );
    let refused = bao(&ada, &home, &["secrets", "list", "-namespace=room/bob"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("permission denied"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Bad input: a clear line, exit 1, nothing kept.
    let eve_home = dir.path().join("eve");
    std::fs::create_dir_all(&eve_home).unwrap();
    for (args, words) in [
        (
            vec![room.url.as_str(), "AAAA-AAAA", "--name", "eve", "--env"],
            "wrong join code",
        ),
        (
            vec![
                room.url.as_str(),
                room.code.as_str(),
                "--name",
                "carol",
                "--env",
            ],
            "the room is full",
        ),
        (
            vec![
                "10.1.2.3:8200",
                room.code.as_str(),
                "--name",
                "eve",
                "--env",
            ],
            "is not a room's address",
        ),
        (
            vec![
                "http://127.0.0.1:9",
                room.code.as_str(),
                "--name",
                "eve",
                "--env",
            ],
            "no room answers at",
        ),
    ] {
        let output = join(&eve_home, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    assert!(
        !eve_home.join(".local").exists(),
        "a refused join wrote nothing"
    );
}

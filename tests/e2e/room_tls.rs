//! `vaultlab room --tls`: the room serves HTTPS with a certificate of its own, and its join
//! line carries the certificate's pin. `join` with the pin takes a seat (`--walk` runs the
//! lab through it); a wrong pin, or an https:// address without one, is refused in one
//! line with nothing written; `--env` hands the real `bao` and `aws` the certificate
//! (VAULT_CACERT, AWS_CA_BUNDLE) so they run verbatim; a room restarted with its state
//! keeps its certificate, so learners' pins (kept with their seats) still hold.

use std::path::Path;
use std::process::{Command, Output};

use vaultlab_testkit as common;

use super::room_cli::{bao, exports, join, start_room_with};

fn var(env: &[(String, String)], key: &str) -> String {
    env.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {key} in {env:?}"))
}

/// One line, exit 1, nothing on stdout, nothing kept in `home`.
fn refused(output: &Output, home: &Path) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        !home.join(".local").exists(),
        "a refused join wrote nothing"
    );
    stderr
}

/// The aws CLI with only the export lines (and HOME, PATH) for its environment.
fn aws(env: &[(String, String)], home: &Path, args: &[&str]) -> Output {
    Command::new(common::peer_program("aws"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run aws")
}

#[test]
fn a_tls_room_is_joined_by_its_pin_and_its_certificate_serves_bao_and_aws() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let listen = format!("127.0.0.1:{}", common::free_port());
    let room = start_room_with(&state, &["--tls", "--listen", &listen]);
    assert!(room.url.starts_with("https://"), "{}", room.join_line);
    let pin = room.pin.clone().expect("the join line carries a pin");
    assert!(
        room.join_line.chars().count() <= 80,
        "the join line fits 80 columns: {}",
        room.join_line
    );
    let (_, key) = (
        dir.path().join("room.cert.pem"),
        dir.path().join("room.key.pem"),
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // An https:// address without its pin, and a wrong pin: one line each, nothing kept.
    let eve = dir.path().join("eve");
    std::fs::create_dir_all(&eve).unwrap();
    let unpinned = refused(
        &join(&eve, &[&room.url, &room.code, "--name", "eve", "--env"]),
        &eve,
    );
    assert!(
        unpinned.contains("use the room's whole join line, --pin and all"),
        "{unpinned}"
    );
    let mut wrong = pin.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(wrong).unwrap();
    let mismatch = refused(
        &join(
            &eve,
            &[
                &room.url, &room.code, "--name", "eve", "--pin", &wrong, "--env",
            ],
        ),
        &eve,
    );
    assert!(
        mismatch.contains(&format!(
            "the room's certificate does not match the fingerprint in your join line: it is {pin}, the line says {wrong}"
        )),
        "{mismatch}"
    );

    // The right pin: the whole lab walks in the seat, over TLS.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let walked = join(
        &home,
        &[
            &room.url, &room.code, "--name", "ada", "--pin", &pin, "--walk",
        ],
    );
    assert!(
        walked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&walked.stdout),
        String::from_utf8_lossy(&walked.stderr)
    );
    assert!(String::from_utf8_lossy(&walked.stdout).contains("[6/6]"));

    // --env: the real CLIs, verbatim, trust the room's certificate through their own
    // variables (its names match the address, as they check).
    let bob = exports(&join(
        &home,
        &[
            &room.url, &room.code, "--name", "bob", "--pin", &pin, "--env",
        ],
    ));
    let cacert = var(&bob, "VAULT_CACERT");
    assert_eq!(var(&bob, "AWS_CA_BUNDLE"), cacert);
    // The room's certificate, as the room keeps it (whose first line names its names).
    let kept: String = std::fs::read_to_string(dir.path().join("room.cert.pem"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(std::fs::read_to_string(&cacert).unwrap(), kept);
    let enabled = bao(&bob, &home, &["secrets", "enable", "-path=aws", "aws"]);
    assert!(
        enabled.status.success(),
        "{}",
        String::from_utf8_lossy(&enabled.stderr)
    );
    let identity = aws(&bob, &home, &["sts", "get-caller-identity"]);
    assert!(
        identity.status.success(),
        "{}",
        String::from_utf8_lossy(&identity.stderr)
    );
    assert!(String::from_utf8_lossy(&identity.stdout).contains("Account"));
    let users = aws(&bob, &home, &["iam", "list-users"]);
    assert!(
        users.status.success(),
        "{}",
        String::from_utf8_lossy(&users.stderr)
    );

    // Restarted with its state: the same certificate, so the seat's kept pin still holds
    // and the same command (here without --pin) takes the seat back.
    drop(room);
    let again = start_room_with(&state, &["--tls", "--listen", &listen]);
    assert_eq!(again.pin.as_deref(), Some(pin.as_str()));
    let back = exports(&join(
        &home,
        &[&again.url, &again.code, "--name", "bob", "--env"],
    ));
    assert_eq!(var(&back, "VAULT_TOKEN"), var(&bob, "VAULT_TOKEN"));
    let listed = bao(&back, &home, &["secrets", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("aws/"),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
}

#[test]
fn the_facilitators_commands_reach_a_tls_room_through_its_control_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let room = start_room_with(&state, &["--tls"]);
    let control: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("room.control.json")).unwrap())
            .unwrap();
    assert!(
        control["pin"].as_str().unwrap().starts_with("sha256:"),
        "{control}"
    );
    let status = Command::new(crate::VAULTLAB)
        .args(["room", "status", "--json", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["join_code"], room.code.as_str());

    // Served again at an address the kept certificate was not made for: the same
    // certificate (pins hold), and the facilitator is told that aws and bao will refuse it.
    let pin = room.pin.clone();
    drop(room);
    let moved = start_room_with(&state, &["--tls", "--listen", "127.0.0.2:0"]);
    assert_eq!(moved.pin, pin);
    let warning = moved.wait_for_line("the kept certificate names");
    assert!(
        warning.contains("names 127.0.0.1, localhost, not 127.0.0.2: vaultlab in a seat trusts it by its pin, but the real CLIs (aws, bao with join --env) check the name and refuse it"),
        "{warning}"
    );
}

#[test]
fn the_dashboard_serves_tls_and_a_learners_tui_gets_its_steps_and_broadcasts_through_the_pin() {
    let port = common::free_port();
    let room = common::Tmux::start_sized(
        &format!(
            "{} room --tls --listen 127.0.0.1:{port} --seats 3 --title e2e --propagation-delay 0s",
            crate::VAULTLAB
        ),
        &[],
        (100, 30),
    );
    let screen = room.wait_for("--pin ");
    assert!(
        screen.contains("TLS, certificate sha256:") && !screen.contains("in clear"),
        "{screen}"
    );
    let line = screen
        .lines()
        .find_map(|l| l.split("vaultlab join ").nth(1))
        .expect("a join line");
    let words: Vec<&str> = line.split_whitespace().collect();
    let (url, code, pin) = (words[0], words[1], words[3].trim_end_matches('│'));
    assert_eq!(url, format!("https://127.0.0.1:{port}"));

    let ada = common::Tmux::start_with_env(
        &format!(
            "{} join {url} {code} --pin {pin} --name ada",
            crate::VAULTLAB
        ),
        &[],
    );
    ada.wait_for_all(&["seat ada", "LIVE", "ns=room/ada"]);
    ada.keys(&["n"]);
    ada.wait_for("Step 1 of 6");
    ada.keys(&["Enter"]);
    ada.wait_for("1 Enable ✓");
    // The dashboard reads the room over TLS: ada's step shows.
    room.wait_for("joined 1/3");
    // A broadcast reaches the TUI through the pinned long poll.
    room.keys(&["b"]);
    room.wait_for("One line every learner sees");
    room.keys(&["Hello over TLS", "Enter"]);
    room.wait_for("Broadcast sent");
    ada.wait_for("Facilitator: Hello over TLS");
}

#[test]
fn a_room_restarted_with_tls_gives_its_learners_their_seats_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let listen = format!("127.0.0.1:{}", common::free_port());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let plain = start_room_with(&state, &["--listen", &listen]);
    let first = exports(&join(
        &home,
        &[&plain.url, &plain.code, "--name", "ada", "--env"],
    ));
    drop(plain);

    // The facilitator forgot --tls, and starts the same room again with it.
    let tls = start_room_with(&state, &["--tls", "--listen", &listen]);
    let pin = tls.pin.clone().expect("a pin");
    let joined = join(
        &home,
        &[&tls.url, &tls.code, "--name", "ada", "--pin", &pin, "--env"],
    );
    let stdout = String::from_utf8_lossy(&joined.stdout);
    assert!(
        joined.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    assert!(stdout.contains("(rejoined)"), "{stdout}");
    let again = exports(&joined);
    assert_eq!(
        var(&again, "AWS_ACCESS_KEY_ID"),
        var(&first, "AWS_ACCESS_KEY_ID"),
        "the same seat, with its account"
    );
}

#[test]
fn a_room_started_without_tls_while_its_state_keeps_a_certificate_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let listen = format!("127.0.0.1:{}", common::free_port());
    drop(start_room_with(&state, &["--tls", "--listen", &listen]));

    // The facilitator forgot --tls this time.
    let plain = start_room_with(&state, &["--listen", &listen]);
    assert_eq!(plain.pin, None);
    let warning = plain.wait_for_line("a certificate is kept for this room");
    let cert = dir.path().join("room.cert.pem");
    assert_eq!(
        warning,
        format!(
            "# a certificate is kept for this room ({}), but it is served without --tls: learners who joined with its --pin cannot reach it; to serve TLS again, stop it and start it with --tls",
            cert.display()
        )
    );
    let summary = plain.wait_for_line("# room ");
    assert!(summary.contains("in clear (no --tls)"), "{summary}");
}

#[test]
fn a_tls_room_served_at_an_address_its_certificate_does_not_name_keeps_the_labs_aws_calls_by_the_pin()
 {
    // The certificate is made for 127.0.0.2 (and localhost), then the same room is served
    // at 127.0.0.1, as a facilitator's laptop that got a new address from the LAN.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let first = start_room_with(&state, &["--tls", "--listen", "127.0.0.2:0"]);
    let pin = first.pin.clone().expect("a pin");
    drop(first);
    let listen = format!("127.0.0.1:{}", common::free_port());
    let moved = start_room_with(&state, &["--tls", "--listen", &listen]);
    assert_eq!(moved.pin.as_deref(), Some(pin.as_str()));
    moved.wait_for_line("the kept certificate names 127.0.0.2, localhost, not 127.0.0.1");

    // The walk's step 2 (STS) and step 5 (EC2) are the lab's own AWS calls: by the pin.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let walked = join(
        &home,
        &[
            &moved.url,
            &moved.code,
            "--name",
            "ada",
            "--pin",
            &pin,
            "--walk",
        ],
    );
    let stdout = String::from_utf8_lossy(&walked.stdout);
    let step = |n: usize| -> String {
        let start = stdout
            .find(&format!("[{n}/6]"))
            .unwrap_or_else(|| panic!("no step {n} in:\n{stdout}"));
        let rest = &stdout[start + 5..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_owned()
    };
    for n in [2, 5] {
        assert!(
            step(n).contains("✓ done"),
            "step {n}:\n{}\n{}",
            step(n),
            String::from_utf8_lossy(&walked.stderr)
        );
    }
    assert!(
        walked.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&walked.stderr)
    );
}

#[test]
fn a_seat_behind_a_proxy_reaches_the_rooms_aws_directly_on_loopback_as_its_vault_calls() {
    // The learner's shell names a proxy nobody answers at: the room is on loopback, which
    // the seat's Vault calls never send through a proxy, and its AWS calls must not either
    // (ALL_PROXY included, which the Vault calls do not read).
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let listen = format!("127.0.0.1:{}", common::free_port());
    let room = start_room_with(&state, &["--tls", "--listen", &listen]);
    let pin = room.pin.clone().expect("a pin");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let nobody = format!("http://127.0.0.1:{}", common::free_port());
    let walked = Command::new(crate::VAULTLAB)
        .args([
            "join", &room.url, &room.code, "--name", "ada", "--pin", &pin,
        ])
        .arg("--walk")
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .envs(["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"].map(|name| (name, &nobody)))
        .output()
        .expect("run vaultlab join");
    let stdout = String::from_utf8_lossy(&walked.stdout);
    let stderr = String::from_utf8_lossy(&walked.stderr);
    for n in [2, 5] {
        let start = stdout
            .find(&format!("[{n}/6]"))
            .unwrap_or_else(|| panic!("no step {n} in:\n{stdout}{stderr}"));
        let rest = &stdout[start + 5..];
        let step = &rest[..rest.find("\n[").unwrap_or(rest.len())];
        assert!(step.contains("✓ done"), "step {n}:\n{step}\n{stderr}");
    }
    assert!(walked.status.success(), "{stdout}{stderr}");
}

//! `vaultlab room status|broadcast|pace|short-leases [off]|revoke|end` from a second terminal,
//! against a running `vaultlab room --headless`: they find it through room.control.json
//! beside its state, act, and say what they did; a mistake (no room running, a bad step,
//! an unknown seat, a report folder that does not exist) is one line, exit 1, and nothing
//! written or changed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use vaultlab_wire::room::{RoomReport, RoomStatus};

use super::room_cli::{bao, exports, join, start_room};

fn room(state: &Path, args: &[&str]) -> Output {
    Command::new(crate::VAULTLAB)
        .arg("room")
        .args(args)
        .arg("--state")
        .arg(state)
        .output()
        .expect("run vaultlab room")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one line a refusal prints, after checking it is one line with exit 1 and no output.
fn refused(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

fn status(state: &Path) -> RoomStatus {
    serde_json::from_str(&ok(&room(state, &["status", "--json"]))).expect("RoomStatus")
}

fn var(env: &[(String, String)], key: &str) -> String {
    env.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap()
}

#[test]
fn a_second_terminal_drives_the_room_and_ends_it_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let mut room_process = start_room(&state);
    let control = dir.path().join("room.control.json");
    assert_eq!(
        std::fs::metadata(&control).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let ada = exports(&join(
        &home,
        &[
            &room_process.url,
            &room_process.code,
            "--name",
            "ada",
            "--env",
        ],
    ));
    let run = |args: &[&str]| {
        let out = bao(&ada, &home, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["secrets", "enable", "aws"]);
    run(&[
        "write",
        "aws/config/root",
        &format!("access_key={}", var(&ada, "AWS_ACCESS_KEY_ID")),
        &format!("secret_key={}", var(&ada, "AWS_SECRET_ACCESS_KEY")),
        "region=us-east-1",
    ]);
    run(&[
        "write",
        "aws/roles/my-role",
        "credential_type=iam_user",
        r#"policy_document={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#,
    ]);
    run(&["read", "aws/creds/my-role"]);

    // The table, once the room has taken in the four steps.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let table = loop {
        let table = ok(&room(&state, &["status"]));
        if table.contains("✓✓✓✓··") {
            break table;
        }
        assert!(std::time::Instant::now() < deadline, "{table}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let row = table.lines().find(|l| l.starts_with("ada ")).expect(&table);
    assert!(row.contains("1 (next "), "{row}");
    assert!(
        table.contains("joined 1 · done per step 1:1 2:1 3:1 4:1 5:0 6:0 · leases alive 1"),
        "{table}"
    );
    assert!(!table.contains(&var(&ada, "VAULT_TOKEN")));

    assert_eq!(
        ok(&room(&state, &["broadcast", "break until 11:00"])),
        "broadcast to every seat: break until 11:00\n"
    );
    room_process.wait_for_line("room broadcast break until 11:00");
    assert!(ok(&room(&state, &["pace", "3"])).contains("held at step 3"));
    assert!(
        ok(&room(&state, &["short-leases"]))
            .contains("in every seat (1 now, and those that join later)")
    );
    room_process.wait_for_line("room short_leases 120s/300s for the room");
    let short = status(&state).short_leases.expect("short leases on");
    assert_eq!((short.ttl, short.max_ttl), (120, 300));
    // And off again: the engine's defaults, said by the command and the event line.
    assert_eq!(
        ok(&room(&state, &["short-leases", "off"])),
        "short leases off: the engine's default lease TTLs in every seat (1 now, and those that join later); leases already issued keep theirs\n"
    );
    room_process.wait_for_line("room short_leases off: the engine's default lease TTLs");
    assert_eq!(status(&state).short_leases, None);
    assert!(
        refused(&room(&state, &["short-leases", "of"]))
            .contains("`vaultlab room short-leases off` turns them off")
    );
    let run_lease = bao(&ada, &home, &["read", "aws/config/lease"]);
    assert!(
        !run_lease.status.success(),
        "config/lease is gone, as on a fresh mount: {}",
        String::from_utf8_lossy(&run_lease.stdout)
    );
    let now = status(&state);
    assert_eq!(
        (now.pace, now.broadcast.map(|b| b.message)),
        (Some(3), Some("break until 11:00".into()))
    );
    assert_eq!(
        ok(&room(&state, &["revoke", "ada"])),
        "1 leases of seat ada revoked\n"
    );
    // The pace holds a learner on the real CLI too, in the server's words.
    let held = bao(&ada, &home, &["read", "aws/creds/my-role"]);
    assert!(!held.status.success());
    let said = String::from_utf8_lossy(&held.stderr);
    assert!(
        said.contains(
            "the facilitator holds the room at step 3; step 4 (read credentials) opens when they say so"
        ),
        "{said}"
    );
    ok(&room(&state, &["pace", "free"]));
    run(&["read", "aws/creds/my-role"]);

    let report = dir.path().join("day1.md");
    let said = ok(&room(
        &state,
        &["end", "--report", report.to_str().unwrap()],
    ));
    assert!(
        said.contains("1 leases revoked, 0 vault-* IAM users left"),
        "{said}"
    );
    assert!(
        said.contains("day1.md") && said.contains("day1.json"),
        "{said}"
    );
    let markdown = std::fs::read_to_string(&report).unwrap();
    assert!(
        markdown.contains("| ada | ✓✓✓✓·· | 2 | 2 | 0 |"),
        "{markdown}"
    );
    let json: RoomReport =
        serde_json::from_slice(&std::fs::read(dir.path().join("day1.json")).unwrap()).unwrap();
    assert_eq!(
        (json.vault_users_left, json.leases_revoked, json.seats.len()),
        (0, 1, 1)
    );
    let late = join(
        &dir.path().join("late"),
        &[
            &room_process.url,
            &room_process.code,
            "--name",
            "bob",
            "--env",
        ],
    );
    assert!(String::from_utf8_lossy(&late.stderr).contains("the room has ended"));
    assert!(status(&state).ended.is_some());

    // A clean exit takes the control file away.
    // SAFETY: a signal to the room this test started.
    unsafe { libc::kill(room_process.child.id() as i32, libc::SIGTERM) };
    let _ = room_process.child.wait();
    assert!(!control.exists());
    assert!(refused(&room(&state, &["status"])).contains("no room is running (state "));
}

#[test]
fn mistakes_are_one_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    // No room yet: nothing to find.
    for args in [
        &["status"][..],
        &["broadcast", "hi"],
        &["pace", "2"],
        &["end"],
    ] {
        let line = refused(&room(&state, args));
        assert!(
            line.contains(&format!("no room is running (state {})", state.display())),
            "{line}"
        );
    }
    // A control file left by a process that is gone.
    std::fs::write(
        dir.path().join("room.control.json"),
        r#"{"addr":"http://127.0.0.1:9","root_token":"x","pid":999999999}"#,
    )
    .unwrap();
    assert!(refused(&room(&state, &["status"])).contains("no room is running"));
    std::fs::remove_file(dir.path().join("room.control.json")).unwrap();

    let _running = start_room(&state);
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    for (args, words) in [
        (
            &["pace", "7"][..],
            "\"7\" is not a step: the pace is a step from 1 to 6, or free",
        ),
        (&["pace", "three"], "\"three\" is not a step"),
        (
            &["revoke", "nobody"],
            "no seat named \"nobody\" in this room",
        ),
        (&["broadcast", "two\nlines"], "a broadcast is one line"),
        (
            &["end", "--report", "/nonexistent-folder/r.md"],
            "there is no folder /nonexistent-folder",
        ),
    ] {
        let line = refused(&room(&state, args));
        assert!(line.contains(words), "{args:?}: {line}");
    }
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        before.len(),
        after.len(),
        "nothing written: {before:?} {after:?}"
    );
    let now = status(&state);
    assert_eq!(
        (now.pace, now.broadcast, now.ended),
        (None, None, None),
        "nothing changed"
    );
}

#[test]
fn a_state_in_a_folder_that_does_not_exist_is_one_line_and_a_named_folder_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere/room.json");
    let output = Command::new(crate::VAULTLAB)
        .args(["room", "--headless", "--state"])
        .arg(&missing)
        .output()
        .expect("run vaultlab room");
    let line = refused(&output);
    assert!(
        line.contains("the folder of --state") && line.contains("does not exist"),
        "{line}"
    );
    assert!(!dir.path().join("nowhere").exists(), "nothing made");

    // A bare file name: the room starts in the current folder, which keeps its mode.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut room = Command::new(crate::VAULTLAB)
        .current_dir(dir.path())
        .args([
            "room",
            "--headless",
            "--listen",
            "127.0.0.1:0",
            "--state",
            "room.json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the room");
    let control = dir.path().join("room.control.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !control.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = room.kill();
    let _ = room.wait();
    assert!(control.exists(), "the room started with a bare --state");
    assert_eq!(
        std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777,
        0o755
    );
}

#[test]
fn join_walk_runs_the_lab_in_a_seat_and_stops_where_the_facilitator_holds_the_room() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let running = start_room(&state);
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let walk = || {
        join(
            &home,
            &[&running.url, &running.code, "--name", "ada", "--walk"],
        )
    };

    ok(&room(&state, &["pace", "3"]));
    let held = walk();
    let stdout = String::from_utf8_lossy(&held.stdout);
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert_eq!(held.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("[3/6]") && stdout.contains("✓ done"),
        "{stdout}"
    );
    assert!(
        stdout.contains("⏸ the facilitator will open step 4 (the room is held at step 3)"),
        "{stdout}"
    );
    assert!(!stdout.contains("[5/6]"), "{stdout}");
    assert_eq!(
        stderr.trim(),
        "vaultlab join --walk: stopped before step 4: the facilitator will open step 4 (the room is held at step 3)"
    );
    let steps = |status: &RoomStatus| -> Vec<bool> {
        status.seats[0]
            .steps
            .iter()
            .map(|s| s.done_at.is_some())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while steps(&status(&state)) != [true, true, true, false, false, false] {
        assert!(std::time::Instant::now() < deadline, "{:?}", status(&state));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        status(&state).seats[0].last_error.is_none(),
        "the first walk made no mistake"
    );

    // Freed: the same command takes the seat back and walks the whole lab.
    ok(&room(&state, &["pace", "free"]));
    let freed = walk();
    let stdout = String::from_utf8_lossy(&freed.stdout);
    assert!(
        freed.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&freed.stderr)
    );
    assert!(
        stdout.contains("seat ada in room \"e2e\" (rejoined)"),
        "{stdout}"
    );
    assert!(stdout.contains("[6/6]"), "{stdout}");
    while steps(&status(&state)) != [true; 6] {
        assert!(std::time::Instant::now() < deadline, "{:?}", status(&state));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let now = status(&state);
    assert!(now.seats[0].leases.is_empty(), "{now:?}");
    // The second walk enabled the engine again: Vault refused, and the room says so.
    let error = now.seats[0].last_error.clone().expect("the refusal");
    assert_eq!(
        (error.what.as_str(), error.status),
        ("POST /v1/sys/mounts/aws", 400)
    );
    assert_eq!(error.message, "path is already in use at aws/");

    // A wrong code: one line, exit 1, nothing kept.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let refused_walk = join(
        &other,
        &[&running.url, "AAAA-AAAA", "--name", "eve", "--walk"],
    );
    assert!(refused(&refused_walk).contains("wrong join code"));
    assert!(!other.join(".local").exists());
}

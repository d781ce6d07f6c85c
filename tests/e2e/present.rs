//! On stage, the built binary in tmux: `vaultlab notes` waiting for and following a
//! presenting instance over its socket, and autoplay running the lab by itself.

use std::time::Duration;

use vaultlab_testkit::Tmux;

/// A directory of the test's own for the presenting instances' sockets.
fn runtime_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// What window `window` of the test's tmux shows.
fn screen_of(tmux: &Tmux, window: &str) -> String {
    let output = tmux.tmux(&["capture-pane", "-p", "-t", &format!("lab:{window}")]);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits until window `window` shows every one of `texts`.
fn wait_in(tmux: &Tmux, window: &str, texts: &[&str]) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let screen = screen_of(tmux, window);
        if texts.iter().all(|t| screen.contains(t)) {
            return screen;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {texts:?} in {window}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens a window named `name` running `command`, in the background.
fn window(tmux: &Tmux, name: &str, command: &str) {
    let opened = tmux.tmux(&["new-window", "-d", "-n", name, command]);
    assert!(opened.status.success(), "new-window: {opened:?}");
}

/// The pid `notes` says it follows.
fn followed(screen: &str) -> String {
    let after = screen.split("following pid ").nth(1).unwrap_or_default();
    after
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn notes_waits_for_a_presenting_instance_follows_its_pane_then_the_next_one() {
    let binary = crate::VAULTLAB;
    let runtime = runtime_dir();
    let dir = runtime.path().to_str().unwrap();
    let tmux = Tmux::start_sized(
        &format!("{binary} notes; echo EXITED $?; sleep 30"),
        &[("XDG_RUNTIME_DIR", dir)],
        (80, 24),
    );
    tmux.wait_for_all(&[
        "Waiting for a presenting vaultlab",
        "Looking again every second",
    ]);
    window(
        &tmux,
        "first",
        &format!("{binary} --present --propagation-delay 0s"),
    );
    let screen = tmux.wait_for_all(&["following pid", "SAY", "Today: secrets that are made"]);
    let first = followed(&screen);
    // Only its user may connect to it.
    let sockets: Vec<_> = std::fs::read_dir(runtime.path().join("vaultlab"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sockets.len(), 1, "{sockets:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sockets[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(sockets[0].ends_with(format!("present-{first}.sock")));

    // The presenter moves on: the notes follow, with the step's own notes.
    tmux.keys(&["-t", "lab:first", "n"]);
    tmux.wait_for_all(&[
        "Step 1 of 6 · Enable the AWS secrets engine",
        "Secrets engines are plugins mounted at a path",
        "on this pane 00:0",
    ]);

    // A second presenting instance does not cross the first: the notes stay with it.
    window(
        &tmux,
        "second",
        &format!("{binary} --present --propagation-delay 0s"),
    );
    wait_in(&tmux, "second", &["OVERVIEW"]);
    std::thread::sleep(Duration::from_millis(1500));
    let screen = tmux.screen();
    assert_eq!(followed(&screen), first, "{screen}");
    assert!(screen.contains("Step 1 of 6"), "{screen}");

    // The first one ends: its socket goes, and the notes follow the one left.
    tmux.keys(&["-t", "lab:first", "q"]);
    let screen = tmux.wait_for_all(&["following pid", "Today: secrets that are made"]);
    let second = followed(&screen);
    assert_ne!(second, first, "{screen}");
    assert!(!sockets[0].exists(), "the first instance's socket is left");

    // `--pid` names one that is not there: it says so and waits.
    window(&tmux, "picky", &format!("{binary} notes --pid 1"));
    wait_in(
        &tmux,
        "picky",
        &["Waiting for vaultlab --present with pid 1"],
    );
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn autoplay_at_a_fast_pace_runs_the_lab_to_a_proved_revocation_and_space_pauses_it() {
    let binary = crate::VAULTLAB;
    let runtime = runtime_dir();
    let tmux = Tmux::start_with_env(
        &format!(
            "{binary} --present --autoplay --pace 500ms --propagation-delay 0s; echo EXITED $?; sleep 30"
        ),
        &[("XDG_RUNTIME_DIR", runtime.path().to_str().unwrap())],
    );
    tmux.wait_for_all(&["▶ AUTOPLAY", "Step 1 of 6"]);
    tmux.keys(&["Space"]);
    tmux.wait_for_all(&["AUTOPLAY PAUSED", "space resume"]);
    // A step already sent finishes; then nothing moves while paused.
    std::thread::sleep(Duration::from_secs(1));
    let tabs = |screen: &str| screen.lines().nth(1).unwrap_or_default().to_owned();
    let paused = tmux.screen();
    std::thread::sleep(Duration::from_secs(3));
    let later = tmux.screen();
    assert!(later.contains("AUTOPLAY PAUSED"), "{later}");
    assert_eq!(
        tabs(&later),
        tabs(&paused),
        "autoplay moved while paused:\n{later}"
    );

    tmux.keys(&["Space"]);
    let end = tmux.wait_for_all(&["Autoplay finished", "6 of 6 steps done"]);
    assert!(end.contains("lease revoked"), "{end}");
    // Back to the last step: the lease revoked and proved dead.
    tmux.keys(&["p"]);
    tmux.wait_for_all(&[
        "Step 6 of 6 · Revoke the lease  ● done",
        "refused (AuthFailure)",
        "The IAM user Vault made is gone",
        // On stage the inside view is on: what Vault's engine did for the revocation.
        "inside Vault",
        "iam:DeleteUser ",
    ]);
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

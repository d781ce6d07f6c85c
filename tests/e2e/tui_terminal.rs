//! The terminal, as a learner's shell and terminal use it: job control in an interactive
//! bash (Ctrl-Z, `kill -TSTP`, `fg`), pastes as terminals send them (bracketed, newlines
//! as CR), and the overview's export lines copied for a second terminal.

use vaultlab_testkit as common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Tmux, peer_program, run_ok};

/// An interactive bash (job control on) in tmux, its prompt `PROMPT$ `.
pub(crate) fn interactive_shell() -> Tmux {
    let tmux = Tmux::start_with_env(
        "exec bash --norc --noprofile -i",
        &[("HISTFILE", "/dev/null")],
    );
    tmux.keys(&["PS1='PROMPT$ '", "Enter"]);
    tmux
}

/// A pane's format variable (`alternate_on`, `cursor_flag`, `pane_tty`, …).
pub(crate) fn pane(tmux: &Tmux, variable: &str) -> String {
    let output = tmux.tmux(&["display", "-p", "-t", "lab", &format!("#{{{variable}}}")]);
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Polls until `check` holds, or fails saying `what` with the screen.
pub(crate) fn until(tmux: &Tmux, what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The terminal's line discipline as `stty` reports it, read from outside: whether it is
/// in raw mode (no line editing, no echo).
pub(crate) fn raw_mode(tmux: &Tmux) -> bool {
    let stty = run_ok(Command::new("stty").args(["-a", "-F", &pane(tmux, "pane_tty")]));
    let flags: Vec<&str> = stty.split([' ', ';', '\n']).collect();
    flags.contains(&"-icanon") && flags.contains(&"-echo")
}

/// The pid of the program the pane's shell is running in the foreground (vaultlab).
pub(crate) fn child_of_shell(tmux: &Tmux) -> String {
    let shell = pane(tmux, "pane_pid");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the shell's children");
    children
        .split_whitespace()
        .next()
        .expect("the shell runs vaultlab")
        .to_owned()
}

pub(crate) fn stopped_jobs(tmux: &Tmux) -> usize {
    tmux.screen().matches("Stopped").count()
}

/// Ctrl-Z, as a key (raw mode has no ISIG): the job stops and the shell has the terminal
/// back (the main screen, the cursor shown); then `fg`.
pub(crate) fn ctrl_z_then_fg(tmux: &Tmux) {
    tmux.keys(&["C-z"]);
    until(tmux, "the job to stop", || stopped_jobs(tmux) == 1);
    assert_eq!(
        pane(tmux, "alternate_on"),
        "0",
        "the alternate screen is left"
    );
    assert_eq!(pane(tmux, "cursor_flag"), "1", "the cursor shows");
    tmux.keys(&["fg", "Enter"]);
}

#[test]
fn ctrl_z_and_sigtstp_give_the_terminal_back_and_fg_takes_it_again() {
    let tmux = interactive_shell();
    tmux.wait_for("PROMPT$");
    let command = format!("{} --propagation-delay 0s", crate::VAULTLAB);
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for_all(&["SANDBOX", "Overview"]);
    assert!(raw_mode(&tmux), "raw mode while the lab runs");

    ctrl_z_then_fg(&tmux);
    tmux.wait_for_all(&["SANDBOX", "Overview", "no lease yet"]);
    assert_eq!(pane(&tmux, "alternate_on"), "1");
    until(&tmux, "raw mode again", || raw_mode(&tmux));
    tmux.keys(&["n"]);
    tmux.wait_for("Step 1 of 6");

    // SIGTSTP from outside (another terminal's `kill -TSTP`), then `fg` (SIGCONT).
    let pid = child_of_shell(&tmux);
    run_ok(Command::new("kill").args(["-TSTP", &pid]));
    until(&tmux, "the job to stop again", || stopped_jobs(&tmux) == 2);
    assert_eq!(pane(&tmux, "alternate_on"), "0");
    tmux.keys(&["fg", "Enter"]);
    tmux.wait_for_all(&["SANDBOX", "Step 1 of 6"]);
    until(&tmux, "raw mode again", || raw_mode(&tmux));
    tmux.keys(&["n"]);
    tmux.wait_for("Step 2 of 6");

    // It still quits cleanly, the terminal itself again.
    tmux.keys(&["q"]);
    until(&tmux, "the shell's prompt", || {
        pane(&tmux, "alternate_on") == "0"
    });
    tmux.keys(&["echo EXITED $?", "Enter"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn the_speaker_notes_screen_suspends_continues_and_gives_the_terminal_back_on_sigterm() {
    let runtime = tempfile::tempdir().unwrap();
    let tmux = interactive_shell();
    tmux.wait_for("PROMPT$");
    let command = format!(
        "XDG_RUNTIME_DIR={} {} notes",
        runtime.path().display(),
        crate::VAULTLAB
    );
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for("Waiting for a presenting vaultlab");
    until(&tmux, "raw mode", || raw_mode(&tmux));

    ctrl_z_then_fg(&tmux);
    tmux.wait_for("Looking again every second");
    assert_eq!(pane(&tmux, "alternate_on"), "1");
    until(&tmux, "raw mode again", || raw_mode(&tmux));

    // SIGTERM (a closing session, `kill`): the terminal is given back, not left raw.
    let pid = child_of_shell(&tmux);
    run_ok(Command::new("kill").args(["-TERM", &pid]));
    until(&tmux, "the shell's prompt", || {
        pane(&tmux, "alternate_on") == "0"
    });
    assert_eq!(pane(&tmux, "cursor_flag"), "1", "the cursor shows");
    tmux.keys(&["echo EXITED $?", "Enter"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn a_paste_with_cr_line_ends_fills_the_key_fields_and_keeps_a_policys_lines() {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!("{binary} --propagation-delay 0s; sleep 30"));
    tmux.wait_for_all(&["SANDBOX", "Overview"]);
    tmux.keys(&["n", "n"]);
    tmux.wait_for("Step 2 of 6");
    tmux.keys(&["e"]);
    // tmux pastes as a terminal does: its newlines become CR, bracketed since vaultlab
    // asked for bracketed paste.
    let secret = "pastedSECRETpastedSECRETpastedSECRET0000";
    tmux.tmux(&["set-buffer", &format!("AKIAPASTEDEXAMPLE000\n{secret}\n")]);
    tmux.tmux(&["paste-buffer", "-p", "-t", "lab"]);
    let screen = tmux.wait_for("Pasted into Access key and Secret key");
    assert!(
        screen.contains("Access key      AKIAPASTEDEXAMPLE000"),
        "{screen}"
    );
    assert!(
        !screen.contains("pastedSECRET"),
        "the secret is masked: {screen}"
    );
    assert!(screen.contains(&"•".repeat(40)), "{screen}");

    // A policy pasted at the top of the editor keeps its lines: the checker's line is the
    // editor's.
    // Esc, then n once the form has stopped editing (Esc and n at once read as Alt-n).
    tmux.keys(&["Escape"]);
    tmux.wait_for("e edit the keys");
    tmux.keys(&["n"]);
    tmux.wait_for("Step 3 of 6");
    tmux.keys(&["e"]);
    tmux.tmux(&["set-buffer", "{\n  \"Version\": \"2012-10-17\",\n  oops\n"]);
    tmux.tmux(&["paste-buffer", "-p", "-t", "lab"]);
    let screen = tmux.wait_for("not valid JSON");
    assert!(screen.contains("line 3, column 3"), "{screen}");
}

#[test]
fn the_overviews_export_lines_set_up_a_second_terminal_with_the_aws_keys() {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!("{binary} --propagation-delay 0s; sleep 30"));
    // OSC 52 from the app becomes a tmux buffer, as a terminal's clipboard would get it.
    tmux.tmux(&["set", "-g", "set-clipboard", "on"]);
    let screen = tmux.wait_for_all(&["SANDBOX", " AWS_SECRET_ACCESS_KEY=••••"]);
    assert!(screen.contains(" AWS_ACCESS_KEY_ID=AKIA"), "{screen}");
    tmux.keys(&["c"]);
    tmux.wait_for("Copied the export lines");
    let copied = String::from_utf8_lossy(&tmux.tmux(&["show-buffer"]).stdout).into_owned();
    for name in [
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
    ] {
        assert!(
            copied.contains(&format!("export {name}=")),
            "{name}: {copied}"
        );
    }
    // The second terminal: the lines as copied, then the real aws CLI, which needs the
    // keys to sign its request.
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{copied}\n\"$AWS\" sts get-caller-identity --output text"
        ))
        .env("AWS", peer_program("aws"))
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("vaultlab-admin"), "{stdout}");
}

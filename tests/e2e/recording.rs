//! Recordings: `--record` writes asciicast v2 with no secret in it, `replay` plays one back
//! with pause and step and gives the terminal back; bad paths and bad files get one line.

use std::process::Command;

use vaultlab::record::cast::{self, What};
use vaultlab_testkit::Tmux;

/// The value of `export NAME=value` in copied export lines.
fn exported(lines: &str, name: &str) -> String {
    let prefix = format!("export {name}=");
    lines
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {lines}"))
        .trim_matches('\'')
        .to_owned()
}

/// `c` on the focused pane: its export lines, from the clipboard (a tmux buffer).
fn copy(tmux: &Tmux) -> String {
    tmux.tmux(&["delete-buffer"]);
    tmux.keys(&["c"]);
    tmux.wait_for("Copied the export lines");
    String::from_utf8_lossy(&tmux.tmux(&["show-buffer"]).stdout).into_owned()
}

#[test]
fn the_tuis_recording_is_asciicast_v2_with_no_token_or_secret_key_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let cast_path = dir.path().join("demo.cast");
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start_sized(
        &format!(
            "{binary} --propagation-delay 0s --record {}; echo EXITED $?; sleep 30",
            cast_path.display()
        ),
        &[],
        (80, 24),
    );
    tmux.tmux(&["set", "-g", "set-clipboard", "on"]);
    tmux.wait_for_all(&["SANDBOX", "Overview"]);
    let overview = copy(&tmux);
    let token = exported(&overview, "VAULT_TOKEN");
    let root_secret = exported(&overview, "AWS_SECRET_ACCESS_KEY");
    tmux.keys(&["v"]);
    tmux.wait_for("Secrets stay masked while recording");
    tmux.keys(&["i"]);
    for step in 1..=3 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for_all(&["Step 4 of 6", "iam:CreateAccessKey"]);
    let issued = exported(&copy(&tmux), "AWS_SECRET_ACCESS_KEY");
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("Secrets stay masked while recording");
    assert!(!screen.contains(&issued), "{screen}");
    for step in 5..=6 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");

    let text = std::fs::read_to_string(&cast_path).unwrap();
    for (what, secret) in [
        ("root token", &token),
        ("root secret key", &root_secret),
        ("issued secret key", &issued),
    ] {
        assert!(secret.len() >= 20, "{what}: {secret:?}");
        assert!(
            !text.contains(secret.as_str()),
            "the {what} is in the recording"
        );
    }
    let recording = cast::parse(&text, "demo.cast").unwrap();
    assert_eq!((recording.header.width, recording.header.height), (80, 24));
    assert!(
        recording
            .header
            .title
            .as_deref()
            .unwrap_or_default()
            .contains("vaultlab")
    );
    assert!(recording.header.timestamp.is_some());
    let shown: String = recording
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Output(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    // Frames are what changed on screen, not whole screens: words that appear once.
    for seen in ["iam:CreateUser", "••••"] {
        assert!(shown.contains(seen), "{seen} is not in the recording");
    }

    // Played back in another terminal, at four times the speed: the lab's last screen,
    // then q gives the shell back.
    let replay = Tmux::start_sized(
        &format!(
            "{binary} replay --speed 4 {}; echo EXITED $?; sleep 30",
            cast_path.display()
        ),
        &[],
        (80, 24),
    );
    replay.wait_for_all(&["Step 6 of 6", "● done"]);
    replay.keys(&["q"]);
    let screen = replay.wait_for("EXITED 0");
    assert!(
        !screen.contains("Step 6 of 6"),
        "the terminal is given back:\n{screen}"
    );
}

/// A recording of three frames, the last long after the second.
fn three_frames(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("three.cast");
    std::fs::write(
        &path,
        concat!(
            "{\"version\":2,\"width\":80,\"height\":24,\"timestamp\":1764500000,\"title\":\"t\"}\n",
            "[0.1,\"o\",\"frame one\\r\\n\"]\n",
            "[1.0,\"o\",\"frame two\\r\\n\"]\n",
            "[3600.0,\"o\",\"frame three\\r\\n\"]\n",
        ),
    )
    .unwrap();
    path
}

#[test]
fn replay_pauses_on_space_steps_on_n_and_quits_on_q() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_frames(dir.path());
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start_sized(
        &format!(
            "{binary} replay --idle-limit 600 {}; echo EXITED $?; sleep 30",
            path.display()
        ),
        &[],
        (80, 24),
    );
    tmux.wait_for("frame one");
    tmux.keys(&["Space"]);
    // Paused before frame two (due 0.9 s after frame one).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(!tmux.screen().contains("frame two"), "{}", tmux.screen());
    tmux.keys(&["n"]);
    tmux.wait_for("frame two");
    // → steps too, without the 10-minute wait the file asks for.
    tmux.keys(&["Right"]);
    tmux.wait_for("frame three");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED 0");
    assert!(!screen.contains("frame three"), "{screen}");
}

#[test]
fn replay_gives_the_terminal_back_on_ctrl_z_shows_the_same_screen_after_fg_and_on_sigterm() {
    use crate::tui_terminal::{
        child_of_shell, ctrl_z_then_fg, interactive_shell, pane, raw_mode, until,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = three_frames(dir.path());
    let tmux = interactive_shell();
    tmux.wait_for("PROMPT$");
    let command = format!(
        "{} replay --idle-limit 600 {}",
        crate::VAULTLAB,
        path.display()
    );
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for("frame two");
    until(&tmux, "raw mode", || raw_mode(&tmux));

    ctrl_z_then_fg(&tmux);
    // The screen as it was, though no frame is due for an hour.
    until(&tmux, "the frames again", || {
        let screen = tmux.screen();
        screen.contains("frame one") && screen.contains("frame two")
    });
    assert_eq!(pane(&tmux, "alternate_on"), "1");
    until(&tmux, "raw mode again", || raw_mode(&tmux));

    // SIGTERM: the terminal is given back, not left raw in the alternate screen.
    let pid = child_of_shell(&tmux);
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    until(&tmux, "the shell's screen", || {
        pane(&tmux, "alternate_on") == "0"
    });
    assert_eq!(pane(&tmux, "cursor_flag"), "1", "the cursor shows");
    tmux.keys(&["echo EXITED $?", "Enter"]);
    tmux.wait_for("EXITED 0");
}

/// Runs vaultlab without a terminal; returns its exit code and stderr.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(crate::VAULTLAB)
        .args(args)
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_recording_path_that_cannot_be_written_is_one_line_before_anything_starts() {
    for args in [
        vec!["--record", "/nonexistent/dir/demo.cast"],
        vec!["walk", "--record", "/nonexistent/dir/demo.cast"],
    ] {
        let (code, stderr) = run(&args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("vaultlab: cannot write the recording to /nonexistent/dir/demo.cast: No such file or directory"),
            "{stderr}"
        );
    }
}

#[test]
fn replay_of_a_file_that_is_not_a_recording_or_is_cut_short_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_cast = dir.path().join("notes.txt");
    std::fs::write(&not_cast, "# my talk\nslide 1\n").unwrap();
    let (code, stderr) = run(&["replay", not_cast.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("notes.txt line 1: not an asciicast v2 header"),
        "{stderr}"
    );

    let full = std::fs::read_to_string(three_frames(dir.path())).unwrap();
    let cut = dir.path().join("cut.cast");
    std::fs::write(&cut, &full[..full.len() - 12]).unwrap();
    let (code, stderr) = run(&["replay", cut.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cut.cast line 4: the file ends in the middle of an event"),
        "{stderr}"
    );

    let (code, stderr) = run(&["replay", "/nonexistent/demo.cast"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("cannot read the recording /nonexistent/demo.cast"),
        "{stderr}"
    );
}

#[test]
fn a_recording_of_the_whole_walk_is_valid_secret_free_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("walk.cast");
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(crate::VAULTLAB)
        .args([
            "walk",
            "--sandbox",
            "--inside",
            "--propagation-delay",
            "0s",
            "--record",
        ])
        .arg(&path)
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{transcript}");
    let text = std::fs::read_to_string(&path).unwrap();
    let recording = cast::parse(&text, "walk.cast").unwrap();
    let played: String = recording
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Output(text) => Some(text.replace("\r\n", "\n")),
            _ => None,
        })
        .collect();
    assert_eq!(played, transcript, "the recording is the transcript");
    vaultlab::record::check::secret_free(&text).unwrap();
    assert!(text.len() < 200 * 1024, "{} bytes", text.len());
}

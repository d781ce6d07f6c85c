//! The lab at 80×24, the size a projector often gives: the built binary in tmux.

use vaultlab_testkit::Tmux;

/// The lab started in tmux, the window made 80×24 before its first frame is read.
fn lab_at_80x24() -> Tmux {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!(
        "{binary} --propagation-delay 0s; echo EXITED $?; sleep 30"
    ));
    let resized = tmux.tmux(&["resize-window", "-t", "lab", "-x", "80", "-y", "24"]);
    assert!(resized.status.success(), "tmux resize-window: {resized:?}");
    tmux.wait_for_all(&["SANDBOX", "Overview"]);
    let size = tmux.tmux(&["display", "-p", "-t", "lab", "#{pane_width}x#{pane_height}"]);
    assert_eq!(String::from_utf8_lossy(&size.stdout).trim(), "80x24");
    tmux
}

#[test]
fn at_80x24_the_policy_editor_shows_eight_lines_and_where_the_json_breaks() {
    let tmux = lab_at_80x24();
    for step in 1..=3 {
        tmux.keys(&["n"]);
        tmux.wait_for(&format!("Step {step} of 6"));
    }
    tmux.keys(&["e"]);
    tmux.wait_for("editing — Esc stops");
    // The comma at the end of line 2 deleted: the JSON stops parsing at line 3.
    tmux.keys(&["Down", "End", "BSpace"]);
    let screen = tmux.wait_for_all(&["not valid JSON", "line 3, column 3"]);
    assert!(screen.lines().count() <= 24, "{screen}");
    for number in 1..=8 {
        assert!(
            screen.contains(&format!("│{number:>3} ")),
            "line {number} of the policy is not in view:\n{screen}"
        );
    }
    assert!(
        screen.contains("✗ line 3:3"),
        "the editor's frame: {screen}"
    );
    assert!(screen.contains("Esc stop editing"), "{screen}");
}

/// A pane's format variable, e.g. `mouse_sgr_flag`.
fn pane(tmux: &Tmux, variable: &str) -> String {
    let output = tmux.tmux(&["display", "-p", "-t", "lab", &format!("#{{{variable}}}")]);
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The mouse wheel turned one notch over the pane, as a terminal reports it in SGR form.
fn wheel(tmux: &Tmux, down: bool) {
    let button = if down { "65" } else { "64" };
    let report = format!("\x1b[<{button};20;10M");
    let hex: Vec<String> = report.bytes().map(|b| format!("{b:02x}")).collect();
    let mut args = vec!["send-keys", "-t", "lab", "-H"];
    args.extend(hex.iter().map(String::as_str));
    assert!(tmux.tmux(&args).status.success());
}

#[test]
fn at_80x24_the_overview_scrolls_to_its_export_lines_and_back() {
    let tmux = lab_at_80x24();
    let top = tmux.wait_for("more lines below");
    assert!(top.contains("n or → goes to the first step"), "{top}");
    tmux.keys(&["End"]);
    let end = tmux.wait_for_all(&["more lines above", " AWS_SECRET_ACCESS_KEY=••••"]);
    assert!(end.contains("6. Revoke the lease"), "{end}");
    tmux.keys(&["Home"]);
    tmux.wait_for_all(&["Dynamic secrets with Vault and AWS", "more lines below"]);
}

#[test]
fn the_mouse_wheel_scrolls_and_moving_the_mouse_is_not_asked_for() {
    let tmux = lab_at_80x24();
    tmux.wait_for("more lines below");
    // Button presses (the wheel's among them) in SGR form; not every motion.
    assert_eq!(pane(&tmux, "mouse_any_flag"), "1");
    assert_eq!(pane(&tmux, "mouse_standard_flag"), "1");
    assert_eq!(pane(&tmux, "mouse_sgr_flag"), "1");
    assert_eq!(pane(&tmux, "mouse_all_flag"), "0");
    assert_eq!(pane(&tmux, "mouse_button_flag"), "0");
    wheel(&tmux, true);
    tmux.wait_for("▲ 3 more lines above");
    wheel(&tmux, false);
    tmux.wait_for_all(&["Dynamic secrets with Vault and AWS", "more lines below"]);
    // Quitting gives the mouse back to the terminal.
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED");
    assert_eq!(pane(&tmux, "mouse_any_flag"), "0");
}

#[test]
fn a_terminal_below_80x24_is_told_the_size_needed_and_the_lab_comes_back() {
    let tmux = lab_at_80x24();
    tmux.tmux(&["resize-window", "-t", "lab", "-x", "70", "-y", "20"]);
    let screen = tmux.wait_for("vaultlab needs a terminal of at least 80×24.");
    assert!(screen.contains("This one is 70×20"), "{screen}");
    tmux.tmux(&["resize-window", "-t", "lab", "-x", "80", "-y", "24"]);
    tmux.wait_for_all(&["SANDBOX", "Overview", "n or → goes to the first step"]);
}

//! The lab at 80×24, the size a projector often gives: the built binary in tmux.

use vaultlab_testkit::Tmux;

/// The lab started in tmux, the window made 80×24 before its first frame is read.
fn lab_at_80x24() -> Tmux {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!("{binary} --propagation-delay 0s; sleep 30"));
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
fn a_terminal_below_80x24_is_told_the_size_needed_and_the_lab_comes_back() {
    let tmux = lab_at_80x24();
    tmux.tmux(&["resize-window", "-t", "lab", "-x", "70", "-y", "20"]);
    let screen = tmux.wait_for("vaultlab needs a terminal of at least 80×24.");
    assert!(screen.contains("This one is 70×20"), "{screen}");
    tmux.tmux(&["resize-window", "-t", "lab", "-x", "80", "-y", "24"]);
    tmux.wait_for_all(&["SANDBOX", "Overview", "n or → goes to the first step"]);
}

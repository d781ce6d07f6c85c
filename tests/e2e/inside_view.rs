//! The inside view in the built binary at 80×24: `i` shows, under the step that caused
//! them, the AWS calls Vault's engine made, in order; with another AWS endpoint it says
//! it needs the sandbox.

use vaultlab_testkit::Tmux;

fn lab_at_80x24(flags: &str) -> Tmux {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!(
        "{binary} --propagation-delay 0s {flags}; echo EXITED $?; sleep 30"
    ));
    let resized = tmux.tmux(&["resize-window", "-t", "lab", "-x", "80", "-y", "24"]);
    assert!(resized.status.success(), "tmux resize-window: {resized:?}");
    tmux.wait_for_all(&["SANDBOX", "Overview"]);
    tmux
}

/// The rows of `screen` that hold each of `wanted`, in its order on screen.
fn rows_of(screen: &str, wanted: &[&str]) -> Vec<usize> {
    wanted
        .iter()
        .map(|w| {
            screen
                .lines()
                .position(|l| l.contains(w))
                .unwrap_or_else(|| panic!("no {w:?} on screen:\n{screen}"))
        })
        .collect()
}

#[test]
fn at_80x24_the_inside_view_shows_the_creds_read_and_the_revoke_call_by_call() {
    let tmux = lab_at_80x24("");
    tmux.keys(&["i"]);
    tmux.wait_for("inside Vault: no AWS calls yet");
    for step in 1..=3 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux.keys(&["n", "Enter"]);
    let screen = tmux.wait_for_all(&[
        "Step 4 of 6",
        "iam:CreateAccessKey",
        "GET aws/creds/my-role 200",
    ]);
    assert!(screen.lines().count() <= 24, "{screen}");
    let rows = rows_of(
        &screen,
        &[
            "$ vault read aws/creds/my-role",
            "iam:CreateUser",
            "iam:PutUserPolicy",
            "iam:CreateAccessKey",
        ],
    );
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "out of order:\n{screen}"
    );
    assert!(screen.contains("vault-root-my-role-"), "{screen}");
    assert!(screen.contains(" ms"), "timings: {screen}");
    // The status bar keeps the key that moves the lab on.
    assert!(
        screen
            .lines()
            .nth(22)
            .unwrap_or_default()
            .contains("n → next"),
        "{screen}"
    );
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for_all(&["Step 5 of 6", "● done"]);
    tmux.keys(&["n", "Enter"]);
    let screen = tmux.wait_for_all(&["Step 6 of 6", "iam:DeleteUser ", "earlier"]);
    let rows = rows_of(
        &screen,
        &[
            "iam:DeleteAccessKey",
            "iam:DeleteUserPolicy",
            "iam:DeleteUser ",
        ],
    );
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "out of order:\n{screen}"
    );
    // The calls are step 4's: not under step 6.
    assert!(!screen.contains("iam:CreateUser"), "{screen}");
    tmux.keys(&["i"]);
    let screen = tmux.wait_for("Step 6 of 6");
    assert!(!screen.contains("inside Vault"), "i hides it:\n{screen}");
}

#[test]
fn with_moto_as_the_aws_endpoint_the_toggle_says_the_view_needs_the_sandbox() {
    // Nothing is sent to it: the address only has to be given.
    let tmux = lab_at_80x24("--aws-endpoint http://127.0.0.1:9");
    tmux.keys(&["i"]);
    tmux.wait_for("needs the sandbox");
}

//! A user's mistake is one plain line on stderr and a non-zero exit, never a report with
//! `Location:` or a backtrace, even with RUST_BACKTRACE=1.

use std::process::Command;

/// Runs vaultlab with `args` and `env` (RUST_BACKTRACE=1 always); returns the exit code
/// and stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(args)
        .env("HOME", home.path())
        .env("RUST_BACKTRACE", "1")
        .env_remove("VAULT_ADDR")
        .envs(env.iter().copied())
        .output()
        .expect("run vaultlab");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_plain_line(stderr: &str, expected: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not a report:\n{stderr}");
    assert!(lines[0].starts_with("vaultlab: "), "{stderr}");
    assert!(
        lines[0].contains(expected),
        "{expected:?} missing:\n{stderr}"
    );
    assert!(!stderr.contains("Location:"), "{stderr}");
    assert!(!stderr.contains("BACKTRACE"), "{stderr}");
}

#[test]
fn a_malformed_vault_setting_is_one_line_naming_it_and_the_fix() {
    let (code, stderr) = run(
        &["doctor"],
        &[
            ("VAULT_ADDR", "http://127.0.0.1:1"),
            ("VAULT_SKIP_VERIFY", "maybe"),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_one_plain_line(&stderr, "VAULT_SKIP_VERIFY");
    assert!(stderr.contains("→ Fix or unset"), "{stderr}");
}

#[test]
fn an_unknown_lab_is_one_line_naming_the_labs_there_are() {
    let (code, stderr) = run(&["walk", "--sandbox", "--lab", "nope"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_one_plain_line(&stderr, "no lab named \"nope\"");
    assert!(stderr.contains("dynamic-secrets-aws"), "{stderr}");
}

#[test]
fn a_corrupt_sandbox_state_file_is_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("sandbox.json");
    std::fs::write(&state, "{\"format\": 1, \"vault\": ").expect("write");
    let (code, stderr) = run(&["sandbox", "--state", state.to_str().expect("utf-8")], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_one_plain_line(&stderr, "is not a vaultlab sandbox state file");
}

#[test]
fn without_a_terminal_the_lab_says_to_use_one_or_walk() {
    // `vaultlab < /dev/null > out`: stdin and stdout are not a terminal.
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .env("HOME", home.path())
        .env("RUST_BACKTRACE", "1")
        .env_remove("VAULT_ADDR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run vaultlab");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_one_plain_line(&stderr, "not a terminal");
    assert!(stderr.contains("vaultlab walk"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing is drawn into a file");
}

#[test]
fn a_labs_folder_that_cannot_be_read_is_one_line_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-folder");
    let missing = missing.to_str().expect("utf-8");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let file = file.to_str().expect("utf-8");
    for args in [
        &["walk", "--sandbox", "--labs", missing][..],
        &["labs", "--labs", missing],
        &["doctor", "--sandbox", "--labs", file],
    ] {
        let (code, stderr) = run(args, &[]);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert_one_plain_line(&stderr, "cannot read the labs folder");
        assert!(
            stderr.contains("-folder") || stderr.contains("a-file"),
            "{stderr}"
        );
    }
}

#[test]
fn a_bad_flag_value_is_claps_short_message_without_a_backtrace() {
    let (code, stderr) = run(&["walk", "--propagation-delay", "soon"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: invalid value 'soon' for '--propagation-delay"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 3, "a short message: {stderr}");
    assert!(!stderr.contains("Location:"), "{stderr}");
    assert!(!stderr.contains("BACKTRACE"), "{stderr}");
}

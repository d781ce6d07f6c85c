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

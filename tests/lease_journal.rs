//! Nothing lost: a lease vaultlab issued survives a `kill -9` of vaultlab in its journal,
//! and `vaultlab cleanup --all` revokes it, deleting the IAM user. Against a separate
//! `vaultlab sandbox` process, with vaultlab in live mode.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{SandboxProcess, Tmux};

fn vault_users(sandbox: &SandboxProcess) -> Vec<String> {
    let output = sandbox
        .command(common::peer_program("aws"))
        .args([
            "iam",
            "list-users",
            "--query",
            "Users[].UserName",
            "--output",
            "text",
        ])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("aws iam list-users");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|name| name.starts_with("vault-"))
        .map(str::to_owned)
        .collect()
}

fn cleanup(sandbox: &SandboxProcess, data: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = sandbox
        .command(env!("CARGO_BIN_EXE_vaultlab"))
        .arg("cleanup")
        .args(args)
        .env("XDG_DATA_HOME", data)
        .output()
        .expect("run vaultlab cleanup");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// vaultlab in live mode against the sandbox process, its journal under `data`, with the
/// first three steps done.
fn live_lab_through_step_3(sandbox: &SandboxProcess, data: &std::path::Path) -> Tmux {
    let data_dir = data.to_str().expect("utf-8");
    let mut env: Vec<(&str, &str)> = sandbox
        .env
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    env.push(("XDG_DATA_HOME", data_dir));
    let tmux = Tmux::start_with_env(&format!("{} --live", env!("CARGO_BIN_EXE_vaultlab")), &env);
    tmux.wait_for("LIVE");
    for step in 1..=3 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux
}

#[test]
fn a_lease_survives_kill_9_and_cleanup_all_revokes_it() {
    let sandbox = SandboxProcess::start(&["--propagation-delay", "0s"]);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_through_step_3(&sandbox, data.path());
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for("access_key");
    assert_eq!(vault_users(&sandbox).len(), 1, "Vault made one IAM user");

    // kill -9: no quit prompt, no chance to revoke.
    let pid = String::from_utf8_lossy(
        &tmux
            .tmux(&["list-panes", "-t", "lab", "-F", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_owned();
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .expect("kill")
            .success()
    );

    // The journal kept the lease id, and nothing secret.
    let journal_text: String = walk_files(data.path())
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("read journal"))
        .collect();
    assert!(
        journal_text.contains("aws/creds/my-role/"),
        "{journal_text}"
    );
    for secret in [
        sandbox.var("VAULT_TOKEN"),
        sandbox.var("AWS_SECRET_ACCESS_KEY"),
    ] {
        assert!(!journal_text.contains(secret), "a secret in the journal");
    }
    assert!(
        !journal_text.contains("secret"),
        "no secret-looking field: {journal_text}"
    );

    let (code, listed) = cleanup(&sandbox, data.path(), &[]);
    assert_eq!(code, 1, "a lease is still alive: {listed}");
    assert!(listed.contains("alive  aws/creds/my-role/"), "{listed}");
    assert!(listed.contains("vaultlab cleanup --all"), "{listed}");

    let (code, dry) = cleanup(&sandbox, data.path(), &["--all", "--dry-run"]);
    assert_eq!(code, 1, "{dry}");
    assert!(dry.contains("would revoke it"), "{dry}");
    assert_eq!(vault_users(&sandbox).len(), 1, "a dry run changes nothing");

    let (code, revoked) = cleanup(&sandbox, data.path(), &["--all"]);
    assert_eq!(code, 0, "{revoked}");
    assert!(revoked.contains("revoked"), "{revoked}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !vault_users(&sandbox).is_empty() {
        assert!(Instant::now() < deadline, "the IAM user is still there");
        std::thread::sleep(Duration::from_millis(200));
    }

    let (code, after) = cleanup(&sandbox, data.path(), &[]);
    assert_eq!(code, 0, "{after}");
    assert!(after.starts_with("0 lease(s)"), "{after}");
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_short_lease_counts_down_to_expired_and_vault_deletes_the_user() {
    let sandbox = SandboxProcess::start(&["--propagation-delay", "0s"]);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_through_step_3(&sandbox, data.path());
    // A lease of a few seconds, written as a learner would with the CLI.
    let bao = sandbox
        .command(common::peer_program("bao"))
        .args(["write", "aws/config/lease", "lease=4s", "lease_max=8s"])
        .output()
        .expect("bao write aws/config/lease");
    assert!(
        bao.status.success(),
        "{}",
        String::from_utf8_lossy(&bao.stderr)
    );

    tmux.keys(&["n", "Enter"]);
    let screen = tmux.wait_for("lease_duration  4s");
    assert!(screen.contains("lease aws/creds/my-role/"), "{screen}");
    assert_eq!(vault_users(&sandbox).len(), 1);

    // The countdown reaches zero on screen, and Vault revokes the lease on its own.
    tmux.wait_for("expired");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !vault_users(&sandbox).is_empty() {
        assert!(
            Instant::now() < deadline,
            "Vault did not delete the expired lease's user"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, report) = cleanup(&sandbox, data.path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("over   aws/creds/my-role/"),
        "the journal learns it is over: {report}"
    );
}

//! Nothing lost: every lease vaultlab issues in live mode is journaled, survives a
//! `kill -9`, is listed and offered for revocation by the next run, and is revoked by
//! `vaultlab cleanup --all`; the leases pane renews and revokes; SIGTERM keeps what is
//! alive; a revocation that fails with Vault down is retried by the next run. vaultlab runs
//! in tmux in live mode against a separate `vaultlab sandbox` process, whose AWS engine
//! talks to the sandbox's own AWS endpoint or to moto.

use vaultlab_testkit as common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{SandboxProcess, Tmux};

/// An AWS account: the endpoint and the root keys the lab gives Vault.
pub(crate) struct AwsAccount {
    endpoint: String,
    access_key_id: String,
    secret_access_key: String,
    /// `--aws-endpoint` for vaultlab: moto must be named; the sandbox's own is the default.
    flag: Option<String>,
}

impl AwsAccount {
    pub(crate) fn of_sandbox(sandbox: &SandboxProcess) -> AwsAccount {
        AwsAccount {
            endpoint: sandbox.var("AWS_ENDPOINT_URL").to_owned(),
            access_key_id: sandbox.var("AWS_ACCESS_KEY_ID").to_owned(),
            secret_access_key: sandbox.var("AWS_SECRET_ACCESS_KEY").to_owned(),
            flag: None,
        }
    }

    fn aws(&self, access_key_id: &str, secret_access_key: &str) -> Command {
        let mut command = Command::new(common::peer_program("aws"));
        command
            .args(["--endpoint-url", &self.endpoint, "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret_access_key)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("HOME", std::env::temp_dir())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL");
        command
    }

    /// The IAM users Vault made (`vault-…`).
    fn vault_users(&self) -> Vec<String> {
        let output = self
            .aws(&self.access_key_id, &self.secret_access_key)
            .args([
                "iam",
                "list-users",
                "--query",
                "Users[].UserName",
                "--output",
                "text",
            ])
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

    fn wait_until_no_vault_users(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.vault_users().is_empty() {
            assert!(
                Instant::now() < deadline,
                "the IAM user is still there: {:?}",
                self.vault_users()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// DescribeInstances with the issued keys: they must fail once the lease is revoked.
    fn assert_keys_refused(&self, keys: &IssuedKeys) {
        let output = self
            .aws(&keys.access_key_id, &keys.secret_access_key)
            .args(["ec2", "describe-instances"])
            .output()
            .expect("aws ec2 describe-instances");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the revoked keys still work");
        assert!(
            stderr.contains("AuthFailure") || stderr.contains("InvalidClientTokenId"),
            "{stderr}"
        );
    }
}

struct IssuedKeys {
    access_key_id: String,
    secret_access_key: String,
}

/// What a learner's shell has for a live run: the sandbox's Vault, the account's keys,
/// and the journal under `data`.
fn live_env(
    sandbox_env: &[(String, String)],
    aws: &AwsAccount,
    data: &Path,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = sandbox_env
        .iter()
        .filter(|(name, _)| name.starts_with("VAULT_") || name.contains("REGION"))
        .cloned()
        .collect();
    if aws.flag.is_none() {
        env.push(("AWS_ENDPOINT_URL".into(), aws.endpoint.clone()));
    }
    env.push(("AWS_ACCESS_KEY_ID".into(), aws.access_key_id.clone()));
    env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        aws.secret_access_key.clone(),
    ));
    env.push(("XDG_DATA_HOME".into(), data.to_str().expect("utf-8").into()));
    env
}

/// vaultlab --live in tmux; after it exits, its status and the terminal's mode show.
pub(crate) fn start_live(sandbox_env: &[(String, String)], aws: &AwsAccount, data: &Path) -> Tmux {
    let env = live_env(sandbox_env, aws, data);
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let flag = aws
        .flag
        .as_ref()
        .map(|url| format!(" --aws-endpoint {url}"))
        .unwrap_or_default();
    let tmux = Tmux::start_with_env(
        &format!(
            // The mode is read before `stty sane`, which makes the lines after a kill -9
            // (raw mode left on) readable.
            "{} --live{flag}; s=$?; m=$(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'); stty sane; echo; echo EXITED $s; echo MODE $m; sleep 60",
            crate::VAULTLAB
        ),
        &env,
    );
    tmux.wait_for("LIVE");
    tmux
}

/// A live run with the first three steps done and credentials generated.
pub(crate) fn live_lab_with_a_lease(
    sandbox: &SandboxProcess,
    aws: &AwsAccount,
    data: &Path,
) -> Tmux {
    let tmux = live_lab_through_step_3(sandbox, aws, data);
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for("access_key");
    tmux
}

fn live_lab_through_step_3(sandbox: &SandboxProcess, aws: &AwsAccount, data: &Path) -> Tmux {
    let tmux = start_live(&sandbox.env, aws, data);
    for step in 1..=3 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux
}

/// The issued keys, read off the generate pane with the secret shown (`v`).
fn issued_keys(tmux: &Tmux) -> IssuedKeys {
    tmux.keys(&["v"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let screen = loop {
        let screen = tmux.screen();
        if screen.contains("secret_key") && !screen.contains("secret_key      •") {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "the secret stays masked:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let field = |name: &str| {
        screen
            .lines()
            .find_map(|line| line.trim_start_matches('│').strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {name} on screen:\n{screen}"))
            .trim_end_matches('│')
            .to_owned()
    };
    let keys = IssuedKeys {
        access_key_id: field("access_key"),
        secret_access_key: field("secret_key"),
    };
    assert!(!keys.secret_access_key.contains('•'), "{screen}");
    tmux.keys(&["v"]);
    keys
}

/// The vaultlab process in the tmux pane: the pane runs a shell, vaultlab is its child.
fn vaultlab_pid(tmux: &Tmux) -> String {
    let shell = String::from_utf8_lossy(
        &tmux
            .tmux(&["list-panes", "-t", "lab", "-F", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_owned();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("read the shell's children");
    children
        .split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("the pane's shell {shell} has no child"))
        .to_owned()
}

fn signal(pid: &str, name: &str) {
    assert!(
        Command::new("kill")
            .args([&format!("-{name}"), pid])
            .status()
            .expect("kill")
            .success(),
        "kill -{name} {pid}"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The journal's one entry, as JSON.
fn journal_entry(data: &Path) -> serde_json::Value {
    let journal = files_under(data)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a journal file");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).expect("read journal"))
            .expect("journal is JSON");
    let entries = value["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{value}");
    entries[0].clone()
}

/// Waits until the journal's one entry is in `state`. The app writes it once Vault has
/// answered, which is a moment after AWS (or the screen) shows the change.
fn wait_for_journal_state(data: &Path, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entry = journal_entry(data);
        if entry["state"] == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the journal still says {entry}, not {state}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every file vaultlab keeps under `data` is free of every secret it ever held.
fn assert_no_secrets(data: &Path, secrets: &[&str]) {
    for path in files_under(data) {
        let text = std::fs::read_to_string(&path).expect("read a journal file");
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "a secret in {}: {text}",
                path.display()
            );
        }
        assert!(!text.contains("secret"), "a secret-looking field: {text}");
    }
}

pub(crate) fn cleanup(
    sandbox_env: &[(String, String)],
    data: &Path,
    args: &[&str],
) -> (i32, String) {
    let output = Command::new(crate::VAULTLAB)
        .arg("cleanup")
        .args(args)
        .envs(
            sandbox_env
                .iter()
                .filter(|(name, _)| name.starts_with("VAULT_"))
                .map(|(n, v)| (n.as_str(), v.as_str())),
        )
        .env("HOME", std::env::temp_dir())
        .env_remove("VAULT_NAMESPACE")
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

/// `aws/creds/my-role/…wxyz`, as the TUI shortens a lease id.
pub(crate) fn short(lease_id: &str) -> String {
    let tail: Vec<char> = lease_id.chars().collect();
    let last4: String = tail[tail.len() - 4..].iter().collect();
    format!("…{last4}")
}

/// kill -9 right after issuing; the next run lists the lease from the journal; cleanup
/// --all revokes it; the user is gone and the keys are refused.
fn kill_9_then_next_run_lists_it_then_cleanup_revokes_it(
    sandbox: &SandboxProcess,
    aws: &AwsAccount,
) {
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_with_a_lease(sandbox, aws, data.path());
    let keys = issued_keys(&tmux);
    assert_eq!(aws.vault_users().len(), 1, "Vault made one IAM user");

    // kill -9: no quit prompt, no chance to revoke.
    signal(&vaultlab_pid(&tmux), "9");
    tmux.wait_for("EXITED 137");
    let entry = journal_entry(data.path());
    assert_eq!(entry["state"], "active", "{entry}");
    let lease_id = entry["lease_id"].as_str().expect("lease id").to_owned();
    assert!(lease_id.starts_with("aws/creds/my-role/"), "{entry}");
    assert!(
        entry["expires_at"].is_string(),
        "the expiry is kept: {entry}"
    );
    assert_no_secrets(
        data.path(),
        &[
            sandbox.var("VAULT_TOKEN"),
            &aws.secret_access_key,
            &keys.secret_access_key,
        ],
    );

    // The next run finds it, looks it up in Vault, and offers to revoke it.
    let next = start_live(&sandbox.env, aws, data.path());
    let screen = next.wait_for("Leases from earlier runs");
    assert!(screen.contains(&short(&lease_id)), "{screen}");
    next.keys(&["l"]);
    let screen = next.wait_for_all(&["earlier run", "31d 23:5"]);
    assert!(screen.contains(&short(&lease_id)), "{screen}");
    // Kept, this time: quitting says where.
    next.keys(&["q"]);
    next.wait_for("A lease is still active");
    next.keys(&["k"]);
    let screen = next.wait_for("MODE ");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(screen.contains("kept in the journal"), "{screen}");

    let (code, listed) = cleanup(&sandbox.env, data.path(), &[]);
    assert_eq!(code, 1, "a lease is still alive: {listed}");
    assert!(listed.contains(&format!("alive  {lease_id}")), "{listed}");
    assert!(listed.contains("vaultlab cleanup --all"), "{listed}");

    let (code, dry) = cleanup(&sandbox.env, data.path(), &["--all", "--dry-run"]);
    assert_eq!(code, 1, "{dry}");
    assert!(dry.contains("would revoke it"), "{dry}");
    assert_eq!(aws.vault_users().len(), 1, "a dry run changes nothing");

    let (code, revoked) = cleanup(&sandbox.env, data.path(), &["--all"]);
    assert_eq!(code, 0, "{revoked}");
    assert!(revoked.contains("revoked"), "{revoked}");
    aws.wait_until_no_vault_users();
    aws.assert_keys_refused(&keys);
    assert_eq!(journal_entry(data.path())["state"], "revoked");

    let (code, after) = cleanup(&sandbox.env, data.path(), &[]);
    assert_eq!(code, 0, "{after}");
    assert!(after.starts_with("0 lease(s)"), "{after}");
}

#[test]
fn a_lease_survives_kill_9_the_next_run_lists_it_and_cleanup_all_revokes_it() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    kill_9_then_next_run_lists_it_then_cleanup_revokes_it(&sandbox, &aws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_against_the_sandbox_engine_backed_by_moto() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let aws = AwsAccount {
        endpoint: moto.url(),
        access_key_id: admin.access_key_id,
        secret_access_key: admin.secret_access_key,
        flag: Some(moto.url()),
    };
    tokio::task::spawn_blocking(move || {
        let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
        kill_9_then_next_run_lists_it_then_cleanup_revokes_it(&sandbox, &aws);
        // The user Vault made lived in moto, not in the sandbox.
        drop(moto);
    })
    .await
    .expect("the test");
}

#[test]
fn the_next_run_revokes_an_earlier_runs_lease_with_one_key() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    signal(&vaultlab_pid(&tmux), "9");
    tmux.wait_for("EXITED 137");

    let next = start_live(&sandbox.env, &aws, data.path());
    let screen = next.wait_for("Leases from earlier runs");
    assert!(screen.contains("r revoke them now"), "{screen}");
    next.keys(&["r"]);
    next.keys(&["l"]);
    next.wait_for_all(&["earlier run", "revoked"]);
    aws.wait_until_no_vault_users();
    wait_for_journal_state(data.path(), "revoked");
    // Nothing left alive: q quits at once.
    next.keys(&["q"]);
    assert!(next.wait_for("MODE ").contains("EXITED 0"));
}

#[test]
fn the_leases_pane_renews_by_an_increment_shows_the_max_ttl_cap_and_revokes() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_through_step_3(&sandbox, &aws, data.path());
    tmux.keys(&["n", "s"]);
    tmux.wait_for("Leases now last 2m");
    tmux.keys(&["Enter"]);
    tmux.wait_for("lease_duration  2m");

    tmux.keys(&["l"]);
    tmux.wait_for("renew for       1h from now");
    tmux.keys(&["-"]);
    tmux.wait_for("renew for       15m from now");
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("capped by the max TTL");
    assert!(screen.contains("of the 15m asked"), "{screen}");
    assert!(
        screen.contains("exceeded the effective max_ttl"),
        "Vault's warning: {screen}"
    );
    let ttl = journal_entry(data.path())["ttl_seconds"]
        .as_u64()
        .expect("ttl_seconds");
    assert!(
        (200..=300).contains(&ttl),
        "the journal has the capped TTL, not the 2m of issue nor the 15m asked: {ttl}"
    );

    tmux.keys(&["x"]);
    tmux.wait_for_all(&["this run", "revoked"]);
    aws.wait_until_no_vault_users();
    wait_for_journal_state(data.path(), "revoked");
}

#[test]
fn sigterm_asks_first_and_a_second_sigterm_keeps_the_lease_in_the_journal() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    let pid = vaultlab_pid(&tmux);

    signal(&pid, "TERM");
    tmux.wait_for("A lease is still active");
    signal(&pid, "TERM");
    let screen = tmux.wait_for("MODE ");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(screen.contains("stopped by SIGTERM"), "{screen}");
    assert!(screen.contains("kept in the journal"), "{screen}");
    assert!(
        screen.contains("MODE icanon echo"),
        "cooked mode again: {screen}"
    );
    assert_eq!(journal_entry(data.path())["state"], "active");
    assert_eq!(aws.vault_users().len(), 1, "kept, not revoked");
}

/// Who tries a failed revocation again once Vault is back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retrier {
    NextRun,
    Cleanup,
}

#[test]
fn a_revocation_with_vault_down_is_journaled_with_its_error_and_the_next_run_retries_it() {
    revocation_with_vault_down_then_retried_by(Retrier::NextRun);
}

#[test]
fn a_revocation_with_vault_down_is_retried_by_cleanup_without_all() {
    revocation_with_vault_down_then_retried_by(Retrier::Cleanup);
}

fn revocation_with_vault_down_then_retried_by(retrier: Retrier) {
    let state_dir = tempfile::tempdir().expect("tempdir");
    let state = state_dir.path().join("sandbox.json");
    let first = [
        "--propagation-delay",
        "0s",
        "--state",
        state.to_str().expect("utf-8"),
    ];
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &first);
    // It comes back where it was, as a restarted Vault does.
    let listen = sandbox
        .var("VAULT_ADDR")
        .trim_start_matches("http://")
        .to_owned();
    let args = [&first[..], &["--listen", listen.as_str()]].concat();
    let env = sandbox.env.clone();
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());

    // Vault goes away; the revocation at quit fails and the app stays open to say so.
    assert!(sandbox.terminate().success());
    tmux.keys(&["q"]);
    tmux.wait_for("A lease is still active");
    tmux.keys(&["r"]);
    tmux.wait_for("revoke failed");
    tmux.keys(&["l"]);
    let screen = tmux.wait_for_all(&["revoke failed", "Vault: "]);
    assert!(screen.contains("this run"), "{screen}");
    let entry = journal_entry(data.path());
    assert_eq!(entry["state"], "revoke_failed", "{entry}");
    assert!(
        !entry["error"].as_str().unwrap_or_default().is_empty(),
        "the error is kept: {entry}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("A lease is still active");
    tmux.keys(&["k"]);
    assert!(tmux.wait_for("MODE ").contains("EXITED 0"));

    // Vault is back, with the same lease; the next run tries again on its own.
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &args);
    assert_eq!(sandbox.env, env, "the same sandbox, restored");
    assert_eq!(aws.vault_users().len(), 1);
    if retrier == Retrier::NextRun {
        let next = start_live(&sandbox.env, &aws, data.path());
        next.keys(&["l"]);
        next.wait_for_all(&["earlier run", "revoked"]);
    } else {
        let (code, report) = cleanup(&sandbox.env, data.path(), &[]);
        assert_eq!(code, 0, "{report}");
        assert!(
            report.contains("its revocation failed last time"),
            "{report}"
        );
        assert!(report.contains("revoked"), "{report}");
    }
    aws.wait_until_no_vault_users();
    wait_for_journal_state(data.path(), "revoked");
}

#[test]
fn a_short_lease_counts_down_to_expired_vault_deletes_the_user_and_the_journal_closes_it() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = live_lab_through_step_3(&sandbox, &aws, data.path());
    // A lease of a few seconds, written as a learner would with the CLI (long enough that
    // its user is still there once the screen shows it on a loaded machine).
    let bao = sandbox
        .command(common::peer_program("bao"))
        .args(["write", "aws/config/lease", "lease=10s", "lease_max=20s"])
        .output()
        .expect("bao write aws/config/lease");
    assert!(
        bao.status.success(),
        "{}",
        String::from_utf8_lossy(&bao.stderr)
    );

    tmux.keys(&["n", "Enter"]);
    let screen = tmux.wait_for("lease_duration  10s");
    assert!(screen.contains("lease aws/creds/my-role/"), "{screen}");
    assert_eq!(aws.vault_users().len(), 1);

    // The countdown reaches zero on screen, and Vault revokes the lease on its own.
    tmux.wait_for("expired");
    aws.wait_until_no_vault_users();
    // vaultlab asks Vault, learns the lease is gone, and closes it in the journal; the
    // pane says what happened to it: it expired (nobody revoked it).
    tmux.keys(&["l"]);
    wait_for_journal_state(data.path(), "gone");
    let screen = tmux.wait_for_all(&["this run", "expired"]);
    assert!(!screen.contains("revoked elsewhere"), "{screen}");
    let (code, report) = cleanup(&sandbox.env, data.path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(report.starts_with("0 lease(s)"), "{report}");
}

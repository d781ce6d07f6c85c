//! The screen shows what Vault holds now, not what vaultlab last did: the lab is done
//! partly with the real `bao` CLI in a second shell (as a learner with two terminals does),
//! and the TUI, left alone on whatever pane it shows, follows. In sandbox mode `bao` talks
//! to the TUI's embedded sandbox with the overview's export lines; in live mode both talk
//! to a separate `vaultlab sandbox`.

use vaultlab_testkit as common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{SandboxProcess, Tmux};
use serde_json::json;

use crate::e2e_live::{arm, wait_for_text};
use crate::lease_journal::{AwsAccount, cleanup, live_lab_with_a_lease, short, start_live};

/// The DescribeInstances-only policy, as a learner would type it on the command line.
const DESCRIBE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"]}]}"#;

/// A second shell's `bao`, with `VAULT_ADDR` and `VAULT_TOKEN` as the learner exported them.
struct SecondShell {
    addr: String,
    token: String,
    home: tempfile::TempDir,
}

impl SecondShell {
    fn new(addr: &str, token: &str) -> SecondShell {
        SecondShell {
            addr: addr.to_owned(),
            token: token.to_owned(),
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn of_sandbox(sandbox: &SandboxProcess) -> SecondShell {
        Self::new(sandbox.var("VAULT_ADDR"), sandbox.var("VAULT_TOKEN"))
    }

    /// Runs `bao ARGS`; returns its stdout, or panics with what it said.
    fn bao(&self, args: &[&str]) -> String {
        common::run_ok(
            Command::new(common::peer_program("bao"))
                .args(args)
                .env("VAULT_ADDR", &self.addr)
                .env("VAULT_TOKEN", &self.token)
                .env("HOME", self.home.path())
                .env_remove("BAO_ADDR")
                .env_remove("BAO_TOKEN")
                .env_remove("VAULT_NAMESPACE"),
        )
        .trim()
        .to_owned()
    }

    /// `bao read aws/creds/my-role`: a new lease, issued outside vaultlab; its id.
    fn issue(&self) -> String {
        self.bao(&["read", "-field=lease_id", "aws/creds/my-role"])
    }

    /// The ids of the leases Vault holds under the lab's role.
    fn lease_ids(&self) -> Vec<String> {
        let listed = self.bao(&[
            "list",
            "-format=json",
            "sys/leases/lookup/aws/creds/my-role/",
        ]);
        let keys: Vec<String> = serde_json::from_str(&listed).expect("a JSON list");
        keys.into_iter()
            .map(|key| format!("aws/creds/my-role/{key}"))
            .collect()
    }
}

/// The overview's line for a step: `  3. Describe what the keys may do   ● done`.
fn overview_line<'a>(screen: &'a str, title: &str) -> &'a str {
    screen
        .lines()
        .find(|line| line.contains(title))
        .unwrap_or_else(|| panic!("no line for {title:?} on the overview:\n{screen}"))
}

/// Waits until the overview shows each of `titles` done, without a key pressed.
fn overview_shows_done(tmux: &Tmux, titles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let screen = tmux.screen();
        if titles
            .iter()
            .all(|title| overview_line(&screen, title).contains("● done"))
        {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "the overview never showed {titles:?} done:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The status bar, above the frame's bottom border: the lease it shows, and its state.
fn status_bar(tmux: &Tmux) -> String {
    tmux.screen()
        .lines()
        .rev()
        .find(|line| line.starts_with('│'))
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the status bar says all of `texts`.
fn status_bar_says(tmux: &Tmux, texts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = status_bar(tmux);
        if texts.iter().all(|text| line.contains(text)) {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "the status bar never said {texts:?}: {line}\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sandbox's address and token, read off the overview (`v` shows the token).
fn overview_exports(tmux: &Tmux) -> (String, String) {
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("VAULT_TOKEN=hvs.");
    // `export VAULT_ADDR=… VAULT_TOKEN=…`: a word `NAME=value` on an export line.
    let value = |name: &str| {
        screen
            .lines()
            .filter(|line| line.contains(" export "))
            .flat_map(str::split_whitespace)
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} on the overview:\n{screen}"))
            .trim_end_matches('│')
            .to_owned()
    };
    let exports = (value("VAULT_ADDR"), value("VAULT_TOKEN"));
    tmux.keys(&["v"]);
    exports
}

#[test]
fn steps_done_with_the_cli_show_done_on_the_overview_and_their_lease_as_issued_elsewhere() {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!(
        "{binary} --propagation-delay 0s; echo EXITED $?; sleep 30"
    ));
    tmux.wait_for_all(&["SANDBOX", "Overview", "checks pass"]);
    let (addr, token) = overview_exports(&tmux);
    let shell = SecondShell::new(&addr, &token);

    // The overview stays open: the step shows done without a pane being opened, and `d`
    // (the checks again) reads the steps again too.
    shell.bao(&["secrets", "enable", "-path=aws", "aws"]);
    tmux.keys(&["d"]);
    let screen = overview_shows_done(&tmux, &["Enable the AWS secrets engine"]);
    assert!(
        overview_line(&screen, "Give Vault its AWS keys").contains("○ pending"),
        "{screen}"
    );

    // The root keys are the sandbox's own, prefilled in step 2: written from the TUI.
    tmux.keys(&["n", "n", "Enter"]);
    tmux.wait_for_all(&["Step 2 of 6", "● done"]);
    tmux.keys(&["p", "p"]);
    tmux.wait_for("checks pass");

    shell.bao(&[
        "write",
        "aws/roles/my-role",
        "credential_type=iam_user",
        &format!("policy_document={DESCRIBE_ONLY}"),
    ]);
    let lease_id = shell.issue();
    overview_shows_done(
        &tmux,
        &[
            "Give Vault its AWS keys",
            "Describe what the keys may do",
            "Generate dynamic credentials",
        ],
    );

    // Its lease, with its countdown from 32 days.
    tmux.keys(&["l"]);
    let screen = tmux.wait_for_all(&["issued elsewhere", "31d 23:"]);
    assert!(screen.contains(&short(&lease_id)), "{screen}");

    // Revoked in the second shell: the pane says so within a few seconds.
    shell.bao(&["lease", "revoke", "-sync", &lease_id]);
    let screen = tmux.wait_for("revoked elsewhere");
    assert!(!screen.contains("31d 23:"), "{screen}");

    // Nothing is left alive: q quits at once, with nothing to ask.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn a_role_written_with_the_cli_is_in_the_editor_on_request_and_edits_are_not_lost() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    shell.bao(&["secrets", "enable", "-path=aws", "aws"]);
    shell.bao(&[
        "write",
        "aws/roles/my-role",
        "credential_type=iam_user",
        &format!("policy_document={DESCRIBE_ONLY}"),
    ]);
    let tmux = start_live(&sandbox.env, &aws, data.path());
    tmux.keys(&["n", "n", "n"]);
    let screen = wait_for_text(
        &tmux,
        &["Step 3 of 6", "● done", "Vault holds a different policy"],
    );
    assert!(
        screen.contains("Stmt1426528957000"),
        "the lab's template: {screen}"
    );

    // An edit of the learner's is not replaced without asking.
    tmux.keys(&["e", "End", " "]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("e to edit");
    tmux.keys(&["g"]);
    tmux.wait_for("g again replaces your edits");
    tmux.keys(&["g"]);
    let screen = wait_for_text(&tmux, &["Policy: loaded from Vault (aws/roles/my-role)"]);
    assert!(screen.contains("\"ec2:DescribeInstances\""), "{screen}");
    assert!(!screen.contains("Stmt1426528957000"), "{screen}");
    assert!(
        !screen.contains("Vault holds a different policy"),
        "the editor now holds what Vault holds: {screen}"
    );
    // Laid out for editing, a member per line, not Vault's one compact line.
    let tmux_screen = tmux.screen();
    assert!(
        tmux_screen
            .lines()
            .any(|line| line.contains("2   \"Version\": \"2012-10-17\",")),
        "{tmux_screen}"
    );

    // Written again from the TUI, the role in Vault is the one shown.
    tmux.keys(&["Enter"]);
    wait_for_text(&tmux, &["Step 3 of 6", "● done", "sent"]);
    let policy = shell.bao(&["read", "-field=policy_document", "aws/roles/my-role"]);
    assert!(policy.contains("ec2:DescribeInstances"), "{policy}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn a_lease_revoked_elsewhere_is_over_everywhere_and_quit_and_cleanup_agree() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    let [lease_id] = shell.lease_ids().try_into().expect("one lease");

    // q asks while the lease is alive.
    tmux.keys(&["q"]);
    tmux.wait_for_all(&["Quit?", "A lease is still active"]);

    // `bao lease revoke` queues the revocation, as `vault lease revoke` does.
    shell.bao(&["lease", "revoke", &lease_id]);
    let screen = wait_for_text(&tmux, &["Nothing is left to revoke"]);
    assert!(!screen.contains("Quit?"), "the prompt has gone: {screen}");
    status_bar_says(&tmux, &[&short(&lease_id), "revoked elsewhere"]);
    assert!(!status_bar(&tmux).contains("+1 more"));
    tmux.keys(&["l"]);
    tmux.wait_for_all(&["this run", "revoked elsewhere"]);

    // cleanup, run while the TUI still runs, reads the same journal: the lease is closed.
    let (code, said) = cleanup(&sandbox.env, data.path(), &[]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("0 lease(s) vaultlab issued"), "{said}");
    assert!(!said.contains("still running"), "{said}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(
        !screen.contains("may still be alive"),
        "no lease is said to be left: {screen}"
    );
}

#[test]
fn r_on_a_lease_vault_no_longer_has_says_so_and_the_lease_is_over() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    let [lease_id] = shell.lease_ids().try_into().expect("one lease");
    // Vault's lease lookups fail for a while, so the renewal is the first to learn it.
    arm(
        &sandbox,
        json!({"vault_path": "sys/leases/lookup", "status": 500, "count": 100_000}),
    );
    shell.bao(&["lease", "revoke", "-sync", &lease_id]);
    status_bar_says(&tmux, &[&short(&lease_id), "31d 23:"]);

    tmux.keys(&["r"]);
    wait_for_text(&tmux, &["Vault no longer has"]);
    status_bar_says(&tmux, &[&short(&lease_id), "revoked elsewhere"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn a_lease_shortened_elsewhere_counts_down_from_vaults_time_and_reads_expired() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    let [lease_id] = shell.lease_ids().try_into().expect("one lease");
    status_bar_says(&tmux, &[&short(&lease_id), "31d 23:"]);

    // Renewed in the second shell for a few seconds: Vault counts them from now.
    shell.bao(&["lease", "renew", "-increment=6s", &lease_id]);
    let countdown = format!("{} 0:0", short(&lease_id));
    let line = status_bar_says(&tmux, &[&countdown]);
    assert!(!line.contains("31d"), "{line}");
    // Its time up, Vault ends it: it reads expired, not revoked.
    let line = status_bar_says(&tmux, &[&short(&lease_id), "expired"]);
    assert!(!line.contains("revoked"), "{line}");
    tmux.keys(&["l"]);
    tmux.wait_for_all(&["this run", "expired"]);
    // Nothing is left alive: q quits at once.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn the_status_bar_shows_the_lease_still_alive_before_a_newer_one_that_ended() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    let tmux = live_lab_with_a_lease(&sandbox, &aws, data.path());
    let [older] = shell.lease_ids().try_into().expect("one lease");
    // Generate again: the newer lease is the current one.
    tmux.keys(&["Enter"]);
    let newer = {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ids = shell.lease_ids();
            if let Some(id) = ids.iter().find(|id| **id != older) {
                break id.clone();
            }
            assert!(Instant::now() < deadline, "no second lease: {ids:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    status_bar_says(&tmux, &[&short(&newer), "+1 more"]);

    shell.bao(&["lease", "revoke", "-sync", &newer]);
    let line = status_bar_says(&tmux, &[&short(&older), "31d 23:"]);
    assert!(!line.contains("+1 more"), "{line}");
    tmux.keys(&["q"]);
    tmux.wait_for_all(&["Quit?", "A lease is still active", &short(&older)]);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn earlier_leases_revoked_elsewhere_leave_the_start_up_prompt() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let aws = AwsAccount::of_sandbox(&sandbox);
    let data = tempfile::tempdir().expect("tempdir");
    let shell = SecondShell::of_sandbox(&sandbox);
    let first = live_lab_with_a_lease(&sandbox, &aws, data.path());
    // Kept on the way out: the next run finds it in the journal.
    first.keys(&["q"]);
    first.wait_for("Quit?");
    first.keys(&["k"]);
    first.wait_for("EXITED 0");
    let [lease_id] = shell.lease_ids().try_into().expect("one lease");

    let next = start_live(&sandbox.env, &aws, data.path());
    next.wait_for_all(&["Leases from earlier runs", &short(&lease_id)]);
    shell.bao(&["lease", "revoke", "-sync", &lease_id]);
    status_bar_says(&next, &[&short(&lease_id), "revoked elsewhere"]);
    let screen = next.screen();
    assert!(
        !screen.contains("r revoke them now"),
        "the prompt has gone: {screen}"
    );
    let (code, said) = cleanup(&sandbox.env, data.path(), &[]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("0 lease(s) vaultlab issued"), "{said}");
    next.keys(&["q"]);
    next.wait_for("EXITED 0");
}

/// Copies the built-in AWS lab to a folder of labs, its mount and role renamed.
fn lab_renamed(labs: &Path, mount: &str, role: &str) {
    let from = common::workspace_root().join("labs/dynamic-secrets-aws");
    let to = labs.join("dynamic-secrets-aws");
    std::fs::create_dir_all(to.join("policies")).expect("lab folder");
    for entry in std::fs::read_dir(from.join("policies")).expect("policies") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, to.join("policies").join(path.file_name().unwrap())).expect("copy");
    }
    let toml = std::fs::read_to_string(from.join("lab.toml")).expect("lab.toml");
    let renamed = toml
        .replace("mount = \"aws\"", &format!("mount = \"{mount}\""))
        .replace("role = \"my-role\"", &format!("role = \"{role}\""));
    assert_ne!(toml, renamed, "the lab's [vars] changed");
    std::fs::write(to.join("lab.toml"), renamed).expect("write lab.toml");
}

#[test]
fn a_lab_at_its_own_mount_and_role_is_followed_there() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let shell = SecondShell::of_sandbox(&sandbox);
    let labs = tempfile::tempdir().expect("tempdir");
    lab_renamed(labs.path(), "cloud", "auditor");
    let data = tempfile::tempdir().expect("tempdir");
    let mut env: Vec<(&str, &str)> = sandbox
        .env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    env.push(("XDG_DATA_HOME", data.path().to_str().expect("utf-8")));
    let tmux = Tmux::start_with_env(
        &format!(
            "{} --live --labs {}; echo EXITED $?; sleep 30",
            crate::VAULTLAB,
            labs.path().display()
        ),
        &env,
    );
    tmux.wait_for_all(&["LIVE", "checks pass"]);

    shell.bao(&["secrets", "enable", "-path=cloud", "aws"]);
    shell.bao(&[
        "write",
        "cloud/config/root",
        &format!("access_key={}", sandbox.var("AWS_ACCESS_KEY_ID")),
        &format!("secret_key={}", sandbox.var("AWS_SECRET_ACCESS_KEY")),
        "region=us-east-1",
    ]);
    shell.bao(&[
        "write",
        "cloud/roles/auditor",
        "credential_type=iam_user",
        &format!("policy_document={DESCRIBE_ONLY}"),
    ]);
    let lease_id = shell.bao(&["read", "-field=lease_id", "cloud/creds/auditor"]);
    assert!(lease_id.starts_with("cloud/creds/auditor/"), "{lease_id}");
    overview_shows_done(
        &tmux,
        &[
            "Enable the AWS secrets engine",
            "Give Vault its AWS keys",
            "Describe what the keys may do",
            "Generate dynamic credentials",
        ],
    );
    tmux.keys(&["l"]);
    let screen = tmux.wait_for_all(&["issued elsewhere", "auditor", "31d 23:"]);
    assert!(screen.contains("cloud/creds/auditor/…"), "{screen}");
    shell.bao(&["lease", "revoke", "-sync", &lease_id]);
    tmux.wait_for("revoked elsewhere");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

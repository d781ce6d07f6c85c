//! End to end in live mode: the built binary in tmux, talking to a separate
//! `vaultlab sandbox` process as it would to a real Vault and AWS. Faults are real ones
//! (a server stopped mid-lab, wrong keys) or armed through the sandbox's fault injection.

use vaultlab_testkit as common;

use std::time::{Duration, Instant};

use common::{SandboxProcess, Tmux, countdown};
use serde_json::{Value, json};

/// The screen's text as one line: borders gone, wrapped lines joined, so a sentence can be
/// found wherever the terminal's width broke it.
pub(crate) fn flat(screen: &str) -> String {
    screen
        .replace(['│', '┌', '┐', '└', '┘'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Waits until the screen shows every one of `texts`, however they wrap; returns it flat.
pub(crate) fn wait_for_text(tmux: &Tmux, texts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let screen = flat(&tmux.screen());
        if texts.iter().all(|text| screen.contains(text)) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {texts:?}; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the countdown shown differs from `before`.
fn countdown_moves_on(tmux: &Tmux, before: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while countdown(&tmux.screen()) == before {
        assert!(
            Instant::now() < deadline,
            "the countdown is stuck at {before}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The TUI in live mode, with the environment the sandbox printed (as a learner who
/// pasted its export lines has), plus `overrides`.
fn live_tui(sandbox: &SandboxProcess, overrides: &[(&str, &str)]) -> Tmux {
    let binary = crate::VAULTLAB;
    let mut env: Vec<(&str, &str)> = sandbox
        .env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .filter(|(name, _)| !overrides.iter().any(|(n, _)| n == name))
        .collect();
    env.extend_from_slice(overrides);
    let tmux = Tmux::start_with_env(&format!("{binary}; echo EXITED $?; sleep 30"), &env);
    let screen = tmux.wait_for("LIVE");
    assert!(screen.contains(sandbox.var("VAULT_ADDR")), "{screen}");
    tmux
}

/// Runs step `step` (the pane is already on the one before it) and waits for it to be done.
fn next_step_done(tmux: &Tmux, step: u32) -> String {
    tmux.keys(&["n"]);
    tmux.wait_for(&format!("Step {step} of 6"));
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"])
}

/// Arms a fault in the sandbox with its root token.
pub(crate) fn arm(sandbox: &SandboxProcess, fault: Value) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/vaultlab/faults", sandbox.var("VAULT_ADDR")))
            .header("X-Vault-Token", sandbox.var("VAULT_TOKEN"))
            .json(&fault)
            .send()
            .await
            .expect("POST /vaultlab/faults")
            .status()
    });
    assert_eq!(status, 200, "arming {fault}");
}

#[test]
fn a_vault_stopped_mid_lab_is_reported_and_the_lab_goes_on_once_it_is_back() {
    let state_dir = tempfile::tempdir().expect("tempdir");
    let state = state_dir.path().join("sandbox.json");
    let first = [
        "--state",
        state.to_str().unwrap(),
        "--propagation-delay",
        "0s",
    ];
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &first);
    let addr = sandbox.var("VAULT_ADDR").to_owned();
    // It comes back where it was, as a restarted Vault does.
    let listen = addr.trim_start_matches("http://").to_owned();
    let args = [&first[..], &["--listen", listen.as_str()]].concat();
    let token = sandbox.var("VAULT_TOKEN").to_owned();
    let tmux = live_tui(&sandbox, &[]);

    next_step_done(&tmux, 1);
    let screen = next_step_done(&tmux, 2);
    assert!(screen.contains("STS says"), "{screen}");
    next_step_done(&tmux, 3);
    tmux.keys(&["n"]);
    tmux.wait_for("Step 4 of 6");
    tmux.keys(&["Enter"]);
    tmux.wait_for("access_key");

    // The server stops (its state is saved on the way out).
    let status = sandbox.terminate();
    assert!(status.success(), "sandbox exit: {status}");

    // Step 5 goes to AWS, served by the same stopped process.
    tmux.keys(&["n"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "No answer from AWS to DescribeInstances (Unreachable)",
            "Connection refused",
            "Enter tries again.",
        ],
    );

    // Step 6 goes to Vault.
    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&format!("cannot reach Vault at {addr}"));
    assert!(
        screen.contains("Vault did not revoke the lease"),
        "{screen}"
    );
    assert!(screen.contains("Nothing is listening there"), "{screen}");

    // The app is still up: the countdown goes on, and the panes still move.
    countdown_moves_on(&tmux, &countdown(&screen));
    tmux.keys(&["p"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");

    // The server comes back on the same port with the same state.
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &args);
    assert_eq!(sandbox.var("VAULT_ADDR"), addr);
    assert_eq!(
        sandbox.var("VAULT_TOKEN"),
        token,
        "the state file kept the token"
    );

    tmux.keys(&["p"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    tmux.wait_for("AWS accepted the keys");
    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&[
        "The IAM user Vault made is gone",
        "Step 6 of 6 · Revoke the lease  ● done",
    ]);

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn vault_rate_limiting_and_aws_throttling_are_shown_and_the_lab_goes_on() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let tmux = live_tui(&sandbox, &[]);
    for step in 1..=3 {
        next_step_done(&tmux, step);
    }

    // Vault's rate-limit quota refuses the read of aws/creds/my-role once.
    arm(&sandbox, json!({"vault_path": "aws/creds/", "status": 429}));
    tmux.keys(&["n"]);
    tmux.wait_for("Step 4 of 6");
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "Vault did not issue credentials",
            "Vault rate-limited GET aws/creds/my-role (429): request path \"aws/creds/my-role\": rate limit quota exceeded",
            "→ A rate-limit or lease-count quota was hit: wait a moment and retry",
        ],
    );
    // Enter tries again, and the quota has let up.
    tmux.keys(&["Enter"]);
    tmux.wait_for("access_key");

    // EC2 throttles DescribeInstances for a while: the pane says so while it backs off.
    arm(
        &sandbox,
        json!({"aws_action": "DescribeInstances", "code": "RequestLimitExceeded", "count": 12}),
    );
    tmux.keys(&["n"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &["Waiting: AWS is throttling these calls (RequestLimitExceeded: Request limit exceeded.)"],
    );
    tmux.wait_for("AWS accepted the keys");

    next_step_done(&tmux, 6);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

#[test]
fn wrong_root_keys_are_refused_by_aws_in_its_words_and_the_app_stays_up() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let tmux = live_tui(&sandbox, &[("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")]);
    next_step_done(&tmux, 1);
    tmux.keys(&["n"]);
    tmux.wait_for("Step 2 of 6");
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "STS did not accept the root keys",
            "InvalidClientTokenId: The security token included in the request is invalid.",
            "→ AWS does not know these keys",
        ],
    );
    tmux.keys(&["p"]);
    tmux.wait_for("Step 1 of 6");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

/// Runs the `bao` CLI against `bao` as root; returns its trimmed stdout.
fn bao_ok(bao: &common::Bao, args: &[&str]) -> String {
    common::run_ok(&mut bao.cli(args)).trim().to_owned()
}

#[test]
fn against_openbao_a_refusal_names_the_capability_and_a_new_login_is_picked_up() {
    let bao = common::Bao::dev();
    let policy = bao.home.path().join("lab-limited.hcl");
    std::fs::write(
        &policy,
        "path \"sys/mounts\" { capabilities = [\"read\"] }\npath \"sys/mounts/aws\" { capabilities = [\"read\"] }\n",
    )
    .unwrap();
    bao_ok(
        &bao,
        &["policy", "write", "lab-limited", policy.to_str().unwrap()],
    );
    let limited = bao_ok(
        &bao,
        &["token", "create", "-policy=lab-limited", "-field=token"],
    );
    // The learner's own HOME, with the token `vault login` would have left there.
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join(".vault-token");
    std::fs::write(&token_file, format!("{limited}\n")).unwrap();
    let url = bao.url();
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start_with_env(
        &format!("{binary}; echo EXITED $?; sleep 30"),
        &[
            ("VAULT_ADDR", url.as_str()),
            ("HOME", home.path().to_str().unwrap()),
        ],
    );
    tmux.wait_for("LIVE");
    tmux.keys(&["n"]);
    tmux.wait_for("Step 1 of 6");
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "Vault did not enable the AWS engine",
            "permission denied on POST sys/mounts/aws: needs update; this token has: read",
            "→ Ask your Vault admin for a policy granting that capability",
        ],
    );

    // A token that expires while the learner reads.
    let short = bao_ok(
        &bao,
        &[
            "token",
            "create",
            "-policy=lab-limited",
            "-ttl=2s",
            "-explicit-max-ttl=2s",
            "-field=token",
        ],
    );
    std::fs::write(&token_file, format!("{short}\n")).unwrap();
    // Until OpenBao itself refuses it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while bao
        .cli(&["token", "lookup", &short])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the 2 s token never expired"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "Vault refused the token itself: it has expired or was revoked",
            "→ Log in again: `vault login` in any terminal",
        ],
    );

    // `vault login` as root in another terminal: the running TUI uses it on the next try,
    // and gets OpenBao's own answer (it has no AWS engine).
    std::fs::write(&token_file, format!("{}\n", bao.token)).unwrap();
    tmux.keys(&["Enter"]);
    wait_for_text(
        &tmux,
        &[
            "the aws secrets engine is not available on this server",
            "plugin not found in the catalog: aws",
        ],
    );
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
}

//! `vaultlab walk`: the six steps headless through the same code as the TUI.

use std::process::Command;

use vaultlab_testkit as common;

#[test]
fn walk_completes_the_lab_on_the_sandbox_and_masks_secrets() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(["walk", "--sandbox", "--propagation-delay", "300ms"])
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab walk");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "walk failed ({}):\n{transcript}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for step in 1..=6 {
        assert!(transcript.contains(&format!("[{step}/6]")), "{transcript}");
    }
    assert_eq!(transcript.matches("✓ done").count(), 6, "{transcript}");
    assert!(
        transcript.contains("$ vault secrets enable -path=aws aws"),
        "{transcript}"
    );
    assert!(transcript.contains("\"Reservations\": []"), "{transcript}");
    assert!(
        transcript.contains("old keys refused: AuthFailure · IAM user gone: yes"),
        "{transcript}"
    );
    assert!(transcript.contains("All six steps done."), "{transcript}");
    assert!(
        !transcript.contains("hvs."),
        "no Vault token in the transcript:\n{transcript}"
    );
    let secret_lines: Vec<&str> = transcript
        .lines()
        .filter(|l| l.contains("\"secret_key\""))
        .collect();
    assert!(
        !secret_lines.is_empty(),
        "the creds response is shown: {transcript}"
    );
    for line in secret_lines {
        assert!(line.contains("redacted"), "an unmasked secret: {line}");
    }
}

#[test]
fn walk_fails_at_the_first_failing_step_with_a_reason() {
    // A lab folder whose policy template denies everything: the test step must fail.
    let labs = tempfile::tempdir().expect("tempdir");
    let lab = labs.path().join("dynamic-secrets-aws");
    std::fs::create_dir_all(lab.join("policies")).expect("mkdir");
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/labs/dynamic-secrets-aws");
    let toml = std::fs::read_to_string(format!("{source}/lab.toml")).expect("lab.toml");
    std::fs::write(
        lab.join("lab.toml"),
        toml.replace("policies/lab-ec2-all.json", "policies/deny-all.json"),
    )
    .expect("write");
    for file in ["deny-all.json", "describe-instances-only.json"] {
        std::fs::copy(
            format!("{source}/policies/{file}"),
            lab.join("policies").join(file),
        )
        .expect("copy");
    }
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(["walk", "--sandbox", "--propagation-delay", "0s", "--labs"])
        .arg(labs.path())
        .env("HOME", home.path())
        .output()
        .expect("run vaultlab walk");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(transcript.contains("[5/6]"), "{transcript}");
    assert!(
        !transcript.contains("[6/6]"),
        "stops at the first failure: {transcript}"
    );
    assert!(transcript.contains("UnauthorizedOperation"), "{transcript}");
    assert!(
        transcript.contains("Revoking the lease this walk issued: aws/creds/my-role/"),
        "no IAM user left behind: {transcript}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("step 5 failed"));
}

/// Every lab shipped in labs/ walks to the end, headless, against the peers its engine
/// needs. A lab with an engine this table does not know fails here: add its peers.
#[test]
fn every_lab_walks_to_the_end() {
    let labs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    let mut walked = Vec::new();
    for entry in std::fs::read_dir(&labs).expect("labs/") {
        let dir = entry.expect("entry").path();
        let Ok(toml) = std::fs::read_to_string(dir.join("lab.toml")) else {
            continue;
        };
        let id = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let engine = toml
            .lines()
            .find_map(|l| l.strip_prefix("engine = "))
            .map(|e| e.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("{id}: no engine"));
        let steps = toml.matches("[[steps]]").count();
        match engine.as_str() {
            // The embedded sandbox serves Vault's AWS engine and AWS.
            "aws" => {
                let output = walk(
                    &["--sandbox", "--propagation-delay", "0s", "--lab", &id],
                    &[],
                );
                assert_walked(&id, "sandbox", &output, steps);
            }
            // Real OpenBao and PostgreSQL: named (VAULT_ADDR, PG*), then started by
            // vaultlab itself.
            "database" => {
                let bao = common::Bao::dev();
                let pg = common::Postgres::with_password("walk-superuser-password");
                let mut env = vec![
                    ("VAULT_ADDR", bao.url()),
                    ("VAULT_TOKEN", bao.token.clone()),
                ];
                env.extend(pg.env());
                let output = walk(&["--lab", &id], &env);
                assert_walked(&id, "a named Vault and PostgreSQL", &output, steps);
                let transcript = String::from_utf8_lossy(&output.stdout);
                assert!(transcript.contains("· Live mode ·"), "{transcript}");

                let tmp = tempfile::tempdir().expect("tempdir");
                let env = vec![
                    ("PATH", path_with_bao()),
                    ("TMPDIR", tmp.path().display().to_string()),
                ];
                let output = walk(&["--lab", &id], &env);
                assert_walked(&id, "servers vaultlab started", &output, steps);
                let transcript = String::from_utf8_lossy(&output.stdout);
                assert!(
                    transcript.contains("started: OpenBao ")
                        && transcript.contains(", PostgreSQL "),
                    "{transcript}"
                );
                assert_eq!(
                    std::fs::read_dir(tmp.path()).unwrap().count(),
                    0,
                    "{id}: the servers' directory is removed"
                );
            }
            other => panic!("{id}: no peers known for the {other} engine; add them here"),
        }
        walked.push(id);
    }
    walked.sort();
    assert_eq!(walked, ["dynamic-db-postgres", "dynamic-secrets-aws"]);
}

/// PATH with OpenBao's `bao` on it (the test peers' .venv), as a learner who installed it.
pub fn path_with_bao() -> String {
    let bao = common::peer_program("bao");
    format!(
        "{}:{}",
        bao.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `vaultlab walk ARGS` with a fresh HOME, no Vault but what `env` names.
fn walk(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let home = tempfile::tempdir().expect("tempdir");
    Command::new(crate::VAULTLAB)
        .arg("walk")
        .args(args)
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .env_remove("VAULT_TOKEN")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run vaultlab walk")
}

fn assert_walked(id: &str, on: &str, output: &std::process::Output, steps: usize) {
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{id} on {on}: walk failed:\n{transcript}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        transcript.contains(&format!("[{steps}/{steps}]")),
        "{id} on {on}: every step: {transcript}"
    );
    assert_eq!(
        transcript.matches("✓ done").count(),
        steps,
        "{id} on {on}: {transcript}"
    );
}

#[test]
fn walk_inside_puts_the_engines_aws_calls_under_the_step_that_made_them() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .args(["walk", "--sandbox", "--inside", "--propagation-delay", "0s"])
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab walk --inside");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{transcript}");
    let section = |from: &str, to: &str| -> String {
        let start = transcript
            .find(from)
            .unwrap_or_else(|| panic!("no {from}: {transcript}"));
        let end = transcript[start..]
            .find(to)
            .map_or(transcript.len(), |e| start + e);
        transcript[start..end].to_owned()
    };
    let in_order = |text: &str, wanted: &[&str]| {
        let mut at = 0;
        for w in wanted {
            let found = text[at..]
                .find(w)
                .unwrap_or_else(|| panic!("no {w} after byte {at}:\n{text}"));
            at += found + w.len();
        }
    };
    let issue = section("[4/6]", "[5/6]");
    in_order(
        &issue,
        &[
            "inside Vault",
            "$ vault read aws/creds/my-role",
            "iam:CreateUser vault-root-my-role-",
            "iam:PutUserPolicy",
            "iam:CreateAccessKey",
        ],
    );
    let revoke = section("[6/6]", "All six steps done.");
    in_order(
        &revoke,
        &[
            "inside Vault",
            "$ vault lease revoke",
            "iam:ListAccessKeys",
            "iam:DeleteAccessKey",
            "iam:DeleteUserPolicy",
            "iam:DeleteUser ",
        ],
    );
    // The other steps make no AWS calls through Vault.
    for step in ["[1/6]", "[2/6]", "[3/6]"] {
        let next = format!("[{}/6]", step.as_bytes()[1] - b'0' + 1);
        assert!(
            !section(step, &next).contains("inside Vault"),
            "{transcript}"
        );
    }
}

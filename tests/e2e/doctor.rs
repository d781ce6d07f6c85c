//! `vaultlab doctor` against the sandbox (all good) and against a real OpenBao dev server
//! (no AWS engine; then sealed).

use vaultlab_testkit as common;

use std::process::Command;

use common::{Bao, SandboxProcess};

fn doctor(env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::new(crate::VAULTLAB)
        .arg("doctor")
        .args(args)
        .env("HOME", home.path())
        .env_remove("VAULT_ADDR")
        .env_remove("VAULT_TOKEN")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .envs(env.iter().copied())
        .output()
        .expect("run vaultlab doctor");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn against_the_sandbox_everything_passes() {
    let (code, report) = doctor(&[], &["--sandbox"]);
    assert_eq!(code, 0, "{report}");
    assert!(!report.contains('✗'), "{report}");
    for expected in [
        "✓ Vault reachable",
        "✓ Vault is unsealed",
        "✓ token valid",
        "✓ the token may use every path the lab uses",
        "✓ the AWS secrets engine is available",
        "✓ AWS root keys from the sandbox's AWS account",
        "✓ the root keys may do every IAM action Vault needs",
        "The lab can run here.",
    ] {
        assert!(report.contains(expected), "{expected:?} missing:\n{report}");
    }
}

#[test]
fn against_openbao_it_reports_the_missing_engine_then_the_seal() {
    let bao = Bao::dev();
    let url = bao.url();
    let env = [
        ("VAULT_ADDR", url.as_str()),
        ("VAULT_TOKEN", bao.token.as_str()),
    ];
    let (code, report) = doctor(&env, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("✓ Vault reachable"), "{report}");
    assert!(
        report.contains("✗ this server has no AWS secrets engine"),
        "{report}"
    );
    assert!(report.contains("✗ no AWS root keys found"), "{report}");

    let sealed = bao
        .cli(&["operator", "seal"])
        .output()
        .expect("bao operator seal");
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let (code, report) = doctor(&env, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("✗ Vault is sealed"), "{report}");
    assert!(report.contains("vault operator unseal"), "{report}");
}

#[test]
fn nothing_listening_says_where_it_looked() {
    let url = format!("http://127.0.0.1:{}", common::free_port());
    let (code, report) = doctor(&[("VAULT_ADDR", url.as_str()), ("VAULT_TOKEN", "x")], &[]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains(&url), "{report}");
    assert!(report.starts_with('✗'), "{report}");
}

#[test]
fn the_address_flag_wins_over_vault_addr() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    let nowhere = format!("http://127.0.0.1:{}", common::free_port());
    let env: Vec<(&str, &str)> = [
        "VAULT_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    .iter()
    .map(|name| (*name, sandbox.var(name)))
    .chain([("VAULT_ADDR", nowhere.as_str())])
    .collect();

    // VAULT_ADDR alone points nowhere…
    let (code, report) = doctor(&env, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains(&nowhere), "{report}");

    // …and --address overrides it.
    let (code, report) = doctor(&env, &["--address", sandbox.var("VAULT_ADDR")]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains(&format!(
            "✓ Vault reachable at {}",
            sandbox.var("VAULT_ADDR")
        )),
        "{report}"
    );
    assert!(!report.contains(&nowhere), "{report}");

    // A bad flag value is named as the flag.
    let (code, report) = doctor(&env, &["--client-timeout", "soon"]);
    assert_ne!(code, 0, "{report}");
    assert!(report.contains("invalid --client-timeout"), "{report}");

    // The embedded sandbox has no use for Vault flags.
    let (code, report) = doctor(&env, &["--sandbox", "--namespace", "team"]);
    assert_eq!(code, 2, "{report}");
    assert!(report.contains("cannot be used with"), "{report}");
}

/// Runs the `bao` CLI as root; returns its trimmed stdout.
fn bao_ok(bao: &Bao, args: &[&str]) -> String {
    common::run_ok(&mut bao.cli(args)).trim().to_owned()
}

#[test]
fn in_an_openbao_namespace_the_capabilities_are_checked_there() {
    let bao = Bao::dev();
    bao_ok(&bao, &["namespace", "create", "team"]);
    // Inside the namespace, a policy for every path the lab uses; the root namespace
    // knows nothing of it.
    let policy = bao.home.path().join("lab.hcl");
    std::fs::write(
        &policy,
        r#"
path "sys/mounts" { capabilities = ["read"] }
path "sys/mounts/aws" { capabilities = ["update", "read"] }
path "aws/config/root" { capabilities = ["create", "update", "read"] }
path "aws/roles/my-role" { capabilities = ["create", "update", "read"] }
path "aws/creds/my-role" { capabilities = ["read"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
"#,
    )
    .unwrap();
    bao_ok(
        &bao,
        &[
            "policy",
            "write",
            "-namespace=team",
            "lab",
            policy.to_str().unwrap(),
        ],
    );
    let lab_token = bao_ok(
        &bao,
        &[
            "token",
            "create",
            "-namespace=team",
            "-policy=lab",
            "-field=token",
        ],
    );
    let default_token = bao_ok(
        &bao,
        &[
            "token",
            "create",
            "-namespace=team",
            "-policy=default",
            "-field=token",
        ],
    );
    let url = bao.url();

    // By VAULT_NAMESPACE, then by the flag: the same checks, made in the namespace.
    let in_team = [
        ("VAULT_ADDR", url.as_str()),
        ("VAULT_TOKEN", lab_token.as_str()),
        ("VAULT_NAMESPACE", "team"),
    ];
    let by_flag = [
        ("VAULT_ADDR", url.as_str()),
        ("VAULT_TOKEN", lab_token.as_str()),
    ];
    for (env, args) in [
        (&in_team[..], &[][..]),
        (&by_flag[..], &["--namespace", "team"][..]),
    ] {
        let (code, report) = doctor(env, args);
        // OpenBao has no AWS engine, and no AWS keys were given: not runnable.
        assert_eq!(code, 1, "{report}");
        for expected in [
            "✓ Vault reachable",
            "working in namespace team",
            "✓ token valid",
            "✓ the token may use every path the lab uses in namespace team",
        ] {
            assert!(report.contains(expected), "{expected:?} missing:\n{report}");
        }
    }

    // A token of the namespace with only the default policy lacks what the lab needs.
    let (code, report) = doctor(
        &[
            ("VAULT_ADDR", url.as_str()),
            ("VAULT_TOKEN", default_token.as_str()),
            ("VAULT_NAMESPACE", "team"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("✗ the token in namespace team lacks: read sys/mounts (it has deny); update sys/mounts/aws (it has deny)"),
        "{report}"
    );

    // Outside its namespace, the lab token is told where it belongs.
    let (code, report) = doctor(&by_flag, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains(
            "✗ the token belongs to namespace team/, but vaultlab works in the root namespace"
        ),
        "{report}"
    );
    assert!(report.contains("--namespace team/"), "{report}");
}

//! `vaultlab sandbox` as a learner uses it: the built binary, the real `bao` CLI and the
//! real `aws` CLI, with the environment the sandbox prints.

use vaultlab_testkit as common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{SandboxProcess, peer_program, run_ok};

const LAB_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Stmt1426528957000",
      "Effect": "Allow",
      "Action": ["ec2:*"],
      "Resource": ["*"]
    }
  ]
}"#;

/// `bao` with the sandbox's environment.
fn bao(sandbox: &SandboxProcess, args: &[&str]) -> Command {
    let mut command = sandbox.command(peer_program("bao"));
    command.args(args);
    command
}

/// `bao … ` piping `stdin` in; returns stdout.
fn bao_with_stdin(sandbox: &SandboxProcess, args: &[&str], stdin: &str) -> String {
    bao_with_stdin_both(sandbox, args, stdin).0
}

/// `bao … ` piping `stdin` in; returns stdout and stderr (where warnings go).
fn bao_with_stdin_both(sandbox: &SandboxProcess, args: &[&str], stdin: &str) -> (String, String) {
    use std::io::Write;
    let mut child = bao(sandbox, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start bao");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("bao");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "bao {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// The `Key  Value` table the CLI prints, as pairs.
fn table(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .skip_while(|line| !line.starts_with("---"))
        .skip(1)
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some((
                parts.next()?.to_owned(),
                parts.collect::<Vec<_>>().join(" "),
            ))
        })
        .collect()
}

fn field<'a>(table: &'a [(String, String)], key: &str) -> &'a str {
    table
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {table:?}"))
}

/// `aws ec2 describe-instances` with the given keys; Ok(stdout) or Err(stderr).
fn describe_instances(sandbox: &SandboxProcess, key: &str, secret: &str) -> Result<String, String> {
    let output = sandbox
        .command(peer_program("aws"))
        .args(["ec2", "describe-instances", "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run aws");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn poll<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn lab_runs_unchanged_with_the_bao_and_aws_clis() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    assert!(sandbox.var("VAULT_ADDR").starts_with("http://127.0.0.1:"));
    assert_eq!(sandbox.var("AWS_ENDPOINT_URL"), sandbox.var("VAULT_ADDR"));
    assert_eq!(sandbox.var("AWS_REGION"), "us-east-1");
    assert_eq!(sandbox.var("AWS_DEFAULT_REGION"), "us-east-1");
    assert!(sandbox.var("AWS_ACCESS_KEY_ID").starts_with("AKIA"));

    let enabled = run_ok(&mut bao(
        &sandbox,
        &["secrets", "enable", "-path=aws", "aws"],
    ));
    assert_eq!(
        enabled.trim(),
        "Success! Enabled the aws secrets engine at: aws/"
    );

    let access_key = format!("access_key={}", sandbox.var("AWS_ACCESS_KEY_ID"));
    let secret_key = format!("secret_key={}", sandbox.var("AWS_SECRET_ACCESS_KEY"));
    let written = run_ok(&mut bao(
        &sandbox,
        &[
            "write",
            "aws/config/root",
            &access_key,
            &secret_key,
            "region=us-east-1",
        ],
    ));
    assert_eq!(written.trim(), "Success! Data written to: aws/config/root");

    let written = bao_with_stdin(
        &sandbox,
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            "policy_document=-",
        ],
        LAB_POLICY,
    );
    assert_eq!(
        written.trim(),
        "Success! Data written to: aws/roles/my-role"
    );

    let creds = table(&run_ok(&mut bao(&sandbox, &["read", "aws/creds/my-role"])));
    let lease_id = field(&creds, "lease_id").to_owned();
    assert!(lease_id.starts_with("aws/creds/my-role/"), "{lease_id}");
    assert_eq!(lease_id.len(), "aws/creds/my-role/".len() + 24);
    assert_eq!(field(&creds, "lease_duration"), "768h");
    assert_eq!(field(&creds, "lease_renewable"), "true");
    assert_eq!(field(&creds, "security_token"), "<nil>");
    let key = field(&creds, "access_key").to_owned();
    let secret = field(&creds, "secret_key").to_owned();
    assert!(key.starts_with("AKIA"), "{key}");
    assert_eq!(secret.len(), 40);

    let described = describe_instances(&sandbox, &key, &secret).expect("describe-instances");
    let described: serde_json::Value = serde_json::from_str(&described).expect("json");
    assert_eq!(described, serde_json::json!({"Reservations": []}));

    let revoked = run_ok(&mut bao(&sandbox, &["lease", "revoke", &lease_id]));
    assert_eq!(
        revoked.trim(),
        "All revocation operations queued successfully!"
    );

    // Revocation is queued, as in Vault: wait for it to delete the IAM user.
    let refused = poll("the revoked key to be refused", || {
        describe_instances(&sandbox, &key, &secret).err()
    });
    assert!(refused.contains("AuthFailure"), "{refused}");
    assert!(
        refused.contains("AWS was not able to validate the provided access credentials"),
        "{refused}"
    );
}

#[test]
fn legacy_policy_parameter_is_accepted_with_a_warning() {
    let sandbox = SandboxProcess::start(crate::VAULTLAB, &["--propagation-delay", "0s"]);
    run_ok(&mut bao(&sandbox, &["secrets", "enable", "aws"]));
    let (stdout, stderr) = bao_with_stdin_both(
        &sandbox,
        &["write", "aws/roles/deploy", "policy=-"],
        LAB_POLICY,
    );
    let output = format!("{stdout}{stderr}");
    assert!(output.contains("WARNING"), "{output}");
    assert!(
        output.contains("Detected use of legacy role or policy parameter"),
        "{output}"
    );
}

#[test]
fn state_survives_a_restart_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("sandbox.json");
    let state_arg = state.to_str().expect("utf-8 path");

    let first = SandboxProcess::start(
        crate::VAULTLAB,
        &["--state", state_arg, "--propagation-delay", "0s"],
    );
    let token = first.var("VAULT_TOKEN").to_owned();
    let admin_key = first.var("AWS_ACCESS_KEY_ID").to_owned();
    run_ok(&mut bao(
        &first,
        &["secrets", "enable", "-path=lab/aws", "aws"],
    ));
    bao_with_stdin(
        &first,
        &[
            "write",
            "lab/aws/roles/my-role",
            "credential_type=iam_user",
            "policy_document=-",
        ],
        LAB_POLICY,
    );
    let status = first.terminate();
    assert!(
        status.success(),
        "sandbox exit status after SIGTERM: {status}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state)
            .expect("state file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the state file holds secrets");
    }

    let second = SandboxProcess::start(
        crate::VAULTLAB,
        &["--state", state_arg, "--propagation-delay", "0s"],
    );
    assert_eq!(second.var("VAULT_TOKEN"), token);
    assert_eq!(second.var("AWS_ACCESS_KEY_ID"), admin_key);
    let role = table(&run_ok(&mut bao(
        &second,
        &["read", "lab/aws/roles/my-role"],
    )));
    assert_eq!(field(&role, "credential_type"), "iam_user");
    assert!(field(&role, "policy_document").contains("ec2:*"));
}

#[test]
fn corrupt_state_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("sandbox.json");
    std::fs::write(&state, "{\"format\": 1, \"vault\": ").expect("write");
    let output = Command::new(crate::VAULTLAB)
        .args(["sandbox", "--state", state.to_str().expect("utf-8")])
        .output()
        .expect("run vaultlab");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not a vaultlab sandbox state file"),
        "{stderr}"
    );
    assert!(stderr.contains("line 1"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&state).expect("read"),
        "{\"format\": 1, \"vault\": "
    );
    assert!(
        output.stdout.is_empty(),
        "nothing printed before the refusal"
    );
}

/// `vaultlab sandbox` with its output going to files, as `vaultlab sandbox > env.sh 2> log`
/// would: killed on drop.
struct SandboxIntoFiles {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl SandboxIntoFiles {
    /// Started, and its guidance written.
    fn start() -> SandboxIntoFiles {
        let dir = tempfile::tempdir().expect("tempdir");
        let child = Command::new(crate::VAULTLAB)
            .args(["sandbox", "--propagation-delay", "0s"])
            .stdout(std::fs::File::create(dir.path().join("stdout")).expect("stdout file"))
            .stderr(std::fs::File::create(dir.path().join("stderr")).expect("stderr file"))
            .spawn()
            .expect("start vaultlab sandbox");
        let sandbox = SandboxIntoFiles { child, dir };
        poll("the sandbox's guidance", || {
            sandbox.stdout().contains("Stop with Ctrl-C").then_some(())
        });
        sandbox
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    /// The printed commands that `keep` picks, as a learner copies them (the comment's
    /// lead taken off), run in one shell after the printed exports; `vault` is the real
    /// bao CLI. Returns stdout, or panics with the script and what it said.
    fn run_printed(&self, mut keep: impl FnMut(&str) -> bool) -> String {
        let printed = self.stdout();
        let commands: Vec<&str> = printed
            .lines()
            .filter_map(|line| line.strip_prefix("#   "))
            .filter(|line| keep(line))
            .collect();
        let bin = self.dir.path().join("bin");
        if !bin.exists() {
            std::fs::create_dir(&bin).expect("bin");
            std::os::unix::fs::symlink(peer_program("bao"), bin.join("vault")).expect("symlink");
        }
        let script = format!("set -e\n{printed}\n{}\n", commands.join("\n"));
        let output = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("HOME", self.dir.path())
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .output()
            .expect("sh");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the guidance failed as printed:\n{script}\n{stdout}\n{stderr}"
        );
        stdout
    }
}

impl Drop for SandboxIntoFiles {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_printed_guidance_runs_as_printed() {
    let sandbox = SandboxIntoFiles::start();
    // Every command up to the first that needs a value from an earlier answer.
    let mut reached_placeholder = false;
    let stdout = sandbox.run_printed(|line| {
        // `<new key>`, `<lease_id>`; not the heredoc's `<<'POLICY'`.
        reached_placeholder |= line
            .split('<')
            .skip(1)
            .any(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()));
        !reached_placeholder && !line.starts_with("curl")
    });
    assert!(
        stdout.contains("lease_id"),
        "credentials were issued: {stdout}"
    );
    let role = run_ok(&mut {
        let mut command = Command::new(peer_program("bao"));
        command.envs(exports(&sandbox.stdout()));
        command.args(["read", "-format=json", "aws/roles/my-role"]);
        command
    });
    assert!(
        role.contains("ec2:*"),
        "the printed policy is the role's: {role}"
    );
}

/// The `export NAME=value` lines of the sandbox's output.
fn exports(printed: &str) -> Vec<(String, String)> {
    printed
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn output_going_to_files_has_no_colour_codes() {
    let sandbox = SandboxIntoFiles::start();
    // The printed way to arm a fault: the sandbox logs it.
    let armed = sandbox.run_printed(|line| line.starts_with("curl") && line.contains("aws/creds/"));
    assert!(armed.contains("\"vault_path\":\"aws/creds/\""), "{armed}");
    poll("the log line of the armed fault", || {
        sandbox.stderr().contains("fault armed").then_some(())
    });
    for (name, text) in [("stdout", sandbox.stdout()), ("stderr", sandbox.stderr())] {
        assert!(!text.contains('\x1b'), "colour codes in {name}:\n{text:?}");
    }
}

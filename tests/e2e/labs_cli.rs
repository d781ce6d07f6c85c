//! `vaultlab labs`, `--lab` and `--labs`: labs are folders, listed a line each, and a
//! mistake in a lab file is one line naming the file, the line and what was expected.

use std::path::Path;
use std::process::{Command, Output};

fn vaultlab(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    Command::new(crate::VAULTLAB)
        .args(args)
        .env("HOME", home.path())
        .env("RUST_BACKTRACE", "1")
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab")
}

/// The shipped AWS lab copied into `labs/<id>`, its lab.toml changed by `edit`.
fn copy_lab(labs: &Path, id: &str, edit: impl Fn(String) -> String) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("labs/dynamic-secrets-aws");
    let lab = labs.join(id);
    std::fs::create_dir_all(lab.join("policies")).expect("mkdir");
    for entry in std::fs::read_dir(source.join("policies")).expect("policies") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, lab.join("policies").join(path.file_name().unwrap())).expect("copy");
    }
    // The folder's name is the lab's id.
    let toml = std::fs::read_to_string(source.join("lab.toml"))
        .expect("lab.toml")
        .replacen("id = \"dynamic-secrets-aws\"", &format!("id = {id:?}"), 1);
    std::fs::write(lab.join("lab.toml"), edit(toml)).expect("write");
}

#[test]
fn labs_lists_the_shipped_labs_a_line_each_with_the_default_marked() {
    let output = vaultlab(&["labs"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("dynamic-secrets-aws "))
        .unwrap_or_else(|| panic!("the AWS lab is listed: {stdout}"));
    assert!(
        line.contains("Dynamic secrets with Vault and AWS (default): "),
        "{line}"
    );
    assert!(
        stdout.contains(
            "dynamic-db-postgres  Dynamic PostgreSQL credentials: PostgreSQL roles made on request"
        ),
        "{stdout}"
    );
}

#[test]
fn a_folder_of_labs_is_listed_and_a_broken_lab_is_named_with_its_line() {
    let labs = tempfile::tempdir().expect("tempdir");
    copy_lab(labs.path(), "good", |toml| {
        toml.replace("Dynamic secrets with Vault and AWS", "Our workshop")
    });
    copy_lab(labs.path(), "broken", |toml| {
        toml.replace("-path={mount}", "-path={mountpoint}")
    });
    let dir = labs.path().to_str().expect("utf-8");
    let output = vaultlab(&["labs", "--labs", dir]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("good    Our workshop: "), "{stdout}");
    let broken = stdout
        .lines()
        .find(|l| l.starts_with("broken"))
        .expect("the broken lab is listed");
    assert!(broken.contains("broken/lab.toml, line "), "{broken}");
    assert!(
        broken.contains("unknown placeholder {mountpoint}"),
        "{broken}"
    );

    // The same mistake stops a walk, in one line.
    let output = vaultlab(&["walk", "--sandbox", "--labs", dir, "--lab", "broken"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("broken/lab.toml, line "), "{stderr}");
    assert!(stderr.contains("expected one of:"), "{stderr}");
}

#[test]
fn a_lab_that_is_not_there_is_said_before_the_terminal_is_looked_at() {
    for args in [
        &["--lab", "dynamic-db-postgre"][..],
        &["--labs", "/nonexistent-labs", "--lab", "x"],
    ] {
        // stdout is a pipe here: the lab's mistake, not "not a terminal", is what to fix.
        let output = vaultlab(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("not a terminal"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no lab named \"dynamic-db-postgre\"")
                || stderr.contains("cannot read the labs folder /nonexistent-labs"),
            "{stderr}"
        );
    }
}

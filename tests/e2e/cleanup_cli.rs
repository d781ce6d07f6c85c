//! `vaultlab cleanup` with no Vault named: it names the journals there are, and the Vault
//! each belongs to, rather than reporting on the vault CLI's default address.

use std::process::Command;

/// A journal as vaultlab writes it, with one lease in each of these states.
fn journal(vault_addr: &str, namespace: Option<&str>, states: &[&str]) -> String {
    let entries: Vec<serde_json::Value> = states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let mut entry = serde_json::json!({
                "lease_id": format!("aws/creds/my-role/lease{i}"),
                "mount": "aws",
                "role": "my-role",
                "issued_at": "2026-01-01T00:00:00Z",
                "ttl_seconds": 3600,
                "state": state,
            });
            if *state != "active" {
                entry["at"] = "2026-01-01T00:10:00Z".into();
            }
            entry
        })
        .collect();
    serde_json::json!({
        "format": 1,
        "vault_addr": vault_addr,
        "namespace": namespace,
        "entries": entries,
    })
    .to_string()
}

fn cleanup(home: &std::path::Path) -> (Option<i32>, String) {
    let output = Command::new(crate::VAULTLAB)
        .arg("cleanup")
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("VAULT_ADDR")
        .output()
        .expect("run vaultlab cleanup");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn without_a_vault_cleanup_names_the_journals_and_their_vaults() {
    let home = tempfile::tempdir().expect("tempdir");
    let leases = home.path().join(".local/share/vaultlab/leases");
    std::fs::create_dir_all(&leases).expect("mkdir");
    std::fs::write(
        leases.join("https___vault.example.com_8200.json"),
        journal(
            "https://vault.example.com:8200",
            None,
            &["active", "revoked"],
        ),
    )
    .expect("write");
    std::fs::write(
        leases.join("http___10.0.0.5_8200__ns_team_a.json"),
        journal("http://10.0.0.5:8200", Some("team-a"), &["gone"]),
    )
    .expect("write");

    let (code, out) = cleanup(home.path());
    assert_eq!(code, Some(1), "a lease may still be alive: {out}");
    assert!(out.starts_with("No Vault was named"), "{out}");
    assert!(
        out.contains("https://vault.example.com:8200  1 lease(s) not known to be over"),
        "{out}"
    );
    assert!(
        out.contains("http://10.0.0.5:8200 (namespace team-a)  no lease open"),
        "{out}"
    );
    assert!(
        out.contains("vaultlab cleanup --address https://vault.example.com:8200"),
        "{out}"
    );
    assert!(!out.contains("127.0.0.1:8200"), "no default address: {out}");
}

#[test]
fn without_a_vault_or_journals_cleanup_says_there_are_none() {
    let home = tempfile::tempdir().expect("tempdir");
    let (code, out) = cleanup(home.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("No Vault was named"), "{out}");
    assert!(out.contains("No lease journals in"), "{out}");
    assert!(!out.contains("127.0.0.1:8200"), "{out}");
}

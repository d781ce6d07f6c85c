//! `vaultlab walk --aws-endpoint <moto>`: the sandbox's Vault, its engine and vaultlab's
//! own AWS calls all talking to moto (auth enforced), a real AWS emulator.

use vaultlab_testkit as common;

use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_completes_against_a_sandbox_vault_whose_engine_talks_to_moto() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let home = tempfile::tempdir().expect("tempdir");
    let url = moto.url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(crate::VAULTLAB)
            .args(["walk", "--sandbox", "--aws-endpoint", &url])
            .env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", &admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &admin.secret_access_key)
            .env("AWS_REGION", "us-east-1")
            .output()
            .expect("run vaultlab walk")
    })
    .await
    .expect("walk");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "walk failed:\n{transcript}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        transcript.contains("STS: arn:aws:iam::123456789012:user/moto-admin"),
        "{transcript}"
    );
    assert!(
        transcript.contains(&format!("--endpoint-url {}", moto.url())),
        "{transcript}"
    );
    assert!(transcript.contains("\"Reservations\": []"), "{transcript}");
    assert!(
        transcript.contains("old keys refused: AuthFailure · IAM user gone: yes"),
        "{transcript}"
    );
    assert_eq!(transcript.matches("✓ done").count(), 6, "{transcript}");
}

//! SigV4 as AWS checks it, probed with botocore-signed requests (tests/peers/
//! aws_sigv4_probe.py): the body's own hash always, whatever `X-Amz-Content-SHA256` says;
//! no `UNSIGNED-PAYLOAD`; the scope's service the one the request is for; its region one
//! the service answers for. moto with auth enforced takes the payload-hash header on trust
//! and does not check scopes, so it is the reference only where it is right.

use vaultlab_testkit as common;

use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

async fn probe(url: &str, key: &str, secret: &str) -> Value {
    let output = tokio::process::Command::new(common::peer_python())
        .arg(common::peer_script("aws_sigv4_probe.py"))
        .env("TARGET_URL", url)
        .env("ADMIN_KEY", key)
        .env("ADMIN_SECRET", secret)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run python: {e}; {}", common::INSTALL_HINT));
    assert!(
        output.status.success(),
        "probe failed ({}): {}",
        common::INSTALL_HINT,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the probe")
}

async fn sandbox_probe() -> Value {
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: std::time::Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("start sandbox");
    let admin = sandbox.admin_credentials();
    let out = probe(
        sandbox.aws_endpoint_url(),
        &admin.access_key_id,
        admin.secret_access_key.expose(),
    )
    .await;
    sandbox.shutdown().await.expect("shutdown");
    out
}

fn answer(out: &Value, name: &str) -> Value {
    out.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no probe {name}"))
}

#[tokio::test]
async fn a_captured_signature_cannot_carry_another_body() {
    let ours = sandbox_probe().await;
    let mismatch = json!({
        "status": 403,
        "code": "SignatureDoesNotMatch",
        "message": "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    });
    assert_eq!(answer(&ours, "iam_replayed_body"), mismatch);
    assert_eq!(answer(&ours, "iam_unsigned_payload"), mismatch);
    // Neither body was acted on.
    for name in ["iam_replayed_user_exists", "iam_unsigned_user_exists"] {
        assert_eq!(answer(&ours, name)["code"], "NoSuchEntity", "{name}");
    }
    assert_eq!(
        answer(&ours, "iam_payload_hash_header_matching")["status"],
        200
    );
}

#[tokio::test]
async fn a_scope_must_name_the_requests_service_and_a_region_it_answers_for() {
    let ours = sandbox_probe().await;
    let refused = |status: u16, code: &str, message: &str| json!({"status": status, "code": code, "message": message});
    let ec2_service = refused(
        401,
        "AuthFailure",
        "Credential should be scoped to correct service: 'ec2'. ",
    );
    for service in ["s3", "lambda", "iam"] {
        assert_eq!(
            answer(&ours, &format!("ec2_scoped_to_{service}")),
            ec2_service,
            "{service}"
        );
    }
    assert_eq!(
        answer(&ours, "ec2_scoped_to_no_region"),
        refused(
            401,
            "AuthFailure",
            "Credential should be scoped to a valid region, not ''. "
        )
    );
    assert_eq!(
        answer(&ours, "ec2_scoped_to_moon_1")["message"],
        "Credential should be scoped to a valid region, not 'moon-1'. "
    );
    // An opt-in region the account has not enabled: EC2's plain AuthFailure.
    assert_eq!(
        answer(&ours, "ec2_scoped_to_af_south_1"),
        refused(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials"
        )
    );
    assert_eq!(
        answer(&ours, "iam_scoped_to_ec2"),
        refused(
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'iam'. "
        )
    );
    assert_eq!(
        answer(&ours, "sts_scoped_to_iam")["message"],
        "Credential should be scoped to correct service: 'sts'. "
    );
    // IAM is global: us-east-1 (and the sandbox's own region) only.
    assert_eq!(
        answer(&ours, "iam_scoped_to_us_west_2"),
        refused(
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to a valid region, not 'us-west-2'. "
        )
    );
    assert_eq!(
        answer(&ours, "sts_scoped_to_moon_1")["code"],
        "SignatureDoesNotMatch"
    );
}

#[tokio::test]
async fn regions_aws_answers_for_are_accepted_as_moto_accepts_them() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let theirs = probe(&moto.url(), &admin.access_key_id, &admin.secret_access_key).await;
    let ours = sandbox_probe().await;
    for name in [
        "ec2_scoped_to_eu_west_1",
        "sts_scoped_to_eu_west_1",
        "iam_payload_hash_header_matching",
    ] {
        assert_eq!(answer(&ours, name)["status"], 200, "{name}: {}", ours[name]);
        assert_eq!(
            answer(&ours, name)["status"],
            answer(&theirs, name)["status"],
            "{name}: moto {}",
            theirs[name]
        );
    }
}

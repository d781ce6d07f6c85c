//! vaultlab's own AWS calls against the embedded sandbox, which checks every signature's
//! scope as AWS does.

use secrecy::SecretString;
use vaultlab::aws::{self, AwsTarget, StaticKeys};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

#[tokio::test]
async fn iam_calls_reach_the_sandbox_whatever_region_the_learner_chose() {
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: std::time::Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    let admin = sandbox.admin_credentials();
    let keys = StaticKeys {
        access_key_id: admin.access_key_id,
        secret_access_key: SecretString::from(admin.secret_access_key.expose().to_owned()),
    };
    // Step 2's region is the learner's to choose; IAM is global all the same.
    let target = AwsTarget {
        endpoint_url: Some(sandbox.aws_endpoint_url().to_owned()),
        region: "eu-west-1".into(),
        trust: Default::default(),
    };
    let exists = aws::user_exists(&target, &keys, "nobody").await;
    assert!(
        matches!(exists, Ok(false)),
        "IAM answered for us-east-1's scope: {exists:?}"
    );
    let found = aws::find_user_by_access_key(&target, &keys, "AKIANOTAKEY").await;
    assert!(matches!(found, Ok(None)), "{found:?}");
    sandbox.shutdown().await.expect("shutdown");
}

//! The same boto3 story (tests/peers/aws_scenario.py) against moto with auth enforced and
//! against the sandbox's AWS endpoint: the outcomes must agree, step by step, except where
//! moto is known to differ from AWS — there the sandbox must answer as AWS does.

use vaultlab_testkit as common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

fn run_scenario(endpoint: &str, key: &str, secret: &str) -> BTreeMap<String, Value> {
    let script = common::peer_script("aws_scenario.py");
    let output = Command::new(common::peer_python())
        .arg(&script)
        .args([endpoint, key, secret])
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "scenario against {endpoint} failed ({}):\n{}\n(boto3 missing? {})",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        common::INSTALL_HINT
    );
    serde_json::from_slice(&output.stdout).expect("scenario prints JSON")
}

/// What two runs can agree on: ids and dates differ by nature.
fn comparable(outcome: &Value) -> Value {
    json!({"outcome": outcome["outcome"], "code": outcome["code"], "status": outcome["status"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_and_moto_agree_on_the_labs_aws_behaviour() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let moto_url = moto.url();
    let from_moto = tokio::task::spawn_blocking(move || {
        run_scenario(&moto_url, &admin.access_key_id, &admin.secret_access_key)
    })
    .await
    .expect("moto scenario");

    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("start sandbox");
    let sandbox_admin = sandbox.admin_credentials();
    let url = sandbox.aws_endpoint_url().to_owned();
    let from_sandbox = tokio::task::spawn_blocking(move || {
        run_scenario(
            &url,
            &sandbox_admin.access_key_id,
            sandbox_admin.secret_access_key.expose(),
        )
    })
    .await
    .expect("sandbox scenario");
    sandbox.shutdown().await.expect("shutdown");

    // Where moto is known to differ from AWS (shared/reference/vault-aws.md), the
    // sandbox follows AWS.
    let follows_aws: BTreeMap<&str, Value> = BTreeMap::from([(
        "describe_instances_explicit_deny",
        json!({"outcome": "error", "code": "UnauthorizedOperation", "status": 403}),
    )]);

    assert_eq!(
        from_moto.keys().collect::<Vec<_>>(),
        from_sandbox.keys().collect::<Vec<_>>()
    );
    let mut disagreements = Vec::new();
    for (step, moto_outcome) in &from_moto {
        let sandbox_outcome = comparable(&from_sandbox[step]);
        let expected = follows_aws
            .get(step.as_str())
            .cloned()
            .unwrap_or_else(|| comparable(moto_outcome));
        if sandbox_outcome != expected {
            disagreements.push(format!(
                "{step}: sandbox {sandbox_outcome}, expected {expected} (moto {})",
                comparable(moto_outcome)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));

    // And the outcomes themselves are the lab's story, not an agreement on failure.
    assert_eq!(
        from_sandbox["describe_instances"]["result"],
        json!({"Reservations": []})
    );
    assert_eq!(
        comparable(&from_sandbox["describe_instances_after_delete"]),
        json!({"outcome": "error", "code": "AuthFailure", "status": 401})
    );
    assert_eq!(
        comparable(&from_sandbox["get_caller_identity_after_delete"]),
        json!({"outcome": "error", "code": "InvalidClientTokenId", "status": 403})
    );
    assert_eq!(
        comparable(&from_sandbox["user_list_users_denied"]),
        json!({"outcome": "error", "code": "AccessDenied", "status": 403})
    );
    assert!(
        from_sandbox["user_get_caller_identity"]["result"]["Arn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(":user/lab-user")),
        "{}",
        from_sandbox["user_get_caller_identity"]
    );
}

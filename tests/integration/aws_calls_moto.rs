//! vaultlab's own AWS calls against moto with auth enforced: a real AWS emulator that
//! checks signatures, rejects unknown keys and evaluates policies.

use vaultlab_testkit as common;

use secrecy::SecretString;
use vaultlab::aws::{
    AwsTarget, StaticKeys, caller_identity, describe_instances, find_user_by_access_key,
    user_exists,
};

/// An IAM client of the test's own, with the admin's keys: the lab's clients stay inside
/// vaultlab-aws.
fn admin_iam(url: &str, admin: &StaticKeys) -> aws_sdk_iam::Client {
    use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
    use secrecy::ExposeSecret;
    let config = aws_sdk_iam::Config::builder()
        .http_client(common::sdk_http_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            admin.access_key_id.clone(),
            admin.secret_access_key.expose_secret().to_owned(),
            None,
            None,
            "admin",
        ))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn keys(id: &str, secret: &str) -> StaticKeys {
    StaticKeys {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(secret.to_owned()),
    }
}

#[tokio::test]
async fn lab_calls_work_and_fail_as_aws_says_against_moto() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let target = AwsTarget {
        endpoint_url: Some(moto.url()),
        region: "us-east-1".into(),
        trust: Default::default(),
    };
    let admin = keys(&admin.access_key_id, &admin.secret_access_key);

    let identity = caller_identity(&target, &admin)
        .await
        .expect("admin identity");
    assert!(identity.arn.ends_with(":user/moto-admin"), "{identity:?}");

    // A user like the ones Vault makes, with the lab's policy.
    let iam = admin_iam(&moto.url(), &admin);
    iam.create_user()
        .user_name("vault-root-my-role-1-x")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("vault-root-my-role-1-x")
        .policy_name("my-role")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("vault-root-my-role-1-x")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let user_keys = keys(&key.access_key_id, &key.secret_access_key);

    let reservations = describe_instances(&target, &user_keys)
        .await
        .expect("allowed");
    assert_eq!(reservations, serde_json::json!({"Reservations": []}));
    assert_eq!(
        find_user_by_access_key(&target, &admin, &key.access_key_id)
            .await
            .unwrap(),
        Some("vault-root-my-role-1-x".to_owned())
    );
    assert!(
        user_exists(&target, &admin, "vault-root-my-role-1-x")
            .await
            .unwrap()
    );

    let wrong = keys("AKIAAAAAAAAAAAAAAAAA", "nope");
    let error = describe_instances(&target, &wrong).await.unwrap_err();
    assert_eq!(error.code, "AuthFailure");
    assert_eq!(error.http_status, Some(401));
    assert!(error.is_unknown_key());

    let error = caller_identity(&target, &wrong).await.unwrap_err();
    assert_eq!(error.code, "InvalidClientTokenId", "{error:?}");

    iam.delete_access_key()
        .user_name("vault-root-my-role-1-x")
        .access_key_id(&key.access_key_id)
        .send()
        .await
        .unwrap();
    iam.delete_user_policy()
        .user_name("vault-root-my-role-1-x")
        .policy_name("my-role")
        .send()
        .await
        .unwrap();
    iam.delete_user()
        .user_name("vault-root-my-role-1-x")
        .send()
        .await
        .unwrap();
    assert!(
        !user_exists(&target, &admin, "vault-root-my-role-1-x")
            .await
            .unwrap()
    );
    let error = describe_instances(&target, &user_keys).await.unwrap_err();
    assert_eq!(error.code, "AuthFailure", "a deleted key");
}

#[tokio::test]
async fn an_endpoint_with_nothing_listening_is_unreachable() {
    let target = AwsTarget {
        endpoint_url: Some(format!("http://127.0.0.1:{}", common::free_port())),
        region: "us-east-1".into(),
        trust: Default::default(),
    };
    let error = describe_instances(&target, &keys("AKIAAAAAAAAAAAAAAAAA", "x"))
        .await
        .unwrap_err();
    assert_eq!(error.code, "Unreachable", "{error:?}");
    assert!(error.hint().contains("--aws-endpoint"));
}

//! The AWS calls the lab makes, each returning plain data or an [`AwsCallError`].

use serde_json::{Value, json};

use crate::clients::{self, AwsTarget, StaticKeys};
use crate::error::{AwsCallError, from_sdk};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// STS GetCallerIdentity: whose keys these are. Needs no permission.
pub async fn caller_identity(
    target: &AwsTarget,
    keys: &StaticKeys,
) -> Result<CallerIdentity, AwsCallError> {
    let output = clients::sts(target, keys)
        .get_caller_identity()
        .send()
        .await
        .map_err(from_sdk)?;
    Ok(CallerIdentity {
        account: output.account().unwrap_or_default().to_owned(),
        arn: output.arn().unwrap_or_default().to_owned(),
        user_id: output.user_id().unwrap_or_default().to_owned(),
    })
}

/// EC2 DescribeInstances, answered as the aws CLI prints it: `{"Reservations": […]}`.
pub async fn describe_instances(
    target: &AwsTarget,
    keys: &StaticKeys,
) -> Result<Value, AwsCallError> {
    let output = clients::ec2(target, keys)
        .describe_instances()
        .send()
        .await
        .map_err(from_sdk)?;
    let reservations: Vec<Value> = output
        .reservations()
        .iter()
        .map(|reservation| {
            let instances: Vec<Value> = reservation
                .instances()
                .iter()
                .map(|instance| {
                    json!({
                        "InstanceId": instance.instance_id(),
                        "InstanceType": instance.instance_type().map(|t| t.as_str()),
                        "State": {"Name": instance.state().and_then(|s| s.name()).map(|n| n.as_str())},
                    })
                })
                .collect();
            json!({
                "ReservationId": reservation.reservation_id(),
                "OwnerId": reservation.owner_id(),
                "Instances": instances,
            })
        })
        .collect();
    Ok(json!({ "Reservations": reservations }))
}

/// The IAM user an access key belongs to, looked up with other (admin) keys. Vault's
/// response names the key, not the user; the user's name is what proves revocation.
pub async fn find_user_by_access_key(
    target: &AwsTarget,
    admin: &StaticKeys,
    access_key_id: &str,
) -> Result<Option<String>, AwsCallError> {
    let iam = clients::iam(target, admin);
    // Every page: a real account can have more users than one page holds.
    let users: Vec<_> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(from_sdk)?;
    // Vault's users start with "vault-"; look at those first.
    let mut names: Vec<&str> = users.iter().map(|u| u.user_name()).collect();
    names.sort_by_key(|name| !name.starts_with("vault-"));
    for name in names {
        let keys = iam
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .map_err(from_sdk)?;
        if keys
            .access_key_metadata()
            .iter()
            .any(|key| key.access_key_id() == Some(access_key_id))
        {
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
}

/// IAM GetUser: whether the user still exists.
pub async fn user_exists(
    target: &AwsTarget,
    admin: &StaticKeys,
    user_name: &str,
) -> Result<bool, AwsCallError> {
    match clients::iam(target, admin)
        .get_user()
        .user_name(user_name)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(error) => {
            let error = from_sdk(error);
            if error.code == "NoSuchEntity" {
                Ok(false)
            } else {
                Err(error)
            }
        }
    }
}

/// IAM SimulatePrincipalPolicy: which of `actions` the principal `arn` may not do
/// (empty when it may do them all).
pub async fn simulate_iam_actions(
    target: &AwsTarget,
    keys: &StaticKeys,
    arn: &str,
    actions: &[&str],
) -> Result<Vec<String>, AwsCallError> {
    let result = clients::iam(target, keys)
        .simulate_principal_policy()
        .policy_source_arn(arn)
        .set_action_names(Some(actions.iter().map(|a| (*a).to_owned()).collect()))
        .send()
        .await
        .map_err(from_sdk)?;
    Ok(result
        .evaluation_results()
        .iter()
        .filter(|r| r.eval_decision().as_str() != "allowed")
        .map(|r| r.eval_action_name().to_owned())
        .collect())
}

//! An action the sandbox does not serve. If AWS has it, the sandbox says in its own words
//! that it does not implement it (501, which the SDKs do not retry); if AWS has no such
//! action, the answer is AWS's own `InvalidAction`.
//!
//! `actions/*.txt` list each service's actions as botocore's service models name them
//! (`.venv/lib/python3*/site-packages/botocore/data/<service>/<newest>/service-2.json`,
//! the keys of `operations`, one a line).

use axum::http::StatusCode;

use super::error::ApiError;

const EC2: &str = include_str!("actions/ec2.txt");
const IAM: &str = include_str!("actions/iam.txt");
const STS: &str = include_str!("actions/sts.txt");

/// The answer for `action` of `service` (`ec2`, `iam`, `sts`) when the sandbox has no
/// handler for it; `version` is the request's `Version` parameter.
pub fn not_served(service: &str, action: &str, version: Option<&str>) -> ApiError {
    let (known, hint, default_version) = match service {
        "ec2" => (EC2, "the lab uses DescribeInstances", "2016-11-15"),
        "iam" => (
            IAM,
            "it implements the IAM calls Vault's AWS engine makes: users, their policies, groups and access keys",
            "2010-05-08",
        ),
        _ => (STS, "it implements GetCallerIdentity", "2011-06-15"),
    };
    if known.lines().any(|line| line == action) {
        return ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!("vaultlab sandbox does not implement {service}:{action}; {hint}"),
        );
    }
    let message = if service == "ec2" {
        format!("The action {action} is not valid for this web service.")
    } else {
        format!(
            "Could not find operation {action} for version {}",
            version.unwrap_or(default_version)
        )
    };
    ApiError::new(StatusCode::BAD_REQUEST, "InvalidAction", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_action_is_named_as_not_implemented() {
        let e = not_served("ec2", "DescribeVpcs", None);
        assert_eq!(e.status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(
            e.message,
            "vaultlab sandbox does not implement ec2:DescribeVpcs; the lab uses DescribeInstances"
        );
        assert_eq!(
            not_served("iam", "CreateRole", None).status,
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            not_served("sts", "AssumeRole", None).status,
            StatusCode::NOT_IMPLEMENTED
        );
    }

    #[test]
    fn an_action_aws_does_not_have_is_awss_invalid_action() {
        let e = not_served("ec2", "DescribeUnicorns", None);
        assert_eq!(
            (e.status, e.code.as_ref()),
            (StatusCode::BAD_REQUEST, "InvalidAction")
        );
        assert_eq!(
            e.message,
            "The action DescribeUnicorns is not valid for this web service."
        );
        let e = not_served("iam", "CreateUnicorn", Some("2010-05-08"));
        assert_eq!(
            e.message,
            "Could not find operation CreateUnicorn for version 2010-05-08"
        );
    }
}

//! EC2 actions (API version 2016-11-15). The sandbox runs no instances, so
//! DescribeInstances is always empty; what the lab observes is whether the call is allowed.

use axum::http::StatusCode;

use super::Call;
use super::error::{ApiError, ApiResult};
use super::policy::Decision;
use super::store::AwsState;
use super::xml::Xml;

/// Regions enabled by default in every account.
pub(super) const DEFAULT_REGIONS: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Opt-in regions this account has not enabled: listed only with `AllRegions=true`.
pub(super) const OPT_IN_REGIONS: &[&str] = &["af-south-1", "ap-east-1", "eu-south-1", "me-south-1"];

pub fn handle(call: &Call<'_>, state: &AwsState) -> ApiResult<Option<String>> {
    match call.action {
        "DescribeInstances" => {
            authorize(call, state, "DescribeInstances")?;
            // Filters, InstanceId.N, MaxResults and NextToken are accepted and match nothing.
            let mut x = Xml::new();
            x.node("reservationSet", |_| {});
            Ok(Some(x.finish()))
        }
        "DescribeRegions" => {
            authorize(call, state, "DescribeRegions")?;
            let all = call
                .params
                .get("AllRegions")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let wanted = call.params.list("RegionName");
            let mut regions: Vec<(&str, &str)> = DEFAULT_REGIONS
                .iter()
                .map(|r| (*r, "opt-in-not-required"))
                .collect();
            if all {
                regions.extend(OPT_IN_REGIONS.iter().map(|r| (*r, "not-opted-in")));
            }
            let home = call.options.region.as_str();
            if !regions.iter().any(|(name, _)| *name == home) {
                regions.push((home, "opt-in-not-required"));
            }
            regions.sort();
            let mut x = Xml::new();
            x.node("regionInfo", |x| {
                for (name, status) in regions
                    .iter()
                    .filter(|(n, _)| wanted.is_empty() || wanted.contains(n))
                {
                    x.node("item", |x| {
                        x.text("regionName", name);
                        x.text("regionEndpoint", &format!("ec2.{name}.amazonaws.com"));
                        x.text("optInStatus", status);
                    });
                }
            });
            Ok(Some(x.finish()))
        }
        other => Err(super::actions::not_served(
            "ec2",
            other,
            call.params.get("Version"),
        )),
    }
}

/// EC2 Describe* actions have no resource-level permissions: the resource is `*`.
/// `DryRun=true` stops here, as in AWS: 412 `DryRunOperation` when the call would be allowed.
fn authorize(call: &Call<'_>, state: &AwsState, action: &str) -> ApiResult<()> {
    let qualified = format!("ec2:{action}");
    let why = match call.decide(state, &qualified, "*") {
        Decision::Allow
            if call
                .params
                .get("DryRun")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")) =>
        {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.",
            ));
        }
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_string(),
        Decision::ImplicitDeny => {
            format!("because no identity-based policy allows the {qualified} action")
        }
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "UnauthorizedOperation",
        format!(
            "You are not authorized to perform this operation. User: {} is not authorized to perform: {qualified} {why}",
            call.caller.arn
        ),
    ))
}

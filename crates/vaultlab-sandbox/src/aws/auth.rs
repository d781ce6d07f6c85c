//! Who signed an AWS request: the SigV4 checks AWS's front door makes, in its order and
//! with its words, then the key looked up (in whichever account holds it).

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDateTime, Utc};

use super::error::{ApiError, ApiResult};
use super::store::AwsState;
use super::{Caller, Service, scope, sigv4};

/// How far a request's `X-Amz-Date` may be from our clock, as AWS allows.
const MAX_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// The caller behind a SigV4-signed request, or the error AWS gives for it. EC2 answers
/// every authentication problem as `AuthFailure` (401); IAM and STS name it.
pub(super) fn authenticate(
    state: &AwsState,
    service: Service,
    home_region: &str,
    authorization: Option<Result<sigv4::Authorization, sigv4::ParseError>>,
    request: &sigv4::SignedRequest<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Caller> {
    let headers = request.headers;
    let ec2 = service == Service::Ec2;
    let auth_failure = |message: Option<String>| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthFailure",
            message.unwrap_or_else(|| {
                "AWS was not able to validate the provided access credentials".to_owned()
            }),
        )
    };
    let incomplete = |message: String| {
        if ec2 {
            auth_failure(None)
        } else {
            ApiError::new(StatusCode::FORBIDDEN, "IncompleteSignature", message)
        }
    };
    let authorization = match authorization {
        None if ec2 => return Err(auth_failure(None)),
        None => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        }
        Some(Err(sigv4::ParseError::UnsupportedAlgorithm)) => {
            return Err(incomplete(
                "Unsupported AWS 'algorithm': only AWS4-HMAC-SHA256 is accepted.".to_owned(),
            ));
        }
        Some(Err(sigv4::ParseError::Incomplete(part))) => {
            return Err(incomplete(format!(
                "Authorization header requires '{part}' parameter."
            )));
        }
        Some(Ok(a)) => a,
    };
    let mismatch = |message: Option<String>| {
        if ec2 {
            auth_failure(message)
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                message.unwrap_or_else(|| {
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".to_owned()
                }),
            )
        }
    };
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .to_owned(),
            )
        })?;
    // The scope is checked before any key is looked up, as AWS's front door does.
    scope::check(&authorization, service, home_region, amz_date)
        .map_err(|refused| mismatch(refused.message()))?;
    // Without the host signed, a captured request could be replayed at another endpoint.
    if !authorization.signed_headers.iter().any(|h| h == "host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    let unknown_key = || {
        if ec2 {
            auth_failure(None)
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        }
    };
    let Some((key, user)) = state.authenticate(&authorization.access_key_id, now) else {
        return Err(unknown_key());
    };
    // Our keys are all long-term IAM user keys: a session token cannot belong to them, and
    // AWS refuses such a pair as an invalid token.
    if headers.contains_key("x-amz-security-token") {
        return Err(unknown_key());
    }
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map(|t| t.and_utc())
        .map_err(|_| mismatch(None))?;
    if !sigv4::verify(request, &authorization, key.secret.expose(), amz_date) {
        return Err(mismatch(None));
    }
    if (now - signed_at).abs() > MAX_SKEW {
        return Err(if ec2 {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "RequestExpired",
                "Request has expired.",
            )
        } else {
            let format = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
            let message = if signed_at < now {
                format!(
                    "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                    format(now - MAX_SKEW),
                    format(now)
                )
            } else {
                format!(
                    "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                    format(now + MAX_SKEW),
                    format(now)
                )
            };
            ApiError::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
        });
    }
    Ok(Caller {
        account: key.account.clone(),
        user_name: user.name.clone(),
        user_id: user.id.clone(),
        arn: state.user_arn(user),
        key: state.key_kind(&key.account, &user.name),
    })
}

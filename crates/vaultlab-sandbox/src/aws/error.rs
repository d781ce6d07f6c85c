//! AWS-style API errors: an HTTP status, an error code and a message, as real AWS sends them.

use std::borrow::Cow;

use axum::http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// AWS's code; our own are `'static`, an injected fault's is the facilitator's.
    pub code: Cow<'static, str>,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn no_such_user(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchEntity",
            format!("The user with name {name} cannot be found."),
        )
    }

    pub fn no_such_group(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchEntity",
            format!("The group with name {name} cannot be found."),
        )
    }

    pub fn delete_conflict(what: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "DeleteConflict",
            format!("Cannot delete entity, must {what} first."),
        )
    }

    pub fn malformed_policy(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MalformedPolicyDocument", message)
    }

    /// IAM's shape for a missing required parameter (Smithy validation), e.g. `userName`.
    pub fn iam_null(member: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ),
        )
    }

    pub fn iam_invalid(member: &str, value: &str, constraint: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!(
                "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
            ),
        )
    }
}

//! IAM's quotas on policy documents, with AWS's error words. IAM counts characters and
//! not white space; a user's (or group's) inline policies count together.
//! The sandbox serves no customer managed policies (CreatePolicy), so IAM's 6,144-character
//! quota for those has nothing to apply to here; the AWS managed policies it attaches are
//! its own small catalog.

use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};

/// All inline policies of one user, together.
pub const USER_INLINE_TOTAL: usize = 2048;
/// All inline policies of one group, together.
pub const GROUP_INLINE_TOTAL: usize = 5120;
/// `PolicyDocument`'s length in IAM's API model, white space included.
pub const DOCUMENT_MAX_LENGTH: usize = 131_072;

/// A document's size as IAM counts it against its quotas: characters, white space aside.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// The API model's bound on `PolicyDocument`, checked before anything else.
pub fn check_document_length(document: &str) -> ApiResult<()> {
    if document.chars().count() <= DOCUMENT_MAX_LENGTH {
        return Ok(());
    }
    Err(ApiError::iam_invalid(
        "policyDocument",
        document,
        &format!("Member must have length less than or equal to {DOCUMENT_MAX_LENGTH}"),
    ))
}

/// Whether `document` fits beside an entity's `other` inline policies (the one it replaces
/// left out): `entity` is `user` or `group`, `name` the user's or group's name.
pub fn check_inline_total<'a>(
    entity: &str,
    name: &str,
    quota: usize,
    other: impl IntoIterator<Item = &'a str>,
    document: &str,
) -> ApiResult<()> {
    let total: usize = other.into_iter().map(policy_size).sum::<usize>() + policy_size(document);
    if total <= quota {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "LimitExceeded",
        format!("Maximum policy size of {quota} bytes exceeded for {entity} {name}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid policy of exactly `size` characters once white space is left out.
    fn policy_of(size: usize) -> String {
        let head = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"],"Sid":""#;
        let tail = r#""}]}"#;
        format!("{head}{}{tail}", "a".repeat(size - head.len() - tail.len()))
    }

    #[test]
    fn white_space_is_not_counted() {
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
        assert_eq!(policy_size(&policy_of(2048)), 2048);
    }

    #[test]
    fn a_users_inline_policies_count_together() {
        let fits = policy_of(USER_INLINE_TOTAL);
        assert!(check_inline_total("user", "u", USER_INLINE_TOTAL, [], &fits).is_ok());
        let spaced = format!("{fits}\n\n    ");
        assert!(check_inline_total("user", "u", USER_INLINE_TOTAL, [], &spaced).is_ok());
        let err =
            check_inline_total("user", "u", USER_INLINE_TOTAL, [], &policy_of(2049)).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_ref(), err.message.as_str()),
            (
                StatusCode::CONFLICT,
                "LimitExceeded",
                "Maximum policy size of 2048 bytes exceeded for user u"
            )
        );
        let half = policy_of(1100);
        assert!(
            check_inline_total("group", "g", GROUP_INLINE_TOTAL, [half.as_str()], &half).is_ok()
        );
        assert!(
            check_inline_total("user", "u", USER_INLINE_TOTAL, [half.as_str()], &half).is_err()
        );
    }

    #[test]
    fn a_document_longer_than_the_api_allows_is_a_validation_error() {
        let long = " ".repeat(DOCUMENT_MAX_LENGTH + 1);
        let err = check_document_length(&long).unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert!(
            err.message
                .ends_with("Member must have length less than or equal to 131072"),
            "{}",
            err.message
        );
    }
}

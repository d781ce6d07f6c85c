//! AWS errors as the lab explains them: AWS's own code and words, and whether waiting
//! could help.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use vaultlab_wire::aws_xml::xml_element;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsCallError {
    /// AWS's error code (`AuthFailure`, `UnauthorizedOperation`…), or `Unreachable`,
    /// `Timeout` when no answer came.
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
}

/// Codes for which trying again later may succeed.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

impl AwsCallError {
    /// A brand-new key that AWS has not heard of yet looks exactly like a wrong key.
    pub fn is_unknown_key(&self) -> bool {
        is_unknown_key_code(&self.code)
    }

    pub fn is_throttling(&self) -> bool {
        is_throttling_code(&self.code)
    }

    pub fn is_denied(&self) -> bool {
        matches!(self.code.as_str(), "UnauthorizedOperation" | "AccessDenied")
    }

    /// What to do next, in a sentence.
    pub fn hint(&self) -> &'static str {
        hint_for_code(&self.code)
    }
}

pub fn is_unknown_key_code(code: &str) -> bool {
    matches!(code, "AuthFailure" | "InvalidClientTokenId")
}

/// Codes AWS answers when it throttles a caller.
pub fn is_throttling_code(code: &str) -> bool {
    THROTTLING.contains(&code)
}

/// No answer at all: the code vaultlab gives a transport failure.
pub fn is_unreachable_code(code: &str) -> bool {
    matches!(code, "Unreachable" | "Timeout")
}

/// What to do next after an AWS error with this code, in a sentence.
pub fn hint_for_code(code: &str) -> &'static str {
    if is_unknown_key_code(code) {
        "AWS does not know these keys: they are wrong, deleted, or too new to have propagated yet."
    } else if matches!(code, "UnauthorizedOperation" | "AccessDenied") {
        "The keys work but their policy does not allow this action."
    } else if is_throttling_code(code) {
        "AWS is rate-limiting these calls (a request quota of the account): wait a little, then try again."
    } else if code == "SignatureDoesNotMatch" {
        "The secret key does not match the access key: check for a copy-paste slip."
    } else if is_unreachable_code(code) {
        "Check the network, the region, and the endpoint (--aws-endpoint or AWS_ENDPOINT_URL)."
    } else if code == CERTIFICATE_REFUSED {
        "The endpoint's certificate is not trusted: check the endpoint's address, and AWS_CA_BUNDLE for a private CA."
    } else {
        "See AWS's message above."
    }
}

/// An SDK error as the lab explains it. Crate-private, so no SDK type is part of the
/// crate's API.
pub(crate) fn from_sdk<E>(error: SdkError<E, HttpResponse>) -> AwsCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let http_status = error.raw_response().map(|raw| raw.status().as_u16());
    match &error {
        SdkError::TimeoutError(_) => AwsCallError {
            code: "Timeout".into(),
            message: "no answer in time".into(),
            http_status,
        },
        SdkError::DispatchFailure(_) if refused_certificate(&error).is_some() => AwsCallError {
            code: CERTIFICATE_REFUSED.into(),
            message: refused_certificate(&error).unwrap_or_default(),
            http_status,
        },
        SdkError::DispatchFailure(failure) => AwsCallError {
            code: if failure.is_timeout() {
                "Timeout"
            } else {
                "Unreachable"
            }
            .into(),
            message: innermost_cause(&error),
            http_status,
        },
        _ => {
            // Some emulators (moto's STS) wrap errors in a shape the SDK cannot
            // parse; the code and message are still in the body.
            let body = error
                .raw_response()
                .and_then(|raw| raw.body().bytes())
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let code = error
                .code()
                .map(str::to_owned)
                .or_else(|| xml_element(&body, "Code"));
            let message = error
                .message()
                .map(str::to_owned)
                .or_else(|| xml_element(&body, "Message"));
            AwsCallError {
                code: code.unwrap_or_else(|| "Unknown".to_owned()),
                message: message.unwrap_or_else(|| {
                    format!("{}", aws_sdk_ec2::error::DisplayErrorContext(&error))
                }),
                http_status,
            }
        }
    }
}

/// The certificate the server showed was refused (by the trust store, or by a room's
/// pin, whose verifier says why: its words are given as they are).
pub const CERTIFICATE_REFUSED: &str = "CertificateRefused";

/// Why the server's certificate was refused, if that is why the call failed: the words
/// of the verifier's own error (a room's pin says which fingerprint it saw), else
/// rustls's. An io::Error's `source` skips the error it wraps: that one is looked at too.
fn refused_certificate(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(refusal @ rustls::Error::InvalidCertificate(why)) =
            error.downcast_ref::<rustls::Error>()
        {
            return Some(match why {
                rustls::CertificateError::Other(other) => other.to_string(),
                _ => refusal.to_string(),
            });
        }
        cause = match error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

/// The last error in the chain: "Connection refused (os error 111)" rather than the
/// SDK's whole nested description.
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_into_what_to_do() {
        let error = |code: &str| AwsCallError {
            code: code.into(),
            message: String::new(),
            http_status: None,
        };
        assert!(error("AuthFailure").is_unknown_key());
        assert!(error("InvalidClientTokenId").is_unknown_key());
        assert!(error("RequestLimitExceeded").is_throttling());
        assert!(error("UnauthorizedOperation").is_denied());
        assert!(error("SignatureDoesNotMatch").hint().contains("secret key"));
    }

    /// What a room's pin says when the certificate is not the pinned one.
    #[derive(Debug)]
    struct NotThePinnedOne;

    impl std::fmt::Display for NotThePinnedOne {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the room's certificate does not match the fingerprint in your join line")
        }
    }

    impl std::error::Error for NotThePinnedOne {}

    #[test]
    fn a_certificate_refused_by_a_pin_is_said_in_the_pins_words_not_as_no_answer() {
        use aws_sdk_ec2::operation::describe_instances::DescribeInstancesError;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        // As the TLS stack hands a verifier's refusal up: rustls's error in an io::Error.
        let refusal = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(std::sync::Arc::new(NotThePinnedOne)),
        ));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refusal);
        let sdk: SdkError<DescribeInstancesError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        let error = from_sdk(sdk);
        assert_eq!(error.code, CERTIFICATE_REFUSED);
        assert_eq!(
            error.message,
            "the room's certificate does not match the fingerprint in your join line"
        );
        assert!(!is_unreachable_code(&error.code));
    }
}

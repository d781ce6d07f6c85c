//! The credential scope's checks, made before any signature is computed: the date must be
//! the request's, the service the one the request is for, and the region one that the
//! service's endpoint accepts. AWS words each refusal its own way; these are its words.
//!
//! The sandbox is one endpoint standing in for several of AWS's, so a region is accepted
//! when AWS would accept it at one of the endpoints the sandbox plays:
//! - IAM is global: AWS takes `us-east-1` only; the sandbox also takes its own region,
//!   since an SDK given an endpoint URL signs with its configured region.
//! - STS answers at a global endpoint (`us-east-1`) and at one per region.
//! - EC2 answers at one endpoint per region the account has enabled. An opt-in region the
//!   account has not enabled gets EC2's plain `AuthFailure`, as in AWS.

use super::Service;
use super::ec2::{DEFAULT_REGIONS, OPT_IN_REGIONS};
use super::sigv4::Authorization;

/// The region AWS signs its global services (IAM, STS's global endpoint) for.
pub const GLOBAL_REGION: &str = "us-east-1";

/// Why a credential scope is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// The scope's date is not the day of `X-Amz-Date`.
    Date { scope: String, amz_date: String },
    /// Signed for another service than the one the request is for.
    Service { expected: &'static str },
    /// A region the service does not answer for here.
    Region { given: String },
    /// An opt-in region this account has not enabled (EC2 answers only `AuthFailure`).
    RegionNotEnabled,
}

impl ScopeError {
    /// AWS's message (its trailing space included, as AWS sends it).
    pub fn message(&self) -> Option<String> {
        match self {
            Self::Date { scope, amz_date } => Some(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{}', from '{amz_date}'.",
                amz_date.get(..8).unwrap_or(amz_date)
            )),
            Self::Service { expected } => Some(format!(
                "Credential should be scoped to correct service: '{expected}'. "
            )),
            Self::Region { given } => Some(format!(
                "Credential should be scoped to a valid region, not '{given}'. "
            )),
            Self::RegionNotEnabled => None,
        }
    }
}

/// Checks the scope of `auth`, a request for `service` dated `amz_date`, at a sandbox
/// whose home region is `home`.
pub fn check(
    auth: &Authorization,
    service: Service,
    home: &str,
    amz_date: &str,
) -> Result<(), ScopeError> {
    if !amz_date.starts_with(&auth.date) || auth.date.len() != 8 {
        return Err(ScopeError::Date {
            scope: auth.date.clone(),
            amz_date: amz_date.to_owned(),
        });
    }
    if auth.service != service.name() {
        return Err(ScopeError::Service {
            expected: service.name(),
        });
    }
    let region = auth.region.as_str();
    let regional = || DEFAULT_REGIONS.contains(&region);
    let accepted = region == home
        || match service {
            Service::Iam => region == GLOBAL_REGION,
            Service::Sts => region == GLOBAL_REGION || regional(),
            Service::Ec2 => regional(),
        };
    if accepted {
        Ok(())
    } else if service == Service::Ec2 && OPT_IN_REGIONS.contains(&region) {
        Err(ScopeError::RegionNotEnabled)
    } else {
        Err(ScopeError::Region {
            given: region.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(service: &str, region: &str) -> Authorization {
        Authorization {
            access_key_id: "AKIDEXAMPLE".into(),
            date: "20260105".into(),
            region: region.into(),
            service: service.into(),
            signed_headers: vec!["host".into()],
            signature: String::new(),
        }
    }

    const NOW: &str = "20260105T101010Z";

    #[test]
    fn the_service_must_be_the_one_the_request_is_for() {
        for wrong in ["s3", "lambda", "iam", "EC2", ""] {
            assert_eq!(
                check(&scoped(wrong, "us-east-1"), Service::Ec2, "us-east-1", NOW),
                Err(ScopeError::Service { expected: "ec2" }),
                "{wrong}"
            );
        }
        assert_eq!(
            check(&scoped("ec2", "us-east-1"), Service::Iam, "us-east-1", NOW)
                .unwrap_err()
                .message()
                .unwrap(),
            "Credential should be scoped to correct service: 'iam'. "
        );
    }

    #[test]
    fn iam_takes_the_global_region_and_the_sandboxs_own_only() {
        let home = "eu-west-1";
        assert!(check(&scoped("iam", "us-east-1"), Service::Iam, home, NOW).is_ok());
        assert!(check(&scoped("iam", "eu-west-1"), Service::Iam, home, NOW).is_ok());
        for wrong in ["us-west-2", "", "aws-global"] {
            assert_eq!(
                check(&scoped("iam", wrong), Service::Iam, home, NOW),
                Err(ScopeError::Region {
                    given: wrong.into()
                })
            );
        }
        assert_eq!(
            ScopeError::Region {
                given: "us-west-2".into()
            }
            .message()
            .unwrap(),
            "Credential should be scoped to a valid region, not 'us-west-2'. "
        );
    }

    #[test]
    fn ec2_and_sts_take_the_accounts_regions() {
        let home = "lab-home-1";
        for service in [Service::Ec2, Service::Sts] {
            let name = service.name();
            assert!(check(&scoped(name, "lab-home-1"), service, home, NOW).is_ok());
            assert!(check(&scoped(name, "eu-west-3"), service, home, NOW).is_ok());
            assert!(check(&scoped(name, ""), service, home, NOW).is_err());
            assert!(check(&scoped(name, "moon-1"), service, home, NOW).is_err());
        }
        assert_eq!(
            check(&scoped("ec2", "af-south-1"), Service::Ec2, home, NOW),
            Err(ScopeError::RegionNotEnabled)
        );
        assert!(check(&scoped("sts", "us-east-1"), Service::Sts, home, NOW).is_ok());
    }

    #[test]
    fn the_scope_date_must_be_the_requests_day() {
        let err = check(
            &scoped("iam", "us-east-1"),
            Service::Iam,
            "us-east-1",
            "20260106T000001Z",
        )
        .unwrap_err();
        assert_eq!(
            err.message().unwrap(),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260105' != '20260106', from '20260106T000001Z'."
        );
    }
}

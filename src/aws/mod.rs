//! vaultlab's own AWS calls, with aws-sdk-rust: checking root keys (STS), testing issued
//! keys (EC2 DescribeInstances) and looking for the IAM user Vault made (IAM). Knows
//! nothing of the UI.

pub mod calls;
pub mod clients;
pub mod error;
mod https;
pub mod profile;

pub use calls::{
    CallerIdentity, caller_identity, describe_instances, find_user_by_access_key, user_exists,
};
pub use clients::{AwsTarget, StaticKeys};
pub use error::AwsCallError;

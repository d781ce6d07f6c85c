//! vaultlab's own AWS calls, with aws-sdk-rust: checking root keys (STS), testing issued
//! keys (EC2 DescribeInstances) and looking for the IAM user Vault made (IAM). Knows
//! nothing of the UI, and nothing of the SDK leaves it: callers get plain data.
//!
//! A crate of its own so that the SDK crates, the longest to compile by far, have more
//! crates waiting on them than the crates beside them: cargo starts the most depended-on
//! crates first, and aws-sdk-ec2 then starts earlier in a cold build (56 s after it could,
//! not 120 s).

pub mod calls;
mod clients;
pub mod error;
mod https;

pub use calls::{
    CallerIdentity, caller_identity, describe_instances, find_user_by_access_key,
    simulate_iam_actions, user_exists,
};
pub use clients::{AwsTarget, StaticKeys, Trust};
pub use error::AwsCallError;
pub use https::ConfiguredHttps;

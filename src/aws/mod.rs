//! vaultlab's own AWS calls (the `vaultlab-aws` crate, where the SDK stays) and the AWS
//! CLI's shared files.

pub mod profile;

pub use vaultlab_aws::{
    AwsCallError, AwsTarget, CallerIdentity, ConfiguredHttps, StaticKeys, Trust, caller_identity,
    calls, describe_instances, error, find_user_by_access_key, simulate_iam_actions, user_exists,
};

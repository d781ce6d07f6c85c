//! The facilitator's pace, held on the server: while the room is held at step k, a seat's
//! request that would make one of the later steps is refused, whatever client sends it
//! (the lab's TUI, `join --walk`, or `bao`/`vault` and `aws` from `join --env`).
//!
//! Which request makes which step follows `progress`: 1 enabling an `aws` engine, 2
//! writing its `config/root`, 3 writing a role, 4 issuing credentials (`creds/` or `sts/`),
//! 5 an `ec2:DescribeInstances` signed by a dynamic key of a seat's account, 6 revoking a
//! lease (or a token that has leases: they go with it; see `vault::room_ops`). Everything else (reads, lists, lookups, renewals, the learner's own `config/lease`)
//! stays open. The room's root token is never held; the engine's own IAM calls neither.
//!
//! Why not the seat's ACL policy: a policy cannot say "a mount of type aws" (step 1 is
//! any path with that type) nor give its reason (Vault's ACL refusal is a bare
//! "permission denied"). So the check sits beside the ACL check, after it, and answers
//! Vault's 403 with the reason; on the AWS side, EC2's refusal of an action.

use crate::vault::http::Operation;

/// What each step is, as the refusals name it.
const STEP_NAMES: [&str; 6] = [
    "enable the aws engine",
    "write aws/config/root",
    "write a role",
    "read credentials",
    "use the dynamic keys",
    "revoke the lease",
];

/// The words every refusal of a held step has.
const HOLDS: &str = "the facilitator holds the room at step ";

/// Whether a refusal's message is the pace's (not a learner's mistake).
pub fn is_hold(message: &str) -> bool {
    message.contains(HOLDS)
}

/// What the refusal of a held step says (after Vault's "permission denied: ").
pub fn reason(pace: u8, step: u8) -> String {
    let name = STEP_NAMES
        .get(usize::from(step).saturating_sub(1))
        .copied()
        .unwrap_or("this step");
    format!("{HOLDS}{pace}; step {step} ({name}) opens when they say so")
}

/// Vault's words for a held request, as its 403 body's one error.
pub fn vault_refusal(pace: u8, step: u8) -> String {
    format!("permission denied: {}", reason(pace, step))
}

/// The step a seat's Vault request would make, if any. `path` is relative to the
/// request's namespace; `mount_type` is the `type` of a `sys/mounts/…` write;
/// `aws_rest` gives the rest of `path` under the namespace's `aws` mount it falls in.
pub fn vault_step(
    operation: Operation,
    path: &str,
    mount_type: Option<&str>,
    aws_rest: impl FnOnce(&str) -> Option<String>,
) -> Option<u8> {
    if let Some(sys) = path.strip_prefix("sys/") {
        return sys_step(operation, sys, mount_type);
    }
    let rest = aws_rest(path)?;
    let rest = rest.trim_start_matches('/');
    let named = |prefix: &str| {
        rest.strip_prefix(prefix)
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
    };
    match operation {
        Operation::Update if rest == "config/root" => Some(2),
        Operation::Update if named("roles/") => Some(3),
        Operation::Read | Operation::Update if named("creds/") || named("sts/") => Some(4),
        _ => None,
    }
}

fn sys_step(operation: Operation, sys: &str, mount_type: Option<&str>) -> Option<u8> {
    if operation != Operation::Update {
        return None;
    }
    if let Some(mount) = sys.strip_prefix("mounts/") {
        let tune = mount.trim_end_matches('/').ends_with("/tune");
        return (!tune && mount_type == Some("aws")).then_some(1);
    }
    // `sys/leases/revoke…` and the old `sys/revoke…` aliases (prefix and force too).
    let lease_op = sys.strip_prefix("leases/").unwrap_or(sys);
    let head = lease_op.split('/').next().unwrap_or("");
    matches!(head, "revoke" | "revoke-prefix" | "revoke-force").then_some(6)
}

/// Whether an AWS request makes step 5: `ec2:DescribeInstances` signed by a dynamic key
/// (one the engine made) of an account that is a room seat's.
pub fn aws_makes_step_5(action: &str, dynamic_key: bool, account_namespace: &str) -> bool {
    action == "DescribeInstances"
        && dynamic_key
        && account_namespace.starts_with(super::ROOM_NAMESPACE)
}

/// EC2's words for a held DescribeInstances (its refusal of an action is
/// `UnauthorizedOperation`, 403).
pub fn ec2_refusal(pace: u8) -> String {
    format!(
        "You are not authorized to perform this operation: {}.",
        reason(pace, 5)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation::*;

    fn under_aws(path: &str) -> Option<String> {
        path.strip_prefix("aws/").map(str::to_owned)
    }

    fn step(operation: Operation, path: &str, mount_type: Option<&str>) -> Option<u8> {
        vault_step(operation, path, mount_type, under_aws)
    }

    #[test]
    fn each_step_is_the_request_that_makes_it() {
        assert_eq!(step(Update, "sys/mounts/aws", Some("aws")), Some(1));
        assert_eq!(step(Update, "sys/mounts/other", Some("aws")), Some(1));
        assert_eq!(step(Update, "aws/config/root", None), Some(2));
        assert_eq!(step(Update, "aws/roles/my-role", None), Some(3));
        assert_eq!(step(Read, "aws/creds/my-role", None), Some(4));
        assert_eq!(step(Update, "aws/creds/my-role", None), Some(4));
        assert_eq!(step(Update, "aws/sts/my-role", None), Some(4));
        for revoke in [
            "sys/leases/revoke",
            "sys/leases/revoke/aws/creds/r/x",
            "sys/revoke/aws/creds/r/x",
            "sys/leases/revoke-prefix/aws/",
            "sys/revoke-force/aws/",
        ] {
            assert_eq!(step(Update, revoke, None), Some(6), "{revoke}");
        }
        assert!(aws_makes_step_5("DescribeInstances", true, "room/ada/"));
    }

    #[test]
    fn reads_lists_and_other_writes_stay_open() {
        for (operation, path, mount_type) in [
            (Read, "sys/mounts", None),
            (Read, "sys/mounts/aws", None),
            (Update, "sys/mounts/aws/tune", None),
            (Update, "sys/mounts/kv", Some("kv")),
            (Delete, "sys/mounts/aws", None),
            (Read, "aws/config/root", None),
            (Update, "aws/config/lease", None),
            (Read, "aws/roles/my-role", None),
            (List, "aws/roles/", None),
            (Delete, "aws/roles/my-role", None),
            (Update, "sys/leases/lookup", None),
            (List, "sys/leases/lookup/aws/creds/", None),
            (Update, "sys/leases/renew", None),
            (Update, "sys/capabilities-self", None),
            (Update, "auth/token/lookup-self", None),
            (Update, "kv/config/root", None),
        ] {
            assert_eq!(step(operation, path, mount_type), None, "{path}");
        }
        assert!(!aws_makes_step_5("DescribeInstances", false, "room/ada/"));
        assert!(!aws_makes_step_5("DescribeInstances", true, ""));
        assert!(!aws_makes_step_5("DescribeRegions", true, "room/ada/"));
    }

    #[test]
    fn the_refusal_names_the_pace_and_the_step() {
        assert_eq!(
            vault_refusal(2, 4),
            "permission denied: the facilitator holds the room at step 2; step 4 (read credentials) opens when they say so"
        );
        assert!(ec2_refusal(4).contains("step 5 (use the dynamic keys)"));
        assert!(is_hold(&vault_refusal(1, 2)) && is_hold(&ec2_refusal(3)));
        assert!(!is_hold("1 error occurred:\n\t* permission denied\n\n"));
    }
}

//! An account's users, groups and their policies, with AWS's rules. Every operation names
//! the account it works in: a name that exists only in another account is not found.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use super::super::error::{ApiError, ApiResult};
use super::super::{managed, quotas};
use super::{
    AwsState, BASE32, Group, User, check_name, check_path, ensure_new, now_seconds, random_from,
    row_key, rows_of,
};

impl AwsState {
    pub fn user(&self, account: &str, name: &str) -> ApiResult<&User> {
        self.users
            .get(&row_key(account, name))
            .ok_or_else(|| ApiError::no_such_user(name))
    }

    pub(super) fn user_mut(&mut self, account: &str, name: &str) -> ApiResult<&mut User> {
        self.users
            .get_mut(&row_key(account, name))
            .ok_or_else(|| ApiError::no_such_user(name))
    }

    /// The account's users, by name.
    pub fn users_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a User> + 'a {
        self.users
            .with_prefix(rows_of(account))
            .map(|(_, user)| user)
    }

    pub fn group(&self, account: &str, name: &str) -> ApiResult<&Group> {
        self.groups
            .get(&row_key(account, name))
            .ok_or_else(|| ApiError::no_such_group(name))
    }

    pub fn create_user(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<&User> {
        check_name("userName", name, 64)?;
        check_path(path)?;
        ensure_new(
            "User",
            self.users_of(account).map(|u| u.name.as_str()),
            name,
        )?;
        let user = User {
            account: account.into(),
            name: name.into(),
            id: format!("AIDA{}", random_from(BASE32, 17)),
            path: path.into(),
            created: now_seconds(now),
            inline_policies: BTreeMap::new(),
            attached_policies: Vec::new(),
            groups: BTreeSet::new(),
            tags: Vec::new(),
            permissions_boundary: None,
        };
        Ok(self.users.insert_and_get(row_key(account, name), user))
    }

    pub fn set_user_extras(
        &mut self,
        account: &str,
        name: &str,
        tags: Vec<(String, String)>,
        boundary: Option<String>,
    ) -> ApiResult<()> {
        let user = self.user_mut(account, name)?;
        user.tags = tags;
        user.permissions_boundary = boundary;
        Ok(())
    }

    /// Adds tags, replacing the value of keys already present (TagUser).
    pub fn tag_user(
        &mut self,
        account: &str,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> ApiResult<()> {
        let user = self.user_mut(account, name)?;
        for (key, value) in tags {
            match user.tags.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => user.tags.push((key, value)),
            }
        }
        Ok(())
    }

    pub fn untag_user(&mut self, account: &str, name: &str, keys: &[&str]) -> ApiResult<()> {
        self.user_mut(account, name)?
            .tags
            .retain(|(k, _)| !keys.contains(&k.as_str()));
        Ok(())
    }

    /// AWS refuses while anything still hangs off the user; Vault's revocation deletes
    /// keys, policies and memberships first and relies on this check.
    pub fn delete_user(&mut self, account: &str, name: &str) -> ApiResult<()> {
        let user = self.user(account, name)?;
        if !user.attached_policies.is_empty() {
            return Err(ApiError::delete_conflict("detach all policies"));
        }
        if !user.inline_policies.is_empty() {
            return Err(ApiError::delete_conflict("delete policies"));
        }
        if !self.keys_of(account, name).is_empty() {
            return Err(ApiError::delete_conflict("delete access keys"));
        }
        if !user.groups.is_empty() {
            return Err(ApiError::delete_conflict("remove users from group"));
        }
        self.users.remove(&row_key(account, name));
        Ok(())
    }

    pub fn put_user_policy(
        &mut self,
        account: &str,
        user: &str,
        policy: &str,
        document: &str,
    ) -> ApiResult<()> {
        check_inline_policy(policy, document)?;
        let user = self.user_mut(account, user)?;
        let quota = (quotas::USER_INLINE_TOTAL, "user", user.name.as_str());
        put_inline(&mut user.inline_policies, quota, policy, document)
    }

    pub fn user_policy(&self, account: &str, user: &str, policy: &str) -> ApiResult<&str> {
        inline(&self.user(account, user)?.inline_policies, "user", policy)
    }

    pub fn delete_user_policy(&mut self, account: &str, user: &str, policy: &str) -> ApiResult<()> {
        self.user_policy(account, user, policy)?;
        self.user_mut(account, user)?.inline_policies.remove(policy);
        Ok(())
    }

    pub fn attach_user_policy(&mut self, account: &str, user: &str, arn: &str) -> ApiResult<()> {
        self.user(account, user)?;
        if managed::lookup(arn).is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchEntity",
                format!("Policy {arn} does not exist or is not attachable."),
            ));
        }
        let user = self.user_mut(account, user)?;
        if !user.attached_policies.iter().any(|a| a == arn) {
            user.attached_policies.push(arn.into());
        }
        Ok(())
    }

    pub fn detach_user_policy(&mut self, account: &str, user: &str, arn: &str) -> ApiResult<()> {
        let user = self.user_mut(account, user)?;
        let before = user.attached_policies.len();
        user.attached_policies.retain(|a| a != arn);
        if user.attached_policies.len() == before {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchEntity",
                format!("Policy {arn} was not found."),
            ));
        }
        Ok(())
    }

    pub fn create_group(
        &mut self,
        account: &str,
        name: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<&Group> {
        check_name("groupName", name, 128)?;
        check_path(path)?;
        ensure_new(
            "Group",
            self.groups
                .with_prefix(rows_of(account))
                .map(|(_, g)| g.name.as_str()),
            name,
        )?;
        let group = Group {
            account: account.into(),
            name: name.into(),
            id: format!("AGPA{}", random_from(BASE32, 17)),
            path: path.into(),
            created: now_seconds(now),
            inline_policies: BTreeMap::new(),
        };
        Ok(self.groups.insert_and_get(row_key(account, name), group))
    }

    pub fn group_members(&self, account: &str, group: &str) -> Vec<&User> {
        self.users_of(account)
            .filter(|u| u.groups.contains(group))
            .collect()
    }

    pub fn delete_group(&mut self, account: &str, name: &str) -> ApiResult<()> {
        let group = self.group(account, name)?;
        if !self.group_members(account, name).is_empty() {
            return Err(ApiError::delete_conflict("remove users from group"));
        }
        if !group.inline_policies.is_empty() {
            return Err(ApiError::delete_conflict("delete policies"));
        }
        self.groups.remove(&row_key(account, name));
        Ok(())
    }

    pub fn put_group_policy(
        &mut self,
        account: &str,
        group: &str,
        policy: &str,
        document: &str,
    ) -> ApiResult<()> {
        check_inline_policy(policy, document)?;
        let group = self
            .groups
            .get_mut(&row_key(account, group))
            .ok_or_else(|| ApiError::no_such_group(group))?;
        let quota = (quotas::GROUP_INLINE_TOTAL, "group", group.name.as_str());
        put_inline(&mut group.inline_policies, quota, policy, document)
    }

    pub fn group_policy(&self, account: &str, group: &str, policy: &str) -> ApiResult<&str> {
        inline(
            &self.group(account, group)?.inline_policies,
            "group",
            policy,
        )
    }

    pub fn delete_group_policy(
        &mut self,
        account: &str,
        group: &str,
        policy: &str,
    ) -> ApiResult<()> {
        self.group_policy(account, group, policy)?;
        if let Some(g) = self.groups.get_mut(&row_key(account, group)) {
            g.inline_policies.remove(policy);
        }
        Ok(())
    }

    pub fn add_user_to_group(&mut self, account: &str, group: &str, user: &str) -> ApiResult<()> {
        self.group(account, group)?;
        self.user_mut(account, user)?.groups.insert(group.into());
        Ok(())
    }

    pub fn remove_user_from_group(
        &mut self,
        account: &str,
        group: &str,
        user: &str,
    ) -> ApiResult<()> {
        self.group(account, group)?;
        if !self.user_mut(account, user)?.groups.remove(group) {
            return Err(ApiError::no_such_user(user));
        }
        Ok(())
    }
}

/// A policy name and document AWS takes as an inline policy.
fn check_inline_policy(policy: &str, document: &str) -> ApiResult<()> {
    check_name("policyName", policy, 128)?;
    quotas::check_document_length(document)?;
    super::super::policy::validate(document).map_err(|m| ApiError::malformed_policy(&m))
}

/// Puts (or replaces) an inline policy of a user or a group, within the total size AWS
/// allows the owner's inline policies: `quota` is (that total, "user"/"group", its name).
fn put_inline(
    policies: &mut BTreeMap<String, String>,
    (total, kind, owner): (usize, &str, &str),
    policy: &str,
    document: &str,
) -> ApiResult<()> {
    let others = policies
        .iter()
        .filter(|(name, _)| *name != policy)
        .map(|(_, doc)| doc.as_str());
    quotas::check_inline_total(kind, owner, total, others, document)?;
    policies.insert(policy.into(), document.into());
    Ok(())
}

/// An inline policy of a user or a group (`kind`), or AWS's NoSuchEntity.
fn inline<'a>(
    policies: &'a BTreeMap<String, String>,
    kind: &str,
    policy: &str,
) -> ApiResult<&'a str> {
    policies.get(policy).map(String::as_str).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchEntity",
            format!("The {kind} policy with name {policy} cannot be found."),
        )
    })
}

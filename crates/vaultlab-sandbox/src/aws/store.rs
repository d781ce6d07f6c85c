//! The account's IAM data (users, groups, policies, access keys) and the rules AWS applies
//! when it changes. Pure: the clock comes in as an argument.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::{managed, quotas};
use crate::persist::TrackedMap;
use vaultlab_wire::secret::PersistedSecret;

pub const ADMIN_USER: &str = "vaultlab-admin";
const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// AWS's quota of access keys per IAM user.
pub const KEYS_PER_USER: usize = 2;

/// Everything the endpoint knows: the account, its IAM users, groups, policies and keys.
/// Persisted by the sandbox's `--state` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsState {
    pub account_id: String,
    /// Name of the user whose keys are the lab's "root keys".
    #[serde(default)]
    pub admin_user: String,
    #[serde(default)]
    pub users: TrackedMap<User>,
    #[serde(default)]
    pub groups: TrackedMap<Group>,
    /// By access key id.
    #[serde(default)]
    pub access_keys: TrackedMap<AccessKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// Managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub groups: BTreeSet<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: PersistedSecret,
    pub user_name: String,
    pub active: bool,
    pub created: DateTime<Utc>,
    /// IAM is eventually consistent: the key authenticates only from this instant.
    pub valid_from: DateTime<Utc>,
}

impl AccessKey {
    pub fn status(&self) -> &'static str {
        if self.active { "Active" } else { "Inactive" }
    }
}

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

fn now_seconds(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(0)
}

/// `[\w+=,.@-]{1,max}`: IAM's rule for user, group and policy names.
fn valid_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn check_name(member: &str, name: &str, max: usize) -> ApiResult<()> {
    if valid_name(name, max) {
        Ok(())
    } else {
        Err(ApiError::iam_invalid(
            member,
            name,
            &format!(
                "Member must satisfy regular expression pattern: [\\w+=,.@-]+ and length between 1 and {max}"
            ),
        ))
    }
}

fn check_path(path: &str) -> ApiResult<()> {
    if path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.chars().all(|c| ('!'..='~').contains(&c))
    {
        Ok(())
    } else {
        Err(ApiError::iam_invalid(
            "path",
            path,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ))
    }
}

impl AwsState {
    /// A fresh account with one admin IAM user (allowed `*` on `*`) and its access key,
    /// valid at once: the lab's "root keys".
    pub fn new_account() -> Self {
        let mut rng = rand::rng();
        let account_id = format!(
            "{}{}",
            rng.random_range(1..=9),
            random_from(b"0123456789", 11)
        );
        let mut state = Self {
            account_id,
            admin_user: ADMIN_USER.into(),
            users: TrackedMap::new(),
            groups: TrackedMap::new(),
            access_keys: TrackedMap::new(),
        };
        let now = Utc::now();
        state
            .create_user(ADMIN_USER, "/", now)
            .expect("fresh account has no users");
        state
            .put_user_policy(ADMIN_USER, "vaultlab-admin", ADMIN_POLICY)
            .expect("admin user exists");
        state
            .create_access_key(ADMIN_USER, now, Duration::ZERO)
            .expect("admin user exists");
        state
    }

    /// Makes sure the admin user and an access key of it exist (a learner may have deleted
    /// them through the API); true when something was created.
    pub fn ensure_admin_key(&mut self, now: DateTime<Utc>) -> bool {
        if self.admin_user.is_empty() {
            self.admin_user = ADMIN_USER.into();
        }
        if self.admin_key().is_some() {
            return false;
        }
        let admin = self.admin_user.clone();
        if !self.users.contains_key(&admin) {
            let _ = self.create_user(&admin, "/", now);
        }
        if let Ok(user) = self.user_mut(&admin) {
            user.inline_policies
                .insert("vaultlab-admin".into(), ADMIN_POLICY.into());
        }
        let _ = self.create_access_key(&admin, now, Duration::ZERO);
        true
    }

    pub fn user_arn(&self, user: &User) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account_id, user.path, user.name
        )
    }

    pub fn group_arn(&self, group: &Group) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account_id, group.path, group.name
        )
    }

    pub fn user(&self, name: &str) -> ApiResult<&User> {
        self.users
            .get(name)
            .ok_or_else(|| ApiError::no_such_user(name))
    }

    fn user_mut(&mut self, name: &str) -> ApiResult<&mut User> {
        self.users
            .get_mut(name)
            .ok_or_else(|| ApiError::no_such_user(name))
    }

    pub fn group(&self, name: &str) -> ApiResult<&Group> {
        self.groups
            .get(name)
            .ok_or_else(|| ApiError::no_such_group(name))
    }

    /// The admin user's oldest access key (the lab's root keys): stable even if the admin
    /// makes a second key.
    pub fn admin_key(&self) -> Option<&AccessKey> {
        self.access_keys
            .values()
            .filter(|k| k.user_name == self.admin_user)
            .min_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)))
    }

    /// The key and its user if `key_id` authenticates at `now`: it exists, has propagated,
    /// is Active and its user still exists. Anything else is "unknown" to the caller.
    pub fn authenticate(&self, key_id: &str, now: DateTime<Utc>) -> Option<(&AccessKey, &User)> {
        let key = self.access_keys.get(key_id)?;
        if !key.active || now < key.valid_from {
            return None;
        }
        Some((key, self.users.get(&key.user_name)?))
    }

    /// Every policy document that applies to `user`: inline, attached managed, groups' inline.
    pub fn policies_for<'a>(&'a self, user: &'a User) -> Vec<&'a str> {
        let mut docs: Vec<&str> = user.inline_policies.values().map(String::as_str).collect();
        docs.extend(
            user.attached_policies
                .iter()
                .filter_map(|arn| managed::lookup(arn).map(|p| p.document)),
        );
        for group in user.groups.iter().filter_map(|g| self.groups.get(g)) {
            docs.extend(group.inline_policies.values().map(String::as_str));
        }
        docs
    }

    pub fn create_user(&mut self, name: &str, path: &str, now: DateTime<Utc>) -> ApiResult<&User> {
        check_name("userName", name, 64)?;
        check_path(path)?;
        ensure_new("User", self.users.keys(), name)?;
        let user = User {
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
        Ok(self.users.insert_and_get(name.into(), user))
    }

    pub fn set_user_extras(
        &mut self,
        name: &str,
        tags: Vec<(String, String)>,
        boundary: Option<String>,
    ) -> ApiResult<()> {
        let user = self.user_mut(name)?;
        user.tags = tags;
        user.permissions_boundary = boundary;
        Ok(())
    }

    /// Adds tags, replacing the value of keys already present (TagUser).
    pub fn tag_user(&mut self, name: &str, tags: Vec<(String, String)>) -> ApiResult<()> {
        let user = self.user_mut(name)?;
        for (key, value) in tags {
            match user.tags.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => user.tags.push((key, value)),
            }
        }
        Ok(())
    }

    pub fn untag_user(&mut self, name: &str, keys: &[&str]) -> ApiResult<()> {
        self.user_mut(name)?
            .tags
            .retain(|(k, _)| !keys.contains(&k.as_str()));
        Ok(())
    }

    /// AWS refuses while anything still hangs off the user; Vault's revocation deletes
    /// keys, policies and memberships first and relies on this check.
    pub fn delete_user(&mut self, name: &str) -> ApiResult<()> {
        let user = self.user(name)?;
        if !user.attached_policies.is_empty() {
            return Err(ApiError::delete_conflict("detach all policies"));
        }
        if !user.inline_policies.is_empty() {
            return Err(ApiError::delete_conflict("delete policies"));
        }
        if self.access_keys.values().any(|k| k.user_name == name) {
            return Err(ApiError::delete_conflict("delete access keys"));
        }
        if !user.groups.is_empty() {
            return Err(ApiError::delete_conflict("remove users from group"));
        }
        self.users.remove(name);
        Ok(())
    }

    pub fn put_user_policy(&mut self, user: &str, policy: &str, document: &str) -> ApiResult<()> {
        check_name("policyName", policy, 128)?;
        quotas::check_document_length(document)?;
        super::policy::validate(document).map_err(|m| ApiError::malformed_policy(&m))?;
        let user = self.user_mut(user)?;
        let others = user
            .inline_policies
            .iter()
            .filter(|(name, _)| *name != policy);
        quotas::check_inline_total(
            "user",
            &user.name,
            quotas::USER_INLINE_TOTAL,
            others.map(|(_, doc)| doc.as_str()),
            document,
        )?;
        user.inline_policies.insert(policy.into(), document.into());
        Ok(())
    }

    pub fn user_policy(&self, user: &str, policy: &str) -> ApiResult<&str> {
        self.user(user)?
            .inline_policies
            .get(policy)
            .map(String::as_str)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    format!("The user policy with name {policy} cannot be found."),
                )
            })
    }

    pub fn delete_user_policy(&mut self, user: &str, policy: &str) -> ApiResult<()> {
        self.user_policy(user, policy)?;
        self.user_mut(user)?.inline_policies.remove(policy);
        Ok(())
    }

    pub fn attach_user_policy(&mut self, user: &str, arn: &str) -> ApiResult<()> {
        self.user(user)?;
        if managed::lookup(arn).is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchEntity",
                format!("Policy {arn} does not exist or is not attachable."),
            ));
        }
        let user = self.user_mut(user)?;
        if !user.attached_policies.iter().any(|a| a == arn) {
            user.attached_policies.push(arn.into());
        }
        Ok(())
    }

    pub fn detach_user_policy(&mut self, user: &str, arn: &str) -> ApiResult<()> {
        let user = self.user_mut(user)?;
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
        name: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<&Group> {
        check_name("groupName", name, 128)?;
        check_path(path)?;
        ensure_new("Group", self.groups.keys(), name)?;
        let group = Group {
            name: name.into(),
            id: format!("AGPA{}", random_from(BASE32, 17)),
            path: path.into(),
            created: now_seconds(now),
            inline_policies: BTreeMap::new(),
        };
        Ok(self.groups.insert_and_get(name.into(), group))
    }

    pub fn group_members(&self, group: &str) -> Vec<&User> {
        self.users
            .values()
            .filter(|u| u.groups.contains(group))
            .collect()
    }

    pub fn delete_group(&mut self, name: &str) -> ApiResult<()> {
        let group = self.group(name)?;
        if !self.group_members(name).is_empty() {
            return Err(ApiError::delete_conflict("remove users from group"));
        }
        if !group.inline_policies.is_empty() {
            return Err(ApiError::delete_conflict("delete policies"));
        }
        self.groups.remove(name);
        Ok(())
    }

    pub fn put_group_policy(&mut self, group: &str, policy: &str, document: &str) -> ApiResult<()> {
        check_name("policyName", policy, 128)?;
        quotas::check_document_length(document)?;
        super::policy::validate(document).map_err(|m| ApiError::malformed_policy(&m))?;
        let group = self
            .groups
            .get_mut(group)
            .ok_or_else(|| ApiError::no_such_group(group))?;
        let others = group
            .inline_policies
            .iter()
            .filter(|(name, _)| *name != policy);
        quotas::check_inline_total(
            "group",
            &group.name,
            quotas::GROUP_INLINE_TOTAL,
            others.map(|(_, doc)| doc.as_str()),
            document,
        )?;
        group.inline_policies.insert(policy.into(), document.into());
        Ok(())
    }

    pub fn group_policy(&self, group: &str, policy: &str) -> ApiResult<&str> {
        self.group(group)?
            .inline_policies
            .get(policy)
            .map(String::as_str)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    format!("The group policy with name {policy} cannot be found."),
                )
            })
    }

    pub fn delete_group_policy(&mut self, group: &str, policy: &str) -> ApiResult<()> {
        self.group_policy(group, policy)?;
        if let Some(g) = self.groups.get_mut(group) {
            g.inline_policies.remove(policy);
        }
        Ok(())
    }

    pub fn add_user_to_group(&mut self, group: &str, user: &str) -> ApiResult<()> {
        self.group(group)?;
        self.user_mut(user)?.groups.insert(group.into());
        Ok(())
    }

    pub fn remove_user_from_group(&mut self, group: &str, user: &str) -> ApiResult<()> {
        self.group(group)?;
        if !self.user_mut(user)?.groups.remove(group) {
            return Err(ApiError::no_such_user(user));
        }
        Ok(())
    }

    pub fn create_access_key(
        &mut self,
        user: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> ApiResult<&AccessKey> {
        self.user(user)?;
        if self.keys_of(user).len() >= KEYS_PER_USER {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "LimitExceeded",
                format!("Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"),
            ));
        }
        let id = loop {
            let id = format!("AKIA{}", random_from(BASE32, 16));
            if !self.access_keys.contains_key(&id) {
                break id;
            }
        };
        let key = AccessKey {
            id: id.clone(),
            secret: PersistedSecret::new(random_from(SECRET_CHARS, 40)),
            user_name: user.into(),
            active: true,
            created: now_seconds(now),
            valid_from: chrono::Duration::from_std(delay)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        };
        Ok(self.access_keys.insert_and_get(id, key))
    }

    pub fn keys_of(&self, user: &str) -> Vec<&AccessKey> {
        self.access_keys
            .values()
            .filter(|k| k.user_name == user)
            .collect()
    }

    fn key_of_user_mut(&mut self, user: &str, id: &str) -> ApiResult<&mut AccessKey> {
        self.user(user)?;
        self.access_keys
            .get_mut(id)
            .filter(|k| k.user_name == user)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    format!("The Access Key with id {id} cannot be found."),
                )
            })
    }

    pub fn delete_access_key(&mut self, user: &str, id: &str) -> ApiResult<()> {
        self.key_of_user_mut(user, id)?;
        self.access_keys.remove(id);
        Ok(())
    }

    pub fn update_access_key(&mut self, user: &str, id: &str, active: bool) -> ApiResult<()> {
        self.key_of_user_mut(user, id)?.active = active;
        Ok(())
    }
}

/// IAM names are unique case-insensitively: `EntityAlreadyExists` otherwise.
fn ensure_new<'a>(
    kind: &str,
    mut existing: impl Iterator<Item = &'a String>,
    name: &str,
) -> ApiResult<()> {
    if existing.any(|other| other.eq_ignore_ascii_case(name)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "EntityAlreadyExists",
            format!("{kind} with name {name} already exists."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_account_has_an_admin_with_a_key_valid_at_once() {
        let state = AwsState::new_account();
        assert_eq!(state.account_id.len(), 12);
        assert!(state.account_id.chars().all(|c| c.is_ascii_digit()));
        let key = state.admin_key().unwrap();
        assert!(key.id.starts_with("AKIA") && key.id.len() == 20);
        assert_eq!(key.secret.expose().len(), 40);
        let (_, user) = state.authenticate(&key.id, Utc::now()).unwrap();
        assert_eq!(user.name, ADMIN_USER);
        assert!(user.id.starts_with("AIDA"));
        assert_eq!(
            state.user_arn(user),
            format!("arn:aws:iam::{}:user/vaultlab-admin", state.account_id)
        );
    }

    #[test]
    fn keys_propagate_after_the_delay_and_die_with_deletion() {
        let mut state = AwsState::new_account();
        let now = Utc::now();
        state.create_user("u", "/", now).unwrap();
        let id = state
            .create_access_key("u", now, Duration::from_secs(5))
            .unwrap()
            .id
            .clone();
        assert!(state.authenticate(&id, now).is_none());
        assert!(
            state
                .authenticate(&id, now + chrono::Duration::seconds(5))
                .is_some()
        );
        state.update_access_key("u", &id, false).unwrap();
        assert!(
            state
                .authenticate(&id, now + chrono::Duration::seconds(6))
                .is_none()
        );
        state.delete_access_key("u", &id).unwrap();
        assert!(!state.access_keys.contains_key(&id));
    }

    #[test]
    fn a_huge_propagation_delay_means_never_rather_than_a_panic() {
        let mut state = AwsState::new_account();
        let now = Utc::now();
        state.create_user("u", "/", now).unwrap();
        let id = state
            .create_access_key("u", now, Duration::MAX)
            .unwrap()
            .id
            .clone();
        assert!(
            state
                .authenticate(&id, now + chrono::Duration::days(36500))
                .is_none()
        );
    }

    #[test]
    fn admin_key_survives_a_second_key_and_is_recreated_when_deleted() {
        let mut state = AwsState::new_account();
        let first = state.admin_key().unwrap().id.clone();
        let later = Utc::now() + chrono::Duration::seconds(5);
        state
            .create_access_key(ADMIN_USER, later, Duration::ZERO)
            .unwrap();
        assert_eq!(state.admin_key().unwrap().id, first);
        assert!(!state.ensure_admin_key(later));
        for id in state
            .keys_of(ADMIN_USER)
            .iter()
            .map(|k| k.id.clone())
            .collect::<Vec<_>>()
        {
            state.delete_access_key(ADMIN_USER, &id).unwrap();
        }
        assert!(state.ensure_admin_key(later));
        assert!(
            state
                .authenticate(&state.admin_key().unwrap().id, later)
                .is_some()
        );
    }

    #[test]
    fn delete_user_conflicts_until_everything_is_gone() {
        let mut state = AwsState::new_account();
        let now = Utc::now();
        state.create_user("u", "/", now).unwrap();
        state.put_user_policy("u", "p", ADMIN_POLICY).unwrap();
        let id = state
            .create_access_key("u", now, Duration::ZERO)
            .unwrap()
            .id
            .clone();
        state.create_group("g", "/", now).unwrap();
        state.add_user_to_group("g", "u").unwrap();
        let err = state.delete_user("u").unwrap_err();
        assert_eq!(
            (err.code.as_ref(), err.message.as_str()),
            (
                "DeleteConflict",
                "Cannot delete entity, must delete policies first."
            )
        );
        state.delete_user_policy("u", "p").unwrap();
        assert!(
            state
                .delete_user("u")
                .unwrap_err()
                .message
                .contains("access keys")
        );
        state.delete_access_key("u", &id).unwrap();
        assert!(
            state
                .delete_user("u")
                .unwrap_err()
                .message
                .contains("group")
        );
        state.remove_user_from_group("g", "u").unwrap();
        state.delete_user("u").unwrap();
        assert_eq!(state.user("u").unwrap_err().code, "NoSuchEntity");
    }

    #[test]
    fn names_keys_and_duplicates_follow_iam_rules() {
        let mut state = AwsState::new_account();
        let now = Utc::now();
        assert_eq!(
            state.create_user("bad name", "/", now).unwrap_err().code,
            "ValidationError"
        );
        assert_eq!(
            state
                .create_user(&"a".repeat(65), "/", now)
                .unwrap_err()
                .code,
            "ValidationError"
        );
        state
            .create_user("vault-root-my-role-1763900000-abc", "/", now)
            .unwrap();
        let err = state
            .create_user("VAULT-root-my-role-1763900000-abc", "/", now)
            .unwrap_err();
        assert_eq!(err.status, StatusCode::CONFLICT);
        state
            .create_access_key("vaultlab-admin", now, Duration::ZERO)
            .unwrap();
        let err = state
            .create_access_key("vaultlab-admin", now, Duration::ZERO)
            .unwrap_err();
        assert_eq!(err.message, "Cannot exceed quota for AccessKeysPerUser: 2");
    }

    #[test]
    fn state_round_trips_through_json() {
        let state = AwsState::new_account();
        let json = serde_json::to_string(&state).unwrap();
        let back: AwsState = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.admin_key().unwrap().secret,
            state.admin_key().unwrap().secret
        );
        assert_eq!(back.users.len(), 1);
    }
}

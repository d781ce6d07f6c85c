//! The IAM data of every account the endpoint serves (users, groups, policies, access
//! keys) and the rules AWS applies when it changes. Pure: the clock comes in as an argument.
//!
//! The endpoint holds several accounts: the default one (the account `vaultlab sandbox`
//! prints keys for) and one per room seat. Every account has its own id, its own admin user
//! (whose key is that account's "root keys") and its own users, groups and keys. Rows are
//! keyed `<account id>/<name>`, so an account's rows are a range of the table; an access
//! key is keyed by its id (unique over all accounts) and names its account, which is how a
//! request's account is known: from the key that signed it.
//!
//! Per-account operations are in `entities` (users, policies, groups) and `keys`.

mod entities;
mod keys;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use crate::persist::TrackedMap;
use vaultlab_wire::secret::PersistedSecret;

pub use keys::{KeyKind, RetiredKeys};

pub const ADMIN_USER: &str = "vaultlab-admin";
pub(super) const ADMIN_POLICY_NAME: &str = "vaultlab-admin";
pub(super) const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// AWS's quota of access keys per IAM user.
pub const KEYS_PER_USER: usize = 2;
/// The most accounts the endpoint holds (the default one included): one per room seat,
/// with room to spare. Each is a few kilobytes.
pub const MAX_ACCOUNTS: usize = 1000;

/// Everything the endpoint knows: its accounts, their IAM users, groups, policies and keys.
/// Persisted by the sandbox's `--state` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsState {
    /// The default account's id.
    pub account_id: String,
    /// State files of format 2 and before: the default account's admin user. Read to
    /// upgrade them ([`AwsState::upgrade`]), never written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub admin_user: String,
    /// Every account, the default one included, by id.
    #[serde(default)]
    pub accounts: TrackedMap<Account>,
    /// By `<account id>/<user name>`.
    #[serde(default)]
    pub users: TrackedMap<User>,
    /// By `<account id>/<group name>`.
    #[serde(default)]
    pub groups: TrackedMap<Group>,
    /// By access key id.
    #[serde(default)]
    pub access_keys: TrackedMap<AccessKey>,
    /// Keys deleted lately, remembered (in memory only, bounded) so a request signed with
    /// one can be told apart from a made-up key in the event stream.
    #[serde(skip)]
    pub retired_keys: RetiredKeys,
}

/// One AWS account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub id: String,
    /// The user whose keys are this account's "root keys".
    pub admin_user: String,
    /// The Vault namespace this account belongs to (a room seat's), if any: named in the
    /// events of requests made in the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The account's id (state files before format 3 have none: see `upgrade`).
    #[serde(default)]
    pub account: String,
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
    #[serde(default)]
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    #[serde(default)]
    pub account: String,
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

/// The table key of an account's user or group.
pub fn row_key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

/// The key prefix of an account's rows.
pub(super) fn rows_of(account: &str) -> String {
    format!("{account}/")
}

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

pub(super) fn now_seconds(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(0)
}

fn new_account_id() -> String {
    let mut rng = rand::rng();
    format!(
        "{}{}",
        rng.random_range(1..=9),
        random_from(b"0123456789", 11)
    )
}

impl AwsState {
    /// A fresh endpoint with its default account: one admin IAM user (allowed `*` on `*`)
    /// and its access key, valid at once: the lab's "root keys".
    pub fn new_account() -> Self {
        let mut state = Self {
            account_id: String::new(),
            admin_user: String::new(),
            accounts: TrackedMap::new(),
            users: TrackedMap::new(),
            groups: TrackedMap::new(),
            access_keys: TrackedMap::new(),
            retired_keys: RetiredKeys::default(),
        };
        state.account_id = state
            .create_account(None, Utc::now())
            .expect("a fresh endpoint has room for an account");
        state
    }

    /// Brings a state read from an older file (format 2 and before: one account, rows keyed
    /// by name) to this shape. Nothing to do for a current one.
    pub fn upgrade(&mut self) {
        let account = self.account_id.clone();
        if !self.accounts.contains_key(&account) {
            let admin = match std::mem::take(&mut self.admin_user) {
                name if name.is_empty() => ADMIN_USER.to_owned(),
                name => name,
            };
            let created = self
                .users
                .get(&admin)
                .map_or_else(Utc::now, |user| user.created);
            self.accounts.insert(
                account.clone(),
                Account {
                    id: account.clone(),
                    admin_user: admin,
                    namespace: None,
                    created,
                },
            );
        }
        self.admin_user.clear();
        move_into_account(&mut self.users, &account, |user, id| {
            user.account = id.into()
        });
        move_into_account(&mut self.groups, &account, |group, id| {
            group.account = id.into()
        });
        let unowned: Vec<String> = self
            .access_keys
            .values()
            .filter(|k| k.account.is_empty())
            .map(|k| k.id.clone())
            .collect();
        for id in unowned {
            if let Some(key) = self.access_keys.get_mut(&id) {
                key.account = account.clone();
            }
        }
    }

    /// A new account with its admin user and key; its id. `namespace` is the Vault
    /// namespace it belongs to, if any.
    pub fn create_account(
        &mut self,
        namespace: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        if self.accounts.len() >= MAX_ACCOUNTS {
            return Err(format!(
                "the sandbox holds at most {MAX_ACCOUNTS} AWS accounts; delete a seat first"
            ));
        }
        let id = loop {
            let id = new_account_id();
            if !self.accounts.contains_key(&id) {
                break id;
            }
        };
        self.accounts.insert(
            id.clone(),
            Account {
                id: id.clone(),
                admin_user: ADMIN_USER.into(),
                namespace,
                created: now_seconds(now),
            },
        );
        self.ensure_admin_key(&id, now);
        Ok(id)
    }

    /// Deletes an account and everything in it; the names of the users it still had.
    pub fn delete_account(&mut self, account: &str) -> Vec<String> {
        let prefix = rows_of(account);
        let users: Vec<String> = self
            .users
            .with_prefix(prefix.as_str())
            .map(|(k, _)| k.clone())
            .collect();
        let groups: Vec<String> = self
            .groups
            .with_prefix(prefix.as_str())
            .map(|(k, _)| k.clone())
            .collect();
        let keys: Vec<String> = self
            .access_keys
            .values()
            .filter(|k| k.account == account)
            .map(|k| k.id.clone())
            .collect();
        for id in keys {
            self.retire_key(&id);
        }
        for key in &groups {
            self.groups.remove(key);
        }
        let mut names = Vec::new();
        for key in &users {
            if let Some(user) = self.users.remove(key) {
                names.push(user.name);
            }
        }
        self.accounts.remove(account);
        names
    }

    pub fn account(&self, account: &str) -> Option<&Account> {
        self.accounts.get(account)
    }

    /// Makes sure the account's admin user and an access key of it exist (a learner may
    /// have deleted them through the API); true when something was created.
    pub fn ensure_admin_key(&mut self, account: &str, now: DateTime<Utc>) -> bool {
        let Some(admin) = self.accounts.get(account).map(|a| a.admin_user.clone()) else {
            return false;
        };
        if self.admin_key(account).is_some() {
            return false;
        }
        if !self.users.contains_key(&row_key(account, &admin)) {
            let _ = self.create_user(account, &admin, "/", now);
        }
        if let Ok(user) = self.user_mut(account, &admin) {
            user.inline_policies
                .insert(ADMIN_POLICY_NAME.into(), ADMIN_POLICY.into());
        }
        let _ = self.create_access_key(account, &admin, now, Duration::ZERO);
        true
    }

    /// The account's admin user's oldest access key (its root keys): stable even if the
    /// admin makes a second key.
    pub fn admin_key(&self, account: &str) -> Option<&AccessKey> {
        let admin = &self.accounts.get(account)?.admin_user;
        self.access_keys
            .values()
            .filter(|k| k.account == account && k.user_name == *admin)
            .min_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)))
    }

    pub fn user_arn(&self, user: &User) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            user.account, user.path, user.name
        )
    }

    pub fn group_arn(&self, group: &Group) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            group.account, group.path, group.name
        )
    }

    /// The key and its user if `key_id` authenticates at `now`: it exists, has propagated,
    /// is Active and its user still exists. Anything else is "unknown" to the caller.
    pub fn authenticate(&self, key_id: &str, now: DateTime<Utc>) -> Option<(&AccessKey, &User)> {
        let key = self.access_keys.get(key_id)?;
        if !key.active || now < key.valid_from {
            return None;
        }
        let user = self.users.get(&row_key(&key.account, &key.user_name))?;
        Some((key, user))
    }

    /// What kind of key `key` is: its account's admin's, a Vault-made user's, another's.
    pub fn key_kind(&self, account: &str, user_name: &str) -> KeyKind {
        match self.accounts.get(account) {
            Some(a) if a.admin_user == user_name => KeyKind::Admin,
            _ if user_name.starts_with("vault-") => KeyKind::Dynamic,
            _ => KeyKind::User,
        }
    }

    /// Every policy document that applies to `user`: inline, attached managed, groups' inline.
    pub fn policies_for<'a>(&'a self, user: &'a User) -> Vec<&'a str> {
        let mut docs: Vec<&str> = user.inline_policies.values().map(String::as_str).collect();
        docs.extend(
            user.attached_policies
                .iter()
                .filter_map(|arn| super::managed::lookup(arn).map(|p| p.document)),
        );
        for group in user
            .groups
            .iter()
            .filter_map(|g| self.groups.get(&row_key(&user.account, g)))
        {
            docs.extend(group.inline_policies.values().map(String::as_str));
        }
        docs
    }
}

/// `[\w+=,.@-]{1,max}`: IAM's rule for user, group and policy names.
fn valid_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

pub(super) fn check_name(member: &str, name: &str, max: usize) -> ApiResult<()> {
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

pub(super) fn check_path(path: &str) -> ApiResult<()> {
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

/// IAM names are unique case-insensitively within an account: `EntityAlreadyExists`
/// otherwise.
pub(super) fn ensure_new<'a>(
    kind: &str,
    mut existing: impl Iterator<Item = &'a str>,
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
mod tests;

/// Rows of an older state, keyed by name alone, moved under `account` (`<account>/<name>`).
fn move_into_account<V>(
    rows: &mut TrackedMap<V>,
    account: &str,
    set_account: impl Fn(&mut V, &str),
) {
    let old: Vec<String> = rows.keys().filter(|k| !k.contains('/')).cloned().collect();
    for name in old {
        if let Some(mut row) = rows.remove(&name) {
            set_account(&mut row, account);
            rows.insert(row_key(account, &name), row);
        }
    }
}

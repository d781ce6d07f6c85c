//! Access keys: made, listed, switched off and deleted per user, as IAM does; and the keys
//! deleted lately, remembered so a request still signed with one can be named (whose key
//! it was) in the event stream, though it is refused like any unknown key.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::error::{ApiError, ApiResult};
use super::{AccessKey, AwsState, BASE32, KEYS_PER_USER, SECRET_CHARS, now_seconds, random_from};
use vaultlab_wire::secret::PersistedSecret;

/// Whose key signed a request, as the event stream names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// The account's admin user's: its "root keys".
    Admin,
    /// A user Vault's engine made (`vault-…`): dynamic credentials.
    Dynamic,
    /// Any other user's.
    User,
}

/// A deleted key: whose it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredKey {
    pub account: String,
    pub user_name: String,
    pub kind: KeyKind,
}

/// The keys deleted lately, the oldest forgotten first.
#[derive(Debug, Clone, Default)]
pub struct RetiredKeys {
    order: VecDeque<String>,
    keys: HashMap<String, RetiredKey>,
}

impl RetiredKeys {
    /// How many are remembered: a room's worth of leases revoked in the last minutes.
    pub const KEEP: usize = 4096;

    fn remember(&mut self, id: String, key: RetiredKey) {
        if self.keys.insert(id.clone(), key).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&RetiredKey> {
        self.keys.get(id)
    }
}

impl AwsState {
    pub fn create_access_key(
        &mut self,
        account: &str,
        user: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> ApiResult<&AccessKey> {
        self.user(account, user)?;
        if self.keys_of(account, user).len() >= KEYS_PER_USER {
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
            account: account.into(),
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

    /// The user's keys. A scan of every key: a user has at most two, and looking them up
    /// by user would need a second index kept in step with the first.
    pub fn keys_of(&self, account: &str, user: &str) -> Vec<&AccessKey> {
        self.access_keys
            .values()
            .filter(|k| k.account == account && k.user_name == user)
            .collect()
    }

    fn key_of_user_mut(
        &mut self,
        account: &str,
        user: &str,
        id: &str,
    ) -> ApiResult<&mut AccessKey> {
        self.user(account, user)?;
        self.access_keys
            .get_mut(id)
            .filter(|k| k.account == account && k.user_name == user)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchEntity",
                    format!("The Access Key with id {id} cannot be found."),
                )
            })
    }

    pub fn delete_access_key(&mut self, account: &str, user: &str, id: &str) -> ApiResult<()> {
        self.key_of_user_mut(account, user, id)?;
        self.retire_key(id);
        Ok(())
    }

    pub fn update_access_key(
        &mut self,
        account: &str,
        user: &str,
        id: &str,
        active: bool,
    ) -> ApiResult<()> {
        self.key_of_user_mut(account, user, id)?.active = active;
        Ok(())
    }

    /// Removes a key, remembering whose it was.
    pub(super) fn retire_key(&mut self, id: &str) {
        if let Some(key) = self.access_keys.remove(id) {
            let kind = self.key_kind(&key.account, &key.user_name);
            self.retired_keys.remember(
                key.id,
                RetiredKey {
                    account: key.account,
                    user_name: key.user_name,
                    kind,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_keys_are_bounded_and_the_oldest_go_first() {
        let mut retired = RetiredKeys::default();
        let key = |n: usize| RetiredKey {
            account: "1".into(),
            user_name: format!("u{n}"),
            kind: KeyKind::Dynamic,
        };
        for n in 0..RetiredKeys::KEEP + 10 {
            retired.remember(format!("AKIA{n}"), key(n));
        }
        assert_eq!(retired.keys.len(), RetiredKeys::KEEP);
        assert!(retired.get("AKIA0").is_none());
        assert_eq!(
            retired.get(&format!("AKIA{}", RetiredKeys::KEEP + 9)),
            Some(&key(RetiredKeys::KEEP + 9))
        );
    }
}

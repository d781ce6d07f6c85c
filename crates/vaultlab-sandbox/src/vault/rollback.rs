//! Half-made IAM users, as Vault's framework WAL handles them (`walRollback`,
//! `pathUserRollback`): the engine records the user it is about to create before
//! `CreateUser`; the record goes in the same log record as the lease that owns the user.
//! If issuing fails after the user exists, the user is deleted at once; if that fails too,
//! or the process dies in between, the record stays and the background worker deletes the
//! user later (at once after a restart), retrying until it is gone.
//!
//! Vault waits 5 minutes before rolling back an entry, since its creation may still be
//! running on another node; here a running request marks its user as being created, so
//! nothing waits for an age.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::VaultServer;
use super::durability::CreatingGuard;
use super::iam_client;
use super::state::HalfMadeUser;

/// How long to wait before deleting a half-made user again after `attempts` failures:
/// 2 s, 4 s, 8 s… then every minute (Vault's rollback manager runs every minute).
pub fn rollback_backoff(attempts: u32) -> StdDuration {
    StdDuration::from_secs(2u64.saturating_pow(attempts.max(1)).min(60))
}

impl VaultServer {
    /// Records that `username` is about to be created for `mount`, and marks it as being
    /// created by this request until the guard drops.
    pub(super) fn record_half_made_user(
        &self,
        mount: &str,
        username: &str,
        now: DateTime<Utc>,
    ) -> CreatingGuard {
        let creating = self.durability.creating(username, &self.leases_changed);
        self.lock().half_made_users.insert(
            username.to_owned(),
            HalfMadeUser {
                username: username.to_owned(),
                mount: mount.to_owned(),
                started: now,
                attempts: 0,
                retry_at: None,
                last_error: None,
            },
        );
        creating
    }

    /// `CreateUser` failed: there is nothing to roll back (Vault deletes its WAL entry).
    pub(super) fn forget_half_made_user(&self, username: &str) {
        self.lock().half_made_users.remove(username);
    }

    /// Deletes a half-made user now. On failure it stays recorded, to be retried later.
    pub(super) async fn roll_back_user(&self, username: &str) -> Result<(), String> {
        let Some(entry) = self.lock().half_made_users.get(username).cloned() else {
            return Ok(());
        };
        let rolling_back = crate::engine_call::EngineCall {
            purpose: crate::events::Purpose::Rollback,
            namespace: self
                .lock()
                .mounts
                .get(&entry.mount)
                .map(|m| m.namespace.clone())
                .unwrap_or_default(),
            lease_id: None,
        };
        let result = match self.iam_target(&entry.mount) {
            Ok(target) => {
                let client = self.iam_clients.get(&target);
                crate::engine_call::within(rolling_back, iam_client::delete_user(&client, username))
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        let now = self.now();
        let mut state = self.lock();
        match result {
            Ok(()) => {
                state.half_made_users.remove(username);
                tracing::info!(user = username, "half-made IAM user deleted");
                Ok(())
            }
            Err(error) => {
                if let Some(entry) = state.half_made_users.get_mut(username) {
                    entry.attempts += 1;
                    let wait = rollback_backoff(entry.attempts);
                    entry.retry_at =
                        Some(now + Duration::from_std(wait).unwrap_or(Duration::seconds(60)));
                    entry.last_error = Some(error.clone());
                    tracing::warn!(
                        user = username,
                        attempt = entry.attempts,
                        "a half-made IAM user could not be deleted ({error}); it stays recorded and is tried again in {}s",
                        wait.as_secs()
                    );
                }
                Err(error)
            }
        }
    }

    /// The half-made users due now that no request is still creating.
    fn due_half_made_users(&self, now: DateTime<Utc>, mount: Option<&str>) -> Vec<String> {
        self.lock()
            .half_made_users
            .values()
            .filter(|u| mount.is_none_or(|m| u.mount == m))
            .filter(|u| mount.is_some() || u.retry_at.is_none_or(|at| at <= now))
            .filter(|u| !self.durability.is_being_created(&u.username))
            .map(|u| u.username.clone())
            .collect()
    }

    /// The worker's part: deletes every half-made user that is due.
    pub(super) async fn process_due_rollbacks(&self) {
        for username in self.due_half_made_users(self.now(), None) {
            if self.durability.stopping() {
                return;
            }
            let _busy = self.durability.creating(&username, &self.leases_changed);
            let _ = self.roll_back_user(&username).await;
        }
    }

    /// How long the worker may sleep before a half-made user is due.
    pub(super) fn next_rollback_in(&self) -> Option<StdDuration> {
        let now = self.now();
        self.lock()
            .half_made_users
            .values()
            .filter(|u| !self.durability.is_being_created(&u.username))
            .map(|u| u.retry_at.unwrap_or(now))
            .min()
            .map(|at| (at - now).to_std().unwrap_or(StdDuration::ZERO))
    }

    /// Before `mount` is disabled, as Vault's last rollback at unmount: every half-made
    /// user of it is deleted now, or the unmount fails.
    pub(super) async fn roll_back_mount(&self, mount: &str) -> Result<(), String> {
        for username in self.due_half_made_users(self.now(), Some(mount)) {
            let _busy = self.durability.creating(&username, &self.leases_changed);
            self.roll_back_user(&username).await.map_err(|e| {
                format!("the half-made IAM user {username} could not be deleted: {e}")
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_once_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|n| rollback_backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
    }
}

//! The endpoint's accounts, for the sandbox itself and the room: the default account's
//! admin keys (what `vaultlab sandbox` prints), and an account per seat, made, read and
//! deleted.

use chrono::Utc;

use super::{AdminCredentials, AwsEndpoint, AwsState};

impl AwsEndpoint {
    /// The default account's admin keys. If a learner deleted them through the API, a new
    /// key (and, if needed, the admin user) is made so the sandbox stays usable.
    pub fn admin_credentials(&self) -> AdminCredentials {
        let account = self.lock().account_id.clone();
        self.account_admin_credentials(&account)
            .expect("the default account exists")
    }

    /// An account's admin keys (its "root keys"), made again if they were deleted; `None`
    /// if there is no such account.
    pub fn account_admin_credentials(&self, account: &str) -> Option<AdminCredentials> {
        let (credentials, changed) = {
            let mut state = self.lock();
            state.account(account)?;
            let changed = state.ensure_admin_key(account, Utc::now());
            (credentials_of(&state, account)?, changed)
        };
        if changed {
            self.on_change.notify_one();
        }
        Some(credentials)
    }

    /// A new account, with its admin user and keys; `namespace` is the Vault namespace
    /// it belongs to (named in its events). Refused beyond [`super::MAX_ACCOUNTS`].
    pub fn create_account(&self, namespace: Option<String>) -> Result<AdminCredentials, String> {
        let credentials = {
            let mut state = self.lock();
            let id = state.create_account(namespace, Utc::now())?;
            credentials_of(&state, &id).expect("a new account has its admin key")
        };
        self.on_change.notify_one();
        Ok(credentials)
    }

    /// Deletes an account with everything in it; the names of the IAM users it still had
    /// (empty if there is no such account).
    pub fn delete_account(&self, account: &str) -> Vec<String> {
        let deleted = self.lock().delete_account(account);
        self.on_change.notify_one();
        deleted
    }

    /// The names of an account's IAM users (none if there is no such account).
    pub fn account_users(&self, account: &str) -> Vec<String> {
        self.lock()
            .users_of(account)
            .map(|u| u.name.clone())
            .collect()
    }

    /// Every account but the default one, with the Vault namespace it belongs to.
    pub fn account_namespaces(&self) -> Vec<(String, Option<String>)> {
        let state = self.lock();
        state
            .accounts
            .iter()
            .filter(|(id, _)| **id != state.account_id)
            .map(|(id, account)| (id.clone(), account.namespace.clone()))
            .collect()
    }

    /// Every account's id, the default one first.
    pub fn accounts(&self) -> Vec<String> {
        let state = self.lock();
        let mut ids = vec![state.account_id.clone()];
        ids.extend(
            state
                .accounts
                .keys()
                .filter(|id| **id != state.account_id)
                .cloned(),
        );
        ids
    }
}

fn credentials_of(state: &AwsState, account: &str) -> Option<AdminCredentials> {
    let key = state.admin_key(account)?;
    let user = state.user(account, &key.user_name).ok()?;
    Some(AdminCredentials {
        access_key_id: key.id.clone(),
        secret_access_key: key.secret.clone(),
        account_id: account.to_owned(),
        user_arn: state.user_arn(user),
    })
}

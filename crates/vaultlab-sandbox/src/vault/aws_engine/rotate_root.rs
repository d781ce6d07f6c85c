//! `config/rotate-root`, as Vault's `path_config_rotate_root.go`: the root config's IAM user
//! (the caller of `GetUser`) gets a new access key, which is stored in `config/root`; the
//! old key is then deleted, and the answer names the new `access_key`. Errors that Vault
//! returns as Go errors are 500s in its multierror wording.

use serde_json::json;

use super::super::VaultServer;
use super::super::http::Reply;
use super::super::iam_client::aws_error;
use vaultlab_wire::secret::PersistedSecret;

impl VaultServer {
    pub(super) async fn config_rotate_root(&self, mount: &str) -> Reply {
        let rotating = crate::engine_call::EngineCall {
            purpose: crate::events::Purpose::RotateRoot,
            namespace: self
                .lock()
                .mounts
                .get(mount)
                .map(|m| m.namespace.clone())
                .unwrap_or_default(),
            lease_id: None,
        };
        crate::engine_call::within(rotating, self.rotate_root_calls(mount)).await
    }

    async fn rotate_root_calls(&self, mount: &str) -> Reply {
        let Some(root) = self.engine(mount, |aws| aws.root.clone()) else {
            return Reply::no_handler(&format!("{mount}config/rotate-root"));
        };
        // Vault builds its IAM client first: keys half given fail there.
        if let Some(root) = &root
            && root.access_key.is_empty() != root.secret_key.expose().is_empty()
        {
            return Reply::internal_error(super::super::PARTIAL_STATIC_KEYS);
        }
        let Some(root) = root else {
            return Reply::internal_error("no configuration found for config/root");
        };
        if root.access_key.is_empty() {
            return Reply::bad_request(
                "Cannot call config/rotate-root when either access_key or secret_key is empty",
            );
        }
        let target = match self.iam_target(mount) {
            Ok(t) => t,
            Err(e) => return Reply::internal_error(e),
        };
        let client = self.iam_clients.get(&target);
        let user = match client.get_user().send().await {
            Ok(out) => match out.user {
                Some(user) => user.user_name,
                None => return Reply::internal_error("nil user returned from GetUser"),
            },
            Err(e) => {
                return Reply::internal_error(format!("error calling GetUser: {}", aws_error(e)));
            }
        };
        let created = match client.create_access_key().user_name(&user).send().await {
            Ok(out) => match out.access_key {
                Some(key) => key,
                None => return Reply::internal_error("nil response from CreateAccessKey"),
            },
            Err(e) => {
                return Reply::internal_error(format!(
                    "error calling CreateAccessKey: {}",
                    aws_error(e)
                ));
            }
        };
        let new_access_key = created.access_key_id.clone();
        let old_access_key = root.access_key.clone();
        let stored = self.engine(mount, |aws| match aws.root.as_mut() {
            Some(config) => {
                config.access_key = created.access_key_id.clone();
                config.secret_key = PersistedSecret::new(created.secret_access_key.as_str());
                true
            }
            None => false,
        });
        if stored != Some(true) {
            return Reply::internal_error("error saving new config/root: config/root is gone");
        }
        // As Vault drops its clients: the next call signs with the new key.
        self.iam_clients.clear();
        self.changed();
        if let Err(e) = client
            .delete_access_key()
            .user_name(&user)
            .access_key_id(&old_access_key)
            .send()
            .await
        {
            return Reply::internal_error(format!(
                "error deleting old access key: {}",
                aws_error(e)
            ));
        }
        tracing::info!(mount, "root credentials rotated");
        Reply::data(json!({ "access_key": new_access_key }))
    }
}

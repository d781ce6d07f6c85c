//! `creds/NAME` (and `sts/NAME`): issuing an IAM user through aws-sdk-iam, and registering
//! its lease, durably, before the keys leave (the user is on record from before it exists:
//! see `vault::rollback`).

use axum::http::StatusCode;
use chrono::Duration;
use secrecy::ExposeSecret;
use serde_json::json;

use super::super::VaultServer;
use super::super::http::{Reply, VaultRequest};
use super::super::iam_client::{self, UserSpec};
use super::super::leases::{MountTtls, calculate_ttl};
use super::super::state::Lease;
use super::super::tokens;
use super::super::username::{iam_username, random_base62};
use vaultlab_wire::envelope::Envelope;

/// The token's display name: the sandbox has only the root token.
const DISPLAY_NAME: &str = "root";

impl VaultServer {
    pub(super) async fn creds_issue(
        &self,
        mount: &str,
        name: &str,
        via_sts: bool,
        req: &VaultRequest,
    ) -> Reply {
        let Some((role, lease_config)) =
            self.engine(mount, |aws| (aws.roles.get(name).cloned(), aws.lease))
        else {
            return Reply::no_handler(&req.path);
        };
        let Some(role) = role else {
            return Reply::bad_request(format!("Role {name:?} not found"));
        };
        let credential_type = match role.credential_types.as_slice() {
            [one] => one.clone(),
            [] => String::new(),
            _ if via_sts => "federation_token".to_owned(),
            _ => "iam_user".to_owned(),
        };
        if role.prohibit_flexible_cred_path {
            if credential_type == "iam_user" && via_sts {
                return Reply::bad_request(
                    "attempted to retrieve iam_user credentials through the sts path; this is not allowed for legacy roles",
                );
            }
            if credential_type != "iam_user" && !via_sts {
                return Reply::bad_request(format!(
                    "attempted to retrieve {credential_type} credentials through the creds path; this is not allowed for legacy roles"
                ));
            }
        }
        if credential_type != "iam_user" {
            return Reply::not_implemented(format!(
                "vaultlab sandbox does not implement {credential_type} credentials; role {name:?} needs a real Vault server (the sandbox issues iam_user credentials)"
            ));
        }
        let target = match self.iam_target(mount) {
            Ok(t) => t,
            Err(e) => return Reply::bad_request(e),
        };
        let now = self.now();
        let username = iam_username(DISPLAY_NAME, name, now.timestamp(), &random_base62(20));
        let spec = UserSpec {
            username: username.clone(),
            path: if role.user_path.is_empty() {
                "/".into()
            } else {
                role.user_path.clone()
            },
            permissions_boundary: Some(role.permissions_boundary_arn.clone())
                .filter(|s| !s.is_empty()),
            policy_arns: role.policy_arns.clone().unwrap_or_default(),
            inline_policy: Some((name.to_owned(), role.policy_document.clone()))
                .filter(|(_, doc)| !doc.is_empty()),
            groups: role.iam_groups.clone().unwrap_or_default(),
            tags: role
                .iam_tags
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        };
        // As Vault's write-ahead entry: the user is on record before it exists, so it is
        // never forgotten, whatever happens between here and its lease.
        let _creating = self.record_half_made_user(mount, &username, now);
        if !self.durability.is_internal(&target.endpoint)
            && let Err(failure) = self.kept().await
        {
            self.forget_half_made_user(&username);
            return not_kept(&failure);
        }
        let client = self.iam_clients.get(&target);
        let issuing = crate::engine_call::EngineCall {
            purpose: crate::events::Purpose::Issue,
            namespace: req.ns.path.clone(),
            lease_id: None,
        };
        let created = crate::engine_call::within(issuing, iam_client::create_user(&client, &spec));
        let key = match created.await {
            Ok(key) => key,
            Err(failure) => {
                // With no answer from IAM (a transport error), the user may exist all the
                // same: only AWS's own error proves CreateUser made nothing.
                if failure.user_created || failure.error.code.is_none() {
                    // Vault leaves its write-ahead entry for a rollback minutes later; the
                    // sandbox tries at once, and keeps the entry if that fails.
                    let _ = self.roll_back_user(&username).await;
                } else {
                    self.forget_half_made_user(&username);
                }
                let status = if failure.error.is_throttling() {
                    StatusCode::BAD_GATEWAY
                } else {
                    StatusCode::BAD_REQUEST
                };
                return Reply::error(status, format!("{}: {}", failure.step, failure.error));
            }
        };
        let (backend_ttl, backend_max) = lease_config.map_or((0, 0), |c| (c.lease, c.lease_max));
        let mount_ttls = self
            .lock()
            .mounts
            .get(mount)
            .map_or(MountTtls::SYSTEM, MountTtls::of);
        let (ttl, warnings) = calculate_ttl(now, now, 0, backend_ttl, backend_max, mount_ttls)
            .unwrap_or((backend_ttl.max(0), Vec::new()));
        let kind = if via_sts { "sts" } else { "creds" };
        // As clients see it: relative to the namespace, with its suffix.
        let relative_mount = mount.strip_prefix(&req.ns.path).unwrap_or(mount);
        let lease_id = format!(
            "{relative_mount}{kind}/{name}/{}{}",
            random_base62(24),
            req.ns.suffix()
        );
        let lease_key = req.ns.key(&lease_id);
        // Tied to the token that asked for it: revoking that token revokes the lease.
        let issuer = req
            .token
            .as_deref()
            .filter(|token| !self.is_root_token(Some(*token)))
            .map(tokens::key);
        let lease = Lease {
            id: lease_id.clone(),
            namespace: req.ns.path.clone(),
            mount: mount.to_owned(),
            role: name.to_owned(),
            username: username.clone(),
            token: issuer,
            issue_time: now,
            expire_time: now + Duration::seconds(ttl),
            last_renewal: None,
            renewable: true,
            revoke_attempts: 0,
            revoke_at: None,
            revoke_error: None,
            irrevocable: false,
            revocation_asked: false,
        };
        let token_gone = {
            // One record: the lease, and the user no longer half-made. A token revoked
            // while this request ran took its leases along: this one is revoked below,
            // not queued (the worker could revoke it first, and tell of a lease never
            // issued); queued only if that fails.
            let mut state = self.lock();
            let gone = lease
                .token
                .as_ref()
                .is_some_and(|key| !state.tokens.contains_key(key));
            state.leases.insert(lease_key.clone(), lease.clone());
            state.half_made_users.remove(&username);
            gone
        };
        let issued = lease;
        self.changed();
        // The lease is on disk before its credentials leave.
        if let Err(failure) = self.kept().await {
            // Whoever gets no keys must not leave a user behind.
            self.revoke_unissued(&lease_key).await;
            return not_kept(&failure);
        }
        if token_gone {
            // Its keys never leave, so nothing was issued: the user goes now, and the
            // caller gets what a revoked token gets.
            self.revoke_unissued(&lease_key).await;
            return Reply::permission_denied();
        }
        self.report_lease(&issued, crate::events::LeaseChangeKind::Issued, None);
        Reply::envelope(Envelope {
            lease_id,
            renewable: true,
            lease_duration: u64::try_from(ttl).unwrap_or(0),
            data: Some(json!({
                "access_key": key.access_key_id,
                "secret_key": key.secret_access_key.expose_secret(),
                "security_token": null,
            })),
            warnings: (!warnings.is_empty()).then_some(warnings),
            ..Envelope::default()
        })
    }
}

/// Vault's answer when its storage fails: a 500 that says so.
fn not_kept(failure: &str) -> Reply {
    Reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the credentials were not issued: their lease could not be kept ({failure})"),
    )
}

//! One method per call the lab makes, on the client of `client.rs`. Each sends exactly
//! what the same-named builder in [`super::request`] describes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::client::{VaultClient, parse, to_envelope, unexpected};
use super::error::VaultError;
use super::request;
use super::types::{
    Health, LeaseInfo, LeaseLookup, LeaseRenewal, MountInfo, RevokeOutcome, SealStatus, TokenInfo,
};

impl VaultClient {
    // -----------------------------------------------------------------------------------
    // sys

    /// `GET sys/health`: answered for every health status (200 active, 429 standby, 501
    /// uninitialised, 503 sealed…); see [`Health::ready`] to turn it into an error.
    pub async fn health(&self) -> Result<Health, VaultError> {
        let req = request::health();
        let (status, body) = self.send_body(&req).await?;
        let mut health: Health = parse(&req, status, body)?;
        health.status = status;
        Ok(health)
    }

    /// `GET sys/seal-status` (needs no token).
    pub async fn seal_status(&self) -> Result<SealStatus, VaultError> {
        self.send_typed(&request::seal_status()).await
    }

    /// `GET sys/mounts`: mount path (with trailing slash) → entry.
    pub async fn list_mounts(&self) -> Result<BTreeMap<String, MountInfo>, VaultError> {
        Ok(self.send_data(&request::list_mounts()).await?.0)
    }

    /// `POST sys/mounts/<path> {"type": kind}`. On a server without that engine's plugin
    /// (OpenBao and `aws`) this is [`VaultError::EngineNotAvailable`].
    pub async fn enable_mount(&self, path: &str, kind: &str) -> Result<(), VaultError> {
        self.send_no_content(&request::enable_mount(path, kind))
            .await
            .map(drop)
    }

    /// `DELETE sys/mounts/<path>` (revokes the mount's leases first).
    pub async fn disable_mount(&self, path: &str) -> Result<(), VaultError> {
        self.send_no_content(&request::disable_mount(path))
            .await
            .map(drop)
    }

    /// `GET auth/token/lookup-self`.
    pub async fn token_lookup_self(&self) -> Result<TokenInfo, VaultError> {
        Ok(self.send_data(&request::token_lookup_self()).await?.0)
    }

    /// `POST sys/capabilities-self {"paths":[…]}`: path → capabilities (`root`, `read`,
    /// `create`, `update`, `delete`, `list`, `sudo`, `deny`).
    pub async fn capabilities_self(
        &self,
        paths: &[&str],
    ) -> Result<BTreeMap<String, Vec<String>>, VaultError> {
        let req = request::capabilities_self(paths);
        let (data, _) = self.send_data::<BTreeMap<String, Value>>(&req).await?;
        let mut out = BTreeMap::new();
        for path in paths {
            // Older servers answer a single path under `capabilities` only.
            let caps = data
                .get(*path)
                .or_else(|| {
                    (paths.len() == 1)
                        .then(|| data.get("capabilities"))
                        .flatten()
                })
                .cloned()
                .ok_or_else(|| unexpected(&req, 200, &format!("no capabilities for {path:?}")))?;
            let caps: Vec<String> = serde_json::from_value(caps)
                .map_err(|e| unexpected(&req, 200, &format!("capabilities of {path:?}: {e}")))?;
            out.insert((*path).to_owned(), caps);
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Leases

    /// `PUT sys/leases/lookup`; an unknown id is 400 `invalid lease`.
    pub async fn lease_lookup(&self, lease_id: &str) -> Result<LeaseLookup, VaultError> {
        Ok(self.send_data(&request::lease_lookup(lease_id)).await?.0)
    }

    /// `PUT sys/leases/renew`: the new duration and Vault's warnings (the max-TTL cap).
    pub async fn lease_renew(
        &self,
        lease_id: &str,
        increment: Option<Duration>,
    ) -> Result<LeaseRenewal, VaultError> {
        let req = request::lease_renew(lease_id, increment);
        let (status, body) = self.send_body(&req).await?;
        let envelope = to_envelope(&req, status, body)?;
        Ok(LeaseRenewal {
            lease: LeaseInfo::from_envelope(&envelope),
            warnings: envelope.warnings.unwrap_or_default(),
        })
    }

    /// `PUT sys/leases/revoke {lease_id, sync}`: 202 queued or 204 revoked, both success.
    pub async fn lease_revoke(
        &self,
        lease_id: &str,
        sync: bool,
    ) -> Result<RevokeOutcome, VaultError> {
        let req = request::lease_revoke(lease_id, sync);
        let reply = self.send(&req).await?;
        match reply.status {
            202 => Ok(RevokeOutcome::Queued),
            200 | 204 => Ok(RevokeOutcome::Revoked),
            other => Err(unexpected(
                &req,
                other,
                "a success status other than 202 or 204",
            )),
        }
    }
}

impl Health {
    /// `Ok` for an active, unsealed, initialised node; else the error a request would meet.
    pub fn ready(&self, addr: &str) -> Result<(), VaultError> {
        let (method, path) = ("GET".to_owned(), "sys/health".to_owned());
        if !self.initialized {
            Err(VaultError::Uninitialized {
                addr: addr.into(),
                method,
                path,
                errors: vec!["initialized: false".into()],
            })
        } else if self.sealed {
            Err(VaultError::Sealed {
                addr: addr.into(),
                method,
                path,
                errors: vec!["sealed: true".into()],
            })
        } else if self.standby && !self.performance_standby {
            Err(VaultError::Standby {
                addr: addr.into(),
                method,
                path,
                errors: vec!["standby: true".into()],
            })
        } else {
            Ok(())
        }
    }
}

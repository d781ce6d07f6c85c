//! A Vault dev server (`bao server -dev`, or `vault server -dev`): in memory, unsealed,
//! on a loopback port, with a root token vaultlab made. The token reaches the server in
//! its environment (`BAO_DEV_ROOT_TOKEN_ID`, `VAULT_DEV_ROOT_TOKEN_ID`), not on its command
//! line, where `ps` would show it.

use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

use super::process::{Managed, free_port};
use super::programs::VaultProgram;
use super::{Exit, LocalError, Shared};

/// A running dev server.
#[derive(Debug, Clone)]
pub struct DevVault {
    pub addr: String,
    pub token: SecretString,
    /// `OpenBao 2.7.2`.
    pub version: String,
}

pub async fn start(
    program: &VaultProgram,
    dir: &Path,
    shared: &Shared,
) -> Result<DevVault, LocalError> {
    let home = dir.join("vault");
    std::fs::create_dir(&home)
        .map_err(|e| LocalError::io("make the Vault server's directory", e))?;
    let token = uuid::Uuid::new_v4().to_string();
    let log = home.join("server.log");
    let what = format!("{} dev server ({})", program.name, program.path.display());
    for _ in 0..5 {
        let port = free_port(true).map_err(|e| LocalError::io("find a free port", e))?;
        let mut command = std::process::Command::new(&program.path);
        command
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", &home)
            .env("BAO_DEV_ROOT_TOKEN_ID", &token)
            .env("VAULT_DEV_ROOT_TOKEN_ID", &token)
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .env_remove("BAO_TOKEN")
            .env_remove("VAULT_TOKEN");
        // Its stdout is the dev banner, root token and unseal key included: not kept.
        let server = Managed::spawn("the Vault dev server", command, &log, true, libc::SIGTERM)
            .map_err(|e| LocalError::start(&what, e.to_string()))?;
        let index = shared.adopt(server);
        let addr = format!("http://127.0.0.1:{port}");
        match wait_ready(&addr, shared, index).await {
            Ok(version) => {
                return Ok(DevVault {
                    addr,
                    token: SecretString::from(token),
                    version: format!("{} {version}", program.name),
                });
            }
            Err(Exit::PortTaken) => continue,
            Err(Exit::Failed(reason)) => return Err(LocalError::start(&what, reason)),
        }
    }
    Err(LocalError::start(
        &what,
        "five ports in a row were taken by the time it started".to_owned(),
    ))
}

/// Waits until `sys/health` says active and unsealed; returns the server's version.
async fn wait_ready(addr: &str, shared: &Shared, index: usize) -> Result<String, Exit> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| Exit::Failed(e.to_string()))?;
    let health = format!("{addr}/v1/sys/health");
    let silent = format!("it did not answer at {addr}");
    shared
        .wait_ready(index, "address already in use", &silent, async || {
            let response = client.get(&health).send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let health: serde_json::Value = response.json().await.unwrap_or_default();
            Some(health["version"].as_str().unwrap_or("").to_owned())
        })
        .await
}

//! Vault's wire types, shared by the typed client and the embedded sandbox, and the typed
//! Vault HTTP client (`client`, with `config`, `error`, `request` and `types`).

pub mod calls;
pub mod client;
pub mod config;
pub mod error;
pub mod refusal;
pub mod request;
pub mod types;

pub use client::VaultClient;
pub use config::VaultConfig;
pub use error::VaultError;

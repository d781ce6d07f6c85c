//! Vault's wire types, shared by the typed client and the embedded sandbox.

pub mod wire;

//! vaultlab: a terminal lab companion for Vault's dynamic secrets lab.
//!
//! The binary lives in `main.rs`; everything it uses is here so that tests and benches can
//! drive the same code.

pub mod app;
pub mod aws;
pub mod cleanup;
pub mod doctor;
pub mod lab;
pub mod lease;
pub mod runtime;
pub mod session;
pub mod ui;
pub mod vault;
pub mod walk;

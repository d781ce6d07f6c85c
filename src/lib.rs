//! vaultlab: a terminal lab companion for Vault's dynamic secrets lab.
//!
//! The binary (`main.rs`) parses the command line and runs a command from [`cmd`];
//! everything is here so that tests and benches can drive the same code.

pub mod app;
pub mod aws;
pub mod checkers;
pub mod checks;
pub mod cmd;
pub mod dashboard;
pub mod doctor;
pub mod engines;
pub mod exchange;
pub mod inside;
pub mod lab;
pub mod lease;
pub mod local;
pub mod present;
pub mod record;
pub mod room_client;
pub mod runtime;
pub mod session;
pub mod setup;
pub mod tls_pin;
pub mod ui;
pub mod vault;

//! vaultlab's clients against real peers over HTTP: the embedded sandbox, OpenBao, moto and PostgreSQL.

mod aws_calls_moto;
mod aws_calls_sandbox;
mod database_engine;
mod inside_view;
mod sandbox_faults;
mod sandbox_lab_flow;
mod vault_client;
mod vault_client_leases;

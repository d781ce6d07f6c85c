//! The sandbox as its clients meet it: its Vault API and AWS endpoint over HTTP, side by
//! side with OpenBao and moto, and through boto3 and the aws CLI.

mod accounts_events;
mod aws_differential;
mod aws_endpoint;
mod engine_connections;
mod fault_bounds;
mod fidelity;
mod namespace_delete;
mod namespace_differential;
mod namespace_lock;
mod namespace_patch_scan;
mod namespace_token_self;
mod policy_quotas;
mod room_control;
mod room_lab;
mod room_pace;
mod room_seats;
mod serve_limits;
mod sigv4_scope;
mod token_revocation;
mod vault_differential;
mod vault_sandbox;

//! The built binary end to end: its commands, and the TUI driven in tmux.

/// The vaultlab binary cargo built for these tests.
pub const VAULTLAB: &str = env!("CARGO_BIN_EXE_vaultlab");

mod cleanup_cli;
mod doctor;
mod e2e_live;
mod e2e_tui;
mod inside_view;
mod labs_cli;
mod lease_journal;
mod postgres_lab;
mod present;
mod reconcile;
mod recording;
mod room_cli;
mod room_control_cli;
mod room_pace;
mod room_tls;
mod room_tui;
mod sandbox_cli;
mod sandbox_durability;
mod sandbox_load;
mod small_terminal;
mod tui_terminal;
mod user_errors;
mod walk_cli;
mod walk_moto;

//! Tests that need no peer: the app's screens drawn from states built by messages alone.

mod app_states;
mod presenter;
mod sizes;
mod ui_snapshots;

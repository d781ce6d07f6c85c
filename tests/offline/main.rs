//! Tests that need no peer: the app's screens drawn from states built by messages alone.

mod app_states;
mod assets;
mod notes_screen;
mod presenter;
mod room_dashboard;
mod room_seat;
mod sizes;
mod ui_snapshots;

//! The app's state and logic, with no I/O: `update(&mut App, Msg) -> Vec<Effect>`.

pub mod effect;
pub mod keymap;
pub mod msg;
pub mod plan;
pub mod policy;
pub mod probe_schedule;
pub mod state;
pub mod update;

pub use effect::Effect;
pub use msg::Msg;
pub use state::App;
pub use update::{init, update};

#[cfg(test)]
mod update_tests;

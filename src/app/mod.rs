//! The app's state and logic, with no I/O: `update(&mut App, Msg) -> Vec<Effect>`.

pub mod policy;

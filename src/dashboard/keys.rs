//! The keys that work on what is open, with their words: the hint bar and the help both
//! read this list, so neither can go stale.

use super::{Confirm, Dashboard, Prompt, View};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static str,
    pub description: String,
    /// Kept on the hint bar whatever its room.
    pub kept: bool,
}

fn bind(keys: &'static str, description: impl Into<String>, kept: bool) -> Binding {
    Binding {
        keys,
        description: description.into(),
        kept,
    }
}

pub fn bindings(d: &Dashboard) -> Vec<Binding> {
    if d.help {
        return vec![bind("any key", "close the help", true)];
    }
    match &d.prompt {
        Some(Prompt::Broadcast(_)) => {
            return vec![
                bind("Enter", "send to every learner (empty clears)", true),
                bind("Esc", "cancel", true),
            ];
        }
        Some(Prompt::Pace) => {
            return vec![
                bind("1-6", "hold the room at that step", true),
                bind("f", "free: every step open", true),
                bind("Esc", "cancel", true),
            ];
        }
        Some(Prompt::Confirm(confirm)) => {
            let yes = match confirm {
                Confirm::ShortLeases { on: true } => "shorten every seat's leases".to_owned(),
                Confirm::ShortLeases { on: false } => {
                    "give every seat the engine's lease TTLs".to_owned()
                }
                Confirm::Revoke(seat) => format!("revoke {seat}'s leases"),
                Confirm::End => "end the room".to_owned(),
                Confirm::Quit => "stop serving".to_owned(),
            };
            return vec![bind("y", yes, true), bind("Esc", "keep going", true)];
        }
        None => {}
    }
    let ended = d.ended();
    let mut keys = Vec::new();
    match &d.view {
        View::Seats => {
            keys.push(bind("Enter", "the seat's event log", true));
            keys.push(bind("↑↓", "select a seat", false));
            keys.push(bind("s", format!("sort (by {})", d.sort.label()), false));
            keys.push(bind("f", format!("filter ({})", d.filter.label()), false));
        }
        View::Log { .. } => {
            keys.push(bind("Esc", "back to the seats", true));
            keys.push(bind("↑↓", "scroll", false));
        }
    }
    if !ended {
        keys.push(bind("b", "broadcast a message", true));
        keys.push(bind("p", "pace the room", false));
        if d.short_leases_on() {
            keys.push(bind("t", "short leases off (engine defaults)", false));
        } else {
            keys.push(bind("t", "short leases for all (2m/5m)", false));
        }
        keys.push(bind("x", "revoke the seat's leases", false));
        keys.push(bind("E", "end the room", false));
    }
    keys.push(bind("z", "join line big or small", false));
    keys.push(bind("Ctrl-Z", "suspend (the room waits too)", false));
    keys.push(bind("?", "help", true));
    keys.push(bind("q", "quit", true));
    keys
}

//! Which key does what, in each context. The help overlay and the status bar list the
//! same bindings `update` obeys, so the hints can never go stale.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{App, Overlay, Pane};
use crate::lab::StepKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RunStep,
    NextPane,
    PrevPane,
    StartEditing,
    StopEditing,
    NextField,
    NextTemplate,
    RevealSecret,
    CopyExports,
    Renew,
    ShortLeases,
    RunDoctor,
    ToggleHelp,
    Quit,
    RevokeAndQuit,
    KeepAndQuit,
    StayOpen,
    OpenLeases,
    CloseLeases,
    NextLease,
    PrevLease,
    LongerIncrement,
    ShorterIncrement,
    RenewSelected,
    RevokeSelected,
    RevokeAll,
    RevokeEarlier,
}

pub struct Binding {
    /// As shown to the user.
    pub keys: &'static str,
    pub description: &'static str,
    pub action: Action,
    matches: fn(&KeyEvent) -> bool,
}

fn plain(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

fn ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

macro_rules! binding {
    ($keys:expr, $description:expr, $action:expr, |$k:ident| $test:expr) => {
        Binding {
            keys: $keys,
            description: $description,
            action: $action,
            matches: |$k: &KeyEvent| $test,
        }
    };
}

/// The bindings that apply right now, most specific first.
pub fn bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let mut list = Vec::new();
    match app.overlay {
        Some(Overlay::Help) => {
            // Ctrl-C means quit wherever it is pressed.
            list.push(binding!("Ctrl-C", "quit", Quit, |k| ctrl_c(k)));
            list.push(binding!("any key", "close help", ToggleHelp, |_k| true));
            return list;
        }
        Some(Overlay::EarlierLeases) => {
            list.push(binding!("Ctrl-C", "quit", Quit, |k| ctrl_c(k)));
            list.push(binding!(
                "r",
                "revoke the earlier runs' leases",
                RevokeEarlier,
                |k| plain(k, KeyCode::Char('r'))
            ));
            list.push(binding!(
                "l",
                "show them in the leases pane",
                OpenLeases,
                |k| { plain(k, KeyCode::Char('l')) }
            ));
            list.push(binding!("Esc", "decide later", StayOpen, |k| plain(
                k,
                KeyCode::Esc
            )));
            return list;
        }
        Some(Overlay::ConfirmQuit) => {
            // A second Ctrl-C leaves; the leases are kept, as with k.
            list.push(binding!(
                "Ctrl-C",
                "keep the leases and quit",
                KeepAndQuit,
                |k| ctrl_c(k)
            ));
            list.push(binding!("r", "revoke and quit", RevokeAndQuit, |k| plain(
                k,
                KeyCode::Char('r')
            )));
            list.push(binding!("k", "keep and quit", KeepAndQuit, |k| {
                plain(k, KeyCode::Char('k'))
            }));
            list.push(binding!("Esc", "stay", StayOpen, |k| plain(
                k,
                KeyCode::Esc
            ) || plain(
                k,
                KeyCode::Char('q')
            )));
            return list;
        }
        None => {}
    }
    list.extend(pane_bindings(app));
    list
}

/// The bindings of the focused pane, overlays aside: what the help overlay lists.
pub fn pane_bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let mut list = Vec::new();
    if app.editing {
        list.push(binding!("Esc", "stop editing", StopEditing, |k| plain(
            k,
            KeyCode::Esc
        )));
        if app.pane() == Pane::Step(StepKind::RootKeys) {
            list.push(binding!("Tab", "next field", NextField, |k| plain(
                k,
                KeyCode::Tab
            )));
        }
        list.push(binding!("Ctrl-C", "quit", Quit, |k| ctrl_c(k)));
        return list;
    }
    if app.pane() == Pane::Leases {
        list.extend(leases_pane_bindings(app));
    }
    if let Pane::Step(_) = app.pane() {
        list.push(binding!("Enter", run_description(app), RunStep, |k| plain(
            k,
            KeyCode::Enter
        )));
    }
    if app.pane() == Pane::Overview {
        list.push(binding!("d", "run the checks again", RunDoctor, |k| plain(
            k,
            KeyCode::Char('d')
        )));
    }
    match app.pane() {
        Pane::Overview if !app.cli_env.is_empty() => {
            list.push(binding!("v", "show or hide the token", RevealSecret, |k| {
                plain(k, KeyCode::Char('v'))
            }));
            list.push(binding!("c", "copy the export lines", CopyExports, |k| {
                plain(k, KeyCode::Char('c'))
            }));
        }
        Pane::Step(StepKind::RootKeys) => {
            list.push(binding!("e", "edit the keys", StartEditing, |k| plain(
                k,
                KeyCode::Char('e')
            )));
        }
        Pane::Step(StepKind::RolePolicy) => {
            list.push(binding!("e", "edit the policy", StartEditing, |k| plain(
                k,
                KeyCode::Char('e')
            )));
            list.push(binding!("t", "next policy template", NextTemplate, |k| {
                plain(k, KeyCode::Char('t'))
            }));
        }
        Pane::Step(StepKind::Generate) if app.creds.is_none() => {
            list.push(binding!(
                "s",
                "short leases (2m, max 5m)",
                ShortLeases,
                |k| plain(k, KeyCode::Char('s'))
            ));
        }
        Pane::Step(StepKind::Generate) => {
            list.push(binding!(
                "s",
                "short leases (2m, max 5m)",
                ShortLeases,
                |k| plain(k, KeyCode::Char('s'))
            ));
            list.push(binding!(
                "v",
                "show or hide the secret key",
                RevealSecret,
                |k| plain(k, KeyCode::Char('v'))
            ));
            list.push(binding!("c", "copy the export lines", CopyExports, |k| {
                plain(k, KeyCode::Char('c'))
            }));
        }
        _ => {}
    }
    if app.pane() != Pane::Leases && app.active_lease().is_some_and(|lease| lease.renewable) {
        list.push(binding!("r", "renew the lease", Renew, |k| plain(
            k,
            KeyCode::Char('r')
        )));
    }
    if app.pane() != Pane::Leases {
        list.push(binding!("l", "leases", OpenLeases, |k| plain(
            k,
            KeyCode::Char('l')
        )));
    }
    list.push(binding!("n →", "next step", NextPane, |k| plain(
        k,
        KeyCode::Char('n')
    ) || plain(
        k,
        KeyCode::Right
    )));
    list.push(binding!("p ←", "previous step", PrevPane, |k| plain(
        k,
        KeyCode::Char('p')
    ) || plain(
        k,
        KeyCode::Left
    )));
    list.push(binding!("?", "help", ToggleHelp, |k| k.code == KeyCode::Char('?')));
    list.push(binding!("q", "quit", Quit, |k| plain(
        k,
        KeyCode::Char('q')
    ) || ctrl_c(k)));
    list
}

/// The leases pane: move, choose an increment, renew, revoke one or all, go back.
fn leases_pane_bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let mut list = Vec::new();
    let selected = app.selected_lease();
    if selected.is_some_and(|lease| lease.renewable && lease.is_active(app.now)) {
        list.push(binding!(
            "r",
            "renew for the chosen time",
            RenewSelected,
            |k| { plain(k, KeyCode::Char('r')) }
        ));
    }
    if selected.is_some_and(|lease| lease.is_revocable(app.now)) {
        list.push(binding!("x", "revoke this lease", RevokeSelected, |k| {
            plain(k, KeyCode::Char('x'))
        }));
    }
    if app.revocable_leases() > 0 {
        list.push(binding!("X", "revoke all", RevokeAll, |k| k.code
            == KeyCode::Char('X')));
    }
    if app.leases.len() > 1 {
        list.push(binding!("↑ ↓", "select", NextLease, |k| plain(
            k,
            KeyCode::Down
        ) || plain(
            k,
            KeyCode::Char('j')
        )));
        // Listed once above: the help shows one line for the pair.
        list.push(Binding {
            keys: "",
            description: "",
            action: PrevLease,
            matches: |k| plain(k, KeyCode::Up),
        });
    }
    list.push(binding!(
        "+ -",
        "longer / shorter increment",
        LongerIncrement,
        |k| { k.code == KeyCode::Char('+') || k.code == KeyCode::Char('=') }
    ));
    list.push(Binding {
        keys: "",
        description: "",
        action: ShorterIncrement,
        matches: |k| k.code == KeyCode::Char('-'),
    });
    list.push(binding!("l Esc", "back", CloseLeases, |k| plain(
        k,
        KeyCode::Char('l')
    ) || plain(
        k,
        KeyCode::Esc
    )));
    list
}

fn run_description(app: &App) -> &'static str {
    match app.pane() {
        Pane::Step(StepKind::EnableEngine) => "enable the engine",
        Pane::Step(StepKind::RootKeys) => "check and write the keys",
        Pane::Step(StepKind::RolePolicy) => "write the role",
        Pane::Step(StepKind::Generate) => "generate credentials",
        Pane::Step(StepKind::TestKeys) => "test the keys",
        Pane::Step(StepKind::Revoke) => "revoke and prove it",
        _ => "run",
    }
}

/// The action a key press means here, if any. Key releases and repeats of a release
/// (sent by some terminals) are ignored.
pub fn action_for(app: &App, key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    bindings(app)
        .into_iter()
        .find(|binding| (binding.matches)(key))
        .map(|binding| binding.action)
}

//! Which key does what, in each context. Each module that handles keys lists its own
//! bindings beside the code that obeys them (as gitui's components carry their commands);
//! this one composes them, most specific first, so the help overlay and the status bar
//! list exactly what `update` obeys.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::scroll::ScrollMove;
use super::state::{App, Overlay, Pane};
use super::{leases, lifecycle, scroll, steps};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RunStep,
    NextPane,
    PrevPane,
    StartEditing,
    StopEditing,
    NextField,
    /// `u` on a prefilled form: its prefilled values again.
    RestoreForm,
    /// Ctrl-U while editing a form: the field emptied.
    ClearField,
    NextTemplate,
    /// Load the document Vault holds into the editor.
    LoadHeld,
    RevealSecret,
    CopyExports,
    Renew,
    /// One of the focused step's actions (`s`: short leases), by its place in the lab.
    Extra(usize),
    RunDoctor,
    ToggleHelp,
    /// Ctrl-Z: give the terminal back and stop, until `fg`.
    Suspend,
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
    /// Moves the focused pane's view over its content.
    Scroll(ScrollMove),
    /// `i`: the inside view (the AWS calls Vault's engine makes) shown or hidden.
    ToggleInside,
    /// `m`: the status bar's message in full, over the pane.
    ShowMessage,
    CloseMessage,
}

pub struct Binding {
    /// As shown to the user; empty for a key listed with another (`↑` beside `↓`).
    pub keys: String,
    pub description: String,
    pub action: Action,
    pub matches: KeyMatch,
}

/// Which key presses a binding takes.
#[derive(Clone, Copy)]
pub enum KeyMatch {
    With(fn(&KeyEvent) -> bool),
    /// This character, with neither Ctrl nor Alt (a lab's own key).
    Plain(char),
}

impl KeyMatch {
    pub fn hits(self, key: &KeyEvent) -> bool {
        match self {
            KeyMatch::With(test) => test(key),
            KeyMatch::Plain(c) => plain(key, KeyCode::Char(c)),
        }
    }
}

impl Binding {
    pub fn new(
        keys: &str,
        description: impl Into<String>,
        action: Action,
        matches: fn(&KeyEvent) -> bool,
    ) -> Self {
        Self {
            keys: keys.to_owned(),
            description: description.into(),
            action,
            matches: KeyMatch::With(matches),
        }
    }

    /// A second key for an action listed already: obeyed, not shown.
    pub fn hidden(action: Action, matches: fn(&KeyEvent) -> bool) -> Self {
        Self::new("", "", action, matches)
    }
}

/// The key, with neither Ctrl nor Alt.
pub fn plain(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

pub fn ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Ctrl-Z, which raw mode delivers as a key rather than as the terminal's SIGTSTP.
pub fn ctrl_z(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Suspending, where there is job control to suspend to: listed on the panes (and so in
/// their help), obeyed but not listed while editing and over a prompt, whose hints are
/// about the prompt.
fn suspend_binding(list: &mut Vec<Binding>, listed: bool) {
    if cfg!(unix) {
        list.push(match listed {
            true => Binding::new("Ctrl-Z", "suspend (fg resumes)", Action::Suspend, ctrl_z),
            false => Binding::hidden(Action::Suspend, ctrl_z),
        });
    }
}

/// The bindings that apply right now, most specific first.
pub fn bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let overlay = match app.overlay {
        Some(Overlay::Help) => vec![
            // Ctrl-C means quit wherever it is pressed.
            Binding::new("Ctrl-C", "quit", Quit, ctrl_c),
            Binding::new("any key", "close help", ToggleHelp, |_| true),
        ],
        Some(Overlay::Message) => vec![
            Binding::new("Ctrl-C", "quit", Quit, ctrl_c),
            Binding::new("any key", "close", CloseMessage, |_| true),
        ],
        Some(Overlay::EarlierLeases) => leases::earlier_prompt_bindings(),
        Some(Overlay::ConfirmQuit) => lifecycle::quit_prompt_bindings(app),
        None => return pane_bindings(app),
    };
    // Ctrl-Z suspends over a prompt too, which is still there after `fg`.
    let mut list = Vec::new();
    suspend_binding(&mut list, false);
    list.extend(overlay);
    list
}

/// The bindings of the focused pane, overlays aside: what the help overlay lists.
pub fn pane_bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let mut list = Vec::new();
    if app.editing {
        list.push(Binding::new("Esc", "stop editing", StopEditing, |k| {
            plain(k, KeyCode::Esc)
        }));
        suspend_binding(&mut list, false);
        steps::editing_bindings(app, &mut list);
        list.push(Binding::new("Ctrl-C", "quit", Quit, ctrl_c));
        return list;
    }
    match app.pane {
        Pane::Leases => leases::pane_bindings(app, &mut list),
        Pane::Step(step) => steps::bindings(app, step, &mut list),
        Pane::Overview => overview_bindings(app, &mut list),
        Pane::Finish => {}
    }
    scroll::bindings(app, &mut list);
    if app.notice.is_some() {
        list.push(Binding::new("m", "the whole message", ShowMessage, |k| {
            plain(k, KeyCode::Char('m'))
        }));
    }
    if app.pane != Pane::Leases {
        leases::renew_binding(app, &mut list);
        list.push(Binding::new("l", "leases", OpenLeases, |k| {
            plain(k, KeyCode::Char('l'))
        }));
    }
    list.push(Binding::new("n →", "next step", NextPane, |k| {
        plain(k, KeyCode::Char('n')) || plain(k, KeyCode::Right)
    }));
    list.push(Binding::new("p ←", "previous step", PrevPane, |k| {
        plain(k, KeyCode::Char('p')) || plain(k, KeyCode::Left)
    }));
    list.push(Binding::new(
        "i",
        "inside view: Vault's AWS calls",
        ToggleInside,
        |k| plain(k, KeyCode::Char('i')),
    ));
    // Before help and quit, which the status bar always keeps: dropped first when short.
    suspend_binding(&mut list, true);
    list.push(Binding::new("?", "help", ToggleHelp, |k| {
        k.code == KeyCode::Char('?')
    }));
    list.push(Binding::new("q", "quit", Quit, |k| {
        plain(k, KeyCode::Char('q')) || ctrl_c(k)
    }));
    list
}

/// `v`, or nothing to list on stage, where it reveals nothing (and says so if pressed).
pub fn reveal_key(app: &App) -> &'static str {
    if app.stage.presenting { "" } else { "v" }
}

/// The overview: the checks again, and the second terminal's environment.
fn overview_bindings(app: &App, list: &mut Vec<Binding>) {
    use Action::*;
    list.push(Binding::new("d", "run the checks again", RunDoctor, |k| {
        plain(k, KeyCode::Char('d'))
    }));
    if !app.cli_env.is_empty() {
        list.push(Binding::new(
            reveal_key(app),
            "show or hide the secret values",
            RevealSecret,
            |k| plain(k, KeyCode::Char('v')),
        ));
        list.push(Binding::new(
            "c",
            "copy the export lines",
            CopyExports,
            |k| plain(k, KeyCode::Char('c')),
        ));
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
        .find(|binding| binding.matches.hits(key))
        .map(|binding| binding.action)
}

//! How a run ends: `q` and Ctrl-C, the quit prompt, SIGTERM and SIGHUP, and the note left
//! on stderr once the terminal is restored.

use crossterm::event::KeyCode;

use super::effect::Effect;
use super::keymap::{Action, Binding, ctrl_c, plain};
use super::leases;
use super::msg::StopSignal;
use super::state::{App, Mode, Overlay};
use crate::lease::table::Origin;

/// Whether, and how, the run is ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quit {
    #[default]
    No,
    /// `r` at the quit prompt: leaving once the revocations asked for are answered.
    AfterRevocations,
    /// A signal asked to stop while a request was on its way (credentials being issued, a
    /// revocation): leaving once those are answered, keeping the leases.
    WhenSettled,
    /// Over: the runtime has been told to stop.
    Now,
}

/// `q`, Ctrl-C and a first SIGTERM: quit at once, or ask while leases may be alive.
pub fn ask_to_quit(app: &mut App) {
    let issuing = app
        .issue_step()
        .is_some_and(|step| app.steps[step].status == super::state::StepStatus::Running);
    if issuing {
        // A lease is on its way: quitting now would forget it.
        app.notice = Some("Credentials are being issued: quit once they arrive.".into());
    } else if app.maybe_alive_leases() > 0 {
        // Revocations on their way count: quitting would cancel them. `r` waits for them.
        app.overlay = Some(Overlay::ConfirmQuit);
    } else {
        app.quit = Quit::Now;
    }
}

/// SIGTERM asks as `q` does; a second one, or SIGHUP (the terminal is gone, no one can
/// answer), keeps the leases in the journal and leaves: at once, or once the requests on
/// their way are answered. Leaving mid-request would drop a lease Vault may be issuing
/// before it is journaled, or cancel a revocation half way.
pub fn on_signal(app: &mut App, signal: StopSignal) -> Vec<Effect> {
    let again = app.stopped_by == Some(StopSignal::Terminate);
    app.stopped_by = Some(signal);
    match signal {
        StopSignal::Terminate if !again => {
            ask_to_quit(app);
            if app.quit != Quit::Now && app.overlay != Some(Overlay::ConfirmQuit) {
                app.notice = Some(format!(
                    "{} A second SIGTERM quits, keeping the leases.",
                    app.notice.take().unwrap_or_default()
                ));
            }
        }
        _ => {
            app.overlay = None;
            if app.requests_in_flight() {
                app.quit = Quit::WhenSettled;
                app.notice = Some(
                    "Stopping once the requests on their way are answered (the leases are kept)…"
                        .into(),
                );
            } else {
                app.quit = Quit::Now;
            }
        }
    }
    Vec::new()
}

/// After an answer: a run waiting for its requests leaves once none is left.
pub fn settle(app: &mut App) {
    if app.quit == Quit::WhenSettled && !app.requests_in_flight() {
        app.quit = Quit::Now;
    }
}

/// The quit prompt's and Ctrl-C's actions.
pub fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => ask_to_quit(app),
        Action::KeepAndQuit => {
            app.overlay = None;
            app.quit = Quit::Now;
        }
        Action::StayOpen => {
            app.overlay = None;
            app.stopped_by = None;
        }
        Action::RevokeAndQuit => {
            app.overlay = None;
            app.quit = Quit::AfterRevocations;
            // A lease issued elsewhere is left to whoever issued it.
            let effects = leases::revoke_all(app, |l| l.origin != Origin::Elsewhere, true);
            if effects.is_empty() && app.leases.revoking() == 0 {
                app.quit = Quit::Now;
            }
            return effects;
        }
        _ => {}
    }
    Vec::new()
}

/// The prompt when quitting with leases that may be alive. On vaultlab's own servers
/// nothing can be kept: the leases end with them, and `k` says so.
pub fn quit_prompt_bindings(app: &App) -> Vec<Binding> {
    use Action::*;
    let it = if app.maybe_alive_leases() == 1 {
        "it"
    } else {
        "them"
    };
    let (ctrl_c_does, k_does) = match app.leases_end_with_own_servers() {
        true => (
            app.quit_ending_own_servers().to_owned(),
            app.quit_ending_own_servers().to_owned(),
        ),
        false => (
            "keep the leases and quit".to_owned(),
            format!("keep {it} and quit"),
        ),
    };
    vec![
        // A second Ctrl-C leaves; the leases are kept (or end with the sandbox), as with k.
        Binding::new("Ctrl-C", ctrl_c_does, KeepAndQuit, ctrl_c),
        Binding::new("r", format!("revoke {it} and quit"), RevokeAndQuit, |k| {
            plain(k, KeyCode::Char('r'))
        }),
        Binding::new("k", k_does, KeepAndQuit, |k| plain(k, KeyCode::Char('k'))),
        Binding::new("Esc", "stay", StayOpen, |k| {
            plain(k, KeyCode::Esc) || plain(k, KeyCode::Char('q'))
        }),
    ]
}

impl App {
    /// The leases live in vaultlab's own servers (the embedded sandbox, or those it
    /// started), and end with them when vaultlab quits: there is nothing to keep. (With
    /// another AWS endpoint, its IAM users would stay there.)
    pub fn leases_end_with_own_servers(&self) -> bool {
        self.connection.mode.ends_with_run() && self.connection.service_endpoint.is_none()
    }

    /// What `k` does at the quit prompt when the leases end with vaultlab's own servers.
    pub fn quit_ending_own_servers(&self) -> &'static str {
        match self.connection.mode {
            Mode::Local { .. } => "quit, stopping the servers",
            _ => "quit, ending the sandbox",
        }
    }

    /// What to say on stderr once the terminal is restored: the leases left alive, and
    /// where they are kept. `None` when nothing was left behind.
    pub fn exit_note(&self) -> Option<String> {
        let kept = self.maybe_alive_leases();
        let why = match self.stopped_by {
            Some(StopSignal::Terminate) => "stopped by SIGTERM",
            Some(StopSignal::Hangup) => "stopped by SIGHUP (the terminal closed)",
            None if kept == 0 => return None,
            None => "quit",
        };
        let issued = super::plan::issue_path(self).unwrap_or_else(|| self.lab.mount().to_owned());
        Some(match (kept, &self.journal_path, &self.connection.mode) {
            (0, _, _) => format!("{why}; no lease was left alive."),
            (_, Some(path), _) if self.journal_problem.is_some() => format!(
                "{why}; {kept} lease(s) may still be alive, but the journal {path} missed a change ({}), so it may not list them all. Look them up with `vault list sys/leases/lookup/{issued}/`; `vaultlab cleanup --all` revokes those it lists.",
                self.journal_problem.as_deref().unwrap_or_default(),
            ),
            (_, Some(path), _) => format!(
                "{why}; {kept} lease(s) that may still be alive are kept in the journal {path}. `vaultlab cleanup` lists them; `vaultlab cleanup --all` revokes them."
            ),
            (_, None, Mode::Sandbox) => {
                format!("{why}; {kept} lease(s) ended with the embedded sandbox.")
            }
            (_, None, Mode::Local { .. }) => {
                format!("{why}; {kept} lease(s) ended with the servers vaultlab started.")
            }
            (_, None, Mode::Live) => format!(
                "{why}; {kept} lease(s) may still be alive and no journal was kept: revoke them with `vault lease revoke -prefix {issued}`."
            ),
        })
    }
}

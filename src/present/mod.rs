//! On stage: `vaultlab --present`. The pure side lives here: what presenting changes in
//! the app's state ([`Stage`]), what the presenting instance publishes for `vaultlab
//! notes` ([`Published`], sent as an effect when it changes), and autoplay. The socket
//! that carries it (`socket`) is run by the runtime and by `vaultlab notes`.
//!
//! Other parts of the app read one flag, [`Stage::presenting`]: secrets stay masked, the
//! status bar keeps only the keys that move the lab on. Going on stage also switches the
//! inside view on (`app.inside.shown`) where the sandbox can show it.

pub mod autoplay;
pub mod published;
#[cfg(unix)]
pub mod socket;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::state::{App, Pane};
use crate::app::{Effect, keymap::Action};
pub use autoplay::Autoplay;
pub use published::Published;

/// What the status bar says when `v` is pressed on stage.
pub const HIDDEN: &str = "Hidden in presenter mode: secrets and tokens stay masked on stage.";

/// Presenting, and what it needs to remember.
#[derive(Debug, Default)]
pub struct Stage {
    /// `--present`: the projector layout, secrets never revealed.
    pub presenting: bool,
    /// Where the lab was read from (`--labs`), so `notes` reads the same notes.
    pub labs_dir: Option<PathBuf>,
    /// `--autoplay`, while it has the keys.
    pub autoplay: Option<Autoplay>,
    /// The pane in view and since when: notes counts the time spent on it.
    shown: Option<(Pane, DateTime<Utc>)>,
    /// What was published last: a change is published, nothing else.
    published: Option<Published>,
}

/// How a run goes on stage, from the command line.
#[derive(Debug, Clone, Default)]
pub struct StageOptions {
    pub labs_dir: Option<PathBuf>,
    /// `--autoplay --pace`: autoplay at this pace.
    pub autoplay: Option<Duration>,
}

/// Puts the app on stage, once, before the runtime starts: presenter mode, and autoplay
/// if asked. Returns what that starts (autoplay's first wake-up, the first publication).
pub fn start(app: &mut App, options: StageOptions) -> Vec<Effect> {
    app.stage.presenting = true;
    app.stage.labs_dir = options.labs_dir;
    // What makes dynamic secrets click on stage: the inside view, on where the sandbox
    // can show it (`i` still hides it).
    if crate::inside::Availability::of(app) == crate::inside::Availability::Here {
        app.inside.shown = true;
    }
    let mut effects = Vec::new();
    if let Some(pace) = options.autoplay {
        effects.extend(autoplay::start(app, pace));
    }
    effects.extend(publish(app));
    effects
}

/// An action the stage changes: `v` reveals nothing while presenting. `None`: go on as
/// usual.
pub fn guard(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    if app.stage.presenting && action == Action::RevealSecret {
        app.notice = Some(HIDDEN.to_owned());
        return Some(Vec::new());
    }
    None
}

/// After every update while presenting: what `notes` follows, when it changed.
pub fn publish(app: &mut App) -> Vec<Effect> {
    if !app.stage.presenting {
        return Vec::new();
    }
    let since = match app.stage.shown {
        Some((pane, since)) if pane == app.pane => since,
        _ => {
            app.stage.shown = Some((app.pane, app.now));
            app.now
        }
    };
    let now = Published::of(app, since);
    if app.stage.published.as_ref() == Some(&now) {
        return Vec::new();
    }
    app.stage.published = Some(now.clone());
    vec![Effect::Publish(Box::new(now))]
}

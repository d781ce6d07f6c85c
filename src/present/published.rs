//! What a presenting instance tells `vaultlab notes`: the lab, the pane in view, the
//! step's state and since when it is in view, the lease that matters. One JSON object a
//! line on the socket. Ids and states only: never a secret, never a token.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::state::{App, Pane, StepStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The lab's id, and where it was read from (`None`: the labs built in).
    pub lab: String,
    pub labs_dir: Option<PathBuf>,
    pub lab_title: String,
    pub pane: ShownPane,
    /// The pane's title as the projector shows it.
    pub title: String,
    /// The step's state (`pending`, `running`, `done`, `failed`), on a step's pane.
    pub status: Option<String>,
    pub steps_done: usize,
    pub steps: usize,
    /// When the pane came into view.
    pub since: DateTime<Utc>,
    pub lease: Option<ShownLease>,
    /// Autoplay's state in words, while it runs.
    pub autoplay: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShownPane {
    Overview,
    Step(usize),
    Finish,
    Leases,
}

/// The lease the status bar shows: its short id, its state, and when it ends (the
/// countdown is counted by whoever shows it, so the clock need not be published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownLease {
    pub id: String,
    pub active: bool,
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

impl Published {
    pub fn of(app: &App, since: DateTime<Utc>) -> Published {
        let (pane, title, status) = match app.pane {
            Pane::Overview => (ShownPane::Overview, app.lab.title.clone(), None),
            Pane::Finish => (ShownPane::Finish, "Finish".to_owned(), None),
            Pane::Leases => (ShownPane::Leases, "Leases".to_owned(), None),
            Pane::Step(step) => (
                ShownPane::Step(step),
                app.lab.steps[step].title.clone(),
                Some(status_word(&app.steps[step].status).to_owned()),
            ),
        };
        let lease = app.lease_that_matters().map(|lease| {
            let active = lease.is_active(app.now);
            ShownLease {
                id: crate::lease::short_lease_id(&lease.lease_id),
                active,
                // Counting down is the reader's job: the state word only when it is not.
                state: match active {
                    true => "active".to_owned(),
                    false => lease.label(app.now),
                },
                expires_at: lease.expires_at,
            }
        });
        Published {
            lab: app.lab.id.clone(),
            labs_dir: app.stage.labs_dir.clone(),
            lab_title: app.lab.title.clone(),
            pane,
            title,
            status,
            steps_done: app.steps_done(),
            steps: app.steps.len(),
            since,
            lease,
            autoplay: app
                .stage
                .autoplay
                .as_ref()
                .map(|a| a.state_word().to_owned()),
        }
    }
}

pub fn status_word(status: &StepStatus) -> &'static str {
    match status {
        StepStatus::Pending => "pending",
        StepStatus::Running => "running",
        StepStatus::Done => "done",
        StepStatus::Failed(_) => "failed",
    }
}

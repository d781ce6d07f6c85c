//! The app's state: everything the screen shows and `update` changes. The state of each
//! kind of step lives beside the code that changes it, under `steps/`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::msg::StopSignal;
use crate::checks::Check;
use crate::engines::{Proof, Refusal, Values};
use crate::exchange::{Exchange, Failure};
use crate::lab::{Lab, StepKind};
use crate::lease::table::{LeaseTable, Origin, TrackedLease};
use crate::vault::types::LeaseInfo;
use secrecy::ExposeSecret;

pub use super::lifecycle::Quit;
pub use super::pane::Pane;
pub use super::steps::editor::DocumentEditor;
pub use super::steps::form::{FieldInput, FormState, SecretInput};
pub use crate::setup::{Connection, EnvVar, Mode, Prefill};

/// The increments the leases pane offers for a renewal (`+`/`-` move between them).
pub const RENEW_INCREMENTS: [Duration; 7] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(24 * 3600),
    Duration::from_secs(768 * 3600),
];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StepStatus {
    #[default]
    Pending,
    Running,
    Done,
    Failed(Failure),
}

#[derive(Debug, Default)]
pub struct StepState {
    pub status: StepStatus,
    /// The last request this step made, as curl, and its (masked) response.
    pub exchange: Option<Exchange>,
    /// What the learner put in, or what the step found, by its kind.
    pub input: StepInput,
}

/// A step's own state, beside its status.
#[derive(Debug, Default)]
pub enum StepInput {
    #[default]
    Plain,
    Form(FormState),
    /// Boxed: a text editor is much larger than the other inputs.
    Editor(Box<DocumentEditor>),
    /// The last test of the credentials, once run.
    Probe(Option<Probe>),
    /// The last look at revoked credentials.
    Revoke(Option<ShownProof>),
}

/// The credentials the lab generated last; their lease is in the lease table.
#[derive(Debug, Clone)]
pub struct Creds {
    pub lease: LeaseInfo,
    /// Every string field of the answer's `data`, by Vault's names.
    pub fields: Values,
    /// What they stand for (AWS: the IAM user Vault made), once the engine found it.
    pub subject: Option<String>,
    pub revealed: bool,
}

/// Credentials Vault issued, held back until the journal has their lease.
#[derive(Debug, Clone)]
pub struct Issuing {
    pub step: usize,
    pub lease_id: String,
    /// The credentials, or why the answer was not credentials.
    pub creds: Result<Creds, String>,
    pub exchange: Exchange,
}

/// The test of the credentials, retried while they propagate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub attempt: u32,
    pub started: DateTime<Utc>,
    /// Why we are waiting, while we are.
    pub waiting_because: Option<Refusal>,
    pub result: Option<Result<Exchange, Refusal>>,
}

/// The last look at revoked credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownProof {
    pub attempt: u32,
    pub proof: Proof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// Quitting while leases may be alive: revoke them, keep them, or stay.
    ConfirmQuit,
    /// Earlier runs left leases Vault says are alive: revoke them, look, or later.
    EarlierLeases,
    /// The status bar's message in full (`m`), for one too long for the bar.
    Message,
}

#[derive(Debug)]
pub struct App {
    pub lab: Lab,
    pub connection: Connection,
    pub pane: Pane,
    /// One per step of the lab, in its order.
    pub steps: Vec<StepState>,
    pub creds: Option<Creds>,
    pub issuing: Option<Issuing>,
    /// Keys go to the focused input while true.
    pub editing: bool,
    pub overlay: Option<Overlay>,
    /// A one-line message for the status bar (copied, renewed, …).
    pub notice: Option<String>,
    /// A key that replaces the learner's edits (`t`, `g`) was pressed once: pressed again
    /// at once, it goes ahead; any other key calls it off.
    pub confirm: Option<super::keymap::Action>,
    pub now: DateTime<Utc>,
    /// The doctor's checks, once run.
    pub doctor: Option<Vec<Check>>,
    /// The environment for a second terminal (sandbox mode), and whether its secrets show.
    pub cli_env: Vec<EnvVar>,
    pub cli_env_revealed: bool,
    /// Whether, and how, the run is ending.
    pub quit: Quit,
    /// The signal that ended the run, if one did.
    pub stopped_by: Option<StopSignal>,
    /// Every lease of this run, and the open ones of earlier runs.
    pub leases: LeaseTable,
    /// The selected row of the leases pane.
    pub lease_cursor: usize,
    /// Index into `RENEW_INCREMENTS`: the increment the leases pane renews with.
    pub renew_increment: usize,
    /// How far each pane's content is scrolled.
    pub scroll: super::scroll::Scrolls,
    /// Where `l` (or Esc) on the leases pane goes back to.
    pub pane_before_leases: Pane,
    /// The journal file, in live mode (the sandbox's leases end with it); leases are
    /// journaled only when there is one.
    pub journal_path: Option<String>,
    /// The last change the journal could not take: it may miss some of this run's leases.
    pub journal_problem: Option<String>,
    /// The steady reading of Vault that keeps the screen true to it.
    pub reconcile: super::reconcile::Reconcile,
    /// On stage (`--present`): presenter mode, autoplay, what `notes` follows.
    pub stage: crate::present::Stage,
    /// The screen is being recorded (`--record`): secrets cannot be revealed.
    pub recording: bool,
    /// The AWS calls Vault's engine made, and whether they show (`i`).
    pub inside: crate::inside::Inside,
    /// The room and seat, when the lab runs in a workshop room's seat (`vaultlab join`).
    pub room: Option<super::room::RoomSeat>,
}

impl App {
    pub fn pane(&self) -> Pane {
        self.pane
    }

    /// The step the focused pane shows, if it shows one.
    pub fn focused_step(&self) -> Option<usize> {
        self.pane.step()
    }

    pub fn step_kind(&self, step: usize) -> &StepKind {
        &self.lab.steps[step].kind
    }

    /// The form of step `step`, if it is a form step.
    pub fn form(&self, step: usize) -> Option<&FormState> {
        match &self.steps.get(step)?.input {
            StepInput::Form(form) => Some(form),
            _ => None,
        }
    }

    pub fn form_mut(&mut self, step: usize) -> Option<&mut FormState> {
        match &mut self.steps.get_mut(step)?.input {
            StepInput::Form(form) => Some(form),
            _ => None,
        }
    }

    pub fn editor(&self, step: usize) -> Option<&DocumentEditor> {
        match &self.steps.get(step)?.input {
            StepInput::Editor(editor) => Some(editor),
            _ => None,
        }
    }

    pub fn editor_mut(&mut self, step: usize) -> Option<&mut DocumentEditor> {
        match &mut self.steps.get_mut(step)?.input {
            StepInput::Editor(editor) => Some(editor),
            _ => None,
        }
    }

    pub fn probe(&self, step: usize) -> Option<&Probe> {
        match &self.steps.get(step)?.input {
            StepInput::Probe(probe) => probe.as_ref(),
            _ => None,
        }
    }

    pub fn proof(&self, step: usize) -> Option<&ShownProof> {
        match &self.steps.get(step)?.input {
            StepInput::Revoke(proof) => proof.as_ref(),
            _ => None,
        }
    }

    /// Every form field's value, by name: what the engine reads, and the requests' values.
    pub fn values(&self) -> Values {
        let mut values = Values::default();
        for (step, lab_step) in self.lab.steps.iter().enumerate() {
            if let (StepKind::Form(spec), Some(form)) = (&lab_step.kind, self.form(step)) {
                for (field, input) in spec.fields.iter().zip(&form.inputs) {
                    values.insert(field.name.clone(), input.value());
                }
            }
        }
        values
    }

    /// The issue step, where the credentials come from.
    pub fn issue_step(&self) -> Option<usize> {
        self.lab.issue().map(|(step, _)| step)
    }

    /// The lease of the current credentials, whatever its state.
    pub fn current_lease(&self) -> Option<&TrackedLease> {
        self.creds
            .as_ref()
            .and_then(|c| self.leases.get(&c.lease.id))
    }

    /// The lease of the current credentials, while it is neither revoked nor expired.
    pub fn active_lease(&self) -> Option<&TrackedLease> {
        self.current_lease()
            .filter(|lease| lease.is_active(self.now))
    }

    /// The lease under the leases pane's cursor.
    pub fn selected_lease(&self) -> Option<&TrackedLease> {
        self.leases.at(self.lease_cursor)
    }

    pub fn renew_increment(&self) -> Duration {
        RENEW_INCREMENTS[self.renew_increment.min(RENEW_INCREMENTS.len() - 1)]
    }

    /// The lease the status bar shows: one still alive before a newer one that ended.
    pub fn lease_that_matters(&self) -> Option<&TrackedLease> {
        let current = self.creds.as_ref().map(|c| c.lease.id.as_str());
        self.leases.that_matters(current, self.now)
    }

    /// Leases that may be alive in Vault, wherever they were issued.
    pub fn revocable_leases(&self) -> usize {
        self.leases.revocable(self.now).count()
    }

    /// Leases that may be alive when the run ends, which quitting asks about: vaultlab's
    /// own revocable ones (this run's and earlier runs'; a lease issued elsewhere is left
    /// to whoever issued it), every revocation still on its way (quitting cancels it,
    /// so Vault may never get it), and every one Vault queued and was not seen to finish.
    pub fn maybe_alive_leases(&self) -> usize {
        self.leases
            .revocable(self.now)
            .filter(|l| l.origin != Origin::Elsewhere)
            .count()
            + self.leases.revoking()
            + self.leases.queued().count()
    }

    /// Leases issued elsewhere that may be alive: left as they are when the run ends.
    pub fn alive_elsewhere(&self) -> usize {
        self.leases
            .revocable(self.now)
            .filter(|l| l.origin == Origin::Elsewhere)
            .count()
    }

    /// Requests whose answer must not be lost: credentials being issued (their lease is
    /// journaled before they show) and revocations on their way.
    pub fn requests_in_flight(&self) -> bool {
        self.issue_step()
            .is_some_and(|step| self.steps[step].status == StepStatus::Running)
            || self.leases.revoking() > 0
    }

    /// Steps done in this run, or (in a room's seat) seen done by the room.
    pub fn steps_done(&self) -> usize {
        (0..self.steps.len())
            .filter(|&step| {
                self.steps[step].status == StepStatus::Done
                    || super::room::done_in_room(self, step).is_some()
            })
            .count()
    }

    /// The run is over: the runtime has been told to stop.
    pub fn should_quit(&self) -> bool {
        self.quit == Quit::Now
    }

    /// Leases are journaled in this run (live mode, with a journal file).
    pub fn journaling(&self) -> bool {
        self.journal_path.is_some()
    }

    /// A value a template may show: the lab's and the engine's variables, the form's
    /// plain fields, where Vault is, the current lease and the credentials' plain fields,
    /// an editor's document (compact, as a command line takes it). Secrets are never
    /// shown, and documents only in commands: the lab's loader keeps them out of the rest.
    pub fn value(&self, name: &str) -> Option<String> {
        if let Some(value) = self.lab.var(name) {
            return Some(value.to_owned());
        }
        if let Some((_, value)) = self.connection.engine_vars.iter().find(|(n, _)| n == name) {
            return Some(value.clone());
        }
        if let Some(document) = super::plan::document_of(self, name) {
            return Some(document);
        }
        match name {
            "vault_addr" => return Some(self.connection.vault_addr.clone()),
            "service_endpoint" => return self.connection.service_endpoint.clone(),
            "lease_id" => return self.creds.as_ref().map(|c| c.lease.id.clone()),
            _ => {}
        }
        if let Some(field) = name.strip_prefix("creds.") {
            let creds = self.creds.as_ref()?;
            return creds
                .fields
                .get(field)
                .map(|v| v.expose_secret().to_owned());
        }
        let field = self.lab.fields().find(|f| f.name == name && !f.secret)?;
        Some(self.values().text(&field.name).to_owned())
    }

    /// A command or text from the lab with this run's values filled in.
    pub fn fill(&self, template: &str) -> String {
        crate::lab::fill_placeholders(template, |name| self.value(name))
    }

    /// A command or text to show: filled as `fill` does, and what only a later answer can
    /// tell (the lease id before there is a lease) as `<name>`, the way man pages write it.
    pub fn fill_shown(&self, template: &str) -> String {
        crate::lab::fill_placeholders(template, |name| {
            self.value(name).or_else(|| Some(format!("<{name}>")))
        })
    }

    /// How long the test of the credentials (step `step`) has been waiting.
    pub fn probe_elapsed(&self, step: usize) -> Option<Duration> {
        self.probe(step)
            .and_then(|p| (self.now - p.started).to_std().ok())
    }
}

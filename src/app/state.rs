//! The app's state: everything the screen shows and `update` changes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;
use secrecy::{ExposeSecret, SecretString};

use super::msg::{AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, StopSignal};
use super::policy::{PolicyCheck, check_policy};
use crate::checks::Check;
use crate::lab::{Lab, StepKind};
use crate::lease::table::{LeaseTable, TrackedLease};
pub use crate::setup::{Connection, EnvVar, Mode, PrefilledKeys};

/// Panes, left to right: the overview, the six steps, the finish, the leases.
pub const PANE_COUNT: usize = StepKind::ORDER.len() + 3;

/// Where the leases pane sits: last, and one key (`l`) away from every pane.
pub const LEASES_PANE: usize = PANE_COUNT - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Step(StepKind),
    Finish,
    Leases,
}

impl Pane {
    pub fn at(index: usize) -> Pane {
        match index {
            0 => Pane::Overview,
            i if i <= StepKind::ORDER.len() => Pane::Step(StepKind::ORDER[i - 1]),
            LEASES_PANE.. => Pane::Leases,
            _ => Pane::Finish,
        }
    }
}

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

#[derive(Debug, Clone, Default)]
pub struct StepView {
    pub status: StepStatus,
    /// The last request this step made, as curl, and its (masked) response.
    pub exchange: Option<Exchange>,
}

/// A one-line input for a secret: the text never leaves a `SecretString`.
#[derive(Debug, Clone)]
pub struct SecretInput(SecretString);

impl Default for SecretInput {
    fn default() -> Self {
        Self(SecretString::from(String::new()))
    }
}

impl SecretInput {
    pub fn new(value: SecretString) -> Self {
        Self(value)
    }

    pub fn push_str(&mut self, text: &str) {
        let mut value = self.0.expose_secret().to_owned();
        value.extend(text.chars().filter(|c| !c.is_control()));
        self.0 = SecretString::from(value);
    }

    pub fn backspace(&mut self) {
        let mut value = self.0.expose_secret().to_owned();
        value.pop();
        self.0 = SecretString::from(value);
    }

    pub fn clear(&mut self) {
        self.0 = SecretString::from(String::new());
    }

    pub fn len(&self) -> usize {
        self.0.expose_secret().chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    AccessKeyId,
    SecretAccessKey,
    Region,
}

impl KeyField {
    pub fn next(self) -> KeyField {
        match self {
            KeyField::AccessKeyId => KeyField::SecretAccessKey,
            KeyField::SecretAccessKey => KeyField::Region,
            KeyField::Region => KeyField::AccessKeyId,
        }
    }
}

/// The root keys Vault will be given.
#[derive(Debug, Clone)]
pub struct RootKeysForm {
    pub access_key_id: String,
    pub secret_access_key: SecretInput,
    pub region: String,
    pub field: KeyField,
    /// Where the prefilled keys came from (the sandbox, the environment, a profile).
    pub source: Option<String>,
    pub identity: Option<CallerIdentity>,
}

impl RootKeysForm {
    pub fn is_complete(&self) -> bool {
        !self.access_key_id.trim().is_empty()
            && !self.secret_access_key.is_empty()
            && !self.region.trim().is_empty()
    }

    /// The account's root user: Vault should be given an IAM user's keys instead.
    pub fn is_account_root(&self) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|identity| identity.arn.ends_with(":root"))
    }
}

/// The role's policy document, being edited and checked.
pub struct PolicyEditor {
    pub textarea: TextArea<'static>,
    pub check: PolicyCheck,
    pub template: usize,
}

impl PolicyEditor {
    pub fn new(document: &str, template: usize) -> Self {
        let mut textarea = TextArea::new(document.lines().map(str::to_owned).collect());
        // Line numbers, so "line 3, column 5" can be found at a glance.
        textarea.set_line_number_style(
            ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::DIM),
        );
        Self {
            check: check_policy(document),
            textarea,
            template,
        }
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Puts the cursor on the first JSON error, if there is one.
    pub fn jump_to_error(&mut self) -> bool {
        let PolicyCheck::NotJson(error) = &self.check else {
            return false;
        };
        let row = error.line - 1;
        // serde_json counts bytes; the editor's cursor counts characters.
        let column = self
            .textarea
            .lines()
            .get(row)
            .map(|line| {
                let byte = error.column.saturating_sub(1).min(line.len());
                line.char_indices().take_while(|(i, _)| *i < byte).count()
            })
            .unwrap_or(0);
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        self.textarea
            .move_cursor(ratatui_textarea::CursorMove::Jump(row, column));
        true
    }

    /// Re-checks after an edit.
    pub fn recheck(&mut self) {
        self.check = check_policy(&self.text());
    }
}

impl std::fmt::Debug for PolicyEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEditor")
            .field("text", &self.text())
            .field("check", &self.check)
            .field("template", &self.template)
            .finish()
    }
}

/// The credentials the lab generated last; their lease is in the lease table.
#[derive(Debug, Clone)]
pub struct Creds {
    pub issued: IssuedCreds,
    pub revealed: bool,
}

/// The DescribeInstances test, retried while a new key propagates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub attempt: u32,
    pub started: DateTime<Utc>,
    /// Why we are waiting, while we are.
    pub waiting_because: Option<AwsRefusal>,
    pub result: Option<Result<Exchange, AwsRefusal>>,
}

/// The proof that revoked keys are dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationProof {
    pub attempt: u32,
    pub refused_with: Option<String>,
    pub user_gone: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// Quitting while leases may be alive: revoke them, keep them, or stay.
    ConfirmQuit,
    /// Earlier runs left leases Vault says are alive: revoke them, look, or later.
    EarlierLeases,
}

#[derive(Debug)]
pub struct App {
    pub lab: Lab,
    pub connection: Connection,
    pub pane: usize,
    pub steps: [StepView; 6],
    pub root_keys: RootKeysForm,
    pub policy: PolicyEditor,
    pub creds: Option<Creds>,
    pub probe: Option<Probe>,
    pub proof: Option<RevocationProof>,
    /// Keys go to the focused input while true.
    pub editing: bool,
    pub overlay: Option<Overlay>,
    /// A one-line message for the status bar (copied, renewed, …).
    pub notice: Option<String>,
    /// `t` was pressed over an edited policy; a second `t` replaces it.
    pub template_confirm: bool,
    pub now: DateTime<Utc>,
    /// The doctor's checks, once run.
    pub doctor: Option<Vec<Check>>,
    /// The environment for a second terminal (sandbox mode), and whether its secrets show.
    pub cli_env: Vec<EnvVar>,
    pub cli_env_revealed: bool,
    /// Quit once the revocations asked for at the quit prompt are done.
    pub quit_after_revoke: bool,
    /// A signal asked to stop while a request was on its way (credentials being issued,
    /// a revocation): leave once those are answered, keeping the leases.
    pub quit_when_settled: bool,
    pub should_quit: bool,
    /// Every lease of this run, and the open ones of earlier runs.
    pub leases: LeaseTable,
    /// The selected row of the leases pane.
    pub lease_cursor: usize,
    /// Index into `RENEW_INCREMENTS`: the increment the leases pane renews with.
    pub renew_increment: usize,
    /// Where `l` (or Esc) on the leases pane goes back to.
    pub pane_before_leases: usize,
    /// The journal file, in live mode (the sandbox's leases end with it).
    pub journal_path: Option<String>,
    /// The last change the journal could not take: it may miss some of this run's leases.
    pub journal_problem: Option<String>,
    /// The signal that ended the run, if one did.
    pub stopped_by: Option<StopSignal>,
}

impl App {
    pub fn pane(&self) -> Pane {
        Pane::at(self.pane)
    }

    pub fn step_index(kind: StepKind) -> usize {
        StepKind::ORDER
            .iter()
            .position(|k| *k == kind)
            .expect("every kind is in ORDER")
    }

    pub fn step(&self, kind: StepKind) -> &StepView {
        &self.steps[Self::step_index(kind)]
    }

    pub fn step_mut(&mut self, kind: StepKind) -> &mut StepView {
        &mut self.steps[Self::step_index(kind)]
    }

    /// The lease of the current credentials, whatever its state.
    pub fn current_lease(&self) -> Option<&TrackedLease> {
        self.creds
            .as_ref()
            .and_then(|c| self.leases.get(&c.issued.lease_id))
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

    /// Leases that may be alive in Vault: what quitting asks about.
    pub fn revocable_leases(&self) -> usize {
        self.leases.revocable(self.now).count()
    }

    /// Leases that may be alive when the run ends: the revocable ones, and those whose
    /// revocation is still on its way (quitting cancels it, so Vault may never get it).
    pub fn maybe_alive_leases(&self) -> usize {
        self.revocable_leases() + self.leases.revoking()
    }

    /// Requests whose answer must not be lost: credentials being issued (the lease is
    /// journaled before they arrive) and revocations on their way.
    pub fn requests_in_flight(&self) -> bool {
        self.step(StepKind::Generate).status == StepStatus::Running || self.leases.revoking() > 0
    }

    pub fn steps_done(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count()
    }

    /// A command or text from the lab with this run's values filled in.
    pub fn fill(&self, template: &str) -> String {
        crate::lab::fill_placeholders(template, |name| match name {
            "mount" => Some(self.lab.mount.clone()),
            "role" => Some(self.lab.role.clone()),
            "region" => Some(self.root_keys.region.clone()),
            "vault_addr" => Some(self.connection.vault_addr.clone()),
            "lease_id" => self.creds.as_ref().map(|c| c.issued.lease_id.clone()),
            _ => None,
        })
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
        Some(match (kept, &self.journal_path, &self.connection.mode) {
            (0, _, _) => format!("{why}; no lease was left alive."),
            (_, Some(path), _) if self.journal_problem.is_some() => format!(
                "{why}; {kept} lease(s) may still be alive, but the journal {path} missed a change ({}), so it may not list them all. Look them up with `vault list sys/leases/lookup/{}/creds/{}/`; `vaultlab cleanup --all` revokes those it lists.",
                self.journal_problem.as_deref().unwrap_or_default(),
                self.lab.mount,
                self.lab.role
            ),
            (_, Some(path), _) => format!(
                "{why}; {kept} lease(s) that may still be alive are kept in the journal {path}. `vaultlab cleanup` lists them; `vaultlab cleanup --all` revokes them."
            ),
            (_, None, Mode::Sandbox) => {
                format!("{why}; {kept} lease(s) ended with the embedded sandbox.")
            }
            (_, None, Mode::Live) => format!(
                "{why}; {kept} lease(s) may still be alive and no journal was kept: revoke them with `vault lease revoke -prefix {}/creds/{}`.",
                self.lab.mount, self.lab.role
            ),
        })
    }

    /// How long the DescribeInstances test has been waiting.
    pub fn probe_elapsed(&self) -> Option<Duration> {
        self.probe
            .as_ref()
            .and_then(|p| (self.now - p.started).to_std().ok())
    }
}

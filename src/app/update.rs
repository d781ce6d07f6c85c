//! `update`: the one place the app's state changes. Pure: no I/O, no clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::effect::{AwsKeys, Effect};
use super::keymap::{Action, action_for};
use super::msg::{AwsRefusal, Failure, LeaseFacts, LookupFailure, Msg, Outcome, StopSignal};
use super::probe_schedule::{PROBE_ATTEMPTS, PROOF_ATTEMPTS, probe_delay};
use super::state::{
    App, Connection, Creds, KeyField, LEASES_PANE, Overlay, PANE_COUNT, Pane, PolicyEditor,
    PrefilledKeys, Probe, RENEW_INCREMENTS, RevocationProof, RootKeysForm, SecretInput, StepStatus,
    StepView,
};
use crate::lab::{Lab, StepKind};
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::lease::table::{Origin, Renewal, TrackedLease, describe_renewal};

/// The short-leases demo: long enough to use the keys, short enough to watch them expire.
pub const SHORT_LEASE: Duration = Duration::from_secs(120);
pub const SHORT_LEASE_MAX: Duration = Duration::from_secs(300);

/// After a lease's time is up, how often and how long to ask Vault whether it is gone.
pub const EXPIRY_CHECK_DELAY: Duration = Duration::from_secs(2);
pub const EXPIRY_CHECKS: u32 = 30;
/// The increment the leases pane starts with: an hour.
const DEFAULT_RENEW_INCREMENT: usize = 3;

/// Builds the app and the effects it starts with.
pub fn init(
    lab: Lab,
    connection: Connection,
    prefill: Option<PrefilledKeys>,
    now: DateTime<Utc>,
) -> (App, Vec<Effect>) {
    let root_keys = match prefill {
        Some(keys) => RootKeysForm {
            access_key_id: keys.access_key_id,
            secret_access_key: SecretInput::new(keys.secret_access_key),
            region: keys.region,
            field: KeyField::AccessKeyId,
            source: Some(keys.source),
            identity: None,
        },
        None => RootKeysForm {
            access_key_id: String::new(),
            secret_access_key: SecretInput::default(),
            region: lab.region.clone(),
            field: KeyField::AccessKeyId,
            source: None,
            identity: None,
        },
    };
    let policy = PolicyEditor::new(&lab.policy_templates[0].document, 0);
    let refresh = Effect::RefreshStatus {
        mount: lab.mount.clone(),
        role: lab.role.clone(),
    };
    let app = App {
        lab,
        connection,
        pane: 0,
        steps: Default::default(),
        root_keys,
        policy,
        creds: None,
        probe: None,
        proof: None,
        editing: false,
        overlay: None,
        notice: None,
        template_confirm: false,
        now,
        doctor: None,
        cli_env: Vec::new(),
        cli_env_revealed: false,
        quit_after_revoke: false,
        quit_when_settled: false,
        should_quit: false,
        leases: Default::default(),
        lease_cursor: 0,
        renew_increment: DEFAULT_RENEW_INCREMENT,
        pane_before_leases: 0,
        journal_path: None,
        journal_problem: None,
        stopped_by: None,
    };
    let doctor = run_doctor(&app);
    (app, vec![refresh, doctor])
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            app.now = now;
            check_expired(app)
        }
        Msg::Signal(signal) => on_signal(app, signal),
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => {
            on_paste(app, &text);
            Vec::new()
        }
        Msg::Outcome(outcome) => {
            let effects = on_outcome(app, outcome);
            if app.quit_when_settled && !app.requests_in_flight() {
                app.should_quit = true;
                return Vec::new();
            }
            effects
        }
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match action_for(app, &key) {
        Some(action) => on_action(app, action),
        None if app.editing => {
            edit(app, key);
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Whether the policy differs from the template it was loaded from.
fn policy_edited(app: &App) -> bool {
    let template = &app.lab.policy_templates[app.policy.template].document;
    app.policy.text().trim_end() != template.trim_end()
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    app.notice = None;
    // A second `t` confirms replacing an edited policy; any other key calls it off.
    let template_confirmed =
        std::mem::take(&mut app.template_confirm) && matches!(action, Action::NextTemplate);
    match action {
        Action::NextPane | Action::PrevPane => {
            app.pane = match action {
                Action::NextPane => (app.pane + 1).min(PANE_COUNT - 1),
                _ => app.pane.saturating_sub(1),
            };
            // A step done meanwhile with the CLI, in another terminal, shows done.
            return vec![refresh_status(app)];
        }
        Action::ToggleHelp => {
            app.overlay = match app.overlay {
                Some(Overlay::Help) => None,
                _ => Some(Overlay::Help),
            }
        }
        Action::StartEditing => app.editing = true,
        Action::StopEditing => app.editing = false,
        Action::NextField => app.root_keys.field = app.root_keys.field.next(),
        Action::NextTemplate => {
            let next = (app.policy.template + 1) % app.lab.policy_templates.len();
            let name = &app.lab.policy_templates[next].name;
            if policy_edited(app) && !template_confirmed {
                app.template_confirm = true;
                app.notice = Some(format!(
                    "t again replaces your edits with \"{name}\"; any other key keeps them"
                ));
            } else {
                app.notice = Some(format!("Policy: {name}"));
                app.policy = PolicyEditor::new(&app.lab.policy_templates[next].document, next);
            }
        }
        Action::RevealSecret if app.pane() == Pane::Overview => {
            app.cli_env_revealed = !app.cli_env_revealed;
        }
        Action::RevealSecret => {
            if let Some(creds) = &mut app.creds {
                creds.revealed = !creds.revealed;
            }
        }
        Action::CopyExports if app.pane() == Pane::Overview => {
            return vec![Effect::CopyToClipboard(cli_env_snippet(app))];
        }
        Action::CopyExports => {
            if let Some(creds) = &app.creds {
                return vec![Effect::CopyToClipboard(export_snippet(
                    creds,
                    &app.root_keys.region,
                ))];
            }
        }
        Action::RunDoctor => {
            app.doctor = None;
            return vec![run_doctor(app)];
        }
        Action::ShortLeases => {
            return vec![Effect::WriteLeaseConfig {
                mount: app.lab.mount.clone(),
                lease: SHORT_LEASE,
                lease_max: SHORT_LEASE_MAX,
            }];
        }
        Action::Renew => {
            if let Some(lease) = app.active_lease() {
                let lease_id = lease.lease_id.clone();
                return renew(app, lease_id, None);
            }
        }
        Action::Quit => ask_to_quit(app),
        Action::KeepAndQuit => {
            app.overlay = None;
            app.should_quit = true;
        }
        Action::StayOpen => {
            app.overlay = None;
            app.stopped_by = None;
        }
        Action::RevokeAndQuit => {
            app.overlay = None;
            app.quit_after_revoke = true;
            let effects = revoke_all(app, |_| true, true);
            if effects.is_empty() && app.leases.revoking() == 0 {
                app.should_quit = true;
            }
            return effects;
        }
        Action::OpenLeases => {
            app.overlay = None;
            if app.pane != LEASES_PANE {
                app.pane_before_leases = app.pane;
            }
            app.pane = LEASES_PANE;
            app.lease_cursor = app.lease_cursor.min(app.leases.len().saturating_sub(1));
        }
        Action::CloseLeases => app.pane = app.pane_before_leases.min(LEASES_PANE - 1),
        Action::NextLease => {
            app.lease_cursor = (app.lease_cursor + 1).min(app.leases.len().saturating_sub(1));
        }
        Action::PrevLease => app.lease_cursor = app.lease_cursor.saturating_sub(1),
        Action::LongerIncrement => {
            app.renew_increment = (app.renew_increment + 1).min(RENEW_INCREMENTS.len() - 1);
        }
        Action::ShorterIncrement => app.renew_increment = app.renew_increment.saturating_sub(1),
        Action::RenewSelected => {
            let increment = app.renew_increment();
            if let Some(lease) = app.selected_lease().filter(|l| l.is_active(app.now)) {
                let lease_id = lease.lease_id.clone();
                return renew(app, lease_id, Some(increment));
            }
        }
        Action::RevokeSelected => {
            if let Some(lease) = app.selected_lease().filter(|l| l.is_revocable(app.now)) {
                let lease_id = lease.lease_id.clone();
                return revoke(app, &lease_id);
            }
        }
        Action::RevokeAll => {
            app.overlay = None;
            return revoke_all(app, |_| true, false);
        }
        // The start-up prompt lists only earlier runs' leases: this run's stay.
        Action::RevokeEarlier => {
            app.overlay = None;
            return revoke_all(app, |lease| lease.origin == Origin::EarlierRun, false);
        }
        Action::RunStep => return run_step(app),
    }
    Vec::new()
}

/// Keys typed into the focused input while editing.
fn edit(app: &mut App, key: KeyEvent) {
    match app.pane() {
        Pane::Step(StepKind::RolePolicy) if app.policy.textarea.input(key) => {
            app.policy.recheck();
        }
        Pane::Step(StepKind::RootKeys) => {
            let form = &mut app.root_keys;
            if key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            {
                return;
            }
            match (key.code, form.field) {
                (KeyCode::Char(c), KeyField::AccessKeyId) => form.access_key_id.push(c),
                (KeyCode::Char(c), KeyField::SecretAccessKey) => {
                    form.secret_access_key.push_str(&c.to_string())
                }
                (KeyCode::Char(c), KeyField::Region) => form.region.push(c),
                (KeyCode::Backspace, KeyField::AccessKeyId) => {
                    form.access_key_id.pop();
                }
                (KeyCode::Backspace, KeyField::SecretAccessKey) => {
                    form.secret_access_key.backspace()
                }
                (KeyCode::Backspace, KeyField::Region) => {
                    form.region.pop();
                }
                (KeyCode::Enter, _) => form.field = form.field.next(),
                _ => {}
            }
            form.identity = None;
        }
        _ => {}
    }
}

/// Bracketed paste: into the focused input, and only while editing.
fn on_paste(app: &mut App, text: &str) {
    if !app.editing {
        app.notice = Some("Press e to edit before pasting.".to_owned());
        return;
    }
    match app.pane() {
        Pane::Step(StepKind::RolePolicy) => {
            app.policy.textarea.insert_str(text);
            app.policy.recheck();
        }
        Pane::Step(StepKind::RootKeys) => {
            let form = &mut app.root_keys;
            // One field, one line: a pasted pair of keys must not put the secret into
            // the access key field, which is shown in clear.
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or_default();
            match form.field {
                KeyField::AccessKeyId => form.access_key_id.push_str(line),
                KeyField::SecretAccessKey => form.secret_access_key.push_str(line),
                KeyField::Region => form.region.push_str(line),
            }
            form.identity = None;
        }
        _ => {}
    }
}

fn run_step(app: &mut App) -> Vec<Effect> {
    let Pane::Step(kind) = app.pane() else {
        return Vec::new();
    };
    if app.step(kind).status == StepStatus::Running {
        app.notice = Some("Already running…".to_owned());
        return Vec::new();
    }
    let mount = app.lab.mount.clone();
    let role = app.lab.role.clone();
    let effect = match kind {
        StepKind::EnableEngine => Effect::EnableEngine { mount },
        StepKind::RootKeys => {
            if !app.root_keys.is_complete() {
                return refuse(
                    app,
                    kind,
                    "The keys are incomplete",
                    "Press e and fill in the access key, the secret key and the region.",
                );
            }
            Effect::CheckRootKeys(root_keys(app))
        }
        StepKind::RolePolicy => {
            if !app.policy.check.is_usable() {
                // Straight to the mistake, editor open.
                if app.policy.jump_to_error() {
                    app.editing = true;
                }
                return refuse(
                    app,
                    kind,
                    "The policy has errors",
                    "Fix what the checker lists (e to edit), or press t for a template.",
                );
            }
            Effect::WriteRole {
                mount,
                role,
                policy_document: app.policy.text(),
            }
        }
        StepKind::Generate => Effect::GenerateCreds {
            mount,
            role,
            root: root_keys(app),
        },
        StepKind::TestKeys => {
            if app.creds.is_some() && app.active_lease().is_none() {
                return refuse(
                    app,
                    kind,
                    "These credentials are revoked or expired",
                    "Generate new credentials in step 4, then test them.",
                );
            }
            let Some(keys) = issued_keys(app) else {
                return refuse(
                    app,
                    kind,
                    "No credentials yet",
                    "Generate credentials in step 4 first.",
                );
            };
            app.probe = Some(Probe {
                attempt: 1,
                started: app.now,
                waiting_because: None,
                result: None,
            });
            Effect::DescribeInstances {
                lease_id: current_lease_id(app),
                keys,
                attempt: 1,
                delay: Duration::ZERO,
            }
        }
        StepKind::Revoke => {
            // Done and proved: say so rather than turn a success into a failure.
            if app.step(kind).status == StepStatus::Done && app.active_lease().is_none() {
                app.notice = Some("Already revoked. Generate new credentials to go again.".into());
                return Vec::new();
            }
            if app.active_lease().is_none() {
                return refuse(
                    app,
                    kind,
                    "No active lease",
                    "Generate credentials in step 4 first.",
                );
            }
            return start_revoke(app);
        }
    };
    app.step_mut(kind).status = StepStatus::Running;
    vec![effect]
}

/// Step 6: revoke the current lease, then prove the keys dead.
fn start_revoke(app: &mut App) -> Vec<Effect> {
    let Some(lease) = app.active_lease() else {
        app.should_quit = app.quit_after_revoke;
        return Vec::new();
    };
    let lease_id = lease.lease_id.clone();
    app.step_mut(StepKind::Revoke).status = StepStatus::Running;
    app.proof = None;
    if let Some(lease) = app.leases.get_mut(&lease_id) {
        lease.state = Lifecycle::Revoking;
    }
    vec![Effect::RevokeLease {
        lease_id,
        sync: false,
    }]
}

/// Revokes one tracked lease; the current credentials' lease goes through step 6, so the
/// proof that the keys died shows there too.
fn revoke(app: &mut App, lease_id: &str) -> Vec<Effect> {
    if app.active_lease().is_some_and(|l| l.lease_id == lease_id) {
        return start_revoke(app);
    }
    revoke_now(app, lease_id)
}

/// Revokes one tracked lease and waits for Vault to finish, without step 6's proof.
fn revoke_now(app: &mut App, lease_id: &str) -> Vec<Effect> {
    match app.leases.get_mut(lease_id) {
        Some(lease) if lease.is_revocable(app.now) => {
            lease.state = Lifecycle::Revoking;
            vec![Effect::RevokeLease {
                lease_id: lease_id.to_owned(),
                sync: true,
            }]
        }
        _ => Vec::new(),
    }
}

/// Revokes every lease that may still be alive and that `which` picks. On the way out
/// (`quitting`) each waits for Vault, since no proof will follow to close its entry.
fn revoke_all(app: &mut App, which: impl Fn(&TrackedLease) -> bool, quitting: bool) -> Vec<Effect> {
    let ids: Vec<String> = app
        .leases
        .revocable(app.now)
        .filter(|lease| which(lease))
        .map(|l| l.lease_id.clone())
        .collect();
    ids.iter()
        .flat_map(|id| match quitting {
            true => revoke_now(app, id),
            false => revoke(app, id),
        })
        .collect()
}

fn renew(app: &mut App, lease_id: String, increment: Option<Duration>) -> Vec<Effect> {
    if let Some(lease) = app.leases.get_mut(&lease_id) {
        lease.renewing = true;
    }
    vec![Effect::RenewLease {
        lease_id,
        increment,
    }]
}

/// `q`, Ctrl-C and a first SIGTERM: quit at once, or ask while leases may be alive.
fn ask_to_quit(app: &mut App) {
    if app.step(StepKind::Generate).status == StepStatus::Running {
        // A lease is on its way: quitting now would forget it.
        app.notice = Some("Credentials are being issued: quit once they arrive.".into());
    } else if app.maybe_alive_leases() > 0 {
        // Revocations on their way count: quitting would cancel them. `r` waits for them.
        app.overlay = Some(Overlay::ConfirmQuit);
    } else {
        app.should_quit = true;
    }
}

/// SIGTERM asks as `q` does; a second one, or SIGHUP (the terminal is gone, no one can
/// answer), keeps the leases in the journal and leaves: at once, or once the requests on
/// their way are answered. Leaving mid-request would drop a lease Vault may be issuing
/// before it is journaled, or cancel a revocation half way.
fn on_signal(app: &mut App, signal: StopSignal) -> Vec<Effect> {
    let again = app.stopped_by == Some(StopSignal::Terminate);
    app.stopped_by = Some(signal);
    match signal {
        StopSignal::Terminate if !again => {
            ask_to_quit(app);
            if !app.should_quit && app.overlay != Some(Overlay::ConfirmQuit) {
                app.notice = Some(format!(
                    "{} A second SIGTERM quits, keeping the leases.",
                    app.notice.take().unwrap_or_default()
                ));
            }
        }
        _ => {
            app.overlay = None;
            if app.requests_in_flight() {
                app.quit_when_settled = true;
                app.notice = Some(
                    "Stopping once the requests on their way are answered (the leases are kept)…"
                        .into(),
                );
            } else {
                app.should_quit = true;
            }
        }
    }
    Vec::new()
}

/// Leases whose time is up are looked up once Vault has had a moment to revoke them,
/// so the journal can close them.
fn check_expired(app: &mut App) -> Vec<Effect> {
    let now = app.now;
    let mut effects = Vec::new();
    for lease in app.leases.iter_mut() {
        if lease.state == Lifecycle::Active && now >= lease.expires_at {
            lease.state = Lifecycle::Expired;
            effects.push(Effect::LookupLease {
                lease_id: lease.lease_id.clone(),
                attempt: 1,
                delay: EXPIRY_CHECK_DELAY,
            });
        }
    }
    effects
}

fn refuse(app: &mut App, kind: StepKind, what: &str, hint: &str) -> Vec<Effect> {
    app.step_mut(kind).status = StepStatus::Failed(Failure {
        what: what.to_owned(),
        detail: String::new(),
        hint: hint.to_owned(),
    });
    Vec::new()
}

fn root_keys(app: &App) -> AwsKeys {
    AwsKeys {
        access_key_id: app.root_keys.access_key_id.trim().to_owned(),
        secret_access_key: app.root_keys.secret_access_key.secret().clone(),
        region: app.root_keys.region.trim().to_owned(),
    }
}

fn issued_keys(app: &App) -> Option<AwsKeys> {
    app.creds.as_ref().map(|creds| AwsKeys {
        access_key_id: creds.issued.access_key_id.clone(),
        secret_access_key: creds.issued.secret_access_key.clone(),
        region: app.root_keys.region.trim().to_owned(),
    })
}

fn run_doctor(app: &App) -> Effect {
    Effect::RunDoctor {
        mount: app.lab.mount.clone(),
        role: app.lab.role.clone(),
        keys: app.root_keys.is_complete().then(|| {
            let source = app
                .root_keys
                .source
                .clone()
                .unwrap_or_else(|| "the form".to_owned());
            (root_keys(app), source)
        }),
    }
}

/// The lease of the current credentials, revoked or not; empty before any.
fn current_lease_id(app: &App) -> String {
    app.creds
        .as_ref()
        .map(|c| c.issued.lease_id.clone())
        .unwrap_or_default()
}

fn refresh_status(app: &App) -> Effect {
    Effect::RefreshStatus {
        mount: app.lab.mount.clone(),
        role: app.lab.role.clone(),
    }
}

fn prove_revoked(app: &App, attempt: u32, delay: Duration) -> Vec<Effect> {
    let Some(keys) = issued_keys(app) else {
        return Vec::new();
    };
    let iam_user = app.creds.as_ref().and_then(|c| c.issued.iam_user.clone());
    vec![Effect::ProveRevoked {
        lease_id: current_lease_id(app),
        keys,
        root: root_keys(app),
        iam_user,
        attempt,
        delay,
    }]
}

fn on_outcome(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    // Outcomes about older credentials arrive late when the learner generates new ones
    // meanwhile: they update the lease table, never the steps of the new ones.
    let is_current = outcome
        .lease_id()
        .is_none_or(|id| app.creds.as_ref().map(|c| c.issued.lease_id.as_str()) == Some(id));
    match outcome {
        Outcome::Revoked { lease_id, result } => {
            return on_revoked(app, &lease_id, is_current, result);
        }
        Outcome::Renewed {
            lease_id,
            asked,
            result,
        } => on_renewed(app, &lease_id, asked, result),
        Outcome::JournalRead {
            path,
            open,
            other_runs,
        } => return on_journal_read(app, path, open, other_runs),
        Outcome::LookedUp {
            lease_id,
            attempt,
            result,
        } => return on_looked_up(app, &lease_id, attempt, result),
        _ if !is_current => {}
        other => return on_step_outcome(app, other),
    }
    Vec::new()
}

fn on_step_outcome(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    match outcome {
        Outcome::Status(Ok(status)) => {
            let done = [
                (StepKind::EnableEngine, status.engine_enabled),
                (StepKind::RootKeys, status.root_configured),
                (StepKind::RolePolicy, status.role_written),
            ];
            for (kind, is_done) in done {
                let step = app.step_mut(kind);
                if is_done && step.status != StepStatus::Running {
                    step.status = StepStatus::Done;
                }
            }
        }
        Outcome::Status(Err(failure)) => {
            app.notice = Some(format!("{}: {}", failure.what, failure.detail))
        }
        Outcome::EngineEnabled(result) => finish(app, StepKind::EnableEngine, result),
        Outcome::RootKeysChecked(Ok(identity)) => {
            app.root_keys.identity = Some(identity);
            return vec![Effect::WriteRootConfig {
                mount: app.lab.mount.clone(),
                keys: root_keys(app),
                engine_endpoint: app.connection.engine_aws_endpoint.clone(),
            }];
        }
        Outcome::RootKeysChecked(Err(failure)) => fail(app, StepKind::RootKeys, failure),
        Outcome::RootConfigWritten(result) => finish(app, StepKind::RootKeys, result),
        Outcome::RoleWritten(result) => finish(app, StepKind::RolePolicy, result),
        Outcome::CredsIssued(Ok((issued, exchange))) => {
            // Tracked beside the earlier ones: a new lease does not end the older.
            app.leases.track(TrackedLease::issued(
                issued.lease_id.clone(),
                app.lab.role.clone(),
                app.now,
                issued.lease_duration,
                issued.renewable,
            ));
            app.creds = Some(Creds {
                issued,
                revealed: false,
            });
            app.probe = None;
            app.proof = None;
            for kind in [StepKind::TestKeys, StepKind::Revoke] {
                *app.step_mut(kind) = StepView::default();
            }
            finish(app, StepKind::Generate, Ok(exchange));
        }
        Outcome::CredsIssued(Err(failure)) => fail(app, StepKind::Generate, failure),
        Outcome::Doctor(checks) => app.doctor = Some(checks),
        Outcome::LeaseConfigWritten(Ok(_)) => {
            app.notice = Some(
                "Leases now last 2m (max 5m): generate credentials and watch Vault expire them."
                    .to_owned(),
            );
        }
        Outcome::LeaseConfigWritten(Err(failure)) => {
            app.notice = Some(format!("{}: {}", failure.what, failure.detail));
        }
        Outcome::Described {
            attempt, result, ..
        } => return on_described(app, attempt, result),
        Outcome::RevocationChecked {
            attempt,
            refused_with,
            user_gone,
            exchange,
            ..
        } => {
            let dead = refused_with.is_some() && user_gone;
            app.proof = Some(RevocationProof {
                attempt,
                refused_with,
                user_gone,
            });
            let step = app.step_mut(StepKind::Revoke);
            step.exchange = Some(exchange);
            if dead {
                step.status = StepStatus::Done;
            } else if attempt >= PROOF_ATTEMPTS {
                step.status = StepStatus::Failed(Failure {
                    what: "The revoked keys still work".to_owned(),
                    detail: "AWS still accepts them, or the IAM user is still there.".to_owned(),
                    hint: "Vault revokes in the background: look up the lease, or check Vault's log for a revocation error.".to_owned(),
                });
            } else {
                return prove_revoked(app, attempt + 1, probe_delay(attempt));
            }
        }
        Outcome::Copied(Ok(())) => {
            app.notice = Some("Copied the export lines to the clipboard (OSC 52).".to_owned())
        }
        Outcome::Copied(Err(failure)) => app.notice = Some(failure.what),
        Outcome::JournalFailed(problem) => {
            app.notice = Some(format!(
                "{problem}. Note the lease ids (l shows them) until it is fixed."
            ));
            app.journal_problem = Some(problem);
        }
        Outcome::Crashed { step, failure } => match step {
            Some(kind) => fail(app, kind, failure),
            None => app.notice = Some(format!("{}: {}", failure.what, failure.detail)),
        },
        // Handled before the steps see anything.
        Outcome::Revoked { .. }
        | Outcome::Renewed { .. }
        | Outcome::JournalRead { .. }
        | Outcome::LookedUp { .. } => {}
    }
    Vec::new()
}

fn on_revoked(
    app: &mut App,
    lease_id: &str,
    is_current: bool,
    result: Result<super::msg::Exchange, Failure>,
) -> Vec<Effect> {
    let now = app.now;
    if let Some(lease) = app.leases.get_mut(lease_id) {
        lease.state = match &result {
            Ok(_) => Lifecycle::Revoked { at: now },
            // The runner has kept it in the journal with these words, to retry next time.
            Err(failure) => Lifecycle::RevokeFailed {
                at: now,
                error: failure.detail.clone(),
            },
        };
    }
    if let Err(failure) = &result {
        app.notice = Some(format!(
            "{}: {} (kept in the journal; tried again at the next start and by `vaultlab cleanup`)",
            failure.what, failure.detail
        ));
    }
    if app.quit_after_revoke {
        if result.is_err() {
            // Stay: the learner sees what failed and chooses again (k keeps and quits).
            app.quit_after_revoke = false;
        } else if app.leases.revoking() == 0 {
            app.should_quit = true;
            return Vec::new();
        }
    }
    if !is_current {
        return Vec::new();
    }
    match result {
        Ok(exchange) => {
            app.step_mut(StepKind::Revoke).exchange = Some(exchange);
            if app.quit_after_revoke {
                return Vec::new();
            }
            // The proof shows with its first check, not before.
            app.proof = None;
            prove_revoked(app, 1, Duration::ZERO)
        }
        Err(failure) => {
            fail(app, StepKind::Revoke, failure);
            Vec::new()
        }
    }
}

fn on_renewed(
    app: &mut App,
    lease_id: &str,
    asked: Option<Duration>,
    result: Result<(Duration, Vec<String>), Failure>,
) {
    let now = app.now;
    let Some(lease) = app.leases.get_mut(lease_id) else {
        return;
    };
    lease.renewing = false;
    app.notice = Some(match result {
        Ok((granted, warnings)) => {
            let renewal = Renewal {
                asked,
                granted,
                warning: warnings.into_iter().next(),
            };
            let said = describe_renewal(&renewal);
            lease.renewed(now, renewal);
            format!("Lease renewed: {said}.")
        }
        Err(failure) => format!("{}: {}", failure.what, failure.detail),
    });
}

/// At start: the journal's open leases. Active ones are looked up in Vault; ones whose
/// revocation failed last time are revoked again. Another running vaultlab's leases are
/// not in `open`, only counted: they stay out of the table, so neither the offer to
/// revoke earlier leases, nor X, nor the quit prompt here can end them.
fn on_journal_read(
    app: &mut App,
    path: Option<String>,
    open: Vec<Entry>,
    other_runs: usize,
) -> Vec<Effect> {
    app.journal_path = path;
    let mut effects = Vec::new();
    for entry in open {
        let retry = matches!(entry.state, Lifecycle::RevokeFailed { .. });
        let state = if retry {
            Lifecycle::Revoking
        } else {
            Lifecycle::Checking
        };
        app.leases.track(TrackedLease::earlier(
            entry.lease_id.clone(),
            entry.role.clone(),
            entry.ends_at(),
            state,
        ));
        effects.push(if retry {
            Effect::RevokeLease {
                lease_id: entry.lease_id,
                sync: true,
            }
        } else {
            Effect::LookupLease {
                lease_id: entry.lease_id,
                attempt: 1,
                delay: Duration::ZERO,
            }
        });
    }
    let others = match other_runs {
        0 => String::new(),
        n => format!(" Another vaultlab running against this Vault holds {n} more: left to it."),
    };
    if !effects.is_empty() {
        app.notice = Some(format!(
            "Earlier runs left {} lease(s) open: looking them up in Vault (l shows them).{others}",
            effects.len()
        ));
    } else if other_runs > 0 {
        app.notice = Some(others.trim_start().to_owned());
    }
    effects
}

fn on_looked_up(
    app: &mut App,
    lease_id: &str,
    attempt: u32,
    result: Result<LeaseFacts, LookupFailure>,
) -> Vec<Effect> {
    let now = app.now;
    // A lease revoked meanwhile stays as it is: the answer is older than what we know.
    let Some(lease) = app.leases.get_mut(lease_id).filter(|l| {
        matches!(
            l.state,
            Lifecycle::Checking | Lifecycle::Active | Lifecycle::Expired
        )
    }) else {
        return Vec::new();
    };
    let was_checking = lease.state == Lifecycle::Checking;
    let mut effects = Vec::new();
    match result {
        Ok(facts) if !facts.ttl.is_zero() => {
            lease.state = Lifecycle::Active;
            lease.expires_at = crate::lease::countdown::expiry(now, facts.ttl);
            lease.renewable = facts.renewable;
        }
        // Out of time, but Vault has not revoked it yet: ask again in a moment.
        Ok(_) => {
            lease.state = Lifecycle::Expired;
            lease.expires_at = lease.expires_at.min(now);
            if attempt < EXPIRY_CHECKS {
                effects.push(Effect::LookupLease {
                    lease_id: lease_id.to_owned(),
                    attempt: attempt + 1,
                    delay: EXPIRY_CHECK_DELAY,
                });
            }
        }
        Err(LookupFailure::Gone) => lease.state = Lifecycle::Gone { at: now },
        Err(LookupFailure::Failed(failure)) if was_checking => {
            lease.state = Lifecycle::Unknown {
                error: failure.detail,
            };
        }
        // An expired lease that could not be looked up stays expired; cleanup asks later.
        Err(LookupFailure::Failed(_)) => {}
    }
    if was_checking && app.leases.checking() == 0 {
        offer_to_revoke_earlier(app);
    }
    effects
}

/// Once every earlier lease is looked up: if some may be alive, one key revokes them.
fn offer_to_revoke_earlier(app: &mut App) {
    let alive = app
        .leases
        .revocable(app.now)
        .filter(|l| l.origin == Origin::EarlierRun)
        .count();
    if alive == 0 {
        app.notice = Some("Leases from earlier runs are over: nothing left to revoke.".into());
    } else if app.overlay.is_none() && !app.editing {
        app.notice = None;
        app.overlay = Some(Overlay::EarlierLeases);
    } else {
        app.notice = Some(format!(
            "{alive} lease(s) from earlier runs may still be alive: l shows them, X there revokes them."
        ));
    }
}

fn on_described(
    app: &mut App,
    attempt: u32,
    result: Result<super::msg::Exchange, AwsRefusal>,
) -> Vec<Effect> {
    let Some(probe) = &mut app.probe else {
        return Vec::new();
    };
    probe.attempt = attempt;
    match result {
        Err(refusal) if refusal.retryable && attempt < PROBE_ATTEMPTS => {
            probe.waiting_because = Some(refusal);
            if let Some(keys) = issued_keys(app) {
                return vec![Effect::DescribeInstances {
                    lease_id: current_lease_id(app),
                    keys,
                    attempt: attempt + 1,
                    delay: probe_delay(attempt),
                }];
            }
        }
        Ok(exchange) => {
            probe.waiting_because = None;
            probe.result = Some(Ok(exchange.clone()));
            finish(app, StepKind::TestKeys, Ok(exchange));
        }
        Err(refusal) => {
            probe.waiting_because = None;
            probe.result = Some(Err(refusal.clone()));
            fail(
                app,
                StepKind::TestKeys,
                Failure {
                    what: if refusal.unreachable() {
                        format!("No answer from AWS to DescribeInstances ({})", refusal.code)
                    } else {
                        format!("AWS refused DescribeInstances: {}", refusal.code)
                    },
                    hint: match refusal.code.as_str() {
                        "UnauthorizedOperation" | "AccessDenied" => {
                            "The role's policy does not allow ec2:DescribeInstances: least privilege at work. Change the policy in step 3 and generate new keys.".to_owned()
                        }
                        _ => format!("{} Enter tries again.", refusal.hint()),
                    },
                    detail: refusal.message,
                },
            );
        }
    }
    Vec::new()
}

fn finish(app: &mut App, kind: StepKind, result: Result<super::msg::Exchange, Failure>) {
    match result {
        Ok(exchange) => {
            let step = app.step_mut(kind);
            step.status = StepStatus::Done;
            step.exchange = Some(exchange);
        }
        Err(failure) => fail(app, kind, failure),
    }
}

fn fail(app: &mut App, kind: StepKind, failure: Failure) {
    app.step_mut(kind).status = StepStatus::Failed(failure);
}

/// The second terminal's `export` lines.
pub fn cli_env_snippet(app: &App) -> SecretString {
    let mut text = String::new();
    for var in &app.cli_env {
        text.push_str(&format!(
            "export {}={}\n",
            var.name,
            var.value.expose_secret()
        ));
    }
    SecretString::from(text)
}

/// The lines a learner pastes into a shell to use the issued keys.
pub fn export_snippet(creds: &Creds, region: &str) -> SecretString {
    SecretString::from(format!(
        "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_REGION={}\n",
        creds.issued.access_key_id,
        creds.issued.secret_access_key.expose_secret(),
        region
    ))
}

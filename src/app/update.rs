//! `update`: the one place the app's state changes. Pure: no I/O, no clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::effect::{AwsKeys, Effect};
use super::keymap::{Action, action_for};
use super::msg::{AwsRefusal, Failure, Msg, Outcome};
use super::probe_schedule::{PROBE_ATTEMPTS, PROOF_ATTEMPTS, probe_delay};
use super::state::{
    App, Connection, Creds, KeyField, Overlay, PANE_COUNT, Pane, PolicyEditor, PrefilledKeys,
    Probe, RevocationProof, RootKeysForm, SecretInput, StepStatus, StepView,
};
use crate::lab::{Lab, StepKind};
use crate::lease::countdown::LeaseClock;

/// The short-leases demo: long enough to use the keys, short enough to watch them expire.
pub const SHORT_LEASE: Duration = Duration::from_secs(120);
pub const SHORT_LEASE_MAX: Duration = Duration::from_secs(300);

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
        now,
        doctor: None,
        cli_env: Vec::new(),
        cli_env_revealed: false,
        quit_after_revoke: false,
        should_quit: false,
    };
    let doctor = run_doctor(&app);
    (app, vec![refresh, doctor])
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            app.now = now;
            Vec::new()
        }
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => {
            on_paste(app, &text);
            Vec::new()
        }
        Msg::Outcome(outcome) => on_outcome(app, outcome),
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

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    app.notice = None;
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
            app.policy = PolicyEditor::new(&app.lab.policy_templates[next].document, next);
            app.notice = Some(format!("Policy: {}", app.lab.policy_templates[next].name));
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
                return vec![Effect::RenewLease {
                    lease_id: lease.lease_id.clone(),
                }];
            }
        }
        Action::Quit => {
            if app.step(StepKind::Generate).status == StepStatus::Running {
                // A lease is on its way: quitting now would forget it.
                app.notice = Some("Credentials are being issued: quit once they arrive.".into());
            } else if app.active_lease().is_some() {
                app.overlay = Some(Overlay::ConfirmQuit);
            } else {
                app.should_quit = true;
            }
        }
        Action::KeepAndQuit => {
            app.overlay = None;
            app.should_quit = true;
        }
        Action::StayOpen => app.overlay = None,
        Action::RevokeAndQuit => {
            app.overlay = None;
            app.quit_after_revoke = true;
            return start_revoke(app);
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

fn start_revoke(app: &mut App) -> Vec<Effect> {
    let Some(lease) = app.active_lease() else {
        app.should_quit = app.quit_after_revoke;
        return Vec::new();
    };
    let lease_id = lease.lease_id.clone();
    app.step_mut(StepKind::Revoke).status = StepStatus::Running;
    app.proof = None;
    vec![Effect::RevokeLease { lease_id }]
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
        .map(|c| c.clock.lease_id.clone())
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
    if let Some(lease_id) = outcome.lease_id() {
        let current = app.creds.as_ref().map(|c| c.clock.lease_id.as_str());
        if current != Some(lease_id) {
            return Vec::new();
        }
    }
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
            let clock = LeaseClock::issued(
                issued.lease_id.clone(),
                app.now,
                issued.lease_duration,
                issued.renewable,
            );
            app.creds = Some(Creds {
                issued,
                clock,
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
        Outcome::Revoked {
            result: Ok(exchange),
            ..
        } => {
            if let Some(creds) = &mut app.creds {
                creds.clock.revoked = true;
            }
            app.step_mut(StepKind::Revoke).exchange = Some(exchange);
            if app.quit_after_revoke {
                app.should_quit = true;
                return Vec::new();
            }
            // The proof shows with its first check, not before.
            app.proof = None;
            return prove_revoked(app, 1, Duration::ZERO);
        }
        Outcome::Revoked {
            result: Err(failure),
            ..
        } => {
            app.quit_after_revoke = false;
            fail(app, StepKind::Revoke, failure);
        }
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
        Outcome::Renewed {
            result: Ok((ttl, warnings)),
            ..
        } => {
            if let Some(creds) = &mut app.creds {
                creds.clock.renewed(app.now, ttl);
            }
            app.notice = Some(match warnings.first() {
                Some(warning) => format!("Renewed, capped: {warning}"),
                None => "Lease renewed.".to_owned(),
            });
        }
        Outcome::Renewed {
            result: Err(failure),
            ..
        } => app.notice = Some(format!("{}: {}", failure.what, failure.detail)),
        Outcome::Copied(Ok(())) => {
            app.notice = Some("Copied the export lines to the clipboard (OSC 52).".to_owned())
        }
        Outcome::Copied(Err(failure)) => app.notice = Some(failure.what),
        Outcome::Crashed { step, failure } => match step {
            Some(kind) => fail(app, kind, failure),
            None => app.notice = Some(format!("{}: {}", failure.what, failure.detail)),
        },
    }
    Vec::new()
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
                    what: format!("AWS refused DescribeInstances: {}", refusal.code),
                    detail: refusal.message,
                    hint: match refusal.code.as_str() {
                        "UnauthorizedOperation" | "AccessDenied" => {
                            "The role's policy does not allow ec2:DescribeInstances: least privilege at work. Change the policy in step 3 and generate new keys.".to_owned()
                        }
                        _ => "Check the region and the endpoint, then try again.".to_owned(),
                    },
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

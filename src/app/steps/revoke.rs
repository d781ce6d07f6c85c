//! A revoke-and-prove step: revoke the current credentials' lease, then have the engine
//! look at them until they are dead (Vault may revoke in the background).

use std::time::Duration;

use super::{fail, issue_hint, refuse, vault_failure};
use crate::app::effect::Effect;
use crate::app::leases::{self, revoke_call};
use crate::app::probe_schedule::{PROOF_ATTEMPTS, proof_delay};
use crate::app::state::{App, Quit, ShownProof, StepInput, StepStatus};
use crate::engines::{EngineCall, Proof};
use crate::exchange::Exchange;
use crate::lease::Lifecycle;
use crate::vault::refusal::VaultRefusal;

pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    // The room's record of an earlier run's keys: said, not turned into a failure.
    if let Some(words) = crate::app::room::needs_credentials_first(app, step) {
        app.notice = Some(words);
        return Vec::new();
    }
    // Done and proved: say so rather than turn a success into a failure.
    if app.steps[step].status == StepStatus::Done && app.active_lease().is_none() {
        app.notice = Some("Already revoked. Generate new credentials to go again.".into());
        return Vec::new();
    }
    if app.active_lease().is_none() {
        let hint = format!("Generate credentials in {} first.", issue_hint(app));
        return refuse(app, step, "No active lease", &hint);
    }
    start(app)
}

/// The revoke step, if the lab has one.
fn step_of(app: &App) -> Option<usize> {
    app.lab.first("revoke")
}

/// Revokes the current lease as `vault lease revoke` does (queued), then proves the
/// credentials dead. Without a revoke step, Vault is asked to finish first instead.
pub fn start(app: &mut App) -> Vec<Effect> {
    let Some(lease) = app.active_lease() else {
        return Vec::new();
    };
    let lease_id = lease.lease_id.clone();
    let sync = match step_of(app) {
        Some(step) => {
            app.steps[step].status = StepStatus::Running;
            app.steps[step].input = StepInput::Revoke(None);
            false
        }
        None => true,
    };
    if let Some(lease) = app.leases.get_mut(&lease_id) {
        lease.state = Lifecycle::Revoking;
    }
    vec![revoke_call(&lease_id, sync)]
}

/// Vault answered the revocation of the current lease.
pub fn on_revoked(app: &mut App, result: Result<Exchange, VaultRefusal>) -> Vec<Effect> {
    let Some(step) = step_of(app) else {
        return Vec::new();
    };
    match result {
        Ok(exchange) => {
            app.steps[step].exchange = Some(exchange);
            if app.quit != Quit::No {
                return Vec::new();
            }
            // The proof shows with its first look, not before.
            app.steps[step].input = StepInput::Revoke(None);
            prove(app, step, 1, Duration::ZERO)
        }
        Err(refusal) => {
            fail(
                app,
                step,
                vault_failure("Vault did not revoke the lease", &refusal),
            );
            Vec::new()
        }
    }
}

/// The room held the revocation of the current lease: the step is as it was before.
pub fn on_held(app: &mut App) {
    if let Some(step) = step_of(app) {
        app.steps[step].status = StepStatus::Pending;
        app.steps[step].input = StepInput::Revoke(None);
    }
}

fn prove(app: &App, step: usize, attempt: u32, delay: Duration) -> Vec<Effect> {
    let Some(creds) = &app.creds else {
        return Vec::new();
    };
    vec![Effect::Engine(EngineCall::ProveRevoked {
        step,
        lease_id: creds.lease.id.clone(),
        creds: creds.fields.clone(),
        values: app.values(),
        subject: creds.subject.clone(),
        attempt,
        delay,
    })]
}

/// One look at the revoked credentials: dead closes the lease in the journal (the queued
/// revocation has happened); alive is looked at again, for a while.
pub fn on_proved(app: &mut App, step: usize, attempt: u32, proof: Proof) -> Vec<Effect> {
    let dead = proof.dead;
    let still_alive = proof.still_alive.clone();
    app.steps[step].exchange = Some(proof.exchange.clone());
    app.steps[step].input = StepInput::Revoke(Some(ShownProof { attempt, proof }));
    let lease_id = app.creds.as_ref().map(|c| c.lease.id.clone());
    let gave_up = !dead && attempt >= PROOF_ATTEMPTS;
    // The lease follows the proof: over once its keys are dead, failed if they outlive it.
    let effects = match &lease_id {
        Some(lease_id) => {
            let words = gave_up.then(|| format!("{} {}", still_alive.what, still_alive.detail));
            leases::on_proof(app, lease_id, dead, words.map(|w| w.trim().to_owned()))
        }
        None => Vec::new(),
    };
    if dead {
        app.steps[step].status = StepStatus::Done;
        return effects;
    }
    if gave_up {
        fail(app, step, still_alive);
        return effects;
    }
    prove(app, step, attempt + 1, proof_delay(attempt))
}

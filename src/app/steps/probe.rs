//! A probe step (test the credentials): the engine uses them, and is asked again while
//! they propagate or the service throttles, saying why it waits.

use std::time::Duration;

use super::{fail, finish, issue_hint, refuse};
use crate::app::effect::Effect;
use crate::app::probe_schedule::{PROBE_ATTEMPTS, probe_delay};
use crate::app::state::{App, Probe, StepInput};
use crate::engines::{EngineCall, Refusal, Retry};
use crate::exchange::Exchange;
use crate::lab::StepKind;

pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    // The room's record of an earlier run's keys: said, not turned into a failure.
    if let Some(words) = crate::app::room::needs_credentials_first(app, step) {
        app.notice = Some(words);
        return Vec::new();
    }
    if app.creds.is_some() && app.active_lease().is_none() {
        let hint = format!(
            "Generate new credentials in {}, then test them.",
            issue_hint(app)
        );
        return refuse(app, step, "These credentials are revoked or expired", &hint);
    }
    if app.creds.is_none() {
        let hint = format!("Generate credentials in {} first.", issue_hint(app));
        return refuse(app, step, "No credentials yet", &hint);
    }
    app.steps[step].input = StepInput::Probe(Some(Probe {
        attempt: 1,
        started: app.now,
        waiting_because: None,
        result: None,
    }));
    call(app, step, 1, Duration::ZERO).into_iter().collect()
}

fn call(app: &App, step: usize, attempt: u32, delay: Duration) -> Option<Effect> {
    let creds = app.creds.as_ref()?;
    Some(Effect::Engine(EngineCall::Probe {
        step,
        lease_id: creds.lease.id.clone(),
        creds: creds.fields.clone(),
        values: app.values(),
        attempt,
        delay,
    }))
}

/// One attempt's answer: a refusal that waiting may cure is tried again, on the schedule.
pub fn on_probed(
    app: &mut App,
    step: usize,
    attempt: u32,
    result: Result<Exchange, Refusal>,
) -> Vec<Effect> {
    let denied_hint = match app.step_kind(step) {
        StepKind::Probe(probe) => probe.denied_hint.clone(),
        _ => return Vec::new(),
    };
    let StepInput::Probe(Some(probe)) = &mut app.steps[step].input else {
        return Vec::new();
    };
    probe.attempt = attempt;
    match result {
        Err(refusal) if refusal.retry != Retry::No && attempt < PROBE_ATTEMPTS => {
            probe.waiting_because = Some(refusal);
            return call(app, step, attempt + 1, probe_delay(attempt))
                .into_iter()
                .collect();
        }
        Ok(exchange) => {
            probe.waiting_because = None;
            probe.result = Some(Ok(exchange.clone()));
            finish(app, step, exchange);
        }
        Err(refusal) => {
            probe.waiting_because = None;
            probe.result = Some(Err(refusal.clone()));
            let mut failure = refusal.failure;
            // What a denial teaches is the lab's to say.
            if refusal.denied {
                failure.hint = denied_hint;
            }
            fail(app, step, failure);
        }
    }
    Vec::new()
}

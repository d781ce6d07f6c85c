//! A probe step (test the keys): the engine uses the credentials, and is asked again
//! while they propagate or the service throttles, saying why it waits.

use std::time::Duration;

use super::{fail, finish, refuse};
use crate::app::effect::Effect;
use crate::app::probe_schedule::{PROBE_ATTEMPTS, probe_delay};
use crate::app::state::{App, Probe};
use crate::engines::{EngineCall, Refusal, Retry};
use crate::exchange::Exchange;

pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    if app.creds.is_some() && app.active_lease().is_none() {
        return refuse(
            app,
            step,
            "These credentials are revoked or expired",
            "Generate new credentials in step 4, then test them.",
        );
    }
    if app.creds.is_none() {
        return refuse(
            app,
            step,
            "No credentials yet",
            "Generate credentials in step 4 first.",
        );
    }
    app.probe = Some(Probe {
        attempt: 1,
        started: app.now,
        waiting_because: None,
        result: None,
    });
    call(app, step, 1, Duration::ZERO).into_iter().collect()
}

fn call(app: &App, step: usize, attempt: u32, delay: Duration) -> Option<Effect> {
    let creds = app.creds.as_ref()?;
    Some(Effect::Engine(EngineCall::Probe {
        step,
        lease_id: creds.lease.id.clone(),
        creds: creds.fields.clone(),
        values: app.root_keys.values(),
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
    let Some(probe) = &mut app.probe else {
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
            fail(app, step, refusal.failure);
        }
    }
    Vec::new()
}

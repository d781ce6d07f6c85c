//! A request step (enable the engine): one Vault request. When Vault refuses it in the
//! words the lab names (`already in use`), the step's done check says whether it was done
//! already (perhaps with the CLI) or something else is in the way.

use super::{fail, finish, finish_reply, vault_failure};
use crate::app::effect::{Effect, Purpose, VaultCall};
use crate::app::plan;
use crate::app::state::App;
use crate::exchange::{Exchange, Failure};
use crate::lab::StepKind;
use crate::lab::model::RequestStep;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

fn spec(app: &App, step: usize) -> &RequestStep {
    match app.step_kind(step) {
        StepKind::Request(request) => request,
        _ => unreachable!("step {step} is a request step"),
    }
}

pub fn on_reply(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let refusal = match reply {
        Ok(reply) => {
            finish_reply(app, step, curl, &reply);
            return Vec::new();
        }
        Err(refusal) => refusal,
    };
    let spec = spec(app, step);
    let already = spec
        .already
        .as_ref()
        .is_some_and(|already| refusal.said(&already.when));
    if let (true, Some((request, _))) = (already, plan::done_check(app, step)) {
        return vec![VaultCall::now(
            Purpose::Recheck {
                step,
                curl,
                refusal,
            },
            request,
        )];
    }
    let what = spec.failed.clone();
    fail(app, step, vault_failure(&what, &refusal));
    Vec::new()
}

/// Vault refused the request; the step's done check says whether it was done already.
pub fn on_recheck(
    app: &mut App,
    step: usize,
    curl: String,
    refusal: VaultRefusal,
    reply: Result<Reply, VaultRefusal>,
) {
    let done = match reply {
        Ok(reply) => plan::done_check(app, step).is_some_and(|(_, test)| test.holds(&reply)),
        Err(e) => {
            let what = spec(app, step).failed.clone();
            fail(app, step, vault_failure(&what, &e));
            return;
        }
    };
    let Some(already) = spec(app, step).already.clone() else {
        return;
    };
    if done {
        finish(
            app,
            step,
            Exchange {
                curl,
                response: format!("{}\n{}", refusal.message, app.fill(&already.done)),
            },
        );
    } else {
        let what = app.fill(&already.other);
        fail(
            app,
            step,
            Failure::new(what, refusal.message, app.fill(&already.other_hint)),
        );
    }
}

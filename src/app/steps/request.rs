//! A request step (enable the engine): one Vault request; an engine already mounted
//! (perhaps with the CLI) is the step done.

use super::{fail, finish, finish_reply, vault_failure};
use crate::app::effect::{Effect, Purpose, VaultCall};
use crate::app::plan;
use crate::app::state::App;
use crate::exchange::{Exchange, Failure};
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    plan::step_request(app, step)
        .map(|request| VaultCall::now(Purpose::Step { step }, request))
        .into_iter()
        .collect()
}

pub fn on_reply(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    match reply {
        Ok(reply) => finish_reply(app, step, curl, &reply),
        // Enabled before (perhaps with the CLI): that is the step done, if it is AWS.
        Err(refusal) if refusal.said("already in use") => {
            if let Some((request, _)) = plan::done_check(app, step) {
                return vec![VaultCall::now(
                    Purpose::Recheck {
                        step,
                        curl,
                        refusal,
                    },
                    request,
                )];
            }
            fail(
                app,
                step,
                vault_failure("Vault did not enable the AWS engine", &refusal),
            );
        }
        Err(refusal) => fail(
            app,
            step,
            vault_failure("Vault did not enable the AWS engine", &refusal),
        ),
    }
    Vec::new()
}

/// Vault refused the request; its done check says whether the step was done already.
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
            fail(
                app,
                step,
                vault_failure("Could not list Vault's mounts", &e),
            );
            return;
        }
    };
    if done {
        finish(
            app,
            step,
            Exchange {
                curl,
                response: format!("{}\n(already enabled: the step is done)", refusal.message),
            },
        );
    } else {
        let mount = &app.lab.mount;
        fail(
            app,
            step,
            Failure::new(
                format!("Something other than the AWS engine is mounted at {mount}/"),
                refusal.message,
                "Disable it (vault secrets disable), or run the lab at another mount path.",
            ),
        );
    }
}

//! Runs the effects `update` asks for and sends each outcome back as a message. It sends
//! the requests it is given, asks the engine, writes the journal: it decides nothing.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::app::effect::{Effect, JournalChange};
use crate::app::msg::{Msg, Outcome};
use crate::doctor;
use crate::engines::{self, Engine};
use crate::exchange::Failure;
use crate::lease::journal::Journal;
use crate::vault::VaultClient;
use crate::vault::refusal::VaultRefusal;

/// Where the lab's requests go.
#[derive(Clone)]
pub struct EffectRunner {
    vault: Arc<VaultClient>,
    engine: Arc<dyn Engine>,
    outcomes: UnboundedSender<Msg>,
    /// The lease journal (live mode).
    journal: Option<Arc<Mutex<Journal>>>,
    /// The socket `vaultlab notes` reads (presenter mode).
    #[cfg(unix)]
    stage: Option<Arc<crate::present::socket::Presence>>,
}

impl EffectRunner {
    pub fn new(
        vault: VaultClient,
        engine: Arc<dyn Engine>,
        outcomes: UnboundedSender<Msg>,
    ) -> Self {
        Self {
            vault: Arc::new(vault),
            engine,
            outcomes,
            journal: None,
            #[cfg(unix)]
            stage: None,
        }
    }

    /// Publishes the stage's state on this socket (presenter mode).
    #[cfg(unix)]
    pub fn with_stage(mut self, stage: Option<crate::present::socket::Presence>) -> Self {
        self.stage = stage.map(Arc::new);
        self
    }

    /// Tells `vaultlab notes` what the projector shows now.
    pub fn publish(&self, published: &crate::present::Published) {
        #[cfg(unix)]
        if let Some(stage) = &self.stage {
            stage.publish(published);
        }
        #[cfg(not(unix))]
        let _ = published;
    }

    /// Sends autoplay's wake-up `wake` after `after`: its clock, nothing more.
    pub fn wake(&self, after: std::time::Duration, wake: u64) {
        let outcomes = self.outcomes.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = outcomes.send(Msg::Autoplay {
                wake,
                now: chrono::Utc::now(),
            });
        });
    }

    pub fn with_journal(mut self, journal: Option<Arc<Mutex<Journal>>>) -> Self {
        self.journal = journal;
        self
    }

    /// Sends an outcome back to the event loop (the loop may have ended: then nobody is
    /// left to tell).
    pub fn report(&self, outcome: Outcome) {
        let _ = self.outcomes.send(Msg::Outcome(Box::new(outcome)));
    }

    /// Runs an effect on its own task; its outcome comes back as a message. A panicking
    /// effect must not leave its step running forever: it is reported as failed.
    pub fn spawn(&self, effect: Effect) {
        let runner = self.clone();
        // What it was, for the outcome of a panic: a request without its answer still
        // has its purpose (a revocation must not stay "revoking").
        let step = effect.step();
        let call = match &effect {
            Effect::Vault(call) => Some(call.clone()),
            _ => None,
        };
        let task = tokio::spawn(async move { runner.run(effect).await });
        let outcomes = self.clone();
        tokio::spawn(async move {
            let outcome = match task.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => {
                    let failure = Failure::new(
                        "vaultlab hit an internal error",
                        "the operation panicked; the log file has the details",
                        "Please report it. The step can be run again.",
                    );
                    Some(match call {
                        Some(call) => Outcome::crashed(&Effect::Vault(call), failure),
                        None => Outcome::Crashed { step, failure },
                    })
                }
                Err(_) => None,
            };
            if let Some(outcome) = outcome {
                outcomes.report(outcome);
            }
        });
    }

    /// Runs one effect to its outcome. Public so `walk` can await effects in order. The
    /// clipboard, suspending and quitting belong to whoever owns the terminal: `None`.
    pub async fn run(&self, effect: Effect) -> Option<Outcome> {
        Some(match effect {
            Effect::Vault(call) => {
                tokio::time::sleep(call.delay).await;
                let reply = self
                    .vault
                    .send(&call.request)
                    .await
                    .map_err(|e| engines::explain(&*self.engine, VaultRefusal::from(&e)));
                Outcome::Vault { call, reply }
            }
            Effect::Engine(call) => Outcome::Engine(engines::run(&*self.engine, call).await),
            Effect::Doctor(plan) => {
                Outcome::Doctor(doctor::check(&self.vault, &plan, &*self.engine).await)
            }
            Effect::Journal(change) => self.journal(change),
            Effect::Clipboard(_)
            | Effect::Suspend
            | Effect::Quit
            | Effect::Publish(_)
            | Effect::Wake { .. } => return None,
        })
    }

    /// Applies a change to the journal, at once: changes are made in the order asked, and
    /// the ones asked on the way out are made before the run ends.
    pub fn journal(&self, change: JournalChange) -> Outcome {
        let result = match &self.journal {
            None => Ok(()),
            Some(journal) => {
                let mut journal = journal
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match &change {
                    JournalChange::Record(entry) => journal.record(entry.clone()),
                    JournalChange::Mark { lease_id, state } => {
                        journal.mark(lease_id, state.clone())
                    }
                    JournalChange::Renewed { lease_id, at, ttl } => {
                        journal.renewed(lease_id, *at, *ttl)
                    }
                }
                .map_err(|e| {
                    tracing::error!("{e}");
                    e.to_string()
                })
            }
        };
        Outcome::Journaled { change, result }
    }
}

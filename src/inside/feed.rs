//! The embedded sandbox's events, as the app's messages: a runtime task follows the
//! stream and sends what the inside view needs (the engine's AWS calls, and the Vault
//! requests that close each burst). Only the root namespace: a room's seats are not the
//! presenter's lab.

use std::sync::Arc;

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::mpsc::UnboundedSender;
use vaultlab_sandbox::events::{self as sandbox_events, Detail, Event, Events, Origin};

use super::{Call, Seen, Why};
use crate::app::msg::Msg;

/// What the inside view takes from one sandbox event, if anything.
pub fn seen(event: &Event) -> Option<Seen> {
    if !event.detail.namespace().is_empty() {
        return None;
    }
    match &event.detail {
        Detail::Aws(aws) if aws.origin == Origin::Engine => Some(Seen::Aws(Call {
            time: event.time,
            why: why(aws.purpose?),
            service: aws.service.clone(),
            action: aws.action.clone(),
            user: aws.user.clone(),
            status: aws.status,
            error_code: aws.error_code.clone(),
            duration_ms: aws.duration_ms,
            lease_id: aws.lease_id.clone(),
        })),
        Detail::Vault(vault) => Some(Seen::Vault {
            method: vault.method.clone(),
            path: vault.path.clone(),
            status: vault.status,
            duration_ms: vault.duration_ms,
        }),
        _ => None,
    }
}

fn why(purpose: sandbox_events::Purpose) -> Why {
    use sandbox_events::Purpose;
    match purpose {
        Purpose::Issue => Why::Issue,
        Purpose::Revoke => Why::Revoke,
        Purpose::Expiry => Why::Expiry,
        Purpose::Rollback => Why::Rollback,
        Purpose::RotateRoot => Why::RotateRoot,
    }
}

/// Follows `events` from the sandbox's first one, sending each as `Msg::Inside`, until
/// the app stops listening or the sandbox stops.
pub fn spawn(events: &Events, messages: UnboundedSender<Msg>) -> tokio::task::JoinHandle<()> {
    let subscription = events.since(0);
    tokio::spawn(async move {
        let mut live = subscription.live;
        for event in subscription.backlog {
            if !send(&messages, &event) {
                return;
            }
        }
        loop {
            let event = match live.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    if messages.send(Msg::Inside(Seen::Missed(missed))).is_err() {
                        return;
                    }
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if !send(&messages, &event) {
                return;
            }
        }
    })
}

/// Whether the app still listens.
fn send(messages: &UnboundedSender<Msg>, event: &Arc<Event>) -> bool {
    match seen(event) {
        Some(seen) => messages.send(Msg::Inside(seen)).is_ok(),
        None => !messages.is_closed(),
    }
}

/// A subscription read without waiting, for `walk`: what happened since the last look.
pub struct Drain(tokio::sync::broadcast::Receiver<Arc<Event>>);

impl Drain {
    pub fn new(events: &Events) -> Drain {
        Drain(events.subscribe())
    }

    /// Every event already sent, as the inside view takes them. The engine's calls are
    /// made before the Vault request that made them is answered, so once a step's answer
    /// is in, its calls are here.
    pub fn take(&mut self) -> Vec<Seen> {
        let mut seen_now = Vec::new();
        loop {
            match self.0.try_recv() {
                Ok(event) => seen_now.extend(seen(&event)),
                Err(TryRecvError::Lagged(missed)) => seen_now.push(Seen::Missed(missed)),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return seen_now,
            }
        }
    }
}

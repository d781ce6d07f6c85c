//! What the Vault server needs to keep its promises through a crash or a stop: the state
//! file it records into, the half-made IAM users a request is still creating, the
//! background work a stop waits for, and the sandbox's own AWS endpoint, which the engine
//! reaches through a listener that stays open while the public one drains.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::persist::Store;

#[derive(Clone)]
pub struct Durability {
    pub store: Option<Store>,
    own_aws: Option<Arc<OwnAws>>,
    /// Half-made users whose issuing request is still running: not to be rolled back.
    creating: Arc<Mutex<HashSet<String>>>,
    background: Arc<Background>,
    stop: Arc<watch::Sender<bool>>,
}

impl Default for Durability {
    fn default() -> Self {
        Self {
            store: None,
            own_aws: None,
            creating: Arc::default(),
            background: Arc::default(),
            stop: Arc::new(watch::channel(false).0),
        }
    }
}

/// The sandbox's public AWS endpoint, and the internal one that serves the engine.
#[derive(Clone)]
struct OwnAws {
    host: String,
    port: u16,
    internal: String,
    /// The public listener serves every interface (`0.0.0.0`): any address of this
    /// machine names it, as a learner's `iam_endpoint` on the LAN does.
    every_interface: bool,
}

/// Whether `host` is an IP address of this machine: only such an address can be bound.
fn is_this_machine(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| !ip.is_unspecified() && std::net::UdpSocket::bind((ip, 0)).is_ok())
}

fn host_and_port(url: &str) -> Option<(String, u16)> {
    let rest = url.trim().trim_end_matches('/').to_ascii_lowercase();
    // The public listener may be HTTPS (a room's --tls); the engine's is always HTTP.
    let rest = rest
        .strip_prefix("http://")
        .or_else(|| rest.strip_prefix("https://"))?;
    let (host, port) = rest.rsplit_once(':')?;
    Some((host.to_owned(), port.parse().ok()?))
}

impl Durability {
    pub fn set_own_aws_endpoint(&mut self, public: &str, internal: &str) {
        self.own_aws = host_and_port(public).map(|(host, port)| {
            Arc::new(OwnAws {
                host,
                port,
                internal: internal.to_owned(),
                every_interface: false,
            })
        });
    }

    /// The public listener serves every interface: calls to any of this machine's
    /// addresses at its port are the sandbox's own (a room's --tls certificate is one the
    /// engine's IAM client would not trust over the public listener).
    pub fn set_every_interface(&mut self) {
        if let Some(own) = self.own_aws.as_mut() {
            Arc::make_mut(own).every_interface = true;
        }
    }

    /// Where the engine sends a call meant for `endpoint`: the internal listener when
    /// `endpoint` is the sandbox itself (by any loopback name), so the engine's calls keep
    /// working while the public listener drains at a stop.
    pub fn route(&self, endpoint: String) -> String {
        let Some(own) = &self.own_aws else {
            return endpoint;
        };
        match host_and_port(&endpoint) {
            Some((host, port))
                if port == own.port
                    && (host == own.host
                        || ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"]
                            .contains(&host.as_str())
                        || (own.every_interface && is_this_machine(&host))) =>
            {
                own.internal.clone()
            }
            _ => endpoint,
        }
    }

    /// Whether the engine's IAM calls at `endpoint` go to the sandbox itself, whose log
    /// already orders them after what the engine recorded before.
    pub fn is_internal(&self, endpoint: &str) -> bool {
        self.own_aws
            .as_ref()
            .is_some_and(|own| own.internal == endpoint)
    }

    /// Marks a half-made user as busy (a request creating it, or a rollback under way),
    /// until dropped; then `worker` is woken, in case the user is still half-made.
    pub fn creating(&self, username: &str, worker: &Arc<Notify>) -> CreatingGuard {
        self.creating
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(username.to_owned());
        CreatingGuard {
            username: username.to_owned(),
            creating: self.creating.clone(),
            worker: worker.clone(),
        }
    }

    pub fn is_being_created(&self, username: &str) -> bool {
        self.creating
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(username)
    }

    /// Counts background work (a queued revocation) a stop waits for, until dropped.
    pub fn background_work(&self) -> BackgroundGuard {
        self.background.running.fetch_add(1, Ordering::SeqCst);
        BackgroundGuard(self.background.clone())
    }

    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves once a stop is requested.
    pub async fn stopped(&self) {
        let mut stop = self.stop.subscribe();
        let _ = stop.wait_for(|s| *s).await;
    }

    /// Waits (at most `limit`) for background work to finish; how much is left.
    pub async fn background_finished(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.background.idle.notified();
            let running = self.background.running.load(Ordering::SeqCst);
            if running == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.background.running.load(Ordering::SeqCst);
            }
        }
    }
}

pub struct CreatingGuard {
    username: String,
    creating: Arc<Mutex<HashSet<String>>>,
    worker: Arc<Notify>,
}

impl Drop for CreatingGuard {
    fn drop(&mut self) {
        self.creating
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.username);
        self.worker.notify_one();
    }
}

#[derive(Default)]
struct Background {
    running: AtomicUsize,
    idle: Notify,
}

pub struct BackgroundGuard(Arc<Background>);

impl Drop for BackgroundGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_itself_is_reached_through_the_internal_listener() {
        let mut durability = Durability::default();
        durability.set_own_aws_endpoint("http://127.0.0.1:8200", "http://127.0.0.1:40001");
        for own in [
            "http://127.0.0.1:8200",
            "http://localhost:8200/",
            "HTTP://LOCALHOST:8200",
            "https://127.0.0.1:8200",
        ] {
            assert_eq!(durability.route(own.to_owned()), "http://127.0.0.1:40001");
        }
        for other in [
            "http://127.0.0.1:5000",
            "https://iam.amazonaws.com",
            "http://10.0.0.2:8200",
        ] {
            assert_eq!(durability.route(other.to_owned()), other);
        }
        assert!(durability.is_internal("http://127.0.0.1:40001"));
        // 127.0.0.2 is this machine's (all of 127/8 is), but not a name the sandbox
        // answers to unless it serves every interface; 192.0.2.1 (TEST-NET-1) is no
        // address of this machine.
        assert_eq!(
            durability.route("https://127.0.0.2:8200".to_owned()),
            "https://127.0.0.2:8200"
        );
        durability.set_every_interface();
        assert_eq!(
            durability.route("https://127.0.0.2:8200".to_owned()),
            "http://127.0.0.1:40001"
        );
        assert_eq!(
            durability.route("https://192.0.2.1:8200".to_owned()),
            "https://192.0.2.1:8200"
        );
        assert!(!durability.is_internal("http://127.0.0.1:8200"));
    }
}

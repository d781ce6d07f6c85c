//! Many tokens reaching their TTL together (a room restarted the next day: 500 seat
//! tokens issued within seconds of each other) while the token table is full (20 000
//! tokens, the sandbox's cap), measured in process with a manual clock:
//!
//! - **expiry**: how long the expiry worker takes to revoke the 500 tokens and queue
//!   their 1 000 leases, and the worst and p99 wait of other requests for the server's
//!   state meanwhile (each probe takes the state's lock, as every request does).
//! - **idle wake-ups**: the same probe while nothing is due and the worker is woken every
//!   millisecond (as every change to the state wakes it: joins, tracker batches).
//!
//! `cargo bench -p vaultlab-sandbox --bench token_expiry` (add `--profile dev` for a quick
//! debug-build run; the figures are then several times slower).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Notify;
use vaultlab_sandbox::vault::clock::ManualClock;
use vaultlab_sandbox::vault::namespace::NsRef;
use vaultlab_sandbox::vault::tokens::{self, MAX_TOKEN_TTL, NewToken};
use vaultlab_sandbox::vault::{Lease, VaultOptions, VaultServer, VaultState};

const TOKENS: usize = 20_000;
const EXPIRING: usize = 500;
const LEASES_PER_EXPIRING: usize = 2;
const OTHER_LEASES: usize = 2_000;
const EXPIRING_TTL: i64 = 3600;

/// The state: `TOKENS` tokens, the first `EXPIRING` with a TTL of an hour and two leases
/// each, the rest 768h; `OTHER_LEASES` leases of long-lived tokens. The probe's token.
fn full_state(now: chrono::DateTime<Utc>) -> (VaultState, String) {
    let mut state = VaultState::new();
    let root = NsRef::root();
    let mut probe = String::new();
    for i in 0..TOKENS {
        let ttl = if i < EXPIRING {
            EXPIRING_TTL
        } else {
            MAX_TOKEN_TTL
        };
        let (token, entry) = tokens::mint(
            NewToken {
                namespace: &root,
                policies: vec!["default".into()],
                ttl,
                display_name: "token".into(),
                orphan: true,
                parent: None,
                meta: None,
            },
            now,
        );
        let key = tokens::key(&token);
        state.tokens.insert(key.clone(), entry);
        let leases = if i < EXPIRING {
            LEASES_PER_EXPIRING
        } else {
            usize::from(i - EXPIRING < OTHER_LEASES)
        };
        for j in 0..leases {
            let id = format!("aws/creds/r/{i:05}-{j}");
            state.leases.insert(
                id.clone(),
                Lease {
                    id,
                    namespace: String::new(),
                    mount: "aws/".into(),
                    role: "r".into(),
                    username: format!("vault-{i}-{j}"),
                    token: Some(key.clone()),
                    issue_time: now,
                    expire_time: now + chrono::Duration::seconds(MAX_TOKEN_TTL),
                    last_renewal: None,
                    renewable: true,
                    revoke_attempts: 0,
                    revoke_at: None,
                    revoke_error: None,
                    irrevocable: false,
                    revocation_asked: false,
                },
            );
        }
        if i == TOKENS - 1 {
            probe = token;
        }
    }
    (state, probe)
}

/// Waits of the probe, sorted: (p99, worst).
fn summary(mut waits: Vec<Duration>) -> (Duration, Duration) {
    waits.sort();
    let p99 = waits[(waits.len() * 99 / 100).min(waits.len() - 1)];
    (p99, *waits.last().unwrap())
}

/// Probes the state's lock every 200 µs until `stop` rings.
fn probe(
    vault: VaultServer,
    token: String,
    stop: Arc<Notify>,
) -> tokio::task::JoinHandle<Vec<Duration>> {
    tokio::spawn(async move {
        let mut waits = Vec::new();
        loop {
            let started = Instant::now();
            assert!(vault.token_in(&token, ""));
            waits.push(started.elapsed());
            tokio::select! {
                () = stop.notified() => return waits,
                () = tokio::time::sleep(Duration::from_micros(200)) => {}
            }
        }
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let now = Utc::now();
        let clock = ManualClock::new(now);
        let (state, probe_token) = full_state(now);
        let vault = VaultServer::new(
            state,
            VaultOptions {
                // Nothing listens: the leases' revocations fail at once and are retried
                // later (this measures the tokens, not IAM).
                default_aws_endpoint: "http://127.0.0.1:9".into(),
                default_region: "us-east-1".into(),
            },
            Arc::new(Notify::new()),
        )
        .with_clock(Arc::new(clock.clone()));
        let worker = vault.spawn_lease_expiry();
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Idle: nothing due, the worker woken every millisecond.
        let stop = Arc::new(Notify::new());
        let probing = probe(vault.clone(), probe_token.clone(), stop.clone());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(2) {
            vault.wake_lease_expiry();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        stop.notify_one();
        let (p99, worst) = summary(probing.await.unwrap());
        println!("idle wake-ups every 1 ms, {TOKENS} tokens: probe p99 {p99:?}, worst {worst:?}");

        // 500 tokens reach their TTL together.
        let stop = Arc::new(Notify::new());
        let probing = probe(vault.clone(), probe_token.clone(), stop.clone());
        tokio::time::sleep(Duration::from_millis(50)).await;
        clock.advance(chrono::Duration::seconds(EXPIRING_TTL + 1));
        let started = Instant::now();
        vault.wake_lease_expiry();
        let queued = EXPIRING * LEASES_PER_EXPIRING;
        loop {
            let (tokens_left, leases_queued) = vault.read_state(|state| {
                (
                    state.tokens.len(),
                    state
                        .leases
                        .values()
                        .filter(|l| l.revoke_at.is_some() || l.revoke_attempts > 0)
                        .count(),
                )
            });
            if tokens_left == TOKENS - EXPIRING && leases_queued == queued {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(600), "{tokens_left} tokens left");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.notify_one();
        let (p99, worst) = summary(probing.await.unwrap());
        println!(
            "{EXPIRING} of {TOKENS} tokens expire together ({queued} leases): revoked and queued in {took:?}; probe p99 {p99:?}, worst {worst:?}"
        );
        vault.stop_background(Duration::from_secs(5)).await;
        worker.abort();
    });
}

//! What durability costs and what it holds, on `vaultlab sandbox` processes (the release
//! binary):
//!
//! - **creds/s**: parallel clients issuing `aws/creds/my-role` flat out for a while, with
//!   `--state` (each lease synced to the state file's log before its keys leave; requests
//!   share syncs) and without (nothing written). Target: durable ≥ 50 % of in memory. One
//!   client alone is measured too, where every issue waits for its own sync.
//! - **crash**: the e2e crash round (`tests/e2e/sandbox_durability.rs`) many times over:
//!   clients issue credentials, `kill -9` at a random moment, restart on the same state
//!   file, then every lease a client received must be known and `revoke-prefix aws/`
//!   must leave no working key and no `vault-…` user. Target: nothing lost in any round.
//!
//! `cargo bench --bench durability` runs it in full (about two minutes; `CRASH_ROUNDS`
//! sets the number of kills, 20 by default). Without `--bench`, as `cargo test
//! --all-targets` runs it, a smoke run of a few seconds. Results are `RESULT` lines
//! (tab-separated: name, figure, target, verdict, peer) for `scripts/bench`.

use vaultlab_testkit as common;

use std::time::{Duration, Instant};

use common::SandboxProcess;
use common::sandbox_load::{Clients, SandboxApi, crash_round, issue_until, random_between};

const BINARY: &str = env!("CARGO_BIN_EXE_vaultlab");
const CLIENTS: usize = 32;

/// A line for `scripts/bench`; only full runs measure the targets' load.
fn result(name: &str, figure: &str, target: &str, verdict: &str, peer: &str) {
    if std::env::args().any(|arg| arg == "--bench") {
        println!("RESULT\t{name}\t{figure}\t{target}\t{verdict}\t{peer}");
    }
}

/// Credentials issued per second by `clients` clients for `duration`, after a warm-up.
async fn creds_per_second(sandbox: &SandboxProcess, clients: usize, duration: Duration) -> f64 {
    let api = SandboxApi::of(sandbox);
    let warm_up = issue_until(
        &api,
        clients,
        Clients::default(),
        Duration::from_millis(500),
    )
    .await;
    assert!(warm_up.errors.is_empty(), "{:?}", warm_up.errors.first());
    let started = Instant::now();
    let issuing = issue_until(&api, clients, Clients::default(), duration).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        issuing.errors.is_empty(),
        "{} errors, the first: {:?}",
        issuing.errors.len(),
        issuing.errors.first()
    );
    issuing.issued.len() as f64 / elapsed
}

/// In memory, then with `--state`: creds/s with `clients` clients.
async fn both_ways(clients: usize, duration: Duration) -> (f64, f64) {
    let in_memory = SandboxProcess::start(BINARY, &["--propagation-delay", "0s"]);
    SandboxApi::of(&in_memory).configure_lab().await;
    let memory = creds_per_second(&in_memory, clients, duration).await;
    drop(in_memory);

    let dir = tempfile::tempdir().expect("tempdir");
    let durable = common::sandbox_load::start_with_state(BINARY, &dir.path().join("s.json"));
    SandboxApi::of(&durable).configure_lab().await;
    let on_disk = creds_per_second(&durable, clients, duration).await;
    assert!(durable.terminate().success());
    (memory, on_disk)
}

/// `rounds` crash rounds on one state file; (leases received, leases lost, keys still
/// working, users left) over all of them.
async fn crashes(rounds: usize) -> (usize, usize, usize, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("s.json");
    let mut sandbox = common::sandbox_load::start_with_state(BINARY, &state);
    SandboxApi::of(&sandbox).configure_lab().await;
    let mut totals = (0, 0, 0, 0);
    for round in 1..=rounds {
        let kill_after = random_between(Duration::ZERO, Duration::from_millis(1500));
        let (report, restarted) = crash_round(BINARY, &state, sandbox, 12, kill_after).await;
        sandbox = restarted;
        println!(
            "  kill {round}: after {:?}, {} leases received, {} unknown after the restart, {} keys working and {} users left after revoke-prefix",
            report.killed_after,
            report.received,
            report.unknown.len(),
            report.keys_working,
            report.users_left.len()
        );
        totals.0 += report.received;
        totals.1 += report.unknown.len();
        totals.2 += report.keys_working;
        totals.3 += report.users_left.len();
    }
    assert!(sandbox.terminate().success());
    totals
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (duration, rounds) = if full {
        let rounds = std::env::var("CRASH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        (Duration::from_secs(10), rounds)
    } else {
        (Duration::from_secs(1), 2)
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");

    let (memory, durable) = runtime.block_on(both_ways(CLIENTS, duration));
    let share = 100.0 * durable / memory;
    println!(
        "creds/s, {CLIENTS} clients: in memory {memory:.0}, with --state {durable:.0} ({share:.0} %)"
    );
    result(
        &format!("creds/s, --state vs in memory, {CLIENTS} clients"),
        &format!("{durable:.0} vs {memory:.0} ({share:.0} %)"),
        ">= 50 %",
        if share >= 50.0 { "ok" } else { "MISSED" },
        "",
    );
    let (memory_1, durable_1) = runtime.block_on(both_ways(1, duration));
    let share_1 = 100.0 * durable_1 / memory_1;
    println!(
        "creds/s, 1 client: in memory {memory_1:.0}, with --state {durable_1:.0} ({share_1:.0} %)"
    );
    result(
        "creds/s, --state vs in memory, 1 client",
        &format!("{durable_1:.0} vs {memory_1:.0} ({share_1:.0} %)"),
        "reported",
        "",
        "",
    );

    println!("crash: {rounds} kills -9 at a random moment under 12 clients");
    let (received, lost, working, users) = runtime.block_on(crashes(rounds));
    let clean = lost == 0 && working == 0 && users == 0;
    println!(
        "crash: {received} leases received; {lost} unknown after restarts; {working} keys working and {users} users left after revoke-prefix"
    );
    result(
        &format!("crash: kill -9 x{rounds}, restart, revoke-prefix"),
        &format!("{lost} of {received} leases lost, {working} keys, {users} users left"),
        "0 lost, 0 left",
        if clean { "ok" } else { "MISSED" },
        "",
    );
    assert!(clean, "durability broken: see the lines above");
}

//! A `vaultlab sandbox` process under bursts of credential requests: its open file
//! descriptors and its memory, burst after burst.
//!
//! The sandbox runs under `ulimit -n 1024`, as on a stock Linux login. Four bursts, each of
//! 2,000 `GET aws/creds/my-role` sent at once, each on a connection of its own closed after
//! the answer, as 2,000 CLI processes would (each request creates an IAM user through the
//! engine's IAM client). Sampled from /proc/PID (Linux): the number of open file
//! descriptors every 250 ms, and the resident set (VmRSS) 30 s after each burst, with the
//! burst's 2,000 leases alive; then the leases are revoked (`revoke-prefix`, sync) and RSS
//! is taken again, so each burst starts from the same state.
//! Targets: within 30 s of a burst's end the descriptors are back within a few dozen (36)
//! of the baseline taken before the first burst; RSS after the fourth burst is within 10 %
//! of RSS after the second (memory does not keep growing burst after burst), compared with
//! each burst's leases revoked, since 2,000 live leases and IAM users are state the sandbox
//! must keep.
//!
//! `cargo bench --bench bursts` runs it in full (about three minutes). Without `--bench`
//! (as `cargo test --all-targets` runs it) it does two bursts of 50 and asserts only that
//! every request succeeded. RESULT lines (tab-separated: name, figure, target, verdict,
//! peer) are for `scripts/bench`.

use vaultlab_testkit as common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"]}]}"#;
const FD_SLACK: usize = 36;

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Vault {
    http: reqwest::Client,
    addr: String,
    token: String,
}

impl Vault {
    async fn post(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/v1/{path}", self.addr))
            .header("X-Vault-Token", &self.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    /// Revokes every lease of the role (queued, as `vault lease revoke -prefix` does, so
    /// the revocations run side by side) and waits until none is left.
    async fn revoke_all(&self) {
        let response = self
            .http
            .put(format!(
                "{}/v1/sys/leases/revoke-prefix/aws/creds/my-role",
                self.addr
            ))
            .header("X-Vault-Token", &self.token)
            .json(&json!({"sync": false}))
            .send()
            .await
            .expect("revoke-prefix");
        assert!(
            response.status().is_success(),
            "revoke-prefix: {}",
            response.status()
        );
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let listed: serde_json::Value = self
                .http
                .get(format!(
                    "{}/v1/sys/leases/lookup/aws/creds/my-role/?list=true",
                    self.addr
                ))
                .header("X-Vault-Token", &self.token)
                .send()
                .await
                .expect("list leases")
                .json()
                .await
                .unwrap_or(serde_json::Value::Null);
            let left = listed["data"]["keys"].as_array().map_or(0, Vec::len);
            if left == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "{left} leases still not revoked");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// `n` creds requests at once; how many failed, and a few of the failures.
    async fn burst(&self, n: usize) -> (usize, Vec<String>) {
        let requests: Vec<_> = (0..n)
            .map(|_| {
                let request = self
                    .http
                    .get(format!("{}/v1/aws/creds/my-role", self.addr))
                    .header("X-Vault-Token", &self.token)
                    .timeout(Duration::from_secs(300));
                tokio::spawn(async move {
                    match request.send().await {
                        Ok(r) if r.status().is_success() => Ok(()),
                        Ok(r) => {
                            let status = r.status();
                            Err(format!("{status}: {}", r.text().await.unwrap_or_default()))
                        }
                        Err(e) => Err(format!("{e:?}")),
                    }
                })
            })
            .collect();
        let mut failures = Vec::new();
        let mut failed = 0;
        for request in requests {
            if let Err(e) = request.await.expect("request task") {
                failed += 1;
                if failures.len() < 3 {
                    failures.push(e);
                }
            }
        }
        (failed, failures)
    }
}

fn result(name: &str, figure: &str, target: &str, verdict: &str) {
    if std::env::args().any(|arg| arg == "--bench") {
        println!("RESULT\t{name}\t{figure}\t{target}\t{verdict}\t");
    }
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    // The smoke run: a burst after the first still succeeds, with short pauses.
    let (per_burst, bursts, settle, rest) = if full {
        (2000, 4, Duration::from_secs(30), Duration::from_secs(2))
    } else {
        (50, 2, Duration::from_secs(1), Duration::from_millis(200))
    };
    let mut command = Command::new("sh");
    command.args([
        "-c",
        "ulimit -n 1024 && exec \"$0\" sandbox --propagation-delay 0s",
        env!("CARGO_BIN_EXE_vaultlab"),
    ]);
    let sandbox = common::SandboxProcess::start_command(command);
    let pid = sandbox.child.id();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let vault = Vault {
        // No connection kept between requests: a burst is many clients, each asking once.
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client"),
        addr: sandbox.var("VAULT_ADDR").to_owned(),
        token: sandbox.var("VAULT_TOKEN").to_owned(),
    };
    runtime.block_on(async {
        vault.post("sys/mounts/aws", json!({"type": "aws"})).await;
        vault
            .post(
                "aws/config/root",
                json!({
                    "access_key": sandbox.var("AWS_ACCESS_KEY_ID"),
                    "secret_key": sandbox.var("AWS_SECRET_ACCESS_KEY"),
                    "region": sandbox.var("AWS_REGION"),
                }),
            )
            .await;
        vault
            .post(
                "aws/roles/my-role",
                json!({"credential_type": "iam_user", "policy_document": POLICY}),
            )
            .await;
    });
    std::thread::sleep(Duration::from_secs(1));
    let baseline_fds = open_fds(pid);
    let baseline_rss = rss_mib(pid);
    println!("baseline: {baseline_fds} fds, RSS {baseline_rss:.1} MiB");

    let mut failed_total = 0;
    let mut peak_fds = 0;
    let mut settled_fds = Vec::new();
    let mut back_within = Vec::new();
    let mut rss_after = Vec::new();
    let mut rss_with_leases = Vec::new();
    for burst in 1..=bursts {
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        let sampling = std::thread::spawn({
            let done = done.clone();
            move || {
                let mut peak = 0;
                while !done.load(Ordering::Relaxed) {
                    peak = peak.max(open_fds(pid));
                    std::thread::sleep(Duration::from_millis(100));
                }
                peak
            }
        });
        let (failed, failures) = runtime.block_on(vault.burst(per_burst));
        done.store(true, Ordering::Relaxed);
        let burst_peak = sampling.join().unwrap_or(0);
        let took = started.elapsed();
        failed_total += failed;
        peak_fds = peak_fds.max(burst_peak);
        // Within `settle` of the burst's end, when are the descriptors back near the baseline?
        let ended = Instant::now();
        let mut back = None;
        while ended.elapsed() < settle {
            if back.is_none() && open_fds(pid) <= baseline_fds + FD_SLACK {
                back = Some(ended.elapsed());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let fds = open_fds(pid);
        let with_leases = rss_mib(pid);
        let revoking = Instant::now();
        runtime.block_on(vault.revoke_all());
        let revoked_in = revoking.elapsed();
        std::thread::sleep(rest);
        let rss = rss_mib(pid);
        println!(
            "burst {burst}: {per_burst} creds in {:.1} s, {failed} failed, peak {burst_peak} fds; {:.0} s later: {fds} fds (back within {FD_SLACK} of the baseline after {}), RSS {with_leases:.1} MiB; leases revoked in {:.1} s, then RSS {rss:.1} MiB, {} fds",
            took.as_secs_f64(),
            settle.as_secs_f64(),
            back.map_or("never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64())),
            revoked_in.as_secs_f64(),
            open_fds(pid),
        );
        rss_with_leases.push(with_leases);
        for failure in failures {
            println!("  failure: {failure}");
        }
        settled_fds.push(fds);
        back_within.push(back);
        rss_after.push(rss);
    }
    let log = sandbox.log();
    for line in log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .take(10)
    {
        println!("  sandbox: {line}");
    }
    drop(sandbox);

    if !full {
        assert_eq!(failed_total, 0, "every creds request succeeds");
        return;
    }
    let all_back = back_within.iter().all(Option::is_some);
    let slowest = back_within
        .iter()
        .flatten()
        .max()
        .map_or("never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
    result(
        "bursts: fds back near baseline",
        &format!(
            "baseline {baseline_fds}, peak {peak_fds}; +30 s: {}; slowest back {slowest}",
            settled_fds
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "<= +36 in 30 s",
        if all_back { "ok" } else { "MISSED" },
    );
    let growth = (rss_after[3] / rss_after[1] - 1.0) * 100.0;
    let list = |values: &[f64]| {
        values
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    result(
        "bursts: RSS after each burst",
        &format!(
            "{} MiB (4th vs 2nd {growth:+.1} %); leases alive: {} MiB",
            list(&rss_after),
            list(&rss_with_leases)
        ),
        "4th <= 2nd +10 %",
        if growth <= 10.0 { "ok" } else { "MISSED" },
    );
    result(
        "bursts: failed creds (ulimit -n 1024)",
        &format!("{failed_total} of {}", 4 * per_burst),
        "0",
        if failed_total == 0 { "ok" } else { "MISSED" },
    );
}

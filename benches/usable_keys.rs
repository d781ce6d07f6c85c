//! Time to usable keys: with a propagation delay D in the sandbox (a new access key is
//! refused until D has passed, as IAM's eventual consistency does), how soon after issue
//! the first DescribeInstances succeeds. Target: within D + 0.5 s, for D in {0, 2 s, 8 s}.
//!
//! It runs the real code path: `vaultlab walk --sandbox --propagation-delay D` (the built
//! binary, the same `update` and probe schedule as the TUI), stamping each transcript line
//! as it arrives. Issue is when step 4's header is printed, before its request is sent (so
//! the figure errs long); usable is when step 5 reports its attempts, right after the
//! successful call.
//!
//! `cargo bench --bench usable_keys` measures (about 35 s). Without `--bench`, as `cargo
//! test --all-targets` runs it, it walks once with D = 0 and once with D = 1 s and checks
//! that the keys were retried until they worked. Results are `RESULT` lines for
//! `scripts/bench`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SLACK: Duration = Duration::from_millis(500);

/// One walk: how long from issue to the first successful DescribeInstances, and in how
/// many attempts.
struct Probe {
    issue_to_usable: Duration,
    attempts: u32,
}

fn walk(delay: Duration) -> Probe {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultlab"))
        .args(["walk", "--sandbox", "--propagation-delay"])
        .arg(format!("{}ms", delay.as_millis()))
        .env("HOME", std::env::temp_dir())
        .env_remove("VAULT_ADDR")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start vaultlab walk");
    let stdout = child.stdout.take().expect("stdout");
    let mut issued = None;
    let mut usable = None;
    let mut transcript = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read the transcript");
        let now = Instant::now();
        if line.starts_with("[4/6]") {
            issued = Some(now);
        }
        if let Some(count) = line.trim().strip_prefix("attempts: ") {
            usable = Some((now, count.parse::<u32>().expect("an attempt count")));
        }
        transcript.push_str(&line);
        transcript.push('\n');
    }
    let status = child.wait().expect("wait for vaultlab walk");
    assert!(status.success(), "the walk failed:\n{transcript}");
    let issued = issued.unwrap_or_else(|| panic!("no step 4 in:\n{transcript}"));
    let (usable, attempts) = usable.unwrap_or_else(|| panic!("no step 5 in:\n{transcript}"));
    Probe {
        issue_to_usable: usable - issued,
        attempts,
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    if !full {
        // Smoke: ready keys work at once; late ones are retried until they work.
        let ready = walk(Duration::ZERO);
        assert_eq!(ready.attempts, 1, "keys valid at once needed retries");
        let late = walk(Duration::from_secs(1));
        assert!(late.attempts > 1, "keys refused for 1 s worked at once");
        assert!(late.issue_to_usable >= Duration::from_secs(1));
        println!(
            "usable keys: D 0 s -> {} ({} attempt), D 1 s -> {} ({} attempts)",
            seconds(ready.issue_to_usable),
            ready.attempts,
            seconds(late.issue_to_usable),
            late.attempts
        );
        return;
    }
    const RUNS: usize = 3;
    for delay in [0, 2, 8].map(Duration::from_secs) {
        let probes: Vec<Probe> = (0..RUNS).map(|_| walk(delay)).collect();
        let worst = probes
            .iter()
            .max_by_key(|p| p.issue_to_usable)
            .expect("runs");
        let times: Vec<String> = probes.iter().map(|p| seconds(p.issue_to_usable)).collect();
        println!(
            "usable keys, D = {}: {} (attempts {:?})",
            seconds(delay),
            times.join(", "),
            probes.iter().map(|p| p.attempts).collect::<Vec<_>>()
        );
        let ok = worst.issue_to_usable < delay + SLACK;
        println!(
            "RESULT\tusable keys, D = {} s (worst of {RUNS})\t{} after issue\t< {}\t{}\tsucceeded at attempt {}",
            delay.as_secs(),
            seconds(worst.issue_to_usable),
            seconds(delay + SLACK),
            if ok { "ok" } else { "MISSED" },
            worst.attempts
        );
    }
}

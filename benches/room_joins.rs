//! A class taking its seats: 500 learners join one room at once through the join endpoint
//! (`POST /vaultlab/room/join`, as `vaultlab join` does: each learner its own HTTP client,
//! so its own connection), against `vaultlab room --headless --state` in a process of its
//! own. Measured: the wall time from the first join sent to the last seat granted (goal
//! < 5 s), each learner's wait, and the room process's resident memory (VmRSS from /proc)
//! once every seat is taken (goal < 150 MiB). Then every seat does the lab's steps 1 to 3
//! and takes one lease, as a class an hour in has, and the room's memory is read again
//! (reported).
//!
//! The learners' HTTP clients are built before the clock starts: on a real LAN each is on
//! its own laptop, not on the room's two cores.
//!
//! `cargo bench --bench room_joins` runs it in full (about 30 s); without `--bench`, as
//! `cargo test --all-targets` runs it, 20 learners join and the same checks hold. Results
//! are `RESULT` lines for `scripts/bench`.

#[path = "support/room_process.rs"]
mod room_process;

use std::time::{Duration, Instant};

use futures::StreamExt;
use room_process::{RoomProcess, mib};
use serde_json::{Value, json};

const JOINS_TARGET: Duration = Duration::from_secs(5);
const RSS_TARGET_MIB: f64 = 150.0;
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"]}]}"#;

/// A seat as the join endpoint granted it.
struct Grant {
    name: String,
    answer: Value,
}

/// Every learner joins at once; each one's wait, and the seats granted (or why not).
async fn join_all(
    url: &str,
    code: &str,
    learners: usize,
) -> (Duration, Vec<Duration>, Vec<Result<Grant, String>>) {
    let clients: Vec<reqwest::Client> = (0..learners)
        .map(|_| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client")
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(index, http)| {
            let (url, code) = (url.to_owned(), code.to_owned());
            tokio::spawn(async move {
                let name = format!("learner-{index:03}");
                let sent = Instant::now();
                let answer = join(&http, &url, &code, &name).await;
                (sent.elapsed(), answer.map(|answer| Grant { name, answer }))
            })
        })
        .collect();
    let mut waits = Vec::new();
    let mut grants = Vec::new();
    for task in tasks {
        let (wait, grant) = task.await.expect("a learner panicked");
        waits.push(wait);
        grants.push(grant);
    }
    (started.elapsed(), waits, grants)
}

async fn join(http: &reqwest::Client, url: &str, code: &str, name: &str) -> Result<Value, String> {
    let response = http
        .post(format!("{url}/vaultlab/room/join"))
        .json(&json!({"code": code, "name": name}))
        .send()
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let status = response.status();
    let answer: Value = response.json().await.map_err(|e| format!("{name}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{name}: {status} {}", answer["errors"][0]));
    }
    Ok(answer)
}

/// Steps 1 to 3 in the seat and one lease, a few seats at a time (untimed).
async fn work_in_seat(http: &reqwest::Client, url: &str, grant: &Grant) -> Result<(), String> {
    let text = |key: &str| grant.answer[key].as_str().unwrap_or_default().to_owned();
    let (token, namespace) = (text("vault_token"), text("namespace"));
    let steps = [
        ("POST", "sys/mounts/aws", json!({"type": "aws"})),
        (
            "POST",
            "aws/config/root",
            json!({"access_key": text("aws_access_key_id"), "secret_key": text("aws_secret_access_key"), "region": text("region")}),
        ),
        (
            "POST",
            "aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": POLICY}),
        ),
        ("GET", "aws/creds/my-role", Value::Null),
    ];
    for (method, path, body) in steps {
        let request = match method {
            "GET" => http.get(format!("{url}/v1/{path}")),
            _ => http.post(format!("{url}/v1/{path}")).json(&body),
        };
        let response = request
            .header("X-Vault-Token", &token)
            .header("X-Vault-Namespace", &namespace)
            .send()
            .await
            .map_err(|e| format!("{} {path}: {e}", grant.name))?;
        if !response.status().is_success() {
            return Err(format!("{} {path}: {}", grant.name, response.status()));
        }
    }
    Ok(())
}

async fn room_status(url: &str, root: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{url}/vaultlab/room"))
        .header("X-Vault-Token", root)
        .send()
        .await
        .expect("the room's status")
        .error_for_status()
        .expect("the room answers its facilitator")
        .json()
        .await
        .expect("its JSON")
}

fn percentile(waits: &[Duration], p: f64) -> Duration {
    let mut sorted = waits.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// A line for `scripts/bench`; only full runs measure the targets' load.
fn result(full: bool, name: &str, figure: &str, target: &str, verdict: &str) {
    if full {
        println!("RESULT\t{name}\t{figure}\t{target}\t{verdict}\t");
    }
}

fn main() {
    // Criterion-style: `cargo bench` passes --bench; `cargo test` does not.
    let full = std::env::args().any(|arg| arg == "--bench");
    let learners = if full { 500 } else { 20 };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let room = RoomProcess::start(dir.path(), learners);
    let (start_rss, _) = room.rss_kib();
    let cpu_before = room.cpu_time();

    let (took, waits, grants) = runtime.block_on(join_all(&room.url, &room.code, learners));
    let cpu_joins = room.cpu_time().saturating_sub(cpu_before);
    let (joined_rss, joined_peak) = room.rss_kib();
    let failed: Vec<String> = grants
        .iter()
        .filter_map(|g| g.as_ref().err().cloned())
        .collect();
    let status = runtime.block_on(room_status(&room.url, &room.root_token));

    let granted: Vec<Grant> = grants.into_iter().filter_map(Result::ok).collect();
    let http = reqwest::Client::new();
    let worked: Vec<Result<(), String>> = runtime.block_on(
        futures::stream::iter(&granted)
            .map(|grant| work_in_seat(&http, &room.url, grant))
            .buffer_unordered(16)
            .collect(),
    );
    let work_failed: Vec<String> = worked
        .iter()
        .filter_map(|w| w.as_ref().err().cloned())
        .collect();
    let (working_rss, working_peak) = room.rss_kib();
    drop(room);

    println!("room joins: {learners} learners at once, each its own connection");
    println!(
        "  all seated in {} ({:.1} ms of the room's CPU a join); a learner's wait p50 {}, p99 {}, max {}; {} refused",
        ms(took),
        cpu_joins.as_secs_f64() * 1000.0 / learners as f64,
        ms(percentile(&waits, 0.5)),
        ms(percentile(&waits, 0.99)),
        ms(percentile(&waits, 1.0)),
        failed.len()
    );
    println!(
        "  room RSS: {:.1} MiB at start, {:.1} MiB with {learners} seats (peak {:.1}), {:.1} MiB once each set up its engine and took a lease (peak {:.1})",
        mib(start_rss),
        mib(joined_rss),
        mib(joined_peak),
        mib(working_rss),
        mib(working_peak)
    );
    for error in failed.iter().chain(&work_failed).take(5) {
        println!("  error: {error}");
    }

    result(
        full,
        &format!("room: {learners} learners join at once"),
        &format!(
            "{} in all (a learner's wait p99 {})",
            ms(took),
            ms(percentile(&waits, 0.99))
        ),
        "< 5 s",
        if took < JOINS_TARGET && failed.is_empty() {
            "ok"
        } else {
            "MISSED"
        },
    );
    result(
        full,
        &format!("room: RSS with {learners} seats"),
        &format!(
            "{:.1} MiB (at start {:.1}; {:.1} once each seat took a lease)",
            mib(joined_rss),
            mib(start_rss),
            mib(working_rss)
        ),
        "< 150 MiB",
        if mib(joined_rss) < RSS_TARGET_MIB {
            "ok"
        } else {
            "MISSED"
        },
    );

    // Whatever the mode: every learner got a seat, and the room counts them all.
    assert!(failed.is_empty(), "joins refused: {failed:?}");
    assert_eq!(
        status["summary"]["joined"].as_u64(),
        Some(learners as u64),
        "the room counts every seat"
    );
    assert!(
        work_failed.is_empty(),
        "work in seats failed: {work_failed:?}"
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

//! A room on one sandbox: simulated learners, each in a seat of its own (`vaultlab room
//! --headless`: a Vault namespace and an AWS account per seat, taken with the join code),
//! doing the lab's loop there (issue credentials, DescribeInstances signed with the new
//! keys, revoke) with the seat's token and keys; then the same shape of load (token
//! create, lookup-self with the new token, revoke) against an OpenBao dev server, as the
//! reference. Last, every seat holds two leases and the room is ended: how long until
//! every lease is revoked and no `vault-*` user is left.
//!
//! Two phases per server, on loopback only, bounded in time and in requests:
//! - **paced**: 100 learners, each starting one cycle a second (300 requests a second in
//!   all; a real room, where a learner needs minutes per cycle, is far lighter). Per-request
//!   latency here is what a learner feels; the target is p99 < 25 ms, with no error.
//! - **flat out**: the same learners with no pause, for the server's throughput. With 100
//!   requests always in flight, latency there is queueing: 100 / throughput.
//!
//! The learners are tokio tasks in this process, on the same two cores as the server, and
//! use vaultlab's own clients: `VaultClient` for Vault, `aws::describe_instances` (a new
//! SDK client per call, as the app does) for EC2. The room is a process of its own.
//!
//! During the paced phase the facilitator's dashboard reads the room once a second, as
//! `vaultlab room` does (its client, `update`, the frame drawn at 200×60): each refresh
//! must be drawn within its second, and its own work must stay under 5 % of a core.
//!
//! `cargo bench --bench room` runs it in full (about 80 s). Without `--bench`, as `cargo
//! test --all-targets` runs it, it does a smoke run of a few seconds that still asserts
//! every request succeeded. Results are printed as `RESULT` lines (tab-separated: name,
//! figure, target, verdict, peer) for `scripts/bench`.

#[path = "support/room_process.rs"]
mod room_process;

use vaultlab_testkit as common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use room_process::RoomProcess;
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::Mutex;
use vaultlab::aws::{AwsTarget, StaticKeys, describe_instances};
use vaultlab::vault::request::VaultRequest;
use vaultlab::vault::{VaultClient, VaultConfig};

const P99_TARGET: Duration = Duration::from_millis(25);
/// The dashboard reads the room once a second: each refresh must be on screen within it.
const REFRESH_TARGET: Duration = Duration::from_secs(1);
/// The dashboard's own work, at one refresh a second: under 5 % of a core.
const DASHBOARD_CPU_TARGET: f64 = 0.05;
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"]}]}"#;

/// How hard and how long to push.
#[derive(Clone, Copy)]
struct Load {
    learners: usize,
    /// Each learner starts a cycle this often; `None`: flat out.
    pace: Option<Duration>,
    duration: Duration,
    /// A hard stop whatever the clock says.
    max_requests: u64,
}

/// What one phase measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// The same, by what was asked (issue, DescribeInstances…), to see where time goes.
    by_kind: std::collections::BTreeMap<String, Vec<Duration>>,
    errors: Vec<String>,
    error_count: u64,
    cycles: u64,
    elapsed: Duration,
}

impl Tally {
    fn record<T, E: std::fmt::Display>(
        &mut self,
        started: Instant,
        what: &str,
        result: &Result<T, E>,
    ) {
        let took = started.elapsed();
        self.latencies.push(took);
        self.by_kind.entry(what.to_owned()).or_default().push(took);
        if let Err(error) = result {
            self.error_count += 1;
            if self.errors.len() < 5 {
                self.errors.push(format!("{what}: {error}"));
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        for (kind, latencies) in other.by_kind {
            self.by_kind.entry(kind).or_default().extend(latencies);
        }
        self.errors
            .extend(other.errors.into_iter().take(5 - self.errors.len().min(5)));
        self.error_count += other.error_count;
        self.cycles += other.cycles;
    }

    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// p50 and p99 of each kind of request.
    fn by_kind(&self) -> String {
        self.by_kind
            .iter()
            .map(|(kind, latencies)| {
                format!(
                    "{kind} p50 {} p99 {}",
                    ms(percentile(latencies, 0.5)),
                    ms(percentile(latencies, 0.99))
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn summary(&self) -> String {
        format!(
            "{} requests in {:.1} s: {:.0}/s, p50 {}, p99 {}, max {}, errors {}",
            self.latencies.len(),
            self.elapsed.as_secs_f64(),
            self.per_second(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
            self.error_count
        )
    }
}

fn percentile(latencies: &[Duration], p: f64) -> Duration {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Where the learners send their requests.
#[derive(Clone)]
enum Server {
    /// `vaultlab room`: each learner in seat `index`, set up by [`take_seats`].
    Room { seats: Arc<Vec<Seat>> },
    /// `bao server -dev`.
    Bao { vault_addr: String, token: String },
}

/// A seat: its Vault (token, namespace) and its AWS account.
struct Seat {
    vault: VaultClient,
    aws: AwsTarget,
}

fn vault_client(addr: &str, token: &str, namespace: Option<&str>) -> VaultClient {
    let mut config = VaultConfig::new(addr, Some(SecretString::from(token.to_owned())))
        .expect("a loopback Vault address");
    config.timeout = Duration::from_secs(10);
    config.namespace = namespace.map(str::to_owned);
    VaultClient::new(config).expect("a Vault client")
}

/// One learner's loop until the deadline or the request budget runs out.
async fn learner(
    server: Server,
    index: usize,
    load: Load,
    deadline: Instant,
    budget: Arc<AtomicU64>,
) -> Tally {
    let mut tally = Tally::default();
    let bao_root = match &server {
        Server::Bao { vault_addr, token } => Some(vault_client(vault_addr, token, None)),
        Server::Room { .. } => None,
    };
    // Spread the learners over one pace, so the room does not click in unison.
    if let Some(pace) = load.pace {
        tokio::time::sleep(pace.mul_f64(index as f64 / load.learners as f64)).await;
    }
    while Instant::now() < deadline && budget.fetch_sub(3, Ordering::Relaxed) >= 3 {
        let cycle = Instant::now();
        match (&server, &bao_root) {
            (Server::Room { seats }, _) => {
                let seat = &seats[index];
                sandbox_cycle(&seat.vault, &seat.aws, tally.cycles == 0, &mut tally).await;
            }
            (Server::Bao { vault_addr, .. }, Some(root)) => {
                bao_cycle(root, vault_addr, &mut tally).await
            }
            (Server::Bao { .. }, None) => unreachable!("a bao learner has the root client"),
        }
        tally.cycles += 1;
        if let Some(pace) = load.pace {
            tokio::time::sleep_until((cycle + pace).into()).await;
        }
    }
    tally
}

/// The lab's steps 4 to 6, as the app makes them.
/// A phase's first issue in a seat is told apart: it is when the engine first calls IAM
/// with the seat's keys.
async fn sandbox_cycle(vault: &VaultClient, aws: &AwsTarget, first: bool, tally: &mut Tally) {
    let started = Instant::now();
    let creds = vault.read("aws/creds/my-role").await;
    let what = if first { "issue (first)" } else { "issue" };
    tally.record(started, what, &creds);
    let Some(envelope) = creds.ok().and_then(|reply| reply.envelope) else {
        return;
    };
    let field = |name: &str| {
        envelope
            .data
            .as_ref()
            .and_then(|data| data.get(name))
            .and_then(|value| value.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let keys = StaticKeys {
        access_key_id: field("access_key"),
        secret_access_key: SecretString::from(field("secret_key")),
    };
    let started = Instant::now();
    let described = describe_instances(aws, &keys).await;
    tally.record(started, "DescribeInstances", &described);
    let started = Instant::now();
    let revoked = vault.lease_revoke(&envelope.lease_id, false).await;
    tally.record(started, "revoke", &revoked);
}

/// The same shape against OpenBao: a new token, used once, revoked.
async fn bao_cycle(root: &VaultClient, addr: &str, tally: &mut Tally) {
    let started = Instant::now();
    let created = root
        .write(
            "auth/token/create",
            json!({"policies": ["default"], "ttl": "768h"}),
        )
        .await;
    tally.record(started, "token create", &created);
    let Some(token) = created.ok().and_then(|reply| {
        reply
            .envelope?
            .auth?
            .get("client_token")?
            .as_str()
            .map(str::to_owned)
    }) else {
        tally.error_count += 1;
        return;
    };
    // A client for the new token, as the sandbox cycle makes an SDK client for new keys.
    let user = vault_client(addr, &token, None);
    let started = Instant::now();
    let looked_up = user.token_lookup_self().await;
    tally.record(started, "lookup-self", &looked_up);
    let started = Instant::now();
    let revoked = root
        .write("auth/token/revoke", json!({ "token": token }))
        .await;
    tally.record(started, "token revoke", &revoked);
}

async fn run(server: &Server, load: Load) -> Tally {
    let budget = Arc::new(AtomicU64::new(load.max_requests));
    let started = Instant::now();
    let deadline = started + load.duration;
    let total = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = Vec::new();
    for index in 0..load.learners {
        let (server, budget, total) = (server.clone(), budget.clone(), total.clone());
        tasks.push(tokio::spawn(async move {
            let tally = learner(server, index, load, deadline, budget).await;
            total.lock().await.merge(tally);
        }));
    }
    for task in tasks {
        task.await.expect("a learner panicked");
    }
    let mut total = Arc::try_unwrap(total)
        .ok()
        .expect("every learner finished")
        .into_inner();
    total.elapsed = started.elapsed();
    total
}

/// Every learner takes a seat with the join code and sets the engine up in it, as the
/// lab's steps 1 to 3 do (not timed).
async fn take_seats(url: &str, code: &str, learners: usize) -> Vec<Seat> {
    let http = reqwest::Client::new();
    let mut seats = Vec::new();
    for index in 0..learners {
        let grant: serde_json::Value = http
            .post(format!("{url}/vaultlab/room/join"))
            .json(&json!({"code": code, "name": format!("learner-{index}")}))
            .send()
            .await
            .expect("join")
            .error_for_status()
            .expect("a seat")
            .json()
            .await
            .expect("the seat's JSON");
        let text = |key: &str| grant[key].as_str().expect(key).to_owned();
        let vault = vault_client(url, &text("vault_token"), Some(&text("namespace")));
        vault
            .enable_mount("aws", "aws")
            .await
            .expect("enable the engine");
        let root_keys = VaultRequest::put(
            "aws/config/root",
            json!({"access_key": text("aws_access_key_id"), "region": text("region")}),
        )
        .with_secret(
            "secret_key",
            &SecretString::from(text("aws_secret_access_key")),
        );
        vault.send(&root_keys).await.expect("write the root keys");
        vault
            .write(
                "aws/roles/my-role",
                json!({"credential_type": "iam_user", "policy_document": POLICY}),
            )
            .await
            .expect("write the role");
        seats.push(Seat {
            vault,
            aws: AwsTarget {
                endpoint_url: Some(url.to_owned()),
                region: text("region"),
                trust: Default::default(),
            },
        });
    }
    seats
}

/// Two live leases in every seat, then the room ended; how long the end took, and its
/// report.
async fn end_with_leases(url: &str, root: &str, seats: &[Seat]) -> (Duration, serde_json::Value) {
    for seat in seats {
        for _ in 0..2 {
            seat.vault.read("aws/creds/my-role").await.expect("a lease");
        }
    }
    let started = Instant::now();
    let report: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/vaultlab/room/end"))
        .header("X-Vault-Token", root)
        .send()
        .await
        .expect("end the room")
        .error_for_status()
        .expect("the room ended")
        .json()
        .await
        .expect("the report");
    (started.elapsed(), report)
}

/// What the facilitator's dashboard met while the learners worked: per refresh, the
/// time from its clock's tick to the frame drawn, and the part of it that was its own
/// work (`update` and the frame; the answer's parsing is in the request's time).
#[derive(Default)]
struct Refreshes {
    whole: Vec<Duration>,
    own_work: Vec<Duration>,
    seats_seen: usize,
    errors: Vec<String>,
}

/// The dashboard as `vaultlab room` runs it, once a second until `until`: the room read
/// with its client and the facilitator's token, `update`, the frame drawn at 200×60.
async fn dashboard(url: &str, root: &str, until: Instant) -> Refreshes {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use vaultlab::dashboard::{Dashboard, Msg, Start, update, view};
    use vaultlab::room_client::RoomControl;

    let control =
        RoomControl::new(url, SecretString::from(root.to_owned()), None).expect("a client");
    let (mut board, _) = Dashboard::new(Start {
        url: url.to_owned(),
        code: String::new(),
        tls: None,
        kept_certificate: false,
        report: "/dev/null".into(),
        now: chrono::Utc::now(),
    });
    let theme = vaultlab::ui::Theme::colored();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let mut refreshes = Refreshes::default();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        clock.tick().await;
        if Instant::now() >= until {
            return refreshes;
        }
        let tick = Instant::now();
        let status = control.status().await.map_err(|e| e.to_string());
        let answered = Instant::now();
        match &status {
            Ok(status) => refreshes.seats_seen = status.seats.len(),
            Err(error) => refreshes.errors.push(error.clone()),
        }
        update(&mut board, Msg::Tick(chrono::Utc::now()));
        update(&mut board, Msg::Status(status));
        terminal
            .draw(|frame| view::draw(frame, &board, &theme))
            .expect("a frame");
        refreshes.own_work.push(answered.elapsed());
        refreshes.whole.push(tick.elapsed());
    }
}

/// A line for `scripts/bench`; only full runs measure the targets' load.
fn result(name: &str, figure: &str, target: &str, verdict: &str, peer: &str) {
    if std::env::args().any(|arg| arg == "--bench") {
        println!("RESULT\t{name}\t{figure}\t{target}\t{verdict}\t{peer}");
    }
}

fn main() {
    // Criterion-style: `cargo bench` passes --bench; `cargo test` does not.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (paced, flat_out) = if full {
        (
            Load {
                learners: 100,
                pace: Some(Duration::from_secs(1)),
                duration: Duration::from_secs(30),
                max_requests: 100 * 3 * 31,
            },
            Load {
                learners: 100,
                pace: None,
                duration: Duration::from_secs(10),
                max_requests: 300_000,
            },
        )
    } else {
        let smoke = Load {
            learners: 5,
            pace: Some(Duration::from_millis(100)),
            duration: Duration::from_millis(500),
            max_requests: 5 * 3 * 6,
        };
        (
            smoke,
            Load {
                pace: None,
                ..smoke
            },
        )
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");

    let dir = tempfile::tempdir().expect("a temporary folder");
    let room = RoomProcess::start(dir.path(), paced.learners);
    let (url, root) = (room.url.clone(), room.root_token.clone());
    let seats = Arc::new(runtime.block_on(take_seats(&url, &room.code, paced.learners)));
    let server = Server::Room {
        seats: seats.clone(),
    };
    let cpu_before = room.cpu_time();
    let learners_cpu_before = room_process::cpu_time(std::process::id());
    let (ours, dashboard) = runtime.block_on(async {
        tokio::join!(
            run(&server, paced),
            dashboard(&url, &root, Instant::now() + paced.duration)
        )
    });
    let room_cpu =
        room.cpu_time().saturating_sub(cpu_before).as_secs_f64() / ours.elapsed.as_secs_f64();
    let learners_cpu = room_process::cpu_time(std::process::id())
        .saturating_sub(learners_cpu_before)
        .as_secs_f64()
        / ours.elapsed.as_secs_f64();
    let (room_rss, _) = room.rss_kib();
    let ours_flat = runtime.block_on(run(&server, flat_out));
    let (ended_in, report) = runtime.block_on(end_with_leases(&url, &root, &seats));
    drop(room);

    let bao = common::Bao::dev();
    let server = Server::Bao {
        vault_addr: bao.url(),
        token: bao.token.clone(),
    };
    let theirs = runtime.block_on(run(&server, paced));
    let theirs_flat = runtime.block_on(run(&server, flat_out));
    drop(bao);

    println!(
        "room: {} learners, one cycle every {:?} each, {:?}",
        paced.learners,
        paced.pace.unwrap_or_default(),
        paced.duration
    );
    println!("  vaultlab room (a seat each), paced:   {}", ours.summary());
    println!(
        "  vaultlab room (a seat each), flat out: {}",
        ours_flat.summary()
    );
    println!(
        "  vaultlab room end, {} seats x 2 leases: {} ({} leases revoked, {} vault-* users left)",
        paced.learners,
        ms(ended_in),
        report["leases_revoked"],
        report["vault_users_left"]
    );
    println!("    by request: {}", ours.by_kind());
    println!(
        "  the room process, paced: {:.1} % of a core, RSS {:.1} MiB; the learners (this process): {:.1} % of a core",
        room_cpu * 100.0,
        room_process::mib(room_rss),
        learners_cpu * 100.0
    );
    println!(
        "  dashboard (200x60, once a second, same time): {} refreshes, slowest {}, own work {} in all, {} errors {:?}",
        dashboard.whole.len(),
        ms(dashboard.whole.iter().max().copied().unwrap_or_default()),
        ms(dashboard.own_work.iter().sum()),
        dashboard.errors.len(),
        dashboard.errors.first()
    );
    println!("  bao dev server, paced:     {}", theirs.summary());
    println!("    by request: {}", theirs.by_kind());
    println!("  bao dev server, flat out:   {}", theirs_flat.summary());
    for error in ours.errors.iter().chain(&ours_flat.errors) {
        println!("  sandbox error: {error}");
    }
    for error in theirs.errors.iter().chain(&theirs_flat.errors) {
        println!("  bao error: {error}");
    }

    let errors = ours.error_count + ours_flat.error_count;
    result(
        "room: errors",
        &format!(
            "{errors} of {}",
            ours.latencies.len() + ours_flat.latencies.len()
        ),
        "0",
        if errors == 0 { "ok" } else { "MISSED" },
        &format!(
            "bao dev {} of {}",
            theirs.error_count + theirs_flat.error_count,
            theirs.latencies.len() + theirs_flat.latencies.len()
        ),
    );
    let p99 = ours.percentile(0.99);
    result(
        &format!(
            "room: {} learners, a cycle per {:?} each",
            paced.learners,
            paced.pace.unwrap_or_default()
        ),
        &format!("p99 {} (p50 {})", ms(p99), ms(ours.percentile(0.5))),
        &format!("p99 < {:.0} ms", P99_TARGET.as_secs_f64() * 1000.0),
        if p99 < P99_TARGET { "ok" } else { "MISSED" },
        &format!(
            "bao dev p99 {} (p50 {})",
            ms(theirs.percentile(0.99)),
            ms(theirs.percentile(0.5))
        ),
    );
    result(
        "room, flat out, throughput",
        &format!(
            "{:.0} req/s ({:.0} cycles/s)",
            ours_flat.per_second(),
            ours_flat.cycles as f64 / ours_flat.elapsed.as_secs_f64()
        ),
        "reported",
        "-",
        &format!(
            "bao dev {:.0} req/s ({:.2}x)",
            theirs_flat.per_second(),
            ours_flat.per_second() / theirs_flat.per_second()
        ),
    );

    let slowest = dashboard.whole.iter().max().copied().unwrap_or_default();
    let mut whole = dashboard.whole.clone();
    whole.sort();
    let median = whole.get(whole.len() / 2).copied().unwrap_or_default();
    result(
        &format!(
            "room dashboard, {} seats under that load: refresh",
            paced.learners
        ),
        &format!(
            "slowest {} (median {}) of {}, {} seats seen",
            ms(slowest),
            ms(median),
            dashboard.whole.len(),
            dashboard.seats_seen
        ),
        "≤ 1 s",
        if slowest <= REFRESH_TARGET
            && dashboard.errors.is_empty()
            && dashboard.seats_seen == paced.learners
        {
            "ok"
        } else {
            "MISSED"
        },
        "-",
    );
    // Wall time of work with no await in it: the CPU it took, or more when the learners
    // had the core.
    let own: Duration = dashboard.own_work.iter().sum();
    let share = own.as_secs_f64() / paced.duration.as_secs_f64();
    result(
        &format!(
            "room dashboard, {} seats under that load: its own work",
            paced.learners
        ),
        &format!(
            "at most {:.2} % of a core ({} a refresh)",
            share * 100.0,
            ms(own / dashboard.own_work.len().max(1) as u32)
        ),
        "< 5 %",
        if share < DASHBOARD_CPU_TARGET {
            "ok"
        } else {
            "MISSED"
        },
        "-",
    );

    let revoked = report["leases_revoked"].as_u64().unwrap_or(0) as usize;
    let users_left = report["vault_users_left"].as_u64().unwrap_or(u64::MAX);
    result(
        &format!("room end: {} seats x 2 live leases", paced.learners),
        &format!(
            "{} ({revoked} revoked, {users_left} vault-* users left)",
            ms(ended_in)
        ),
        "< 10 s, 0 users left",
        if ended_in < Duration::from_secs(10) && users_left == 0 {
            "ok"
        } else {
            "MISSED"
        },
        "-",
    );

    // Whatever the mode: every request must have succeeded, and some must have been made.
    // A learner stopped by the deadline between issue and revoke leaves a lease too.
    assert!(
        revoked >= 2 * paced.learners,
        "every lease revoked: {revoked} of at least {}",
        2 * paced.learners
    );
    assert_eq!(users_left, 0, "no vault-* user left");
    assert!(ours.cycles > 0 && theirs.cycles > 0, "no cycle completed");
    assert!(
        dashboard.errors.is_empty() && !dashboard.whole.is_empty(),
        "the dashboard read the room: {:?}",
        dashboard.errors
    );
    assert_eq!(
        dashboard.seats_seen, paced.learners,
        "the dashboard shows every seat"
    );
    assert_eq!(errors, 0, "the sandbox failed requests: {:?}", ours.errors);
    assert_eq!(
        theirs.error_count + theirs_flat.error_count,
        0,
        "the bao dev server failed requests: {:?}",
        theirs.errors
    );
}

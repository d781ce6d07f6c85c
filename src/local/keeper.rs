//! The servers' keeper of last resort: a `/bin/sh` started beside them, in a process
//! group of its own, that reads on a pipe from vaultlab each server's process id and the
//! signal that stops it cleanly. However vaultlab ends, the kernel closes the pipe; a
//! clean stop says `done` first and the keeper just leaves. Without `done` (vaultlab
//! killed with SIGKILL, or crashed before it could stop anything) the keeper stops the
//! servers as vaultlab would have (their signal, then SIGKILL to their process group after
//! five seconds) and removes their directory: nobody else is left to do it.

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// `$1` is the servers' directory. A shell, not vaultlab itself: it must outlive the
/// binary, which may be gone or rebuilt by then, and needs nothing but `kill` and `rm`.
const SCRIPT: &str = r#"
trap '' HUP INT
servers=
while read -r pid signal; do
  [ "$pid" = done ] && exit 0
  servers="$servers $pid:$signal"
done
for server in $servers; do kill -"${server#*:}" "${server%%:*}" 2>/dev/null; done
tries=0
while [ "$tries" -lt 5 ]; do
  alive=
  for server in $servers; do kill -0 "${server%%:*}" 2>/dev/null && alive=yes; done
  [ -z "$alive" ] && break
  sleep 1
  tries=$((tries + 1))
done
for server in $servers; do kill -9 -"${server%%:*}" 2>/dev/null; done
rm -rf -- "$1"
"#;

#[derive(Debug)]
pub struct Keeper {
    /// The pipe's end vaultlab writes to; `None` once released. Not inherited by the
    /// servers: std opens it close-on-exec.
    to_keeper: Mutex<Option<ChildStdin>>,
    keeper: Mutex<Child>,
}

impl Keeper {
    /// Starts the keeper of `dir` and of the servers it will be told about.
    pub fn start(dir: &Path) -> std::io::Result<Keeper> {
        use std::os::unix::process::CommandExt;
        // The script rides in the environment so that `ps` shows one short line.
        let mut keeper = Command::new("/bin/sh")
            .args(["-c", "eval \"$VAULTLAB_KEEPER\"", "vaultlab-keeper"])
            .arg(dir)
            // Nothing of vaultlab's environment (a token, a password): only what it needs.
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("VAULTLAB_KEEPER", SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Out of the terminal's foreground group: a Ctrl-C meant for vaultlab (which
            // stops the servers itself) does not reach it.
            .process_group(0)
            .spawn()?;
        Ok(Keeper {
            to_keeper: Mutex::new(keeper.stdin.take()),
            keeper: Mutex::new(keeper),
        })
    }

    /// Tells the keeper about a server: its process (and group) id, its stopping signal.
    pub fn watch(&self, pid: u32, signal: libc::c_int) {
        self.say(&format!("{pid} {signal}\n"));
    }

    /// The servers are stopped and their directory removed: the keeper leaves.
    pub fn release(&self) {
        self.say("done\n");
        self.to_keeper
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let _ = self.keeper.lock().unwrap_or_else(|p| p.into_inner()).wait();
    }

    fn say(&self, line: &str) {
        let mut pipe = self.to_keeper.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pipe) = pipe.as_mut()
            && let Err(error) = pipe.write_all(line.as_bytes())
        {
            tracing::warn!("the servers' keeper is gone ({error}): a SIGKILL would leave them");
        }
    }
}

//! The line between a presenting vaultlab and `vaultlab notes`: a Unix socket per
//! presenting instance, `present-<pid>.sock` in a directory only its user can enter
//! (`$XDG_RUNTIME_DIR/vaultlab`, else vaultlab's state directory), the socket itself mode
//! 0600. The presenting side writes what it shows ([`Published`]) as one JSON line to each
//! reader when it connects and on every change; a reader never writes. Two presenting
//! instances have two sockets: `notes` follows the newest live one, or the one `--pid`
//! names. A socket left by a process that died is removed by the next reader.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Published;

/// Where presenting instances put their sockets.
pub fn dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(runtime) = var("XDG_RUNTIME_DIR") {
        return Some(PathBuf::from(runtime).join("vaultlab"));
    }
    var("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".local/state")))
        .map(|base| base.join("vaultlab").join("run"))
}

fn socket_name(pid: u32) -> String {
    format!("present-{pid}.sock")
}

/// A presenting instance's socket, served until dropped (the file goes with it).
pub struct Presence {
    path: PathBuf,
    latest: watch::Sender<Option<String>>,
    task: JoinHandle<()>,
}

impl Presence {
    /// Opens this process's socket in `dir`. Needs a tokio runtime.
    pub fn start(dir: &Path) -> io::Result<Presence> {
        vaultlab_wire::private_file::create_private_dir(dir)?;
        let path = dir.join(socket_name(std::process::id()));
        // A file of this name was left by an earlier process with the same pid: it is
        // dead, or it would be us.
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let (latest, _) = watch::channel(None::<String>);
        let readers = latest.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, readers.subscribe()));
            }
        });
        Ok(Presence { path, latest, task })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What every reader gets now, and every reader that connects later.
    pub fn publish(&self, published: &Published) {
        match serde_json::to_string(published) {
            Ok(line) => {
                self.latest.send_replace(Some(line));
            }
            Err(error) => tracing::warn!("cannot publish the stage's state: {error}"),
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One reader: the latest state at once, then each change, until it goes away.
async fn serve(mut stream: UnixStream, mut latest: watch::Receiver<Option<String>>) {
    loop {
        let line = latest.borrow_and_update().clone();
        if let Some(line) = line
            && stream
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
        {
            return;
        }
        if latest.changed().await.is_err() {
            return;
        }
    }
}

/// A presenting instance's socket, as a reader finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub pid: u32,
    pub path: PathBuf,
    pub started: SystemTime,
}

/// The sockets in `dir`, newest first (whether they are live is found by connecting).
pub fn instances(dir: &Path) -> Vec<Instance> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Instance> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let pid = name.strip_prefix("present-")?.strip_suffix(".sock")?;
            Some(Instance {
                pid: pid.parse().ok()?,
                started: entry.metadata().and_then(|m| m.modified()).ok()?,
                path: entry.path(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.started.cmp(&a.started).then(b.pid.cmp(&a.pid)));
    found
}

/// Which presenting instance `notes` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Newest,
    Pid(u32),
}

/// A connection to the instance chosen, with how many were live.
pub struct Found {
    pub instance: Instance,
    pub stream: UnixStream,
    pub live: usize,
}

/// Connects to the instance `choice` names among the live ones in `dir`. Sockets no
/// process listens on any more are removed on the way.
pub async fn connect(dir: &Path, choice: Choice) -> Option<Found> {
    let mut live = Vec::new();
    for instance in instances(dir) {
        match UnixStream::connect(&instance.path).await {
            Ok(stream) => live.push((instance, stream)),
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                let _ = std::fs::remove_file(&instance.path);
            }
            Err(_) => {}
        }
    }
    let count = live.len();
    let chosen = match choice {
        Choice::Newest => live.into_iter().next(),
        Choice::Pid(pid) => live.into_iter().find(|(i, _)| i.pid == pid),
    };
    chosen.map(|(instance, stream)| Found {
        instance,
        stream,
        live: count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, BufReader};

    fn published(title: &str) -> Published {
        Published {
            lab: "dynamic-secrets-aws".into(),
            labs_dir: None,
            lab_title: "t".into(),
            pane: super::super::published::ShownPane::Step(2),
            title: title.into(),
            status: Some("done".into()),
            steps_done: 3,
            steps: 6,
            since: chrono::DateTime::from_timestamp(1_763_900_000, 0).unwrap(),
            lease: None,
            autoplay: None,
        }
    }

    #[tokio::test]
    async fn a_reader_gets_the_latest_state_then_each_change_and_the_socket_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let presence = Presence::start(dir.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(presence.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        presence.publish(&published("first"));
        presence.publish(&published("second"));
        let found = connect(dir.path(), Choice::Newest).await.unwrap();
        assert_eq!(found.instance.pid, std::process::id());
        assert_eq!(found.live, 1);
        let mut lines = BufReader::new(found.stream).lines();
        let first: Published =
            serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(first.title, "second");
        presence.publish(&published("third"));
        let next: Published =
            serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(next.title, "third");
        let path = presence.path().to_owned();
        drop(presence);
        assert!(!path.exists(), "the socket goes with the instance");
    }

    #[tokio::test]
    async fn a_socket_nobody_listens_on_is_skipped_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A dead instance's socket: bound, then its listener gone.
        let stale = dir.path().join(socket_name(4_000_000));
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        assert!(connect(dir.path(), Choice::Newest).await.is_none());
        assert!(!stale.exists());
        let presence = Presence::start(dir.path()).unwrap();
        assert!(connect(dir.path(), Choice::Pid(1)).await.is_none());
        let found = connect(dir.path(), Choice::Pid(std::process::id())).await;
        assert_eq!(found.unwrap().instance.path, presence.path());
    }
}

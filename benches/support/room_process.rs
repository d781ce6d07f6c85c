//! `vaultlab room --headless` as a process of its own, for the room's benchmarks: its
//! address, join code and the facilitator's (root) token, and its memory read from /proc,
//! so a figure is the room's alone and not the learners' beside it.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct RoomProcess {
    child: Child,
    pub url: String,
    pub code: String,
    pub root_token: String,
}

impl RoomProcess {
    /// Starts the built vaultlab as a headless room with `seats` seats on a free loopback
    /// port, its state (`--state`, as a facilitator's room always has) in `dir`.
    pub fn start(dir: &Path, seats: usize) -> RoomProcess {
        let state = dir.join("room.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vaultlab"))
            .args([
                "room",
                "--headless",
                "--listen",
                "127.0.0.1:0",
                "--propagation-delay",
                "0s",
            ])
            .args(["--seats", &seats.to_string(), "--state"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vaultlab room");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("its stdout")).lines();
        let first = lines.next().expect("the join line").expect("a line");
        // The rest (one line per request) is read and dropped, so the room never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        let words: Vec<&str> = first.split_whitespace().collect();
        assert_eq!(&words[..2], ["vaultlab", "join"], "{first}");
        let control: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("room.control.json")).expect("room.control.json"),
        )
        .expect("its JSON");
        let root_token = control["root_token"]
            .as_str()
            .expect("the root token")
            .to_owned();
        RoomProcess {
            child,
            url: words[2].to_owned(),
            code: words[3].to_owned(),
            root_token,
        }
    }

    /// The room's resident memory now and at its peak (VmRSS, VmHWM), in KiB.
    pub fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the room's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU time the room has used so far.
    pub fn cpu_time(&self) -> Duration {
        cpu_time(self.child.id())
    }
}

impl Drop for RoomProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time process `pid` has used so far (user + system), from /proc/PID/stat.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("a /proc stat");
    // The command name may hold spaces; the fields after it are plain.
    let after_name = &stat[stat.rfind(')').expect("stat's name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // In USER_HZ: 100 a second on every architecture Linux runs on today.
    Duration::from_millis(ticks * 10)
}

/// MiB, for a figure.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

//! How much a listener takes on: connections kept open at once, how long a client may take
//! to send its request's head and each piece of its body, and how big a body may be.

use std::time::Duration;

/// File descriptors kept out of the public listener's reach: the engine's own listener
/// and the IAM client that calls it hold one each per connection, plus the process's
/// files (state, logs, stdio, the runtime's).
const RESERVED_FDS: u64 = 2 * ENGINE_CONNECTIONS as u64 + 64;

/// The engine's IAM client calls the sandbox through its own listener; its calls are
/// bounded (`vault::iam_client`), so this many connections are more than it opens.
pub const ENGINE_CONNECTIONS: usize = 64;

/// The public listener never keeps more than this many connections, however many files
/// the process may open: a room is a few hundred learners.
const MOST_CONNECTIONS: usize = 4096;

/// What the open-file limit is taken to be where it cannot be read.
const ASSUMED_FD_LIMIT: u64 = 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once. When a new one arrives at the cap, the connection idle
    /// longest (between requests, or still sending its first request's head) is closed;
    /// if every one has a request in flight, the new one waits in the kernel's backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's head, and how long a kept-alive
    /// connection may sit idle before its next one.
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte arriving.
    pub body_read_timeout: Duration,
    /// The largest request body taken (Vault's JSON and AWS's forms are a few kilobytes;
    /// an IAM policy document is at most 128 KiB, percent-encoded).
    pub max_body_bytes: usize,
    /// The largest request head (request line and headers).
    pub max_header_bytes: usize,
    /// The open-file limit the cap was derived from, for the log line at the cap.
    pub fd_limit: Option<u64>,
}

impl Limits {
    /// For a process that may open `fd_limit` files.
    pub fn for_fd_limit(fd_limit: u64) -> Self {
        let room = fd_limit.saturating_sub(RESERVED_FDS);
        let max_connections = usize::try_from(room)
            .unwrap_or(usize::MAX)
            .clamp(16, MOST_CONNECTIONS);
        Self {
            max_connections,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            max_header_bytes: 64 << 10,
            fd_limit: Some(fd_limit),
        }
    }

    /// For this process, from its open-file limit (`ulimit -n`).
    pub fn for_this_process() -> Self {
        let known = open_file_limit();
        let mut limits = Self::for_fd_limit(known.unwrap_or(ASSUMED_FD_LIMIT));
        limits.fd_limit = known;
        limits
    }

    /// The engine's listener: only the engine's bounded IAM client connects to it.
    pub fn for_engine(&self) -> Self {
        Self {
            max_connections: ENGINE_CONNECTIONS,
            ..self.clone()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::for_this_process()
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

/// `Max open files            1024                 4096                 files`
fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    match soft {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_engine_and_the_process_files() {
        assert_eq!(Limits::for_fd_limit(1024).max_connections, 1024 - 192);
        assert_eq!(Limits::for_fd_limit(256).max_connections, 64);
        assert_eq!(Limits::for_fd_limit(100).max_connections, 16, "a floor");
        assert_eq!(Limits::for_fd_limit(1 << 20).max_connections, 4096);
        assert_eq!(Limits::for_fd_limit(u64::MAX).max_connections, 4096);
        assert_eq!(Limits::for_fd_limit(1024).for_engine().max_connections, 64);
    }

    #[test]
    fn reads_the_soft_open_file_limit() {
        let proc_limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
             Max cpu time              unlimited            unlimited            seconds   \n\
             Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_file_limit(proc_limits), Some(1024));
        assert_eq!(
            parse_open_file_limit("Max open files  unlimited  unlimited  files"),
            Some(u64::MAX)
        );
        assert_eq!(parse_open_file_limit("nothing here"), None);
    }
}

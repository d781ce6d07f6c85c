//! `vaultlab room status|broadcast|pace|short-leases [off]|revoke|end`: the facilitator's
//! actions against a running room, from a second terminal or a script. The room's process
//! writes `<state>.control.json` (`room.control.json` for `room.json`; mode 0600) beside
//! its state file: its address, its root token, its pid; these commands read it (`--state PATH` picks another room) and use the
//! room's control API (`vaultlab_wire::room`). A mistake is one line and a non-zero exit,
//! and nothing is written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use vaultlab_wire::private_file;
use vaultlab_wire::room::{RoomReport, RoomStatus};

use super::error::UserError;
use super::{Outcome, Stop, runtime};
use crate::lease::journal;
use crate::room_client::{ControlError, RoomControl};
use crate::tls_pin::Pin;

#[derive(Debug, Subcommand)]
pub enum RoomAction {
    /// The room's seats: steps (✓ done, · not yet), live leases, last error, idle time.
    Status {
        /// The room's status as JSON (the control API's RoomStatus).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        at: StateArg,
    },
    /// Show a one-line message in every learner's status bar ("" takes it away).
    Broadcast {
        message: String,
        #[command(flatten)]
        at: StateArg,
    },
    /// Hold the room at a step (1 to 6): later steps wait for you; `free` lifts it.
    Pace {
        #[arg(value_name = "STEP|free")]
        step: String,
        #[command(flatten)]
        at: StateArg,
    },
    /// Every seat's leases last 2m (at most 5m) from now on, to watch them expire; `off`
    /// gives every seat the engine's default lease TTLs again.
    ShortLeases {
        #[arg(value_name = "off")]
        off: Option<String>,
        #[command(flatten)]
        at: StateArg,
    },
    /// Revoke every lease of one seat.
    Revoke {
        seat: String,
        #[command(flatten)]
        at: StateArg,
    },
    /// End the room: every lease in every seat revoked, no vault-* IAM user left, joins
    /// refused; writes a report (Markdown, and JSON beside it).
    End {
        /// Where to write the Markdown report (the JSON one gets .json); by default
        /// room-report-<date>.md in the current folder.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        #[command(flatten)]
        at: StateArg,
    },
}

#[derive(Debug, Args)]
pub struct StateArg {
    /// The room's state file, as `vaultlab room --state` was given it (by default
    /// room.json in vaultlab's data directory).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

/// What the control file holds.
#[derive(Serialize, Deserialize)]
pub struct Control {
    pub addr: String,
    #[serde(with = "exposed")]
    pub root_token: SecretString,
    pub pid: u32,
    /// The room's certificate fingerprint (`sha256:…`) when it serves TLS: the commands
    /// trust that certificate alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// The token is written to the 0600 control file, the one place it must go.
mod exposed {
    use secrecy::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(token: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(token.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

fn refuse(message: impl Into<String>) -> Stop {
    UserError::Room(message.into()).into()
}

/// Makes ready the folder of a room's state that is about to start: vaultlab's own data
/// directory is made (0700); a folder the user named with --state must exist and is left
/// as it is.
pub fn prepare_state_dir(named: bool, state: &Path) -> Result<(), Stop> {
    let dir = private_file::parent_dir(state);
    if named {
        if !dir.is_dir() {
            return Err(refuse(format!(
                "the folder of --state {} does not exist: create it, or name a file in a folder that does",
                state.display()
            )));
        }
        return Ok(());
    }
    Ok(private_file::create_private_dir(&dir)?)
}

/// The room's state file: `--state`, else room.json in vaultlab's data directory.
pub fn state_path(state: Option<PathBuf>) -> Result<PathBuf, Stop> {
    match state {
        Some(path) => Ok(path),
        None => journal::data_dir(|name| std::env::var(name).ok())
            .map(|dir| dir.join("room.json"))
            .ok_or_else(|| {
                refuse("no HOME or XDG_DATA_HOME to keep the room in: pass --state PATH")
            }),
    }
}

/// `room.control.json` beside `room.json`: one per state, so rooms whose states share a
/// folder do not take each other's.
pub fn control_path(state: &Path) -> PathBuf {
    let name = state
        .file_stem()
        .map_or_else(|| "room".into(), |stem| stem.to_string_lossy().into_owned());
    private_file::parent_dir(state).join(format!("{name}.control.json"))
}

/// The control file while the room runs; removed when dropped (a clean exit).
pub struct ControlFile(PathBuf);

impl ControlFile {
    /// `addr`: where the room serves; a wildcard address is written as loopback, which
    /// every system connects to.
    pub fn write(
        state: &Path,
        addr: &str,
        root_token: &str,
        pin: Option<String>,
    ) -> Result<Self, Stop> {
        let path = control_path(state);
        let control = Control {
            addr: addr
                .replace("://0.0.0.0:", "://127.0.0.1:")
                .replace("://[::]:", "://[::1]:"),
            root_token: SecretString::from(root_token.to_owned()),
            pid: std::process::id(),
            pin,
        };
        private_file::write_private(
            &path,
            &serde_json::to_vec_pretty(&control).expect("serializes"),
        )?;
        Ok(Self(path))
    }
}

impl Drop for ControlFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 sends nothing, it only asks; EPERM means it exists under another user.
    // SAFETY: kill has no memory effects.
    let answered = unsafe { libc::kill(pid, 0) };
    answered == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The running room of `state`, or why there is none.
fn find(state: &Path) -> Result<Control, Stop> {
    let none = || refuse(format!("no room is running (state {})", state.display()));
    let bytes = std::fs::read(control_path(state)).map_err(|_| none())?;
    let control: Control = serde_json::from_slice(&bytes).map_err(|_| none())?;
    if !alive(control.pid) {
        return Err(none());
    }
    Ok(control)
}

/// The step a pace names: 1 to 6, or `free` (None).
fn parse_pace(text: &str) -> Result<Option<u8>, Stop> {
    match text.trim() {
        "free" => Ok(None),
        step => match step.parse::<u8>() {
            Ok(n @ 1..=6) => Ok(Some(n)),
            _ => Err(refuse(format!(
                "{text:?} is not a step: the pace is a step from 1 to 6, or free"
            ))),
        },
    }
}

/// Where the report goes: the Markdown file and the JSON one beside it.
fn report_paths(report: Option<PathBuf>) -> Result<(PathBuf, PathBuf), Stop> {
    let markdown = report.unwrap_or_else(|| {
        PathBuf::from(format!(
            "room-report-{}.md",
            Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    let mut json = markdown.with_extension("json");
    if json == markdown {
        json = PathBuf::from(format!("{}.json", markdown.display()));
    }
    let dir = markdown
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(refuse(format!(
            "cannot write the report to {}: there is no folder {}",
            markdown.display(),
            dir.display()
        )));
    }
    for path in [&markdown, &json] {
        if path.is_dir() {
            return Err(refuse(format!(
                "cannot write the report to {}: it is a folder",
                path.display()
            )));
        }
    }
    Ok((markdown, json))
}

/// `parent_state`: a `--state` given before the action (`vaultlab room --state P status`).
pub fn run(action: RoomAction, parent_state: Option<PathBuf>) -> Outcome {
    // Everything the user typed is checked before the room is asked anything.
    let (state, request) = match action {
        RoomAction::Status { json, at } => (at.state, Request::Status { json }),
        RoomAction::Broadcast { message, at } => {
            let message = message.trim().to_owned();
            if message.chars().any(char::is_control) {
                return Err(refuse(
                    "a broadcast is one line of plain text (no tabs or control characters)",
                ));
            }
            if message.chars().count() > 200 {
                return Err(refuse("a broadcast is at most 200 characters"));
            }
            (at.state, Request::Broadcast(message))
        }
        RoomAction::Pace { step, at } => (at.state, Request::Pace(parse_pace(&step)?)),
        RoomAction::ShortLeases { off, at } => match off.as_deref().map(str::trim) {
            None => (at.state, Request::ShortLeases { on: true }),
            Some("off") => (at.state, Request::ShortLeases { on: false }),
            Some(other) => {
                return Err(refuse(format!(
                    "{other:?} is not what short-leases takes: `vaultlab room short-leases` turns them on, `vaultlab room short-leases off` turns them off"
                )));
            }
        },
        RoomAction::Revoke { seat, at } => (at.state, Request::Revoke(seat)),
        RoomAction::End { report, at } => (at.state, Request::End(report_paths(report)?)),
    };
    let state = state_path(state.or(parent_state))?;
    let control = find(&state)?;
    let room = connect(&control)?;
    let failed = failed(&state, &control.addr);
    let sent = runtime()?.block_on(async move { request.send(&room, &failed).await });
    match sent {
        // `vaultlab room status | head`: the reader has what it wanted.
        Err(Stop::Bug(report))
            if report
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

enum Request {
    Status { json: bool },
    Broadcast(String),
    Pace(Option<u8>),
    ShortLeases { on: bool },
    Revoke(String),
    End((PathBuf, PathBuf)),
}

impl Request {
    async fn send(self, room: &RoomControl, failed: &impl Fn(ControlError) -> Stop) -> Outcome {
        let mut out = std::io::stdout().lock();
        match self {
            Request::Status { json } => {
                let status: RoomStatus = room.status().await.map_err(failed)?;
                if json {
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&status).expect("serializes")
                    )?;
                } else {
                    write!(out, "{}", super::room_table::render(&status, Utc::now()))?;
                }
            }
            Request::Broadcast(message) => {
                room.broadcast(&message).await.map_err(failed)?;
                match message.as_str() {
                    "" => writeln!(out, "broadcast cleared")?,
                    _ => writeln!(out, "broadcast to every seat: {message}")?,
                }
            }
            Request::Pace(step) => {
                room.pace(step).await.map_err(failed)?;
                match step {
                    Some(step) => writeln!(
                        out,
                        "the room is held at step {step}: later steps wait for `vaultlab room pace free`"
                    )?,
                    None => writeln!(out, "the room is free: every step is open")?,
                }
            }
            Request::ShortLeases { on: true } => {
                let seats = room.short_leases().await.map_err(failed)?;
                writeln!(
                    out,
                    "config/lease 2m (max 5m) in every seat ({seats} now, and those that join later), as each mounts aws; leases issued from now on expire together; `vaultlab room short-leases off` undoes it"
                )?;
            }
            Request::ShortLeases { on: false } => {
                let seats = room.short_leases_off().await.map_err(failed)?;
                writeln!(
                    out,
                    "short leases off: the engine's default lease TTLs in every seat ({seats} now, and those that join later); leases already issued keep theirs"
                )?;
            }
            Request::Revoke(seat) => {
                let revoked = room.revoke_seat(&seat).await.map_err(failed)?;
                writeln!(out, "{revoked} leases of seat {seat} revoked")?;
            }
            Request::End((markdown, json_path)) => {
                let report: RoomReport = room.end().await.map_err(failed)?;
                // The room has ended whatever happens now: a report that cannot be
                // written goes to stdout rather than being lost.
                let json = serde_json::to_vec_pretty(&report).expect("serializes");
                let written = private_file::write_private(&json_path, &json).and_then(|()| {
                    private_file::write_private(
                        &markdown,
                        super::room_table::report_markdown(&report).as_bytes(),
                    )
                });
                if let Err(error) = written {
                    out.write_all(&json)?;
                    writeln!(out)?;
                    return Err(refuse(format!(
                        "the room has ended, but its report could not be written to {} ({error}): it is printed above as JSON",
                        markdown.display()
                    )));
                }
                writeln!(
                    out,
                    "the room has ended: {} leases revoked, {} vault-* IAM users left; report in {} and {}",
                    report.leases_revoked,
                    report.vault_users_left,
                    markdown.display(),
                    json_path.display()
                )?;
                if report.vault_users_left > 0 {
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The running room, through the one room client (`room_client`), with the root token
/// and, for a room served with --tls, its certificate's fingerprint from the control file.
fn connect(control: &Control) -> Result<RoomControl, Stop> {
    let pin = control
        .pin
        .as_deref()
        .map(Pin::parse)
        .transpose()
        .map_err(|why| {
            refuse(format!(
                "the room's control file has a bad fingerprint: {why}"
            ))
        })?;
    RoomControl::new(
        &control.addr,
        SecretString::from(control.root_token.expose_secret().to_owned()),
        pin.as_ref(),
    )
    .map_err(|e| refuse(e.to_string()))
}

/// A failed call in words for the command line: a room that does not answer is no room.
fn failed(state: &Path, addr: &str) -> impl Fn(ControlError) -> Stop {
    move |error| {
        refuse(match error {
            ControlError::Unreachable { connect: true, .. } => {
                format!("no room is running (state {})", state.display())
            }
            ControlError::Refused { status: 403, words } => format!(
                "the room at {addr} refused the facilitator's token ({}): is {} from another room?",
                words.as_deref().unwrap_or("no reason given"),
                control_path(state).display()
            ),
            ControlError::Refused {
                words: Some(words), ..
            } => words,
            other => other.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pace_is_a_step_or_free() {
        assert_eq!(parse_pace("3").ok(), Some(Some(3)));
        assert_eq!(parse_pace("free").ok(), Some(None));
        for bad in ["0", "7", "three", "", "-1"] {
            assert!(parse_pace(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_json_report_goes_beside_the_markdown_one() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("day1.md");
        let (m, j) = report_paths(Some(md.clone())).unwrap();
        assert_eq!((m, j), (md, dir.path().join("day1.json")));
        let bare = dir.path().join("day1");
        assert_eq!(
            report_paths(Some(bare)).unwrap().1,
            dir.path().join("day1.json")
        );
        let json = dir.path().join("r.json");
        assert_eq!(
            report_paths(Some(json)).unwrap().1,
            dir.path().join("r.json.json")
        );
        assert!(report_paths(Some(dir.path().join("nowhere/r.md"))).is_err());
    }
}

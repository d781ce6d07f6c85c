//! `vaultlab room --headless`: the room server (the sandbox with seats) without its
//! dashboard: the join line first, then one line per event (every Vault and AWS request,
//! the engine's own AWS calls marked as such), until Ctrl-C or SIGTERM.
//! Without --headless, the same room with the facilitator's dashboard (`room_dashboard`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::RoomArgs;
use super::sandbox::stop_signal;
use super::{Outcome, init_stderr_logging, runtime};
use vaultlab_sandbox::events::{Detail, Event};
use vaultlab_sandbox::{RoomOptions, Sandbox, SandboxOptions};

pub fn run(args: RoomArgs) -> Outcome {
    if let Some(action) = args.action {
        return super::room_control::run(action, args.state);
    }
    let state = state_path(&args)?;
    if !args.headless {
        return super::room_dashboard::run(args, state);
    }
    super::room_control::prepare_state_dir(args.state.is_some(), &state)?;
    init_stderr_logging("warn,vaultlab=info");
    runtime()?.block_on(async {
        let stop = stop_signal()?;
        let sandbox = Sandbox::start(sandbox_options(&args, &state)?).await?;
        let room = sandbox.room().expect("started as a room");
        let config = room.config();
        let tls = sandbox.tls().map(super::room_tls::shown);
        // For `vaultlab room status` and the others, from a second terminal.
        let _control = super::room_control::ControlFile::write(
            &state,
            sandbox.vault_addr(),
            sandbox.root_token().expose(),
            tls.as_ref().map(|t| t.fingerprint.clone()),
        )?;
        let mut live = sandbox.events().subscribe();
        {
            let mut out = std::io::stdout().lock();
            // Served on every interface: learners join by this machine's LAN address, as
            // the dashboard shows it.
            let lan = super::room_dashboard::lan_address();
            let url = super::room_dashboard::join_url(sandbox.vault_addr(), args.listen, lan);
            writeln!(
                out,
                "{}",
                join_line(&url, config.join_code.expose(), tls.as_ref())
            )?;
            if args.listen.ip().is_unspecified() {
                if url == sandbox.vault_addr() {
                    writeln!(
                        out,
                        "# from other machines, use this machine's LAN address in place of {url}"
                    )?;
                } else {
                    writeln!(out, "# on this machine, {} works too", sandbox.vault_addr())?;
                }
            }
            if let Some(warning) = sandbox
                .tls()
                .and_then(|identity| super::room_tls::name_warning(identity, &url))
            {
                writeln!(out, "# {warning}")?;
            }
            if sandbox.tls().is_none()
                && let Some(warning) = super::room_tls::kept_but_unused_warning(&state)
            {
                writeln!(out, "# {warning}")?;
            }
            let wire = match (&tls, sandbox.tls()) {
                (Some(shown), Some(identity)) => format!(
                    "TLS with the certificate {} ({}, {})",
                    shown.fingerprint,
                    identity.certificate_path().display(),
                    if identity.made() { "made now" } else { "kept" }
                ),
                _ => "tokens and keys cross the network in clear (no --tls)".to_owned(),
            };
            writeln!(
                out,
                "# room {:?}, {} seats, {} taken; state in {}; {wire}",
                config.title,
                config.max_seats,
                room.seats().len(),
                state.display()
            )?;
            out.flush()?;
        }
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                received = live.recv() => match received {
                    Ok(event) => {
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{}", event_line(&event))?;
                        out.flush()?;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        println!("# {n} events were too many to print and were skipped");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        eprintln!("Stopping the room: requests in flight finish, then the state is saved…");
        sandbox.shutdown().await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Where the room keeps its state: --state, else room.json in vaultlab's data directory.
pub(super) fn state_path(args: &RoomArgs) -> Result<PathBuf, super::Stop> {
    super::room_control::state_path(args.state.clone())
}

/// The join line learners type: with `--pin` when the room is served over TLS.
pub fn join_line(url: &str, code: &str, tls: Option<&super::room_tls::Shown>) -> String {
    match tls {
        Some(tls) => format!("vaultlab join {url} {code} --pin {}", tls.pin),
        None => format!("vaultlab join {url} {code}"),
    }
}

/// The sandbox a room is: the same with the dashboard or without. With --tls, its
/// certificate (kept beside the state, else made now).
pub(super) fn sandbox_options(
    args: &RoomArgs,
    state: &Path,
) -> Result<SandboxOptions, super::Stop> {
    let tls = match args.tls {
        true => Some(super::room_tls::identity(state, args.listen)?),
        false => None,
    };
    Ok(SandboxOptions {
        tls,
        listen: args.listen,
        propagation_delay: args.propagation_delay,
        state_path: Some(state.to_owned()),
        room: Some(RoomOptions {
            title: args.title.clone(),
            max_seats: args.seats,
        }),
        ..SandboxOptions::default()
    })
}

/// One event as a line: time, namespace, what, status (never a secret: events carry none).
pub fn event_line(event: &Event) -> String {
    let time = event.time.format("%H:%M:%S");
    let ns = match event.detail.namespace() {
        "" => "-".to_owned(),
        ns => ns.trim_end_matches('/').to_owned(),
    };
    match &event.detail {
        Detail::Vault(v) => {
            let error = v
                .error
                .as_deref()
                .map(|e| format!("  {}", one_line(e)))
                .unwrap_or_default();
            format!(
                "{time} {ns} vault {} /v1/{} {}{error}",
                v.method, v.path, v.status
            )
        }
        Detail::Aws(a) => {
            let who = match a.purpose {
                Some(purpose) => format!(" (engine: {})", purpose.as_str()),
                None => String::new(),
            };
            let code = a
                .error_code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            let user = a
                .user
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            format!(
                "{time} {ns} aws {}:{}{user} {}{code}{who}",
                a.service, a.action, a.status
            )
        }
        Detail::Lease(l) => format!("{time} {ns} lease {} {}", l.change.as_str(), l.lease_id),
        Detail::Room(r) => {
            let seat = r
                .seat
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            let detail = r
                .detail
                .as_deref()
                .map(|d| format!(" {}", one_line(d)))
                .unwrap_or_default();
            // The room's own events name their seat, if any, after what happened: the
            // namespace column would only repeat it (or read `room room …`).
            format!("{time} room {}{seat}{detail}", r.change.as_str())
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use vaultlab_sandbox::events::{Client, RoomChange, RoomChangeKind, VaultCall};

    fn event(detail: Detail) -> Event {
        Event {
            seq: 1,
            time: DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap(),
            detail,
        }
    }

    fn room(namespace: &str, change: RoomChangeKind, seat: Option<&str>, detail: &str) -> Event {
        event(Detail::Room(RoomChange {
            namespace: namespace.into(),
            change,
            seat: seat.map(Into::into),
            detail: (!detail.is_empty()).then(|| detail.into()),
        }))
    }

    #[test]
    fn the_rooms_own_events_say_room_once_and_name_their_seat() {
        assert_eq!(
            event_line(&room(
                "room/",
                RoomChangeKind::Broadcast,
                None,
                "break until\n11:00"
            )),
            "08:00:00 room broadcast break until 11:00"
        );
        assert_eq!(
            event_line(&room("room/ada/", RoomChangeKind::Joined, Some("ada"), "")),
            "08:00:00 room joined ada"
        );
    }

    #[test]
    fn a_seats_request_is_told_with_its_namespace() {
        let call = VaultCall {
            namespace: "room/ada/".into(),
            method: "POST".into(),
            path: "sys/mounts/aws".into(),
            status: 204,
            duration_ms: 1.0,
            client: Client::Token,
            error: None,
        };
        assert_eq!(
            event_line(&event(Detail::Vault(call))),
            "08:00:00 room/ada vault POST /v1/sys/mounts/aws 204"
        );
    }
}

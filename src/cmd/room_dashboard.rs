//! `vaultlab room` (without --headless): the room server, as --headless serves it, with
//! the facilitator's dashboard on the terminal. The dashboard reads and drives the room
//! through its control endpoints with the room's root token, as it would a remote room.
//! On quit the room stops and its state is kept (--state); the terminal is given back on
//! quit, error, panic and Ctrl-Z.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::eyre::WrapErr;
use secrecy::SecretString;

use super::args::RoomArgs;
use super::error::UserError;
use super::{Outcome, init_file_logging, runtime};
use crate::dashboard::{Dashboard, Start};
use crate::room_client::RoomControl;
use crate::runtime::terminal;
use crate::tls_pin::Pin;
use crate::ui::Theme;
use vaultlab_sandbox::Sandbox;

pub fn run(args: RoomArgs, state: PathBuf) -> Outcome {
    terminal::check_usable(
        std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    )
    .map_err(|_| {
        UserError::Room(
            "the dashboard is a full-screen program and needs a terminal: run `vaultlab room --headless` to serve the room without it".into(),
        )
    })?;
    super::room_control::prepare_state_dir(args.state.is_some(), &state)?;
    init_file_logging();
    runtime()?.block_on(async {
        let sandbox = Sandbox::start(super::room::sandbox_options(&args, &state)?).await?;
        let tls = sandbox.tls().map(super::room_tls::shown);
        // For `vaultlab room status` and the others, from a second terminal.
        let _control = match super::room_control::ControlFile::write(
            &state,
            sandbox.vault_addr(),
            sandbox.root_token().expose(),
            tls.as_ref().map(|t| t.fingerprint.clone()),
        ) {
            Ok(control) => control,
            Err(stop) => {
                sandbox.shutdown().await?;
                return Err(stop);
            }
        };
        let code = sandbox
            .room()
            .expect("started as a room")
            .config()
            .join_code
            .expose()
            .to_owned();
        let pin = tls.as_ref().and_then(|t| Pin::parse(&t.fingerprint).ok());
        let control = RoomControl::new(
            &local_addr(sandbox.vault_addr(), args.listen),
            SecretString::from(sandbox.root_token().expose().to_owned()),
            pin.as_ref(),
        )
        .map_err(|e| UserError::Room(e.to_string()))?;
        let now = chrono::Utc::now();
        let url = join_url(sandbox.vault_addr(), args.listen, lan_address());
        let start = Start {
            code,
            tls: tls.map(|t| crate::dashboard::Tls {
                pin: t.pin,
                fingerprint: t.fingerprint,
                not_for_this_address: sandbox.tls().is_some_and(|identity| {
                    super::room_tls::name_warning(identity, &url).is_some()
                }),
            }),
            kept_certificate: sandbox.tls().is_none()
                && super::room_tls::kept_but_unused_warning(&state).is_some(),
            url,
            report: report_path(&state, now),
            now,
        };
        let (dashboard, initial) = Dashboard::new(start);
        let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
        let mut tui = match terminal::enter() {
            Ok(tui) => tui,
            Err(error) => {
                sandbox.shutdown().await?;
                return Err(UserError::from(terminal::TerminalProblem::TakeOver(error)).into());
            }
        };
        let result = crate::dashboard::run::run(&mut tui, dashboard, initial, control, theme).await;
        let restored = terminal::restore();
        let stopped = sandbox.shutdown().await;
        let dashboard = result.wrap_err("the terminal failed")?;
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "vaultlab: the room stopped; its seats, accounts and leases are kept in {}",
            state.display()
        );
        if let Some(report) = &dashboard.report_written {
            let _ = writeln!(
                err,
                "vaultlab: the room's report is in {}",
                report.display()
            );
        }
        if let Err(error) = restored {
            let _ = writeln!(err, "vaultlab: cannot restore the terminal: {error}");
        }
        stopped?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `room-report-20261130-140215.md` beside the room's state.
fn report_path(state: &Path, now: chrono::DateTime<chrono::Utc>) -> PathBuf {
    let name = format!("room-report-{}.md", now.format("%Y%m%d-%H%M%S"));
    match state.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// The address learners type: the served one, or, when every interface is served
/// (`0.0.0.0`), this machine's address on the network it reaches others by.
pub(super) fn join_url(served: &str, listen: SocketAddr, lan: Option<IpAddr>) -> String {
    match lan {
        Some(ip) if listen.ip().is_unspecified() => {
            format!(
                "{}://{}",
                scheme(served),
                SocketAddr::new(ip, listen.port())
            )
        }
        _ => served.to_owned(),
    }
}

/// `https` for a room served with --tls, else `http`.
fn scheme(served: &str) -> &'static str {
    if served.starts_with("https://") {
        "https"
    } else {
        "http"
    }
}

/// Where the dashboard itself reaches the room: loopback when every interface is served.
fn local_addr(served: &str, listen: SocketAddr) -> String {
    if listen.ip().is_unspecified() {
        format!("{}://127.0.0.1:{}", scheme(served), listen.port())
    } else {
        served.to_owned()
    }
}

/// The address of the interface the default route leaves by: a UDP socket "connected" to
/// an address outside picks it, and sends nothing.
pub(super) fn lan_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_served_on_every_interface_is_joined_by_its_lan_address() {
        let lan = Some(IpAddr::from([10, 1, 2, 3]));
        let any: SocketAddr = "0.0.0.0:8200".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:8200".parse().unwrap();
        assert_eq!(
            join_url("http://0.0.0.0:8200", any, lan),
            "http://10.1.2.3:8200"
        );
        assert_eq!(
            join_url("http://0.0.0.0:8200", any, None),
            "http://0.0.0.0:8200"
        );
        assert_eq!(
            join_url("http://127.0.0.1:8200", loopback, lan),
            "http://127.0.0.1:8200"
        );
        assert_eq!(
            local_addr("http://0.0.0.0:8200", any),
            "http://127.0.0.1:8200"
        );
        assert_eq!(
            join_url("https://127.0.0.1:8200", any, lan),
            "https://10.1.2.3:8200"
        );
    }

    #[test]
    fn the_report_goes_beside_the_state() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(
            report_path(Path::new("/d/room.json"), now),
            Path::new("/d/room-report-20270115-080000.md")
        );
    }
}

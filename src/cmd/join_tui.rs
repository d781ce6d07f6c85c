//! `vaultlab join URL CODE [--name NAME]`: takes a seat and opens the lab's TUI in live
//! mode in it: Vault at the room's address in the seat's namespace with the seat's token,
//! AWS at the room's endpoint with the seat's account keys as the root keys step's
//! prefill. The learner's own VAULT_* and AWS_* variables are set aside: the seat's are
//! the ones that work in the room.
//!
//! What the facilitator says (a broadcast, the pace, the end) comes from the room's long
//! poll (`GET /vaultlab/room/seat`) on a task of its own, as messages to the app.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::WrapErr;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc::UnboundedSender;

use super::args::JoinArgs;
use super::error::UserError;
use super::join::{RoomAddr, TakenSeat, room_addr, seat_name, take_seat};
use super::{Outcome, init_file_logging, open_session_with, runtime};
use crate::app::Msg;
use crate::app::room::RoomSeat;
use crate::runtime::effects::EffectRunner;
use crate::runtime::terminal;
use crate::session::SessionOptions;
use crate::ui::Theme;
use crate::vault::config::VaultFlags;
use vaultlab_wire::room::SeatNotice;

pub fn run(args: JoinArgs) -> Outcome {
    // Before a seat is taken: a screen nobody can see is no run.
    terminal::check_usable(
        std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    )
    .map_err(|_| {
        UserError::Room(
            "the lab is a full-screen program and needs a terminal: run `vaultlab join URL CODE --env` for the real CLIs instead".into(),
        )
    })?;
    let name = seat_name(args.name.clone())?;
    let room = room_addr(&args.url, args.pin.as_deref(), &name)?;
    init_file_logging();
    runtime()?.block_on(async {
        let seat = take_seat(&room, &args.code, &name).await?;
        let mut session = open_seat_session(&room, &seat).await?;
        if let Some(prefill) = session.prefill.as_mut() {
            prefill.source = format!("seat {}'s AWS account", seat.name);
        }
        let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
        let (outcomes_tx, outcomes_rx) = tokio::sync::mpsc::unbounded_channel();
        if let Some(problem) = &session.journal_problem {
            eprintln!("vaultlab: {problem}");
        }
        let runner = EffectRunner::new(
            session.vault.clone(),
            session.engine.clone(),
            outcomes_tx.clone(),
        )
        .with_journal(session.journal.clone());
        let inputs = crate::setup::StartInputs {
            reconcile_every: Some(crate::app::reconcile::EVERY),
            room: Some(RoomSeat::new(seat.title.clone(), seat.name.clone())),
            ..session.start_inputs(chrono::Utc::now())
        };
        let (app, initial) = crate::app::init(inputs);
        let notices = tokio::spawn(follow_notices(
            room.clone(),
            SecretString::from(seat.vault_token.expose_secret().to_owned()),
            outcomes_tx,
        ));
        let mut tui = match terminal::enter() {
            Ok(tui) => tui,
            Err(error) => {
                notices.abort();
                session.close().await?;
                return Err(UserError::from(terminal::TerminalProblem::TakeOver(error)).into());
            }
        };
        let result = crate::runtime::run(&mut tui, app, theme, runner, outcomes_rx, initial).await;
        notices.abort();
        let restored = terminal::restore();
        let closed = session.close().await;
        let app = result.wrap_err("the terminal failed")?;
        let mut err = std::io::stderr();
        if let Some(note) = app.exit_note() {
            let _ = writeln!(err, "vaultlab: {note}");
        }
        let _ = writeln!(
            err,
            "vaultlab: the same command takes seat {} back (its secret is kept in {})",
            seat.name,
            seat.kept_path.display()
        );
        if let Err(error) = restored {
            let _ = writeln!(err, "vaultlab: cannot restore the terminal: {error}");
        }
        closed?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The lab's session in the seat: live, against the room (its pinned certificate trusted
/// alone, for Vault and AWS), in the seat's namespace, with the seat's environment.
pub(super) async fn open_seat_session(
    room: &RoomAddr,
    seat: &TakenSeat,
) -> Result<crate::session::Session, super::Stop> {
    let options = SessionOptions {
        force_live: true,
        vault_flags: VaultFlags {
            address: Some(room.url.clone()),
            namespace: Some(seat.namespace.trim_end_matches('/').to_owned()),
            pin: room.pin.clone(),
            in_room: true,
            ..VaultFlags::default()
        },
        in_room: true,
        ..SessionOptions::default()
    };
    let env = seat_env(&room.url, seat);
    open_session_with(&options, |name| env(name)).await
}

/// The environment the lab runs with in the seat: the seat's Vault and AWS settings in
/// place of the learner's own VAULT_* and AWS_* (which would point elsewhere), the rest
/// (HOME, XDG_*) as it is.
pub(super) fn seat_env(url: &str, seat: &TakenSeat) -> impl Fn(&str) -> Option<String> + use<> {
    // Held as secrets until asked for: the token and the secret key are among them.
    let secret = |value: &str| SecretString::from(value.to_owned());
    let values = [
        ("VAULT_ADDR", secret(url)),
        ("VAULT_TOKEN", seat.vault_token.clone()),
        (
            "VAULT_NAMESPACE",
            secret(seat.namespace.trim_end_matches('/')),
        ),
        ("AWS_ENDPOINT_URL", secret(url)),
        ("AWS_ACCESS_KEY_ID", secret(&seat.aws_access_key_id)),
        ("AWS_SECRET_ACCESS_KEY", seat.aws_secret_access_key.clone()),
        ("AWS_REGION", secret(&seat.region)),
        ("AWS_DEFAULT_REGION", secret(&seat.region)),
    ];
    // No AWS_CA_BUNDLE: the lab's own AWS calls trust the room's pin (`VaultFlags::pin`),
    // as its Vault calls do, not the certificate's names.
    move |name: &str| {
        if let Some((_, value)) = values.iter().find(|(key, _)| *key == name) {
            return Some(value.expose_secret().to_owned());
        }
        if name.starts_with("VAULT_") || name.starts_with("AWS_") {
            return None;
        }
        std::env::var(name).ok()
    }
}

/// Follows the room's notices for this seat until the app ends: each newer one is sent
/// to the app. A room that does not answer (restarting, the network down) is asked again,
/// a little later each time, up to every 5 s: the seat reconnects by itself.
async fn follow_notices(room: RoomAddr, token: SecretString, app: UnboundedSender<Msg>) {
    // A proxy setting that is not a URL was refused when the seat was taken.
    let Ok(Ok(http)) = room
        .http()
        .map(|http| http.timeout(Duration::from_secs(20)).build())
    else {
        return;
    };
    let url = room.url;
    let mut since = 0u64;
    let mut pause = Duration::from_millis(250);
    loop {
        let answer = http
            .get(format!("{url}/vaultlab/room/seat?since={since}&wait=10s"))
            .header("X-Vault-Token", token.expose_secret())
            .send()
            .await;
        let notice = match answer {
            Ok(response) if response.status().is_success() => {
                response.json::<SeatNotice>().await.ok()
            }
            Ok(response) => {
                tracing::warn!("the room's notices answered {}", response.status());
                None
            }
            Err(error) => {
                tracing::warn!("the room's notices did not answer: {error}");
                None
            }
        };
        match notice {
            Some(notice) => {
                pause = Duration::from_millis(250);
                let ended = notice.ended;
                if notice.version > since || since == 0 {
                    since = notice.version;
                    if app.send(Msg::Room(notice)).is_err() {
                        return;
                    }
                }
                if ended {
                    return;
                }
            }
            None => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
        if app.is_closed() {
            return;
        }
    }
}

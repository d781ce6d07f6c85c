//! `vaultlab join URL CODE --name NAME --walk`: takes a seat (as --env does) and runs the
//! lab's steps headless in it, as `vaultlab walk` does: Vault at the room's address in the
//! seat's namespace with the seat's token, AWS at the room's endpoint with the seat's
//! account keys as the root keys. The learner's own VAULT_* and AWS_* are set aside.
//!
//! Before each step the room is asked for the seat's notice: a step after the
//! facilitator's pace (or any step once the room has ended) is not run; the walk stops
//! there with the facilitator's line and exit code 3 (walk::HELD_EXIT).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::args::JoinArgs;
use super::error::UserError;
use super::join::{room_addr, seat_name, take_seat};
use super::join_tui::open_seat_session;
use super::walk::{HELD_EXIT, WalkResult, walk_gated};
use super::{Outcome, init_stderr_logging, runtime};
use vaultlab_wire::room::SeatNotice;

pub fn run(args: JoinArgs) -> Outcome {
    let name = seat_name(args.name.clone())?;
    let room = room_addr(&args.url, args.pin.as_deref(), &name)?;
    let url = room.url.clone();
    init_stderr_logging("warn");
    runtime()?.block_on(async {
        let seat = take_seat(&room, &args.code, &name).await?;
        let session = open_seat_session(&room, &seat).await?;
        let http = room
            .http()?
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| UserError::Room(format!("cannot make an HTTP client: {e}")))?;
        let token = SecretString::from(seat.vault_token.expose_secret().to_owned());
        let notice_url = format!("{url}/vaultlab/room/seat");
        let gate = move |step: usize| -> futures::future::BoxFuture<'static, Option<String>> {
            let (http, url, token) = (http.clone(), notice_url.clone(), token.clone());
            Box::pin(async move { held(&http, &url, &token, step).await })
        };
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "vaultlab join --walk · seat {} in room {:?}{}",
            seat.name,
            seat.title,
            if seat.rejoined { " (rejoined)" } else { "" }
        )?;
        let result = walk_gated(&session, false, false, Some(&gate), &mut out).await?;
        out.flush()?;
        drop(out);
        session.close().await?;
        match result {
            WalkResult::Completed => Ok(ExitCode::SUCCESS),
            WalkResult::Failed { step, what } => {
                eprintln!("vaultlab join --walk: step {step} failed: {what}");
                Ok(ExitCode::FAILURE)
            }
            WalkResult::Held { step, line } => {
                eprintln!("vaultlab join --walk: stopped before step {step}: {line}");
                Ok(ExitCode::from(HELD_EXIT))
            }
        }
    })
}

/// Whether the room holds `step` for this seat: the facilitator's line if so. A room that
/// does not answer holds nothing (the step itself will say what is wrong).
async fn held(
    http: &reqwest::Client,
    url: &str,
    token: &SecretString,
    step: usize,
) -> Option<String> {
    let response = http
        .get(url)
        .header("X-Vault-Token", token.expose_secret())
        .send()
        .await
        .ok()?;
    let notice: SeatNotice = response.error_for_status().ok()?.json().await.ok()?;
    hold_line(&notice, step)
}

/// The line for a held step, from the seat's notice.
fn hold_line(notice: &SeatNotice, step: usize) -> Option<String> {
    if notice.ended {
        return Some("the room has ended".to_owned());
    }
    let pace = usize::from(notice.pace?);
    (step > pace)
        .then(|| format!("the facilitator will open step {step} (the room is held at step {pace})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(pace: Option<u8>, ended: bool) -> SeatNotice {
        SeatNotice {
            version: 1,
            title: "t".into(),
            seat: "ada".into(),
            broadcast: None,
            pace,
            ended,
            steps: Vec::new(),
        }
    }

    #[test]
    fn steps_after_the_pace_are_held_and_an_ended_room_holds_all() {
        assert_eq!(hold_line(&notice(None, false), 6), None);
        assert_eq!(hold_line(&notice(Some(3), false), 3), None);
        assert_eq!(
            hold_line(&notice(Some(3), false), 4).as_deref(),
            Some("the facilitator will open step 4 (the room is held at step 3)")
        );
        assert_eq!(
            hold_line(&notice(None, true), 1).as_deref(),
            Some("the room has ended")
        );
    }
}

//! `vaultlab replay FILE`: a recording played in this terminal, so a demo survives a dead
//! network. Space pauses and resumes, n or → shows the next frame, q (or Esc, Ctrl-C)
//! quits; at the end it waits for q. The terminal is given back as it was, on a panic, on
//! SIGTERM or SIGHUP too; Ctrl-Z (or SIGTSTP) gives it back and stops, `fg` takes it again
//! and shows the screen as it was.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;

use super::args::ReplayArgs;
use super::{Outcome, UserError, runtime};
use crate::record::cast;
use crate::record::player::{Control, Next, Player};
use crate::runtime::terminal;

pub fn run(args: ReplayArgs) -> Outcome {
    let name = args.file.display().to_string();
    let text = std::fs::read(&args.file).map_err(|source| UserError::ReadRecording {
        path: args.file.clone(),
        source,
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        UserError::Cast(cast::CastError::NotAHeader {
            file: name.clone(),
            why: format!("not UTF-8 text: {e}"),
        })
    })?;
    let recording = cast::parse(&text, &name).map_err(UserError::from)?;
    terminal::check_usable(
        std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    )
    .map_err(UserError::from)?;
    let (width, height) = (recording.header.width, recording.header.height);
    let small = crossterm::terminal::size()
        .ok()
        .filter(|(w, h)| *w < width || *h < height);
    let mut player = Player::new(recording, args.speed, args.idle_limit);
    let played = runtime()?.block_on(async {
        let _screen = Taken::new()?;
        play(&mut player).await
    });
    played?;
    if let Some((w, h)) = small {
        eprintln!(
            "vaultlab replay: the recording is {width}×{height}; this terminal is {w}×{h}, so some of it may have wrapped"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What can happen while a frame waits its turn.
enum Woken {
    Key(Control),
    /// The frame's time came.
    Due,
    /// Ctrl-Z or SIGTSTP.
    Suspend,
    /// SIGCONT after a stop this process did not make itself (SIGSTOP).
    Continued,
    /// SIGTERM, SIGHUP or SIGINT, or the terminal gone.
    Stop,
}

/// Plays until the end (then waits for q) or until q.
async fn play(player: &mut Player) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    let mut keys = EventStream::new();
    let mut stop_signals = crate::runtime::StopSignals::new()?;
    let mut job_signals = crate::runtime::suspend::JobSignals::new()?;
    loop {
        let (wait, shown) = match player.next() {
            Next::After(wait, text) => (Some(wait), Some(text.to_owned())),
            Next::Paused | Next::End => (None, None),
        };
        let due = async {
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        let woken = tokio::select! {
            woken = next_key(&mut keys) => woken,
            () = due => Woken::Due,
            _ = stop_signals.recv() => Woken::Stop,
            job = job_signals.recv() => match job {
                crate::runtime::suspend::JobSignal::Stop => Woken::Suspend,
                crate::runtime::suspend::JobSignal::Continued => Woken::Continued,
            },
        };
        let text = match woken {
            Woken::Key(Control::Quit) | Woken::Stop => return Ok(()),
            Woken::Key(control) => player.control(control).map(str::to_owned),
            Woken::Due => {
                if shown.is_some() {
                    player.shown();
                }
                shown
            }
            Woken::Suspend => {
                Taken::give_back();
                crate::runtime::suspend::stop_process()?;
                take_again(player)?;
                None
            }
            Woken::Continued => {
                take_again(player)?;
                None
            }
        };
        if let Some(text) = text {
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
}

/// The terminal taken again after a stop, and the screen as it was: every frame shown so
/// far written again at once (a recording's frames only draw what changed).
fn take_again(player: &Player) -> std::io::Result<()> {
    Taken::take()?;
    let mut out = std::io::stdout();
    for text in player.shown_so_far() {
        out.write_all(text.as_bytes())?;
    }
    out.flush()
}

/// The next key that means something to the player.
async fn next_key(keys: &mut EventStream) -> Woken {
    loop {
        match keys.next().await {
            Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                let control = match key.code {
                    KeyCode::Char('z') if ctrl => return Woken::Suspend,
                    KeyCode::Char('c') if ctrl => Some(Control::Quit),
                    KeyCode::Char('q') | KeyCode::Esc => Some(Control::Quit),
                    KeyCode::Char(' ') => Some(Control::Pause),
                    KeyCode::Char('n') | KeyCode::Right => Some(Control::Step),
                    _ => None,
                };
                if let Some(control) = control {
                    return Woken::Key(control);
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Woken::Stop,
        }
    }
}

/// The terminal taken for playing: raw (keys come one by one), the alternate screen, no
/// cursor; given back when dropped, on a panic too (the drop runs as it unwinds).
struct Taken;

impl Taken {
    fn new() -> std::io::Result<Taken> {
        let taken = Taken;
        Taken::take()?;
        Ok(taken)
    }

    fn take() -> std::io::Result<()> {
        // After a stop it did not see (SIGSTOP), crossterm believes raw mode is still on
        // while the shell has set line mode: leave it first, so raw mode is set for real.
        let _ = disable_raw_mode();
        enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            Clear(ClearType::All),
            cursor::MoveTo(0, 0),
            cursor::Hide
        )
    }

    fn give_back() {
        let _ = execute!(
            std::io::stdout(),
            crossterm::style::ResetColor,
            cursor::Show,
            LeaveAlternateScreen
        );
        let _ = disable_raw_mode();
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        Taken::give_back();
    }
}

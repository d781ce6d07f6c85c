//! `vaultlab replay FILE`: a recording played in this terminal, so a demo survives a dead
//! network. Space pauses and resumes, n or → shows the next frame, q (or Esc, Ctrl-C)
//! quits; at the end it waits for q. The terminal is given back as it was, on a panic too.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

use super::args::ReplayArgs;
use super::{Outcome, UserError};
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
    let played = {
        let _screen = Taken::new()?;
        play(&mut player)
    };
    played?;
    if let Some((w, h)) = small {
        eprintln!(
            "vaultlab replay: the recording is {width}×{height}; this terminal is {w}×{h}, so some of it may have wrapped"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Plays until the end (then waits for q) or until q.
fn play(player: &mut Player) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    loop {
        let (wait, shown) = match player.next() {
            Next::After(wait, text) => (Some(wait), Some(text.to_owned())),
            Next::Paused | Next::End => (None, None),
        };
        let deadline = wait.map(|wait| Instant::now() + wait);
        match key_before(deadline)? {
            Some(Control::Quit) => return Ok(()),
            Some(control) => {
                if let Some(text) = player.control(control) {
                    out.write_all(text.as_bytes())?;
                    out.flush()?;
                }
            }
            None => {
                if let Some(text) = shown {
                    out.write_all(text.as_bytes())?;
                    out.flush()?;
                    player.shown();
                }
            }
        }
    }
}

/// The first key that means something before `deadline` (forever without one); `None`
/// when the deadline passed.
fn key_before(deadline: Option<Instant>) -> std::io::Result<Option<Control>> {
    loop {
        let left = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) => left,
                None => return Ok(None),
            },
            None => Duration::from_secs(3600),
        };
        if !event::poll(left)? {
            if deadline.is_some() {
                return Ok(None);
            }
            continue;
        }
        if let Event::Key(key) = event::read()?
            && key.kind != KeyEventKind::Release
        {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            let control = match key.code {
                KeyCode::Char('c') if ctrl => Some(Control::Quit),
                KeyCode::Char('q') | KeyCode::Esc => Some(Control::Quit),
                KeyCode::Char(' ') => Some(Control::Pause),
                KeyCode::Char('n') | KeyCode::Right => Some(Control::Step),
                _ => None,
            };
            if control.is_some() {
                return Ok(control);
            }
        }
    }
}

/// The terminal taken for playing: raw (keys come one by one), the alternate screen, no
/// cursor; given back when dropped, on a panic too (the drop runs as it unwinds).
struct Taken;

impl Taken {
    fn new() -> std::io::Result<Taken> {
        enable_raw_mode()?;
        let taken = Taken;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            Clear(ClearType::All),
            cursor::MoveTo(0, 0),
            cursor::Hide
        )?;
        Ok(taken)
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        let _ = execute!(
            std::io::stdout(),
            crossterm::style::ResetColor,
            cursor::Show,
            LeaveAlternateScreen
        );
        let _ = disable_raw_mode();
    }
}

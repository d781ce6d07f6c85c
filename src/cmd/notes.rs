//! `vaultlab notes`: the speaker notes on the presenter's own screen, following a
//! presenting vaultlab (`--present`) over its local socket: the pane on the projector, its
//! notes from the lab's folder, a clock and the time spent on the pane. With no presenting
//! instance it says so and looks again every second; when the one it follows ends, it
//! waits for the next.

use std::process::ExitCode;
use std::time::Duration;

use super::args::NotesArgs;
use super::{Outcome, UserError, init_file_logging, runtime};

#[cfg(not(unix))]
pub fn run(_args: NotesArgs) -> Outcome {
    Err(UserError::Room("vaultlab notes needs a Unix socket: not on this system".to_owned()).into())
}

#[cfg(unix)]
pub fn run(args: NotesArgs) -> Outcome {
    use std::io::IsTerminal;

    use crate::runtime::terminal;
    terminal::check_usable(
        std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    )
    .map_err(UserError::from)?;
    let Some(dir) = crate::present::socket::dir() else {
        return Err(UserError::Room(
            "vaultlab notes cannot tell where presenting instances are: neither XDG_RUNTIME_DIR nor HOME is set".to_owned(),
        )
        .into());
    };
    init_file_logging();
    runtime()?.block_on(async {
        let choice = match args.pid {
            Some(pid) => crate::present::socket::Choice::Pid(pid),
            None => crate::present::socket::Choice::Newest,
        };
        let (heard_tx, heard) = tokio::sync::mpsc::unbounded_channel();
        let follower = tokio::spawn(follow(dir.clone(), choice, heard_tx));
        let mut tui = terminal::enter()
            .map_err(|e| UserError::from(terminal::TerminalProblem::TakeOver(e)))?;
        let theme = crate::ui::Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
        let mut screen = Screen::new(dir.display().to_string(), args.pid, chrono::Local::now());
        let result = run_screen(&mut screen, &mut tui, heard, &theme).await;
        follower.abort();
        let restored = terminal::restore();
        result.map_err(|e| color_eyre::eyre::eyre!("the terminal failed: {e}"))?;
        restored.map_err(|e| color_eyre::eyre::eyre!("cannot restore the terminal: {e}"))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// What the follower heard.
#[cfg(unix)]
enum Heard {
    /// No presenting instance (yet, or any more).
    Waiting,
    Following {
        pid: u32,
        live: usize,
    },
    /// The presenter's state, with the lab it names when that lab is not the one sent
    /// last (read here, off the screen's loop).
    State(Box<(crate::present::Published, Option<ShownLab>)>),
}

/// The lab whose notes show, or why it could not be read.
#[cfg(unix)]
type ShownLab = Result<crate::lab::Lab, String>;

/// Finds the instance to follow, reads its states, and starts again when it goes away.
#[cfg(unix)]
async fn follow(
    dir: std::path::PathBuf,
    choice: crate::present::socket::Choice,
    heard: tokio::sync::mpsc::UnboundedSender<Heard>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut sent: Option<(String, Option<std::path::PathBuf>)> = None;
    loop {
        match crate::present::socket::connect(&dir, choice).await {
            None => {
                if heard.send(Heard::Waiting).is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Some(found) => {
                let following = Heard::Following {
                    pid: found.instance.pid,
                    live: found.live,
                };
                if heard.send(following).is_err() {
                    return;
                }
                let mut lines = tokio::io::BufReader::new(found.stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let state: crate::present::Published = match serde_json::from_str(&line) {
                        Ok(state) => state,
                        Err(error) => {
                            tracing::warn!("a state notes cannot read: {error}");
                            continue;
                        }
                    };
                    let named = (state.lab.clone(), state.labs_dir.clone());
                    let lab = (sent.as_ref() != Some(&named)).then(|| {
                        crate::lab::Labs::new(named.1.as_deref())
                            .load(&named.0)
                            .map_err(|e| e.to_string())
                    });
                    sent = Some(named);
                    if heard.send(Heard::State(Box::new((state, lab)))).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// What reaches the notes screen.
#[cfg(unix)]
enum Msg {
    Key(crossterm::event::KeyEvent),
    Heard(Heard),
    /// The clock, read by the loop once a second.
    Tick(chrono::DateTime<chrono::Local>),
    /// The frame just drawn: how far its notes can scroll.
    Drawn {
        max_scroll: u16,
    },
    /// SIGTERM or SIGHUP, or the terminal gone.
    Stop,
}

/// What the loop is asked to do after a message.
#[cfg(unix)]
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Stay,
    Suspend,
    Quit,
}

/// The notes screen's state.
#[cfg(unix)]
struct Screen {
    dir: String,
    pid: Option<u32>,
    polls: u64,
    following: Option<(u32, usize)>,
    published: Option<crate::present::Published>,
    lab: Option<ShownLab>,
    now: chrono::DateTime<chrono::Local>,
    scroll: u16,
    max_scroll: u16,
}

#[cfg(unix)]
impl Screen {
    /// Waiting for a presenting instance in `dir` (`pid`: only that one).
    fn new(dir: String, pid: Option<u32>, now: chrono::DateTime<chrono::Local>) -> Screen {
        Screen {
            dir,
            pid,
            polls: 0,
            following: None,
            published: None,
            lab: None,
            now,
            scroll: 0,
            max_scroll: 0,
        }
    }
}

/// The only place the screen's state changes.
#[cfg(unix)]
fn update(screen: &mut Screen, msg: Msg) -> Next {
    match msg {
        Msg::Key(key) => return on_key(screen, key),
        Msg::Heard(news) => hear(screen, news),
        Msg::Tick(now) => screen.now = now,
        Msg::Drawn { max_scroll } => {
            screen.max_scroll = max_scroll;
            screen.scroll = screen.scroll.min(max_scroll);
        }
        Msg::Stop => return Next::Quit,
    }
    Next::Stay
}

#[cfg(unix)]
fn on_key(screen: &mut Screen, key: crossterm::event::KeyEvent) -> Next {
    use crate::app::keymap::{ctrl_c, plain};
    use crossterm::event::{KeyCode, KeyModifiers};
    if ctrl_c(&key) || plain(&key, KeyCode::Char('q')) || plain(&key, KeyCode::Esc) {
        return Next::Quit;
    }
    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Next::Suspend;
    }
    let page = 10;
    screen.scroll = match key.code {
        KeyCode::Up | KeyCode::Char('k') => screen.scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => screen.scroll.saturating_add(1),
        KeyCode::PageUp => screen.scroll.saturating_sub(page),
        KeyCode::PageDown | KeyCode::Char(' ') => screen.scroll.saturating_add(page),
        KeyCode::Home => 0,
        KeyCode::End => screen.max_scroll,
        _ => screen.scroll,
    }
    .min(screen.max_scroll);
    Next::Stay
}

#[cfg(unix)]
fn hear(screen: &mut Screen, news: Heard) {
    match news {
        Heard::Waiting => {
            screen.following = None;
            screen.published = None;
            screen.polls += 1;
        }
        Heard::Following { pid, live } => screen.following = Some((pid, live)),
        Heard::State(news) => {
            let (state, lab) = *news;
            let moved = screen
                .published
                .as_ref()
                .is_none_or(|p| p.pane != state.pane);
            if moved {
                screen.scroll = 0;
            }
            if let Some(lab) = lab {
                screen.lab = Some(lab);
            }
            screen.published = Some(state);
        }
    }
}

/// Keys, the clock, signals and what the follower hears become messages; the screen is
/// drawn after each.
#[cfg(unix)]
async fn run_screen(
    screen: &mut Screen,
    tui: &mut crate::runtime::terminal::Tui,
    mut heard: tokio::sync::mpsc::UnboundedReceiver<Heard>,
    theme: &crate::ui::Theme,
) -> std::io::Result<()> {
    use crate::runtime::StopSignals;
    use crate::runtime::suspend::{JobSignal, JobSignals};
    use crate::runtime::terminal;
    use crossterm::event::{Event, EventStream, KeyEventKind};
    use futures::StreamExt;
    let mut events = EventStream::new();
    let mut stop_signals = StopSignals::new()?;
    let mut job_signals = JobSignals::new()?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let max_scroll = draw(screen, tui, theme)?;
        update(screen, Msg::Drawn { max_scroll });
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Msg::Stop,
            },
            _ = clock.tick() => Msg::Tick(chrono::Local::now()),
            Some(news) = heard.recv() => Msg::Heard(news),
            _ = stop_signals.recv() => Msg::Stop,
            job = job_signals.recv() => match job {
                JobSignal::Stop => {
                    terminal::suspend(tui);
                    continue;
                }
                JobSignal::Continued => {
                    if let Err(error) = terminal::take_back(tui) {
                        tracing::warn!("cannot take the terminal back: {error}");
                    }
                    continue;
                }
            },
        };
        match update(screen, msg) {
            Next::Stay => {}
            Next::Suspend => terminal::suspend(tui),
            Next::Quit => return Ok(()),
        }
    }
}

/// Draws the screen as it is; returns how far its notes can scroll.
#[cfg(unix)]
fn draw(
    screen: &Screen,
    tui: &mut crate::runtime::terminal::Tui,
    theme: &crate::ui::Theme,
) -> std::io::Result<u16> {
    use crate::present::published::ShownPane;
    use crate::ui::present::notes::{NotesScreen, draw};
    let lab = screen.lab.as_ref();
    let notes = match (lab, &screen.published) {
        (Some(Ok(lab)), Some(published)) => match published.pane {
            ShownPane::Overview => lab.notes.overview.as_ref(),
            ShownPane::Step(step) => lab.notes.step(step),
            ShownPane::Finish | ShownPane::Leases => lab.notes.finish.as_ref(),
        },
        _ => None,
    };
    let problem = match lab {
        Some(Err(problem)) => Some(problem.as_str()),
        _ => None,
    };
    let shown = match screen.following {
        None => NotesScreen::Waiting {
            dir: &screen.dir,
            pid: screen.pid,
            polls: screen.polls,
        },
        Some((pid, live)) => NotesScreen::Following {
            pid,
            live,
            published: screen.published.as_ref(),
            notes,
            problem,
        },
    };
    let clock = screen.now.format("%H:%M:%S").to_string();
    let now = screen.now.with_timezone(&chrono::Utc);
    let mut max = 0;
    tui.draw(|frame| max = draw(frame, &shown, &clock, now, screen.scroll, theme))?;
    Ok(max)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn screen() -> Screen {
        Screen::new("/run/user/1000/vaultlab".into(), None, chrono::Local::now())
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Msg {
        Msg::Key(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn scrolling_stays_within_what_the_last_frame_could_show() {
        let mut s = screen();
        update(&mut s, Msg::Drawn { max_scroll: 12 });
        update(&mut s, key(KeyCode::PageDown, KeyModifiers::NONE));
        assert_eq!(s.scroll, 10);
        update(&mut s, key(KeyCode::PageDown, KeyModifiers::NONE));
        assert_eq!(s.scroll, 12);
        // A wider terminal needs less scrolling: the offset follows.
        update(&mut s, Msg::Drawn { max_scroll: 4 });
        assert_eq!(s.scroll, 4);
        update(&mut s, key(KeyCode::Home, KeyModifiers::NONE));
        assert_eq!(s.scroll, 0);
    }

    #[test]
    fn q_esc_and_ctrl_c_quit_ctrl_z_suspends_and_a_signal_stops() {
        for quit in [
            key(KeyCode::Char('q'), KeyModifiers::NONE),
            key(KeyCode::Esc, KeyModifiers::NONE),
            key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Msg::Stop,
        ] {
            assert_eq!(update(&mut screen(), quit), Next::Quit);
        }
        assert_eq!(
            update(
                &mut screen(),
                key(KeyCode::Char('z'), KeyModifiers::CONTROL)
            ),
            Next::Suspend
        );
        assert_eq!(
            update(&mut screen(), key(KeyCode::Char('z'), KeyModifiers::NONE)),
            Next::Stay
        );
    }

    #[test]
    fn losing_the_presenter_forgets_its_pane_and_counts_the_looks() {
        let mut s = screen();
        update(&mut s, Msg::Heard(Heard::Following { pid: 42, live: 1 }));
        assert_eq!(s.following, Some((42, 1)));
        update(&mut s, Msg::Heard(Heard::Waiting));
        update(&mut s, Msg::Heard(Heard::Waiting));
        assert_eq!((s.following, s.polls), (None, 2));
    }

    #[test]
    fn the_clock_shown_is_the_one_the_last_tick_read() {
        let mut s = screen();
        let then = chrono::DateTime::parse_from_rfc3339("2026-11-30T14:32:05+00:00")
            .unwrap()
            .with_timezone(&chrono::Local);
        update(&mut s, Msg::Tick(then));
        assert_eq!(s.now, then);
    }
}

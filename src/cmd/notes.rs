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
        let mut screen = Screen {
            dir: dir.display().to_string(),
            pid: args.pid,
            ..Screen::default()
        };
        let result = screen.run(&mut tui, heard, &theme).await;
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
    State(Box<crate::present::Published>),
}

/// Finds the instance to follow, reads its states, and starts again when it goes away.
#[cfg(unix)]
async fn follow(
    dir: std::path::PathBuf,
    choice: crate::present::socket::Choice,
    heard: tokio::sync::mpsc::UnboundedSender<Heard>,
) {
    use tokio::io::AsyncBufReadExt;
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
                    match serde_json::from_str(&line) {
                        Ok(state) => {
                            if heard.send(Heard::State(Box::new(state))).is_err() {
                                return;
                            }
                        }
                        Err(error) => tracing::warn!("a state notes cannot read: {error}"),
                    }
                }
            }
        }
    }
}

/// The notes screen's state.
#[cfg(unix)]
#[derive(Default)]
struct Screen {
    dir: String,
    pid: Option<u32>,
    polls: u64,
    following: Option<(u32, usize)>,
    published: Option<crate::present::Published>,
    /// The lab whose notes show, by its id and folder, or why it could not be read.
    lab: Option<(
        String,
        Option<std::path::PathBuf>,
        Result<crate::lab::Lab, String>,
    )>,
    scroll: u16,
    max_scroll: u16,
}

#[cfg(unix)]
impl Screen {
    async fn run(
        &mut self,
        tui: &mut crate::runtime::terminal::Tui,
        mut heard: tokio::sync::mpsc::UnboundedReceiver<Heard>,
        theme: &crate::ui::Theme,
    ) -> std::io::Result<()> {
        use crossterm::event::{Event, EventStream, KeyEventKind};
        use futures::StreamExt;
        let mut events = EventStream::new();
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            self.draw(tui, theme)?;
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                        if !self.on_key(key) {
                            return Ok(());
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Err(error),
                    None => return Ok(()),
                },
                _ = clock.tick() => {}
                Some(news) = heard.recv() => self.hear(news),
            }
        }
    }

    /// A key; `false` to quit.
    fn on_key(&mut self, key: crossterm::event::KeyEvent) -> bool {
        use crate::app::keymap::{ctrl_c, plain};
        use crossterm::event::KeyCode;
        if ctrl_c(&key) || plain(&key, KeyCode::Char('q')) || plain(&key, KeyCode::Esc) {
            return false;
        }
        let page = 10;
        self.scroll = match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll.saturating_add(1),
            KeyCode::PageUp => self.scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll.saturating_add(page),
            KeyCode::Home => 0,
            KeyCode::End => self.max_scroll,
            _ => self.scroll,
        }
        .min(self.max_scroll);
        true
    }

    fn hear(&mut self, news: Heard) {
        match news {
            Heard::Waiting => {
                self.following = None;
                self.published = None;
                self.polls += 1;
            }
            Heard::Following { pid, live } => self.following = Some((pid, live)),
            Heard::State(state) => {
                let moved = self.published.as_ref().is_none_or(|p| p.pane != state.pane);
                if moved {
                    self.scroll = 0;
                }
                let known = self
                    .lab
                    .as_ref()
                    .is_some_and(|(id, dir, _)| *id == state.lab && *dir == state.labs_dir);
                if !known {
                    let lab = crate::lab::Labs::new(state.labs_dir.as_deref())
                        .load(&state.lab)
                        .map_err(|e| e.to_string());
                    self.lab = Some((state.lab.clone(), state.labs_dir.clone(), lab));
                }
                self.published = Some(*state);
            }
        }
    }

    fn draw(
        &mut self,
        tui: &mut crate::runtime::terminal::Tui,
        theme: &crate::ui::Theme,
    ) -> std::io::Result<()> {
        use crate::present::published::ShownPane;
        use crate::ui::present::notes::{NotesScreen, draw};
        let lab = self.lab.as_ref().map(|(_, _, lab)| lab);
        let notes = match (lab, &self.published) {
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
        let screen = match self.following {
            None => NotesScreen::Waiting {
                dir: &self.dir,
                pid: self.pid,
                polls: self.polls,
            },
            Some((pid, live)) => NotesScreen::Following {
                pid,
                live,
                published: self.published.as_ref(),
                notes,
                problem,
            },
        };
        let clock = chrono::Local::now().format("%H:%M:%S").to_string();
        let mut max = 0;
        tui.draw(|frame| {
            max = draw(
                frame,
                &screen,
                &clock,
                chrono::Utc::now(),
                self.scroll,
                theme,
            )
        })?;
        self.max_scroll = max;
        Ok(())
    }
}

//! Taking over the terminal and always giving it back: on quit, on error and on panic.

use std::io::{self, Write};

use crossterm::clipboard::CopyToClipboard;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType as ClearRegion, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

use crate::record::{CastFile, Screen};

/// The terminal, through [`Screen`]: with `--record`, each frame is also recorded.
pub type Tui = Terminal<QuietBackend<Screen>>;

/// The crossterm backend, silent when a frame changed nothing. ratatui ends every draw
/// with colour resets and hides the cursor again, so a screen redrawn each second with
/// nothing new (a revoked lease's status) still wrote 25 bytes a second to the terminal.
pub struct QuietBackend<W: Write> {
    inner: CrosstermBackend<W>,
    cursor_hidden: bool,
}

impl<W: Write> QuietBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            cursor_hidden: false,
        }
    }

    /// Where the frames go.
    pub fn writer_mut(&mut self) -> &mut W {
        self.inner.writer_mut()
    }

    /// The terminal was given back meanwhile (suspended): its cursor shows again.
    fn cursor_shown_elsewhere(&mut self) {
        self.cursor_hidden = false;
    }
}

impl<W: Write> Backend for QuietBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if !self.cursor_hidden {
            self.inner.hide_cursor()?;
            self.cursor_hidden = true;
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_hidden = false;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearRegion) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// Why the lab cannot take over this terminal: the user's to fix, said in one line.
#[derive(Debug, thiserror::Error)]
pub enum TerminalProblem {
    #[error(
        "the lab is a full-screen program and its output is not a terminal here: run vaultlab in a terminal, or use `vaultlab walk` for a transcript of the same steps"
    )]
    NotATerminal,
    #[error(
        "this terminal is TERM=dumb, which cannot show the lab's full screen: run vaultlab in a full terminal (e.g. TERM=xterm-256color), or use `vaultlab walk` for a transcript of the same steps"
    )]
    Dumb,
    #[error(
        "cannot take over the terminal ({0}): run vaultlab in a terminal, or use `vaultlab walk` for a transcript of the same steps"
    )]
    TakeOver(io::Error),
}

/// Whether the lab can be drawn here, asked before anything starts: output that goes to
/// a file or a pipe, or a terminal that says it is dumb, would get a screen it cannot show.
pub fn check_usable(output_is_terminal: bool, term: Option<&str>) -> Result<(), TerminalProblem> {
    if !output_is_terminal {
        return Err(TerminalProblem::NotATerminal);
    }
    if term == Some("dumb") {
        return Err(TerminalProblem::Dumb);
    }
    Ok(())
}

/// Raw mode, the alternate screen, bracketed paste (so a pasted policy arrives as one
/// paste, not as keys) and the wheel's reports. The panic hook restores the terminal before the report prints.
pub fn enter() -> io::Result<Tui> {
    enter_recording(None)
}

/// As [`enter`]; with a recording, every frame drawn goes into it too.
pub fn enter_recording(recording: Option<CastFile>) -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    let set_up = || -> io::Result<Tui> {
        // Cleared here rather than with `Terminal::clear`, which first asks the terminal
        // where its cursor is and waits for the answer: a round trip before the first
        // frame (over SSH, a network one), and a failed start where no answer comes.
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            WheelReports(true),
            Clear(ClearType::All)
        )?;
        let mut terminal = Terminal::new(QuietBackend::new(Screen::new(recording)))?;
        terminal.hide_cursor()?;
        Ok(terminal)
    };
    set_up().inspect_err(|_| {
        let _ = restore();
    })
}

/// Ctrl-Z or SIGTSTP: the terminal given back as on quit, the process stopped until it
/// continues (`fg`), then the terminal taken again and the next frame drawn whole. If any
/// of that fails, the terminal is taken back at once: the program goes on, not stopped.
pub fn suspend(terminal: &mut Tui) {
    let stopped = restore()
        .and_then(|()| super::suspend::stop_process())
        .and_then(|()| take_back(terminal));
    if let Err(error) = stopped {
        tracing::warn!("suspending failed: {error}");
        let _ = take_back(terminal);
    }
}

/// After the process continues: raw mode, the alternate screen and bracketed paste again,
/// and the next frame drawn whole. Safe when the terminal is still ours (a SIGCONT that
/// follows vaultlab's own suspend): it is set up again, and redrawn.
pub fn take_back(terminal: &mut Tui) -> io::Result<()> {
    // crossterm believes raw mode is still on after a stop it did not see (SIGSTOP), while
    // the shell has put the terminal back in line mode: leave it first, so raw mode is set
    // for real.
    let _ = disable_raw_mode();
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        WheelReports(true),
        Clear(ClearType::All)
    )?;
    terminal.backend_mut().cursor_shown_elsewhere();
    terminal.backend_mut().writer_mut().cleared();
    terminal.hide_cursor()?;
    // Both buffers empty: the next draw writes every cell of the cleared screen. (Not
    // `Terminal::clear`, which asks the terminal where its cursor is first.)
    terminal.swap_buffers();
    Ok(())
}

/// Mouse reports of button presses only, the wheel's among them (xterm's mode 1000, in
/// SGR form, 1006), so the wheel scrolls. Not crossterm's `EnableMouseCapture`, which also
/// asks for every motion (1003): each move of the mouse would wake the lab. Text can still
/// be selected with Shift held, as in any program that reads the mouse.
struct WheelReports(bool);

impl crossterm::Command for WheelReports {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        match self.0 {
            true => f.write_str("\x1b[?1000h\x1b[?1006h"),
            false => f.write_str("\x1b[?1006l\x1b[?1000l"),
        }
    }

    #[cfg(windows)]
    fn execute_winapi(&self) -> io::Result<()> {
        Ok(())
    }
}

/// Safe to call more than once, and from a panic hook.
pub fn restore() -> io::Result<()> {
    let mut stdout = io::stdout();
    let leave = execute!(
        stdout,
        WheelReports(false),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let raw = disable_raw_mode();
    stdout.flush()?;
    leave.and(raw)
}

/// Restores the terminal when the thread that owns it panics. A panic on a worker thread
/// (an effect, the embedded sandbox) is caught there and reported as a failure, while the
/// screen goes on; its report goes to the log, not over the screen.
fn install_panic_hook() {
    let owner = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == owner {
            let _ = restore();
            previous(info);
        } else {
            tracing::error!("panic on a worker thread: {info}");
        }
    }));
}

/// Puts text on the clipboard of the terminal (and of an SSH client's terminal) with
/// OSC 52. Terminals that don't support it ignore it.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    copy_to(&mut io::stdout(), text)
}

fn copy_to(out: &mut impl Write, text: &str) -> io::Result<()> {
    execute!(out, CopyToClipboard::to_clipboard_from(text))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;

    use super::{QuietBackend, copy_to};
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    /// What a terminal was sent, shared so the test can read it while the backend owns it.
    #[derive(Clone, Default)]
    struct Sent(Rc<RefCell<Vec<u8>>>);

    impl Write for Sent {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn output_to_a_file_or_a_dumb_terminal_is_refused_and_says_to_walk() {
        use super::{TerminalProblem, check_usable};
        assert!(check_usable(true, Some("xterm-256color")).is_ok());
        assert!(check_usable(true, None).is_ok());
        assert!(matches!(
            check_usable(false, Some("xterm")),
            Err(TerminalProblem::NotATerminal)
        ));
        let dumb = check_usable(true, Some("dumb")).unwrap_err();
        assert!(matches!(dumb, TerminalProblem::Dumb));
        let text = dumb.to_string();
        assert!(
            text.contains("vaultlab walk") && !text.contains('\n'),
            "{text}"
        );
    }

    #[test]
    fn a_frame_that_changed_nothing_writes_nothing() {
        let sent = Sent::default();
        let options = TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 20, 2)),
        };
        let mut terminal =
            Terminal::with_options(QuietBackend::new(sent.clone()), options).unwrap();
        let mut draw = |text: &str| {
            terminal
                .draw(|frame| frame.render_widget(Paragraph::new(text), frame.area()))
                .unwrap();
            sent.0.borrow().len()
        };
        let first = draw("lease 00:00:02");
        assert!(first > 0);
        assert_eq!(draw("lease 00:00:02"), first, "an unchanged frame wrote");
        assert!(
            draw("lease 00:00:01") > first,
            "a changed frame wrote nothing"
        );
    }

    #[test]
    fn a_copy_is_one_osc_52_sequence_with_the_text_in_base64() {
        let mut sent = Vec::new();
        copy_to(&mut sent, "export A=1\n").unwrap();
        let sent = String::from_utf8(sent).unwrap();
        // "export A=1\n" in base64 (RFC 4648), for the system clipboard (c).
        assert!(sent.starts_with("\x1b]52;c;ZXhwb3J0IEE9MQo="), "{sent:?}");
        assert!(!sent.contains("export"), "the text is encoded: {sent:?}");
    }
}

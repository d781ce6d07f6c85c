//! Taking over the terminal and always giving it back: on quit, on error and on panic.

use std::io::{self, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, the alternate screen and bracketed paste (so a pasted policy arrives as one
/// paste, not as keys). The panic hook restores the terminal before the report prints.
pub fn enter() -> io::Result<Tui> {
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
            Clear(ClearType::All)
        )?;
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        terminal.hide_cursor()?;
        Ok(terminal)
    };
    set_up().inspect_err(|_| {
        let _ = restore();
    })
}

/// Safe to call more than once, and from a panic hook.
pub fn restore() -> io::Result<()> {
    let mut stdout = io::stdout();
    let leave = execute!(
        stdout,
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
    let mut stdout = io::stdout();
    write!(stdout, "\x1b]52;c;{}\x07", base64(text.as_bytes()))?;
    stdout.flush()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }
}

//! Recordings (`--record FILE`): what the terminal shows, as asciicast v2, so a demo can
//! be played back (`vaultlab replay`) when the network fails. The TUI's recording is the
//! bytes its frames send to the terminal ([`Screen`]); walk's is its transcript, line by
//! line ([`Transcript`]). Secrets are masked as on screen (and revealing them is refused
//! while recording); the run's known secrets are masked again on the way to the file.

pub mod cast;
pub mod check;
pub mod player;
pub mod svg;

use std::fs::File;
use std::io::{self, BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use secrecy::SecretString;

pub use cast::{CastError, CastWriter, Header};

/// The recording's file could not be written: said before anything starts.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the recording to {}: {source}; choose a path in a folder you can write to", path.display())]
pub struct RecordError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

pub type CastFile = CastWriter<BufWriter<File>>;

/// Creates (or replaces) the recording at `path` and writes its header.
pub fn start(
    path: &Path,
    (width, height): (u16, u16),
    title: &str,
    secrets: Vec<SecretString>,
) -> Result<CastFile, RecordError> {
    let failed = |source| RecordError {
        path: path.to_owned(),
        source,
    };
    let file = File::create(path).map_err(failed)?;
    let header = Header {
        version: 2,
        width,
        height,
        timestamp: Some(chrono::Utc::now().timestamp()),
        title: Some(title.to_owned()),
    };
    CastWriter::start(BufWriter::new(file), &header, secrets).map_err(failed)
}

/// The TUI's output: everything goes to the terminal; with a recording, each frame (the
/// bytes between two flushes) becomes one event.
pub struct Screen {
    stdout: Stdout,
    cast: Option<CastFile>,
    frame: Vec<u8>,
}

impl Screen {
    pub fn new(cast: Option<CastFile>) -> Screen {
        Screen {
            stdout: io::stdout(),
            cast,
            frame: Vec::new(),
        }
    }

    /// The terminal was resized: the recording says so (its player resizes too).
    pub fn resized(&mut self, width: u16, height: u16) {
        if let Some(cast) = &mut self.cast
            && let Err(error) = cast.resize(width, height)
        {
            self.stopped(&error);
        }
    }

    /// The terminal was cleared outside the frames (taken back after a suspend).
    pub fn cleared(&mut self) {
        self.frame.extend_from_slice(b"\x1b[H\x1b[2J");
    }

    /// A recording that cannot be written any more stops; the lab goes on.
    fn stopped(&mut self, error: &io::Error) {
        tracing::warn!("the recording stopped: {error}");
        self.cast = None;
        self.frame.clear();
    }
}

impl Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.stdout.write(bytes)?;
        if self.cast.is_some() {
            self.frame.extend_from_slice(&bytes[..written]);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stdout.flush()?;
        if let Some(cast) = &mut self.cast
            && !self.frame.is_empty()
        {
            let data = String::from_utf8_lossy(&self.frame).into_owned();
            self.frame.clear();
            if let Err(error) = cast.output(&data) {
                self.stopped(&error);
            }
        }
        Ok(())
    }
}

/// walk's output: to stdout as usual and, line by line, to the recording (a terminal
/// needs `\r\n` where a transcript has `\n`).
pub struct Transcript<W: Write> {
    out: W,
    cast: Option<CastFile>,
    line: Vec<u8>,
}

impl<W: Write> Transcript<W> {
    pub fn new(out: W, cast: Option<CastFile>) -> Self {
        Self {
            out,
            cast,
            line: Vec::new(),
        }
    }

    /// A value never to reach the recording.
    pub fn add_secret(&mut self, secret: SecretString) {
        if let Some(cast) = &mut self.cast {
            cast.add_secret(secret);
        }
    }

    /// What the recording took, once it is finished.
    pub fn finish(mut self) -> io::Result<Option<u64>> {
        self.out.flush()?;
        if !self.line.is_empty() {
            self.record_line()?;
        }
        Ok(self.cast.map(|cast| cast.written))
    }

    fn record_line(&mut self) -> io::Result<()> {
        if let Some(cast) = &mut self.cast {
            let mut text = String::from_utf8_lossy(&self.line).into_owned();
            if text.ends_with('\n') {
                text.pop();
                text.push_str("\r\n");
            }
            cast.output(&text)?;
        }
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Transcript<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.out.write(bytes)?;
        if self.cast.is_some() {
            for &byte in &bytes[..written] {
                self.line.push(byte);
                if byte == b'\n' {
                    self.record_line()?;
                }
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The size a recording of walk says: COLUMNS and LINES when set (a script's choice),
/// else the terminal's, else a wide one (a CI job has no terminal).
pub fn transcript_size() -> (u16, u16) {
    let var = |name| std::env::var(name).ok().and_then(|v| v.parse::<u16>().ok());
    let terminal = crossterm::terminal::size().ok();
    (
        var("COLUMNS").or(terminal.map(|t| t.0)).unwrap_or(120),
        var("LINES").or(terminal.map(|t| t.1)).unwrap_or(40),
    )
}

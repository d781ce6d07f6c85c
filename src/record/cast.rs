//! asciicast v2, the format asciinema and its players read: a header line (a JSON object:
//! version 2, width, height, timestamp, title) and then one JSON array a line, `[time,
//! code, data]`: seconds since the start, `"o"` for output (or `"r"` for a resize to
//! `"WxH"`), and the text. https://docs.asciinema.org/manual/asciicast/v2/
//!
//! Writing masks every secret it was given before a byte reaches the file; reading says
//! which line is wrong, and how.

use std::io::{self, Write};
use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u8,
    pub width: u16,
    pub height: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One event of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Seconds since the recording started.
    pub time: f64,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    Output(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// Input, markers and codes a later version may add: kept in the file, not played.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub header: Header,
    pub events: Vec<Event>,
}

/// Why a file is not a recording vaultlab can play, with the line it is about.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CastError {
    #[error("{file} is empty: not an asciicast v2 recording")]
    Empty { file: String },
    #[error("{file} line 1: not an asciicast v2 header ({why})")]
    NotAHeader { file: String, why: String },
    #[error(
        "{file} line 1: asciicast version {version}; vaultlab replay plays version 2 (asciinema rec writes it with --format asciicast-v2)"
    )]
    Version { file: String, version: Value },
    #[error(
        "{file} line {line}: the file ends in the middle of an event: the recording was cut short"
    )]
    Truncated { file: String, line: usize },
    #[error("{file} line {line}: not an asciicast v2 event ({why})")]
    BadEvent {
        file: String,
        line: usize,
        why: String,
    },
}

/// Reads a recording; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Recording, CastError> {
    let file = file.to_owned();
    let mut lines = text.split('\n').enumerate();
    let Some((_, first)) = lines.next().filter(|(_, l)| !l.trim().is_empty()) else {
        return Err(CastError::Empty { file });
    };
    let value: Value = serde_json::from_str(first).map_err(|e| CastError::NotAHeader {
        file: file.clone(),
        why: e.to_string(),
    })?;
    match value.get("version") {
        Some(v) if v == 2 => {}
        Some(v) => {
            return Err(CastError::Version {
                file,
                version: v.clone(),
            });
        }
        None => {
            return Err(CastError::NotAHeader {
                file,
                why: "no \"version\"".into(),
            });
        }
    }
    let header: Header = serde_json::from_value(value).map_err(|e| CastError::NotAHeader {
        file: file.clone(),
        why: e.to_string(),
    })?;
    let ends_with_newline = text.ends_with('\n');
    let count = text.split('\n').count();
    let mut events = Vec::new();
    let mut last_time = 0.0;
    for (index, line) in lines {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let is_last = index + 1 == count;
        let bad = |why: String| CastError::BadEvent {
            file: file.clone(),
            line: number,
            why,
        };
        let value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            // The last line, unfinished: a recording cut short (a full disk, a kill).
            Err(e) if e.is_eof() && is_last && !ends_with_newline => {
                return Err(CastError::Truncated { file, line: number });
            }
            Err(e) => return Err(bad(e.to_string())),
        };
        let Some([time, code, data]) = value.as_array().map(Vec::as_slice) else {
            return Err(bad("expected [time, code, data]".into()));
        };
        let time = time
            .as_f64()
            .filter(|t| *t >= 0.0 && t.is_finite())
            .ok_or_else(|| bad(format!("the time {time} is not a number of seconds")))?;
        if time < last_time {
            return Err(bad(format!("the time {time} goes back before {last_time}")));
        }
        last_time = time;
        let (Some(code), Some(data)) = (code.as_str(), data.as_str()) else {
            return Err(bad("the code and the data must be strings".into()));
        };
        let what = match code {
            "o" => What::Output(data.to_owned()),
            "r" => {
                let size = data
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
                let Some((width, height)) = size else {
                    return Err(bad(format!("a resize to {data:?}, not WIDTHxHEIGHT")));
                };
                What::Resize { width, height }
            }
            _ => What::Other,
        };
        events.push(Event { time, what });
    }
    Ok(Recording { header, events })
}

/// Writes a recording as it happens: each event a line, flushed, so a recording cut
/// short by a crash keeps what came before.
pub struct CastWriter<W: Write> {
    out: W,
    started: Instant,
    /// Values that must never reach the file: replaced by dots of the same length.
    secrets: Vec<SecretString>,
    /// How many bytes of output were written (the recording's size, nearly).
    pub written: u64,
}

impl<W: Write> CastWriter<W> {
    /// Writes the header; the clock starts now.
    pub fn start(mut out: W, header: &Header, secrets: Vec<SecretString>) -> io::Result<Self> {
        let line = serde_json::to_string(header).map_err(io::Error::other)?;
        writeln!(out, "{line}")?;
        out.flush()?;
        Ok(Self {
            out,
            started: Instant::now(),
            secrets: secrets
                .into_iter()
                .filter(|s| s.expose_secret().len() >= 4)
                .collect(),
            written: 0,
        })
    }

    /// A value learned once the recording runs (a secret key issued) is masked from now.
    pub fn add_secret(&mut self, secret: SecretString) {
        if secret.expose_secret().len() >= 4 {
            self.secrets.push(secret);
        }
    }

    fn elapsed(&self) -> f64 {
        // Microseconds, as asciinema writes them.
        (self.started.elapsed().as_micros() as f64) / 1e6
    }

    /// What the terminal was sent.
    pub fn output(&mut self, data: &str) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let data = mask(data, &self.secrets);
        self.event("o", &data)
    }

    pub fn resize(&mut self, width: u16, height: u16) -> io::Result<()> {
        self.event("r", &format!("{width}x{height}"))
    }

    fn event(&mut self, code: &str, data: &str) -> io::Result<()> {
        let line =
            serde_json::to_string(&(self.elapsed(), code, data)).map_err(io::Error::other)?;
        writeln!(self.out, "{line}")?;
        self.written += line.len() as u64 + 1;
        self.out.flush()
    }
}

/// `text` with each secret replaced by as many dots as it has characters.
pub fn mask(text: &str, secrets: &[SecretString]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        let secret = secret.expose_secret();
        if text.contains(secret) {
            text = text.replace(secret, &"•".repeat(secret.chars().count()));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        r#"{"version":2,"width":80,"height":24,"timestamp":1764500000,"title":"t"}"#;

    fn err(text: &str) -> String {
        parse(text, "demo.cast").unwrap_err().to_string()
    }

    #[test]
    fn what_is_written_reads_back_with_the_secrets_masked() {
        let mut file = Vec::new();
        let header = Header {
            version: 2,
            width: 80,
            height: 24,
            timestamp: Some(1_764_500_000),
            title: Some("vaultlab".into()),
        };
        let mut writer =
            CastWriter::start(&mut file, &header, vec![SecretString::from("hvs.TOKEN123")])
                .unwrap();
        writer
            .output("token hvs.TOKEN123\r\n\x1b[1mbold\"")
            .unwrap();
        writer.add_secret(SecretString::from("issuedSECRET"));
        writer.output("key issuedSECRET").unwrap();
        writer.resize(100, 30).unwrap();
        let text = String::from_utf8(file).unwrap();
        assert!(
            !text.contains("TOKEN123") && !text.contains("issuedSECRET"),
            "{text}"
        );
        let recording = parse(&text, "demo.cast").unwrap();
        assert_eq!(recording.header, header);
        assert_eq!(
            recording.events[0].what,
            What::Output("token ••••••••••••\r\n\x1b[1mbold\"".into())
        );
        assert_eq!(
            recording.events[2].what,
            What::Resize {
                width: 100,
                height: 30
            }
        );
    }

    #[test]
    fn a_file_that_is_not_a_recording_is_told_by_its_line() {
        assert_eq!(err(""), "demo.cast is empty: not an asciicast v2 recording");
        assert!(err("hello\n").starts_with("demo.cast line 1: not an asciicast v2 header"));
        assert!(
            err("{\"version\":1,\"width\":80,\"height\":24}\n")
                .contains("line 1: asciicast version 1")
        );
        let v3 = "{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n";
        assert!(err(v3).contains("version 3"), "{}", err(v3));
        let bad = format!("{HEADER}\n[0.1, \"o\", \"a\"]\n{{\"x\":1}}\n");
        assert_eq!(
            err(&bad),
            "demo.cast line 3: not an asciicast v2 event (expected [time, code, data])"
        );
        let back = format!("{HEADER}\n[0.5, \"o\", \"a\"]\n[0.1, \"o\", \"b\"]\n");
        assert!(
            err(&back).starts_with("demo.cast line 3:"),
            "{}",
            err(&back)
        );
    }

    #[test]
    fn a_recording_cut_short_names_the_line_it_stops_in() {
        let cut = format!("{HEADER}\n[0.1, \"o\", \"a\"]\n[0.2, \"o\", \"hal");
        assert_eq!(
            err(&cut),
            "demo.cast line 3: the file ends in the middle of an event: the recording was cut short"
        );
    }
}

//! Go's duration syntax, as Vault parses and prints it (`768h`, `30m0s`, `1h30m`, `2s`):
//! part of Vault's wire format, shared by the client and the sandbox.

use std::time::Duration;

/// Parses Go's `time.ParseDuration` syntax into signed nanoseconds. The error text
/// follows Go's (`time: invalid duration "x"`), which Vault passes on to its callers.
pub fn parse_nanos(input: &str) -> Result<f64, String> {
    let invalid = || format!("time: invalid duration {input:?}");
    let mut s = input;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0.0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: f64 = 0.0;
    while !s.is_empty() {
        let number_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        if number_len == 0 {
            return Err(invalid());
        }
        let number: f64 = s[..number_len].parse().map_err(|_| invalid())?;
        s = &s[number_len..];
        let unit_len = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {input:?}"));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {input:?}")),
        };
        total_nanos += number * scale;
    }
    Ok(if negative { -total_nanos } else { total_nanos })
}

/// Whole seconds, fractions truncated, as Vault's server keeps TTLs.
pub fn parse_seconds(input: &str) -> Result<i64, String> {
    parse_nanos(input).map(|nanos| (nanos / 1e9).trunc() as i64)
}

/// A non-negative duration at nanosecond precision, as the Vault CLI reads its settings.
pub fn parse_duration(input: &str) -> Option<Duration> {
    let nanos = parse_nanos(input).ok()?;
    if !nanos.is_finite() || nanos < 0.0 || nanos > u64::MAX as f64 || input.starts_with('-') {
        return None;
    }
    Some(Duration::from_nanos(nanos.round() as u64))
}

/// Go's `time.Duration.String()` for whole seconds: `0s`, `2s`, `30m0s`, `768h0m0s`.
pub fn format_go_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{sign}{m}m{sec}s")
    } else {
        format!("{sign}{sec}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_go_does() {
        assert_eq!(parse_seconds("768h"), Ok(2_764_800));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds("1.5h"), Ok(5400));
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(
            parse_seconds("30"),
            Err("time: missing unit in duration \"30\"".into())
        );
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("3d"), None);
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(format_go_duration(2_764_800), "768h0m0s");
        assert_eq!(format_go_duration(1800), "30m0s");
        assert_eq!(format_go_duration(0), "0s");
    }
}

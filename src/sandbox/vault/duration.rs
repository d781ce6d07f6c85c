//! Go's duration syntax, as Vault parses and prints it: `768h`, `30m0s`, `1h30m`, `2s`.

/// Parses Go's `time.ParseDuration` syntax into whole seconds (fractions are truncated).
/// The error text follows Go's (`time: invalid duration "x"`).
pub fn parse_go_duration(input: &str) -> Result<i64, String> {
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
        return Ok(0);
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
    let seconds = (total_nanos / 1e9).trunc() as i64;
    Ok(if negative { -seconds } else { seconds })
}

/// Vault's `TypeDurationSecond`: a number of seconds (JSON number or numeric string) or a
/// Go duration string.
pub fn parse_duration_second(value: &serde_json::Value) -> Result<i64, String> {
    match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| format!("invalid duration {n}")),
        serde_json::Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Ok(0);
            }
            if let Ok(n) = trimmed.parse::<i64>() {
                return Ok(n);
            }
            parse_go_duration(trimmed)
        }
        serde_json::Value::Null => Ok(0),
        other => Err(format!("invalid duration {other}")),
    }
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
    fn parses_go_durations_like_vault_config_lease() {
        assert_eq!(parse_go_duration("768h"), Ok(2_764_800));
        assert_eq!(parse_go_duration("30m"), Ok(1800));
        assert_eq!(parse_go_duration("1h30m"), Ok(5400));
        assert_eq!(parse_go_duration("2s"), Ok(2));
        assert_eq!(parse_go_duration("1.5h"), Ok(5400));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(
            parse_go_duration("30"),
            Err("time: missing unit in duration \"30\"".to_owned())
        );
        assert_eq!(
            parse_go_duration("abc"),
            Err("time: invalid duration \"abc\"".to_owned())
        );
        assert_eq!(
            parse_go_duration("3d"),
            Err("time: unknown unit \"d\" in duration \"3d\"".to_owned())
        );
    }

    #[test]
    fn formats_durations_as_go_prints_them() {
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(2), "2s");
        assert_eq!(format_go_duration(1800), "30m0s");
        assert_eq!(format_go_duration(43_200), "12h0m0s");
        assert_eq!(format_go_duration(2_764_800), "768h0m0s");
        assert_eq!(format_go_duration(3661), "1h1m1s");
    }

    #[test]
    fn duration_seconds_accept_numbers_and_strings() {
        use serde_json::json;
        assert_eq!(parse_duration_second(&json!(3600)), Ok(3600));
        assert_eq!(parse_duration_second(&json!("3600")), Ok(3600));
        assert_eq!(parse_duration_second(&json!("1h")), Ok(3600));
        assert!(parse_duration_second(&json!("soon")).is_err());
    }
}

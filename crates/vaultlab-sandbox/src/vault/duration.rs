//! Vault's `TypeDurationSecond` parameters. The Go duration syntax itself is shared with
//! the client: `crate::vault::go_duration`.

pub use vaultlab_wire::go_duration::format_go_duration;
pub use vaultlab_wire::go_duration::parse_seconds as parse_go_duration;

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

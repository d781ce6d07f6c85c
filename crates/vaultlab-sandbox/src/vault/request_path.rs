//! What Vault's HTTP layer does to a request path before any handler sees it, so a path
//! with `..`, `.` or non-printable characters is refused as Vault refuses it:
//! - Go's `ServeMux` answers a raw path with `.`/`..` segments or `//` with a 307 to its
//!   cleaned form;
//! - go-cleanhttp's printable-path check answers 400 with an empty body when the decoded
//!   path has a character Go's `unicode.IsPrint` rejects;
//! - dot segments that only appear once decoded (`%2e%2e`, `%2F..%2F`) get 400
//!   `relative paths not supported` (OpenBao's words, and the error of Vault's storage
//!   layer for such keys).

use super::http::Reply;

/// Checks the raw (still percent-encoded) path under `/v1` and its decoded form; `Err`
/// carries Vault's answer. `query` is kept on a redirect, as Go does.
pub fn check(raw: &str, decoded: &str, query: Option<&str>) -> Result<(), Reply> {
    let cleaned = clean(raw);
    if cleaned != raw {
        let location = match query {
            Some(q) => format!("{cleaned}?{q}"),
            None => cleaned,
        };
        return Err(Reply::redirect(location));
    }
    if decoded.chars().any(|c| !is_printable(c)) {
        return Err(Reply::bad_request_no_body());
    }
    if is_relative(decoded) {
        return Err(Reply::bad_request("relative paths not supported"));
    }
    Ok(())
}

/// Go's `path.Clean` for a rooted path, keeping a trailing slash (the mux's `cleanPath`).
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut cleaned = format!("/{}", parts.join("/"));
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing && cleaned != "/" {
        cleaned.push('/');
    }
    cleaned
}

/// Whether the path has `.` or `..` as a segment.
pub fn is_relative(path: &str) -> bool {
    path.split('/')
        .any(|segment| segment == "." || segment == "..")
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII
/// space. Control characters, other spaces and format characters are not printable.
pub fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format = matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE000..=0xF8FF
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    !format
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_double_slashes_redirect_to_the_clean_path() {
        assert_eq!(clean("/v1/sys/mounts/a/../b"), "/v1/sys/mounts/b");
        assert_eq!(clean("/v1/sys/mounts/.."), "/v1/sys/");
        assert_eq!(clean("/v1/sys//mounts"), "/v1/sys/mounts");
        assert_eq!(clean("/v1/sys/./mounts/"), "/v1/sys/mounts/");
        assert_eq!(clean("/v1/sys/mounts/a..b"), "/v1/sys/mounts/a..b");
        let err = check("/v1/sys/mounts/x/..", "/v1/sys/mounts/x/..", Some("a=1")).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(err.body.unwrap(), "/v1/sys/mounts/?a=1");
    }

    #[test]
    fn dots_inside_a_name_are_a_name() {
        assert!(check("/v1/sys/mounts/a..b", "/v1/sys/mounts/a..b", None).is_ok());
    }

    #[test]
    fn decoded_dot_segments_are_relative_paths() {
        let err = check("/v1/sys/mounts/a%2F..%2Fb", "/v1/sys/mounts/a/../b", None).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(
            err.body.unwrap()["errors"][0],
            "relative paths not supported"
        );
    }

    #[test]
    fn non_printable_characters_are_a_bare_400() {
        for bad in [
            "a\u{1}b",
            "a\u{7f}b",
            "a\tb",
            "a\nb",
            "a\u{a0}b",
            "a\u{200b}b",
        ] {
            let err = check("/v1/x", &format!("/v1/sys/mounts/{bad}"), None).unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(err.body.is_none(), "{bad:?}");
        }
        for good in ["a b", "aéb", "a-b_c.d@e"] {
            assert!(
                check("/v1/x", &format!("/v1/{good}"), None).is_ok(),
                "{good:?}"
            );
        }
    }
}

//! Text as terminals paste it, made into what a step's input takes. Terminals send a
//! pasted newline as CR (bracketed paste keeps what the terminal sends), files and other
//! programs as LF or CRLF: all three are one line break here. A form learns which of its
//! fields each pasted value is for.

use crate::lab::model::Field;

/// CR, CRLF and LF, each made one LF.
pub fn with_lf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Where a paste's values go in a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Field index and value, in the order pasted.
    pub values: Vec<(usize, String)>,
    /// The values replace the fields' contents (several values, or values named for
    /// their field); one bare line is inserted where the cursor is, as typing would.
    pub replace: bool,
    /// Lines with no field left for them.
    pub left_out: usize,
}

/// Places a paste in a form whose field `focused` has the cursor.
///
/// Lines that name a field (`export AWS_SECRET_ACCESS_KEY=…`, `secret_key = …`,
/// `"SecretAccessKey": "…",`) go to that field, wherever the cursor is; the other lines
/// of such a paste (a `[default]`, a `{`) are left out. Otherwise one line goes to the
/// focused field, and several fill the form in its order from its first field, a line
/// each: a key pair pasted on two lines fills the access key and the secret key, never one
/// field with both, whichever field had the cursor.
pub fn place(fields: &[Field], focused: usize, text: &str) -> Placement {
    let text = with_lf(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let mut named = Vec::new();
    let mut bare = Vec::new();
    for line in lines {
        match named_value(fields, line) {
            Some(value) => named.push(value),
            None => bare.push(line),
        }
    }
    if named.is_empty() && bare.len() <= 1 {
        return Placement {
            values: bare
                .iter()
                .map(|line| (focused, (*line).to_owned()))
                .collect(),
            replace: false,
            left_out: 0,
        };
    }
    if !named.is_empty() {
        return Placement {
            values: named,
            replace: true,
            left_out: bare.len(),
        };
    }
    let left_out = bare.len().saturating_sub(fields.len());
    Placement {
        values: bare
            .into_iter()
            .zip(0..fields.len())
            .map(|(line, index)| (index, line.to_owned()))
            .collect(),
        replace: true,
        left_out,
    }
}

/// The field a `NAME=value` (or `NAME = value`, `"Name": "value",`) line names, by the
/// field's name or one it is known as, without regard to case; and the value, unquoted.
fn named_value(fields: &[Field], line: &str) -> Option<(usize, String)> {
    let line = line.strip_prefix("export ").unwrap_or(line);
    let split = line.find(['=', ':'])?;
    let name = unquoted(line[..split].trim());
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        return None;
    }
    let index = fields.iter().position(|field| {
        field.name.eq_ignore_ascii_case(name)
            || field.known_as.iter().any(|n| n.eq_ignore_ascii_case(name))
    })?;
    let value = line[split + 1..].trim();
    let value = unquoted(value.strip_suffix(',').unwrap_or(value).trim());
    Some((index, value.to_owned()))
}

/// Text without the one pair of quotes (single or double) around it, if it has them.
fn unquoted(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<Field> {
        let field = |name: &str, secret: bool, known_as: &[&str]| Field {
            name: name.to_owned(),
            label: name.to_owned(),
            secret,
            default: String::new(),
            known_as: known_as.iter().map(|n| (*n).to_owned()).collect(),
        };
        vec![
            field("access_key", false, &["AWS_ACCESS_KEY_ID", "AccessKeyId"]),
            field(
                "secret_key",
                true,
                &["AWS_SECRET_ACCESS_KEY", "SecretAccessKey"],
            ),
            field("region", false, &["AWS_REGION", "AWS_DEFAULT_REGION"]),
        ]
    }

    fn values(placement: &Placement) -> Vec<(usize, &str)> {
        placement
            .values
            .iter()
            .map(|(i, v)| (*i, v.as_str()))
            .collect()
    }

    #[test]
    fn cr_crlf_and_lf_are_each_one_line_break() {
        assert_eq!(with_lf("a\rb\r\nc\nd"), "a\nb\nc\nd");
        assert_eq!(with_lf("a\r\rb"), "a\n\nb");
    }

    #[test]
    fn a_key_pair_on_two_lines_fills_two_fields_whatever_the_line_ends_and_the_focus() {
        for text in ["AKIAX\rSECRET", "AKIAX\r\nSECRET\r\n", "AKIAX\nSECRET"] {
            for focused in 0..3 {
                let placement = place(&fields(), focused, text);
                assert_eq!(
                    values(&placement),
                    [(0, "AKIAX"), (1, "SECRET")],
                    "{text:?} at field {focused}"
                );
                assert!(placement.replace);
            }
        }
    }

    #[test]
    fn one_bare_line_goes_to_the_focused_field_where_the_cursor_is() {
        let placement = place(&fields(), 2, "  eu-west-1\r");
        assert_eq!(values(&placement), [(2, "eu-west-1")]);
        assert!(!placement.replace);
    }

    #[test]
    fn lines_that_name_their_field_go_there_in_any_form_they_are_written() {
        let exports = "export AWS_SECRET_ACCESS_KEY=SECRET\rexport AWS_ACCESS_KEY_ID=AKIAX\rexport AWS_REGION=eu-west-1\r";
        assert_eq!(
            values(&place(&fields(), 0, exports)),
            [(1, "SECRET"), (0, "AKIAX"), (2, "eu-west-1")]
        );
        let credentials_file =
            "[default]\naws_access_key_id = AKIAX\naws_secret_access_key = SECRET\n";
        let placement = place(&fields(), 0, credentials_file);
        assert_eq!(values(&placement), [(0, "AKIAX"), (1, "SECRET")]);
        assert_eq!(placement.left_out, 1, "[default] names no field");
        let create_access_key = "\"AccessKeyId\": \"AKIAX\",\n\"SecretAccessKey\": \"SECRET\",";
        assert_eq!(
            values(&place(&fields(), 2, create_access_key)),
            [(0, "AKIAX"), (1, "SECRET")]
        );
        // One named line goes to its field, wherever the cursor is.
        let placement = place(&fields(), 0, "AWS_SECRET_ACCESS_KEY='SECRET'");
        assert_eq!(values(&placement), [(1, "SECRET")]);
        assert!(placement.replace);
    }

    #[test]
    fn a_value_with_an_equals_sign_is_not_taken_for_a_name() {
        let placement = place(&fields(), 1, "abc/def+ghi=");
        assert_eq!(values(&placement), [(1, "abc/def+ghi=")]);
    }

    #[test]
    fn lines_beyond_the_fields_are_left_out_and_counted() {
        let placement = place(&fields(), 0, "a\nb\nc\nd");
        assert_eq!(values(&placement), [(0, "a"), (1, "b"), (2, "c")]);
        assert_eq!(placement.left_out, 1);
    }
}

//! JSON laid out for editing: Vault keeps a policy as one compact line; the editor shows
//! it a member per line, indented by two, in the document's own order (a parse into
//! `serde_json::Value` would sort the keys).

/// `text` re-indented, or `None` when it is not JSON.
pub fn indent(text: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(text).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays `{}` / `[]`.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if let Some(&close @ ('}' | ']')) = chars.peek() {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::indent;

    #[test]
    fn a_compact_policy_is_laid_out_in_its_own_order() {
        let compact = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"],"Condition":{}}]}"#;
        assert_eq!(
            indent(compact).unwrap(),
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ec2:DescribeInstances"
      ],
      "Resource": [
        "*"
      ],
      "Condition": {}
    }
  ]
}"#
        );
    }

    #[test]
    fn strings_keep_their_punctuation_and_escapes() {
        let text = r#"{"a":"x, {y}: \"z\" [w]","b":[ ]}"#;
        assert_eq!(
            indent(text).unwrap(),
            "{\n  \"a\": \"x, {y}: \\\"z\\\" [w]\",\n  \"b\": []\n}"
        );
        assert_eq!(indent("not json"), None);
    }
}

//! Checking a database role's creation statements as the learner types them, for Vault's
//! PostgreSQL plugin. First the quoting (strings, quoted names, `$$` blocks, comments and
//! parentheses all closed), with the line and column of the first mistake; then what the
//! plugin and PostgreSQL need: statements at all, a `CREATE ROLE … LOGIN`, the
//! placeholders Vault fills in (`{{name}}`, `{{password}}`, `{{expiration}}`, exactly so
//! written) quoted the way PostgreSQL reads them, and no `;` where Vault would cut a
//! statement in two.
//!
//! What the plugin does with the text (OpenBao's and Vault's `postgresql` plugin): it
//! replaces `{{name}}` (and its alias `{{username}}`), `{{password}}` and
//! `{{expiration}}` wherever they appear, as plain text; then, unless the text holds the
//! word `END` (a `DO $$ … END $$` block), it cuts it at every `;`, quotes or not, and runs
//! the pieces in one transaction. The names it makes look like
//! `v-token-my-role-x3…-1700000000`: the `-` makes a bare name a syntax error.
//!
//! Not modelled: whether the SQL is valid beyond its quoting (PostgreSQL says that when
//! Vault runs it), `E'…'` strings' other escapes, and identifiers in other scripts.

use super::{DocumentCheck, Issue, Position, Severity, SyntaxError};

/// The placeholders the plugin fills in when it creates a role.
const NAME: &str = "name";
const USERNAME: &str = "username";
const PASSWORD: &str = "password";
const EXPIRATION: &str = "expiration";
const PLACEHOLDERS: [&str; 4] = [NAME, USERNAME, PASSWORD, EXPIRATION];

pub fn check_statements(text: &str) -> DocumentCheck {
    match scan(text) {
        Err(error) => DocumentCheck::NotParsed(error),
        Ok(segments) => DocumentCheck::Parsed {
            issues: Lint::new(text, &segments).issues(),
        },
    }
}

/// What a stretch of the text is, as PostgreSQL reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    /// `'…'`: a string.
    Single,
    /// `"…"`: a quoted name.
    Double,
    /// `$tag$…$tag$`: a string without escapes, the body of a `DO` block or a function.
    Dollar,
    /// `-- …` or `/* … */`.
    Comment,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    kind: Kind,
    start: usize,
    end: usize,
}

/// The 1-based line and byte column of `offset`.
fn position(text: &str, offset: usize) -> Position {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    Position { line, column }
}

fn syntax_error(text: &str, offset: usize, message: &str) -> SyntaxError {
    let Position { line, column } = position(text, offset);
    SyntaxError {
        line,
        column,
        message: message.to_owned(),
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The tag of a dollar quote starting at `at` (`$$` or `$tag$`), with its length.
fn dollar_tag(bytes: &[u8], at: usize) -> Option<usize> {
    // `$1` is a parameter, and `a$b` part of a name: neither opens a quote.
    if at > 0 && is_word_byte(bytes[at - 1]) {
        return None;
    }
    let mut end = at + 1;
    while end < bytes.len() && is_word_byte(bytes[end]) {
        end += 1;
    }
    let tag_starts_with_digit = end > at + 1 && bytes[at + 1].is_ascii_digit();
    (end < bytes.len() && bytes[end] == b'$' && !tag_starts_with_digit).then_some(end + 1 - at)
}

/// Splits the text into code, strings, quoted names, dollar quotes and comments; the
/// first quote, comment or parenthesis left open (or a `)` closing nothing) is an error.
fn scan(text: &str) -> Result<Vec<Segment>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut open_parens = Vec::new();
    let mut code_start = 0;
    let mut i = 0;
    let push = |segments: &mut Vec<Segment>, kind, start, end| {
        if end > start {
            segments.push(Segment { kind, start, end });
        }
    };
    while i < bytes.len() {
        let (kind, end) = match bytes[i] {
            b'\'' => {
                // E'…' strings take backslash escapes.
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'E' | b'e')
                    && (i < 2 || !is_word_byte(bytes[i - 2]));
                match closing_quote(bytes, i, b'\'', escapes) {
                    Some(end) => (Kind::Single, end),
                    None => {
                        return Err(never_closed(
                            text,
                            &segments,
                            i,
                            Kind::Single,
                            "this string is never closed: a ' needs its closing '",
                        ));
                    }
                }
            }
            b'"' => match closing_quote(bytes, i, b'"', false) {
                Some(end) => (Kind::Double, end),
                None => {
                    return Err(never_closed(
                        text,
                        &segments,
                        i,
                        Kind::Double,
                        "this quoted name is never closed: a \" needs its closing \"",
                    ));
                }
            },
            b'$' => match dollar_tag(bytes, i) {
                Some(len) => {
                    let tag = &text[i..i + len];
                    match text[i + len..].find(tag) {
                        Some(at) => (Kind::Dollar, i + len + at + len),
                        None => {
                            return Err(syntax_error(
                                text,
                                i,
                                &format!(
                                    "this {tag} block is never closed: it needs a second {tag}"
                                ),
                            ));
                        }
                    }
                }
                None => {
                    i += 1;
                    continue;
                }
            },
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                (Kind::Comment, end)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match closing_comment(bytes, i) {
                Some(end) => (Kind::Comment, end),
                None => {
                    return Err(syntax_error(
                        text,
                        i,
                        "this comment is never closed: a /* needs its */",
                    ));
                }
            },
            b'(' => {
                open_parens.push(i);
                i += 1;
                continue;
            }
            b')' => {
                if open_parens.pop().is_none() {
                    return Err(syntax_error(
                        text,
                        i,
                        "this ) closes nothing: there is no ( before it",
                    ));
                }
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        push(&mut segments, Kind::Code, code_start, i);
        push(&mut segments, kind, i, end);
        i = end;
        code_start = end;
    }
    push(&mut segments, Kind::Code, code_start, bytes.len());
    match open_parens.last() {
        Some(&open) => Err(syntax_error(
            text,
            open,
            "this ( is never closed: it needs its )",
        )),
        None => Ok(segments),
    }
}

/// A quote never closed, opened at `at`. A quote left open earlier pairs with the next
/// one and shifts every pair after it, so the one left over is only where the mistake
/// shows: the first quoted stretch of the same kind that runs past its line's end is
/// where it was made (a name or a string of the lab's spans one line).
fn never_closed(
    text: &str,
    segments: &[Segment],
    at: usize,
    kind: Kind,
    message: &str,
) -> SyntaxError {
    let across_lines = segments
        .iter()
        .find(|s| s.kind == kind && text[s.start..s.end].contains('\n'));
    match (across_lines, kind) {
        (Some(earlier), Kind::Double) => syntax_error(
            text,
            earlier.start,
            "this quoted name runs on past its line, and a \" after it is never closed: is its closing \" missing here?",
        ),
        (Some(earlier), _) => syntax_error(
            text,
            earlier.start,
            "this string runs on past its line, and a ' after it is never closed: is its closing ' missing here?",
        ),
        (None, _) => syntax_error(text, at, message),
    }
}

/// The end (past the closing quote) of a quote opened at `open`; a doubled quote is one
/// quote character inside.
fn closing_quote(bytes: &[u8], open: usize, quote: u8, escapes: bool) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end of a block comment opened at `open`; PostgreSQL's nest.
fn closing_comment(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A word PostgreSQL would read as a keyword or a name, outside strings and comments.
struct Word<'a> {
    text: &'a str,
    at: usize,
}

/// The findings about a scanned text.
struct Lint<'a> {
    text: &'a str,
    segments: &'a [Segment],
    issues: Vec<Issue>,
}

impl<'a> Lint<'a> {
    fn new(text: &'a str, segments: &'a [Segment]) -> Self {
        Self {
            text,
            segments,
            issues: Vec::new(),
        }
    }

    fn add(&mut self, severity: Severity, offset: usize, message: String) {
        self.issues.push(Issue {
            severity,
            message,
            at: Some(position(self.text, offset)),
        });
    }

    fn kind_at(&self, offset: usize) -> Kind {
        self.segments
            .iter()
            .find(|s| (s.start..s.end).contains(&offset))
            .map_or(Kind::Code, |s| s.kind)
    }

    fn issues(mut self) -> Vec<Issue> {
        let statements = self.statements();
        if statements.iter().all(Vec::is_empty) {
            self.add(
                Severity::Error,
                0,
                "no statements: Vault needs at least the CREATE ROLE that makes the role"
                    .to_owned(),
            );
            return self.issues;
        }
        let create = self.check_create_role(&statements);
        self.check_placeholders(create);
        self.check_semicolons();
        self.check_missing_semicolons(&statements);
        self.issues
            .sort_by_key(|i| (i.severity, i.at.map(|p| (p.line, p.column))));
        self.issues
    }

    /// The words of each statement, as Vault cuts them (at a `;` outside quotes; a `$$`
    /// body's words and semicolons count too: a `DO` block's `CREATE ROLE` is in there).
    fn statements(&self) -> Vec<Vec<Word<'a>>> {
        let mut statements = vec![Vec::new()];
        for segment in self.segments {
            if !matches!(segment.kind, Kind::Code | Kind::Dollar) {
                continue;
            }
            let part = &self.text[segment.start..segment.end];
            let mut word_start = None;
            for (i, b) in part.bytes().enumerate().chain([(part.len(), b' ')]) {
                match (
                    is_word_byte(b) || (b == b'$' && word_start.is_some()),
                    word_start,
                ) {
                    (true, None) => word_start = Some(i),
                    (false, Some(start)) => {
                        word_start = None;
                        statements.last_mut().unwrap().push(Word {
                            text: &part[start..i],
                            at: segment.start + start,
                        });
                    }
                    _ => {}
                }
                if b == b';' && i < part.len() {
                    statements.push(Vec::new());
                }
            }
        }
        statements
    }

    /// A `CREATE ROLE … LOGIN` (or `CREATE USER`, which logs in unless told not to) is
    /// there; returns where the first `CREATE ROLE` is, to point at what it lacks.
    fn check_create_role(&mut self, statements: &[Vec<Word>]) -> Option<usize> {
        let mut first = None;
        let mut can_log_in = false;
        let mut lacking = None;
        for words in statements {
            let Some(create) = words.windows(2).position(|pair| {
                pair[0].text.eq_ignore_ascii_case("CREATE")
                    && (pair[1].text.eq_ignore_ascii_case("ROLE")
                        || pair[1].text.eq_ignore_ascii_case("USER"))
            }) else {
                continue;
            };
            let at = words[create].at;
            first.get_or_insert(at);
            let user = words[create + 1].text.eq_ignore_ascii_case("USER");
            let options = &words[create + 2..];
            let has = |option: &str| options.iter().find(|w| w.text.eq_ignore_ascii_case(option));
            if let Some(superuser) = has("SUPERUSER") {
                self.add(
                    Severity::Warning,
                    superuser.at,
                    "SUPERUSER: every password Vault hands out could then do anything here; grant the role only what it needs".to_owned(),
                );
            }
            if let Some(nologin) = has("NOLOGIN") {
                lacking.get_or_insert((nologin.at, "NOLOGIN"));
            } else if user || has("LOGIN").is_some() {
                can_log_in = true;
            } else {
                lacking.get_or_insert((at, "no LOGIN"));
            }
        }
        match (first, can_log_in, lacking) {
            (None, _, _) => self.add(
                Severity::Error,
                0,
                "no CREATE ROLE: Vault runs these statements to make the role; start with CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';".to_owned(),
            ),
            (Some(_), false, Some((at, why))) => self.add(
                Severity::Error,
                at,
                format!("{why}: the role could not log in with the password Vault hands out; write CREATE ROLE \"{{{{name}}}}\" WITH LOGIN …"),
            ),
            _ => {}
        }
        first
    }

    /// Every `{{…}}` is one Vault fills in, written as it fills it in and quoted as
    /// PostgreSQL needs; the name and the password are there; the expiration should be.
    fn check_placeholders(&mut self, create: Option<usize>) {
        let text = self.text;
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(open) = text[from..].find("{{").map(|i| from + i) {
            // A placeholder ends on its line, before any quote or brace of another.
            let stretch = text[open + 2..]
                .find(['\n', '{', '\'', '"', ';'])
                .map_or(text.len(), |n| open + 2 + n);
            let Some(close) = text[open + 2..stretch].find("}}").map(|i| open + 2 + i) else {
                self.add(
                    Severity::Error,
                    open,
                    "{{ without its }}: Vault fills in {{name}}, {{password}} and {{expiration}}"
                        .to_owned(),
                );
                from = open + 2;
                continue;
            };
            from = close + 2;
            let inside = &text[open + 2..close];
            let name = inside.trim();
            let kind = self.kind_at(open);
            if !PLACEHOLDERS.contains(&name) {
                self.add(
                    Severity::Error,
                    open,
                    format!("{{{{{inside}}}}} is not something Vault fills in: use {{{{name}}}}, {{{{password}}}} or {{{{expiration}}}}"),
                );
                continue;
            }
            if inside != name {
                self.add(
                    Severity::Error,
                    open,
                    format!("{{{{{inside}}}}}: Vault fills in {{{{{name}}}}} only written without spaces; this one would reach PostgreSQL as it is"),
                );
                continue;
            }
            if kind == Kind::Comment {
                continue;
            }
            found.push(name);
            self.check_quoting(name, kind, open);
        }
        self.check_single_braces();
        let at = create.unwrap_or(0);
        if !found.iter().any(|n| *n == NAME || *n == USERNAME) {
            self.add(
                Severity::Error,
                at,
                "no {{name}}: each role Vault makes needs a name of its own; write CREATE ROLE \"{{name}}\"".to_owned(),
            );
        }
        if !found.contains(&PASSWORD) {
            self.add(
                Severity::Error,
                at,
                "no {{password}}: the password Vault hands out would not be the role's; write PASSWORD '{{password}}'".to_owned(),
            );
        }
        if !found.contains(&EXPIRATION) {
            self.add(
                Severity::Warning,
                at,
                "no {{expiration}}: the password then works until Vault drops the role; VALID UNTIL '{{expiration}}' has PostgreSQL refuse it after the lease ends too".to_owned(),
            );
        }
    }

    /// The name is an identifier (double quotes: Vault's names contain `-`); the password
    /// and the expiration are strings (single quotes). Inside a `$$` block they may be
    /// anything: code there builds its statements itself.
    fn check_quoting(&mut self, name: &str, kind: Kind, at: usize) {
        let message = match (name, kind) {
            (_, Kind::Dollar) => return,
            (NAME | USERNAME, Kind::Code) => format!(
                "{{{{{name}}}}} needs double quotes, \"{{{{{name}}}}}\": the names Vault makes contain -, which PostgreSQL reads as a minus"
            ),
            (PASSWORD | EXPIRATION, Kind::Code) => format!(
                "{{{{{name}}}}} needs single quotes, '{{{{{name}}}}}': PostgreSQL expects a string there"
            ),
            (PASSWORD | EXPIRATION, Kind::Double) => format!(
                "{{{{{name}}}}} goes in single quotes, '{{{{{name}}}}}': in double quotes PostgreSQL reads it as a name"
            ),
            _ => return,
        };
        self.add(Severity::Error, at, message);
    }

    /// `{name}` with one brace each side: the lab's own placeholders look like that, and
    /// Vault's do not.
    fn check_single_braces(&mut self) {
        let text = self.text;
        for (open, _) in text.match_indices('{') {
            let doubled = text[..open].ends_with('{') || text[open + 1..].starts_with('{');
            if doubled {
                continue;
            }
            for name in PLACEHOLDERS {
                if text[open + 1..].starts_with(name)
                    && text[open + 1 + name.len()..].starts_with('}')
                {
                    self.add(
                        Severity::Error,
                        open,
                        format!(
                            "{{{name}}} has one brace each side: Vault fills in {{{{{name}}}}}"
                        ),
                    );
                }
            }
        }
    }

    /// A statement's first word at the start of a line, inside another statement: the `;`
    /// before it is likely missing (PostgreSQL then reads both as one, and fails at this
    /// word). `ALTER DEFAULT PRIVILEGES … GRANT` and `CREATE SCHEMA … CREATE` are one
    /// statement each, and a `DO` block's body is its own.
    fn check_missing_semicolons(&mut self, statements: &[Vec<Word>]) {
        const STARTS: [&str; 5] = ["CREATE", "GRANT", "REVOKE", "ALTER", "DROP"];
        let mut found = Vec::new();
        for words in statements {
            let is = |i: usize, word: &str| {
                words
                    .get(i)
                    .is_some_and(|w| w.text.eq_ignore_ascii_case(word))
            };
            let nests =
                (is(0, "ALTER") && is(1, "DEFAULT")) || (is(0, "CREATE") && is(1, "SCHEMA"));
            if nests || is(0, "DO") {
                continue;
            }
            let line_start = |at: usize| {
                let before = &self.text[..at];
                let line = before.rfind('\n').map_or(before, |n| &before[n + 1..]);
                line.trim().is_empty()
            };
            if let Some(word) = words.iter().skip(1).find(|w| {
                STARTS.iter().any(|s| w.text.eq_ignore_ascii_case(s))
                    && self.kind_at(w.at) == Kind::Code
                    && line_start(w.at)
            }) {
                found.push((word.at, word.text.to_uppercase()));
            }
        }
        for (at, word) in found {
            self.add(
                Severity::Warning,
                at,
                format!(
                    "is a ; missing before this {word}? PostgreSQL reads everything up to the next ; as one statement, and would fail here"
                ),
            );
        }
    }

    /// Vault cuts the text at every `;`, even in a string or a comment, unless the text has
    /// the word END (a `DO $$ … END $$` block, which it runs whole).
    fn check_semicolons(&mut self) {
        let has_end = self.segments.iter().any(|s| {
            matches!(s.kind, Kind::Code | Kind::Dollar)
                && self.text[s.start..s.end]
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == "END")
        });
        if has_end {
            return;
        }
        let cut: Vec<usize> = self
            .segments
            .iter()
            .filter(|s| s.kind != Kind::Code)
            .flat_map(|s| {
                self.text[s.start..s.end]
                    .match_indices(';')
                    .map(move |(i, _)| s.start + i)
            })
            .collect();
        for at in cut {
            self.add(
                Severity::Error,
                at,
                "Vault cuts the statements at every ;, even in quotes or a comment: this one would split a statement in two".to_owned(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB_SQL: &str = include_str!("../../labs/dynamic-db-postgres/creation/read-only.sql");

    fn found(text: &str) -> Vec<(Severity, usize, usize, String)> {
        match check_statements(text) {
            DocumentCheck::Parsed { issues } => issues
                .into_iter()
                .map(|i| {
                    let at = i.at.expect("every SQL issue has a place");
                    (i.severity, at.line, at.column, i.message)
                })
                .collect(),
            other => panic!("expected the quoting to pass, got {other:?}"),
        }
    }

    fn syntax(text: &str) -> (usize, usize, String) {
        match check_statements(text) {
            DocumentCheck::NotParsed(e) => (e.line, e.column, e.message),
            other => panic!("expected a quoting error, got {other:?}"),
        }
    }

    fn errors(text: &str) -> Vec<String> {
        found(text)
            .into_iter()
            .filter(|f| f.0 == Severity::Error)
            .map(|f| f.3)
            .collect()
    }

    const GOOD: &str =
        "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";

    #[test]
    fn the_labs_statements_and_the_docs_example_are_clean() {
        assert_eq!(found(LAB_SQL), vec![]);
        assert_eq!(found(GOOD), vec![]);
        assert!(check_statements(GOOD).is_usable());
    }

    #[test]
    fn empty_statements_are_an_error_at_the_start() {
        for text in ["", "  \n\t", "-- just a comment\n", "/* nothing */ ;"] {
            let found = found(text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            assert_eq!((found[0].1, found[0].2), (1, 1));
            assert!(found[0].3.starts_with("no statements"), "{found:?}");
            assert!(!check_statements(text).is_usable());
        }
    }

    #[test]
    fn an_unclosed_string_points_at_its_opening_quote() {
        let text = "CREATE ROLE \"{{name}}\" WITH LOGIN\n  PASSWORD '{{password}};";
        let (line, column, message) = syntax(text);
        assert_eq!((line, column), (2, 12));
        assert!(message.contains("never closed"), "{message}");
        assert!(!check_statements(text).is_usable());
    }

    #[test]
    fn a_quote_left_open_early_is_shown_where_it_was_left_not_where_the_last_one_is() {
        let name = "GRANT x TO \"{{name}} (\nCREATE ROLE \"{{name}}\" WITH LOGIN\n  PASSWORD '{{password}}';";
        let (line, column, message) = syntax(name);
        assert_eq!((line, column), (1, 12), "{message}");
        assert!(message.contains("closing \" missing here"), "{message}");
        let string = "CREATE ROLE \"{{name}}\" WITH LOGIN\n  PASSWORD '{{password}}\n  VALID UNTIL '{{expiration}}';";
        let (line, column, message) = syntax(string);
        assert_eq!((line, column), (2, 12), "{message}");
        assert!(message.contains("closing ' missing here"), "{message}");
    }

    #[test]
    fn unclosed_names_dollar_blocks_and_comments_are_syntax_errors() {
        assert_eq!(syntax("CREATE ROLE \"{{name}} LOGIN;").0, 1);
        assert_eq!(syntax("CREATE ROLE \"{{name}} LOGIN;").1, 13);
        let (line, column, message) = syntax("DO $body$\nBEGIN\n");
        assert_eq!((line, column), (1, 4));
        assert!(message.contains("$body$"), "{message}");
        assert_eq!(syntax("SELECT 1; /* open\n").1, 11);
    }

    #[test]
    fn parentheses_must_balance_and_quoted_ones_do_not_count() {
        let (line, column, message) = syntax(&format!(
            "{GOOD}\nGRANT SELECT ON t TO \"{{{{name}}}}\" (x;"
        ));
        assert_eq!((line, column), (2, 33));
        assert!(message.contains("( is never closed"), "{message}");
        let (_, column, message) = syntax("SELECT 1);");
        assert_eq!(column, 9);
        assert!(message.contains("closes nothing"), "{message}");
        assert_eq!(
            found(&format!(
                "{GOOD} COMMENT ON ROLE \"{{{{name}}}}\" IS ':-)';"
            )),
            vec![]
        );
    }

    #[test]
    fn doubled_quotes_are_one_quote_inside() {
        let text = format!("{GOOD}\nCOMMENT ON ROLE \"{{{{name}}}}\" IS 'Vault''s role';");
        assert_eq!(found(&text), vec![]);
        let text = format!("{GOOD}\nCOMMENT ON ROLE \"{{{{name}}}}\" IS E'Vault\\'s role';");
        assert_eq!(found(&text), vec![]);
    }

    #[test]
    fn a_role_that_cannot_log_in_is_an_error_at_its_create() {
        let text = "\n  CREATE ROLE \"{{name}}\" WITH PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";
        let found = found(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].1, found[0].2), (2, 3));
        assert!(found[0].3.starts_with("no LOGIN"), "{found:?}");
        let nologin = "CREATE USER \"{{name}}\" NOLOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";
        assert!(errors(nologin)[0].starts_with("NOLOGIN"));
        // CREATE USER logs in unless told not to.
        assert_eq!(
            errors(
                "CREATE USER \"{{name}}\" PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn no_create_role_at_all_is_an_error() {
        let errors = errors("GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";");
        assert!(
            errors.iter().any(|e| e.starts_with("no CREATE ROLE")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("no {{password}}")),
            "{errors:?}"
        );
    }

    #[test]
    fn missing_placeholders_are_named_at_the_create_role() {
        let found = found("CREATE ROLE \"vault-user\" WITH LOGIN;");
        let messages: Vec<(Severity, &str)> = found.iter().map(|f| (f.0, f.3.as_str())).collect();
        assert!(
            messages
                .iter()
                .any(|(s, m)| *s == Severity::Error && m.starts_with("no {{name}}"))
        );
        assert!(
            messages
                .iter()
                .any(|(s, m)| *s == Severity::Error && m.starts_with("no {{password}}"))
        );
        assert!(
            messages
                .iter()
                .any(|(s, m)| *s == Severity::Warning && m.starts_with("no {{expiration}}"))
        );
        assert!(found.iter().all(|f| (f.1, f.2) == (1, 1)), "{found:?}");
        // Without an expiration the role still works: a warning only.
        let text = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}';";
        assert!(check_statements(text).is_usable());
        assert_eq!(found_severities(text), vec![Severity::Warning]);
        // {{username}} is the plugin's other spelling of {{name}}.
        let text = "CREATE ROLE \"{{username}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";
        assert_eq!(found_severities(text), vec![]);
    }

    fn found_severities(text: &str) -> Vec<Severity> {
        found(text).into_iter().map(|f| f.0).collect()
    }

    #[test]
    fn placeholders_must_be_quoted_as_postgresql_reads_them() {
        let found = found(
            "CREATE ROLE {{name}} WITH LOGIN PASSWORD {{password}} VALID UNTIL \"{{expiration}}\";",
        );
        let at: Vec<(usize, &str)> = found.iter().map(|f| (f.2, f.3.as_str())).collect();
        assert!(
            at.iter()
                .any(|(c, m)| *c == 13 && m.contains("needs double quotes")),
            "{at:?}"
        );
        assert!(
            at.iter()
                .any(|(c, m)| *c == 42 && m.contains("needs single quotes")),
            "{at:?}"
        );
        assert!(
            at.iter()
                .any(|(c, m)| *c == 68
                    && m.contains("in double quotes PostgreSQL reads it as a name")),
            "{at:?}"
        );
    }

    #[test]
    fn misspelt_and_spaced_placeholders_are_errors_where_they_are() {
        let text = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{ password }}' VALID UNTIL '{{expires}}';\nGRANT r TO \"{name}\";";
        let found = found(text);
        let at: Vec<(usize, usize, &str)> =
            found.iter().map(|f| (f.1, f.2, f.3.as_str())).collect();
        assert!(
            at.iter()
                .any(|(l, c, m)| (*l, *c) == (1, 45) && m.contains("without spaces")),
            "{at:?}"
        );
        assert!(
            at.iter().any(|(l, c, m)| (*l, *c) == (1, 74)
                && m.contains("{{expires}} is not something Vault fills in")),
            "{at:?}"
        );
        assert!(
            at.iter()
                .any(|(l, c, m)| (*l, *c) == (2, 13) && m.contains("one brace each side")),
            "{at:?}"
        );
        let unclosed = errors("CREATE ROLE \"{{name\" LOGIN PASSWORD '{{password}}';");
        assert!(
            unclosed.iter().any(|m| m.contains("without its }}")),
            "{unclosed:?}"
        );
    }

    #[test]
    fn a_semicolon_vault_would_cut_at_is_an_error_unless_the_block_has_end() {
        let text = format!("{GOOD}\nCOMMENT ON ROLE \"{{{{name}}}}\" IS 'made; by Vault';");
        let found = found(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].1, found[0].2), (2, 36));
        assert!(found[0].3.contains("cuts the statements at every ;"));
        let block = "DO $$\nBEGIN\n  CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';\nEND\n$$;";
        assert_eq!(found_severities(block), vec![]);
    }

    #[test]
    fn a_missing_semicolon_between_statements_is_shown_at_the_next_statement() {
        let text = "CREATE ROLE \"{{name}}\" WITH LOGIN\n  PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";";
        let found = found(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0, found[0].1, found[0].2),
            (Severity::Warning, 3, 1)
        );
        assert!(
            found[0].3.contains("; missing before this GRANT"),
            "{}",
            found[0].3
        );
        // One statement over several lines, and statements that hold others, are not.
        for fine in [
            "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}'\n  VALID UNTIL '{{expiration}}';\nGRANT SELECT\n  ON ALL TABLES IN SCHEMA public\n  TO \"{{name}}\";",
            "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';\nALTER DEFAULT PRIVILEGES IN SCHEMA public\n  GRANT SELECT ON TABLES TO \"{{name}}\";",
            "DO $$\nBEGIN\n  CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';\n  GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";\nEND\n$$;",
        ] {
            assert_eq!(found_severities(fine), Vec::<Severity>::new(), "{fine}");
        }
    }

    #[test]
    fn a_superuser_role_is_a_warning() {
        let text = "CREATE ROLE \"{{name}}\" WITH SUPERUSER LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";
        let found = found(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Warning);
        assert_eq!(found[0].2, 29);
    }

    #[test]
    fn the_editor_is_sent_to_the_first_error() {
        let text =
            "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}';\nGRANT x TO {{name}};";
        let at = check_statements(text).first_error().expect("an error");
        assert_eq!((at.line, at.column), (2, 12));
    }
}

//! Checkers for the documents a lab's editor holds, run as the learner types: the syntax
//! first (with the line and column of the first mistake, where the editor can jump), then
//! the grammar the service expects. A lab names its checker (`checker = "iam-policy"`,
//! `checker = "sql"`).

pub mod iam_policy;
pub mod json_layout;
pub mod sql;

/// A document's syntax error, where the editor can jump to it. Lines and columns count
/// from 1; the column in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The service would refuse the document.
    Error,
    /// Accepted, but probably not what the learner meant.
    Warning,
}

/// A place in a document: line and column count from 1, the column in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub message: String,
    /// Where the mistake is, when it is in one place (the editor can jump there).
    pub at: Option<Position>,
}

/// What a checker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentCheck {
    NotParsed(SyntaxError),
    Parsed { issues: Vec<Issue> },
}

impl DocumentCheck {
    /// Where the editor should take the learner: the syntax error, else the first error
    /// that is in one place.
    pub fn first_error(&self) -> Option<Position> {
        match self {
            DocumentCheck::NotParsed(error) => Some(Position {
                line: error.line,
                column: error.column,
            }),
            DocumentCheck::Parsed { issues } => issues
                .iter()
                .filter(|i| i.severity == Severity::Error)
                .find_map(|i| i.at),
        }
    }

    /// Whether the service would take the document.
    pub fn is_usable(&self) -> bool {
        match self {
            DocumentCheck::NotParsed(_) => false,
            DocumentCheck::Parsed { issues } => {
                issues.iter().all(|i| i.severity != Severity::Error)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checker {
    /// An AWS IAM policy document: JSON, then IAM's policy grammar.
    IamPolicy,
    /// A database role's creation statements for Vault's PostgreSQL plugin: quoting,
    /// then what Vault and PostgreSQL need of them.
    Sql,
}

impl Checker {
    /// The name a lab file gives it.
    pub fn parse(name: &str) -> Option<Checker> {
        match name {
            "iam-policy" => Some(Checker::IamPolicy),
            "sql" => Some(Checker::Sql),
            _ => None,
        }
    }

    pub fn names() -> &'static [&'static str] {
        &["iam-policy", "sql"]
    }

    pub fn check(self, text: &str) -> DocumentCheck {
        match self {
            Checker::IamPolicy => iam_policy::check_policy(text),
            Checker::Sql => sql::check_statements(text),
        }
    }

    /// The document as a command line shows it: JSON on one line, without the whitespace
    /// between its tokens (see `iam_policy::compact`); SQL as typed.
    pub fn compact(self, text: &str) -> String {
        match self {
            Checker::IamPolicy => iam_policy::compact(text),
            // Statements keep their lines: a quoted argument may span them, and the
            // plugin splits on `;`, not on line ends.
            Checker::Sql => text.to_owned(),
        }
    }

    /// The syntax's name (`JSON`): "✓ valid JSON".
    pub fn syntax(self) -> &'static str {
        match self {
            Checker::IamPolicy => "JSON",
            // Quotes, parentheses and comments: what can be checked without PostgreSQL.
            Checker::Sql => "SQL quoting",
        }
    }

    /// A document as a server keeps it (JSON on one compact line), laid out for editing.
    pub fn laid_out(self, text: &str) -> String {
        match self {
            Checker::IamPolicy => json_layout::indent(text).unwrap_or_else(|| text.to_owned()),
            // Statements are kept as they were typed.
            Checker::Sql => text.to_owned(),
        }
    }

    /// Whether two texts are the same document, however laid out (JSON: the same value;
    /// SQL: the same statements, each with its outer whitespace trimmed).
    pub fn same(self, a: &str, b: &str) -> bool {
        match self {
            Checker::IamPolicy => {
                let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
                match (parse(a), parse(b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a.trim() == b.trim(),
                }
            }
            Checker::Sql => {
                let statements = |text: &str| -> Vec<String> {
                    text.split(';')
                        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                        .filter(|s| !s.is_empty())
                        .collect()
                };
                statements(a) == statements(b)
            }
        }
    }

    /// The grammar's name: "✓ IAM policy grammar".
    pub fn grammar(self) -> &'static str {
        match self {
            Checker::IamPolicy => "IAM policy grammar",
            Checker::Sql => "Vault's creation statements",
        }
    }
}

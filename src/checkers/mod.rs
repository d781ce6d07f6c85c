//! Checkers for the documents a lab's editor holds, run as the learner types: the syntax
//! first (with the line and column of the first mistake, where the editor can jump), then
//! the grammar the service expects. A lab names its checker (`checker = "iam-policy"`).

pub mod iam_policy;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub message: String,
}

/// What a checker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentCheck {
    NotParsed(SyntaxError),
    Parsed { issues: Vec<Issue> },
}

impl DocumentCheck {
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
}

impl Checker {
    /// The name a lab file gives it.
    pub fn parse(name: &str) -> Option<Checker> {
        match name {
            "iam-policy" => Some(Checker::IamPolicy),
            _ => None,
        }
    }

    pub fn names() -> &'static [&'static str] {
        &["iam-policy"]
    }

    pub fn check(self, text: &str) -> DocumentCheck {
        match self {
            Checker::IamPolicy => iam_policy::check_policy(text),
        }
    }

    /// The document on one line, for a command line: JSON without the whitespace between
    /// its tokens (see `iam_policy::compact`).
    pub fn compact(self, text: &str) -> String {
        match self {
            Checker::IamPolicy => iam_policy::compact(text),
        }
    }

    /// The syntax's name (`JSON`): "✓ valid JSON".
    pub fn syntax(self) -> &'static str {
        match self {
            Checker::IamPolicy => "JSON",
        }
    }

    /// The grammar's name: "✓ IAM policy grammar".
    pub fn grammar(self) -> &'static str {
        match self {
            Checker::IamPolicy => "IAM policy grammar",
        }
    }
}

//! What a pane shows of a call: the request as the learner could have typed it and what
//! came back (secrets masked), and, when a step fails, why in words. Leaf types, made by
//! the app and by the engines alike.

/// A request as the learner could have typed it, and what came back (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exchange {
    pub curl: String,
    pub response: String,
}

/// What went wrong, in words for the learner: what failed, the server's own message,
/// and what to try next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub detail: String,
    pub hint: String,
}

impl Failure {
    pub fn new(
        what: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            what: what.into(),
            detail: detail.into(),
            hint: hint.into(),
        }
    }
}

//! A check's verdict, as `vaultlab doctor` prints it and the overview shows it. A leaf
//! type: the checks are run elsewhere (`doctor`), and shown by whoever asked.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Worth knowing; the lab can still run.
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    pub what: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(what: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::Pass,
            what: what.into(),
            fix: None,
        }
    }

    pub fn fail(what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::Fail,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn warn(what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::Warn,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Whether the lab can run: no check failed.
pub fn all_pass(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.verdict != Verdict::Fail)
}

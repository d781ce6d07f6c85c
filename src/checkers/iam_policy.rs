//! Checking an IAM policy document as the learner types it: JSON first (with the line and
//! column of the first mistake), then IAM's policy grammar (`vaultlab_wire::iam_policy`,
//! the sandbox's too), each mistake said in a learner's words.

use serde_json::Value;
use vaultlab_wire::iam_policy::{self as grammar, Element, OLD_VERSION, Statements, VERSION};

use super::{DocumentCheck, Issue as LintIssue, Severity, SyntaxError as JsonError};

pub fn check_policy(text: &str) -> DocumentCheck {
    match serde_json::from_str::<Value>(text) {
        Err(e) => DocumentCheck::NotParsed(JsonError {
            line: e.line().max(1),
            column: e.column().max(1),
            message: json_message(&e),
        }),
        Ok(document) => DocumentCheck::Parsed {
            issues: lint(&document),
        },
    }
}

/// serde_json's message without its own " at line L column C" tail: we show those apart.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn lint(document: &Value) -> Vec<LintIssue> {
    let mut issues = Vec::new();
    let error = |message: String| LintIssue {
        severity: Severity::Error,
        message,
    };
    let warning = |message: String| LintIssue {
        severity: Severity::Warning,
        message,
    };
    let Some(policy) = document.as_object() else {
        return vec![error(
            "a policy is a JSON object: { \"Version\": …, \"Statement\": […] }".into(),
        )];
    };
    match policy.get("Version").and_then(Value::as_str) {
        Some(VERSION) => {}
        Some(OLD_VERSION) => issues.push(warning(
            "Version 2008-10-17 is the old policy language: use 2012-10-17".into(),
        )),
        Some(other) => issues.push(error(format!(
            "Version {other:?} is not a policy language version: use \"2012-10-17\""
        ))),
        None => issues.push(warning(
            "no Version: AWS then reads the policy as the old 2008-10-17 language; add \"Version\": \"2012-10-17\"".into(),
        )),
    }
    let statements: Vec<&Value> = match grammar::statements(document) {
        Statements::List(list) => list,
        Statements::Malformed => {
            issues.push(error(
                "Statement must be an object or a list of objects".into(),
            ));
            return issues;
        }
        Statements::Missing => {
            issues.push(error("no Statement: a policy needs at least one".into()));
            return issues;
        }
    };
    if statements.is_empty() {
        issues.push(error(
            "Statement is empty: the policy allows nothing".into(),
        ));
    }
    for (index, statement) in statements.iter().enumerate() {
        let name = statement
            .get("Sid")
            .and_then(Value::as_str)
            .map(|sid| format!("statement {sid:?}"))
            .unwrap_or_else(|| format!("statement {}", index + 1));
        if !statement.is_object() {
            issues.push(error(format!("{name} is not an object")));
            continue;
        }
        match grammar::effect(statement) {
            Ok(_) => {}
            Err(Some(other)) => issues.push(error(format!(
                "{name}: Effect {other:?} must be \"Allow\" or \"Deny\" (case matters)"
            ))),
            Err(None) => issues.push(error(format!("{name}: no Effect (\"Allow\" or \"Deny\")"))),
        }
        match grammar::actions(statement) {
            Element::Neither => issues.push(error(format!("{name}: no Action"))),
            Element::Both(_) => issues.push(error(format!(
                "{name}: Action and NotAction cannot both be given"
            ))),
            Element::Positive(actions) | Element::Negative(actions) => {
                for action in grammar::names(actions) {
                    match action {
                        Some(action) if grammar::is_action(action) => {}
                        Some(action) => issues.push(error(format!(
                            "{name}: {action:?} is not an action: write service:Action, e.g. \"ec2:DescribeInstances\""
                        ))),
                        None => issues.push(error(format!(
                            "{name}: Action must be a string or a list of strings"
                        ))),
                    }
                }
            }
        }
        if grammar::resources(statement) == Element::Neither {
            issues.push(error(format!(
                "{name}: no Resource (use \"*\" for EC2's Describe actions)"
            )));
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB_POLICY: &str =
        include_str!("../../labs/dynamic-secrets-aws/policies/lab-ec2-all.json");

    fn issues(text: &str) -> Vec<String> {
        match check_policy(text) {
            DocumentCheck::Parsed { issues } => issues.into_iter().map(|i| i.message).collect(),
            other => panic!("expected JSON, got {other:?}"),
        }
    }

    #[test]
    fn the_labs_policy_is_clean() {
        assert_eq!(
            check_policy(LAB_POLICY),
            DocumentCheck::Parsed { issues: vec![] }
        );
        assert!(check_policy(LAB_POLICY).is_usable());
    }

    #[test]
    fn a_missing_comma_points_at_its_line_and_column() {
        let text = "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}";
        let DocumentCheck::NotParsed(error) = check_policy(text) else {
            panic!("not JSON");
        };
        assert_eq!((error.line, error.column), (3, 3));
        assert_eq!(error.message, "expected `,` or `}`");
    }

    #[test]
    fn an_empty_document_is_not_json_at_line_one() {
        let DocumentCheck::NotParsed(error) = check_policy("") else {
            panic!("not JSON");
        };
        assert_eq!(error.line, 1);
        assert!(!check_policy("").is_usable());
    }

    #[test]
    fn iam_grammar_mistakes_are_named() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"DescribeInstances"}]}"#;
        let found = issues(text);
        assert!(
            found.iter().any(|m| m.contains("Effect \"allow\"")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.contains("\"DescribeInstances\" is not an action")),
            "{found:?}"
        );
        assert!(found.iter().any(|m| m.contains("no Resource")), "{found:?}");
        assert!(!check_policy(text).is_usable());
    }

    #[test]
    fn a_missing_version_is_only_a_warning() {
        let text = r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#;
        let DocumentCheck::Parsed { issues } = check_policy(text) else {
            panic!("JSON");
        };
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].severity, Severity::Warning);
        assert!(check_policy(text).is_usable());
    }
}

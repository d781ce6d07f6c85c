//! Checking an IAM policy document as the learner types it: JSON first (with the line and
//! column of the first mistake), then IAM's policy grammar (`vaultlab_wire::iam_policy`,
//! the sandbox's too), each mistake said in a learner's words.

use serde_json::Value;
use vaultlab_wire::iam_policy::{self as grammar, ActionFault, OLD_VERSION, Statements, Violation};

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

/// Valid JSON without the whitespace between its tokens, its keys in the order written
/// (`serde_json::Value` would sort them). Text that is not JSON yet keeps its tokens as
/// typed, its lines trimmed and joined by a space: JSON's strings cannot span lines, so
/// the one line means what the lines meant, mistakes included.
pub fn compact(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
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
    // Warnings for what AWS still takes; the grammar's violations are errors.
    match document.get("Version").and_then(Value::as_str) {
        Some(OLD_VERSION) => issues.push(LintIssue {
            severity: Severity::Warning,
            message: "Version 2008-10-17 is the old policy language: use 2012-10-17".into(),
            at: None,
        }),
        None if document.is_object() && document.get("Version").is_none() => {
            issues.push(LintIssue {
                severity: Severity::Warning,
                message: "no Version: AWS then reads the policy as the old 2008-10-17 language; add \"Version\": \"2012-10-17\"".into(),
                at: None,
            });
        }
        _ => {}
    }
    issues.extend(
        grammar::violations(document)
            .iter()
            .map(|violation| LintIssue {
                severity: Severity::Error,
                message: in_learners_words(violation, document),
                at: None,
            }),
    );
    issues
}

/// A statement's name as the learner sees it: its Sid, else its place (from 1).
fn statement_name(document: &Value, index: usize) -> String {
    let statement = match grammar::statements(document) {
        Statements::List(list) => list.get(index).copied(),
        _ => None,
    };
    statement
        .and_then(|s| s.get("Sid"))
        .and_then(Value::as_str)
        .map(|sid| format!("statement {sid:?}"))
        .unwrap_or_else(|| format!("statement {}", index + 1))
}

/// The first action in the policy written as service:Action, for an example.
fn example_action(document: &Value) -> Option<&str> {
    let Statements::List(statements) = grammar::statements(document) else {
        return None;
    };
    statements.into_iter().find_map(|statement| {
        let (grammar::Element::Positive(value)
        | grammar::Element::Negative(value)
        | grammar::Element::Both(value)) = grammar::actions(statement)
        else {
            return None;
        };
        grammar::names(value)
            .into_iter()
            .flatten()
            .find(|a| a.contains(':') && grammar::is_action(a))
    })
}

fn in_learners_words(violation: &Violation, document: &Value) -> String {
    use Violation::*;
    let name = |index: usize| statement_name(document, index);
    match violation {
        NotAnObject => "a policy is a JSON object: { \"Version\": …, \"Statement\": […] }".into(),
        UnknownTopElement(key) => {
            format!("{key:?} is not a policy element: a policy has Version, Id and Statement")
        }
        UnknownVersion(other) => {
            format!("Version {other:?} is not a policy language version: use \"2012-10-17\"")
        }
        NoStatement => "no Statement: a policy needs at least one".into(),
        StatementMalformed => "Statement must be an object or a list of objects".into(),
        NoStatements => "Statement is empty: the policy allows nothing".into(),
        StatementNotAnObject(i) => format!("{} is not an object", name(*i)),
        UnknownElement(i, key) => format!(
            "{}: {key:?} is not a statement element (Sid, Effect, Action, NotAction, Resource, NotResource, Condition)",
            name(*i)
        ),
        NoEffect(i) => format!("{}: no Effect (\"Allow\" or \"Deny\")", name(*i)),
        BadEffect(i, word) => format!(
            "{}: Effect {word:?} must be \"Allow\" or \"Deny\" (case matters)",
            name(*i)
        ),
        BothActions(i) => format!("{}: Action and NotAction cannot both be given", name(*i)),
        NoAction(i) => format!("{}: no Action", name(*i)),
        ActionNotString(i) => format!("{}: Action must be a string or a list of strings", name(*i)),
        BadAction(i, action, fault) => {
            let why = match fault {
                ActionFault::NoService => "AWS refuses an action without its service",
                ActionFault::ManyColons => "an action has one colon",
                ActionFault::BadService => "a service name has letters, digits and - only",
                ActionFault::BadName => "it can match no action",
            };
            // The example is the learner's own, where the policy has a well-formed action
            // with a service: no service is taken for granted.
            let example = example_action(document)
                .map(|a| format!(", as {a:?} is"))
                .unwrap_or_default();
            format!(
                "{}: {action:?} is not an action ({why}): write service:Action{example}",
                name(*i)
            )
        }
        BothResources(i) => {
            format!(
                "{}: Resource and NotResource cannot both be given",
                name(*i)
            )
        }
        NoResource(i) => format!("{}: no Resource (\"*\" means every resource)", name(*i)),
        ResourceNotString(i) => {
            format!(
                "{}: Resource must be a string or a list of strings",
                name(*i)
            )
        }
    }
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
    fn a_policy_compacts_to_one_line_with_its_keys_in_order_and_strings_kept() {
        let one_line = compact(LAB_POLICY);
        assert!(!one_line.contains('\n'), "{one_line}");
        assert!(
            one_line.starts_with(r#"{"Version":"2012-10-17","Statement":[{"#),
            "{one_line}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&one_line).unwrap(),
            serde_json::from_str::<Value>(LAB_POLICY).unwrap()
        );
        let spaced = "{ \"Sid\": \"a b \\\" c\" }";
        assert_eq!(compact(spaced), "{\"Sid\":\"a b \\\" c\"}");
        assert_eq!(
            compact("{ not\n  json\n}\n"),
            "{ not json }",
            "one line, as typed"
        );
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
    fn an_action_without_its_service_is_shown_one_of_the_policys_own() {
        let message = |text: &str| {
            issues(text)
                .into_iter()
                .find(|m| m.contains("is not an action"))
                .unwrap()
        };
        let alone = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#;
        let said = message(alone);
        assert!(said.ends_with("write service:Action"), "{said}");
        assert!(
            !said.contains("ec2"),
            "no service is taken for granted: {said}"
        );
        let beside = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","GetObject"],"Resource":"*"}]}"#;
        let said = message(beside);
        assert!(said.ends_with(r#"as "s3:ListBucket" is"#), "{said}");
    }

    #[test]
    fn what_aws_refuses_is_an_error_in_the_editor_too() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Allow","Action":"ec2:*","Resource":"*","NotResource":"arn:x"}]}"#;
        let found = issues(text);
        assert_eq!(
            found,
            ["statement \"s\": Resource and NotResource cannot both be given"]
        );
        assert!(!check_policy(text).is_usable());
        let typo = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Actions":"ec2:*","Resource":"*"}]}"#;
        let found = issues(typo);
        assert!(
            found
                .iter()
                .any(|m| m.contains("\"Actions\" is not a statement element")),
            "{found:?}"
        );
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

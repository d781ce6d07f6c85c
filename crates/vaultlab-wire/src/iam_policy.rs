//! IAM's policy grammar, one for the lab's editor and its sandbox: the editor's checker
//! says what is wrong in a learner's words, the sandbox refuses a document in AWS's words
//! and evaluates it. Both read a document through these functions.
//!
//! A policy is a JSON object with an optional `Version` and a `Statement`: one object or a
//! list of them. A statement has an `Effect` (`Allow` or `Deny`; case matters), `Action` or
//! `NotAction` and `Resource` or `NotResource` (each a string or a list of strings), and
//! may have a `Condition`. An action is `*` or `service:Action`, where the action may use
//! `*` and `?`; AWS matches actions without regard to case, resources exactly.

use serde_json::Value;

/// The policy language the lab writes.
pub const VERSION: &str = "2012-10-17";
/// The old policy language, still accepted.
pub const OLD_VERSION: &str = "2008-10-17";

/// A policy's statements.
#[derive(Debug, Clone, PartialEq)]
pub enum Statements<'a> {
    /// No `Statement` at all.
    Missing,
    /// `Statement` is neither an object nor a list.
    Malformed,
    /// The statements, as given: one object, or a list (perhaps empty, perhaps holding
    /// things that are not objects).
    List(Vec<&'a Value>),
}

pub fn statements(policy: &Value) -> Statements<'_> {
    match policy.get("Statement") {
        None => Statements::Missing,
        Some(Value::Array(list)) => Statements::List(list.iter().collect()),
        Some(one @ Value::Object(_)) => Statements::List(vec![one]),
        Some(_) => Statements::Malformed,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A statement's effect; `Err(None)` when it has none (or not a string), `Err(Some(word))`
/// for a word that is not one (`allow`: case matters).
pub fn effect(statement: &Value) -> Result<Effect, Option<&str>> {
    match statement.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Ok(Effect::Allow),
        Some("Deny") => Ok(Effect::Deny),
        Some(other) => Err(Some(other)),
        None => Err(None),
    }
}

/// Which of a pair of elements a statement uses: `Action`/`NotAction` or
/// `Resource`/`NotResource`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element<'a> {
    Neither,
    /// Both given (AWS refuses it); the first counts where a decision must be made.
    Both(&'a Value),
    Positive(&'a Value),
    Negative(&'a Value),
}

fn element<'a>(statement: &'a Value, positive: &str, negative: &str) -> Element<'a> {
    match (statement.get(positive), statement.get(negative)) {
        (None, None) => Element::Neither,
        (Some(value), Some(_)) => Element::Both(value),
        (Some(value), None) => Element::Positive(value),
        (None, Some(value)) => Element::Negative(value),
    }
}

/// `Action` or `NotAction`.
pub fn actions(statement: &Value) -> Element<'_> {
    element(statement, "Action", "NotAction")
}

/// `Resource` or `NotResource`.
pub fn resources(statement: &Value) -> Element<'_> {
    element(statement, "Resource", "NotResource")
}

/// A statement with a `Condition`, which only AWS can evaluate.
pub fn has_condition(statement: &Value) -> bool {
    statement.get("Condition").is_some()
}

/// A string or a list of strings, as names; `None` for each element that is not a string
/// (and for a value that is neither).
pub fn names(value: &Value) -> Vec<Option<&str>> {
    match value {
        Value::String(s) => vec![Some(s.as_str())],
        Value::Array(list) => list.iter().map(Value::as_str).collect(),
        _ => vec![None],
    }
}

/// `*`, or `service:Action` where the action may use `*` and `?` wildcards.
pub fn is_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

/// Whether `candidate` matches one of the patterns (a string or a list of strings; other
/// elements match nothing). Actions match without regard to case, resources exactly.
pub fn matches_any(patterns: &Value, candidate: &str, case_sensitive: bool) -> bool {
    names(patterns).into_iter().flatten().any(|pattern| {
        if case_sensitive {
            wildcard_match(pattern, candidate)
        } else {
            wildcard_match(
                &pattern.to_ascii_lowercase(),
                &candidate.to_ascii_lowercase(),
            )
        }
    })
}

/// `*` matches any run (also empty), `?` exactly one character. Iterative, no recursion,
/// so hostile patterns cannot blow the stack.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statements_are_one_object_or_a_list() {
        let one = json!({"Statement": {"Effect": "Allow"}});
        assert!(matches!(statements(&one), Statements::List(s) if s.len() == 1));
        assert_eq!(statements(&json!({})), Statements::Missing);
        assert_eq!(
            statements(&json!({"Statement": "x"})),
            Statements::Malformed
        );
        assert_eq!(
            statements(&json!({"Statement": []})),
            Statements::List(vec![])
        );
    }

    #[test]
    fn effects_are_case_sensitive_and_elements_come_in_pairs() {
        assert_eq!(effect(&json!({"Effect": "Deny"})), Ok(Effect::Deny));
        assert_eq!(effect(&json!({"Effect": "allow"})), Err(Some("allow")));
        assert_eq!(effect(&json!({"Effect": 1})), Err(None));
        let both = json!({"Action": "a:b", "NotAction": "c:d"});
        assert_eq!(actions(&both), Element::Both(&json!("a:b")));
        assert_eq!(actions(&json!({})), Element::Neither);
        assert_eq!(
            resources(&json!({"NotResource": "*"})),
            Element::Negative(&json!("*"))
        );
    }

    #[test]
    fn actions_are_service_colon_name_with_wildcards() {
        assert!(is_action("ec2:*"));
        assert!(is_action("ec2:Describe*"));
        assert!(is_action("*"));
        assert!(is_action("resource-groups:Get?"));
        assert!(!is_action("ec2"));
        assert!(is_action("EC2:describeinstances"));
        assert!(!is_action("ec2 DescribeInstances"));
        assert!(!is_action("ec2:"));
    }

    #[test]
    fn patterns_match_with_wildcards_actions_without_case() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b?d", "axxbcd"));
        assert!(!wildcard_match("a*b?d", "axxbd"));
        assert!(wildcard_match("**a", "bba"));
        assert!(matches_any(
            &json!(["s3:*", "EC2:Describe*"]),
            "ec2:DescribeInstances",
            false
        ));
        assert!(!matches_any(&json!("arn:A"), "arn:a", true));
        assert!(!matches_any(&json!([1, null]), "x", false));
    }
}

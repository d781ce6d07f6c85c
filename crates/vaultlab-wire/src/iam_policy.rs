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
    action_fault(action).is_none()
}

/// What is wrong with an action's spelling, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionFault {
    /// No `service:` in front (`DescribeInstances`). AWS refuses it.
    NoService,
    /// More than one colon. AWS refuses it.
    ManyColons,
    /// A service name with characters AWS refuses (letters, digits, `-` and `.` only).
    BadService,
    /// A name AWS takes but that can match no action (empty, or with other characters
    /// than letters, digits and wildcards): only the editor points it out.
    BadName,
}

pub fn action_fault(action: &str) -> Option<ActionFault> {
    if action == "*" {
        return None;
    }
    let mut parts = action.split(':');
    let (Some(service), Some(name)) = (parts.next(), parts.next()) else {
        return Some(ActionFault::NoService);
    };
    if parts.next().is_some() {
        return Some(ActionFault::ManyColons);
    }
    // `*` alone stands for every service (`*:Describe*`), as AWS accepts.
    if service != "*"
        && (service.is_empty()
            || !service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Some(ActionFault::BadService);
    }
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
    (!name_ok).then_some(ActionFault::BadName)
}

/// The elements a statement may have.
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// The elements a policy may have at its top.
const TOP_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];

/// A way a document breaks IAM's policy grammar: the rules live here once, and the editor
/// and the sandbox each say them in their own words. Statements count from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    NotAnObject,
    UnknownTopElement(String),
    /// A `Version` that is neither policy language (or not a string).
    UnknownVersion(String),
    NoStatement,
    /// `Statement` neither an object nor a list.
    StatementMalformed,
    /// `Statement: []`.
    NoStatements,
    StatementNotAnObject(usize),
    UnknownElement(usize, String),
    NoEffect(usize),
    /// An effect other than `Allow` or `Deny` (case matters).
    BadEffect(usize, String),
    BothActions(usize),
    /// No `Action`/`NotAction`, or an empty list.
    NoAction(usize),
    /// An action that is not a string.
    ActionNotString(usize),
    BadAction(usize, String, ActionFault),
    BothResources(usize),
    /// No `Resource`/`NotResource`, or an empty list.
    NoResource(usize),
    ResourceNotString(usize),
}

impl Violation {
    /// What AWS reports only as "Syntax errors in policy." (the document's shape).
    pub fn is_syntax(&self) -> bool {
        use Violation::*;
        matches!(
            self,
            NotAnObject
                | UnknownTopElement(_)
                | UnknownVersion(_)
                | StatementMalformed
                | StatementNotAnObject(_)
                | UnknownElement(..)
                | BothActions(_)
                | BothResources(_)
                | ActionNotString(_)
                | ResourceNotString(_)
        )
    }
}

/// Every way `document` breaks the grammar, in document order.
pub fn violations(document: &Value) -> Vec<Violation> {
    use Violation::*;
    let Some(policy) = document.as_object() else {
        return vec![NotAnObject];
    };
    let mut found: Vec<Violation> = policy
        .keys()
        .filter(|key| !TOP_ELEMENTS.contains(&key.as_str()))
        .map(|key| UnknownTopElement(key.clone()))
        .collect();
    match policy.get("Version") {
        None => {}
        Some(Value::String(v)) if v == VERSION || v == OLD_VERSION => {}
        Some(other) => found.push(UnknownVersion(
            other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned),
        )),
    }
    let statements = match statements(document) {
        Statements::Missing => {
            found.push(NoStatement);
            return found;
        }
        Statements::Malformed => {
            found.push(StatementMalformed);
            return found;
        }
        Statements::List(list) if list.is_empty() => {
            found.push(NoStatements);
            return found;
        }
        Statements::List(list) => list,
    };
    for (index, statement) in statements.into_iter().enumerate() {
        let Some(elements) = statement.as_object() else {
            found.push(StatementNotAnObject(index));
            continue;
        };
        found.extend(
            elements
                .keys()
                .filter(|key| !STATEMENT_ELEMENTS.contains(&key.as_str()))
                .map(|key| UnknownElement(index, key.clone())),
        );
        match effect(statement) {
            Ok(_) => {}
            Err(Some(word)) => found.push(BadEffect(index, word.to_owned())),
            Err(None) => found.push(NoEffect(index)),
        }
        match actions(statement) {
            Element::Both(_) => found.push(BothActions(index)),
            Element::Neither => found.push(NoAction(index)),
            Element::Positive(list) | Element::Negative(list) => {
                if list.as_array().is_some_and(Vec::is_empty) {
                    found.push(NoAction(index));
                }
                for action in names(list) {
                    match action {
                        None => found.push(ActionNotString(index)),
                        Some(action) => {
                            if let Some(fault) = action_fault(action) {
                                found.push(BadAction(index, action.to_owned(), fault));
                            }
                        }
                    }
                }
            }
        }
        match resources(statement) {
            Element::Both(_) => found.push(BothResources(index)),
            Element::Neither => found.push(NoResource(index)),
            Element::Positive(list) | Element::Negative(list) => {
                if list.as_array().is_some_and(Vec::is_empty) {
                    found.push(NoResource(index));
                }
                if names(list).contains(&None) {
                    found.push(ResourceNotString(index));
                }
            }
        }
    }
    found
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
    fn violations_name_each_rule_broken_with_its_statement() {
        use Violation::*;
        let lab = json!({"Version": VERSION, "Statement": [{"Sid": "a", "Effect": "Allow", "Action": ["ec2:*"], "Resource": ["*"]}]});
        assert_eq!(violations(&lab), []);
        let bad = json!({
            "Version": "2020-01-01",
            "Statment": [],
            "Statement": [
                {"Effect": "allow", "Action": "DescribeInstances", "NotAction": "x", "Resource": "*", "NotResource": "*"},
                {"Effect": "Deny", "Actions": "ec2:*", "Action": [], "Resource": [1]},
                "x"
            ]
        });
        let found = violations(&bad);
        assert_eq!(
            found,
            [
                UnknownTopElement("Statment".into()),
                UnknownVersion("2020-01-01".into()),
                BadEffect(0, "allow".into()),
                BothActions(0),
                BothResources(0),
                UnknownElement(1, "Actions".into()),
                NoAction(1),
                ResourceNotString(1),
                StatementNotAnObject(2),
            ]
        );
        assert!(
            found
                .iter()
                .all(|v| v.is_syntax() || matches!(v, BadEffect(..) | NoAction(_)))
        );
        assert_eq!(violations(&json!({"Statement": []})), [NoStatements]);
        assert_eq!(violations(&json!([])), [NotAnObject]);
    }

    #[test]
    fn action_faults_tell_what_aws_refuses_from_what_only_matches_nothing() {
        assert_eq!(
            action_fault("DescribeInstances"),
            Some(ActionFault::NoService)
        );
        assert_eq!(action_fault("ec2:a:b"), Some(ActionFault::ManyColons));
        assert_eq!(action_fault("ec 2:Describe"), Some(ActionFault::BadService));
        assert_eq!(action_fault("ec2:Describe-It"), Some(ActionFault::BadName));
        assert_eq!(action_fault("ec2:"), Some(ActionFault::BadName));
        assert_eq!(action_fault("s3.x:Get*"), None);
        assert_eq!(action_fault("*:Describe*"), None);
        assert_eq!(action_fault("e*:Describe*"), Some(ActionFault::BadService));
        assert_eq!(action_fault("*"), None);
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

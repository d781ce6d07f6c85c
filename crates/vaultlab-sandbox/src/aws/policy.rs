//! IAM identity-policy evaluation, enough for the lab's least-privilege lesson:
//! explicit Deny wins, else any Allow, else implicit deny.
//!
//! Not modelled: policy variables (`${aws:username}`), permissions boundaries, SCPs,
//! resource policies. A `Condition` block cannot be evaluated here, so a statement carrying
//! one never grants (an Allow with a Condition is skipped) and always applies when it
//! denies (fail closed): the sandbox may refuse more than AWS, never allow more.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
}

/// Checks a document's shape as PutUserPolicy does; the error is AWS's message.
pub fn validate(document: &str) -> Result<(), String> {
    let value: Value =
        serde_json::from_str(document).map_err(|_| "Syntax errors in policy.".to_string())?;
    let Some(object) = value.as_object() else {
        return Err("Syntax errors in policy.".into());
    };
    let statements = match object.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("Missing required field Statement".into()),
    };
    for statement in statements {
        let Some(statement) = statement.as_object() else {
            return Err("Syntax errors in policy.".into());
        };
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            Some(_) => return Err("Invalid effect: must be Allow or Deny".into()),
            None => return Err("Missing required field Effect".into()),
        }
        if !statement.contains_key("Action") && !statement.contains_key("NotAction") {
            return Err("Policy statement must contain actions.".into());
        }
        if !statement.contains_key("Resource") && !statement.contains_key("NotResource") {
            return Err("Policy statement must contain resources.".into());
        }
    }
    Ok(())
}

/// Evaluates `action` (e.g. `ec2:DescribeInstances`) on `resource` against every document.
/// Unparseable documents grant nothing.
pub fn evaluate<'a>(
    documents: impl IntoIterator<Item = &'a str>,
    action: &str,
    resource: &str,
) -> Decision {
    let mut allowed = false;
    for document in documents {
        let Ok(value) = serde_json::from_str::<Value>(document) else {
            continue;
        };
        let statements = match value.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => continue,
        };
        for statement in statements {
            match statement_applies(statement, action, resource) {
                Some(Effect::Deny) => return Decision::ExplicitDeny,
                Some(Effect::Allow) => allowed = true,
                None => {}
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

enum Effect {
    Allow,
    Deny,
}

fn statement_applies(statement: &Value, action: &str, resource: &str) -> Option<Effect> {
    let effect = match statement.get("Effect").and_then(Value::as_str)? {
        "Allow" => Effect::Allow,
        "Deny" => Effect::Deny,
        _ => return None,
    };
    if statement.get("Condition").is_some() && matches!(effect, Effect::Allow) {
        return None;
    }
    let action_matches = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(list), _) => any_matches(list, action, false),
        (None, Some(list)) => !any_matches(list, action, false),
        (None, None) => false,
    };
    let resource_matches = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(list), _) => any_matches(list, resource, true),
        (None, Some(list)) => !any_matches(list, resource, true),
        (None, None) => false,
    };
    (action_matches && resource_matches).then_some(effect)
}

/// A string or a list of strings; actions match case-insensitively, resources exactly.
fn any_matches(patterns: &Value, candidate: &str, case_sensitive: bool) -> bool {
    let one = |p: &Value| {
        p.as_str().is_some_and(|p| {
            if case_sensitive {
                wildcard_match(p, candidate)
            } else {
                wildcard_match(&p.to_ascii_lowercase(), &candidate.to_ascii_lowercase())
            }
        })
    };
    match patterns {
        Value::Array(list) => list.iter().any(one),
        other => one(other),
    }
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

    const LAB: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1426528957000","Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}"#;

    #[test]
    fn lab_policy_allows_describe_instances_but_not_list_users() {
        assert_eq!(
            evaluate([LAB], "ec2:DescribeInstances", "*"),
            Decision::Allow
        );
        assert_eq!(
            evaluate([LAB], "iam:ListUsers", "arn:aws:iam::123456789012:user/"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn no_policies_is_an_implicit_deny() {
        assert_eq!(
            evaluate([], "ec2:DescribeInstances", "*"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn explicit_deny_wins_over_any_allow() {
        let allow = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let deny = r#"{"Statement":[{"Effect":"Deny","Action":"ec2:Describe*","Resource":"*"}]}"#;
        assert_eq!(
            evaluate([allow, deny], "ec2:DescribeInstances", "*"),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate([allow, deny], "ec2:RunInstances", "*"),
            Decision::Allow
        );
    }

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        let doc =
            r#"{"Statement":[{"Effect":"Allow","Action":"EC2:describe?nstances","Resource":"*"}]}"#;
        assert_eq!(
            evaluate([doc], "ec2:DescribeInstances", "*"),
            Decision::Allow
        );
        assert_eq!(
            evaluate([doc], "ec2:DescribeRegions", "*"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn not_action_allows_everything_else() {
        let doc = r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
        assert_eq!(
            evaluate([doc], "ec2:DescribeInstances", "*"),
            Decision::Allow
        );
        assert_eq!(
            evaluate([doc], "iam:ListUsers", "*"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn resources_match_with_wildcards_and_not_resource() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::1:user/vault-*"}]}"#;
        assert_eq!(
            evaluate([doc], "iam:GetUser", "arn:aws:iam::1:user/vault-x"),
            Decision::Allow
        );
        assert_eq!(
            evaluate([doc], "iam:GetUser", "arn:aws:iam::1:user/admin"),
            Decision::ImplicitDeny
        );
        let not = r#"{"Statement":[{"Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::1:user/me"}]}"#;
        assert_eq!(
            evaluate([doc, not], "iam:GetUser", "arn:aws:iam::1:user/vault-x"),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn conditional_allow_does_not_grant_but_conditional_deny_applies() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert_eq!(
            evaluate([doc], "ec2:DescribeInstances", "*"),
            Decision::ImplicitDeny
        );
        let admin = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let deny = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        assert_eq!(
            evaluate([admin, deny], "ec2:DescribeInstances", "*"),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b?d", "axxbcd"));
        assert!(!wildcard_match("a*b?d", "axxbd"));
        assert!(wildcard_match("**a", "bba"));
    }

    #[test]
    fn validation_names_what_is_missing() {
        assert!(validate(LAB).is_ok());
        assert_eq!(validate("nope"), Err("Syntax errors in policy.".into()));
        assert!(validate(r#"{"Version":"2012-10-17"}"#).is_err());
        assert!(validate(r#"{"Statement":[{"Action":"*","Resource":"*"}]}"#).is_err());
    }
}

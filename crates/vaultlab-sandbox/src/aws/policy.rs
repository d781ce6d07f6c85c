//! IAM identity-policy evaluation, enough for the lab's least-privilege lesson:
//! explicit Deny wins, else any Allow, else implicit deny. The grammar (statements,
//! effects, actions, wildcards) is `vaultlab_wire::iam_policy`, the editor's too.
//!
//! Not modelled: policy variables (`${aws:username}`), permissions boundaries, SCPs,
//! resource policies. A `Condition` block cannot be evaluated here, so a statement carrying
//! one never grants (an Allow with a Condition is skipped) and always applies when it
//! denies (fail closed): the sandbox may refuse more than AWS, never allow more.

use serde_json::Value;
pub use vaultlab_wire::iam_policy::wildcard_match;
use vaultlab_wire::iam_policy::{
    self as grammar, ActionFault, Effect, Element, Statements, Violation,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
}

/// Checks a document's shape as PutUserPolicy does; the error is AWS's message for the
/// first thing AWS would refuse (its shape first, then missing parts, then actions'
/// spelling). The rules are the grammar's, shared with the lab's editor.
pub fn validate(document: &str) -> Result<(), String> {
    let value: Value =
        serde_json::from_str(document).map_err(|_| "Syntax errors in policy.".to_string())?;
    let found = grammar::violations(&value);
    let message = |violation: &Violation| -> Option<String> {
        use Violation::*;
        Some(match violation {
            v if v.is_syntax() => "Syntax errors in policy.".into(),
            NoStatement | NoStatements => "Missing required field Statement".into(),
            BadEffect(..) => "Invalid effect: must be Allow or Deny".into(),
            NoEffect(_) => "Missing required field Effect".into(),
            NoAction(_) => "Policy statement must contain actions.".into(),
            NoResource(_) => "Policy statement must contain resources.".into(),
            BadAction(_, _, ActionFault::NoService) => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into()
            }
            BadAction(_, _, ActionFault::ManyColons) => {
                "Actions/Condition can contain only one colon.".into()
            }
            BadAction(_, action, ActionFault::BadService) => {
                let vendor = action.split(':').next().unwrap_or_default();
                format!("Vendor {vendor} is not valid")
            }
            // A name that matches nothing is AWS's to accept.
            _ => return None,
        })
    };
    // AWS's order: the shape, then what is missing, then how actions are spelled.
    let rank = |violation: &Violation| match violation {
        v if v.is_syntax() => 0,
        Violation::BadAction(..) => 2,
        _ => 1,
    };
    let first = found
        .iter()
        .filter_map(|v| message(v).map(|m| (rank(v), m)))
        .min_by_key(|(rank, _)| *rank);
    match first {
        Some((_, message)) => Err(message),
        None => Ok(()),
    }
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
        let Statements::List(statements) = grammar::statements(&value) else {
            continue;
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

fn statement_applies(statement: &Value, action: &str, resource: &str) -> Option<Effect> {
    let effect = grammar::effect(statement).ok()?;
    if grammar::has_condition(statement) && effect == Effect::Allow {
        return None;
    }
    let matches = |element: Element, candidate: &str, case_sensitive: bool| match element {
        Element::Positive(list) | Element::Both(list) => {
            grammar::matches_any(list, candidate, case_sensitive)
        }
        Element::Negative(list) => !grammar::matches_any(list, candidate, case_sensitive),
        Element::Neither => false,
    };
    let action_matches = matches(grammar::actions(statement), action, false);
    let resource_matches = matches(grammar::resources(statement), resource, true);
    (action_matches && resource_matches).then_some(effect)
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

    #[test]
    fn what_aws_refuses_is_refused_in_its_words() {
        let refused = |doc: &str| validate(doc).unwrap_err();
        assert_eq!(
            refused(
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            refused(
                r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            refused(
                r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            refused(
                r#"{"Statement":{"Effect":"Allow","Action":"DescribeInstances","Resource":"*"}}"#
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            refused(
                r#"{"Statement":{"Effect":"Allow","Action":"DescribeInstances","Resource":[]}}"#
            ),
            "Policy statement must contain resources.",
            "what is missing comes before how actions are spelled"
        );
        assert!(
            validate(
                r#"{"Statement":{"Effect":"Allow","Action":"ec2:Describe-It","Resource":"*"}}"#
            )
            .is_ok()
        );
    }
}

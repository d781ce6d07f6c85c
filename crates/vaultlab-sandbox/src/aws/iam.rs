//! IAM actions (API version 2010-05-08). Each checks the caller's policies on the IAM
//! resource AWS uses for it, then reads or changes the store and writes the result XML.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::error::{ApiError, ApiResult};
use super::policy::Decision;
use super::store::{AccessKey, AwsState, Group, User};
use super::xml::Xml;
use super::{Call, Params};

/// AWS returns policy documents URL-encoded (RFC 3986); clients decode them.
const POLICY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs one IAM action; `Ok(None)` for actions without a result element.
pub fn handle(call: &Call<'_>, state: &mut AwsState) -> ApiResult<Option<String>> {
    let p = call.params;
    // Every action works in the caller's account: the one its key belongs to.
    let acct = call.caller.account.as_str();
    match call.action {
        "CreateUser" => {
            let name = p.iam_required("UserName", "userName")?;
            let path = p.get("Path").unwrap_or("/");
            authorize(
                call,
                state,
                "CreateUser",
                &format!("arn:aws:iam::{acct}:user{path}{name}"),
            )?;
            let tags = tags(p);
            let boundary = p.get("PermissionsBoundary").map(str::to_string);
            state.create_user(acct, name, path, call.now)?;
            state.set_user_extras(acct, name, tags, boundary)?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| write_user(x, "User", state, user))))
        }
        "GetUser" => {
            let name = p.get("UserName").unwrap_or(&call.caller.user_name);
            authorize(call, state, "GetUser", &user_resource(state, acct, name))?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| write_user(x, "User", state, user))))
        }
        "ListUsers" => {
            authorize(
                call,
                state,
                "ListUsers",
                &format!("arn:aws:iam::{acct}:user/"),
            )?;
            let prefix = p.get("PathPrefix").unwrap_or("/");
            Ok(Some(node(|x| {
                x.node("Users", |x| {
                    for user in state.users_of(acct).filter(|u| u.path.starts_with(prefix)) {
                        write_user(x, "member", state, user);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "DeleteUser" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(call, state, "DeleteUser", &user_resource(state, acct, name))?;
            state.delete_user(acct, name)?;
            Ok(None)
        }
        "PutUserPolicy" => {
            let name = p.iam_required("UserName", "userName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            let document = p.iam_required("PolicyDocument", "policyDocument")?;
            authorize(
                call,
                state,
                "PutUserPolicy",
                &user_resource(state, acct, name),
            )?;
            state.put_user_policy(acct, name, policy, document)?;
            Ok(None)
        }
        "GetUserPolicy" => {
            let name = p.iam_required("UserName", "userName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            authorize(
                call,
                state,
                "GetUserPolicy",
                &user_resource(state, acct, name),
            )?;
            let document = state.user_policy(acct, name, policy)?;
            Ok(Some(node(|x| {
                x.text("UserName", name);
                x.text("PolicyName", policy);
                x.text(
                    "PolicyDocument",
                    &utf8_percent_encode(document, POLICY_ENCODE).to_string(),
                );
            })))
        }
        "ListUserPolicies" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(
                call,
                state,
                "ListUserPolicies",
                &user_resource(state, acct, name),
            )?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| {
                x.node("PolicyNames", |x| {
                    for policy in user.inline_policies.keys() {
                        x.text("member", policy);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "DeleteUserPolicy" => {
            let name = p.iam_required("UserName", "userName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            authorize(
                call,
                state,
                "DeleteUserPolicy",
                &user_resource(state, acct, name),
            )?;
            state.delete_user_policy(acct, name, policy)?;
            Ok(None)
        }
        "AttachUserPolicy" | "DetachUserPolicy" => {
            let name = p.iam_required("UserName", "userName")?;
            let arn = p.iam_required("PolicyArn", "policyArn")?;
            authorize(call, state, call.action, &user_resource(state, acct, name))?;
            if call.action == "AttachUserPolicy" {
                state.attach_user_policy(acct, name, arn)?;
            } else {
                state.detach_user_policy(acct, name, arn)?;
            }
            Ok(None)
        }
        "ListAttachedUserPolicies" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(
                call,
                state,
                "ListAttachedUserPolicies",
                &user_resource(state, acct, name),
            )?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| {
                x.node("AttachedPolicies", |x| {
                    for arn in &user.attached_policies {
                        x.node("member", |x| {
                            x.text("PolicyName", arn.rsplit('/').next().unwrap_or(arn));
                            x.text("PolicyArn", arn);
                        });
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "CreateGroup" => {
            let name = p.iam_required("GroupName", "groupName")?;
            let path = p.get("Path").unwrap_or("/");
            authorize(
                call,
                state,
                "CreateGroup",
                &format!("arn:aws:iam::{acct}:group{path}{name}"),
            )?;
            state.create_group(acct, name, path, call.now)?;
            let group = state.group(acct, name)?;
            Ok(Some(node(|x| write_group(x, "Group", state, group))))
        }
        "GetGroup" => {
            let name = p.iam_required("GroupName", "groupName")?;
            authorize(call, state, "GetGroup", &group_resource(state, acct, name))?;
            let group = state.group(acct, name)?;
            Ok(Some(node(|x| {
                write_group(x, "Group", state, group);
                x.node("Users", |x| {
                    for user in state.group_members(acct, name) {
                        write_user(x, "member", state, user);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "DeleteGroup" => {
            let name = p.iam_required("GroupName", "groupName")?;
            authorize(
                call,
                state,
                "DeleteGroup",
                &group_resource(state, acct, name),
            )?;
            state.delete_group(acct, name)?;
            Ok(None)
        }
        "PutGroupPolicy" => {
            let name = p.iam_required("GroupName", "groupName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            let document = p.iam_required("PolicyDocument", "policyDocument")?;
            authorize(
                call,
                state,
                "PutGroupPolicy",
                &group_resource(state, acct, name),
            )?;
            state.put_group_policy(acct, name, policy, document)?;
            Ok(None)
        }
        "GetGroupPolicy" => {
            let name = p.iam_required("GroupName", "groupName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            authorize(
                call,
                state,
                "GetGroupPolicy",
                &group_resource(state, acct, name),
            )?;
            let document = state.group_policy(acct, name, policy)?;
            Ok(Some(node(|x| {
                x.text("GroupName", name);
                x.text("PolicyName", policy);
                x.text(
                    "PolicyDocument",
                    &utf8_percent_encode(document, POLICY_ENCODE).to_string(),
                );
            })))
        }
        "ListGroupPolicies" => {
            let name = p.iam_required("GroupName", "groupName")?;
            authorize(
                call,
                state,
                "ListGroupPolicies",
                &group_resource(state, acct, name),
            )?;
            let group = state.group(acct, name)?;
            Ok(Some(node(|x| {
                x.node("PolicyNames", |x| {
                    for policy in group.inline_policies.keys() {
                        x.text("member", policy);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "DeleteGroupPolicy" => {
            let name = p.iam_required("GroupName", "groupName")?;
            let policy = p.iam_required("PolicyName", "policyName")?;
            authorize(
                call,
                state,
                "DeleteGroupPolicy",
                &group_resource(state, acct, name),
            )?;
            state.delete_group_policy(acct, name, policy)?;
            Ok(None)
        }
        "TagUser" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(call, state, "TagUser", &user_resource(state, acct, name))?;
            state.tag_user(acct, name, tags(p))?;
            Ok(None)
        }
        "UntagUser" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(call, state, "UntagUser", &user_resource(state, acct, name))?;
            state.untag_user(acct, name, &p.list("TagKeys.member"))?;
            Ok(None)
        }
        "ListUserTags" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(
                call,
                state,
                "ListUserTags",
                &user_resource(state, acct, name),
            )?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| {
                x.node("Tags", |x| {
                    for (key, value) in &user.tags {
                        x.node("member", |x| {
                            x.text("Key", key);
                            x.text("Value", value);
                        });
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            let group = p.iam_required("GroupName", "groupName")?;
            let user = p.iam_required("UserName", "userName")?;
            authorize(
                call,
                state,
                call.action,
                &group_resource(state, acct, group),
            )?;
            if call.action == "AddUserToGroup" {
                state.add_user_to_group(acct, group, user)?;
            } else {
                state.remove_user_from_group(acct, group, user)?;
            }
            Ok(None)
        }
        "ListGroupsForUser" => {
            let name = p.iam_required("UserName", "userName")?;
            authorize(
                call,
                state,
                "ListGroupsForUser",
                &user_resource(state, acct, name),
            )?;
            let user = state.user(acct, name)?;
            Ok(Some(node(|x| {
                x.node("Groups", |x| {
                    for group in user.groups.iter().filter_map(|g| state.group(acct, g).ok()) {
                        write_group(x, "member", state, group);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "CreateAccessKey" => {
            let name = p
                .get("UserName")
                .unwrap_or(&call.caller.user_name)
                .to_string();
            authorize(
                call,
                state,
                "CreateAccessKey",
                &user_resource(state, acct, &name),
            )?;
            let key =
                state.create_access_key(acct, &name, call.now, call.options.propagation_delay)?;
            Ok(Some(node(|x| {
                x.node("AccessKey", |x| {
                    x.text("UserName", &key.user_name);
                    x.text("AccessKeyId", &key.id);
                    x.text("Status", key.status());
                    x.text("SecretAccessKey", key.secret.expose());
                    x.text("CreateDate", &timestamp(key.created));
                });
            })))
        }
        // The doctor asks whether the root keys may do what Vault's engine needs.
        "SimulatePrincipalPolicy" => {
            let source = p.iam_required("PolicySourceArn", "policySourceArn")?;
            authorize(call, state, "SimulatePrincipalPolicy", source)?;
            let name = source.rsplit('/').next().unwrap_or_default();
            let user = state.user(acct, name)?;
            let documents = state.policies_for(user);
            let resources: Vec<&str> = (1..)
                .map_while(|i| p.get(&format!("ResourceArns.member.{i}")))
                .collect();
            let resources = if resources.is_empty() {
                vec!["*"]
            } else {
                resources
            };
            let actions: Vec<&str> = (1..)
                .map_while(|i| p.get(&format!("ActionNames.member.{i}")))
                .collect();
            Ok(Some(node(|x| {
                x.node("EvaluationResults", |x| {
                    for action in &actions {
                        for resource in &resources {
                            let decision = match super::policy::evaluate(
                                documents.iter().copied(),
                                action,
                                resource,
                            ) {
                                Decision::Allow => "allowed",
                                Decision::ImplicitDeny => "implicitDeny",
                                Decision::ExplicitDeny => "explicitDeny",
                            };
                            x.node("member", |x| {
                                x.text("EvalActionName", action);
                                x.text("EvalResourceName", resource);
                                x.text("EvalDecision", decision);
                            });
                        }
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "ListAccessKeys" => {
            let name = p.get("UserName").unwrap_or(&call.caller.user_name);
            authorize(
                call,
                state,
                "ListAccessKeys",
                &user_resource(state, acct, name),
            )?;
            state.user(acct, name)?;
            let keys = state.keys_of(acct, name);
            Ok(Some(node(|x| {
                x.node("AccessKeyMetadata", |x| {
                    for key in keys {
                        write_key_metadata(x, key);
                    }
                });
                x.text("IsTruncated", "false");
            })))
        }
        "DeleteAccessKey" | "UpdateAccessKey" => {
            let id = p.iam_required("AccessKeyId", "accessKeyId")?;
            let name = p
                .get("UserName")
                .unwrap_or(&call.caller.user_name)
                .to_string();
            authorize(call, state, call.action, &user_resource(state, acct, &name))?;
            if call.action == "DeleteAccessKey" {
                state.delete_access_key(acct, &name, id)?;
            } else {
                let active = match p.iam_required("Status", "status")? {
                    "Active" => true,
                    "Inactive" => false,
                    other => {
                        return Err(ApiError::iam_invalid(
                            "status",
                            other,
                            "Member must satisfy enum value set: [Active, Inactive]",
                        ));
                    }
                };
                state.update_access_key(acct, &name, id, active)?;
            }
            Ok(None)
        }
        other => Err(super::actions::not_served(
            "iam",
            other,
            call.params.get("Version"),
        )),
    }
}

fn node(body: impl FnOnce(&mut Xml)) -> String {
    let mut x = Xml::new();
    body(&mut x);
    x.finish()
}

/// `Tags.member.N.Key` / `Tags.member.N.Value`.
fn tags(p: &Params) -> Vec<(String, String)> {
    (1..)
        .map_while(|i| {
            let key = p.get(&format!("Tags.member.{i}.Key"))?;
            let value = p.get(&format!("Tags.member.{i}.Value")).unwrap_or("");
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// The ARN AWS checks for an action on a user (path `/` when the user does not exist).
fn user_resource(state: &AwsState, acct: &str, name: &str) -> String {
    match state.user(acct, name) {
        Ok(user) => state.user_arn(user),
        Err(_) => format!("arn:aws:iam::{acct}:user/{name}"),
    }
}

fn group_resource(state: &AwsState, acct: &str, name: &str) -> String {
    match state.group(acct, name) {
        Ok(group) => state.group_arn(group),
        Err(_) => format!("arn:aws:iam::{acct}:group/{name}"),
    }
}

fn authorize(call: &Call<'_>, state: &AwsState, action: &str, resource: &str) -> ApiResult<()> {
    let qualified = format!("iam:{action}");
    let why = match call.decide(state, &qualified, resource) {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_string(),
        Decision::ImplicitDeny => {
            format!("because no identity-based policy allows the {qualified} action")
        }
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: {qualified} on resource: {resource} {why}",
            call.caller.arn
        ),
    ))
}

fn write_user(x: &mut Xml, element: &str, state: &AwsState, user: &User) {
    x.node(element, |x| {
        x.text("Path", &user.path);
        x.text("UserName", &user.name);
        x.text("UserId", &user.id);
        x.text("Arn", &state.user_arn(user));
        x.text("CreateDate", &timestamp(user.created));
        if let Some(boundary) = &user.permissions_boundary {
            x.node("PermissionsBoundary", |x| {
                x.text("PermissionsBoundaryType", "Policy");
                x.text("PermissionsBoundaryArn", boundary);
            });
        }
        if !user.tags.is_empty() {
            x.node("Tags", |x| {
                for (key, value) in &user.tags {
                    x.node("member", |x| {
                        x.text("Key", key);
                        x.text("Value", value);
                    });
                }
            });
        }
    });
}

fn write_group(x: &mut Xml, element: &str, state: &AwsState, group: &Group) {
    x.node(element, |x| {
        x.text("Path", &group.path);
        x.text("GroupName", &group.name);
        x.text("GroupId", &group.id);
        x.text("Arn", &state.group_arn(group));
        x.text("CreateDate", &timestamp(group.created));
    });
}

fn write_key_metadata(x: &mut Xml, key: &AccessKey) {
    x.node("member", |x| {
        x.text("UserName", &key.user_name);
        x.text("AccessKeyId", &key.id);
        x.text("Status", key.status());
        x.text("CreateDate", &timestamp(key.created));
    });
}

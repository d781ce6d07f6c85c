use super::*;

fn default_account(state: &AwsState) -> String {
    state.account_id.clone()
}

#[test]
fn new_account_has_an_admin_with_a_key_valid_at_once() {
    let state = AwsState::new_account();
    let account = default_account(&state);
    assert_eq!(account.len(), 12);
    assert!(account.chars().all(|c| c.is_ascii_digit()));
    let key = state.admin_key(&account).unwrap();
    assert!(key.id.starts_with("AKIA") && key.id.len() == 20);
    assert_eq!(key.secret.expose().len(), 40);
    let (_, user) = state.authenticate(&key.id, Utc::now()).unwrap();
    assert_eq!(user.name, ADMIN_USER);
    assert!(user.id.starts_with("AIDA"));
    assert_eq!(
        state.user_arn(user),
        format!("arn:aws:iam::{account}:user/vaultlab-admin")
    );
}

#[test]
fn keys_propagate_after_the_delay_and_die_with_deletion() {
    let mut state = AwsState::new_account();
    let account = default_account(&state);
    let now = Utc::now();
    state.create_user(&account, "u", "/", now).unwrap();
    let id = state
        .create_access_key(&account, "u", now, Duration::from_secs(5))
        .unwrap()
        .id
        .clone();
    assert!(state.authenticate(&id, now).is_none());
    assert!(
        state
            .authenticate(&id, now + chrono::Duration::seconds(5))
            .is_some()
    );
    state.update_access_key(&account, "u", &id, false).unwrap();
    assert!(
        state
            .authenticate(&id, now + chrono::Duration::seconds(6))
            .is_none()
    );
    state.delete_access_key(&account, "u", &id).unwrap();
    assert!(!state.access_keys.contains_key(&id));
    let retired = state.retired_keys.get(&id).unwrap();
    assert_eq!(
        (retired.user_name.as_str(), retired.kind),
        ("u", KeyKind::User)
    );
}

#[test]
fn a_huge_propagation_delay_means_never_rather_than_a_panic() {
    let mut state = AwsState::new_account();
    let account = default_account(&state);
    let now = Utc::now();
    state.create_user(&account, "u", "/", now).unwrap();
    let id = state
        .create_access_key(&account, "u", now, Duration::MAX)
        .unwrap()
        .id
        .clone();
    assert!(
        state
            .authenticate(&id, now + chrono::Duration::days(36500))
            .is_none()
    );
}

#[test]
fn admin_key_survives_a_second_key_and_is_recreated_when_deleted() {
    let mut state = AwsState::new_account();
    let account = default_account(&state);
    let first = state.admin_key(&account).unwrap().id.clone();
    let later = Utc::now() + chrono::Duration::seconds(5);
    state
        .create_access_key(&account, ADMIN_USER, later, Duration::ZERO)
        .unwrap();
    assert_eq!(state.admin_key(&account).unwrap().id, first);
    assert!(!state.ensure_admin_key(&account, later));
    for id in state
        .keys_of(&account, ADMIN_USER)
        .iter()
        .map(|k| k.id.clone())
        .collect::<Vec<_>>()
    {
        state.delete_access_key(&account, ADMIN_USER, &id).unwrap();
    }
    assert!(state.ensure_admin_key(&account, later));
    assert!(
        state
            .authenticate(&state.admin_key(&account).unwrap().id, later)
            .is_some()
    );
}

#[test]
fn delete_user_conflicts_until_everything_is_gone() {
    let mut state = AwsState::new_account();
    let a = default_account(&state);
    let now = Utc::now();
    state.create_user(&a, "u", "/", now).unwrap();
    state.put_user_policy(&a, "u", "p", ADMIN_POLICY).unwrap();
    let id = state
        .create_access_key(&a, "u", now, Duration::ZERO)
        .unwrap()
        .id
        .clone();
    state.create_group(&a, "g", "/", now).unwrap();
    state.add_user_to_group(&a, "g", "u").unwrap();
    let err = state.delete_user(&a, "u").unwrap_err();
    assert_eq!(
        (err.code.as_ref(), err.message.as_str()),
        (
            "DeleteConflict",
            "Cannot delete entity, must delete policies first."
        )
    );
    state.delete_user_policy(&a, "u", "p").unwrap();
    assert!(
        state
            .delete_user(&a, "u")
            .unwrap_err()
            .message
            .contains("access keys")
    );
    state.delete_access_key(&a, "u", &id).unwrap();
    assert!(
        state
            .delete_user(&a, "u")
            .unwrap_err()
            .message
            .contains("group")
    );
    state.remove_user_from_group(&a, "g", "u").unwrap();
    state.delete_user(&a, "u").unwrap();
    assert_eq!(state.user(&a, "u").unwrap_err().code, "NoSuchEntity");
}

#[test]
fn names_keys_and_duplicates_follow_iam_rules() {
    let mut state = AwsState::new_account();
    let a = default_account(&state);
    let now = Utc::now();
    assert_eq!(
        state
            .create_user(&a, "bad name", "/", now)
            .unwrap_err()
            .code,
        "ValidationError"
    );
    assert_eq!(
        state
            .create_user(&a, &"a".repeat(65), "/", now)
            .unwrap_err()
            .code,
        "ValidationError"
    );
    state
        .create_user(&a, "vault-root-my-role-1763900000-abc", "/", now)
        .unwrap();
    let err = state
        .create_user(&a, "VAULT-root-my-role-1763900000-abc", "/", now)
        .unwrap_err();
    assert_eq!(err.status, StatusCode::CONFLICT);
    state
        .create_access_key(&a, "vaultlab-admin", now, Duration::ZERO)
        .unwrap();
    let err = state
        .create_access_key(&a, "vaultlab-admin", now, Duration::ZERO)
        .unwrap_err();
    assert_eq!(err.message, "Cannot exceed quota for AccessKeysPerUser: 2");
}

#[test]
fn state_round_trips_through_json() {
    let state = AwsState::new_account();
    let a = default_account(&state);
    let json = serde_json::to_string(&state).unwrap();
    let back: AwsState = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back.admin_key(&a).unwrap().secret,
        state.admin_key(&a).unwrap().secret
    );
    assert_eq!(back.users.len(), 1);
}

#[test]
fn accounts_hold_their_own_users_groups_and_keys() {
    let mut state = AwsState::new_account();
    let home = default_account(&state);
    let now = Utc::now();
    let seat = state.create_account(Some("room/ada/".into()), now).unwrap();
    assert_ne!(seat, home);
    assert_eq!(
        state.account(&seat).unwrap().namespace.as_deref(),
        Some("room/ada/")
    );
    // The same names in two accounts are two users.
    state.create_user(&home, "vault-x", "/", now).unwrap();
    state.create_user(&seat, "vault-x", "/", now).unwrap();
    state.create_group(&seat, "g", "/", now).unwrap();
    assert_eq!(
        state.create_group(&home, "g", "/", now).unwrap().account,
        home
    );
    let names = |s: &AwsState, a: &str| s.users_of(a).map(|u| u.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&state, &seat), ["vault-x", "vaultlab-admin"]);
    // A name that exists only elsewhere is not found here.
    state.create_user(&seat, "only-seat", "/", now).unwrap();
    assert_eq!(
        state.user(&home, "only-seat").unwrap_err().code,
        "NoSuchEntity"
    );
    // The key says the account.
    let key = state.admin_key(&seat).unwrap().id.clone();
    let (_, admin) = state.authenticate(&key, now).unwrap();
    assert_eq!(
        state.user_arn(admin),
        format!("arn:aws:iam::{seat}:user/vaultlab-admin")
    );
    assert_eq!(state.key_kind(&seat, "vaultlab-admin"), KeyKind::Admin);
    assert_eq!(state.key_kind(&seat, "vault-x"), KeyKind::Dynamic);
    // Deleting an account takes everything in it, and its keys stop working.
    let gone = state.delete_account(&seat);
    assert_eq!(gone, ["only-seat", "vault-x", "vaultlab-admin"]);
    assert!(state.authenticate(&key, now).is_none());
    assert_eq!(state.retired_keys.get(&key).unwrap().account, seat);
    assert!(state.groups.with_prefix(rows_of(&seat)).next().is_none());
    assert_eq!(names(&state, &home), ["vault-x", "vaultlab-admin"]);
    assert!(state.account(&seat).is_none());
}

#[test]
fn accounts_are_bounded() {
    let mut state = AwsState::new_account();
    let now = Utc::now();
    for _ in 1..MAX_ACCOUNTS {
        state.create_account(None, now).unwrap();
    }
    let err = state.create_account(None, now).unwrap_err();
    assert!(err.contains("at most 1000 AWS accounts"), "{err}");
}

#[test]
fn a_state_of_format_2_is_upgraded_to_accounts() {
    let old = serde_json::json!({
        "account_id": "123456789012",
        "admin_user": "vaultlab-admin",
        "users": {
            "vaultlab-admin": {"name": "vaultlab-admin", "id": "AIDAX", "path": "/", "created": "2025-01-01T00:00:00Z",
                               "inline_policies": {"vaultlab-admin": ADMIN_POLICY}},
            "vault-root-r-1-x": {"name": "vault-root-r-1-x", "id": "AIDAY", "path": "/", "created": "2025-01-01T00:00:00Z", "groups": ["g"]}
        },
        "groups": {"g": {"name": "g", "id": "AGPA", "path": "/", "created": "2025-01-01T00:00:00Z"}},
        "access_keys": {"AKIAOLD": {"id": "AKIAOLD", "secret": "s3cret", "user_name": "vaultlab-admin", "active": true,
                                    "created": "2025-01-01T00:00:00Z", "valid_from": "2025-01-01T00:00:00Z"}}
    });
    let mut state: AwsState = serde_json::from_value(old).unwrap();
    state.upgrade();
    let a = "123456789012";
    assert_eq!(state.admin_key(a).unwrap().id, "AKIAOLD");
    assert!(state.user(a, "vault-root-r-1-x").is_ok());
    assert!(state.group(a, "g").is_ok());
    assert_eq!(
        state
            .policies_for(state.user(a, "vaultlab-admin").unwrap())
            .len(),
        1
    );
    assert!(state.authenticate("AKIAOLD", Utc::now()).is_some());
    let json = serde_json::to_value(&state).unwrap();
    assert!(json.get("admin_user").is_none(), "not written again");
    // Upgrading twice changes nothing.
    let before = serde_json::to_string(&state).unwrap();
    state.upgrade();
    assert_eq!(serde_json::to_string(&state).unwrap(), before);
}

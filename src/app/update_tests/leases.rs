//! The leases: renewals, the leases pane, earlier runs' leases, lookups, and the journal.

use super::*;

#[test]
fn r_renews_and_a_capped_renewal_says_so() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(60));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(matches!(
        vault_calls(&effects)[..],
        [VaultCall {
            purpose: Purpose::Renew { asked: None, .. },
            ..
        }]
    ));
    update(&mut app, Msg::Tick(at(30)));
    let effects = renewed(
        &mut app,
        LEASE,
        None,
        120,
        "TTL of \"1h\" exceeded the effective max_ttl of \"2m\"; TTL value is capped accordingly",
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "2:00");
    assert!(app.notice.as_deref().unwrap().contains("capped"));
    assert!(
        matches!(effects.as_slice(), [Effect::Journal(JournalChange::Renewed { ttl, at: when, .. })]
            if ttl.as_secs() == 120 && *when == at(30)),
        "the journal learns the new expiry: {effects:?}"
    );
}

#[test]
fn earlier_leases_are_looked_up_failed_revocations_retried_and_one_key_revokes_the_rest() {
    let (mut app, effects) = init(StartInputs {
        journal: Some(JournalStart {
            path: JOURNAL.into(),
            leftovers: vec![
                entry("aws/creds/my-role/alive", Lifecycle::Active),
                entry("aws/creds/my-role/gone", Lifecycle::Active),
                entry(
                    "aws/creds/my-role/failed",
                    Lifecycle::RevokeFailed {
                        at: at(-60),
                        error: "connection refused".into(),
                    },
                ),
            ],
            other_runs: 1,
        }),
        ..inputs()
    });
    app.connection.mode = Mode::Live;
    assert_eq!(
        revoke_ids(&effects),
        ["aws/creds/my-role/failed"],
        "retried at start"
    );
    let notice = app.notice.clone().unwrap();
    assert!(notice.contains("left 3 lease(s) open"), "{notice}");
    assert!(
        notice.contains("Another vaultlab running against this Vault holds 1 more"),
        "{notice}"
    );
    assert_eq!(
        lookup_ids(&effects),
        [
            ("aws/creds/my-role/alive", 1),
            ("aws/creds/my-role/gone", 1)
        ]
    );
    assert_eq!(app.leases.checking(), 2);
    assert!(app.leases.iter().all(|l| l.origin == Origin::EarlierRun));

    looked_up(
        &mut app,
        "aws/creds/my-role/alive",
        1,
        lookup_answer("aws/creds/my-role/alive", 600),
    );
    assert_eq!(app.overlay, None, "asks once every lookup is answered");
    let effects = looked_up(&mut app, "aws/creds/my-role/gone", 1, unknown_lease());
    assert!(matches!(
        app.leases.get("aws/creds/my-role/gone").unwrap().state,
        Lifecycle::Gone { .. }
    ));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/gone", |s| matches!(s, Lifecycle::Gone { .. }))),
        "closed in the journal: {effects:?}"
    );
    assert_eq!(app.overlay, Some(Overlay::EarlierLeases));
    assert_eq!(
        app.leases
            .get("aws/creds/my-role/alive")
            .unwrap()
            .label(app.now),
        "10:00",
        "the countdown is Vault's"
    );

    // Keys this run issued meanwhile are not the prompt's business.
    issue(&mut app, Duration::from_secs(3600));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert_eq!(revoke_ids(&effects), ["aws/creds/my-role/alive"]);
    assert!(
        vault_calls(&effects)
            .iter()
            .all(|c| matches!(c.purpose, Purpose::Revoke { sync: true, .. })),
        "no proof follows, so Vault must finish before the journal closes it"
    );
    assert_eq!(app.overlay, None);
    let effects = revoked_sync(&mut app, "aws/creds/my-role/alive", true, no_content(204));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/alive", |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
    let effects = revoked_sync(&mut app, "aws/creds/my-role/failed", true, no_content(204));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/failed", |s| matches!(s, Lifecycle::Revoked { .. }))),
        "a revocation retried at start closes its entry: {effects:?}"
    );
    assert_eq!(app.revocable_leases(), 1, "this run's lease is left alone");
    assert!(app.active_lease().is_some());
}

#[test]
fn the_leases_pane_is_one_key_from_every_pane_and_in_the_help() {
    let mut app = app();
    let panes: Vec<Pane> = Pane::all(app.steps.len())
        .filter(|p| *p != Pane::Leases)
        .collect();
    for pane in panes {
        app.pane = pane;
        press(&mut app, KeyCode::Char('l'));
        assert_eq!(app.pane, Pane::Leases, "from pane {pane:?}");
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.pane, pane, "back to pane {pane:?}");
    }
    let keys: Vec<_> = crate::app::keymap::pane_bindings(&app)
        .iter()
        .map(|b| (b.keys.clone(), b.description.clone()))
        .collect();
    assert!(
        keys.contains(&("l".to_owned(), "leases".to_owned())),
        "{keys:?}"
    );
}

#[test]
fn the_leases_pane_renews_by_the_chosen_increment_and_shows_the_cap() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(120));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.renew_increment(), Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('-'));
    assert_eq!(app.renew_increment(), Duration::from_secs(900));
    let effects = press(&mut app, KeyCode::Char('r'));
    let [renew] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert!(
        matches!(&renew.purpose, Purpose::Renew { lease_id, asked: Some(i) }
            if lease_id == LEASE && *i == Duration::from_secs(900)),
        "{effects:?}"
    );
    assert_eq!(
        renew.request.describe().body_redacted,
        Some(json!({"lease_id": LEASE, "increment": 900}))
    );
    assert!(app.current_lease().unwrap().renewing);
    update(&mut app, Msg::Tick(at(10)));
    renewed(
        &mut app,
        LEASE,
        Some(Duration::from_secs(900)),
        290,
        "TTL of \"15m\" exceeded the effective max_ttl of \"4m50s\"; TTL value is capped accordingly",
    );
    let lease = app.current_lease().unwrap();
    assert!(!lease.renewing);
    assert_eq!(lease.label(app.now), "4:50");
    assert!(lease.last_renewal.as_ref().unwrap().capped());
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("granted 4m50s of the 15m asked: capped by the max TTL"),
        "{:?}",
        app.notice
    );
}

#[test]
fn x_revokes_the_selected_lease_and_a_failure_keeps_vaults_words() {
    let mut app = journaled_app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.selected_lease().unwrap().lease_id, OLDER);
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(revoke_ids(&effects), [OLDER]);
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Pending,
        "not the current keys"
    );
    let effects = revoked_sync(
        &mut app,
        OLDER,
        true,
        refused("error sending request: connection refused"),
    );
    let older = app.leases.get(OLDER).unwrap();
    assert!(matches!(older.state, Lifecycle::RevokeFailed { .. }));
    assert_eq!(
        older.problem(),
        Some("error sending request: connection refused")
    );
    assert!(older.is_revocable(app.now), "it may still be alive");
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, OLDER, |s| matches!(s, Lifecycle::RevokeFailed { error, .. } if error.contains("connection refused")))),
        "kept open in the journal with Vault's words: {effects:?}"
    );
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("kept in the journal")
    );

    // The current lease from the pane goes through step 6 and its proof.
    press(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Engine(EngineCall::ProveRevoked { .. })]
    ));
}

#[test]
fn a_revocation_the_room_holds_leaves_the_lease_alive_in_the_servers_words() {
    let mut app = journaled_app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('x'));
    let effects = revoked_sync(&mut app, OLDER, true, held_by_the_room());
    assert!(effects.is_empty(), "nothing journaled: {effects:?}");
    assert_eq!(app.leases.get(OLDER).unwrap().state, Lifecycle::Active);
    let said = "Not revoked: the facilitator holds the room at step 5; step 6 (revoke the lease) opens when they say so.";
    assert_eq!(app.notice.as_deref(), Some(said));

    // The current lease: step 6 is as it was, not failed.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    let effects = revoked(&mut app, LEASE, held_by_the_room());
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
    assert_eq!(app.notice.as_deref(), Some(said));
}

#[test]
fn an_expired_lease_is_looked_up_until_vault_has_forgotten_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(60));
    assert!(update(&mut app, Msg::Tick(at(59))).0.is_empty());
    let effects = update(&mut app, Msg::Tick(at(60))).0;
    assert_eq!(lookup_ids(&effects), [(LEASE, 1)], "{effects:?}");
    assert!(
        update(&mut app, Msg::Tick(at(61))).0.is_empty(),
        "asked once"
    );
    // Vault still holds it a moment after its time: ask again.
    let effects = looked_up(&mut app, LEASE, 1, lookup_answer(LEASE, 0));
    assert_eq!(lookup_ids(&effects), [(LEASE, 2)]);
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    let effects = looked_up(&mut app, LEASE, 2, unknown_lease());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    assert_eq!(app.revocable_leases(), 0);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Gone { .. }))),
        "{effects:?}"
    );
}

#[test]
fn a_late_lookup_does_not_bring_a_revoked_lease_back() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    update(&mut app, Msg::Tick(at(60)));
    revoked(&mut app, LEASE, no_content(202));
    looked_up(&mut app, LEASE, 1, lookup_answer(LEASE, 600));
    assert!(matches!(
        app.current_lease().unwrap().state,
        Lifecycle::RevokeQueued { .. }
    ));
}

#[test]
fn a_journal_change_that_failed_shows_and_the_exit_note_does_not_vouch_for_the_journal() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    outcome(
        &mut app,
        Outcome::Journaled {
            change: JournalChange::Mark {
                lease_id: LEASE.into(),
                state: Lifecycle::Gone { at: at(1) },
            },
            result: Err(
                "cannot read the lease journal /data/vaultlab/leases/x.json: stream did not contain valid UTF-8".into(),
            ),
        },
    );
    assert!(
        app.notice.as_deref().unwrap().contains("valid UTF-8"),
        "{:?}",
        app.notice
    );
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    let note = app.exit_note().unwrap();
    assert!(note.contains("may not list them all"), "{note}");
    assert!(!note.contains("are kept in the journal"), "{note}");
}

#[test]
fn without_a_journal_nothing_is_journaled() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::Identify { .. })]
        ),
        "the sandbox's leases end with it: {effects:?}"
    );
    assert!(app.creds.is_some());
}

//! Revoking a lease and proving its keys dead (step 6).

use super::*;

#[test]
fn revoking_proves_the_keys_dead_before_the_step_is_done() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert!(matches!(
        vault_calls(&effects)[0].purpose,
        Purpose::Revoke { sync: false, .. }
    ));
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::ProveRevoked {
                attempt: 1,
                subject: Some(_),
                ..
            })]
        ),
        "queued: its journal entry waits for the proof: {effects:?}"
    );
    // Queued is not over: the keys may work until the proof finds them dead.
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoke queued");
    assert!(app.active_lease().is_none(), "not to be revoked again");
    assert_eq!(app.maybe_alive_leases(), 1, "quitting now would ask");
    let effects = proved(&mut app, LEASE, 1, false);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::ProveRevoked { attempt: 2, .. })]
        ),
        "keeps checking"
    );
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoke queued");
    let effects = proved(&mut app, LEASE, 2, true);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Done);
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoked");
    assert_eq!(app.maybe_alive_leases(), 0);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "dead keys close the journal entry: {effects:?}"
    );
}

#[test]
fn keys_that_outlive_every_look_fail_the_revocation_and_it_can_be_tried_again() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    let last = crate::app::probe_schedule::PROOF_ATTEMPTS;
    let effects = proved(&mut app, LEASE, last, false);
    assert!(matches!(app.steps[REVOKE].status, StepStatus::Failed(_)));
    let lease = app.current_lease().unwrap();
    assert!(
        matches!(&lease.state, Lifecycle::RevokeFailed { error, .. } if error.contains("still work")),
        "{:?}",
        lease.state
    );
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::RevokeFailed { .. }))),
        "kept open in the journal, to be revoked again: {effects:?}"
    );
    assert_eq!(app.revocable_leases(), 1);
}

#[test]
fn a_proof_that_arrives_after_new_credentials_still_closes_its_lease() {
    const NEW: &str = "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW";
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    // New credentials while the old keys are being looked at.
    issue_lease(&mut app, NEW, Duration::from_secs(3600));
    let effects = proved(&mut app, LEASE, 1, true);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "the old lease's journal entry closes: {effects:?}"
    );
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::Revoked { .. }
    ));
    assert_eq!(app.current_lease().unwrap().lease_id, NEW);
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Pending,
        "the new credentials are not revoked"
    );
}

#[test]
fn a_queued_revocation_whose_proof_was_cut_short_follows_vault() {
    const NEW: &str = "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW";
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    issue_lease(&mut app, NEW, Duration::from_secs(3600));
    // Still alive at its last look: no more looks follow for keys no longer shown.
    assert!(proved(&mut app, LEASE, 1, false).is_empty());
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::RevokeQueued { .. }
    ));
    // Vault's lookup says it finished: the lease is over, and so is its entry.
    let effects = outcome(
        &mut app,
        Outcome::Vault {
            call: call(
                Purpose::Lookup {
                    lease_id: LEASE.into(),
                    attempt: 0,
                    round: Some(1),
                },
                request::lease_lookup(LEASE),
            ),
            reply: unknown_lease(),
        },
    );
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::Revoked { .. }
    ));
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
}

#[test]
fn enter_on_a_proved_revocation_keeps_it_done() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    proved(&mut app, LEASE, 1, true);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.steps[REVOKE].status, StepStatus::Done);
    go_to(&mut app, TEST);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no test of dead keys"
    );
    let StepStatus::Failed(failure) = &app.steps[TEST].status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Generate new credentials"));
}

#[test]
fn a_crashed_revocation_fails_as_a_refusal_would_and_a_hangup_still_leaves() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    let effects = press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(!app.should_quit(), "the revocation is on its way");
    let effects = outcome(
        &mut app,
        Outcome::crashed(
            &effects[0],
            Failure::new("internal error", "it panicked", ""),
        ),
    );
    let lease = app.current_lease().unwrap();
    assert!(
        matches!(&lease.state, Lifecycle::RevokeFailed { error, .. } if error.contains("internal error")),
        "not left revoking: {:?}",
        lease.state
    );
    assert!(app.should_quit(), "nothing is on its way any more");
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::RevokeFailed { .. }))),
        "kept open in the journal: {effects:?}"
    );
}

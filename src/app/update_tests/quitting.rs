//! Quitting and stop signals with leases alive, issued or being revoked.

use super::*;

#[test]
fn quitting_after_a_queued_revocation_waits_for_vault_to_finish_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "its keys may work");
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(vault_calls(&effects).as_slice(), [c] if matches!(&c.purpose, Purpose::Revoke { lease_id, sync: true } if lease_id == LEASE)),
        "asked again, waiting for Vault: {effects:?}"
    );
    assert!(!app.should_quit());
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
    assert_eq!(app.exit_note(), None);
}

#[test]
fn quitting_with_an_active_lease_asks_first() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);

    press(&mut app, KeyCode::Char('q'));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(
            vault_calls(&effects)[..],
            [VaultCall {
                purpose: Purpose::Revoke { sync: true, .. },
                ..
            }]
        ),
        "on the way out Vault must finish the revocation: no proof will follow"
    );
    assert!(!app.should_quit(), "waits for the revocation");
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(
        matches!(effects.last(), Some(Effect::Quit)),
        "the runtime is told: {effects:?}"
    );
}

#[test]
fn a_failed_revocation_at_quit_keeps_the_app_open() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('r'));
    revoked_sync(&mut app, LEASE, true, refused("connection refused"));
    assert!(!app.should_quit());
    assert_eq!(app.quit, Quit::No);
    assert!(matches!(app.steps[REVOKE].status, StepStatus::Failed(_)));
}

#[test]
fn quitting_without_leases_is_immediate() {
    let mut app = app();
    let effects = press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn quitting_while_credentials_are_being_issued_waits() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit());
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("being issued")
    );
}

#[test]
fn generating_again_keeps_the_older_lease_and_quitting_revokes_both() {
    let mut app = app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    assert_eq!(app.leases.len(), 2);
    assert_eq!(app.revocable_leases(), 2);
    assert_eq!(app.current_lease().unwrap().lease_id, LEASE);

    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    let effects = press(&mut app, KeyCode::Char('r'));
    let mut ids = revoke_ids(&effects);
    ids.sort();
    assert_eq!(ids, [LEASE, OLDER]);
    revoked_sync(&mut app, OLDER, true, no_content(204));
    assert!(!app.should_quit(), "waits for the other revocation");
    revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert_eq!(app.exit_note(), None, "nothing left behind");
}

#[test]
fn sigterm_asks_like_q_and_a_second_one_keeps_the_leases() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit());
    let (effects, _) = update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(
        matches!(effects.as_slice(), [Effect::Quit]),
        "nothing revoked: {effects:?}"
    );
    assert!(app.should_quit());
    let note = app.exit_note().unwrap();
    assert!(note.contains("stopped by SIGTERM"), "{note}");
    assert!(
        note.contains(&format!("kept in the journal {JOURNAL}")),
        "{note}"
    );
}

#[test]
fn sighup_keeps_the_leases_and_leaves_at_once() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(app.should_quit());
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
}

#[test]
fn sigterm_without_leases_quits_at_once() {
    let mut app = app();
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(app.should_quit());
}

#[test]
fn a_stop_signal_while_credentials_are_issued_waits_for_them_and_keeps_the_lease() {
    for signals in [
        &[StopSignal::Hangup][..],
        &[StopSignal::Terminate, StopSignal::Terminate][..],
    ] {
        let mut app = journaled_app();
        go_to(&mut app, GENERATE);
        press(&mut app, KeyCode::Enter);
        for signal in signals {
            update(&mut app, Msg::Signal(*signal));
        }
        assert!(
            !app.should_quit(),
            "{signals:?}: the lease may not be journaled yet"
        );
        let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
        assert!(
            !app.should_quit(),
            "{signals:?}: not before the journal has it"
        );
        let [Effect::Journal(change)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        let effects = outcome(
            &mut app,
            Outcome::Journaled {
                change: change.clone(),
                result: Ok(()),
            },
        );
        assert!(app.should_quit(), "{signals:?}: leaves once it is issued");
        assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
        assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
        let note = app.exit_note().unwrap();
        assert!(
            note.contains("1 lease(s) that may still be alive are kept in the journal"),
            "{note}"
        );
    }
}

#[test]
fn sighup_while_revoking_waits_for_the_answer() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(!app.should_quit(), "the revocation is on its way");
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(!app.should_quit(), "Vault only queued it");
    assert_eq!(
        revoke_ids(&effects),
        [LEASE],
        "no proof once leaving: Vault is asked to finish it: {effects:?}"
    );
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
    assert_eq!(
        app.exit_note().unwrap(),
        "stopped by SIGHUP (the terminal closed); no lease was left alive."
    );
}

#[test]
fn quitting_while_a_revocation_is_on_its_way_asks_and_the_note_counts_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.revocable_leases(), 0);
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "not at once");
    assert!(!app.should_quit());

    // r waits for the revocation already on its way.
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(effects.is_empty(), "not asked twice: {effects:?}");
    assert!(!app.should_quit());
    // Queued, it is asked again, waiting for Vault to finish it.
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert!(!app.should_quit());
    revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert_eq!(app.exit_note(), None);

    // k leaves at once, and the note does not claim the lease is dead.
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('k'));
    assert!(app.should_quit());
    let note = app.exit_note().unwrap();
    assert!(
        note.contains("1 lease(s) that may still be alive are kept in the journal"),
        "{note}"
    );
}

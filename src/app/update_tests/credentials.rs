//! Issuing credentials (step 4), testing them (step 5), and keeping their secret off the screen.

use super::*;

#[test]
fn the_lease_counts_down_with_the_clock_and_the_screen_changes_only_with_it() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(90));
    assert_eq!(app.steps[GENERATE].status, StepStatus::Done);
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:30");
    let (_, redraw) = update(&mut app, Msg::Tick(at(30)));
    assert_eq!(redraw, crate::app::Redraw::Yes, "the countdown moved");
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:00");
    update(&mut app, Msg::Tick(at(90)));
    assert!(app.active_lease().is_none());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    let (_, redraw) = update(&mut app, Msg::Tick(at(95)));
    assert_eq!(
        redraw,
        crate::app::Redraw::No,
        "nothing on screen moves any more"
    );
    let (_, redraw) = update(&mut app, key(KeyCode::Char('z')));
    assert_eq!(redraw, crate::app::Redraw::No, "a key that does nothing");
}

#[test]
fn a_test_of_the_keys_that_panicked_stops_its_spinner_and_its_redraws() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    // Within one second of the countdown, only the spinner moves.
    let soon = |app: &App| Msg::Tick(app.now + chrono::Duration::milliseconds(100));
    let tick = soon(&app);
    let (_, redraw) = update(&mut app, tick);
    assert_eq!(redraw, crate::app::Redraw::Yes, "the spinner turns");
    outcome(
        &mut app,
        Outcome::crashed(&effects[0], Failure::new("internal error", "", "")),
    );
    assert!(matches!(app.steps[TEST].status, StepStatus::Failed(_)));
    let tick = soon(&app);
    let (_, redraw) = update(&mut app, tick);
    assert_eq!(
        redraw,
        crate::app::Redraw::No,
        "nothing is being tested any more"
    );
    assert!(
        app.probe(TEST).is_none(),
        "the pane no longer says it waits"
    );
}

#[test]
fn the_test_retries_while_the_key_propagates_then_succeeds() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(EngineCall::Probe { attempt: 1, delay, creds, .. })]
            if delay.is_zero() && creds.text("access_key") == "AKIAISSUED")
    );
    let not_yet = aws_refusal("AuthFailure", Retry::NotYet);
    let effects = probed(&mut app, 1, Err(not_yet.clone()));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(EngineCall::Probe { attempt: 2, delay, .. })] if !delay.is_zero())
    );
    assert_eq!(app.probe(TEST).unwrap().waiting_because, Some(not_yet));
    probed(&mut app, 2, Ok(exchange()));
    assert_eq!(app.steps[TEST].status, StepStatus::Done);
    assert!(app.probe(TEST).unwrap().waiting_because.is_none());
}

#[test]
fn a_refusal_that_outlasts_the_retries_or_will_not_pass_fails_in_the_engines_words() {
    for (retry, attempt) in [
        (Retry::Throttled, crate::app::probe_schedule::PROBE_ATTEMPTS),
        (Retry::NotYet, crate::app::probe_schedule::PROBE_ATTEMPTS),
        (Retry::No, 1),
    ] {
        let mut app = app();
        issue(&mut app, Duration::from_secs(3600));
        go_to(&mut app, TEST);
        press(&mut app, KeyCode::Enter);
        let refusal = aws_refusal("RequestLimitExceeded", retry);
        let effects = probed(&mut app, attempt, Err(refusal.clone()));
        assert!(effects.is_empty(), "{retry:?}: no more attempts");
        let StepStatus::Failed(failure) = &app.steps[TEST].status else {
            panic!("{retry:?}: failed");
        };
        assert_eq!(failure, &refusal.failure);
    }
}

#[test]
fn the_issued_secret_is_masked_until_revealed_and_never_debug_printed() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    go_to(&mut app, GENERATE);
    assert!(!app.creds.as_ref().unwrap().revealed);
    press(&mut app, KeyCode::Char('v'));
    assert!(app.creds.as_ref().unwrap().revealed);
    let debug = format!("{app:?}");
    assert!(!debug.contains(ISSUED_SECRET));
    assert!(!debug.contains(SECRET));
    let effects = press(&mut app, KeyCode::Char('c'));
    let [Effect::Clipboard(snippet)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(!format!("{effects:?}").contains(ISSUED_SECRET));
    assert!(
        snippet
            .expose_secret()
            .contains(&format!("export AWS_SECRET_ACCESS_KEY={ISSUED_SECRET}"))
    );
}

#[test]
fn issued_credentials_show_only_once_the_journal_has_their_lease() {
    let mut app = journaled_app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
    let [Effect::Journal(JournalChange::Record(entry))] = effects.as_slice() else {
        panic!("the lease is journaled first: {effects:?}");
    };
    assert_eq!(entry.lease_id, LEASE);
    assert_eq!(entry.state, Lifecycle::Active);
    assert!(
        app.creds.is_none(),
        "no key shows before the journal has it"
    );
    assert!(app.requests_in_flight());
    assert_eq!(app.revocable_leases(), 1, "tracked at once");
    let effects = outcome(
        &mut app,
        Outcome::Journaled {
            change: JournalChange::Record(entry.clone()),
            result: Err("cannot write the lease journal /data: disk full".into()),
        },
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::Engine(EngineCall::Identify { .. })]
    ));
    let step = &app.steps[GENERATE];
    assert_eq!(step.status, StepStatus::Done);
    assert!(
        step.exchange
            .as_ref()
            .unwrap()
            .response
            .contains("WARNING: cannot write the lease journal"),
        "the keys show, with the warning"
    );
    assert!(app.creds.is_some());
}

#[test]
fn an_answer_that_is_not_credentials_still_leaves_its_lease_behind() {
    let mut app = journaled_app();
    let effects = outcome(
        &mut app,
        Outcome::Vault {
            call: call(
                Purpose::Step { step: GENERATE },
                VaultRequest::get("aws/creds/my-role"),
            ),
            reply: ok(json!({"lease_id": LEASE, "lease_duration": 60, "data": {"password": "x"}})),
        },
    );
    let [Effect::Journal(change)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    outcome(
        &mut app,
        Outcome::Journaled {
            change: change.clone(),
            result: Ok(()),
        },
    );
    let StepStatus::Failed(failure) = &app.steps[GENERATE].status else {
        panic!("not credentials");
    };
    assert!(failure.detail.contains("`data.access_key` is missing"));
    assert_eq!(app.revocable_leases(), 1);
}

#[test]
fn s_on_the_generate_pane_asks_for_short_leases() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Char('s'));
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(write.request.path, "aws/config/lease");
    assert_eq!(
        write.request.describe().body_redacted,
        Some(json!({"lease": "120s", "lease_max": "300s"}))
    );
    answer(&mut app, &effects, no_content(204));
    assert!(app.notice.as_deref().unwrap_or_default().contains("2m"));
}

#[test]
fn a_credentials_secret_in_a_request_body_is_sent_but_never_shown() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    // A lab whose action sends the issued secret key, under a name of its own choosing.
    let crate::lab::StepKind::Issue(spec) = &mut app.lab.steps[GENERATE].kind else {
        panic!("the generate step issues");
    };
    spec.actions[0]
        .request
        .body
        .push(("passphrase".into(), json!("{creds.secret_key}")));
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Char('s'));
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let curl = crate::app::plan::curl(&app, &write.request);
    assert!(!curl.contains(ISSUED_SECRET), "{curl}");
    assert!(curl.contains(r#""passphrase":"<redacted>""#), "{curl}");
    assert!(!format!("{:?}", write.request).contains(ISSUED_SECRET));
    let sent = write.request.body_to_send().unwrap();
    assert_eq!(sent["passphrase"], ISSUED_SECRET, "sent as it is");
}

#[test]
fn a_field_the_lab_declares_secret_is_masked_in_the_answer_shown_whatever_its_name() {
    let mut app = app();
    // A lab whose credentials carry a secret under a name of its own.
    let crate::lab::StepKind::Issue(spec) = &mut app.lab.steps[GENERATE].kind else {
        panic!("the generate step issues");
    };
    spec.secret.push("signing_key".into());
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        &effects,
        ok(json!({
            "lease_id": LEASE,
            "lease_duration": 3600,
            "renewable": true,
            "data": {"access_key": "AKIAISSUED", "secret_key": ISSUED_SECRET,
                     "security_token": null, "signing_key": "SIGNINGsigningSIGNING"},
        })),
    );
    let shown = &app.steps[GENERATE].exchange.as_ref().unwrap().response;
    assert!(shown.contains("AKIAISSUED"), "{shown}");
    assert!(!shown.contains("SIGNINGsigningSIGNING"), "{shown}");
    assert!(!shown.contains(ISSUED_SECRET), "{shown}");
}

#[test]
fn outcomes_about_older_credentials_do_not_touch_new_ones() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    press(&mut app, KeyCode::Enter);
    // New credentials arrive while the old ones are still being tested.
    issue_lease(
        &mut app,
        "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW",
        Duration::from_secs(3600),
    );
    assert!(probed(&mut app, 1, Ok(exchange())).is_empty());
    assert!(proved(&mut app, LEASE, 1, true).is_empty());
    assert_eq!(app.steps[TEST].status, StepStatus::Pending);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    revoked(&mut app, LEASE, no_content(202));
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    assert!(
        app.active_lease().is_some(),
        "the new lease is not marked revoked"
    );
}

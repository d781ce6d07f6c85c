//! Moving between panes, running steps 1–3, the keys and the editor, help and the lab's words.

use super::*;

#[test]
fn n_and_p_move_between_panes_and_stop_at_the_ends() {
    let mut app = app();
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pane, Pane::Overview);
    for _ in 0..20 {
        press(&mut app, KeyCode::Right);
    }
    assert_eq!(app.pane, Pane::Leases, "the leases pane is last");
    press(&mut app, KeyCode::Left);
    assert_eq!(app.pane, Pane::Finish);
}

#[test]
fn moving_between_panes_rereads_the_state_from_vault() {
    let mut app = app();
    let effects = press(&mut app, KeyCode::Char('n'));
    let reads: Vec<&str> = vault_calls(&effects)
        .into_iter()
        .filter(|call| matches!(call.purpose, Purpose::Done { .. }))
        .map(|call| call.request.path.as_str())
        .collect();
    assert_eq!(
        reads,
        ["sys/mounts", "aws/config/root", "aws/roles/my-role"]
    );
}

#[test]
fn enter_enables_the_engine_and_its_outcome_marks_the_step() {
    let mut app = app();
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    let [call] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(call.request.describe().path, "sys/mounts/aws");
    assert_eq!(
        call.request.describe().body_redacted,
        Some(json!({"type": "aws"}))
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Running);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no second request while running"
    );
    answer(&mut app, &effects, no_content(204));
    let step = &app.steps[ENABLE];
    assert_eq!(step.status, StepStatus::Done);
    let sent = &step.exchange.as_ref().unwrap().curl;
    assert_eq!(
        sent,
        &crate::app::plan::curl(&app, &call.request),
        "the pane shows the curl of the very request sent"
    );
}

#[test]
fn an_engine_enabled_before_is_the_step_done_and_another_engine_is_not() {
    for (mounted, done) in [("aws", true), ("kv", false)] {
        let mut app = app();
        go_to(&mut app, ENABLE);
        let effects = press(&mut app, KeyCode::Enter);
        let in_use = Err(VaultRefusal {
            message: "Vault rejected POST sys/mounts/aws (400): path is already in use at aws/"
                .into(),
            hint: String::new(),
            status: Some(400),
            errors: vec!["path is already in use at aws/".into()],
            invalid_request: true,
        });
        let recheck = answer(&mut app, &effects, in_use);
        assert_eq!(vault_calls(&recheck)[0].request.path, "sys/mounts");
        answer(
            &mut app,
            &recheck,
            ok(json!({"data": {"aws/": {"type": mounted}}})),
        );
        match &app.steps[ENABLE].status {
            StepStatus::Done => assert!(done, "{mounted}"),
            StepStatus::Failed(failure) => {
                assert!(!done, "{mounted}");
                assert!(failure.what.contains("Something other than the AWS engine"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn steps_done_elsewhere_show_done() {
    let (mut app, effects) = init(inputs());
    let reads = vault_calls(&effects);
    let answers = [
        ok(json!({"data": {"aws/": {"type": "aws"}, "sys/": {"type": "system"}}})),
        ok(json!({"data": {"access_key": "AKIA", "region": "us-east-1"}})),
        Err(VaultRefusal {
            message: "nothing at aws/roles/my-role (GET got 404)".into(),
            hint: String::new(),
            status: Some(404),
            errors: Vec::new(),
            invalid_request: false,
        }),
    ];
    for (call, reply) in reads.into_iter().zip(answers) {
        outcome(
            &mut app,
            Outcome::Vault {
                call: call.clone(),
                reply,
            },
        );
    }
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
    assert_eq!(app.steps[ROOT_KEYS].status, StepStatus::Done);
    assert_eq!(app.steps[POLICY].status, StepStatus::Pending);
    assert_eq!(app.steps_done(), 2);
    assert_eq!(app.notice, None, "a 404 is not done, not a problem");
}

#[test]
fn prefilled_root_keys_are_checked_then_written_then_read_back() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    let effects = press(&mut app, KeyCode::Enter);
    let [Effect::Engine(EngineCall::Verify { values, .. })] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(values.get("secret_key").unwrap().expose_secret(), SECRET);
    let verified = Verified {
        facts: Vec::new(),
        warnings: vec!["These are the account root user's keys.".into()],
    };
    let effects = outcome(
        &mut app,
        Outcome::Engine(EngineReply::Verified {
            step: ROOT_KEYS,
            result: Ok(verified),
        }),
    );
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let sent = write.request.describe();
    assert_eq!(sent.path, "aws/config/root");
    assert_eq!(
        sent.body_redacted.as_ref().unwrap()["secret_key"],
        "<redacted>"
    );
    assert!(
        app.form(ROOT_KEYS)
            .unwrap()
            .verified
            .as_ref()
            .is_some_and(|v| !v.warnings.is_empty()),
        "warns about the account root user"
    );
    let read = answer(&mut app, &effects, no_content(204));
    assert_eq!(vault_calls(&read)[0].request.path, "aws/config/root");
    answer(
        &mut app,
        &read,
        ok(json!({"data": {"access_key": "AKIAEXAMPLE", "region": "us-east-1"}})),
    );
    let step = &app.steps[ROOT_KEYS];
    assert_eq!(step.status, StepStatus::Done);
    let response = &step.exchange.as_ref().unwrap().response;
    assert!(
        response.starts_with("204 No Content\nread back: "),
        "{response}"
    );
}

#[test]
fn the_root_keys_cannot_be_edited_while_they_are_checked() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    // The access key changed, so `u` would have something to put back.
    for code in [KeyCode::Char('e'), KeyCode::Char('Z'), KeyCode::Esc] {
        press(&mut app, code);
    }
    let typed = app.form(ROOT_KEYS).unwrap().inputs[0].value();
    let typed = typed.expose_secret().to_owned();
    assert!(typed.ends_with('Z'), "{typed}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.steps[ROOT_KEYS].status, StepStatus::Running);
    let hints: Vec<String> = crate::app::keymap::bindings(&app)
        .into_iter()
        .map(|b| b.keys)
        .collect();
    assert!(
        !hints.iter().any(|k| k == "e" || k == "u"),
        "not offered: {hints:?}"
    );
    for code in [KeyCode::Char('e'), KeyCode::Char('X'), KeyCode::Char('u')] {
        press(&mut app, code);
        assert!(!app.editing, "not while the keys are checked");
    }
    let effects = outcome(
        &mut app,
        Outcome::Engine(EngineReply::Verified {
            step: ROOT_KEYS,
            result: Ok(Verified::default()),
        }),
    );
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let sent = write.request.describe();
    assert_eq!(
        sent.body_redacted.as_ref().unwrap()["access_key"],
        typed.as_str(),
        "the keys written are the keys checked"
    );
}

#[test]
fn keys_typed_while_editing_go_to_the_field_not_to_the_keymap() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    press(&mut app, KeyCode::Char('e'));
    assert!(app.editing);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.form(ROOT_KEYS).unwrap().field, 1);
    for _ in 0..SECRET.len() {
        press(&mut app, KeyCode::Backspace);
    }
    for c in "qn?".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(!app.should_quit());
    assert_eq!(
        app.values().get("secret_key").unwrap().expose_secret(),
        "qn?"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.editing);
}

#[test]
fn incomplete_keys_are_refused_with_a_hint() {
    let mut app = app();
    app.form_mut(ROOT_KEYS).unwrap().inputs[1].clear();
    go_to(&mut app, ROOT_KEYS);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let StepStatus::Failed(failure) = &app.steps[ROOT_KEYS].status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Press e"));
}

#[test]
fn the_labs_policy_runs_without_editing_and_a_broken_one_does_not() {
    let mut app = app();
    go_to(&mut app, POLICY);
    let effects = press(&mut app, KeyCode::Enter);
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let body = write.request.describe().body_redacted.unwrap();
    assert_eq!(body["credential_type"], "iam_user");
    assert!(body["policy_document"].as_str().unwrap().contains("ec2:*"));

    let mut app = self::app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Char('x'));
    assert!(
        !editor(&app).check.is_usable(),
        "x before the brace is not JSON"
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.editing, "Enter on a broken policy opens the editor");
    assert_eq!(
        editor(&app).textarea.cursor(),
        (0, 0),
        "at the error: line 1, column 1"
    );
}

#[test]
fn t_cycles_policy_templates() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).template, 1);
    assert!(editor(&app).text().contains("ec2:DescribeInstances"));
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("DescribeInstances only")
    );
}

#[test]
fn t_over_an_edited_policy_asks_before_replacing_it() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste(" ".into()));
    press(&mut app, KeyCode::Esc);
    let edited = editor(&app).text();

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "the first t only asks");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("t again")
    );
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "another key called it off");

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).template, 1, "the second t in a row replaces");
    assert!(editor(&app).text().contains("ec2:DescribeInstances"));
}

#[test]
fn a_key_that_does_nothing_still_calls_off_a_replacement_asked_for() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste(" ".into()));
    press(&mut app, KeyCode::Esc);
    let edited = editor(&app).text();

    press(&mut app, KeyCode::Char('t'));
    let (_, redraw) = update(&mut app, key(KeyCode::Char('z')));
    assert_eq!(redraw, crate::app::Redraw::Yes, "the question goes");
    assert_eq!(app.notice, None);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "asked again, not replaced");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("t again")
    );
    // So does a paste.
    update(&mut app, Msg::Paste("{}".into()));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "asked again after a paste");
}

#[test]
fn pasting_goes_into_the_editor_only_while_editing() {
    let mut app = app();
    go_to(&mut app, POLICY);
    let before = editor(&app).text();
    update(&mut app, Msg::Paste("{}".into()));
    assert_eq!(editor(&app).text(), before);
    assert!(app.notice.is_some());
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste("{\"a\":\n1}".into()));
    assert!(editor(&app).text().starts_with("{\"a\":\n1}"));
}

#[test]
fn the_jump_to_a_json_error_counts_characters_not_bytes() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    // Select all, then type a line with a two-byte character before the mistake.
    editor_mut(&mut app).textarea.select_all();
    editor_mut(&mut app).textarea.cut();
    update(&mut app, Msg::Paste("{\"a\":\"é\" x}".into()));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert_eq!(editor(&app).textarea.cursor(), (0, 9), "on the x");
}

#[test]
fn a_crashed_effect_fails_its_step_so_it_can_run_again() {
    let mut app = app();
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    outcome(
        &mut app,
        Outcome::crashed(&effects[0], Failure::new("internal error", "", "")),
    );
    assert!(matches!(app.steps[ENABLE].status, StepStatus::Failed(_)));
    assert_eq!(press(&mut app, KeyCode::Enter).len(), 1, "it runs again");
}

#[test]
fn a_denied_action_teaches_least_privilege_in_the_labs_words() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    press(&mut app, KeyCode::Enter);
    let denied = Refusal {
        denied: true,
        ..aws_refusal("UnauthorizedOperation", Retry::No)
    };
    probed(&mut app, 1, Err(denied));
    let StepStatus::Failed(failure) = &app.steps[TEST].status else {
        panic!("failed");
    };
    assert!(failure.hint.contains("least privilege"), "{failure:?}");
    assert_eq!(
        failure.what,
        "AWS refused DescribeInstances: UnauthorizedOperation"
    );
}

#[test]
fn the_help_and_the_status_bar_read_the_labs_words() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    let keys: Vec<(String, String)> = crate::app::keymap::pane_bindings(&app)
        .into_iter()
        .map(|b| (b.keys, b.description))
        .collect();
    assert_eq!(
        keys[0],
        ("Enter".to_owned(), "generate credentials".to_owned())
    );
    assert!(
        keys.contains(&("s".to_owned(), "short leases (2m, max 5m)".to_owned())),
        "{keys:?}"
    );
    go_to(&mut app, POLICY);
    let keys: Vec<String> = crate::app::keymap::pane_bindings(&app)
        .into_iter()
        .map(|b| b.description)
        .collect();
    assert!(
        keys.contains(&"next policy template".to_owned()),
        "{keys:?}"
    );
}

#[test]
fn help_opens_with_question_mark_and_closes_with_any_key() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.overlay, None);
    assert_eq!(
        app.pane,
        Pane::Overview,
        "the key that closed help did nothing else"
    );
}

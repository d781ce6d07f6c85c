//! What the learner puts in, however it arrives: pastes with any line ends, a changed
//! secret put back, Ctrl-Z. `update` driven by messages alone, as in `update_tests`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::ExposeSecret;

use super::effect::Effect;
use super::keymap::{bindings, pane_bindings};
use super::msg::Msg;
use super::state::{App, Connection, FieldInput, Mode, Overlay, StepStatus};
use super::update_tests::{POLICY, ROOT_KEYS, SECRET, app, at, editor, go_to, key, press};
use super::{init, update};
use crate::checkers::DocumentCheck;
use crate::lab::load_embedded;
use crate::setup::StartInputs;

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn paste(app: &mut App, text: &str) {
    update(app, Msg::Paste(text.to_owned()));
}

/// The root-keys form, its fields emptied, being edited with the cursor in `field`.
fn empty_root_keys(field: usize) -> App {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    press(&mut app, KeyCode::Char('e'));
    let form = app.form_mut(ROOT_KEYS).unwrap();
    for input in &mut form.inputs {
        input.clear();
    }
    form.field = field;
    app
}

fn field(app: &App, name: &str) -> String {
    app.values().text(name).to_owned()
}

#[test]
fn a_key_pair_pasted_with_cr_line_ends_fills_both_fields_and_the_secret_stays_masked() {
    for ends in ["\r", "\r\n", "\n"] {
        // The cursor in the access key field, as at first, or in the secret key field.
        for focused in [0, 1] {
            let mut app = empty_root_keys(focused);
            paste(&mut app, &format!("AKIAPASTEDKEY{ends}{SECRET}{ends}"));
            assert_eq!(
                field(&app, "access_key"),
                "AKIAPASTEDKEY",
                "{ends:?} {focused}"
            );
            assert_eq!(field(&app, "secret_key"), SECRET, "{ends:?} {focused}");
            let form = app.form(ROOT_KEYS).unwrap();
            assert!(
                matches!(&form.inputs[1], FieldInput::Secret(_)),
                "the secret field is still a secret one"
            );
            // Nothing shown in clear holds the secret or a line break.
            for input in &form.inputs {
                if let FieldInput::Plain(text) = input {
                    assert!(
                        !text.contains(SECRET) && !text.contains(['\r', '\n']),
                        "{text:?}"
                    );
                }
            }
            assert!(
                app.notice
                    .as_deref()
                    .unwrap_or_default()
                    .contains("Secret key")
            );
        }
    }
}

#[test]
fn export_lines_pasted_into_the_wrong_field_still_go_to_their_own() {
    let mut app = empty_root_keys(2);
    paste(
        &mut app,
        &format!("export AWS_SECRET_ACCESS_KEY={SECRET}\rexport AWS_ACCESS_KEY_ID=AKIAX\r"),
    );
    assert_eq!(field(&app, "secret_key"), SECRET);
    assert_eq!(field(&app, "access_key"), "AKIAX");
    assert_eq!(field(&app, "region"), "", "the focused field got nothing");
}

#[test]
fn a_single_pasted_line_is_typed_into_the_focused_field_without_its_line_end() {
    let mut app = empty_root_keys(2);
    paste(&mut app, "eu-west-1\r");
    assert_eq!(field(&app, "region"), "eu-west-1");
}

#[test]
fn a_pasted_policy_keeps_its_lines_so_the_json_error_reads_the_right_line() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    // Select all and replace, as a learner pasting a whole policy would.
    app.editor_mut(POLICY).unwrap().textarea.select_all();
    paste(
        &mut app,
        "{\r  \"Version\": \"2012-10-17\",\r  \"Statement\": [\r    {\"Effect\": \"Allow\" \"Action\": \"ec2:*\"}\r  ]\r}\r",
    );
    let editor = editor(&app);
    assert_eq!(
        editor.textarea.lines().len(),
        7,
        "{:?}",
        editor.textarea.lines()
    );
    assert!(!editor.text().contains('\r'));
    let DocumentCheck::NotParsed(error) = &editor.check else {
        panic!("a missing comma: {:?}", editor.check);
    };
    assert_eq!(error.line, 4, "{error:?}");
}

#[test]
fn the_policy_has_errors_goes_once_the_json_is_fixed() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Esc);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let StepStatus::Failed(failure) = &app.steps[POLICY].status else {
        panic!("refused: {:?}", app.steps[POLICY].status);
    };
    assert_eq!(failure.what, "The policy has errors");
    // Enter opened the editor at the mistake: Backspace would not reach the x there.
    press(&mut app, KeyCode::Delete);
    assert!(editor(&app).check.is_usable());
    assert_eq!(
        app.steps[POLICY].status,
        StepStatus::Pending,
        "the refusal is over with its cause"
    );
}

#[test]
fn a_refusal_over_a_done_step_gives_way_to_done_again_when_fixed() {
    let mut app = app();
    app.steps[POLICY].status = StepStatus::Done;
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    paste(&mut app, "x");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.steps[POLICY].status, StepStatus::Failed(_)));
    // A template is a fix too.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('t'));
    assert!(editor(&app).check.is_usable());
    assert_eq!(app.steps[POLICY].status, StepStatus::Done);
}

#[test]
fn a_changed_secret_can_be_put_back_with_u() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    let keys =
        |app: &App| -> Vec<String> { pane_bindings(app).into_iter().map(|b| b.keys).collect() };
    assert!(
        !keys(&app).contains(&"u".to_owned()),
        "nothing to put back yet"
    );
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    update(&mut app, ctrl('u'));
    assert_eq!(field(&app, "secret_key"), "", "Ctrl-U cleared the field");
    paste(&mut app, "typo");
    press(&mut app, KeyCode::Esc);
    assert!(
        keys(&app).contains(&"u".to_owned()),
        "u is offered: {:?}",
        keys(&app)
    );
    press(&mut app, KeyCode::Char('u'));
    assert_eq!(
        app.values().get("secret_key").unwrap().expose_secret(),
        SECRET
    );
    assert!(!keys(&app).contains(&"u".to_owned()));
}

#[test]
fn ctrl_z_suspends_from_anywhere_and_sigtstp_too() {
    let mut app = app();
    let suspends = |app: &mut App, msg: Msg| matches!(update(app, msg).0[..], [Effect::Suspend]);
    assert!(suspends(&mut app, ctrl('z')));
    assert!(suspends(&mut app, Msg::Suspend));
    go_to(&mut app, ROOT_KEYS);
    press(&mut app, KeyCode::Char('e'));
    assert!(suspends(&mut app, ctrl('z')), "while editing");
    assert_eq!(field(&app, "access_key"), "AKIAEXAMPLE", "not typed");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('?'));
    assert!(suspends(&mut app, ctrl('z')), "over the help");
    assert_eq!(
        app.overlay,
        Some(Overlay::Help),
        "which is still there after fg"
    );
    assert!(
        pane_bindings(&app).iter().any(|b| b.keys == "Ctrl-Z"),
        "the help lists it"
    );
    let plain_z = update(&mut app, key(KeyCode::Char('z'))).0;
    assert!(!plain_z.iter().any(|e| matches!(e, Effect::Suspend)));
}

#[test]
fn in_sandbox_mode_the_quit_prompt_offers_no_keeping() {
    let mut app = app();
    app.overlay = Some(Overlay::ConfirmQuit);
    let said = |app: &App| -> String {
        bindings(app)
            .iter()
            .map(|b| b.description.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert_eq!(app.connection.mode, Mode::Sandbox);
    assert!(!said(&app).contains("keep"), "{}", said(&app));
    assert!(said(&app).contains("ending the sandbox"), "{}", said(&app));
    // The servers vaultlab started end with it too: their leases cannot be kept.
    app.connection.mode = Mode::Local {
        started: vec!["OpenBao dev server".into()],
    };
    assert!(!said(&app).contains("keep"), "{}", said(&app));
    assert!(
        said(&app).contains("stopping the servers"),
        "{}",
        said(&app)
    );
    app.connection.mode = Mode::Live;
    assert!(said(&app).contains("keep"), "{}", said(&app));
}

/// The PostgreSQL lab on servers vaultlab started, at its connection form, emptied.
fn postgres_connection_form() -> App {
    let lab = load_embedded("dynamic-db-postgres").unwrap();
    let connection = Connection::new(
        Mode::Local {
            started: vec!["OpenBao dev server".into(), "PostgreSQL".into()],
        },
        "http://127.0.0.1:8200",
    );
    let (mut app, _) = init(StartInputs::new(lab, connection, at(0)));
    go_to(&mut app, 1);
    press(&mut app, KeyCode::Char('e'));
    let form = app.form_mut(1).unwrap();
    for input in &mut form.inputs {
        input.clear();
    }
    app
}

#[test]
fn psqls_environment_pasted_into_the_postgres_connection_form_fills_its_fields() {
    let mut app = postgres_connection_form();
    paste(
        &mut app,
        "export PGHOST=db.example\nexport PGPORT=5433\nexport PGDATABASE=lab\n\
         export PGUSER=vault\nexport PGPASSWORD='pa ss'\n",
    );
    assert_eq!(field(&app, "host"), "db.example");
    assert_eq!(field(&app, "port"), "5433");
    assert_eq!(field(&app, "database"), "lab");
    assert_eq!(field(&app, "username"), "vault");
    assert_eq!(field(&app, "password"), "pa ss");
    let form = app.form(1).unwrap();
    assert!(matches!(&form.inputs[4], FieldInput::Secret(_)));
}

#[test]
fn the_postgres_roles_cli_carries_the_statements_being_edited_on_stdin() {
    let app = postgres_connection_form();
    let shown = app.fill(&app.lab.steps[2].cli);
    assert!(
        shown.starts_with("vault write database/roles/my-role db_name=lab-postgres"),
        "{shown}"
    );
    assert!(
        shown.contains("creation_statements=- <<'SQL'\n-- Vault runs"),
        "{shown}"
    );
    assert!(
        shown.contains("CREATE ROLE \"{{name}}\" WITH LOGIN"),
        "{shown}"
    );
    assert!(shown.ends_with("\nSQL"), "{shown}");
    assert!(!shown.contains('@'), "{shown}");
}

#[test]
fn step_3s_cli_carries_the_policy_being_edited_on_stdin() {
    let mut app = app();
    let cli = |app: &App| app.fill(&app.lab.steps[POLICY].cli);
    let shown = cli(&app);
    assert!(
        shown.starts_with(
            "vault write aws/roles/my-role credential_type=iam_user policy_document=- <<'POLICY'\n{\"Version\":\"2012-10-17\""
        ),
        "{shown}"
    );
    assert!(shown.ends_with("}\nPOLICY"), "{shown}");
    assert_eq!(shown.lines().count(), 3, "the policy on one line: {shown}");
    assert!(!shown.contains('@'), "{shown}");
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('t'));
    assert!(cli(&app).contains("ec2:DescribeInstances"), "{}", cli(&app));
}

#[test]
fn the_labs_commands_are_its_steps_cli_lines_with_what_is_not_known_yet_named() {
    let app = app();
    let commands = super::plan::commands(&app);
    assert_eq!(commands.len(), app.lab.steps.len());
    assert_eq!(commands[0], "vault secrets enable -path=aws aws");
    assert!(commands[1].ends_with("region=us-east-1"), "{}", commands[1]);
    assert!(
        commands[2].contains("\"ec2:*\""),
        "the editor's policy: {}",
        commands[2]
    );
    assert_eq!(commands[5], "vault lease revoke <lease_id>");
    assert!(
        commands
            .iter()
            .all(|c| !c.contains('{') || c.contains("\"Version\""))
    );
}

#[test]
fn a_running_step_does_not_offer_enter_and_says_so_when_pressed() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    let offered = |app: &App| pane_bindings(app).iter().any(|b| b.keys == "Enter");
    assert!(offered(&app), "Enter runs the step");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.steps[ROOT_KEYS].status, StepStatus::Running);
    assert!(!offered(&app), "nothing to offer while it runs");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.notice.as_deref(), Some("Already running…"));
}

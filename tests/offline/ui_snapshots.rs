//! Whole-app snapshots: build the app, feed it messages, draw it into a TestBackend.
//! Lease ids are redacted by a filter; secrets are checked to be absent, never stored.

use crate::app_states;

use app_states::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::ExposeSecret;
use vaultlab::app::state::{App, Mode, Pane};
use vaultlab::ui::{Theme, draw};

/// The screen as text, one line per row; the root secret key must not be on it.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    let out = screen_with_secrets(app, width, height);
    assert!(
        !out.contains(ROOT_SECRET),
        "the root secret key is on screen"
    );
    out
}

/// The screen as text, secrets revealed on purpose allowed.
fn screen_with_secrets(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            draw(frame, app, &Theme::plain());
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, app: &App) {
    let text = screen(app, 100, 30);
    insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn overview_in_sandbox_mode_offers_the_second_terminals_environment() {
    let mut app = overview_sandbox();
    let text = screen(&app, 100, 30);
    assert!(!text.contains(TOKEN), "the token is masked");
    // The AWS keys too, as `vaultlab sandbox` prints them: the secret masked.
    assert!(
        text.contains("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"),
        "{text}"
    );
    assert!(
        text.contains(&format!("export AWS_SECRET_ACCESS_KEY={}", "•".repeat(40))),
        "{text}"
    );
    snapshot("overview_sandbox", &app);
    press(&mut app, KeyCode::Char('v'));
    let shown = screen_with_secrets(&app, 100, 30);
    assert!(shown.contains(TOKEN), "v shows the token: {shown}");
    assert!(
        shown.contains(&format!(" AWS_SECRET_ACCESS_KEY={ROOT_SECRET}")),
        "and the secret key: {shown}"
    );
    // c copies every line, secrets whole.
    let effects = press(&mut app, KeyCode::Char('c'));
    let copied = effects
        .iter()
        .find_map(|e| match e {
            vaultlab::app::Effect::Clipboard(text) => Some(text.expose_secret().to_owned()),
            _ => None,
        })
        .expect("c copies");
    for line in [
        "export VAULT_TOKEN=hvs.sandboxTOKENsandboxTOKEN1".to_owned(),
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE".to_owned(),
        format!("export AWS_SECRET_ACCESS_KEY={ROOT_SECRET}"),
    ] {
        assert!(copied.lines().any(|l| l == line), "{line} in {copied}");
    }
}

#[test]
fn live_mode_names_the_aws_endpoint_it_talks_to() {
    let text = screen(&overview_live_endpoint(), 100, 30);
    assert!(!text.contains("a real AWS API"), "{text}");
    assert!(text.contains("http://127.0.0.1:5000"), "{text}");
    snapshot("overview_live_endpoint", &overview_live_endpoint());
    let real = screen(&app(Mode::Live), 100, 30);
    assert!(
        real.contains("a real AWS API"),
        "without an endpoint it is AWS: {real}"
    );
}

#[test]
fn a_changed_root_key_can_be_put_back() {
    let mut app = root_keys_changed();
    let text = screen(&app, 100, 30);
    assert!(text.contains("u puts the prefilled values back"), "{text}");
    press(&mut app, KeyCode::Char('?'));
    let help = screen(&app, 100, 30);
    assert!(
        help.contains("u  put the prefilled values back"),
        "in the help: {help}"
    );
}

#[test]
fn overview_in_live_mode_with_steps_done_elsewhere() {
    snapshot("overview_live_partly_done", &overview_live_partly_done());
}

#[test]
fn enable_pane_done() {
    snapshot("enable_done", &enable_done());
}

#[test]
fn enable_pane_failed_shows_what_why_and_what_next() {
    snapshot("enable_failed", &enable_failed());
}

#[test]
fn root_keys_masked_with_the_account_root_warning() {
    snapshot("root_keys_account_root", &root_keys_account_root());
}

#[test]
fn policy_editor_points_at_a_json_error() {
    snapshot("policy_json_error", &policy_json_error());
}

#[test]
fn policy_editor_with_the_labs_policy() {
    snapshot("policy_lab", &policy_lab());
}

#[test]
fn generated_credentials_are_masked_until_revealed() {
    let mut app = generate_masked();
    let masked = screen(&app, 100, 30);
    assert!(!masked.contains(ISSUED_SECRET));
    assert!(masked.contains("31d 23:59:58"), "{masked}");
    snapshot("generate_masked", &app);
    press(&mut app, KeyCode::Char('v'));
    assert!(screen(&app, 100, 30).contains(ISSUED_SECRET));
}

#[test]
fn test_pane_waiting_for_propagation() {
    snapshot("test_waiting", &test_waiting());
}

#[test]
fn test_pane_says_a_failure_once_what_why_and_what_next() {
    let screen = screen(&test_unreachable(), 80, 24);
    assert_eq!(
        screen.matches("Connection refused (os error 111)").count(),
        1,
        "{screen}"
    );
    for words in [
        "No answer from AWS to DescribeInstances (Unreachable)",
        "Enter tries again",
    ] {
        assert!(screen.contains(words), "{words}: {screen}");
    }
}

#[test]
fn test_pane_with_the_answer() {
    snapshot("test_ok", &test_ok());
}

#[test]
fn revoke_pane_with_the_proof() {
    snapshot("revoke_proved", &revoke_proved());
}

#[test]
fn help_overlay_lists_the_panes_keys() {
    snapshot("help_policy", &help_policy());
}

#[test]
fn quit_prompt_when_a_lease_is_active() {
    // In sandbox mode nothing outlives vaultlab: the prompt says so, and keeps nothing.
    let text = screen(&quit_prompt(), 100, 30);
    assert!(!text.contains("keep"), "{text}");
    snapshot("quit_prompt", &quit_prompt());
    snapshot("quit_prompt_live", &quit_prompt_live());
}

#[test]
fn fits_80_by_24() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, GENERATE);
    let text = screen(&app, 80, 24);
    assert!(text.contains("access_key"), "{text}");
    assert!(text.contains("SANDBOX"), "{text}");
    insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
        insta::assert_snapshot!("generate_80x24", text);
    });
}

#[test]
fn nothing_panics_at_any_size() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    press(&mut app, KeyCode::Char('?'));
    for pane in Pane::all(app.steps.len()) {
        app.pane = pane;
        for (width, height) in [
            (1, 1),
            (2, 3),
            (10, 4),
            (20, 8),
            (40, 10),
            (79, 23),
            (200, 60),
            (300, 5),
        ] {
            screen(&app, width, height);
        }
    }
}

#[test]
fn finish_pane_after_all_six_steps() {
    let app = finish_all_done();
    let text = screen(&app, 100, 30);
    assert!(text.contains("All six steps done."), "{text}");
    snapshot("finish_all_done", &app);
}

#[test]
fn earlier_runs_leases_alive_are_offered_for_revocation_at_start() {
    snapshot("earlier_leases_prompt", &earlier_leases_prompt());
}

#[test]
fn leases_pane_lists_every_lease_with_its_state_and_a_capped_renewal() {
    snapshot("leases_pane", &leases_pane_capped_renewal());
}

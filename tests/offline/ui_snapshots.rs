//! Whole-app snapshots: build the app, feed it messages, draw it into a TestBackend.
//! Lease ids are redacted by a filter; secrets are checked to be absent, never stored.

use crate::app_states;

use app_states::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultlab::app::state::{App, Mode, Pane};
use vaultlab::ui::{Theme, draw};

/// The screen as text, one line per row.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| draw(frame, app, &Theme::plain()))
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
    assert!(
        !out.contains(ROOT_SECRET),
        "the root secret key is on screen"
    );
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
    assert!(
        !screen(&app, 100, 30).contains(TOKEN),
        "the token is masked"
    );
    snapshot("overview_sandbox", &app);
    press(&mut app, KeyCode::Char('v'));
    assert!(screen(&app, 100, 30).contains(TOKEN), "v shows it");
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
    snapshot("quit_prompt", &quit_prompt());
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

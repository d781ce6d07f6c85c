//! Grouping the engine's calls into bursts and giving each to its step, through `update`.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::rows::{Row, burst_rows, pane_rows};
use super::{Call, Cause, Seen, Why};
use crate::app::msg::Msg;
use crate::app::state::{App, Connection, Mode, Pane};
use crate::app::{Redraw, init, update};
use crate::lab::{DEFAULT_LAB, load_embedded};
use crate::setup::StartInputs;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_763_900_000_000 + ms).unwrap()
}

fn app_in(connection: Connection) -> App {
    let inputs = StartInputs::new(load_embedded(DEFAULT_LAB).unwrap(), connection, at(0));
    init(inputs).0
}

fn app() -> App {
    app_in(Connection::new(Mode::Sandbox, "http://127.0.0.1:8200"))
}

fn call(ms: i64, why: Why, action: &str, lease: Option<&str>) -> Seen {
    Seen::Aws(Call {
        time: at(ms),
        why,
        service: "iam".into(),
        action: action.into(),
        user: Some("vault-root-my-role-1763900000-abc".into()),
        status: 200,
        error_code: None,
        duration_ms: 1.5,
        lease_id: lease.map(str::to_owned),
    })
}

fn vault(method: &str, path: &str) -> Seen {
    Seen::Vault {
        method: method.into(),
        path: path.into(),
        status: 200,
        duration_ms: 12.0,
    }
}

fn key(app: &mut App, c: char) -> Redraw {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
    .1
}

fn seen(app: &mut App, seen: Seen) -> Redraw {
    update(app, Msg::Inside(seen)).1
}

const LEASE: &str = "aws/creds/my-role/abcdefghijklmnopqrstuvwx";
const ISSUE: usize = 3;
const REVOKE: usize = 5;

fn issue(app: &mut App, from: i64) {
    seen(app, call(from, Why::Issue, "CreateUser", None));
    // The reconciliation's reads in between close nothing.
    seen(app, vault("LIST", "sys/leases/lookup/aws/creds/my-role/"));
    seen(app, call(from + 4, Why::Issue, "PutUserPolicy", None));
    seen(app, call(from + 9, Why::Issue, "CreateAccessKey", None));
    seen(app, vault("GET", "aws/creds/my-role"));
}

#[test]
fn a_creds_read_is_one_burst_under_the_issue_step_in_order_with_its_request() {
    let mut app = app();
    issue(&mut app, 0);
    let bursts = &app.inside.bursts;
    assert_eq!(bursts.len(), 1);
    assert_eq!(bursts[0].cause, Cause::Step(ISSUE));
    let actions: Vec<&str> = bursts[0].calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["CreateUser", "PutUserPolicy", "CreateAccessKey"]);
    let rows = burst_rows(&app, &bursts[0]);
    assert_eq!(
        rows[0].plain(),
        "$ vault read aws/creds/my-role  → GET aws/creds/my-role 200 in 12.0 ms"
    );
    assert_eq!(
        rows[2].plain(),
        "   +4 ms  iam:PutUserPolicy vault-root-my-role-1763900000-abc  200  1.5 ms"
    );
    // A second read is a burst of its own.
    issue(&mut app, 5000);
    assert_eq!(app.inside.bursts.len(), 2);
}

#[test]
fn revoking_goes_under_the_revoke_step_from_its_pane_and_to_the_lease_elsewhere() {
    let mut app = app();
    app.pane = Pane::Step(REVOKE);
    for action in [
        "ListAccessKeys",
        "DeleteAccessKey",
        "DeleteUserPolicy",
        "DeleteUser",
    ] {
        seen(&mut app, call(10, Why::Revoke, action, Some(LEASE)));
    }
    seen(&mut app, vault("PUT", "sys/leases/revoke"));
    assert_eq!(app.inside.bursts[0].cause, Cause::Step(REVOKE));
    assert_eq!(app.inside.bursts[0].calls.len(), 4);
    app.pane = Pane::Leases;
    seen(
        &mut app,
        call(
            20,
            Why::Revoke,
            "ListAccessKeys",
            Some("aws/creds/my-role/other"),
        ),
    );
    assert_eq!(app.inside.bursts[1].cause, Cause::Lease);
    // The issue step's pane shows neither.
    assert_eq!(app.inside.for_pane(Pane::Step(ISSUE)).count(), 0);
}

#[test]
fn an_expiry_shows_on_every_pane_with_no_command_and_is_not_cut_by_other_requests() {
    let mut app = app();
    app.pane = Pane::Step(1);
    seen(
        &mut app,
        call(0, Why::Expiry, "ListAccessKeys", Some(LEASE)),
    );
    seen(
        &mut app,
        vault("LIST", "sys/leases/lookup/aws/creds/my-role/"),
    );
    seen(
        &mut app,
        call(3, Why::Expiry, "DeleteAccessKey", Some(LEASE)),
    );
    assert_eq!(app.inside.bursts.len(), 1);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("aws/creds/my-role/…uvwx reached its end") && notice.contains("i shows"),
        "with the view hidden the status bar says it: {notice}"
    );
    let burst = &app.inside.bursts[0];
    assert_eq!(burst.cause, Cause::Expiry);
    assert_eq!(burst.request, None);
    assert!(
        burst_rows(&app, burst)[0]
            .plain()
            .contains("no command typed")
    );
    for pane in Pane::all(app.steps.len()) {
        assert_eq!(app.inside.for_pane(pane).count(), 1, "{pane:?}");
    }
}

#[test]
fn i_shows_and_hides_the_view_and_only_a_shown_view_redraws_for_a_call() {
    let mut app = app();
    assert_eq!(
        seen(&mut app, call(0, Why::Issue, "CreateUser", None)),
        Redraw::No
    );
    assert_eq!(key(&mut app, 'i'), Redraw::Yes);
    assert!(app.inside.shown);
    assert_eq!(app.notice, None, "the sandbox needs no excuse");
    assert_eq!(
        seen(&mut app, call(1, Why::Issue, "PutUserPolicy", None)),
        Redraw::Yes
    );
    key(&mut app, 'i');
    assert!(!app.inside.shown);
}

#[test]
fn with_another_aws_endpoint_or_a_real_vault_the_toggle_says_the_view_needs_the_sandbox() {
    let moto = Connection {
        service_endpoint: Some("http://127.0.0.1:5000".into()),
        ..Connection::new(Mode::Sandbox, "http://127.0.0.1:8200")
    };
    for connection in [
        moto,
        Connection::new(Mode::Live, "https://vault.example.com"),
    ] {
        let mut app = app_in(connection);
        key(&mut app, 'i');
        let notice = app.notice.clone().expect("a notice");
        assert!(notice.contains("needs the sandbox"), "{notice}");
        assert!(matches!(&pane_rows(&app, app.pane)[..], [Row::Note(n)] if *n == notice));
    }
}

#[test]
fn the_help_lists_the_key() {
    let app = app();
    assert!(
        crate::app::keymap::pane_bindings(&app)
            .iter()
            .any(|b| b.keys == "i" && b.action == crate::app::keymap::Action::ToggleInside)
    );
}

#[test]
fn a_revocation_vault_queued_heads_the_calls_that_follow_its_answer() {
    let mut app = app();
    app.pane = Pane::Step(REVOKE);
    seen(
        &mut app,
        Seen::Vault {
            method: "PUT".into(),
            path: "sys/leases/revoke".into(),
            status: 202,
            duration_ms: 0.2,
        },
    );
    seen(&mut app, vault("GET", "sys/mounts"));
    seen(
        &mut app,
        call(10, Why::Revoke, "ListAccessKeys", Some(LEASE)),
    );
    seen(&mut app, call(12, Why::Revoke, "DeleteUser", Some(LEASE)));
    let burst = &app.inside.bursts[0];
    assert_eq!(burst.calls.len(), 2);
    assert_eq!(
        burst
            .request
            .as_ref()
            .map(|(r, status, _)| (r.as_str(), *status)),
        Some(("PUT sys/leases/revoke", 202))
    );
}

#[test]
fn on_stage_the_inside_view_is_on_and_takes_room_once_the_engine_called_aws() {
    let screen = |app: &App| {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        let theme = crate::ui::Theme::for_run(None, true);
        terminal
            .draw(|frame| {
                crate::ui::draw(frame, app, &theme);
            })
            .unwrap();
        format!("{:?}", terminal.backend().buffer())
    };
    let mut app = app();
    crate::present::start(&mut app, crate::present::StageOptions::default());
    assert!(app.inside.shown, "on stage it is on");
    app.pane = Pane::Step(ISSUE);
    assert!(
        !screen(&app).contains("inside Vault"),
        "no empty box before the engine called AWS"
    );
    issue(&mut app, 0);
    let shown = screen(&app);
    assert!(
        shown.contains("inside Vault") && shown.contains("iam:CreateUser"),
        "{shown}"
    );
}

#[test]
fn a_queued_revocation_answered_between_its_calls_stays_one_burst() {
    let mut app = app();
    app.pane = Pane::Step(REVOKE);
    seen(
        &mut app,
        call(10, Why::Revoke, "ListAccessKeys", Some(LEASE)),
    );
    seen(
        &mut app,
        Seen::Vault {
            method: "PUT".into(),
            path: "sys/leases/revoke".into(),
            status: 202,
            duration_ms: 2.0,
        },
    );
    for action in ["DeleteAccessKey", "DeleteUserPolicy", "DeleteUser"] {
        seen(&mut app, call(20, Why::Revoke, action, Some(LEASE)));
    }
    // The reconciliation's read after it is no one's cause, and takes no burst's place.
    seen(&mut app, vault("PUT", "sys/leases/revoke"));
    assert_eq!(app.inside.bursts.len(), 1, "{:?}", app.inside.bursts);
    assert_eq!(app.inside.bursts[0].calls.len(), 4);
    assert_eq!(
        app.inside.bursts[0].request.as_ref().map(|r| r.1),
        Some(202)
    );
}

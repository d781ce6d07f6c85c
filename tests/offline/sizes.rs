//! Every pane and overlay at 80×24, 100×30 and 200×60, drawn as the runtime draws them:
//! what the view measured goes back to `update` before the screen is read. Snapshotted at
//! each size; the key that moves the lab on is always in the status bar; every line of a
//! pane can be scrolled into view.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultlab::app::state::{App, Mode, Overlay, Pane, StepStatus};
use vaultlab::app::update;
use vaultlab::lab::StepKind;
use vaultlab::ui::{Theme, draw};

use crate::app_states::*;
use crate::ui_snapshots::screen;

pub const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (200, 60)];

/// Draws, gives what the view measured back to `update` (as the runtime does after each
/// frame), and returns the screen drawn then.
pub fn settled(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut drawn = None;
    terminal
        .draw(|frame| drawn = Some(draw(frame, app, &Theme::plain())))
        .unwrap();
    if let Some(msg) = drawn.and_then(|d| d.feedback(app)) {
        update(app, msg);
    }
    screen(app, width, height)
}

#[test]
fn every_pane_and_overlay_at_80x24_100x30_and_200x60() {
    for (width, height) in SIZES {
        for (name, mut app) in every_screen().into_iter().chain(every_postgres_screen()) {
            let text = settled(&mut app, width, height);
            assert!(
                !text.contains(ISSUED_SECRET),
                "{name}: the secret key shows"
            );
            assert!(!text.contains(PG_SECRET), "{name}: the password shows");
            let snapshot = format!("{width}x{height}_{}", name.replace(' ', "_"));
            insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
                insta::assert_snapshot!(snapshot, text);
            });
        }
    }
}

/// The keys that must stay in the status bar: the ones that move the lab on, or answer
/// the prompt that is open.
pub fn primary_keys(app: &App) -> Vec<&'static str> {
    match app.overlay {
        Some(Overlay::Help) | Some(Overlay::Message) => return vec!["any key"],
        Some(Overlay::ConfirmQuit) | Some(Overlay::EarlierLeases) => return vec!["r ", "Esc"],
        None => {}
    }
    if app.editing {
        return vec!["Esc stop"];
    }
    let mut keys = match app.pane {
        // Running: nothing to start; the lab moves on with n.
        Pane::Step(step) if app.steps[step].status == StepStatus::Running => vec!["n "],
        // A form or an editor: e is how its values change.
        Pane::Step(step)
            if matches!(app.step_kind(step), StepKind::Form(_) | StepKind::Editor(_)) =>
        {
            vec!["Enter ", "e ", "n "]
        }
        Pane::Step(_) => vec!["Enter ", "n "],
        Pane::Overview | Pane::Finish => vec!["n "],
        Pane::Leases => vec!["l Esc"],
    };
    keys.extend(["? ", "q "]);
    keys
}

/// Every screen the snapshots show, and every pane before and after credentials, with
/// the editor and the form being edited.
fn all_states() -> Vec<(String, App)> {
    let mut states: Vec<(String, App)> = every_screen()
        .into_iter()
        .chain(every_postgres_screen())
        .map(|(name, app)| (name.to_owned(), app))
        .collect();
    let fresh = |issued: bool| {
        let mut app = app(Mode::Sandbox);
        if issued {
            issue(&mut app);
        }
        app
    };
    let steps = fresh(false).steps.len();
    for issued in [false, true] {
        for pane in Pane::all(steps) {
            let mut app = fresh(issued);
            app.pane = pane;
            states.push((format!("{pane:?}, issued: {issued}"), app));
        }
    }
    for step in [ROOT_KEYS, POLICY] {
        let mut app = fresh(false);
        go_to(&mut app, step);
        press(&mut app, KeyCode::Char('e'));
        states.push((format!("editing step {}", step + 1), app));
    }
    states
}

#[test]
fn at_every_size_the_status_bar_keeps_the_key_that_moves_the_lab_on() {
    for (width, height) in SIZES {
        for (name, mut app) in all_states() {
            let text = settled(&mut app, width, height);
            let bar = text
                .lines()
                .nth(usize::from(height) - 2)
                .unwrap_or_default();
            // A notice shows, on the bar or above it.
            if let Some(notice) = &app.notice {
                let start: String = notice.chars().take(20).collect();
                assert!(
                    text.contains(&start),
                    "{name}: {notice:?} not shown:\n{text}"
                );
            }
            for key in primary_keys(&app) {
                assert!(
                    bar.contains(key),
                    "{name} at {width}x{height}: no {key:?} in the status bar:\n{text}"
                );
            }
        }
    }
}

/// The rows of the pane (between the tabs and the status bar), the marks left out.
fn pane_rows(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[2..lines.len() - 2]
        .iter()
        .filter(|row| !row.contains(" more lines ") && !row.contains(" more line "))
        .map(|row| row.to_string())
        .collect()
}

#[test]
fn at_80x24_every_line_of_every_pane_can_be_scrolled_into_view() {
    every_line_scrolls_into_view_at_80x24(
        every_screen().into_iter().chain(every_postgres_screen()),
    );
}

/// Scrolled from the top a page at a time, every line a tall screen shows comes into view
/// at 80×24. (Overlays aside; an editor stops editing first.)
pub fn every_line_scrolls_into_view_at_80x24(
    states: impl IntoIterator<Item = (&'static str, App)>,
) {
    for (name, mut app) in states {
        if app.overlay.is_some() {
            continue;
        }
        // While editing, the arrows and pages are the editor's.
        if app.editing {
            press(&mut app, KeyCode::Esc);
        }
        // The same width, tall enough for everything: what there is to see.
        let all = pane_rows(&screen(&app, 80, 200));
        let mut seen = HashSet::new();
        let mut text = settled(&mut app, 80, 24);
        press(&mut app, KeyCode::Home);
        for _ in 0..40 {
            text = settled(&mut app, 80, 24);
            seen.extend(pane_rows(&text));
            press(&mut app, KeyCode::PageDown);
        }
        // The leases pane's table follows its selection: ↑ takes it up.
        if app.pane == Pane::Leases {
            for _ in 0..10 {
                press(&mut app, KeyCode::Up);
                text = settled(&mut app, 80, 24);
                seen.extend(pane_rows(&text));
            }
        }
        for row in all {
            let blank = row.trim_matches(|c: char| c == '│' || c == ' ').is_empty();
            assert!(
                blank || seen.contains(&row),
                "{name}: never in view at 80x24:\n{row}\nlast screen:\n{text}"
            );
        }
    }
}

#[test]
fn at_80x24_the_overview_marks_what_is_below_and_scrolls_to_every_step_and_export_line() {
    let mut app = overview_sandbox();
    let top = settled(&mut app, 80, 24);
    assert!(top.contains("more lines below"), "{top}");
    assert!(top.contains("n or → goes to the first step"), "{top}");
    press(&mut app, KeyCode::End);
    let end = settled(&mut app, 80, 24);
    assert!(end.contains("more lines above"), "{end}");
    assert!(end.contains("6. Revoke the lease"), "{end}");
    assert!(end.contains(" AWS_SECRET_ACCESS_KEY=••••"), "{end}");
    assert!(end.contains("n or → goes to the first step"), "{end}");
}

#[test]
fn at_80x24_the_policy_editor_shows_eight_lines_and_where_the_json_breaks() {
    let mut app = policy_json_error();
    let text = settled(&mut app, 80, 24);
    for number in 1..=8 {
        assert!(
            text.contains(&format!("│{number:>3} ")),
            "line {number} of the document: {text}"
        );
    }
    assert!(text.contains("not valid JSON"), "{text}");
    assert!(text.contains("line 3, column 3"), "{text}");
    assert!(text.contains("✗ line 3:3"), "on the editor's frame: {text}");
    assert!(
        !text.contains('↕'),
        "the whole document fits its box: {text}"
    );
    // Grown past what its box can show: the frame says so, and where the cursor is.
    for _ in 0..20 {
        press(&mut app, KeyCode::Enter);
    }
    let text = settled(&mut app, 80, 24);
    let lines = app.editor(POLICY).unwrap().textarea.lines().len();
    let row = app.editor(POLICY).unwrap().textarea.cursor().0 + 1;
    assert!(
        text.contains(&format!("↕ line {row} of {lines}")),
        "more than the box shows is marked: {text}"
    );
}

#[test]
fn at_80x24_the_help_of_every_pane_fits_whole() {
    for (name, mut app) in all_states() {
        // While editing, ? is typed into the input.
        if app.overlay.is_some() || app.editing {
            continue;
        }
        settled(&mut app, 80, 24);
        press(&mut app, KeyCode::Char('?'));
        let text = settled(&mut app, 80, 24);
        assert!(text.contains("Keys on this pane"), "{name}: {text}");
        assert!(text.contains("Any key closes this help."), "{name}: {text}");
    }
}

#[test]
fn below_80x24_one_screen_says_the_size_needed_and_the_lab_comes_back_as_it_was() {
    let mut app = overview_sandbox();
    settled(&mut app, 80, 24);
    press(&mut app, KeyCode::End);
    let at_the_end = settled(&mut app, 80, 24);
    for (width, height) in [(79, 24), (80, 23), (60, 20)] {
        let text = settled(&mut app, width, height);
        assert!(
            text.contains("vaultlab needs a terminal of at least 80×24."),
            "{text}"
        );
        assert!(
            text.contains(&format!("This one is {width}×{height}")),
            "{text}"
        );
        assert!(!text.contains("Overview"), "no lab cut to pieces: {text}");
    }
    assert_eq!(settled(&mut app, 80, 24), at_the_end, "scrolled as before");
}

#[test]
fn at_80x24_where_requests_go_stays_whole_and_the_labs_title_gives_way() {
    let mut app = app(Mode::Live);
    app.connection.vault_addr = "https://vault.internal.example.com:8200".into();
    app.connection.namespace = Some("admin/team-a".into());
    let text = settled(&mut app, 80, 24);
    let top = text.lines().next().unwrap_or_default();
    assert!(
        top.contains("LIVE https://vault.internal.example.com:8200 ns=admin/team-a"),
        "{top}"
    );
    assert!(top.starts_with("┌ vaultlab ─"), "{top}");
    // With room, both.
    let text = settled(&mut app, 120, 30);
    let top = text.lines().next().unwrap_or_default();
    assert!(
        top.contains("vaultlab · Dynamic secrets with Vault and AWS"),
        "{top}"
    );
    assert!(top.contains("ns=admin/team-a"), "{top}");
}

#[test]
fn at_80x24_the_leases_table_follows_the_selection_and_marks_what_it_hides() {
    let mut app = many_earlier_leases();
    let top = settled(&mut app, 80, 24);
    assert!(top.contains("▶ aws/creds/my-role/…Xn00"), "{top}");
    assert!(top.contains("more lines below"), "{top}");
    for _ in 0..14 {
        press(&mut app, KeyCode::Down);
    }
    let bottom = settled(&mut app, 80, 24);
    assert!(bottom.contains("▶ aws/creds/my-role/…Xn14"), "{bottom}");
    assert!(bottom.contains("more lines above"), "{bottom}");
    assert!(
        bottom.contains("selected        aws/creds/my-role/"),
        "{bottom}"
    );
}

#[test]
fn a_message_too_long_for_the_status_bar_shows_whole_above_it() {
    for (width, height) in SIZES {
        let mut app = leases_pane_capped_renewal();
        let text = settled(&mut app, width, height);
        assert!(
            text.contains("Lease renewed: granted 4m50s of the 15m asked: capped by the max TTL."),
            "{width}x{height}: {text}"
        );
        assert!(!text.contains("Lease renewed: granted 4m50s…"), "{text}");
        let bar = text
            .lines()
            .nth(usize::from(height) - 2)
            .unwrap_or_default();
        assert!(bar.contains("l Esc back"), "{bar}");
    }
}

//! A lab in a workshop room's seat: the facilitator's broadcast on the status bar, the
//! pace holding the later steps, the room's end, all from `Msg::Room` alone.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vaultlab_wire::room::{Broadcast, SeatNotice};

use super::room::RoomSeat;
use super::state::{App, Pane};
use super::update;
use super::update_tests::{app, at};
use crate::app::Redraw;

fn seated() -> App {
    let mut app = app();
    app.room = Some(RoomSeat::new("Thursday", "ada"));
    app
}

fn notice(version: u64, broadcast: Option<&str>, pace: Option<u8>) -> SeatNotice {
    SeatNotice {
        version,
        title: "Thursday".into(),
        seat: "ada".into(),
        broadcast: broadcast.map(|message| Broadcast {
            message: message.into(),
            at: at(0),
        }),
        pace,
        ended: false,
        steps: Vec::new(),
    }
}

fn key(app: &mut App, code: KeyCode) -> Vec<super::Effect> {
    update(
        app,
        super::Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    )
    .0
}

#[test]
fn the_facilitators_broadcast_shows_on_the_status_bar_and_stays() {
    let mut app = seated();
    let (_, redraw) = update(
        &mut app,
        super::Msg::Room(notice(1, Some("Break till 10:45"), None)),
    );
    assert_eq!(redraw, Redraw::Yes);
    assert_eq!(app.notice.as_deref(), Some("Facilitator: Break till 10:45"));
    // Another notice takes the bar while it is news; the broadcast comes back after.
    app.notice = Some("Copied.".into());
    update(&mut app, super::Msg::Tick(at(1)));
    assert_eq!(app.notice.as_deref(), Some("Copied."));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.notice.as_deref(), Some("Facilitator: Break till 10:45"));
    // Cleared by the facilitator: gone from the bar.
    update(&mut app, super::Msg::Room(notice(2, None, None)));
    assert_eq!(app.notice, None);
}

#[test]
fn a_notice_older_than_the_one_shown_changes_nothing() {
    let mut app = seated();
    update(&mut app, super::Msg::Room(notice(5, Some("new"), None)));
    let (_, redraw) = update(&mut app, super::Msg::Room(notice(4, Some("old"), None)));
    assert_eq!(redraw, Redraw::No);
    assert_eq!(app.notice.as_deref(), Some("Facilitator: new"));
    // The same notice again (a long poll that timed out) is not redrawn.
    let (_, redraw) = update(&mut app, super::Msg::Room(notice(5, Some("new"), None)));
    assert_eq!(redraw, Redraw::No);
}

#[test]
fn pace_holds_the_steps_after_it_and_free_opens_them() {
    let mut app = seated();
    update(&mut app, super::Msg::Room(notice(1, None, Some(1))));
    app.pane = Pane::Step(1);
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "step 2 ran while held"
    );
    assert_eq!(
        app.notice.as_deref(),
        Some("The facilitator will open step 2.")
    );
    // Step 1 is open.
    app.pane = Pane::Step(0);
    assert!(
        !key(&mut app, KeyCode::Enter).is_empty(),
        "step 1 did not run"
    );
    // Moving onto a held step says so before Enter.
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.pane, Pane::Step(1));
    assert_eq!(
        app.notice.as_deref(),
        Some("The facilitator will open step 2.")
    );
    update(&mut app, super::Msg::Room(notice(2, None, None)));
    assert_eq!(app.notice, None);
    assert!(
        !key(&mut app, KeyCode::Enter).is_empty(),
        "step 2 stayed held"
    );
}

#[test]
fn a_hold_and_a_broadcast_share_the_bar_and_the_end_is_said() {
    let mut app = seated();
    app.pane = Pane::Step(4);
    update(&mut app, super::Msg::Room(notice(1, Some("wait"), Some(3))));
    assert_eq!(
        app.notice.as_deref(),
        Some("The facilitator will open step 5. · Facilitator: wait")
    );
    let mut ended = notice(2, None, None);
    ended.ended = true;
    update(&mut app, super::Msg::Room(ended));
    assert_eq!(
        app.notice.as_deref(),
        Some("The room has ended: its leases are revoked.")
    );
}

#[test]
fn outside_a_room_notices_change_nothing() {
    let mut app = app();
    let (_, redraw) = update(&mut app, super::Msg::Room(notice(1, Some("hi"), Some(1))));
    assert_eq!(redraw, Redraw::No);
    assert_eq!(app.notice, None);
    app.pane = Pane::Step(3);
    assert!(!key(&mut app, KeyCode::Enter).is_empty());
}

#[test]
fn a_new_broadcast_takes_the_bar_over_a_notice_of_the_lab() {
    let mut app = seated();
    app.notice = Some("Enabled: aws/ is mounted.".into());
    update(
        &mut app,
        super::Msg::Room(notice(1, Some("Break till 10:45"), None)),
    );
    assert_eq!(app.notice.as_deref(), Some("Facilitator: Break till 10:45"));
    // A notice that says nothing new leaves the lab's own alone.
    app.notice = Some("Copied.".into());
    update(
        &mut app,
        super::Msg::Room(notice(2, Some("Break till 10:45"), None)),
    );
    assert_eq!(app.notice.as_deref(), Some("Copied."));
}

fn progress(done: &[u8]) -> Vec<vaultlab_wire::room::StepProgress> {
    (1..=6)
        .map(|step| vaultlab_wire::room::StepProgress {
            step,
            done_at: done.contains(&step).then(|| at(i64::from(step) * 60)),
        })
        .collect()
}

fn drawn(app: &App) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let theme = crate::ui::Theme::for_run(None, true);
    terminal
        .draw(|frame| {
            crate::ui::draw(frame, app, &theme);
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_rejoined_seat_shows_the_steps_the_room_saw_done_with_their_time() {
    use super::room::done_in_room;
    use super::state::StepStatus;
    let mut app = seated();
    app.steps[0].status = StepStatus::Done;
    let mut said = notice(1, None, None);
    said.steps = progress(&[1, 2, 3, 4, 5, 6]);
    let (_, redraw) = update(&mut app, super::Msg::Room(said));
    assert_eq!(redraw, Redraw::Yes);
    // This run's own status where it has one; the room's record for the pending ones.
    assert_eq!(done_in_room(&app, 0), None);
    assert_eq!(done_in_room(&app, 3), Some(at(240)));
    assert_eq!(app.steps_done(), 6);
    let screen = drawn(&app);
    let line = |text: &str| -> String {
        screen
            .lines()
            .find(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text} in\n{screen}"))
            .to_owned()
    };
    assert!(line("4. Generate").contains(&format!(
        "● done {} UTC (the room's record)",
        at(240).format("%H:%M")
    )));
    assert!(line("1. Enable").contains("● done") && !line("1. Enable").contains("record"));
    assert!(
        screen.contains("5 Test (✓)") || screen.contains(" 5 (✓)"),
        "the tab shows it done by the room's record: {screen}"
    );

    // The step pane says whose record it is, and Enter still does the step again.
    app.pane = Pane::Step(3);
    assert!(drawn(&app).contains("The room saw this step done at"));
    assert!(
        !key(&mut app, KeyCode::Enter).is_empty(),
        "step 4 did not run"
    );
    assert_eq!(
        done_in_room(&app, 3),
        None,
        "running: this run's status shows"
    );

    // A step the room no longer has done (its engine disabled) is pending again.
    let mut undone = notice(2, None, None);
    undone.steps = progress(&[1, 2, 3]);
    update(&mut app, super::Msg::Room(undone));
    assert_eq!(done_in_room(&app, 4), None);
    // Step 1 this run's; 2 and 3 the room's; 4 running here.
    assert_eq!(app.steps_done(), 3);
}

/// A seat rejoined after the whole lab was done in an earlier run: this run has done
/// nothing yet, the room's record has all six.
fn rejoined_after_the_whole_lab() -> App {
    let mut app = seated();
    let mut said = notice(1, None, None);
    said.steps = progress(&[1, 2, 3, 4, 5, 6]);
    update(&mut app, super::Msg::Room(said));
    app
}

#[test]
fn enter_on_a_test_or_revoke_the_room_saw_done_asks_for_credentials_and_keeps_the_record() {
    use super::room::done_in_room;
    use super::state::StepStatus;
    use super::update_tests::{REVOKE, TEST};
    let mut app = rejoined_after_the_whole_lab();
    for (step, again) in [(TEST, "test them again"), (REVOKE, "revoke them again")] {
        app.pane = Pane::Step(step);
        let effects = key(&mut app, KeyCode::Enter);
        assert!(effects.is_empty(), "step {}: {effects:?}", step + 1);
        assert_eq!(
            app.steps[step].status,
            StepStatus::Pending,
            "step {}",
            step + 1
        );
        assert_eq!(done_in_room(&app, step), Some(at(60 * (step as i64 + 1))));
        let notice = app.notice.clone().unwrap_or_default();
        assert!(
            notice.contains("generate credentials in step 4") && notice.contains(again),
            "step {}: {notice}",
            step + 1
        );
        // The pane says what doing it again takes.
        let screen = drawn(&app);
        assert!(
            screen.contains("generate credentials in step 4 first"),
            "step {}: {screen}",
            step + 1
        );
        assert!(!screen.contains("✗"), "{screen}");
    }
    assert_eq!(app.steps_done(), 6);
}

#[test]
fn once_this_run_holds_credentials_the_earlier_runs_test_and_revocation_are_not_shown_done() {
    use super::room::done_in_room;
    use super::update_tests::{GENERATE, REVOKE, TEST, issue};
    let mut app = rejoined_after_the_whole_lab();
    app.pane = Pane::Step(GENERATE);
    key(&mut app, KeyCode::Enter);
    issue(&mut app, std::time::Duration::from_secs(3600));
    assert!(app.active_lease().is_some(), "this run's lease is alive");
    // Its keys are neither tested nor revoked: steps 5 and 6 are this run's, pending.
    assert_eq!(done_in_room(&app, TEST), None);
    assert_eq!(done_in_room(&app, REVOKE), None);
    assert_eq!(app.steps_done(), 4);
    app.pane = Pane::Step(REVOKE);
    let screen = drawn(&app);
    assert!(!screen.contains("The room saw this step done"), "{screen}");
    assert!(
        !screen.contains("6 Revoke ✓") && !screen.contains("6 Revoke (✓)"),
        "{screen}"
    );
    app.pane = Pane::Finish;
    let screen = drawn(&app);
    assert!(screen.contains("Not finished yet."), "{screen}");
    assert!(!screen.contains("the keys died with the lease"), "{screen}");
}

#[test]
fn the_finish_pane_and_the_tabs_say_which_steps_are_the_rooms_record() {
    use super::state::StepStatus;
    let mut app = rejoined_after_the_whole_lab();
    app.steps[0].status = StepStatus::Done;
    app.pane = Pane::Finish;
    let screen = drawn(&app);
    assert!(screen.contains("All six steps done."), "{screen}");
    assert!(
        screen.contains("steps 2, 3, 4, 5 and 6 by the room's record, before this run"),
        "{screen}"
    );
    // This run's ✓, and the room's record marked as such.
    assert!(
        screen.contains("1 Enable ✓ ") || screen.contains(" 1 ✓ "),
        "{screen}"
    );
    assert!(screen.contains("(✓)"), "{screen}");
}

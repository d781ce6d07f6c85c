//! The dashboard's `update`, driven by messages alone: reading the room each second,
//! redrawing only on change, the facilitator's actions and their prompts.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::seats::{Filter, SortBy};
use super::{Confirm, Dashboard, Done, Effect, Msg, Prompt, Start, View, update};
use crate::app::Redraw;
use crate::app::msg::StopSignal;
use vaultlab_wire::room::{RoomStatus, RoomSummary, SeatLog, SeatStatus, StepProgress};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::milliseconds(ms)
}

fn seat(name: &str, done: u8) -> SeatStatus {
    SeatStatus {
        name: name.into(),
        namespace: format!("room/{name}/"),
        account_id: "111122223333".into(),
        joined: at(0),
        last_activity: at(0),
        steps: (1..=6)
            .map(|step| StepProgress {
                step,
                done_at: (step <= done).then(|| at(1000)),
            })
            .collect(),
        leases: Vec::new(),
        last_error: None,
    }
}

fn room(seats: Vec<SeatStatus>) -> RoomStatus {
    RoomStatus {
        title: "t".into(),
        join_code: "K7QF-92XD".into(),
        max_seats: 10,
        opened: at(0),
        ended: None,
        broadcast: None,
        pace: None,
        short_leases: None,
        summary: RoomSummary {
            joined: seats.len(),
            done_per_step: [0; 6],
            leases_alive: 0,
        },
        seats,
    }
}

/// A dashboard whose first reading has come back.
fn started() -> Dashboard {
    let (mut d, effects) = Dashboard::new(Start {
        url: "http://127.0.0.1:8200".into(),
        code: "K7QF-92XD".into(),
        tls: None,
        kept_certificate: false,
        report: "/tmp/report.md".into(),
        now: at(0),
    });
    assert_eq!(effects, [Effect::FetchStatus]);
    update(
        &mut d,
        Msg::Status(Ok(room(vec![seat("bo", 2), seat("ada", 4), seat("cy", 0)]))),
    );
    d
}

fn key(d: &mut Dashboard, code: KeyCode) -> (Vec<Effect>, Redraw) {
    update(d, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn char(d: &mut Dashboard, c: char) -> (Vec<Effect>, Redraw) {
    key(d, KeyCode::Char(c))
}

#[test]
fn the_room_is_read_once_a_second_one_request_at_a_time() {
    let mut d = started();
    // A tick before the second is up (one comes before every key) asks nothing.
    assert_eq!(update(&mut d, Msg::Tick(at(300))).0, []);
    assert_eq!(update(&mut d, Msg::Tick(at(1000))).0, [Effect::FetchStatus]);
    // Still on its way a second later: not asked twice.
    assert_eq!(update(&mut d, Msg::Tick(at(2000))).0, []);
    update(&mut d, Msg::Status(Ok(room(vec![]))));
    assert_eq!(update(&mut d, Msg::Tick(at(3000))).0, [Effect::FetchStatus]);
}

#[test]
fn an_unchanged_room_is_not_redrawn_and_a_changed_one_is() {
    let mut d = started();
    let same = d.room.clone().unwrap();
    assert_eq!(update(&mut d, Msg::Status(Ok(same.clone()))).1, Redraw::No);
    let mut moved = same;
    moved.seats[0].steps[2].done_at = Some(at(1500));
    assert_eq!(update(&mut d, Msg::Status(Ok(moved))).1, Redraw::Yes);
    // A new second redraws (the countdowns); a tick within the second does not.
    assert_eq!(update(&mut d, Msg::Tick(at(400))).1, Redraw::No);
    assert_eq!(update(&mut d, Msg::Tick(at(1000))).1, Redraw::Yes);
}

#[test]
fn a_failed_reading_is_shown_once_and_cleared_by_the_next() {
    let mut d = started();
    let lost = || Msg::Status(Err("no room answers".into()));
    assert_eq!(update(&mut d, lost()).1, Redraw::Yes);
    assert_eq!(d.fetch.problem.as_deref(), Some("no room answers"));
    assert_eq!(update(&mut d, lost()).1, Redraw::No);
    let again = d.room.clone().unwrap();
    assert_eq!(update(&mut d, Msg::Status(Ok(again))).1, Redraw::Yes);
    assert_eq!(d.fetch.problem, None);
    // The room as last read stays on screen meanwhile.
    assert!(d.room.is_some());
}

#[test]
fn the_selection_follows_the_seat_through_sorting_and_new_readings() {
    let mut d = started();
    assert_eq!(d.rows()[d.cursor()].name, "ada");
    char(&mut d, 'j');
    char(&mut d, 'j');
    assert_eq!(d.selected.as_deref(), Some("cy"));
    char(&mut d, 's');
    assert_eq!(d.sort, SortBy::Progress);
    // Fewest steps first: cy is now first, and still selected.
    assert_eq!(d.cursor(), 0);
    assert_eq!(d.rows()[d.cursor()].name, "cy");
    let mut more = d.room.clone().unwrap();
    more.seats.push(seat("abe", 0));
    update(&mut d, Msg::Status(Ok(more)));
    assert_eq!(d.rows()[d.cursor()].name, "cy");
    // Moving past either end stays on the end.
    key(&mut d, KeyCode::End);
    key(&mut d, KeyCode::Down);
    assert_eq!(d.selected.as_deref(), Some("ada"));
    key(&mut d, KeyCode::Home);
    assert_eq!(d.rows()[d.cursor()].name, "abe");
}

#[test]
fn the_filter_cycles_through_stuck_and_failing() {
    let mut d = started();
    char(&mut d, 'f');
    assert_eq!(d.filter, Filter::Stuck);
    // Nobody is stuck a second after joining.
    assert!(d.rows().is_empty());
    update(&mut d, Msg::Tick(at(3 * 60 * 1000 + 1000)));
    assert_eq!(d.rows().len(), 3);
    char(&mut d, 'f');
    assert_eq!(d.filter, Filter::HasError);
    char(&mut d, 'f');
    assert_eq!(d.filter, Filter::All);
}

#[test]
fn enter_opens_the_seats_log_which_is_read_each_second_and_esc_closes_it() {
    let mut d = started();
    let (effects, _) = key(&mut d, KeyCode::Enter);
    assert_eq!(effects, [Effect::FetchLog("ada".into())]);
    // The status and the log are read together each second, each once.
    let same = d.room.clone().unwrap();
    update(&mut d, Msg::Status(Ok(same)));
    assert_eq!(update(&mut d, Msg::Tick(at(1000))).0, [Effect::FetchStatus]);
    let log = |seat: &str| SeatLog {
        seat: seat.into(),
        entries: Vec::new(),
    };
    // An answer for another seat (one closed meanwhile), or its failure, is dropped and
    // leaves the shown seat's read in flight.
    let for_seat = |seat: &str, result| Msg::Log {
        seat: seat.into(),
        result,
    };
    update(&mut d, for_seat("bo", Ok(log("bo"))));
    update(&mut d, for_seat("bo", Err("no room answers".into())));
    assert!(matches!(
        &d.view,
        View::Log {
            log: None,
            problem: None,
            in_flight: true,
            ..
        }
    ));
    update(&mut d, for_seat("ada", Ok(log("ada"))));
    assert!(matches!(&d.view, View::Log { log: Some(_), .. }));
    let same = d.room.clone().unwrap();
    update(&mut d, Msg::Status(Ok(same)));
    let (effects, _) = update(&mut d, Msg::Tick(at(2000)));
    assert!(
        effects.contains(&Effect::FetchLog("ada".into())),
        "{effects:?}"
    );
    key(&mut d, KeyCode::Esc);
    assert_eq!(d.view, View::Seats);
}

#[test]
fn a_broadcast_is_typed_on_one_line_and_sent_with_enter() {
    let mut d = started();
    char(&mut d, 'b');
    for c in "Break till 10:45".chars() {
        char(&mut d, c);
    }
    key(&mut d, KeyCode::Backspace);
    // q is a letter here, not quit.
    char(&mut d, 'q');
    update(&mut d, Msg::Paste("!\nsecond line".into()));
    assert_eq!(
        d.prompt,
        Some(Prompt::Broadcast("Break till 10:4q!".into()))
    );
    let (effects, _) = key(&mut d, KeyCode::Enter);
    assert_eq!(effects, [Effect::Broadcast("Break till 10:4q!".into())]);
    assert_eq!(d.prompt, None);
    // The room's answer says so, and the room is read again at once.
    let (effects, _) = update(&mut d, Msg::Done(Ok(Done::Broadcast { cleared: false })));
    assert_eq!(effects, [Effect::FetchStatus]);
    assert!(d.notice.as_deref().unwrap().starts_with("Broadcast sent"));
    // Esc sends nothing.
    char(&mut d, 'b');
    char(&mut d, 'x');
    assert_eq!(key(&mut d, KeyCode::Esc).0, []);
    assert_eq!(d.prompt, None);
}

#[test]
fn a_broadcast_stops_at_the_rooms_limit() {
    let mut d = started();
    char(&mut d, 'b');
    update(&mut d, Msg::Paste("a".repeat(250)));
    char(&mut d, 'b');
    let Some(Prompt::Broadcast(line)) = &d.prompt else {
        panic!("{:?}", d.prompt)
    };
    assert_eq!(line.chars().count(), super::update::BROADCAST_MAX);
}

#[test]
fn pace_takes_a_step_or_free() {
    let mut d = started();
    char(&mut d, 'p');
    // Not a step: the prompt stays.
    assert_eq!(char(&mut d, '9').0, []);
    assert_eq!(d.prompt, Some(Prompt::Pace));
    assert_eq!(char(&mut d, '3').0, [Effect::Pace(Some(3))]);
    char(&mut d, 'p');
    assert_eq!(char(&mut d, 'f').0, [Effect::Pace(None)]);
}

#[test]
fn t_turns_short_leases_off_once_the_room_has_them() {
    let mut d = started();
    let mut short = room(vec![seat("ada", 4)]);
    short.short_leases = Some(vaultlab_wire::room::ShortLeases {
        ttl: 120,
        max_ttl: 300,
    });
    update(&mut d, Msg::Status(Ok(short)));
    let hints = super::keys::bindings(&d);
    assert!(
        hints
            .iter()
            .any(|b| b.keys == "t" && b.description == "short leases off (engine defaults)"),
        "{hints:?}"
    );
    char(&mut d, 't');
    assert_eq!(
        d.prompt,
        Some(Prompt::Confirm(Confirm::ShortLeases { on: false }))
    );
    assert_eq!(char(&mut d, 'y').0, [Effect::ShortLeases { on: false }]);
    update(
        &mut d,
        Msg::Done(Ok(Done::ShortLeases {
            seats: 1,
            on: false,
        })),
    );
    assert_eq!(
        d.notice.as_deref(),
        Some(
            "Short leases are off: every seat (1 now, and those that join later) has the engine's default lease TTLs again."
        )
    );
}

#[test]
fn actions_that_cannot_be_undone_are_asked_first() {
    let mut d = started();
    assert_eq!(char(&mut d, 't').0, []);
    assert_eq!(
        d.prompt,
        Some(Prompt::Confirm(Confirm::ShortLeases { on: true }))
    );
    assert_eq!(char(&mut d, 'y').0, [Effect::ShortLeases { on: true }]);

    // x: the selected seat's leases.
    char(&mut d, 'j');
    char(&mut d, 'x');
    assert_eq!(
        d.prompt,
        Some(Prompt::Confirm(Confirm::Revoke("bo".into())))
    );
    // Another key leaves the question open; Esc says no.
    assert_eq!(char(&mut d, 'k').0, []);
    assert_eq!(key(&mut d, KeyCode::Esc).0, []);
    assert_eq!(d.prompt, None);
    char(&mut d, 'x');
    assert_eq!(char(&mut d, 'y').0, [Effect::Revoke("bo".into())]);

    char(&mut d, 'E');
    assert_eq!(char(&mut d, 'n').0, []);
    char(&mut d, 'E');
    assert_eq!(char(&mut d, 'y').0, [Effect::End]);
}

#[test]
fn an_ended_room_offers_no_actions_and_says_where_its_report_is() {
    let mut d = started();
    update(
        &mut d,
        Msg::Done(Ok(Done::Ended {
            report: "/tmp/report.md".into(),
            leases_revoked: 5,
            vault_users_left: 0,
        })),
    );
    assert!(d.ended());
    let notice = d.notice.clone().unwrap();
    assert!(
        notice.contains("5 leases revoked, 0 vault-* IAM users left"),
        "{notice}"
    );
    assert!(notice.contains("/tmp/report.md"), "{notice}");
    for c in ['b', 'p', 't', 'x', 'E'] {
        char(&mut d, c);
        assert_eq!(d.prompt, None, "{c}");
    }
    // Nothing is left to lose: q leaves without asking.
    assert_eq!(char(&mut d, 'q').0, [Effect::Quit]);
}

#[test]
fn a_refused_action_says_why_in_the_rooms_words() {
    let mut d = started();
    update(
        &mut d,
        Msg::Done(Err("The pace was not set: permission denied (403)".into())),
    );
    assert_eq!(
        d.notice.as_deref(),
        Some("The pace was not set: permission denied (403)")
    );
}

#[test]
fn quitting_asks_first_and_sigterm_twice_or_sighup_leaves() {
    let mut d = started();
    assert_eq!(char(&mut d, 'q').0, []);
    assert_eq!(d.prompt, Some(Prompt::Confirm(Confirm::Quit)));
    key(&mut d, KeyCode::Esc);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    update(&mut d, Msg::Key(ctrl_c));
    assert_eq!(d.prompt, Some(Prompt::Confirm(Confirm::Quit)));
    assert_eq!(char(&mut d, 'y').0, [Effect::Quit]);

    let mut d = started();
    assert_eq!(update(&mut d, Msg::Signal(StopSignal::Terminate)).0, []);
    assert_eq!(
        update(&mut d, Msg::Signal(StopSignal::Terminate)).0,
        [Effect::Quit]
    );
    let mut d = started();
    assert_eq!(
        update(&mut d, Msg::Signal(StopSignal::Hangup)).0,
        [Effect::Quit]
    );
}

#[test]
fn ctrl_z_warns_that_the_room_stops_too_and_suspends_at_the_second() {
    let mut d = started();
    let ctrl_z = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut d, Msg::Key(ctrl_z)).0, []);
    assert_eq!(d.notice.as_deref(), Some(super::update::SUSPEND_WARNING));
    assert_eq!(update(&mut d, Msg::Key(ctrl_z)).0, [Effect::Suspend]);
    // Another key between the two calls it off.
    update(&mut d, Msg::Key(ctrl_z));
    char(&mut d, 's');
    assert_eq!(d.notice, None);
    assert_eq!(update(&mut d, Msg::Key(ctrl_z)).0, []);
    // SIGTSTP from outside suspends at once: whoever sent it meant it.
    assert_eq!(update(&mut d, Msg::Suspend).0, [Effect::Suspend]);
}

#[test]
fn help_closes_on_any_key() {
    let mut d = started();
    char(&mut d, '?');
    assert!(d.help);
    // The key that closes the help does nothing else.
    assert_eq!(char(&mut d, 'q').0, []);
    assert!(!d.help && d.prompt.is_none());
}

//! Scrolling, driven by messages alone: the view's measures, keys and the wheel.

use crossterm::event::KeyCode;

use super::msg::Msg;
use super::scroll::{Room, ScrollAt};
use super::state::{App, Overlay, Pane};
use super::update;
use super::update_tests::{POLICY, app, go_to, press};
use super::{Redraw, keymap::pane_bindings};

/// A pane of 40 rows shown in 10, its step's own part from row 7.
const ROOM: Room = Room {
    rows: 40,
    visible: 10,
    anchor: 7,
};

fn measured(app: &mut App, room: Room) -> Redraw {
    let pane = app.pane;
    update(app, Msg::Measured { pane, room }).1
}

fn offset(app: &App) -> u16 {
    let scroll = app.scroll.get(app.pane);
    scroll.offset(scroll.room)
}

fn wheel(app: &mut App, down: bool) {
    update(app, Msg::Wheel { down });
}

#[test]
fn keys_move_within_the_content_the_view_measured() {
    let mut app = app();
    assert_eq!(measured(&mut app, ROOM), Redraw::Yes);
    assert_eq!(measured(&mut app, ROOM), Redraw::No, "nothing new");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(offset(&app), 2);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(offset(&app), 2 + ROOM.page());
    press(&mut app, KeyCode::End);
    assert_eq!(offset(&app), ROOM.max_offset());
    assert_eq!(ROOM.max_offset(), 31, "the last row under the mark above");
    // After End, ↑ moves at once.
    press(&mut app, KeyCode::Up);
    assert_eq!(offset(&app), 30);
    press(&mut app, KeyCode::Home);
    assert_eq!(offset(&app), 0);
    press(&mut app, KeyCode::Up);
    assert_eq!(offset(&app), 0, "nothing above the top");
}

#[test]
fn a_shorter_content_keeps_the_view_within_it() {
    let mut app = app();
    measured(&mut app, ROOM);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Up);
    // The terminal grew: 40 rows in 35.
    measured(
        &mut app,
        Room {
            visible: 35,
            ..ROOM
        },
    );
    assert_eq!(offset(&app), 6);
    assert_eq!(app.scroll.get(Pane::Overview).at, ScrollAt::Row(6));
}

#[test]
fn scrolling_keys_are_offered_only_when_there_is_more_to_see() {
    let mut app = app();
    let listed = |app: &App| pane_bindings(app).iter().any(|b| b.keys == "↑ ↓");
    assert!(!listed(&app));
    measured(&mut app, ROOM);
    assert!(listed(&app));
    measured(
        &mut app,
        Room {
            visible: 40,
            ..ROOM
        },
    );
    assert!(!listed(&app));
}

#[test]
fn the_wheel_scrolls_the_pane_but_not_under_a_prompt() {
    let mut app = app();
    measured(&mut app, ROOM);
    wheel(&mut app, true);
    wheel(&mut app, true);
    assert_eq!(offset(&app), 6);
    wheel(&mut app, false);
    assert_eq!(offset(&app), 3);
    // Not under a prompt.
    app.overlay = Some(Overlay::Help);
    wheel(&mut app, true);
    assert_eq!(offset(&app), 3);
}

#[test]
fn each_pane_keeps_its_own_scroll() {
    let mut app = app();
    measured(&mut app, ROOM);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(offset(&app), 0, "a new pane starts at its top");
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(offset(&app), ROOM.max_offset());
}

#[test]
fn enter_and_e_bring_the_steps_own_part_into_view() {
    let mut app = app();
    go_to(&mut app, POLICY);
    measured(&mut app, ROOM);
    press(&mut app, KeyCode::Char('e'));
    assert_eq!(offset(&app), ROOM.anchor, "the editor at the top");
    // While editing, the arrows are the editor's.
    press(&mut app, KeyCode::Down);
    assert_eq!(offset(&app), ROOM.anchor);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Home);
    // An editor's answer is what was sent and what came back, at the end.
    press(&mut app, KeyCode::Enter);
    assert_eq!(offset(&app), ROOM.max_offset(), "the exchange in view");
    // Another step's answer is its own part.
    go_to(&mut app, POLICY + 1);
    measured(&mut app, ROOM);
    press(&mut app, KeyCode::Enter);
    assert_eq!(offset(&app), ROOM.anchor, "the answer in view");
    go_to(&mut app, POLICY);
    // A pane with room for everything does not move.
    measured(
        &mut app,
        Room {
            visible: 40,
            ..ROOM
        },
    );
    assert_eq!(offset(&app), 0);
}

#[test]
fn a_message_too_long_for_the_bar_opens_whole_with_m() {
    let mut app = app();
    let long = "Lease renewed: granted 767h59m52s of the 768h asked; Vault's max TTL for the mount caps it";
    app.notice = Some(long.to_owned());
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.overlay, Some(Overlay::Message));
    assert_eq!(app.notice.as_deref(), Some(long), "kept while shown");
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.overlay, None);
    // No message: m does nothing.
    assert_eq!(app.notice, None);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.overlay, None);
}

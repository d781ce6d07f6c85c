//! The lab in a workshop room's seat (`vaultlab join`): the header names the room and the
//! seat, the facilitator's broadcast is on the status bar, a step after the pace says the
//! facilitator will open it. Drawn at 80×24, 100×30 and 200×60.

use chrono::DateTime;
use crossterm::event::KeyCode;
use vaultlab::app::msg::Msg;
use vaultlab::app::room::RoomSeat;
use vaultlab::app::state::{App, Mode};
use vaultlab::app::update;
use vaultlab_wire::room::{Broadcast, SeatNotice};

use crate::app_states::*;
use crate::sizes::{SIZES, settled};

fn seated() -> App {
    let mut app = app(Mode::Live);
    app.connection.vault_addr = "http://10.1.2.3:8200".into();
    app.connection.namespace = Some("room/ada".into());
    app.room = Some(RoomSeat::new("Dynamic secrets, Thursday", "ada"));
    update(
        &mut app,
        Msg::Room(SeatNotice {
            version: 3,
            title: "Dynamic secrets, Thursday".into(),
            seat: "ada".into(),
            broadcast: Some(Broadcast {
                message: "Break until 10:45".into(),
                at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            }),
            pace: Some(3),
            ended: false,
            steps: Vec::new(),
        }),
    );
    app
}

#[test]
fn a_seat_shows_its_room_the_broadcast_and_the_held_steps() {
    for (width, height) in SIZES {
        let mut open = seated();
        go_to(&mut open, POLICY);
        let mut held = seated();
        go_to(&mut held, GENERATE);
        press(&mut held, KeyCode::Enter);
        for (name, mut app) in [("open step", open), ("held step", held)] {
            let text = settled(&mut app, width, height);
            let header = text.lines().next().unwrap_or_default();
            let words = match width {
                80 => "vaultlab · seat ada",
                _ => "vaultlab · room Dynamic secrets, Thursday · seat ada",
            };
            assert!(
                header.contains(words),
                "{name} at {width}x{height}: {header}"
            );
            assert!(
                text.contains("Facilitator: Break until 10:45"),
                "{name}:\n{text}"
            );
            let bar = text
                .lines()
                .nth(usize::from(height) - 2)
                .unwrap_or_default();
            if name == "held step" {
                assert!(text.contains("The facilitator will open step 4."), "{text}");
                // Enter would do nothing there: it is not offered.
                assert!(!bar.contains("Enter"), "{bar}");
            } else {
                assert!(bar.contains("Enter"), "{bar}");
            }
            insta::assert_snapshot!(
                format!("seat_{width}x{height}_{}", name.replace(' ', "_")),
                text
            );
        }
    }
}

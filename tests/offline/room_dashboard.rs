//! The facilitator's dashboard drawn from room statuses built here (as the room's
//! `GET /vaultlab/room` would answer), after keys fed through `update`, at 80×24,
//! 100×30 and 200×60. The join line and the keys that act must always show.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultlab::dashboard::{Dashboard, Done, Msg, Start, update, view};
use vaultlab::ui::Theme;
use vaultlab_wire::room::{
    Broadcast, LeaseSummary, RoomStatus, RoomSummary, SeatError, SeatLog, SeatLogEntry, SeatStatus,
    StepProgress,
};

use crate::sizes::SIZES;

const URL: &str = "http://10.1.2.3:8200";
const CODE: &str = "K7QF-92XD";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::seconds(secs)
}

/// The time the screens are drawn at: an hour after the room opened.
const NOW: i64 = 3600;

fn seat(name: &str, done: u8, last_activity_ago: i64) -> SeatStatus {
    let joined = at(60);
    SeatStatus {
        name: name.to_owned(),
        namespace: format!("room/{name}/"),
        account_id: "210987654321".to_owned(),
        joined,
        last_activity: at(NOW - last_activity_ago),
        steps: (1..=6)
            .map(|step| StepProgress {
                step,
                done_at: (step <= done).then(|| at(NOW - 600 + i64::from(step) * 60)),
            })
            .collect(),
        leases: Vec::new(),
        last_error: None,
    }
}

fn lease(seat: &mut SeatStatus, secs_left: i64) {
    seat.leases.push(LeaseSummary {
        lease_id: format!("aws/creds/my-role/lease{secs_left}"),
        expires_at: at(NOW + secs_left),
    });
}

fn error(seat: &mut SeatStatus, what: &str, status: u16, message: &str) {
    seat.last_error = Some(SeatError {
        at: at(NOW - 30),
        what: what.to_owned(),
        status,
        message: message.to_owned(),
    });
}

fn status(seats: Vec<SeatStatus>) -> RoomStatus {
    let mut done_per_step = [0; 6];
    for s in &seats {
        for (i, step) in s.steps.iter().enumerate() {
            done_per_step[i] += usize::from(step.done_at.is_some());
        }
    }
    RoomStatus {
        title: "Dynamic secrets, Thursday".to_owned(),
        join_code: CODE.to_owned(),
        max_seats: 100,
        opened: at(0),
        ended: None,
        broadcast: None,
        pace: None,
        short_leases: None,
        summary: RoomSummary {
            joined: seats.len(),
            done_per_step,
            leases_alive: seats.iter().map(|s| s.leases.len()).sum(),
        },
        seats,
    }
}

/// A class in the middle of the lab: some ahead, one failing, one stuck, leases alive.
fn class() -> RoomStatus {
    let mut ada = seat("ada", 4, 5);
    lease(&mut ada, 299);
    let mut grace = seat("grace", 6, 40);
    lease(&mut grace, 3540);
    lease(&mut grace, 61);
    let mut linus = seat("linus", 2, 12);
    error(
        &mut linus,
        "PUT /v1/aws/roles/my-role",
        400,
        "the policy document is not valid JSON: invalid character '}' looking for beginning of object key string",
    );
    let mut ken = seat("ken-thompson", 4, 20);
    lease(&mut ken, 1200);
    error(
        &mut ken,
        "ec2:DescribeInstances",
        401,
        "AuthFailure: AWS was not able to validate the provided access credentials",
    );
    let stuck = seat("margaret", 1, 400);
    let mut room = status(vec![ada, grace, linus, ken, stuck, seat("dennis", 0, 3)]);
    room.broadcast = Some(Broadcast {
        message: "Break until 10:45: step 4 after the break".to_owned(),
        at: at(NOW - 120),
    });
    room.pace = Some(4);
    room
}

/// A full room: 100 seats at every stage.
fn full_room() -> RoomStatus {
    let seats = (0..100)
        .map(|i| {
            let mut s = seat(&format!("learner-{i:03}"), (i % 7) as u8, i64::from(i) * 7);
            if i % 3 == 0 {
                lease(&mut s, 300 - i64::from(i));
            }
            if i % 11 == 0 {
                error(
                    &mut s,
                    "POST /v1/aws/creds/my-role",
                    403,
                    "permission denied",
                );
            }
            s
        })
        .collect();
    status(seats)
}

fn dashboard(room: Option<RoomStatus>) -> Dashboard {
    let (mut d, _) = Dashboard::new(Start {
        url: URL.to_owned(),
        code: CODE.to_owned(),
        tls: None,
        kept_certificate: false,
        report: "/home/fac/.local/share/vaultlab/room-report-20270115-0900.md".into(),
        now: at(NOW),
    });
    if let Some(room) = room {
        update(&mut d, Msg::Status(Ok(room)));
    }
    d
}

fn key(d: &mut Dashboard, code: KeyCode) {
    update(d, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(d: &mut Dashboard, text: &str) {
    for c in text.chars() {
        key(d, KeyCode::Char(c));
    }
}

fn screen(d: &Dashboard, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, d, &Theme::plain()))
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

fn every_screen() -> Vec<(&'static str, Dashboard)> {
    let mut screens = vec![
        ("reading", dashboard(None)),
        ("empty room", dashboard(Some(status(Vec::new())))),
        ("class", dashboard(Some(class()))),
        ("full room", dashboard(Some(full_room()))),
    ];
    let mut scrolled = dashboard(Some(full_room()));
    key(&mut scrolled, KeyCode::End);
    screens.push(("full room at its end", scrolled));

    let mut stuck = dashboard(Some(class()));
    key(&mut stuck, KeyCode::Char('f'));
    screens.push(("stuck filter", stuck));

    let mut log = dashboard(Some(class()));
    for _ in 0..4 {
        key(&mut log, KeyCode::Down);
    }
    key(&mut log, KeyCode::Enter);
    let entries = (0..40)
        .map(|i| SeatLogEntry {
            at: at(NOW - 5 - i * 13),
            kind: if i % 5 == 4 { "aws" } else { "vault" }.to_owned(),
            method: if i % 2 == 0 { "PUT" } else { "GET" }.to_owned(),
            path: if i % 5 == 4 {
                "ec2:DescribeInstances".to_owned()
            } else {
                "/v1/aws/roles/my-role".to_owned()
            },
            status: if i == 0 { 400 } else { 200 },
            error: (i == 0).then(|| "the policy document is not valid JSON".to_owned()),
        })
        .collect();
    update(
        &mut log,
        Msg::Log {
            seat: "linus".to_owned(),
            result: Ok(SeatLog {
                seat: "linus".to_owned(),
                entries,
            }),
        },
    );
    screens.push(("seat log", log));

    let mut broadcast = dashboard(Some(class()));
    key(&mut broadcast, KeyCode::Char('b'));
    typed(&mut broadcast, "Step 5 is open: run it now");
    screens.push(("broadcast prompt", broadcast));

    let mut end = dashboard(Some(class()));
    key(&mut end, KeyCode::Char('E'));
    screens.push(("end confirm", end));

    let mut help = dashboard(Some(class()));
    key(&mut help, KeyCode::Char('?'));
    screens.push(("help", help));

    let mut ended = dashboard(Some(class()));
    update(
        &mut ended,
        Msg::Done(Ok(Done::Ended {
            report: "/home/fac/.local/share/vaultlab/room-report-20270115-0900.md".into(),
            leases_revoked: 4,
            vault_users_left: 0,
        })),
    );
    screens.push(("ended", ended));

    let mut lost = dashboard(Some(class()));
    update(
        &mut lost,
        Msg::Status(Err(
            "no room answers at http://127.0.0.1:8200: connection refused".into(),
        )),
    );
    screens.push(("room unreachable", lost));
    screens
}

#[test]
fn the_dashboard_at_80x24_100x30_and_200x60() {
    for (width, height) in SIZES {
        for (name, d) in every_screen() {
            let text = screen(&d, width, height);
            insta::assert_snapshot!(
                format!("room_{width}x{height}_{}", name.replace(' ', "_")),
                text
            );
        }
    }
}

#[test]
fn the_join_line_and_the_keys_that_act_show_at_every_size() {
    for (width, height) in SIZES {
        for (name, d) in every_screen() {
            let text = screen(&d, width, height);
            let bar = text
                .lines()
                .nth(usize::from(height) - 2)
                .unwrap_or_default();
            let must: &[&str] = match name {
                "help" => &["any key"],
                "broadcast prompt" => &["Enter", "Esc"],
                "end confirm" => &["y ", "Esc"],
                "ended" => &["? help", "q quit"],
                "seat log" => &["Esc", "b broadcast", "? help", "q quit"],
                _ => &["Enter", "b broadcast", "? help", "q quit"],
            };
            for key in must {
                assert!(
                    bar.contains(key),
                    "{name} at {width}x{height}: {key:?} not on the bar:\n{text}"
                );
            }
            // The join line whole, small or in big letters (whose text is not searchable).
            let big = text.contains('█') || text.contains('▀') || text.contains('▄');
            if !matches!(name, "ended" | "help" | "end confirm" | "broadcast prompt") {
                assert!(
                    big || text.contains(&format!("vaultlab join {URL} {CODE}")),
                    "{name} at {width}x{height}: no join line:\n{text}"
                );
            }
        }
    }
}

#[test]
fn the_join_line_is_big_where_the_screen_has_room_and_plain_where_not() {
    let d = dashboard(Some(class()));
    assert!(screen(&d, 80, 24).contains(&format!("vaultlab join {URL} {CODE}")));
    let wide = screen(&d, 200, 60);
    assert!(
        !wide.contains("vaultlab join"),
        "big letters expected:\n{wide}"
    );
    let mut small = dashboard(Some(class()));
    key(&mut small, KeyCode::Char('z'));
    assert!(screen(&small, 200, 60).contains(&format!("vaultlab join {URL} {CODE}")));
}

#[test]
fn a_tls_room_shows_its_pin_in_the_join_line_and_its_fingerprint_instead_of_the_warning() {
    let mut bytes = vec!["9E"; 32];
    bytes[31] = "E7";
    let fingerprint = format!("sha256:{}", bytes.join(":"));
    let (mut d, _) = Dashboard::new(Start {
        url: "https://10.1.2.3:8200".to_owned(),
        code: CODE.to_owned(),
        tls: Some(vaultlab::dashboard::Tls {
            pin: "TY3R-LS7D-TLHP-ZLJO".to_owned(),
            fingerprint: fingerprint.clone(),
            not_for_this_address: false,
        }),
        kept_certificate: false,
        report: "/tmp/report.md".into(),
        now: at(NOW),
    });
    update(&mut d, Msg::Status(Ok(class())));
    let line = "vaultlab join https://10.1.2.3:8200 K7QF-92XD --pin TY3R-LS7D-TLHP-ZLJO";
    assert_eq!(d.join_line(), line);
    let small = screen(&d, 100, 30);
    assert!(small.contains(line), "{small}");
    assert!(!small.contains("in clear"), "{small}");
    // The fingerprint's start and end, and the pace beside it on the room's line.
    assert!(
        small.contains("TLS, certificate sha256:9E:9E:9E:9E:…:9E:9E:9E:E7 · held at step 4"),
        "{small}"
    );
    // Big letters where there is room: the pin on a row of its own, as glyphs.
    let wide = screen(&d, 200, 60);
    assert!(!wide.contains("vaultlab join"), "{wide}");
    assert!(!screen(&dashboard(Some(class())), 100, 30).contains("TLS, certificate"));
}

#[test]
fn a_plain_room_whose_state_keeps_a_certificate_says_so_beside_the_clear_warning() {
    let (mut d, _) = Dashboard::new(Start {
        url: URL.to_owned(),
        code: CODE.to_owned(),
        tls: None,
        kept_certificate: true,
        report: "/tmp/report.md".into(),
        now: at(NOW),
    });
    update(&mut d, Msg::Status(Ok(class())));
    let shown = screen(&d, 200, 60);
    assert!(
        shown.contains("no TLS: tokens and keys cross the network in clear (a certificate is kept for this room: learners with its pin cannot reach it; restart with --tls)"),
        "{shown}"
    );
    assert!(!screen(&dashboard(Some(class())), 200, 60).contains("a certificate is kept"));
}

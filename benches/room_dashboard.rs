//! The facilitator's dashboard's cost per second with 100 seats: what each refresh does
//! besides the request itself: the room's answer parsed (about 100 seats, each with its
//! steps, leases and an error), `update` with it and the second's tick, and the frame
//! drawn at 200×60 and 80×24 as the runtime draws it (only the cells that changed reach
//! the terminal). Goal: the dashboard under 5 % of a core, i.e. this under 50 ms a second.
//!
//! `cargo bench --bench room_dashboard`; without `--bench` (as `cargo test --all-targets`
//! runs it) criterion runs each once.

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::Duration;
use vaultlab::dashboard::{Dashboard, Msg, Start, update, view};
use vaultlab::ui::Theme;
use vaultlab_wire::room::{
    LeaseSummary, RoomStatus, RoomSummary, SeatError, SeatStatus, StepProgress,
};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::seconds(secs)
}

/// A room of 100 seats at every stage, two leases in every other seat, an error in one in
/// five; `second` moves their activity on, so each answer differs from the last.
fn room(second: i64) -> RoomStatus {
    let seats: Vec<SeatStatus> = (0..100)
        .map(|i| SeatStatus {
            name: format!("learner-{i:03}"),
            namespace: format!("room/learner-{i:03}/"),
            account_id: format!("{:012}", 100_000_000_000u64 + i as u64),
            joined: at(0),
            last_activity: at(second - i % 30),
            steps: (1..=6)
                .map(|step| StepProgress {
                    step,
                    done_at: (i64::from(step) <= i % 7).then(|| at(i64::from(step) * 60)),
                })
                .collect(),
            leases: (0..2 * (i % 2))
                .map(|n| LeaseSummary {
                    lease_id: format!("aws/creds/my-role/{i:012}{n:012}.nsid{i}"),
                    expires_at: at(3600 + i * 7 + n),
                })
                .collect(),
            last_error: (i % 5 == 0).then(|| SeatError {
                at: at(second - 30),
                what: "PUT /v1/aws/roles/my-role".into(),
                status: 400,
                message: "the policy document is not valid JSON: invalid character '}'".into(),
            }),
        })
        .collect();
    RoomStatus {
        title: "Dynamic secrets".into(),
        join_code: "K7QF-92XD".into(),
        max_seats: 100,
        opened: at(0),
        ended: None,
        broadcast: None,
        pace: Some(4),
        short_leases: None,
        summary: RoomSummary {
            joined: seats.len(),
            done_per_step: [85, 70, 56, 42, 28, 14],
            leases_alive: 100,
        },
        seats,
    }
}

fn refresh(c: &mut Criterion) {
    let theme = Theme::colored();
    for (width, height) in [(200, 60), (80, 24)] {
        let (mut d, _) = Dashboard::new(Start {
            url: "http://10.1.2.3:8200".into(),
            code: "K7QF-92XD".into(),
            tls: None,
            kept_certificate: false,
            report: "/tmp/room-report.md".into(),
            now: at(0),
        });
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        // Two answers a second apart, as the room gives them: each refresh parses one.
        let answers = [
            serde_json::to_vec(&room(1000)).unwrap(),
            serde_json::to_vec(&room(1001)).unwrap(),
        ];
        assert!(answers[0].len() > 30_000, "a 100-seat answer is tens of KB");
        let mut second = 1000;
        c.bench_function(
            &format!("dashboard refresh, 100 seats, {width}x{height}"),
            |b| {
                b.iter(|| {
                    second += 1;
                    let body = &answers[(second % 2) as usize];
                    let status: RoomStatus = serde_json::from_slice(black_box(body)).unwrap();
                    update(&mut d, Msg::Tick(at(second)));
                    update(&mut d, Msg::Status(Ok(status)));
                    terminal
                        .draw(|frame| view::draw(frame, &d, &theme))
                        .unwrap();
                })
            },
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = refresh
}
criterion_main!(benches);

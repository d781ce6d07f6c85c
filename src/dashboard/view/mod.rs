//! Drawing the dashboard: a pure function of `&Dashboard`.
//!
//! ```text
//! ┌ vaultlab room · <title> ───────────────────────────── ROOM http://… 12/100 seats ┐
//! │ vaultlab join http://10.1.2.3:8200 K7QF-92XD        big letters when there is room │ join
//! │ ! no TLS: tokens and keys cross the network in clear · broadcast "…" · pace 3     │ room
//! │ joined 12/100 · done 1:12 2:11 3:9 4:7 5:3 6:1 · leases alive 9 · by name · all   │ summary
//! │ seat   1 2 3 4 5 6  leases      idle   last error                                 │
//! │ ada    ✓ ✓ ✓ ▶ · ·  4:59        12s    403 PUT /v1/aws/roles/r: permission denied │ seats
//! │ <the notice>                      Enter the seat's event log · b broadcast · ? · q │ bar
//! └───────────────────────────────────────────────────────────────────────────────────┘
//! ```
//! Enter swaps the seats for one seat's event log; prompts and the help are drawn last,
//! over everything. Below 80×24 one screen says the size needed.

mod banner;
mod bar;
mod overlay;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Dashboard, View};
use crate::ui::{MIN_SIZE, Theme};

pub fn draw(frame: &mut Frame, d: &Dashboard, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        crate::ui::too_small(frame, theme);
        return;
    }
    let title = d.room.as_ref().map_or("", |r| r.title.as_str());
    let seats = d.room.as_ref().map_or(String::new(), |r| {
        format!(" {}/{} seats", r.seats.len(), r.max_seats)
    });
    let outer = Block::bordered()
        .title(Line::from(vec![
            Span::styled(" vaultlab room ", theme.accent),
            Span::raw("· "),
            Span::styled(title.to_owned(), theme.title),
            Span::raw(" "),
        ]))
        .title_top(
            Line::from(vec![
                Span::raw(" "),
                Span::styled("ROOM", theme.selected),
                Span::raw(format!(" {}{seats} ", d.start.url)),
            ])
            .right_aligned(),
        );
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let join_rows = banner::rows(d, inner.width, inner.height);
    let notice_rows = bar::notice_rows(d, inner.width);
    // Each wraps to a second row rather than lose its end (the broadcast, the filter).
    let room_text = Paragraph::new(room_line(d, theme)).wrap(Wrap { trim: true });
    let summary_text = Paragraph::new(summary_line(d, theme)).wrap(Wrap { trim: true });
    let rows_of = |p: &Paragraph| {
        u16::try_from(p.line_count(inner.width))
            .unwrap_or(2)
            .clamp(1, 2)
    };
    let [join, room, summary, body, notice, status] = Layout::vertical([
        Constraint::Length(join_rows),
        Constraint::Length(rows_of(&room_text)),
        Constraint::Length(rows_of(&summary_text)),
        Constraint::Min(0),
        Constraint::Length(notice_rows),
        Constraint::Length(1),
    ])
    .areas(inner);
    banner::render(frame, join, d, theme, inner.height);
    frame.render_widget(room_text, room);
    frame.render_widget(summary_text, summary);
    match &d.view {
        View::Seats => table::seats(frame, body, d, theme),
        View::Log { .. } => table::log(frame, body, d, theme),
    }
    bar::render_notice(frame, notice, d, theme);
    bar::render(frame, status, d, theme);
    overlay::render(frame, d, theme);
}

/// How the room is served and what learners are told: TLS, the broadcast, the pace, and
/// a reading that failed.
fn room_line<'a>(d: &'a Dashboard, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let sep = |spans: &mut Vec<Span<'a>>| {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
    };
    if let Some(problem) = &d.fetch.problem {
        spans.push(Span::styled(
            format!("cannot read the room: {problem}"),
            theme.failed,
        ));
    }
    if let Some(ended) = d.room.as_ref().and_then(|r| r.ended) {
        sep(&mut spans);
        spans.push(Span::styled(
            format!("ended {} ago", super::seats::ago(ended, d.now)),
            theme.warning,
        ));
    } else {
        sep(&mut spans);
        match &d.start.tls {
            Some(tls) => {
                spans.push(Span::styled("TLS, certificate ", theme.muted));
                spans.push(Span::raw(short_fingerprint(&tls.fingerprint)));
                if tls.not_for_this_address {
                    spans.push(Span::styled(
                        " (made for another address: learners' AWS calls and bao refuse it)",
                        theme.warning,
                    ));
                }
            }
            None => {
                spans.push(Span::styled(
                    "no TLS: tokens and keys cross the network in clear",
                    theme.warning,
                ));
                if d.start.kept_certificate {
                    spans.push(Span::styled(
                        " (a certificate is kept for this room: learners with its pin cannot reach it; restart with --tls)",
                        theme.warning,
                    ));
                }
            }
        }
    }
    let room = d.room.as_ref();
    sep(&mut spans);
    match room.and_then(|r| r.pace) {
        Some(step) => spans.push(Span::styled(format!("held at step {step}"), theme.running)),
        None => spans.push(Span::styled("every step open", theme.muted)),
    }
    if let Some(broadcast) = room.and_then(|r| r.broadcast.as_ref()) {
        sep(&mut spans);
        spans.push(Span::styled("broadcast ", theme.muted));
        spans.push(Span::raw(format!("“{}”", broadcast.message)));
    }
    Line::from(spans)
}

/// `sha256:9E:37:15:CB:…:71:90:22:E7`: the whole one (95 characters) would push the pace
/// and the broadcast off the line; the join line's pin is what learners check.
fn short_fingerprint(fingerprint: &str) -> String {
    let bytes: Vec<&str> = fingerprint
        .trim_start_matches("sha256:")
        .split(':')
        .collect();
    if bytes.len() <= 8 {
        return fingerprint.to_owned();
    }
    format!(
        "sha256:{}:…:{}",
        bytes[..4].join(":"),
        bytes[bytes.len() - 4..].join(":")
    )
}

/// How far the room is: joined, how many seats have done each step, leases alive, and
/// how the table is sorted and filtered.
fn summary_line<'a>(d: &Dashboard, theme: &Theme) -> Line<'a> {
    let Some(room) = &d.room else {
        return Line::styled("reading the room…", theme.muted);
    };
    let s = &room.summary;
    let mut spans = vec![
        Span::styled("joined ", theme.muted),
        Span::styled(format!("{}/{}", s.joined, room.max_seats), theme.title),
        Span::styled(" · done ", theme.muted),
    ];
    for (i, done) in s.done_per_step.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(format!("{}:", i + 1), theme.muted));
        let style = if *done > 0 && *done == s.joined {
            theme.done
        } else {
            theme.title
        };
        spans.push(Span::styled(done.to_string(), style));
    }
    spans.push(Span::styled(" · leases alive ", theme.muted));
    spans.push(Span::styled(s.leases_alive.to_string(), theme.title));
    spans.push(Span::styled(
        format!(" · by {} · {}", d.sort.label(), d.filter.label()),
        theme.muted,
    ));
    Line::from(spans)
}

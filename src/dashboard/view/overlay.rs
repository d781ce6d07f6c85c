//! Drawn over everything: the help, and the prompts (a broadcast's line, the pace, the
//! questions before an action that cannot be taken back).

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::bar::truncate;
use crate::dashboard::keys::bindings;
use crate::dashboard::update::BROADCAST_MAX;
use crate::dashboard::{Confirm, Dashboard, Prompt, View};
use crate::ui::Theme;

pub fn render(frame: &mut Frame, d: &Dashboard, theme: &Theme) {
    if d.help {
        help(frame, d, theme);
        return;
    }
    let (title, lines) = match &d.prompt {
        None => return,
        Some(Prompt::Broadcast(text)) => {
            (" Broadcast ", broadcast(text, frame.area().width, theme))
        }
        Some(Prompt::Pace) => (" Pace the room ", pace(d, theme)),
        Some(Prompt::Confirm(confirm)) => confirm_words(d, confirm, theme),
    };
    boxed(frame, lines, title);
}

fn broadcast<'a>(text: &str, screen: u16, theme: &Theme) -> Vec<Line<'a>> {
    // The end of a long line stays in view, where the cursor is.
    let room = usize::from(boxed_width(screen)).saturating_sub(4);
    let shown: String = {
        let count = text.chars().count();
        text.chars().skip(count.saturating_sub(room)).collect()
    };
    vec![
        Line::raw("One line every learner sees in their status bar:"),
        Line::raw(""),
        Line::from(vec![
            Span::styled("> ", theme.key),
            Span::raw(shown),
            Span::styled("▏", theme.key),
        ]),
        Line::styled(
            format!(
                "{}/{BROADCAST_MAX} · empty clears the one shown",
                text.chars().count()
            ),
            theme.muted,
        ),
        Line::raw(""),
        keys_line(&[("Enter", "send"), ("Esc", "cancel")], theme),
    ]
}

fn pace<'a>(d: &Dashboard, theme: &Theme) -> Vec<Line<'a>> {
    let now = match d.room.as_ref().and_then(|r| r.pace) {
        Some(step) => format!("The room is held at step {step}."),
        None => "Every step is open.".to_owned(),
    };
    vec![
        Line::raw(now),
        Line::raw(
            "Hold the room at a step: the learners' later steps say the facilitator will open them.",
        ),
        Line::raw(""),
        keys_line(
            &[
                ("1-6", "hold at that step"),
                ("f", "free"),
                ("Esc", "cancel"),
            ],
            theme,
        ),
    ]
}

fn confirm_words<'a>(
    d: &Dashboard,
    confirm: &Confirm,
    theme: &Theme,
) -> (&'static str, Vec<Line<'a>>) {
    let (title, words, yes) = match confirm {
        Confirm::ShortLeases { on: true } => (
            " Short leases for all ",
            "Set every seat's aws/config/lease to 2m (max 5m)? Credentials issued from now on expire within two minutes, together.".to_owned(),
            "shorten them",
        ),
        Confirm::ShortLeases { on: false } => (
            " Short leases off ",
            "Give every seat's aws mount the engine's default lease TTLs again, as if config/lease had never been written? Leases already issued keep theirs.".to_owned(),
            "turn them off",
        ),
        Confirm::Revoke(seat) => {
            let alive = d
                .room
                .as_ref()
                .and_then(|r| r.seats.iter().find(|s| &s.name == seat))
                .map_or(0, |s| s.leases.len());
            (
                " Revoke a seat's leases ",
                format!("Revoke every lease of seat {seat} ({alive} alive)? Its AWS keys stop working."),
                "revoke them",
            )
        }
        Confirm::End => (
            " End the room ",
            format!(
                "End the room? Every lease in every seat is revoked, its IAM users deleted, and joining is refused from then on. The report is written to {}.",
                d.start.report.display()
            ),
            "end the room",
        ),
        Confirm::Quit => (
            " Stop serving ",
            "Stop serving the room? Learners' requests fail until it is served again; every seat, lease and account is kept in the room's state, and `vaultlab room` with the same --state serves it again.".to_owned(),
            "stop serving",
        ),
    };
    let lines = vec![
        Line::raw(words),
        Line::raw(""),
        keys_line(&[("y", yes), ("Esc", "keep going")], theme),
    ];
    (title, lines)
}

fn help(frame: &mut Frame, d: &Dashboard, theme: &Theme) {
    // The keys of the view under the help, as if it were closed.
    let under = Dashboard {
        help: false,
        ..d.clone()
    };
    let mut lines = vec![
        Line::styled(
            match d.view {
                View::Seats => "Keys on the seats",
                View::Log { .. } => "Keys on a seat's log",
            },
            theme.title,
        ),
        Line::raw(""),
    ];
    for b in bindings(&under) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>6}  ", b.keys), theme.key),
            Span::raw(b.description),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "✓ done · ▶ the learner's step · · not yet; stuck: no step done for 3 min. Progress is read from each seat's namespace and AWS account (TUI or real CLIs).",
        theme.muted,
    ));
    // That any key closes it is the hint bar's to say, below the box.
    boxed(frame, lines, " Help ");
}

fn keys_line<'a>(keys: &[(&'static str, &str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (key, words)) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(*key, theme.key));
        spans.push(Span::raw(format!(" {words}")));
    }
    Line::from(spans)
}

fn boxed_width(screen: u16) -> u16 {
    screen.saturating_sub(4).min(84)
}

/// A box in the middle, above the hint bar (which says the box's keys) and its border.
fn boxed(frame: &mut Frame, lines: Vec<Line>, title: &str) {
    let area = Rect {
        height: frame.area().height.saturating_sub(2),
        ..frame.area()
    };
    let width = boxed_width(area.width);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = u16::try_from(paragraph.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX) + 2;
    let cell = centered(area, width, rows);
    frame.render_widget(Clear, cell);
    frame.render_widget(
        paragraph.block(Block::bordered().title(truncate(title, usize::from(width)))),
        cell,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

//! `vaultlab notes`' screen, on the presenter's own screen: which instance it follows, the
//! clock and the time on the step, the pane and the lease on the projector, then the
//! notes for that pane: what to say, what to point at, the questions rooms ask.
//!
//! ```text
//! vaultlab notes · following pid 4242 (newest of 2)            14:32:05 · on step 02:14
//! Step 3 of 6 · Describe what the keys may do · done            lease 31d 23:59:58
//! ──────────────────────────────────────────────────────────────────────────────
//! SAY  …
//! POINT AT  • …
//! QUESTIONS  Q …  A …
//! ↑↓ PgUp PgDn scroll · q quit
//! ```

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::lab::notes::Notes;
use crate::lease::countdown::format_countdown;
use crate::present::published::{Published, ShownPane};
use crate::ui::theme::Theme;

/// What the notes screen shows.
pub enum NotesScreen<'a> {
    /// No presenting instance yet (or the one followed has gone).
    Waiting {
        dir: &'a str,
        pid: Option<u32>,
        polls: u64,
    },
    Following {
        pid: u32,
        /// How many presenting instances were live when it connected.
        live: usize,
        published: Option<&'a Published>,
        notes: Option<&'a Notes>,
        /// The lab's notes could not be read, in the loader's words.
        problem: Option<&'a str>,
    },
}

/// Draws the screen; returns how many rows the notes scroll within.
pub fn draw(
    frame: &mut Frame,
    screen: &NotesScreen,
    clock: &str,
    now: DateTime<Utc>,
    scroll: u16,
    theme: &Theme,
) -> u16 {
    let area = frame.area();
    let [top, state, rule, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Block::new().borders(Borders::TOP).border_style(theme.muted),
        rule,
    );
    let (who, since, lines) = match screen {
        NotesScreen::Waiting { dir, pid, polls } => {
            let which = match pid {
                Some(pid) => format!("vaultlab --present with pid {pid}"),
                None => "a presenting vaultlab (vaultlab --present)".to_owned(),
            };
            let dots = ".".repeat(usize::try_from(polls % 3 + 1).unwrap_or(1));
            let lines = vec![
                Line::styled(format!("Waiting for {which}{dots}"), theme.warning),
                Line::raw(""),
                Line::raw(format!(
                    "None is running as this user (looked in {dir}). Start one in another terminal: these notes follow it as soon as it starts."
                )),
                Line::styled("Looking again every second.", theme.muted),
            ];
            (vec!["vaultlab notes · waiting".to_owned()], None, lines)
        }
        NotesScreen::Following {
            pid,
            live,
            published,
            notes,
            problem,
        } => {
            let which = match live {
                1 => vec![format!("following pid {pid}")],
                n => vec![
                    format!("following pid {pid} (newest of {n} presenting; --pid chooses)"),
                    format!("following pid {pid} (newest of {n})"),
                ],
            };
            let mut lines = Vec::new();
            if let Some(problem) = problem {
                lines.push(Line::styled(format!("No notes: {problem}"), theme.failed));
            }
            if let Some(published) = published {
                render_state(frame, state, published, now, theme);
                lines.extend(notes_lines(*notes, published, theme));
            }
            (
                which
                    .into_iter()
                    .map(|which| format!("vaultlab notes · {which}"))
                    .collect(),
                published.map(|p| p.since),
                lines,
            )
        }
    };
    let on_step = since
        .and_then(|since| (now - since).to_std().ok())
        .map(|spent| format!(" · on this pane {}", minutes(spent)))
        .unwrap_or_default();
    let right = format!("{clock}{on_step}");
    // The longest way of saying whom it follows that fits beside the clock.
    let room = usize::from(area.width).saturating_sub(right.chars().count() + 1);
    let who = who
        .iter()
        .find(|who| who.chars().count() <= room)
        .or(who.last())
        .cloned()
        .unwrap_or_default();
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(u16::try_from(right.chars().count()).unwrap_or(0)),
    ])
    .areas(top);
    frame.render_widget(Paragraph::new(Span::styled(who, theme.accent)), left_area);
    frame.render_widget(Paragraph::new(Span::styled(right, theme.title)), right_area);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = u16::try_from(paragraph.line_count(body.width)).unwrap_or(u16::MAX);
    let max = rows.saturating_sub(body.height);
    let scroll = scroll.min(max);
    frame.render_widget(paragraph.scroll((scroll, 0)), body);
    let mut hints = Vec::new();
    if max > 0 {
        let below = max - scroll;
        let mark = match (scroll, below) {
            (0, below) => format!("▼ {below} more below · "),
            (above, 0) => format!("▲ {above} more above · "),
            (above, below) => format!("▲ {above} above ▼ {below} below · "),
        };
        hints.push(Span::styled(mark, theme.warning));
        hints.push(Span::styled("↑↓ PgUp PgDn", theme.key));
        hints.push(Span::raw(" scroll · "));
    }
    hints.push(Span::styled("q", theme.key));
    hints.push(Span::raw(" quit"));
    frame.render_widget(Paragraph::new(Line::from(hints)), keys);
    max
}

/// `mm:ss`, or `h:mm:ss` past an hour.
fn minutes(spent: std::time::Duration) -> String {
    let secs = spent.as_secs();
    match secs / 3600 {
        0 => format!("{:02}:{:02}", secs / 60, secs % 60),
        hours => format!("{hours}:{:02}:{:02}", secs / 60 % 60, secs % 60),
    }
}

/// The pane on the projector, its step's state, and the lease.
fn render_state(
    frame: &mut Frame,
    area: Rect,
    published: &Published,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let mut spans = match published.pane {
        ShownPane::Step(step) => vec![Span::styled(
            format!("Step {} of {} · ", step + 1, published.steps),
            theme.muted,
        )],
        _ => Vec::new(),
    };
    spans.push(Span::styled(published.title.clone(), theme.title));
    if let Some(status) = &published.status {
        spans.push(Span::styled(format!(" · {status}"), theme.muted));
    }
    if let Some(autoplay) = &published.autoplay {
        spans.push(Span::styled(
            format!(" · autoplay {autoplay}"),
            theme.warning,
        ));
    }
    let lease = published.lease.as_ref().map(|lease| {
        let left = (lease.expires_at - now).to_std().unwrap_or_default();
        let (text, style) = match lease.active {
            true => (format_countdown(left), theme.done),
            false => (lease.state.clone(), theme.failed),
        };
        Line::from(vec![
            Span::styled("lease ", theme.muted),
            Span::styled(text, style.add_modifier(Modifier::BOLD)),
        ])
    });
    let width = lease.as_ref().map_or(0, Line::width);
    let [left, right] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(u16::try_from(width).unwrap_or(0)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left);
    if let Some(lease) = lease {
        frame.render_widget(Paragraph::new(lease), right);
    }
}

fn notes_lines<'a>(notes: Option<&Notes>, published: &Published, theme: &Theme) -> Vec<Line<'a>> {
    let Some(notes) = notes else {
        return vec![Line::styled(
            format!(
                "No notes for this pane in the lab's notes.toml ({}).",
                published.lab
            ),
            theme.muted,
        )];
    };
    let heading = |text: &'static str| Line::styled(text, theme.accent);
    let mut lines = vec![heading("SAY")];
    // Paragraphs as the file breaks them; a single line break is a space.
    for (index, paragraph) in notes.say.split("\n\n").enumerate() {
        if index > 0 {
            lines.push(Line::raw(""));
        }
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        lines.push(Line::raw(words.join(" ")));
    }
    if !notes.point.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading("POINT AT"));
        lines.extend(notes.point.iter().map(|p| Line::raw(format!("• {p}"))));
    }
    if !notes.questions.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading("QUESTIONS"));
        for question in &notes.questions {
            lines.push(Line::from(vec![
                Span::styled("Q ", theme.key),
                Span::styled(question.q.clone(), theme.title),
            ]));
            lines.push(Line::from(vec![
                Span::styled("A ", theme.muted),
                Span::raw(question.a.clone()),
            ]));
        }
    }
    lines
}

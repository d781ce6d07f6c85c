//! Pane 0: what the lab is about, where it runs, and how far along it is.
//!
//! ```text
//! <title>
//! <the lab's summary>
//! <where it runs>
//! <the checks: one line, or what failed>
//! 1. <step>  ● done …
//! <the second terminal's export lines>      packed several to a row when they fit
//! n or → goes to the first step; …          stays in view; the rest scrolls
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::ExposeSecret;
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::app::scroll::Room;
use crate::app::state::Mode;
use crate::checks::Verdict;
use crate::ui::column::{Column, Part};
use crate::ui::theme::Theme;
use crate::ui::widgets::{masked, step_badge};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Room {
    // The keys stay in view at the bottom; everything above scrolls when it must.
    let [content, keys] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let width = content.width;
    let mut lines = vec![
        Line::from(Span::styled(app.lab.title.as_str(), theme.title)),
        Line::raw(""),
        Line::raw(app.lab.summary.as_str()),
        Line::raw(""),
    ];
    lines.extend(whereabouts_and_checks(app, theme));
    lines.extend(steps(app, theme));
    lines.extend(exports(app, theme, width));
    let mut column = Column::default();
    column.push(Part::text(lines, width));
    let room = column.render(frame, content, app.scroll.get(app.pane), theme);
    frame.render_widget(Paragraph::new(keys_line(theme)), keys);
    room
}

/// Where the lab runs, and the doctor's checks: one line when all is well, the details of
/// what is not.
fn whereabouts_and_checks<'a>(app: &'a App, theme: &Theme) -> Vec<Line<'a>> {
    let words = &app.lab.words;
    // Live mode says where vaultlab's calls to the service go when that is not the
    // service itself (moto, a sandbox): never "a real AWS API" for an emulator. The lab's
    // `sandbox` words are for its own servers, embedded or started.
    let whereabouts = match (&app.connection.mode, &app.connection.service_endpoint) {
        (Mode::Sandbox | Mode::Local { .. }, _) => &words.sandbox,
        (Mode::Live, Some(_)) => words.live_endpoint.as_ref().unwrap_or(&words.live),
        (Mode::Live, None) => &words.live,
    };
    let mut lines = vec![Line::raw(app.fill(whereabouts)), Line::raw("")];
    match &app.doctor {
        None => lines.push(Line::from(Span::styled(
            "Checking that the lab can run here…",
            theme.muted,
        ))),
        Some(checks) => {
            let troubled: Vec<_> = checks
                .iter()
                .filter(|c| c.verdict != Verdict::Pass)
                .collect();
            let passed = checks.len() - troubled.len();
            lines.push(Line::from(vec![
                Span::styled("✓ ", theme.done),
                Span::raw(format!(
                    "{passed} of {} checks pass ({}); d runs them again",
                    checks.len(),
                    words.checks
                )),
            ]));
            for check in troubled {
                let (mark, style) = match check.verdict {
                    Verdict::Warn => ("! ", theme.warning),
                    _ => ("✗ ", theme.failed),
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw(check.what.clone()),
                ]));
                if let Some(fix) = &check.fix {
                    lines.push(Line::from(vec![
                        Span::styled("  → ", theme.key),
                        Span::raw(fix.clone()),
                    ]));
                }
            }
        }
    }
    lines.push(Line::raw(""));
    lines
}

fn steps<'a>(app: &'a App, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = app
        .lab
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            Line::from(vec![
                Span::raw(format!("  {}. {:<34} ", index + 1, step.title)),
                step_badge(app, index, theme),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines
}

/// The second terminal's `export` lines (sandbox mode), secrets masked until `v`. As many
/// to a row as fit (`export A=1 B=2` is one shell command), so all of them stay on screen;
/// `c` copies them one to a line.
fn exports<'a>(app: &'a App, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    if app.cli_env.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::from(Span::styled(
        app.fill(&app.lab.words.second_terminal),
        theme.muted,
    ))];
    let lead = "  export";
    let room = usize::from(width);
    let mut row: Vec<Span> = Vec::new();
    let mut used = 0;
    for var in &app.cli_env {
        let value = if var.secret && !app.cli_env_revealed {
            masked(var.value.expose_secret().chars().count())
        } else {
            var.value.expose_secret().to_owned()
        };
        let assignment = format!(" {}={value}", var.name);
        if !row.is_empty() && used + assignment.width() > room {
            lines.push(Line::from(std::mem::take(&mut row)));
        }
        if row.is_empty() {
            row.push(Span::styled(lead, theme.muted));
            used = lead.width();
        }
        used += assignment.width();
        row.push(Span::styled(assignment, theme.code));
    }
    lines.push(Line::from(row));
    lines
}

fn keys_line<'a>(theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled("n", theme.key),
        Span::raw(" or "),
        Span::styled("→", theme.key),
        Span::raw(" goes to the first step; "),
        Span::styled("Enter", theme.key),
        Span::raw(" runs a step; "),
        Span::styled("?", theme.key),
        Span::raw(" lists every key."),
    ])
}

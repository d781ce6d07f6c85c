//! Presenter mode's layout (`vaultlab --present`): the same panes, placed for a projector.
//!
//! ```text
//! ┌ vaultlab · <lab title> ─────────────────────── SANDBOX http://127.0.0.1:… ┐
//! │ Overview  1 Enable ✓  2 Root keys  3 Policy  4 Generate  5 Test  6 Revoke │  tabs
//! │                                                                           │  air
//! │ █▀▀ █▄ █ ▄▀█ █▄▄ █   █▀▀             ▀▀█ ▀█  ▀▀█ █▀█ ▀ ▀▀█ ▀▀█            │  big title,
//! │ ...                                                         (countdown)   │  countdown
//! │ $ vault secrets enable -path=aws aw▌                                      │  autoplay types
//! │   <the focused pane, with a margin>                                       │
//! │ ▶ AUTOPLAY · next in 3s        space pause · n p step · any other key …   │  status bar
//! └───────────────────────────────────────────────────────────────────────────┘
//! ```
//! Big letters where the screen has the room (at least 90×30 inside the frame); at 80×24
//! one bold line with the countdown beside it. The status bar keeps only the keys that
//! move the lab on; while autoplay runs it says what autoplay does and how to stop it.

pub mod big;
pub mod notes;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::widgets::wrap_text;
use super::{Drawn, header, overlay, panes, status_bar};
use crate::app::App;
use crate::app::state::Pane;

/// Inside the frame, the smallest area that gets big letters.
const BIG_FROM: (u16, u16) = (90, 28);

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) -> Drawn {
    let area = frame.area();
    let title = header::title(app, theme, area.width);
    let badge_room = usize::from(area.width).saturating_sub(title.width() + 3);
    let outer = Block::bordered()
        .title(title)
        .title_top(header::mode_badge(app, theme, badge_room).right_aligned());
    let inner = outer.inner(area);
    frame.render_widget(outer, area);

    let big = inner.width >= BIG_FROM.0 && inner.height >= BIG_FROM.1;
    let heading_rows = if big { big::HEIGHT + 2 } else { 1 };
    let typing = typing_lines(app, theme, inner.width);
    let notice_rows = status_bar::notice_rows(app, theme, inner.width);
    let [tabs, heading, typed, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(heading_rows),
        Constraint::Length(u16::try_from(typing.len()).unwrap_or(0)),
        Constraint::Min(0),
        Constraint::Length(notice_rows),
        Constraint::Length(1),
    ])
    .areas(inner);
    header::render_tabs(frame, tabs, app, theme);
    render_heading(frame, heading, app, theme, big);
    frame.render_widget(Paragraph::new(typing), typed);
    let (body, inside_box) = super::inside::split(app, body, true);
    let room = panes::render(frame, with_margin(body), app, theme);
    if let Some(area) = inside_box {
        super::inside::render(frame, with_margin(area), app, theme);
    }
    status_bar::render_notice(frame, notice, app, theme);
    match &app.stage.autoplay {
        Some(_) => render_autoplay_bar(frame, status, app, theme),
        None => status_bar::render(frame, status, app, theme),
    }
    overlay::render(frame, app, theme);
    Drawn {
        pane: app.pane(),
        room: Some(room),
    }
}

/// More air on the sides, as the screen allows.
fn with_margin(area: Rect) -> Rect {
    let margin = match area.width {
        120.. => 3,
        100.. => 2,
        _ => 1,
    };
    Rect {
        x: area.x + margin,
        width: area.width.saturating_sub(2 * margin),
        ..area
    }
}

/// The pane's name as the heading shows it: `1 Enable`, `Overview`.
fn heading_text(app: &App) -> String {
    match app.pane {
        Pane::Overview => "Overview".to_owned(),
        Pane::Step(step) => format!("{} {}", step + 1, app.lab.steps[step].tab),
        Pane::Finish => "Finish".to_owned(),
        Pane::Leases => "Leases".to_owned(),
    }
}

/// The lease's countdown while it runs (`31d 23:59:58`), else its state (`revoked`).
fn countdown(app: &App) -> Option<(String, bool)> {
    let lease = app.lease_that_matters()?;
    Some((lease.label(app.now), lease.is_active(app.now)))
}

fn render_heading(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, big: bool) {
    let text = heading_text(app);
    let lease = countdown(app);
    let strong = |style: Style| style.add_modifier(Modifier::BOLD);
    let lease_style = match &lease {
        Some((_, true)) => strong(theme.done),
        _ => strong(theme.failed),
    };
    if !big {
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(30)]).areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", text.to_uppercase()),
                theme.accent,
            )),
            left,
        );
        if let Some((label, _)) = lease {
            let line = Line::from(vec![
                Span::styled(" LEASE ", theme.selected),
                Span::styled(
                    format!(" {label} "),
                    lease_style.add_modifier(Modifier::REVERSED),
                ),
            ]);
            frame.render_widget(Paragraph::new(line).right_aligned(), right);
        }
        return;
    }
    let rows = Rect {
        y: area.y + 1,
        height: big::HEIGHT,
        ..with_margin(area)
    };
    big::render(frame.buffer_mut(), rows, &text, strong(theme.accent));
    let Some((label, active)) = lease else { return };
    // The countdown in big letters when it fits beside the title, else on one line.
    let title_width = big::width(&text) + 4;
    let count_width = big::width(&label);
    if active && title_width + count_width + 8 <= rows.width {
        let at = Rect {
            x: rows.right() - count_width,
            width: count_width,
            ..rows
        };
        big::render(frame.buffer_mut(), at, &label, lease_style);
        let caption = Rect {
            x: at.x.saturating_sub(7),
            width: 6,
            height: 1,
            y: rows.y + 1,
        };
        frame.render_widget(Paragraph::new(Span::styled("lease", theme.muted)), caption);
    } else {
        let line = Line::from(vec![
            Span::styled(" LEASE ", theme.selected),
            Span::styled(
                format!(" {label} "),
                lease_style.add_modifier(Modifier::REVERSED),
            ),
        ]);
        let middle = Rect {
            y: rows.y + 1,
            height: 1,
            ..rows
        };
        frame.render_widget(Paragraph::new(line).right_aligned(), middle);
    }
}

/// While autoplay types the step's command: `$ ` and what it typed so far, its last
/// three rows at most, so the cursor stays in view.
fn typing_lines<'a>(app: &App, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let Some(typed) = app
        .stage
        .autoplay
        .as_ref()
        .zip(app.pane.step())
        .and_then(|(autoplay, step)| autoplay.typed(step))
    else {
        return Vec::new();
    };
    let rows = wrap_text(&format!("$ {typed}▌"), usize::from(width.saturating_sub(2)));
    let skip = rows.len().saturating_sub(3);
    let style = theme.code.add_modifier(Modifier::BOLD);
    rows.into_iter()
        .skip(skip)
        .map(|row| Line::from(Span::styled(format!(" {row}"), style)))
        .collect()
}

/// Autoplay's status bar: what it does now, and the keys that steer or stop it.
fn render_autoplay_bar(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(autoplay) = &app.stage.autoplay else {
        return;
    };
    let state = match (autoplay.paused, autoplay.next_in(app.now)) {
        (true, _) => "⏸ AUTOPLAY PAUSED".to_owned(),
        (false, Some(left)) => format!("▶ AUTOPLAY · next in {}s", left.as_secs_f32().ceil()),
        (false, None) => format!("▶ AUTOPLAY · {}", autoplay.state_word()),
    };
    let pause = if autoplay.paused { "resume" } else { "pause" };
    let keys = Line::from(vec![
        Span::styled("space", theme.key),
        Span::raw(format!(" {pause} · ")),
        Span::styled("n p", theme.key),
        Span::raw(" step · "),
        Span::styled("any other key", theme.key),
        Span::raw(" takes over"),
    ]);
    let [left, right] = Layout::horizontal([
        Constraint::Length(u16::try_from(state.chars().count() + 1).unwrap_or(u16::MAX)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Span::styled(state, theme.warning)), left);
    frame.render_widget(Paragraph::new(keys).right_aligned(), right);
}

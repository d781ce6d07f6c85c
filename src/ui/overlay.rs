//! What is drawn over the panes: the help and the quit prompt.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use super::widgets::short_lease_id;
use crate::app::App;
use crate::app::keymap::{Binding, pane_bindings};
use crate::app::leases::earlier_prompt_bindings;
use crate::app::lifecycle::quit_prompt_bindings;
use crate::app::state::Overlay;
use crate::lease::Lifecycle;
use crate::lease::table::Origin;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    match app.overlay {
        None => {}
        Some(Overlay::Help) => help(frame, app, theme),
        Some(Overlay::ConfirmQuit) => confirm_quit(frame, app, theme),
        Some(Overlay::EarlierLeases) => earlier_leases(frame, app, theme),
        Some(Overlay::Message) => message(frame, app, theme),
    }
}

/// The status bar's message in full: one too long for the bar is cut there, with `m`.
fn message(frame: &mut Frame, app: &App, theme: &Theme) {
    let text = app.notice.clone().unwrap_or_default();
    let lines = vec![
        Line::raw(text),
        Line::raw(""),
        Line::from(Span::styled("Any key closes this message.", theme.muted)),
    ];
    prompt(frame, lines, " Message ");
}

fn help(frame: &mut Frame, app: &App, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled("Keys on this pane", theme.title)),
        Line::raw(""),
    ];
    for binding in pane_bindings(app)
        .into_iter()
        .filter(|b| !b.keys.is_empty())
    {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>8}  ", binding.keys), theme.key),
            Span::raw(binding.description.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Text inputs take keys only while editing: e starts, Esc stops.",
        theme.muted,
    )));
    if app.pane() != crate::app::state::Pane::Leases {
        lines.push(Line::from(Span::styled(
            "The wheel scrolls too; hold Shift to select text with the mouse.",
            theme.muted,
        )));
    }
    lines.push(Line::from(Span::styled(
        "Any key closes this help.",
        theme.muted,
    )));
    // The tabs and the status bar stay in sight (the box is centred): blank rows go
    // first when short.
    let room = usize::from(frame.area().height.saturating_sub(6));
    while lines.len() > room
        && let Some(blank) = lines.iter().rposition(|l| l.width() == 0)
    {
        lines.remove(blank);
    }
    let area = centered(frame.area(), 68, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Help ")),
        area,
    );
}

/// One line per lease that may be alive: its id, and its countdown or state. At the quit
/// prompt that includes revocations still on their way: quitting would cancel them.
fn revocable_lines<'a>(app: &App, only_earlier: bool) -> Vec<Line<'a>> {
    let leases: Vec<_> = app
        .leases
        .iter()
        .filter(|l| {
            (l.is_revocable(app.now) && l.origin != Origin::Elsewhere)
                || (!only_earlier
                    && matches!(
                        l.state,
                        Lifecycle::Revoking | Lifecycle::RevokeQueued { .. }
                    ))
        })
        .filter(|l| !only_earlier || l.origin == Origin::EarlierRun)
        .collect();
    let mut lines: Vec<Line> = leases
        .iter()
        .take(4)
        .map(|lease| {
            let state = match lease.state {
                Lifecycle::Active if !lease.is_expired(app.now) => {
                    format!("{} left", lease.label(app.now))
                }
                _ => lease.label(app.now),
            };
            Line::raw(format!("  {} ({state})", short_lease_id(&lease.lease_id)))
        })
        .collect();
    if leases.len() > 4 {
        lines.push(Line::raw(format!("  … and {} more", leases.len() - 4)));
    }
    lines
}

fn confirm_quit(frame: &mut Frame, app: &App, theme: &Theme) {
    let count = app.maybe_alive_leases();
    let heading = if count == 1 {
        "A lease is still active".to_owned()
    } else {
        format!("{count} leases may still be alive")
    };
    let mut lines = vec![Line::from(Span::styled(heading, theme.warning))];
    lines.extend(revocable_lines(app, false));
    let elsewhere = app.alive_elsewhere();
    if elsewhere > 0 && !app.leases_end_with_own_servers() {
        lines.push(Line::from(Span::styled(
            format!("  ({elsewhere} more issued elsewhere: left to whoever issued them)"),
            theme.muted,
        )));
    }
    // On vaultlab's own servers nothing outlives it: what ends with them is said, not kept.
    let words = &app.lab.words;
    let what_happens = match app.leases_end_with_own_servers() {
        true => words
            .lease_at_quit_sandbox
            .as_deref()
            .unwrap_or("vaultlab's own servers stop when it quits: their leases end with them."),
        false => words.lease_at_quit.as_str(),
    };
    lines.extend([
        Line::raw(app.fill(what_happens)),
        Line::raw(""),
        keys_line(&quit_prompt_bindings(app), theme),
    ]);
    prompt(frame, lines, " Quit? ");
}

/// A prompt's keys, as its bindings say them (the status bar and the help say the
/// same); Ctrl-C, which every screen takes, is left to the status bar.
fn keys_line(bindings: &[Binding], theme: &Theme) -> Line<'static> {
    let shown: Vec<&Binding> = bindings
        .iter()
        .filter(|b| !b.keys.is_empty() && b.keys != "Ctrl-C")
        .collect();
    let mut spans = Vec::new();
    for (i, binding) in shown.iter().enumerate() {
        spans.push(Span::styled(binding.keys.clone(), theme.key));
        let gap = if i + 1 < shown.len() { "   " } else { "" };
        spans.push(Span::raw(format!(" {}{gap}", binding.description)));
    }
    Line::from(spans)
}

/// A prompt 76 columns wide, centred, as tall as its lines once wrapped (a lab's words
/// may take two rows): its keys, on the last line, are never cut off.
fn prompt(frame: &mut Frame, lines: Vec<Line>, title: &str) {
    let width = 76u16.min(frame.area().width);
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(title.to_owned()));
    let height = u16::try_from(paragraph.line_count(width)).unwrap_or(u16::MAX);
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph, area);
}

/// At start: leases earlier runs left, that Vault says are still alive.
fn earlier_leases(frame: &mut Frame, app: &App, theme: &Theme) {
    let mut lines = vec![Line::from(Span::styled(
        "Earlier runs left leases that may still be alive",
        theme.warning,
    ))];
    lines.extend(revocable_lines(app, true));
    lines.extend([
        Line::raw(app.fill(&app.lab.words.lease_earlier)),
        Line::raw(""),
        keys_line(&earlier_prompt_bindings(), theme),
    ]);
    prompt(frame, lines, " Leases from earlier runs ");
}

//! The leases pane: every lease this run issued and the open ones of earlier runs, with
//! a live countdown or their state; renew the selected one by a chosen increment, revoke
//! one or all.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::app::scroll::{PaneScroll, Room, ScrollAt};
use crate::app::state::Mode;
use crate::app::steps::issue_hint;
use crate::lease::Lifecycle;
use crate::lease::countdown::format_vault_duration;
use crate::lease::table::{Origin, TrackedLease, describe_renewal};
use crate::ui::column::{Column, Part};
use crate::ui::theme::Theme;
use crate::ui::widgets::{field, hanging, short_lease_id};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Room {
    let whereabouts = match (&app.journal_path, &app.connection.mode) {
        (Some(path), _) => format!("Journal: {path}"),
        (None, Mode::Sandbox) => {
            "Sandbox: its leases end when vaultlab quits, so none is journaled.".to_owned()
        }
        (None, Mode::Local { .. }) => {
            "Servers vaultlab started: their leases end when it quits, so none is journaled."
                .to_owned()
        }
        (None, Mode::Live) => "No journal could be kept: note the lease ids.".to_owned(),
    };
    let heading = Paragraph::new(vec![
        Line::from(Span::styled("Leases", theme.title)),
        Line::from(Span::styled(app.fill(&app.lab.words.lease), theme.muted)),
        Line::from(Span::styled(whereabouts, theme.muted)),
    ])
    .wrap(Wrap { trim: false });
    // The heading whole (a lab's words and a journal's path may wrap), up to six rows.
    let heading_rows = u16::try_from(heading.line_count(area.width))
        .unwrap_or(u16::MAX)
        .min(6);
    let table_lines = rows(app, area.width, theme);
    let detail_lines = selected(app, area.width, theme);
    // The selected lease in full below the table, as tall as it needs while the table
    // keeps four rows; cut with a mark beyond that.
    let detail_rows = u16::try_from(detail_lines.len() + 1)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(heading_rows + 4));
    let [heading_area, table, detail] = Layout::vertical([
        Constraint::Length(heading_rows),
        Constraint::Min(0),
        Constraint::Length(detail_rows),
    ])
    .areas(area);
    frame.render_widget(heading, heading_area);

    // The table follows the selection: its row stays in view.
    let cursor_row = cursor_row(app, area.width);
    let offset = if cursor_row + 1 < table.height {
        0
    } else {
        cursor_row + 3 - table.height
    };
    let mut column = Column::default();
    column.push(Part::text(table_lines, table.width));
    column.render(frame, table, at_row(offset), theme);

    let block = Block::new().borders(Borders::TOP).border_style(theme.muted);
    let inner = block.inner(detail);
    frame.render_widget(block, detail);
    let mut column = Column::default();
    column.push(Part::text(detail_lines, inner.width));
    column.render(frame, inner, at_row(0), theme);
    // Nothing here scrolls with the keys: ↑ and ↓ move the selection.
    Room::default()
}

fn at_row(row: u16) -> PaneScroll {
    PaneScroll {
        at: ScrollAt::Row(row),
        room: Room::default(),
    }
}

/// The table's row of the selected lease: the header, then each lease and its problem.
fn cursor_row(app: &App, width: u16) -> u16 {
    let mut row = 1u16;
    for (index, lease) in app.leases.iter().enumerate() {
        if index == app.lease_cursor {
            break;
        }
        row += 1;
        if let Some(words) = lease.problem() {
            let rows = hanging(
                "    ",
                Style::default(),
                &format!("Vault: {words}"),
                Style::default(),
                width,
            );
            row += u16::try_from(rows.len()).unwrap_or(u16::MAX);
        }
    }
    row
}

fn rows<'a>(app: &App, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    if app.leases.is_empty() {
        return vec![Line::from(Span::styled(
            format!(
                "No leases yet. Generate credentials in {}: each lease shows here until it is over.",
                issue_hint(app)
            ),
            theme.muted,
        ))];
    }
    let from = |lease: &TrackedLease| match lease.origin {
        Origin::ThisRun => "this run",
        Origin::EarlierRun => "earlier run",
        Origin::Elsewhere => "issued elsewhere",
    };
    // Each column as wide as its widest value, so the state keeps its room at 80 columns.
    let column = |header: &str, value: &dyn Fn(&TrackedLease) -> String| {
        app.leases
            .iter()
            .map(|lease| value(lease).width())
            .chain([header.width()])
            .max()
            .unwrap_or_default()
    };
    let id_width = column("lease", &|l| short_lease_id(&l.lease_id));
    let role_width = column("role", &|l| l.role.clone());
    let from_width = column("from", &|l| from(l).to_owned());
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<id_width$}  {:<role_width$}  {:<from_width$}  {}",
            "lease", "role", "from", "left / state"
        ),
        theme.muted,
    ))];
    for (index, lease) in app.leases.iter().enumerate() {
        let marker = if index == app.lease_cursor {
            "▶ "
        } else {
            "  "
        };
        let mut spans = vec![
            Span::styled(marker, theme.key),
            Span::raw(format!(
                "{:<id_width$}  {:<role_width$}  {:<from_width$}  ",
                short_lease_id(&lease.lease_id),
                lease.role,
                from(lease)
            )),
            Span::styled(lease.label(app.now), state_style(lease, app, theme)),
        ];
        if lease.renewing {
            spans.push(Span::styled("  renewing…", theme.running));
        }
        let line = Line::from(spans);
        lines.push(if index == app.lease_cursor {
            line.style(theme.title)
        } else {
            line
        });
        if let Some(words) = lease.problem() {
            let words = format!("Vault: {words}");
            lines.extend(hanging("    ", theme.muted, &words, theme.failed, width));
        }
    }
    lines
}

fn state_style(lease: &TrackedLease, app: &App, theme: &Theme) -> ratatui::style::Style {
    match lease.state {
        _ if lease.is_expired(app.now) => theme.muted,
        Lifecycle::Active => theme.done,
        Lifecycle::Checking | Lifecycle::Revoking | Lifecycle::RevokeQueued { .. } => theme.running,
        Lifecycle::RevokeFailed { .. } | Lifecycle::Unknown { .. } => theme.failed,
        Lifecycle::Expired | Lifecycle::Revoked { .. } | Lifecycle::Gone { .. } => theme.muted,
    }
}

/// The selected lease in full, the renewal increment and what the last renewal got.
fn selected<'a>(app: &App, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    // Long values (commands, Vault's warnings) wrap under their value column.
    let item = |label: &str, value: &str, style| {
        hanging(&format!("{label:<16}"), theme.muted, value, style, width)
    };
    let increment = format_vault_duration(app.renew_increment());
    let Some(lease) = app.selected_lease() else {
        return vec![field("renew for", increment, theme)];
    };
    let mut lines = item(
        "selected",
        &lease.lease_id,
        ratatui::style::Style::default(),
    );
    // Vault's increment is the new TTL counted from now, not time added to what is
    // left: renewing a 32-day lease for 1h shortens it.
    lines.push(Line::from(vec![
        Span::styled(format!("{:<16}", "renew for"), theme.muted),
        Span::styled(increment.clone(), theme.key),
        Span::styled(" from now  (+ longer, - shorter; r renews)", theme.muted),
    ]));
    lines.extend(item(
        "",
        &format!(
            "vault lease renew -increment={increment} {}",
            lease.lease_id
        ),
        theme.code,
    ));
    if !lease.renewable {
        lines.push(field(
            "",
            Span::styled("Vault says this lease is not renewable.", theme.muted),
            theme,
        ));
    }
    if let Some(renewal) = &lease.last_renewal {
        let style = if renewal.capped() {
            theme.warning
        } else {
            theme.done
        };
        lines.extend(item("last renewal", &describe_renewal(renewal), style));
        if let Some(warning) = &renewal.warning {
            lines.extend(item("", &format!("Vault: {warning}"), theme.muted));
        }
    }
    lines.extend(item(
        "revoke",
        &format!("vault lease revoke {}", lease.lease_id),
        theme.code,
    ));
    lines
}

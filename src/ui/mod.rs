//! Drawing: a pure function of `&App`. Nothing here changes state.
//!
//! ```text
//! ┌ vaultlab · <lab title> ─────────────────────── SANDBOX http://127.0.0.1:… ┐
//! │ Overview  1 Enable ✓  2 Root keys  3 Policy  4 Generate  5 Test  6 Revoke │  tabs
//! │ <the focused pane>                                                        │
//! │ lease …  31d 23:59:58 │ notice │ Enter run · n next · ? help · q quit     │  status bar
//! └───────────────────────────────────────────────────────────────────────────┘
//! ```
//! Overlays (help, quit prompt) are drawn last, over everything. Below 80×24 one screen
//! says the size needed instead.

mod column;
mod header;
mod inside;
mod overlay;
mod panes;
pub mod present;
mod status_bar;
pub mod theme;
pub(crate) mod widgets;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::App;
use crate::app::msg::Msg;
use crate::app::scroll::Room;
use crate::app::state::Pane;
pub use theme::Theme;

/// The smallest terminal the lab is drawn in; below it, a screen says so.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// What a draw measured of the focused pane (nothing when the terminal was too small to
/// draw it). The runtime gives it back to `update` (`feedback`), so scrolling moves within
/// the content the learner sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    pub pane: Pane,
    pub room: Option<Room>,
}

impl Drawn {
    /// The message that tells `update` of a measure it does not have yet.
    pub fn feedback(&self, app: &App) -> Option<Msg> {
        let room = self.room?;
        (app.scroll.get(self.pane).room != room).then_some(Msg::Measured {
            pane: self.pane,
            room,
        })
    }
}

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) -> Drawn {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(frame, theme);
        return Drawn {
            pane: app.pane(),
            room: None,
        };
    }
    if app.stage.presenting {
        return present::draw(frame, app, theme);
    }
    let title = header::title(app, theme, area.width);
    // The badge shares the top border with the title, and its corners.
    let badge_room = usize::from(frame.area().width).saturating_sub(title.width() + 3);
    let outer = Block::bordered()
        .title(title)
        .title_top(header::mode_badge(app, theme, badge_room).right_aligned());
    let inner = outer.inner(frame.area());
    frame.render_widget(outer, frame.area());

    // A notice too long for the status bar has rows of its own above it.
    let notice_rows = status_bar::notice_rows(app, theme, inner.width);
    let [tabs, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(notice_rows),
        Constraint::Length(1),
    ])
    .areas(inner);
    header::render_tabs(frame, tabs, app, theme);
    let (body, inside_box) = inside::split(app, body, false);
    let room = panes::render(frame, body, app, theme);
    if let Some(area) = inside_box {
        inside::render(frame, area, app, theme);
    }
    status_bar::render_notice(frame, notice, app, theme);
    status_bar::render(frame, status, app, theme);
    overlay::render(frame, app, theme);
    Drawn {
        pane: app.pane(),
        room: Some(room),
    }
}

/// One screen instead of a lab cut to pieces: the size needed and the size there is. The
/// lab goes on meanwhile, and is drawn again as it is once the window is large enough.
pub fn too_small(frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let (width, height) = MIN_SIZE;
    let lines = vec![
        Line::styled(
            format!("vaultlab needs a terminal of at least {width}×{height}."),
            theme.title,
        ),
        Line::raw(format!(
            "This one is {}×{}: make the window larger or the font smaller.",
            area.width, area.height
        )),
        Line::styled(
            "The lab goes on meanwhile and comes back as it was.",
            theme.muted,
        ),
    ];
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .alignment(Alignment::Center);
    let rows = u16::try_from(paragraph.line_count(area.width)).unwrap_or(u16::MAX);
    let [middle] = Layout::vertical([Constraint::Length(rows.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(paragraph, middle);
}

//! Drawing: a pure function of `&App`. Nothing here changes state.
//!
//! ```text
//! ┌ vaultlab · <lab title> ─────────────────────── SANDBOX http://127.0.0.1:… ┐
//! │ Overview  1 Enable ✓  2 Root keys  3 Policy  4 Generate  5 Test  6 Revoke │  tabs
//! │ <the focused pane>                                                        │
//! │ lease …  31d 23:59:58 │ notice │ Enter run · n next · ? help · q quit     │  status bar
//! └───────────────────────────────────────────────────────────────────────────┘
//! ```
//! Overlays (help, quit prompt) are drawn last, over everything.

mod column;
mod header;
mod overlay;
mod panes;
mod status_bar;
pub mod theme;
mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Block;

use crate::app::App;
use crate::app::msg::Msg;
use crate::app::scroll::Room;
use crate::app::state::Pane;
pub use theme::Theme;

/// What a draw measured of the focused pane. The runtime gives it back to `update`
/// (`feedback`), so scrolling moves within the content the learner sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    pub pane: Pane,
    pub room: Room,
}

impl Drawn {
    /// The message that tells `update` of a measure it does not have yet.
    pub fn feedback(&self, app: &App) -> Option<Msg> {
        (app.scroll.get(self.pane).room != self.room).then_some(Msg::Measured {
            pane: self.pane,
            room: self.room,
        })
    }
}

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) -> Drawn {
    let title = header::title(app, theme);
    // The badge shares the top border with the title, and its corners.
    let badge_room = usize::from(frame.area().width).saturating_sub(title.width() + 3);
    let outer = Block::bordered()
        .title(title)
        .title_top(header::mode_badge(app, theme, badge_room).right_aligned());
    let inner = outer.inner(frame.area());
    frame.render_widget(outer, frame.area());

    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    header::render_tabs(frame, tabs, app, theme);
    let room = panes::render(frame, body, app, theme);
    status_bar::render(frame, status, app, theme);
    overlay::render(frame, app, theme);
    Drawn {
        pane: app.pane(),
        room,
    }
}

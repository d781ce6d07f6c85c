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
pub use theme::Theme;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let title = header::title(app, theme);
    // The badge shares the top border with the title, and its corners.
    let room = usize::from(frame.area().width).saturating_sub(title.width() + 3);
    let outer = Block::bordered()
        .title(title)
        .title_top(header::mode_badge(app, theme, room).right_aligned());
    let inner = outer.inner(frame.area());
    frame.render_widget(outer, frame.area());

    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    header::render_tabs(frame, tabs, app, theme);
    panes::render(frame, body, app, theme);
    status_bar::render(frame, status, app, theme);
    overlay::render(frame, app, theme);
}

//! How far each pane's content is scrolled. The view measures, at every draw, how many
//! rows the focused pane's content takes and how many it shows (`Msg::Measured`), so the
//! keys here move within what exists: after End, ↑ moves at once, not after as many
//! presses as End overshot. Only `update` changes an offset.

use crossterm::event::{KeyCode, KeyEvent};

use super::keymap::{Action, Binding, plain};
use super::state::{App, Pane};

/// What the view found at its last draw of a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Room {
    /// Rows the whole content takes at the pane's width.
    pub rows: u16,
    /// Rows the pane has for it.
    pub visible: u16,
    /// The row where the step's own part starts (after its explanation): where Enter and
    /// `e` bring the view, so the answer or the editor is in sight.
    pub anchor: u16,
}

impl Room {
    /// The farthest offset: the last row in view under the "more above" mark.
    pub fn max_offset(self) -> u16 {
        if self.rows <= self.visible {
            0
        } else {
            self.rows - self.visible.saturating_sub(1)
        }
    }

    /// What PgUp and PgDn move by: the rows in view, less the two marks' rows.
    pub fn page(self) -> u16 {
        self.visible.saturating_sub(3).max(1)
    }
}

/// Where a pane's view is: a row, or a place that stays right whatever the room (the
/// step's own part, the end), until the learner scrolls from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScrollAt {
    /// This many rows hidden above.
    Row(u16),
    #[default]
    Top,
    /// The step's own part at the top, if the pane has to scroll to show it.
    Anchor,
    End,
}

/// One pane's scroll: where its view is and its room at the last draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaneScroll {
    pub at: ScrollAt,
    pub room: Room,
}

impl PaneScroll {
    /// The rows hidden above, in `room`.
    pub fn offset(self, room: Room) -> u16 {
        let max = room.max_offset();
        match self.at {
            ScrollAt::Row(row) => row.min(max),
            ScrollAt::Top => 0,
            ScrollAt::Anchor => room.anchor.min(max),
            ScrollAt::End => max,
        }
    }
}

/// Every pane's scroll, by pane.
#[derive(Debug, Clone, Default)]
pub struct Scrolls(Vec<(Pane, PaneScroll)>);

impl Scrolls {
    pub fn get(&self, pane: Pane) -> PaneScroll {
        self.0
            .iter()
            .find(|(p, _)| *p == pane)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }

    fn get_mut(&mut self, pane: Pane) -> &mut PaneScroll {
        let index = match self.0.iter().position(|(p, _)| *p == pane) {
            Some(index) => index,
            None => {
                self.0.push((pane, PaneScroll::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[index].1
    }
}

/// A move of the view over a pane's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrollMove {
    Up(u16),
    Down(u16),
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// To the step's own part (the anchor), if the pane has to scroll to show it.
    Anchor,
}

/// Rows one notch of the mouse wheel moves.
pub const WHEEL_ROWS: u16 = 3;

/// The view measured `pane`: the room is kept, and a row kept within it.
pub fn measured(app: &mut App, pane: Pane, room: Room) -> bool {
    let scroll = app.scroll.get_mut(pane);
    let before = *scroll;
    scroll.room = room;
    if let ScrollAt::Row(_) = scroll.at {
        scroll.at = ScrollAt::Row(scroll.offset(room));
    }
    *scroll != before
}

/// Moves the focused pane's view; whether what it shows changed.
pub fn apply(app: &mut App, step: ScrollMove) -> bool {
    let pane = app.pane;
    let scroll = app.scroll.get_mut(pane);
    let room = scroll.room;
    let max = room.max_offset();
    let before = scroll.offset(room);
    scroll.at = match step {
        ScrollMove::Up(rows) => ScrollAt::Row(before.saturating_sub(rows)),
        ScrollMove::Down(rows) => ScrollAt::Row(before.saturating_add(rows).min(max)),
        ScrollMove::PageUp => ScrollAt::Row(before.saturating_sub(room.page())),
        ScrollMove::PageDown => ScrollAt::Row(before.saturating_add(room.page()).min(max)),
        ScrollMove::Top => ScrollAt::Top,
        ScrollMove::Bottom => ScrollAt::End,
        ScrollMove::Anchor => ScrollAt::Anchor,
    };
    scroll.offset(room) != before
}

/// The scrolling keys, on a pane whose content is taller than its room (the leases pane
/// keeps ↑ and ↓ for its selection).
pub fn bindings(app: &App, list: &mut Vec<Binding>) {
    use ScrollMove::*;
    if app.pane == Pane::Leases || app.scroll.get(app.pane).room.max_offset() == 0 {
        return;
    }
    list.push(Binding::new(
        "↑ ↓",
        "scroll",
        Action::Scroll(Down(1)),
        |k| plain(k, KeyCode::Down) || plain(k, KeyCode::Char('j')),
    ));
    list.push(Binding::hidden(Action::Scroll(Up(1)), |k| {
        plain(k, KeyCode::Up) || plain(k, KeyCode::Char('k'))
    }));
    list.push(Binding::new(
        "PgUp PgDn",
        "scroll a page",
        Action::Scroll(PageDown),
        |k| plain(k, KeyCode::PageDown) || plain(k, KeyCode::Char(' ')),
    ));
    list.push(Binding::hidden(Action::Scroll(PageUp), |k| {
        plain(k, KeyCode::PageUp)
    }));
    list.push(Binding::new(
        "Home End",
        "top, bottom",
        Action::Scroll(Bottom),
        |k| plain(k, KeyCode::End),
    ));
    list.push(Binding::hidden(Action::Scroll(Top), |k: &KeyEvent| {
        plain(k, KeyCode::Home)
    }));
}

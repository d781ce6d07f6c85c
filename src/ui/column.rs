//! A pane's content as one column of parts, scrolled as one: text, or a widget of a
//! fixed height (the editor). The column is drawn off screen at its full height and the
//! rows in view are copied in, so a widget cut by the edge is cut like text is. When the
//! content is taller than the room, a mark says how much is above and below and which
//! keys move there; nothing is cut without one.
//!
//! ```text
//! ▲ 6 more lines above · ↑ PgUp Home          only when scrolled down
//! <the parts, from the offset>
//! ▼ 9 more lines below · ↓ PgDn End           only when more is below
//! ```
//!
//! The panes build their parts; this module only places them. A presenter layout can
//! build other parts (bigger headings, more air) and place them the same way.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::theme::Theme;
use crate::app::scroll::{PaneScroll, Room};

type Draw<'a> = Box<dyn FnOnce(&mut Buffer, Rect) + 'a>;

/// One part of a column.
pub struct Part<'a> {
    height: u16,
    draw: Draw<'a>,
}

impl<'a> Part<'a> {
    /// Text wrapped at the column's width, as tall as it wraps to.
    pub fn text(lines: Vec<Line<'a>>, width: u16) -> Self {
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
        let height = u16::try_from(paragraph.line_count(width)).unwrap_or(u16::MAX);
        Self::widget(height, move |buf, area| paragraph.render(area, buf))
    }

    /// Rows drawn by `draw`, `height` of them.
    pub fn widget(height: u16, draw: impl FnOnce(&mut Buffer, Rect) + 'a) -> Self {
        Self {
            height,
            draw: Box::new(draw),
        }
    }

    /// Blank rows.
    pub fn gap(height: u16) -> Self {
        Self::widget(height, |_, _| {})
    }
}

/// Parts placed top to bottom; `flex` marks where spare rows go when everything fits
/// (between the step's own part and its commands, so those sit at the bottom).
#[derive(Default)]
pub struct Column<'a> {
    parts: Vec<Part<'a>>,
    anchor: Option<u16>,
    flex: Option<usize>,
}

impl<'a> Column<'a> {
    pub fn push(&mut self, part: Part<'a>) {
        self.parts.push(part);
    }

    /// Where the step's own part starts: where Enter and `e` scroll to.
    pub fn mark_anchor(&mut self) {
        self.anchor = Some(self.rows());
    }

    /// Spare rows go here when the column is shorter than its room.
    pub fn mark_flex(&mut self) {
        self.flex = Some(self.parts.len());
    }

    pub fn rows(&self) -> u16 {
        self.parts
            .iter()
            .fold(0u16, |rows, p| rows.saturating_add(p.height))
    }

    /// Draws the rows in view from where `scroll` is (kept within the content), with the
    /// marks; returns what it measured.
    pub fn render(
        mut self,
        frame: &mut Frame,
        area: Rect,
        scroll: PaneScroll,
        theme: &Theme,
    ) -> Room {
        let rows = self.rows();
        let room = Room {
            rows,
            visible: area.height,
            anchor: self.anchor.unwrap_or(0),
        };
        if area.is_empty() {
            return room;
        }
        if let (Some(at), true) = (self.flex, rows < area.height) {
            self.parts.insert(at, Part::gap(area.height - rows));
        }
        let offset = scroll.offset(room);
        let above = offset > 0;
        let content_rows = area.height - u16::from(above);
        let below = offset.saturating_add(content_rows) < rows;
        let shown = content_rows - u16::from(below);

        // Only the parts that reach into the rows in view are drawn, into a buffer that
        // spans just those parts.
        let (first, last) = (offset, offset + shown);
        let mut canvas = Buffer::empty(Rect::new(0, 0, area.width, 0));
        let mut y = 0u16;
        let mut canvas_top = None;
        for part in self.parts {
            let (top, bottom) = (y, y.saturating_add(part.height));
            y = bottom;
            if bottom <= first || top >= last || part.height == 0 {
                continue;
            }
            let base = *canvas_top.get_or_insert(top);
            let needed = Rect::new(0, 0, area.width, bottom - base);
            if needed.height > canvas.area.height {
                canvas.resize(needed);
            }
            (part.draw)(
                &mut canvas,
                Rect::new(0, top - base, area.width, part.height),
            );
        }
        let buf = frame.buffer_mut();
        let base = canvas_top.unwrap_or(0);
        for row in 0..shown {
            let from = offset + row - base;
            if from >= canvas.area.height {
                break;
            }
            let to_y = area.y + u16::from(above) + row;
            for x in 0..area.width {
                buf[(area.x + x, to_y)] = canvas[(x, from)].clone();
            }
        }
        if above {
            let mark = mark("▲", offset, "↑ PgUp Home", theme);
            buf.set_line(area.x, area.y, &mark, area.width);
        }
        if below {
            let left = rows - offset - shown;
            let mark = mark("▼", left, "↓ PgDn End", theme);
            buf.set_line(area.x, area.y + area.height - 1, &mark, area.width);
        }
        room
    }
}

fn mark<'a>(arrow: &'a str, rows: u16, keys: &'a str, theme: &Theme) -> Line<'a> {
    let where_ = if arrow == "▲" { "above" } else { "below" };
    let noun = if rows == 1 { "line" } else { "lines" };
    Line::from(vec![
        Span::styled(
            format!("{arrow} {rows} more {noun} {where_}"),
            theme.warning,
        ),
        Span::styled(format!(" · {keys}"), theme.muted),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::scroll::ScrollAt;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn numbered(n: u16, width: u16) -> Part<'static> {
        Part::text(
            (0..n).map(|i| Line::raw(format!("row {i}"))).collect(),
            width,
        )
    }

    fn draw(offset: u16, rows: u16, height: u16) -> (Vec<String>, Room) {
        let mut terminal = Terminal::new(TestBackend::new(60, height)).unwrap();
        let mut room = Room::default();
        terminal
            .draw(|frame| {
                let mut column = Column::default();
                column.push(numbered(rows, 60));
                let scroll = PaneScroll {
                    at: ScrollAt::Row(offset),
                    room: Room::default(),
                };
                room = column.render(frame, frame.area(), scroll, &Theme::plain());
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        let lines = (0..height)
            .map(|y| {
                (0..60)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect();
        (lines, room)
    }

    #[test]
    fn content_that_fits_has_no_marks() {
        let (lines, room) = draw(0, 3, 5);
        assert_eq!(lines, ["row 0", "row 1", "row 2", "", ""]);
        assert_eq!(room.max_offset(), 0);
    }

    #[test]
    fn taller_content_says_how_much_is_below_and_above() {
        let (lines, room) = draw(0, 10, 5);
        assert_eq!(lines[..4], ["row 0", "row 1", "row 2", "row 3"]);
        assert!(lines[4].starts_with("▼ 6 more lines below"), "{lines:?}");
        // In the middle: both marks, the rows in between.
        let (lines, _) = draw(2, 10, 5);
        assert!(lines[0].starts_with("▲ 2 more lines above"), "{lines:?}");
        assert_eq!(lines[1..4], ["row 2", "row 3", "row 4"]);
        assert!(lines[4].starts_with("▼ 5 more lines below"), "{lines:?}");
        // At the end, the last row is in view, under the mark.
        let (lines, _) = draw(room.max_offset(), 10, 5);
        assert_eq!(lines[1..], ["row 6", "row 7", "row 8", "row 9"]);
        assert!(lines[0].starts_with("▲ 6 more lines above"), "{lines:?}");
        // Beyond the end is the end.
        assert_eq!(draw(40, 10, 5).0, lines);
    }
}

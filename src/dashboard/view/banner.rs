//! The join line, as big as the screen allows, so the back of a room reads it off a
//! projector: the whole line in big letters; else the command and its address big on one
//! row and the code on the next; else `vaultlab join` small above the address and the
//! code big; else one plain line. Big letters take a third of the height at most, so the
//! seats keep most of it; `z` makes the line small whatever the room.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use tui_big_text::{BigText, PixelSize};
use unicode_width::UnicodeWidthStr;

use crate::dashboard::Dashboard;
use crate::ui::Theme;

/// A big letter is four columns wide and four rows tall (8×8 pixels, four to a cell).
const GLYPH: u16 = 4;

/// How the join line is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// Every row big, in order.
    Big(Vec<String>),
    /// A small row above big rows.
    Mixed(String, Vec<String>),
    Plain,
}

fn shape(d: &Dashboard, width: u16, height: u16) -> Shape {
    if !d.big_join || d.ended() {
        return Shape::Plain;
    }
    let (url, code) = (d.start.url.as_str(), d.join_code());
    let budget = height / 3;
    let fits = |rows: &[String], small: u16| {
        rows.iter().all(|r| {
            u16::try_from(r.width())
                .unwrap_or(u16::MAX)
                .saturating_mul(GLYPH)
                <= width
        }) && small + GLYPH * u16::try_from(rows.len()).unwrap_or(u16::MAX) <= budget
    };
    let whole = vec![d.join_line()];
    let mut two = vec![format!("vaultlab join {url}"), code.to_owned()];
    let mut mixed = vec![url.to_owned(), code.to_owned()];
    // A room served with TLS: its pin on a row of its own.
    if let Some(tls) = &d.start.tls {
        two.push(format!("--pin {}", tls.pin));
        mixed.push(format!("--pin {}", tls.pin));
    }
    if fits(&whole, 0) {
        Shape::Big(whole)
    } else if fits(&two, 0) {
        Shape::Big(two)
    } else if fits(&mixed, 1) {
        Shape::Mixed("vaultlab join".to_owned(), mixed)
    } else {
        Shape::Plain
    }
}

/// The rows the join line takes in a body `width` × `height`.
pub fn rows(d: &Dashboard, width: u16, height: u16) -> u16 {
    match shape(d, width, height) {
        Shape::Big(rows) => GLYPH * rows.len() as u16,
        Shape::Mixed(_, rows) => 1 + GLYPH * rows.len() as u16,
        Shape::Plain => 1,
    }
}

/// `body_height`: the rows of the whole body, as `rows` was given.
pub fn render(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme, body_height: u16) {
    let big = |rows: Vec<String>, area: Rect, frame: &mut Frame| {
        let text = BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(theme.accent)
            .alignment(Alignment::Center)
            .lines(rows.into_iter().map(Line::from).collect::<Vec<_>>())
            .build();
        frame.render_widget(text, area);
    };
    match shape(d, area.width, body_height) {
        Shape::Big(rows) => big(rows, area, frame),
        Shape::Mixed(small, rows) => {
            let top = Rect { height: 1, ..area };
            frame.render_widget(
                Paragraph::new(Line::styled(small, theme.title)).centered(),
                top,
            );
            let rest = Rect {
                y: area.y + 1,
                height: area.height.saturating_sub(1),
                ..area
            };
            big(rows, rest, frame);
        }
        Shape::Plain => {
            // Where the report went is the status bar's to say: it wraps there.
            let line = if d.ended() {
                Line::styled("The room has ended: joining is refused.", theme.title)
            } else {
                Line::styled(d.join_line(), theme.accent)
            };
            frame.render_widget(Paragraph::new(line).centered(), area);
        }
    }
}

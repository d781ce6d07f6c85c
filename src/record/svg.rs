//! A screen as SVG: the app's own render buffer (what a terminal would show, cell by cell)
//! drawn as monospace text with the buffer's colours, for the pictures in `assets/` that
//! the README shows. The same buffer gives the same bytes, so a test can tell a picture
//! that is out of date.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// One cell, in pixels (a 14 px monospace font is 0.6 em wide).
const CELL_WIDTH: f64 = 8.4;
const CELL_HEIGHT: f64 = 18.0;
const FONT_SIZE: u32 = 14;
const PADDING: f64 = 10.0;

const BACKGROUND: &str = "#1d1f21";
const FOREGROUND: &str = "#d8d8d8";

/// The buffer as an SVG document titled `title`.
pub fn render(buffer: &Buffer, title: &str) -> String {
    let area = buffer.area;
    let width = f64::from(area.width) * CELL_WIDTH + 2.0 * PADDING;
    let height = f64::from(area.height) * CELL_HEIGHT + 2.0 * PADDING;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{title}">"#,
        title = escape(title)
    );
    let _ = writeln!(svg, "<title>{}</title>", escape(title));
    let _ = writeln!(
        svg,
        r#"<style>text{{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:{FONT_SIZE}px;white-space:pre}}.b{{font-weight:bold}}.d{{opacity:.6}}.i{{font-style:italic}}.u{{text-decoration:underline}}</style>"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="100%" height="100%" rx="6" fill="{BACKGROUND}"/>"#
    );
    for y in 0..area.height {
        let top = PADDING + f64::from(y) * CELL_HEIGHT;
        let mut text = String::new();
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(area.x + x, area.y + y)];
            let (fg, bg) = colours(cell.fg, cell.bg, cell.modifier);
            // A run of cells with the same look: one background, one tspan.
            let mut run = String::new();
            let start = x;
            while x < area.width {
                let next = &buffer[(area.x + x, area.y + y)];
                if (next.fg, next.bg, next.modifier) != (cell.fg, cell.bg, cell.modifier) {
                    break;
                }
                run.push_str(next.symbol());
                x += 1;
            }
            let left = PADDING + f64::from(start) * CELL_WIDTH;
            if bg != BACKGROUND {
                let cells = f64::from(x - start);
                let _ = writeln!(
                    svg,
                    r#"<rect x="{left:.1}" y="{top:.1}" width="{:.1}" height="{CELL_HEIGHT:.1}" fill="{bg}"/>"#,
                    cells * CELL_WIDTH
                );
            }
            if run.trim().is_empty() {
                continue;
            }
            let mut class = Vec::new();
            for (modifier, name) in [
                (Modifier::BOLD, "b"),
                (Modifier::DIM, "d"),
                (Modifier::ITALIC, "i"),
                (Modifier::UNDERLINED, "u"),
            ] {
                if cell.modifier.contains(modifier) {
                    class.push(name);
                }
            }
            let class = match class.is_empty() {
                true => String::new(),
                false => format!(r#" class="{}""#, class.join(" ")),
            };
            let fill = match fg == FOREGROUND {
                true => String::new(),
                false => format!(r#" fill="{fg}""#),
            };
            // Wide characters take two cells: the run is laid out to the cells it covers.
            let length = match run.width() == usize::from(x - start) {
                true => String::new(),
                false => format!(r#" textLength="{:.1}""#, f64::from(x - start) * CELL_WIDTH),
            };
            let _ = write!(
                text,
                r#"<tspan x="{left:.1}"{class}{fill}{length}>{}</tspan>"#,
                escape(&run)
            );
        }
        if !text.is_empty() {
            let baseline = top + CELL_HEIGHT * 0.75;
            let _ = writeln!(
                svg,
                r#"<text y="{baseline:.1}" fill="{FOREGROUND}">{text}</text>"#
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// A cell's foreground and background, reversed if it says so.
fn colours(fg: Color, bg: Color, modifier: Modifier) -> (&'static str, &'static str) {
    let fg = hex(fg).unwrap_or(FOREGROUND);
    let bg = hex(bg).unwrap_or(BACKGROUND);
    match modifier.contains(Modifier::REVERSED) {
        true => (bg, fg),
        false => (fg, bg),
    }
}

/// A terminal palette (xterm's, softened): `None` for the terminal's own default.
fn hex(color: Color) -> Option<&'static str> {
    Some(match color {
        Color::Reset => return None,
        Color::Black => "#000000",
        Color::Red => "#cc6666",
        Color::Green => "#8fbc5a",
        Color::Yellow => "#e0b050",
        Color::Blue => "#5f8fd0",
        Color::Magenta => "#b294bb",
        Color::Cyan => "#5fb3b3",
        Color::Gray => "#c5c8c6",
        Color::DarkGray => "#808080",
        Color::LightRed => "#ff7b7b",
        Color::LightGreen => "#b5e36b",
        Color::LightYellow => "#f0d070",
        Color::LightBlue => "#81a2be",
        Color::LightMagenta => "#d7a8e0",
        Color::LightCyan => "#8be0e0",
        Color::White => "#ffffff",
        // vaultlab's theme uses the named colours only; others keep the default.
        Color::Rgb(..) | Color::Indexed(_) => return None,
    })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_positioned_runs_with_their_colours_and_the_markup_is_escaped() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 12, 2));
        buffer.set_string(0, 0, "a<b & \"c\"", Style::new());
        buffer.set_string(
            2,
            1,
            "ok",
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        );
        buffer.set_string(6, 1, "sel", Style::new().add_modifier(Modifier::REVERSED));
        let svg = render(&buffer, "a <test>");
        assert!(svg.contains("<title>a &lt;test&gt;</title>"), "{svg}");
        assert!(
            svg.contains(r#"<tspan x="10.0">a&lt;b &amp; &quot;c&quot;   </tspan>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r##"<tspan x="26.8" class="b" fill="#8fbc5a">ok</tspan>"##),
            "{svg}"
        );
        // Reversed: the default background as text on a light block.
        assert!(svg.contains(r##"fill="#d8d8d8"/>"##), "{svg}");
        assert_eq!(
            render(&buffer, "a <test>"),
            svg,
            "the same buffer, the same bytes"
        );
    }
}

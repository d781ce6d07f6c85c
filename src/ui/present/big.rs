//! Big letters for a projector, from the terminal's own block glyphs: each character is a
//! 3×5 grid of dots, drawn with half blocks (`▀ ▄ █`) on three rows, four columns a
//! character with its gap. Letters are drawn as capitals; a character the font lacks is
//! a space. Only what titles and countdowns need: A–Z, 0–9, and `- . : / ( ) +`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Rows a line of big text takes.
pub const HEIGHT: u16 = 3;

/// Columns `text` takes in big letters (the last character without its gap).
pub fn width(text: &str) -> u16 {
    let chars = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    chars.saturating_mul(4).saturating_sub(1)
}

/// The five rows of dots of `c`, three bits a row, the high bit on the left.
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_uppercase() {
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'B' => [0b110, 0b101, 0b110, 0b101, 0b110],
        'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
        'D' => [0b110, 0b101, 0b101, 0b101, 0b110],
        'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
        'F' => [0b111, 0b100, 0b110, 0b100, 0b100],
        'G' => [0b011, 0b100, 0b101, 0b101, 0b011],
        'H' => [0b101, 0b101, 0b111, 0b101, 0b101],
        'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
        'J' => [0b001, 0b001, 0b001, 0b101, 0b010],
        'K' => [0b101, 0b101, 0b110, 0b101, 0b101],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
        'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
        'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
        'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
        'Q' => [0b010, 0b101, 0b101, 0b110, 0b011],
        'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
        'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
        'V' => [0b101, 0b101, 0b101, 0b101, 0b010],
        'W' => [0b101, 0b101, 0b111, 0b111, 0b101],
        'X' => [0b101, 0b101, 0b010, 0b101, 0b101],
        'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
        'Z' => [0b111, 0b001, 0b010, 0b100, 0b111],
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b110, 0b001, 0b010, 0b100, 0b111],
        '3' => [0b110, 0b001, 0b010, 0b001, 0b110],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b110, 0b001, 0b110],
        '6' => [0b011, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b110],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        '/' => [0b001, 0b001, 0b010, 0b100, 0b100],
        '(' => [0b001, 0b010, 0b010, 0b010, 0b001],
        ')' => [0b100, 0b010, 0b010, 0b010, 0b100],
        _ => [0; 5],
    }
}

/// The half block for an upper and a lower dot.
fn half(upper: bool, lower: bool) -> &'static str {
    match (upper, lower) {
        (true, true) => "█",
        (true, false) => "▀",
        (false, true) => "▄",
        (false, false) => " ",
    }
}

/// The three rows of `text` in big letters.
pub fn rows(text: &str) -> [String; 3] {
    let mut rows: [String; 3] = Default::default();
    for (index, c) in text.chars().enumerate() {
        let dots = glyph(c);
        let dot = |row: usize, column: u8| row < 5 && dots[row] & (0b100 >> column) != 0;
        for (out, row) in rows.iter_mut().zip([0, 2, 4]) {
            if index > 0 {
                out.push(' ');
            }
            for column in 0..3 {
                out.push_str(half(dot(row, column), dot(row + 1, column)));
            }
        }
    }
    rows
}

/// Draws `text` in big letters at the top left of `area`, cut to it.
pub fn render(buf: &mut Buffer, area: Rect, text: &str, style: Style) {
    for (y, row) in (area.y..area.bottom()).zip(rows(text)) {
        buf.set_stringn(area.x, y, row, usize::from(area.width), style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_three_rows_of_half_blocks_four_columns_apart() {
        assert_eq!(rows("H1"), ["█ █ ▄█ ", "█▀█  █ ", "▀ ▀ ▀▀▀"]);
        assert_eq!(width("H1"), 7);
        // Lower case reads as capitals; what the font lacks is a space.
        assert_eq!(rows("h?"), rows("H "));
    }
}

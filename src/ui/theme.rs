//! Colours and emphasis. With `NO_COLOR` set, only bold, dim and reverse remain.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub title: Style,
    pub accent: Style,
    pub done: Style,
    pub failed: Style,
    pub running: Style,
    pub muted: Style,
    pub key: Style,
    pub selected: Style,
    pub warning: Style,
    pub code: Style,
}

impl Theme {
    pub fn colored() -> Self {
        Self {
            title: Style::new().add_modifier(Modifier::BOLD),
            accent: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            done: Style::new().fg(Color::Green),
            failed: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            running: Style::new().fg(Color::Yellow),
            muted: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            warning: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            code: Style::new().fg(Color::LightBlue),
        }
    }

    /// For a projector (`--present`): bright colours and bold, no dark grey, which a
    /// projector washes out.
    pub fn high_contrast() -> Self {
        let bold = |color| Style::new().fg(color).add_modifier(Modifier::BOLD);
        Self {
            title: bold(Color::White),
            accent: bold(Color::LightCyan),
            done: bold(Color::LightGreen),
            failed: bold(Color::LightRed),
            running: bold(Color::LightYellow),
            muted: Style::new().fg(Color::Gray),
            key: bold(Color::LightCyan),
            selected: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            warning: bold(Color::LightYellow),
            code: bold(Color::LightBlue),
        }
    }

    pub fn plain() -> Self {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Self {
            title: bold,
            accent: bold,
            done: Style::new(),
            failed: bold,
            running: Style::new(),
            muted: Style::new().add_modifier(Modifier::DIM),
            key: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            warning: bold,
            code: Style::new(),
        }
    }

    /// `NO_COLOR` (any non-empty value) turns colour off, as https://no-color.org asks.
    pub fn from_no_color(no_color: Option<&str>) -> Self {
        match no_color {
            Some(value) if !value.is_empty() => Self::plain(),
            _ => Self::colored(),
        }
    }

    /// The theme for a run: high contrast on stage, unless `NO_COLOR` asks for none.
    pub fn for_run(no_color: Option<&str>, presenting: bool) -> Self {
        match (no_color.is_some_and(|v| !v.is_empty()), presenting) {
            (true, _) => Self::plain(),
            (false, true) => Self::high_contrast(),
            (false, false) => Self::colored(),
        }
    }
}

//! `vaultlab notes`' screen at 80×24 (the presenter's laptop) and 200×60, drawn from what a
//! presenting instance publishes: waiting, and following a step with its notes.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultlab::lab::load_embedded;
use vaultlab::present::{self, Published, StageOptions};
use vaultlab::ui::Theme;
use vaultlab::ui::present::notes::{NotesScreen, draw};

use crate::app_states::*;

fn render(screen: &NotesScreen, width: u16, height: u16, scroll: u16) -> (String, u16) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut max = 0;
    terminal
        .draw(|frame| max = draw(frame, screen, "14:32:05", at(134), scroll, &Theme::plain()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let text = (0..height)
        .map(|y| {
            let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
            format!("{}\n", row.trim_end())
        })
        .collect();
    (text, max)
}

/// What the presenting instance publishes on step 4, credentials issued, since `at(0)`.
fn generate_published() -> Published {
    let mut app = generate_masked();
    present::start(&mut app, StageOptions::default());
    Published::of(&app, at(0))
}

#[test]
fn with_no_presenting_instance_notes_says_so_and_where_it_looks() {
    let screen = NotesScreen::Waiting {
        dir: "/run/user/1000/vaultlab",
        pid: None,
        polls: 2,
    };
    let (text, _) = render(&screen, 80, 24, 0);
    assert!(
        text.contains("Waiting for a presenting vaultlab (vaultlab --present)..."),
        "{text}"
    );
    assert!(text.contains("/run/user/1000/vaultlab"), "{text}");
    insta::assert_snapshot!("notes_80x24_waiting", text);
}

#[test]
fn following_a_step_notes_shows_its_state_the_clock_the_time_on_it_and_its_notes() {
    let lab = load_embedded("dynamic-secrets-aws").unwrap();
    let published = generate_published();
    for (width, height) in [(80, 24), (200, 60)] {
        let screen = NotesScreen::Following {
            pid: 4242,
            live: 2,
            published: Some(&published),
            notes: lab.notes.step(GENERATE),
            problem: None,
        };
        let (text, max) = render(&screen, width, height, 0);
        assert!(text.contains("following pid 4242 (newest of 2"), "{text}");
        assert!(text.contains("14:32:05 · on this pane 02:14"), "{text}");
        assert!(
            text.contains("Step 4 of 6 · Generate dynamic credentials · done"),
            "{text}"
        );
        assert!(text.contains("lease 31d 23:57:46"), "{text}");
        assert!(
            text.contains("SAY") && text.contains("One read, and Vault creates"),
            "{text}"
        );
        if (width, height) == (80, 24) {
            // Longer than the screen: a mark says so, and scrolling reaches the last answer.
            assert!(max > 0 && text.contains("more below"), "{text}");
            let (end, _) = render(&screen, width, height, max);
            assert!(end.contains("short leases to watch one expire"), "{end}");
            assert!(end.contains("more above"), "{end}");
        }
        insta::assert_snapshot!(format!("notes_{width}x{height}_generate"), text);
    }
}

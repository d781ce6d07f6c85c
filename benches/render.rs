//! Render cost: every pane in a representative state, and the overlays, drawn at 80×24
//! and at 200×60 into a TestBackend. Each iteration is a full repaint (the back buffer is cleared
//! first), the worst case: the first frame, or a resize. Target: under 1 ms each.
//!
//! `cargo bench --bench render`; without `--bench` (as `cargo test --all-targets` runs
//! it) criterion draws each screen once, after the checks below.

#[path = "../tests/offline/app_states/mod.rs"]
mod app_states;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::Duration;
use vaultlab::app::App;
use vaultlab::ui::{Theme, draw};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

fn repaint(terminal: &mut Terminal<TestBackend>, app: &App, theme: &Theme) {
    terminal.clear().unwrap();
    terminal
        .draw(|frame| {
            draw(frame, app, theme);
        })
        .unwrap();
}

/// A drawn screen is the whole frame (both bottom corners written), with no secret in it.
fn check(name: &str, terminal: &Terminal<TestBackend>) {
    let buffer = terminal.backend().buffer();
    let (width, height) = (buffer.area.width, buffer.area.height);
    let text: String = buffer.content().iter().map(|cell| cell.symbol()).collect();
    assert_eq!(
        buffer[(0, height - 1)].symbol(),
        "└",
        "{name}: no bottom border"
    );
    assert_eq!(buffer[(width - 1, height - 1)].symbol(), "┘", "{name}");
    assert!(
        !text.contains(app_states::ROOT_SECRET),
        "{name}: root secret on screen"
    );
    assert!(
        !text.contains(app_states::ISSUED_SECRET),
        "{name}: secret key on screen"
    );
}

fn render(c: &mut Criterion) {
    let theme = Theme::colored();
    for (width, height) in SIZES {
        let mut group = c.benchmark_group(format!("render {width}x{height}"));
        for (name, app) in app_states::every_screen() {
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            repaint(&mut terminal, &app, &theme);
            check(name, &terminal);
            group.bench_function(name, |b| {
                b.iter(|| repaint(&mut terminal, black_box(&app), &theme))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = render
}
criterion_main!(benches);

//! Presenter mode (`--present`): every pane and overlay at 80×24, 100×30 and 200×60 in the
//! projector layout, drawn from the same states as the other snapshots; `v` reveals
//! nothing on stage; autoplay's steps, driven by its wake-up messages alone; what the
//! stage publishes for `vaultlab notes`.

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use vaultlab::app::effect::Effect;
use vaultlab::app::keymap::pane_bindings;
use vaultlab::app::msg::Msg;
use vaultlab::app::state::{App, Mode, Pane, StepStatus};
use vaultlab::app::{Redraw, update};
use vaultlab::present::{self, HIDDEN, StageOptions};

use crate::app_states::*;
use crate::sizes::{SIZES, every_line_scrolls_into_view_at_80x24, primary_keys, settled};

/// `app` put on stage as `vaultlab --present` does.
fn on_stage(mut app: App) -> App {
    present::start(&mut app, StageOptions::default());
    app
}

fn every_screen_on_stage() -> Vec<(&'static str, App)> {
    every_screen()
        .into_iter()
        .chain(every_postgres_screen())
        .map(|(name, app)| (name, on_stage(app)))
        .collect()
}

fn assert_no_secret(name: &str, text: &str) {
    for (secret, what) in [
        (TOKEN, "the Vault token"),
        (ROOT_SECRET, "the root secret key"),
        (ISSUED_SECRET, "the issued secret key"),
        (PG_SECRET, "the database password"),
    ] {
        assert!(!text.contains(secret), "{name}: {what} shows:\n{text}");
    }
}

#[test]
fn on_stage_every_pane_and_overlay_at_80x24_100x30_and_200x60() {
    for (width, height) in SIZES {
        for (name, mut app) in every_screen_on_stage() {
            let text = settled(&mut app, width, height);
            assert_no_secret(name, &text);
            let bar = text
                .lines()
                .nth(usize::from(height) - 2)
                .unwrap_or_default();
            for key in primary_keys(&app) {
                assert!(
                    bar.contains(key),
                    "{name} at {width}x{height}: no {key:?} in the status bar:\n{text}"
                );
            }
            let snapshot = format!("present_{width}x{height}_{}", name.replace(' ', "_"));
            insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
                insta::assert_snapshot!(snapshot, text);
            });
        }
    }
}

#[test]
fn on_stage_at_80x24_every_line_of_every_pane_can_be_scrolled_into_view() {
    every_line_scrolls_into_view_at_80x24(every_screen_on_stage());
}

#[test]
fn on_stage_the_headings_are_big_where_there_is_room_and_the_countdown_beside_them() {
    let mut app = on_stage(generate_masked());
    let big = settled(&mut app, 200, 60);
    // "4 GENERATE" in half blocks, and the countdown in big digits beside it.
    assert!(big.contains("▄▀▀ █▀▀ █▀▄ █▀▀ █▀▄"), "{big}");
    assert!(big.contains("lease"), "{big}");
    let small = settled(&mut app, 80, 24);
    assert!(small.contains(" 4 GENERATE"), "{small}");
    assert!(small.contains(" LEASE "), "{small}");
    assert!(!small.contains('▀'), "no big letters at 80x24:\n{small}");
}

#[test]
fn on_stage_v_never_shows_a_token_or_a_secret_key() {
    let mut states = every_screen_on_stage();
    let mut issued = app(Mode::Sandbox);
    issue(&mut issued);
    go_to(&mut issued, GENERATE);
    states.push(("generate, issued", on_stage(issued)));
    for (name, mut app) in states {
        let offers_v = app.overlay.is_none()
            && (matches!(app.pane, Pane::Overview) && !app.cli_env.is_empty()
                || app.pane == Pane::Step(GENERATE) && app.creds.is_some());
        assert!(
            !pane_bindings(&app).iter().any(|b| b.keys == "v"),
            "{name}: v offered on stage, where it reveals nothing"
        );
        for _ in 0..2 {
            press(&mut app, KeyCode::Char('v'));
            // Every size, and one tall enough for all of the pane.
            let texts: Vec<String> = SIZES
                .into_iter()
                .chain([(200, 150)])
                .map(|(width, height)| settled(&mut app, width, height))
                .collect();
            for text in &texts {
                assert_no_secret(name, text);
            }
            if offers_v {
                for text in &texts {
                    assert!(text.contains("Hidden in presenter mode"), "{name}:\n{text}");
                }
                assert_eq!(app.notice.as_deref(), Some(HIDDEN), "{name}");
            }
        }
    }
}

/// The wake-ups among `effects`, by number.
fn wake_of(effects: &[Effect]) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::Wake { wake, .. } => Some(*wake),
        _ => None,
    })
}

fn wake(app: &mut App, number: u64, now: DateTime<Utc>) -> (Vec<Effect>, Redraw) {
    update(app, Msg::Autoplay { wake: number, now })
}

/// Autoplay on the fresh lab at a 2 s pace; its first wake-up.
fn autoplaying() -> (App, u64) {
    autoplaying_from(app(Mode::Sandbox))
}

fn autoplaying_from(mut app: App) -> (App, u64) {
    let effects = present::start(
        &mut app,
        StageOptions {
            autoplay: Some(std::time::Duration::from_secs(2)),
            ..StageOptions::default()
        },
    );
    let first = wake_of(&effects).expect("autoplay asks to be woken");
    (app, first)
}

#[test]
fn autoplay_shows_the_overview_for_the_pace_then_types_the_command_and_runs_it() {
    let (mut app, first) = autoplaying();
    // Before the pace is up, the overview stays.
    let (effects, _) = wake(&mut app, first, at(1));
    assert_eq!(app.pane, Pane::Overview);
    let next = wake_of(&effects).unwrap();
    let (effects, _) = wake(&mut app, next, at(2));
    assert_eq!(app.pane, Pane::Step(ENABLE));
    let command = "vault secrets enable -path=aws aws";
    let mut number = wake_of(&effects).unwrap();
    let mut typed = Vec::new();
    let mut sent = None;
    for _ in 0..command.len() + 1 {
        let (effects, _) = wake(&mut app, number, at(2));
        let autoplay = app.stage.autoplay.as_ref().unwrap();
        typed.push(autoplay.typed(ENABLE).map(str::to_owned));
        sent = effects.iter().find_map(|e| match e {
            Effect::Vault(call) => Some(call.request.path.clone()),
            _ => None,
        });
        number = wake_of(&effects).unwrap();
        if sent.is_some() {
            break;
        }
    }
    // One character a wake-up, the whole command before anything is sent.
    assert_eq!(typed[0].as_deref(), Some("v"));
    assert_eq!(typed[command.len() - 1].as_deref(), Some(command));
    assert_eq!(sent.as_deref(), Some("sys/mounts/aws"));
    assert_eq!(app.steps[ENABLE].status, StepStatus::Running);
    let text = settled(&mut app, 80, 24);
    assert!(text.contains("AUTOPLAY"), "{text}");
}

#[test]
fn space_pauses_autoplay_and_the_wake_up_on_its_way_then_does_nothing() {
    let (mut app, first) = autoplaying();
    press(&mut app, KeyCode::Char(' '));
    assert!(app.stage.autoplay.as_ref().unwrap().paused);
    let (effects, redraw) = wake(&mut app, first, at(60));
    assert!(effects.is_empty() && redraw == Redraw::No);
    assert_eq!(app.pane, Pane::Overview);
    let text = settled(&mut app, 80, 24);
    assert!(
        text.contains("AUTOPLAY PAUSED") && text.contains("space resume"),
        "{text}"
    );
    // Space again: going on from where it was.
    let effects = press(&mut app, KeyCode::Char(' '));
    let resumed = wake_of(&effects).expect("resuming asks to be woken");
    assert!(resumed > first);
    assert!(!app.stage.autoplay.as_ref().unwrap().paused);
}

#[test]
fn n_steps_autoplay_on_and_any_other_key_hands_the_lab_back_and_does_its_work() {
    let (mut app, _) = autoplaying();
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.pane, Pane::Step(ENABLE));
    assert!(app.stage.autoplay.as_ref().unwrap().typed(ENABLE).is_some());
    // `l` takes over: autoplay stops, the leases pane opens, the bar says so.
    press(&mut app, KeyCode::Char('l'));
    assert!(app.stage.autoplay.is_none());
    assert_eq!(app.pane, Pane::Leases);
    assert_eq!(app.notice.as_deref(), Some(present::autoplay::HANDED_OVER));
}

#[test]
fn the_stage_is_published_when_what_it_shows_changes_and_not_on_every_tick() {
    let mut app = on_stage(app(Mode::Sandbox));
    let published = |effects: &[Effect]| {
        effects.iter().find_map(|e| match e {
            Effect::Publish(p) => Some(p.clone()),
            _ => None,
        })
    };
    let (effects, _) = update(&mut app, Msg::Tick(at(1)));
    assert!(
        published(&effects).is_none(),
        "nothing changed: {effects:?}"
    );
    let effects = press(&mut app, KeyCode::Char('n'));
    let state = published(&effects).expect("the pane changed");
    assert_eq!(state.pane, present::published::ShownPane::Step(ENABLE));
    assert_eq!(state.title, "Enable the AWS secrets engine");
    assert_eq!(state.since, at(1));
    assert_eq!(state.status.as_deref(), Some("pending"));
    // No secret crosses the socket.
    let mut issued = on_stage(app_with_creds());
    let line = serde_json::to_string(&present::Published::of(&issued, at(0))).unwrap();
    assert!(
        !line.contains(ISSUED_SECRET) && !line.contains(TOKEN),
        "{line}"
    );
    let (effects, _) = update(&mut issued, Msg::Tick(at(5)));
    assert!(
        published(&effects).is_none(),
        "a countdown is counted by the reader"
    );
}

fn app_with_creds() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    app
}

#[test]
fn autoplay_waits_while_a_prompt_is_open() {
    // Keys alive: SIGTERM asks whether to revoke them.
    let mut app = app_with_creds();
    app.pane = Pane::Overview;
    let (mut app, first) = autoplaying_from(app);
    update(
        &mut app,
        Msg::Signal(vaultlab::app::msg::StopSignal::Terminate),
    );
    let opened = app.overlay;
    assert!(opened.is_some(), "SIGTERM asks");
    let (effects, _) = wake(&mut app, first, at(60));
    assert_eq!(app.pane, Pane::Overview, "autoplay moved under the prompt");
    assert_eq!(app.overlay, opened);
    assert!(wake_of(&effects).is_some(), "it looks again later");
}

//! What `assets/` ships: the recording of the lab (scripts/record-walk) is asciicast v2,
//! holds no secret and walks the lab's current steps; each pane's picture is what the app
//! draws today (scripts/render-assets).

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vaultlab::app::msg::Msg;
use vaultlab::app::state::App;
use vaultlab::app::update;
use vaultlab::inside::{Call, Seen, Why};
use vaultlab::lab::{DEFAULT_LAB, load_embedded};
use vaultlab::record::cast::{self, What};
use vaultlab::record::check::secret_free;
use vaultlab::record::svg;
use vaultlab::ui::{Theme, draw};

use crate::app_states::*;

const REGENERATE_CAST: &str = "regenerate it with scripts/record-walk and commit assets/walk.cast";

#[test]
fn the_shipped_recording_is_valid_secret_free_and_walks_the_current_lab() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/walk.cast");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("assets/walk.cast: {e}; {REGENERATE_CAST}"));
    let recording =
        cast::parse(&text, "assets/walk.cast").unwrap_or_else(|e| panic!("{e}; {REGENERATE_CAST}"));
    if let Err(found) = secret_free(&text) {
        panic!("assets/walk.cast holds {found}; {REGENERATE_CAST}");
    }
    assert!(
        text.len() < 200 * 1024,
        "{} bytes: more than 200 KiB",
        text.len()
    );
    let played: String = recording
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Output(text) => Some(text.replace("\r\n", "\n")),
            _ => None,
        })
        .collect();
    let lab = load_embedded(DEFAULT_LAB).unwrap();
    let count = lab.steps.len();
    for (index, step) in lab.steps.iter().enumerate() {
        let heading = format!("[{}/{count}] {}", index + 1, step.title);
        assert!(
            played.contains(&heading),
            "assets/walk.cast has no {heading:?}: the lab changed since it was recorded; {REGENERATE_CAST}"
        );
    }
    for done in [
        lab.finish.done.as_str(),
        "iam:CreateAccessKey",
        "iam:DeleteUser ",
    ] {
        assert!(
            played.contains(done),
            "assets/walk.cast has no {done:?}; {REGENERATE_CAST}"
        );
    }
}

/// The size the pictures are drawn at: roomy enough to read, small enough for a README.
const PICTURE_SIZE: (u16, u16) = (100, 30);

const REGENERATE_SVG: &str =
    "regenerate them with scripts/render-assets (VAULTLAB_RENDER_ASSETS=1) and commit assets/";

/// Step 4 with the inside view on: the calls of the creds read, as the sandbox tells them.
fn generate_inside() -> App {
    let mut app = generate_masked();
    press(&mut app, KeyCode::Char('i'));
    let user = "vault-root-my-role-1763900000-k3W6bidZ5AIcKNjXHFXF";
    for (ms, action, took) in [
        (0, "CreateUser", 0.6),
        (4, "PutUserPolicy", 0.4),
        (9, "CreateAccessKey", 0.5),
    ] {
        let call = Call {
            time: at(0) + chrono::Duration::milliseconds(ms),
            why: Why::Issue,
            service: "iam".into(),
            action: action.into(),
            user: Some(user.into()),
            status: 200,
            error_code: None,
            duration_ms: took,
            lease_id: None,
        };
        update(&mut app, Msg::Inside(Seen::Aws(call)));
    }
    let answered = Seen::Vault {
        method: "GET".into(),
        path: "aws/creds/my-role".into(),
        status: 200,
        duration_ms: 14.2,
    };
    update(&mut app, Msg::Inside(answered));
    app
}

/// Each picture: its file's name (without `.svg`), its title, and the app it shows.
fn pictures() -> Vec<(&'static str, &'static str, App)> {
    vec![
        ("overview", "vaultlab: the overview", overview_sandbox()),
        (
            "step-1-enable",
            "vaultlab: step 1, the engine enabled",
            enable_done(),
        ),
        (
            "step-2-root-keys",
            "vaultlab: step 2, the root keys",
            root_keys_account_root(),
        ),
        (
            "step-3-policy",
            "vaultlab: step 3, the role's policy",
            policy_lab(),
        ),
        (
            "step-4-generate",
            "vaultlab: step 4, credentials generated",
            generate_masked(),
        ),
        (
            "step-4-inside",
            "vaultlab: step 4 with the inside view",
            generate_inside(),
        ),
        (
            "step-5-test",
            "vaultlab: step 5, the keys tested",
            test_ok(),
        ),
        (
            "step-6-revoke",
            "vaultlab: step 6, revoked and proved",
            revoke_proved(),
        ),
        ("finish", "vaultlab: the finish", finish_all_done()),
        (
            "leases",
            "vaultlab: the leases pane",
            leases_pane_capped_renewal(),
        ),
        ("help", "vaultlab: the help", help_policy()),
    ]
}

/// The app drawn as the runtime draws it (what the view measured goes back to `update`
/// first), in colour, as SVG.
fn picture(app: &mut App, title: &str) -> String {
    let (width, height) = PICTURE_SIZE;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::colored();
    let mut drawn = None;
    terminal
        .draw(|frame| drawn = Some(draw(frame, app, &theme)))
        .unwrap();
    if let Some(msg) = drawn.and_then(|d| d.feedback(app)) {
        update(app, msg);
    }
    terminal
        .draw(|frame| {
            draw(frame, app, &theme);
        })
        .unwrap();
    svg::render(terminal.backend().buffer(), title)
}

#[test]
fn every_panes_picture_in_assets_is_what_the_app_draws_now() {
    let regenerate = std::env::var_os("VAULTLAB_RENDER_ASSETS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut stale = Vec::new();
    for (name, title, mut app) in pictures() {
        let drawn = picture(&mut app, title);
        assert!(
            !drawn.contains(ISSUED_SECRET) && !drawn.contains(TOKEN),
            "{name}: a secret shows"
        );
        let path = dir.join(format!("{name}.svg"));
        if regenerate {
            std::fs::write(&path, &drawn).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(drawn.as_str()) {
            stale.push(format!("assets/{name}.svg"));
        }
    }
    assert!(
        stale.is_empty(),
        "{} changed on screen since the picture was made: {REGENERATE_SVG}",
        stale.join(", ")
    );
}

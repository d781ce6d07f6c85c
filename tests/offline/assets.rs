//! What `assets/` ships: the recording of the lab (scripts/record-walk) is asciicast v2,
//! holds no secret and walks the lab's current steps; each pane's picture is what the app
//! draws today (scripts/render-assets).

use vaultlab::lab::{DEFAULT_LAB, load_embedded};
use vaultlab::record::cast::{self, What};
use vaultlab::record::check::secret_free;

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

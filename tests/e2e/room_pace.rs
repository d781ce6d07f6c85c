//! The facilitator's pace, held by the room server, as a TUI learner meets it where the
//! TUI's own hold does not reach: revoking the lease from the leases pane (`x`) while the
//! room is held before step 6 is refused by the server, and the learner reads its words;
//! the lease stays alive; once the room is freed the same key revokes it.

use std::process::Command;

use vaultlab_testkit::Tmux;

use super::room_cli::start_room;

fn pace(state: &std::path::Path, step: &str) {
    let output = Command::new(crate::VAULTLAB)
        .args(["room", "pace", step, "--state"])
        .arg(state)
        .output()
        .expect("run vaultlab room pace");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_revocation_the_room_holds_shows_the_servers_words_in_the_tui_and_freeing_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let room = start_room(&state);
    pace(&state, "4");
    let learner = Tmux::start_sized(
        &format!(
            "{} join {} {} --name ada; echo EXITED $?; sleep 60",
            crate::VAULTLAB,
            room.url,
            room.code
        ),
        &[],
        (160, 40),
    );
    learner.wait_for_all(&["seat ada", "LIVE"]);
    for step in 1..=4 {
        learner.keys(&["n"]);
        learner.wait_for(&format!("Step {step} of 6"));
        learner.keys(&["Enter"]);
        learner.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }

    // The leases pane's x goes to the server, which holds step 6.
    learner.keys(&["l"]);
    learner.keys(&["x"]);
    let screen = learner.wait_for(
        "Not revoked: the facilitator holds the room at step 4; step 6 (revoke the lease) opens when they say so.",
    );
    assert!(!screen.contains("kept in the journal"), "{screen}");
    assert!(!screen.contains("Vault did not revoke"), "{screen}");

    // Freed: the same key revokes it.
    pace(&state, "free");
    learner.keys(&["x"]);
    // Step 6 is done, with its proof that the keys are dead.
    learner.wait_for_all(&["this run  revoked", "6 Revoke ✓"]);
}

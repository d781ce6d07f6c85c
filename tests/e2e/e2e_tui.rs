//! End to end: the built binary in tmux at 100×30, driven by keys, read off the screen.
//! Sandbox mode with a short propagation delay, so the wait for a new key shows.

use vaultlab_testkit as common;

use std::time::{Duration, Instant};

use common::{Tmux, countdown};

#[test]
fn the_whole_lab_by_keyboard_in_the_sandbox() {
    let binary = crate::VAULTLAB;
    // After vaultlab exits, show its status and the terminal mode, then wait to be read.
    let tmux = Tmux::start(&format!(
        "{binary} --propagation-delay 1500ms; echo EXITED $?; echo MODE $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'); sleep 30"
    ));

    // The whole first frame: a busy machine can be caught halfway through drawing it.
    tmux.wait_for_all(&["SANDBOX", "Overview", "no lease yet"]);

    tmux.keys(&["n"]);
    tmux.wait_for("Step 1 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_all(&["Step 1 of 6", "● done"]);
    assert!(
        screen.contains("vault secrets enable -path=aws aws"),
        "{screen}"
    );
    assert!(screen.contains("curl"), "{screen}");

    tmux.keys(&["n"]);
    tmux.wait_for("Step 2 of 6");
    let screen = tmux.screen();
    assert!(screen.contains("Prefilled from the sandbox"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_all(&["Step 2 of 6", "● done"]);
    assert!(screen.contains("STS says"), "{screen}");
    assert!(screen.contains("user/vaultlab-admin"), "{screen}");

    tmux.keys(&["n"]);
    tmux.wait_for("Step 3 of 6");
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&["Step 3 of 6", "● done"]);

    tmux.keys(&["n"]);
    tmux.wait_for("Step 4 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("access_key");
    assert!(screen.contains("lease_duration  768h"), "{screen}");
    assert!(
        screen.contains("••••••••"),
        "the secret is masked: {screen}"
    );
    // The countdown ticks on its own, about once a second, from 32 days down.
    let first = countdown(&screen);
    let deadline = Instant::now() + Duration::from_secs(10);
    let later = loop {
        let now = countdown(&tmux.screen());
        if now != first {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "the countdown is stuck at {first}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(later.starts_with("31d 23:5"), "{later}");

    tmux.keys(&["n"]);
    tmux.wait_for("Step 5 of 6");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("\"Reservations\": []");
    assert!(screen.contains("AWS accepted the keys"), "{screen}");

    tmux.keys(&["n"]);
    tmux.wait_for("Step 6 of 6");
    tmux.keys(&["Enter"]);
    // Revocation is queued: the proof may take a check or two.
    let screen = tmux.wait_for_all(&[
        "The IAM user Vault made is gone",
        "refused (AuthFailure)",
        "Step 6 of 6 · Revoke the lease  ● done",
    ]);
    assert!(screen.contains("revoked"), "{screen}");

    // No active lease: q quits at once, and the terminal is itself again.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("MODE ");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(
        screen.contains(" icanon") && screen.contains(" echo"),
        "cooked mode again: {screen}"
    );
}

#[test]
fn quitting_with_a_live_lease_asks_and_can_revoke() {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!(
        "{binary} --propagation-delay 0s; echo EXITED $?; echo MODE $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'); sleep 30"
    ));
    tmux.wait_for("SANDBOX");
    for step in 1..=3 {
        tmux.keys(&["n", "Enter"]);
        tmux.wait_for_all(&[&format!("Step {step} of 6"), "● done"]);
    }
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for("access_key");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("A lease is still active");
    assert!(screen.contains("revoke it and quit"), "{screen}");
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("MODE ");
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(
        screen.contains("MODE icanon echo"),
        "cooked mode again: {screen}"
    );
}

#[test]
fn a_dumb_terminal_is_told_so_and_pointed_to_walk() {
    let binary = crate::VAULTLAB;
    let tmux = Tmux::start(&format!(
        "TERM=dumb RUST_BACKTRACE=1 {binary}; echo EXITED $?; sleep 30"
    ));
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 1"), "{screen}");
    assert!(screen.contains("TERM=dumb"), "{screen}");
    assert!(screen.contains("vaultlab walk"), "{screen}");
    assert!(
        !screen.contains("SANDBOX"),
        "no full screen was drawn: {screen}"
    );
    let alternate = tmux.tmux(&["display", "-p", "-t", "lab", "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alternate.stdout).trim(), "0");
}

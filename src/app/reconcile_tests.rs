//! Reconciliation driven by messages alone: the rounds `update` plans on the clock, and
//! what Vault's answers to them do to the steps, the lease table and the prompts.

use std::time::Duration;

use crossterm::event::KeyCode;
use serde_json::json;

use super::effect::{Effect, Purpose, VaultCall};
use super::msg::{Msg, Outcome};
use super::reconcile::{EVERY, Reconcile};
use super::state::{App, Overlay, StepStatus};
use super::update_tests::*;
use super::{Redraw, update};
use crate::lease::Lifecycle;
use crate::lease::table::Origin;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

const ELSEWHERE: &str = "aws/creds/my-role/ELSEWHEREelsewhere012345";

/// The app as the TUI runs it: a round every couple of seconds.
fn reconciling(mut app: App) -> App {
    app.reconcile = Reconcile::every(Some(EVERY));
    app
}

/// A tick at `secs`; the round it starts, if one is due.
fn tick(app: &mut App, secs: i64) -> Vec<Effect> {
    update(app, Msg::Tick(at(secs))).0
}

/// A round at once, as a pane change starts one.
fn round_now(app: &mut App) -> Vec<Effect> {
    super::reconcile::now(app)
}

/// The calls of a round, by what they are for.
fn done_reads(effects: &[Effect]) -> Vec<&str> {
    calls_for(effects, |p| matches!(p, Purpose::Done { .. }))
}

fn lists(effects: &[Effect]) -> Vec<&str> {
    calls_for(effects, |p| matches!(p, Purpose::ListLeases { .. }))
}

fn round_lookups(effects: &[Effect]) -> Vec<String> {
    vault_calls(effects)
        .into_iter()
        .filter_map(|call| match &call.purpose {
            Purpose::Lookup {
                lease_id,
                round: Some(_),
                ..
            } => Some(lease_id.clone()),
            _ => None,
        })
        .collect()
}

fn calls_for(effects: &[Effect], which: fn(&Purpose) -> bool) -> Vec<&str> {
    vault_calls(effects)
        .into_iter()
        .filter(|call| which(&call.purpose))
        .map(|call| call.request.path.as_str())
        .collect()
}

/// Vault answers the call among `effects` that `which` picks; the answer's effects and
/// whether the screen must be drawn again.
fn answer_call(
    app: &mut App,
    effects: &[Effect],
    which: impl Fn(&VaultCall) -> bool,
    reply: Result<Reply, VaultRefusal>,
) -> (Vec<Effect>, Redraw) {
    let call = vault_calls(effects)
        .into_iter()
        .find(|call| which(call))
        .unwrap_or_else(|| panic!("no such call among {effects:?}"))
        .clone();
    update(app, Msg::Outcome(Box::new(Outcome::Vault { call, reply })))
}

fn lookup_of(id: &str) -> impl Fn(&VaultCall) -> bool + '_ {
    move |call| matches!(&call.purpose, Purpose::Lookup { lease_id, round: Some(_), .. } if lease_id == id)
}

fn done_of(step: usize) -> impl Fn(&VaultCall) -> bool {
    move |call| matches!(call.purpose, Purpose::Done { step: s, .. } if s == step)
}

fn list_call(call: &VaultCall) -> bool {
    matches!(call.purpose, Purpose::ListLeases { .. })
}

fn listed(keys: &[&str]) -> Result<Reply, VaultRefusal> {
    ok(json!({"data": {"keys": keys}}))
}

fn not_found() -> Result<Reply, VaultRefusal> {
    Err(VaultRefusal {
        message: "nothing there (404)".into(),
        hint: String::new(),
        status: Some(404),
        errors: Vec::new(),
        invalid_request: false,
    })
}

fn lease_not_found() -> Result<Reply, VaultRefusal> {
    Err(VaultRefusal {
        message: "Vault rejected PUT sys/leases/renew (400): lease not found".into(),
        hint: String::new(),
        status: Some(400),
        errors: vec!["lease not found".into()],
        invalid_request: true,
    })
}

/// The role as the CLI wrote it: Vault keeps the policy compact, on one line.
fn role_with(policy: &str) -> Result<Reply, VaultRefusal> {
    ok(json!({"data": {"credential_type": "iam_user", "policy_document": policy}}))
}

const DESCRIBE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances"],"Resource":["*"]}]}"#;

#[test]
fn a_round_reads_the_steps_lists_the_roles_leases_and_looks_up_those_vault_may_hold() {
    let mut app = reconciling(app());
    issue(&mut app, Duration::from_secs(3600));
    let effects = tick(&mut app, 2);
    assert_eq!(
        done_reads(&effects),
        ["sys/mounts", "aws/config/root", "aws/roles/my-role"],
        "what the lab's done_when read"
    );
    assert_eq!(
        lists(&effects),
        ["sys/leases/lookup/aws/creds/my-role/"],
        "the lab's own prefix"
    );
    assert_eq!(round_lookups(&effects), [LEASE]);
    let listed_call = vault_calls(&effects)
        .into_iter()
        .find(|c| list_call(c))
        .unwrap();
    assert_eq!(listed_call.request.method, "LIST");

    // One round at a time: the next waits for this one's answers, then for its pace.
    assert!(tick(&mut app, 3).is_empty());
    for call in vault_calls(&effects) {
        update(
            &mut app,
            Msg::Outcome(Box::new(Outcome::Vault {
                call: call.clone(),
                reply: not_found(),
            })),
        );
    }
    assert!(!tick(&mut app, 4).is_empty(), "answered and due: the next");
    assert!(tick(&mut app, 5).is_empty());
}

#[test]
fn a_round_never_answered_is_given_up_on_after_a_minute() {
    let mut app = reconciling(app());
    assert!(!tick(&mut app, 2).is_empty());
    assert!(tick(&mut app, 30).is_empty(), "Vault is slow: wait");
    assert!(
        !tick(&mut app, 63).is_empty(),
        "given up: the next one starts"
    );
}

#[test]
fn without_a_pace_rounds_come_only_when_asked() {
    // `vaultlab walk`: the start's round, a pane change's, never the clock's.
    let mut app = app();
    assert!(tick(&mut app, 10).is_empty());
    assert!(tick(&mut app, 100).is_empty());
    assert!(!done_reads(&press(&mut app, KeyCode::Char('n'))).is_empty());
}

#[test]
fn d_on_the_overview_reads_the_steps_again_with_the_checks() {
    let mut app = reconciling(app());
    let effects = press(&mut app, KeyCode::Char('d'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Doctor(_))));
    assert_eq!(
        done_reads(&effects),
        ["sys/mounts", "aws/config/root", "aws/roles/my-role"]
    );
    let (_, redraw) = answer_call(
        &mut app,
        &effects,
        done_of(ENABLE),
        ok(json!({"data": {"aws/": {"type": "aws"}}})),
    );
    assert_eq!(redraw, Redraw::Yes);
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
}

#[test]
fn a_lease_issued_elsewhere_is_tracked_shown_and_marks_the_issue_step_done() {
    let mut app = reconciling(journaled_app());
    let effects = round_now(&mut app);
    let (more, _) = answer_call(
        &mut app,
        &effects,
        list_call,
        listed(&["ELSEWHEREelsewhere012345"]),
    );
    assert_eq!(
        round_lookups(&more),
        [ELSEWHERE],
        "looked up in the same round"
    );
    let lease = app.leases.get(ELSEWHERE).unwrap();
    assert_eq!(lease.origin, Origin::Elsewhere);
    assert_eq!(lease.label(app.now), "checking…");

    let (effects, redraw) = answer_call(
        &mut app,
        &more,
        lookup_of(ELSEWHERE),
        lookup_answer(ELSEWHERE, 2_764_000),
    );
    assert_eq!(redraw, Redraw::Yes);
    assert!(effects.is_empty(), "never journaled: {effects:?}");
    assert_eq!(
        app.leases.get(ELSEWHERE).unwrap().label(app.now),
        "31d 23:46:40"
    );
    assert_eq!(app.steps[GENERATE].status, StepStatus::Done);
    assert_eq!(app.revocable_leases(), 1, "the leases tab counts it");
    assert_eq!(
        app.lease_that_matters().map(|l| l.lease_id.as_str()),
        Some(ELSEWHERE)
    );

    // Quitting leaves it to whoever issued it: nothing to ask.
    assert_eq!(app.maybe_alive_leases(), 0);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
}

#[test]
fn credentials_being_issued_here_are_not_taken_for_leases_issued_elsewhere() {
    let mut app = reconciling(app());
    let effects = round_now(&mut app);
    app.pane = super::state::Pane::Step(GENERATE);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.steps[GENERATE].status, StepStatus::Running);
    // Vault has issued them; the list shows them before their answer is here.
    let (more, _) = answer_call(
        &mut app,
        &effects,
        list_call,
        listed(&["abcdefghijklmnopqrstuvwx"]),
    );
    assert!(more.is_empty());
    assert!(app.leases.is_empty());
    issue(&mut app, Duration::from_secs(3600));
    assert_eq!(app.leases.get(LEASE).unwrap().origin, Origin::ThisRun);
}

#[test]
fn a_lease_revoked_elsewhere_is_over_in_the_table_the_journal_and_the_quit_prompt() {
    let mut app = reconciling(journaled_app());
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));

    let effects = round_now(&mut app);
    let (effects, redraw) = answer_call(&mut app, &effects, lookup_of(LEASE), unknown_lease());
    assert_eq!(redraw, Redraw::Yes);
    let lease = app.current_lease().unwrap();
    assert_eq!(lease.label(app.now), "revoked elsewhere");
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Gone { .. }))),
        "closed in the journal, where cleanup reads it: {effects:?}"
    );
    assert_eq!(app.overlay, None, "nothing is left to ask about");
    assert!(
        !app.should_quit(),
        "the learner pressed q, but did not see this"
    );
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("Nothing is left to revoke"),
        "{:?}",
        app.notice
    );
    assert_eq!(app.maybe_alive_leases(), 0);
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Done,
        "revoked with the CLI"
    );
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit(), "q now quits at once");
    assert_eq!(app.exit_note(), None);
}

#[test]
fn a_lease_vault_expired_reads_expired_not_revoked() {
    let mut app = reconciling(journaled_app());
    issue(&mut app, Duration::from_secs(60));
    let effects = tick(&mut app, 61);
    assert!(
        lookup_ids(&effects).is_empty(),
        "the round asks: no chain of lookups beside it"
    );
    answer_call(
        &mut app,
        &effects,
        lookup_of(LEASE),
        lookup_answer(LEASE, 0),
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    tick(&mut app, 64);
    let effects = round_now(&mut app);
    answer_call(&mut app, &effects, lookup_of(LEASE), unknown_lease());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Pending,
        "nobody revoked it"
    );
}

#[test]
fn r_on_a_lease_vault_no_longer_has_says_so_and_ends_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    let effects = press(&mut app, KeyCode::Char('r'));
    let (effects, _) = answer_call(
        &mut app,
        &effects,
        |c| matches!(c.purpose, Purpose::Renew { .. }),
        lease_not_found(),
    );
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("Vault no longer has this lease"),
        "{:?}",
        app.notice
    );
    assert!(matches!(
        app.current_lease().unwrap().state,
        Lifecycle::Gone { .. }
    ));
    assert!(app.active_lease().is_none());
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Gone { .. }))),
        "{effects:?}"
    );
}

#[test]
fn the_status_bar_lease_is_one_still_alive_before_a_newer_one_that_ended() {
    let older = "aws/creds/my-role/OLDERolderOLDERolder0000";
    let mut app = reconciling(app());
    issue_lease(&mut app, older, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    assert_eq!(
        app.lease_that_matters().unwrap().lease_id,
        LEASE,
        "the current one"
    );
    let effects = round_now(&mut app);
    answer_call(&mut app, &effects, lookup_of(LEASE), unknown_lease());
    assert_eq!(app.lease_that_matters().unwrap().lease_id, older);
    // Both over: the current one again.
    let effects = round_now(&mut app);
    answer_call(&mut app, &effects, lookup_of(older), unknown_lease());
    assert_eq!(app.lease_that_matters().unwrap().lease_id, LEASE);
}

#[test]
fn an_answer_older_than_the_learners_own_request_is_dropped() {
    let mut app = reconciling(app());
    issue(&mut app, Duration::from_secs(3600));
    let round = round_now(&mut app);
    // r, sent after the round's lookup, answered before it.
    let renewal = press(&mut app, KeyCode::Char('r'));
    answer_call(
        &mut app,
        &renewal,
        |c| matches!(c.purpose, Purpose::Renew { .. }),
        ok(json!({"lease_id": LEASE, "lease_duration": 60, "renewable": true})),
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:00");
    answer_call(
        &mut app,
        &round,
        lookup_of(LEASE),
        lookup_answer(LEASE, 3598),
    );
    assert_eq!(
        app.current_lease().unwrap().label(app.now),
        "1:00",
        "the lookup was sent before the renewal"
    );

    // The same for a step: a done check sent before Enter says nothing of what Enter did.
    let round = round_now(&mut app);
    app.pane = super::state::Pane::Step(ENABLE);
    let enable = press(&mut app, KeyCode::Enter);
    answer_call(
        &mut app,
        &enable,
        |c| matches!(c.purpose, Purpose::Step { .. }),
        no_content_ok(),
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
    answer_call(
        &mut app,
        &round,
        done_of(ENABLE),
        ok(json!({"data": {"sys/": {"type": "system"}}})),
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
}

fn no_content_ok() -> Result<Reply, VaultRefusal> {
    Ok(Reply {
        status: 204,
        envelope: None,
    })
}

#[test]
fn a_step_undone_elsewhere_shows_pending_again_and_a_failed_read_is_said_once() {
    let mut app = reconciling(app());
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(ENABLE),
        ok(json!({"data": {"aws/": {"type": "aws"}}})),
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
    // `vault secrets disable aws` in another terminal.
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(ENABLE),
        ok(json!({"data": {"sys/": {"type": "system"}}})),
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Pending);

    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(ENABLE),
        refused("cannot reach Vault"),
    );
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("cannot reach Vault")
    );
    app.notice = None;
    let (_, redraw) = answer_call(
        &mut app,
        &effects,
        done_of(ROOT_KEYS),
        refused("cannot reach Vault"),
    );
    assert_eq!(app.notice, None, "said once, not every round");
    assert_eq!(redraw, Redraw::No);
    assert_eq!(
        app.steps[ENABLE].status,
        StepStatus::Pending,
        "a failed read changes nothing"
    );
}

#[test]
fn answers_that_change_nothing_on_screen_do_not_redraw_it() {
    let mut app = reconciling(app());
    issue(&mut app, Duration::from_secs(3600));
    let effects = tick(&mut app, 2);
    for call in vault_calls(&effects) {
        let reply = match call.purpose {
            Purpose::Lookup { .. } => lookup_answer(LEASE, 3598),
            Purpose::ListLeases { .. } => listed(&["abcdefghijklmnopqrstuvwx"]),
            _ => not_found(),
        };
        let (more, redraw) = update(
            &mut app,
            Msg::Outcome(Box::new(Outcome::Vault {
                call: call.clone(),
                reply,
            })),
        );
        assert!(more.is_empty());
        assert_eq!(redraw, Redraw::No, "{:?}", call.purpose);
    }
    assert_eq!(app.current_lease().unwrap().label(app.now), "59:58");
}

#[test]
fn a_lease_renewed_elsewhere_counts_down_from_what_vault_says() {
    let mut app = reconciling(app());
    issue(&mut app, Duration::from_secs(3600));
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        lookup_of(LEASE),
        lookup_answer(LEASE, 86_400),
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "1d 00:00:00");
}

#[test]
fn earlier_leases_revoked_elsewhere_leave_the_start_up_prompt() {
    let mut app = reconciling(app());
    app.leases.track(crate::lease::table::TrackedLease::earlier(
        "aws/creds/my-role/earlier",
        "my-role",
        at(3000),
        Lifecycle::Active,
    ));
    app.overlay = Some(Overlay::EarlierLeases);
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        lookup_of("aws/creds/my-role/earlier"),
        unknown_lease(),
    );
    assert_eq!(app.overlay, None);
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("earlier runs are over")
    );
}

#[test]
fn a_sigterm_prompt_whose_leases_ended_elsewhere_stops_as_asked() {
    let mut app = reconciling(app());
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(super::msg::StopSignal::Terminate));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    let effects = round_now(&mut app);
    let (effects, _) = answer_call(&mut app, &effects, lookup_of(LEASE), unknown_lease());
    assert!(app.should_quit());
    assert!(matches!(effects.last(), Some(Effect::Quit)));
}

#[test]
fn the_editor_offers_the_policy_vault_holds_and_asks_before_replacing_edits() {
    let mut app = reconciling(app());
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(POLICY),
        role_with(DESCRIBE_ONLY),
    );
    assert_eq!(app.steps[POLICY].status, StepStatus::Done);
    assert!(
        editor(&app).held_differs(),
        "the lab's template is not Vault's policy"
    );
    go_to(&mut app, POLICY);
    let keys: Vec<String> = super::keymap::bindings(&app)
        .into_iter()
        .map(|b| b.keys)
        .collect();
    assert!(keys.contains(&"g".to_owned()), "{keys:?}");

    // An edit of the learner's: g asks first, and any other key keeps it.
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Esc);
    let edited = editor(&app).text();
    press(&mut app, KeyCode::Char('g'));
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("g again replaces your edits")
    );
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(editor(&app).text(), edited, "asked again, not replaced");
    press(&mut app, KeyCode::Char('g'));
    let text = editor(&app).text();
    assert!(
        text.contains("\"Action\": [\n        \"ec2:DescribeInstances\""),
        "{text}"
    );
    assert!(!editor(&app).held_differs());
    assert!(!editor(&app).is_edited());
    assert_eq!(
        app.notice.as_deref(),
        Some("Policy: loaded from Vault (aws/roles/my-role)")
    );
    let keys: Vec<String> = super::keymap::bindings(&app)
        .into_iter()
        .map(|b| b.keys)
        .collect();
    assert!(
        !keys.contains(&"g".to_owned()),
        "nothing else to load: {keys:?}"
    );

    // A role deleted elsewhere: nothing held, the step pending.
    let effects = round_now(&mut app);
    answer_call(&mut app, &effects, done_of(POLICY), not_found());
    assert_eq!(editor(&app).held, None);
    assert_eq!(app.steps[POLICY].status, StepStatus::Pending);
    assert!(app.steps.iter().all(|s| s.status != StepStatus::Running));
}

#[test]
fn a_token_that_may_not_list_leases_is_not_asked_again() {
    let mut app = reconciling(app());
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        list_call,
        Err(VaultRefusal {
            message: "permission denied on LIST sys/leases/lookup/aws/creds/my-role/".into(),
            hint: String::new(),
            status: Some(403),
            errors: vec!["permission denied".into()],
            invalid_request: false,
        }),
    );
    assert_eq!(app.notice, None, "the lab runs without it");
    let effects = round_now(&mut app);
    assert!(lists(&effects).is_empty());
    assert_eq!(done_reads(&effects).len(), 3, "the rest goes on");
}

#[test]
fn a_failure_the_learner_has_yet_to_read_is_not_covered_by_what_vault_already_held() {
    let mut app = reconciling(app());
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(POLICY),
        role_with(DESCRIBE_ONLY),
    );
    assert_eq!(app.steps[POLICY].status, StepStatus::Done);
    // Enter with a policy Vault refuses: the role it had is still there.
    go_to(&mut app, POLICY);
    let written = press(&mut app, KeyCode::Enter);
    answer_call(
        &mut app,
        &written,
        |c| matches!(c.purpose, Purpose::Step { .. }),
        refused("Vault rejected PUT aws/roles/my-role (400): invalid policy"),
    );
    assert!(matches!(app.steps[POLICY].status, StepStatus::Failed(_)));
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(POLICY),
        role_with(DESCRIBE_ONLY),
    );
    assert!(
        matches!(app.steps[POLICY].status, StepStatus::Failed(_)),
        "Vault holds what it held: the failure stays to be read"
    );
    // The role deleted, then written again with the CLI: that is news.
    let effects = round_now(&mut app);
    answer_call(&mut app, &effects, done_of(POLICY), not_found());
    assert!(matches!(app.steps[POLICY].status, StepStatus::Failed(_)));
    let effects = round_now(&mut app);
    answer_call(
        &mut app,
        &effects,
        done_of(POLICY),
        role_with(DESCRIBE_ONLY),
    );
    assert_eq!(app.steps[POLICY].status, StepStatus::Done);
}

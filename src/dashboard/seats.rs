//! The seats table's rows, worked out from the room's status: which seats show (the
//! filter), in which order (the sort), each step's mark, and times as the table says them.
//! Pure functions of the status and the time.

use chrono::{DateTime, TimeDelta, Utc};

use vaultlab_wire::room::SeatStatus;

/// A seat is stuck when no step has been done for this long.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    /// Fewest steps done first: who needs help.
    Progress,
    /// Longest without activity first.
    Idle,
    /// Latest error first; seats without one last.
    Error,
    /// In the order they joined.
    Joined,
}

impl SortBy {
    pub fn next(self) -> Self {
        match self {
            SortBy::Name => SortBy::Progress,
            SortBy::Progress => SortBy::Idle,
            SortBy::Idle => SortBy::Error,
            SortBy::Error => SortBy::Joined,
            SortBy::Joined => SortBy::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortBy::Name => "name",
            SortBy::Progress => "fewest steps",
            SortBy::Idle => "longest idle",
            SortBy::Error => "latest error",
            SortBy::Joined => "joined",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Not finished, and no step done for [`STUCK_AFTER`].
    Stuck,
    HasError,
}

impl Filter {
    pub fn next(self) -> Self {
        match self {
            Filter::All => Filter::Stuck,
            Filter::Stuck => Filter::HasError,
            Filter::HasError => Filter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "all seats",
            Filter::Stuck => "stuck for 3 min",
            Filter::HasError => "has an error",
        }
    }

    fn keeps(self, seat: &SeatStatus, now: DateTime<Utc>) -> bool {
        match self {
            Filter::All => true,
            Filter::Stuck => is_stuck(seat, now),
            Filter::HasError => seat.last_error.is_some(),
        }
    }
}

/// How many of the six steps are done.
pub fn steps_done(seat: &SeatStatus) -> usize {
    seat.steps.iter().filter(|s| s.done_at.is_some()).count()
}

/// The step the learner is on: the first not done (1-based); `None` when all are.
pub fn current_step(seat: &SeatStatus) -> Option<u8> {
    seat.steps
        .iter()
        .find(|s| s.done_at.is_none())
        .map(|s| s.step)
}

/// When the seat last moved on: its latest step done, else when it joined.
pub fn last_progress(seat: &SeatStatus) -> DateTime<Utc> {
    seat.steps
        .iter()
        .filter_map(|s| s.done_at)
        .max()
        .unwrap_or(seat.joined)
        .max(seat.joined)
}

pub fn is_stuck(seat: &SeatStatus, now: DateTime<Utc>) -> bool {
    current_step(seat).is_some() && now - last_progress(seat) >= STUCK_AFTER
}

/// Each step's mark: ✓ done, ▶ the current one, · not yet.
pub fn step_marks(seat: &SeatStatus) -> Vec<&'static str> {
    let current = current_step(seat);
    seat.steps
        .iter()
        .map(|s| match s.done_at {
            Some(_) => "✓",
            None if Some(s.step) == current => "▶",
            None => "·",
        })
        .collect()
}

/// The seats shown, in order.
pub fn rows(
    seats: &[SeatStatus],
    sort: SortBy,
    filter: Filter,
    now: DateTime<Utc>,
) -> Vec<&SeatStatus> {
    let mut rows: Vec<&SeatStatus> = seats.iter().filter(|s| filter.keeps(s, now)).collect();
    match sort {
        SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        SortBy::Progress => rows.sort_by(|a, b| {
            steps_done(a)
                .cmp(&steps_done(b))
                .then(last_progress(a).cmp(&last_progress(b)))
                .then(a.name.cmp(&b.name))
        }),
        SortBy::Idle => rows.sort_by(|a, b| {
            a.last_activity
                .cmp(&b.last_activity)
                .then(a.name.cmp(&b.name))
        }),
        SortBy::Error => rows.sort_by(|a, b| {
            let at = |s: &SeatStatus| s.last_error.as_ref().map(|e| e.at);
            at(b).cmp(&at(a)).then(a.name.cmp(&b.name))
        }),
        SortBy::Joined => rows.sort_by(|a, b| a.joined.cmp(&b.joined).then(a.name.cmp(&b.name))),
    }
    rows
}

/// A time since, as the table says it: `12s`, `4m05s`, `2h03m`.
pub fn ago(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// A countdown to `until`: `4:59`, `1:02:03`, `31d23h` (Vault's default 32 days),
/// `expired`.
pub fn countdown(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (until - now).num_seconds();
    if secs <= 0 {
        return "expired".to_owned();
    }
    match secs {
        0..3600 => format!("{}:{:02}", secs / 60, secs % 60),
        3600..86400 => format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60),
        _ => format!("{}d{:02}h", secs / 86400, secs % 86400 / 3600),
    }
}

/// A seat's live leases as the table shows them: the soonest countdowns first, as many as
/// `width` columns take, then `+N`.
pub fn lease_cell(seat: &SeatStatus, now: DateTime<Utc>, width: usize) -> String {
    let mut ends: Vec<DateTime<Utc>> = seat.leases.iter().map(|l| l.expires_at).collect();
    ends.sort();
    let mut cell = String::new();
    for (shown, end) in ends.iter().enumerate() {
        let next = countdown(*end, now);
        let rest = ends.len() - shown - 1;
        let more = if rest > 0 {
            format!(" +{rest}")
        } else {
            String::new()
        };
        let sep = usize::from(!cell.is_empty());
        if cell.chars().count() + sep + next.len() + more.len() > width {
            cell.push_str(&format!(
                "{}+{}",
                if cell.is_empty() { "" } else { " " },
                rest + 1
            ));
            return cell;
        }
        if sep == 1 {
            cell.push(' ');
        }
        cell.push_str(&next);
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaultlab_wire::room::{LeaseSummary, SeatError, StepProgress};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    pub fn seat(name: &str, done: usize, joined: i64) -> SeatStatus {
        SeatStatus {
            name: name.to_owned(),
            namespace: format!("room/{name}/"),
            account_id: "111122223333".to_owned(),
            joined: at(joined),
            last_activity: at(joined + 10),
            steps: (1..=6)
                .map(|step| StepProgress {
                    step,
                    done_at: (usize::from(step) <= done).then(|| at(joined + i64::from(step) * 30)),
                })
                .collect(),
            leases: Vec::new(),
            last_error: None,
        }
    }

    #[test]
    fn the_current_step_is_the_first_not_done_and_marked_so() {
        let s = seat("ada", 3, 0);
        assert_eq!(current_step(&s), Some(4));
        assert_eq!(step_marks(&s), ["✓", "✓", "✓", "▶", "·", "·"]);
        assert_eq!(current_step(&seat("bo", 6, 0)), None);
    }

    #[test]
    fn a_seat_is_stuck_after_three_minutes_without_a_step_and_never_when_done() {
        let s = seat("ada", 2, 0); // step 2 done at 60 s
        assert!(!is_stuck(&s, at(60 + 179)));
        assert!(is_stuck(&s, at(60 + 180)));
        assert!(!is_stuck(&seat("bo", 6, 0), at(10_000)));
    }

    #[test]
    fn filters_keep_the_stuck_or_the_failing_and_sorts_order_them() {
        let mut erring = seat("cy", 5, 0);
        erring.last_error = Some(SeatError {
            at: at(100),
            what: "ec2:DescribeInstances".into(),
            status: 401,
            message: "AuthFailure".into(),
        });
        let seats = vec![seat("bo", 1, 0), erring, seat("ada", 6, 5)];
        let names =
            |rows: Vec<&SeatStatus>| rows.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        let now = at(1000);
        assert_eq!(
            names(rows(&seats, SortBy::Name, Filter::All, now)),
            ["ada", "bo", "cy"]
        );
        assert_eq!(
            names(rows(&seats, SortBy::Progress, Filter::All, now)),
            ["bo", "cy", "ada"]
        );
        assert_eq!(
            names(rows(&seats, SortBy::Error, Filter::All, now)),
            ["cy", "ada", "bo"]
        );
        assert_eq!(
            names(rows(&seats, SortBy::Name, Filter::Stuck, now)),
            ["bo", "cy"]
        );
        assert_eq!(
            names(rows(&seats, SortBy::Name, Filter::HasError, now)),
            ["cy"]
        );
    }

    #[test]
    fn times_and_countdowns_read_short() {
        assert_eq!(ago(at(0), at(12)), "12s");
        assert_eq!(ago(at(0), at(245)), "4m05s");
        assert_eq!(ago(at(0), at(7380)), "2h03m");
        assert_eq!(countdown(at(299), at(0)), "4:59");
        assert_eq!(countdown(at(3723), at(0)), "1:02:03");
        assert_eq!(countdown(at(32 * 86400 - 3), at(0)), "31d23h");
        assert_eq!(countdown(at(0), at(1)), "expired");
    }

    #[test]
    fn lease_countdowns_show_the_soonest_and_count_the_rest() {
        let mut s = seat("ada", 4, 0);
        for ends in [300, 60, 120] {
            s.leases.push(LeaseSummary {
                lease_id: format!("aws/creds/my-role/{ends}"),
                expires_at: at(ends),
            });
        }
        assert_eq!(lease_cell(&s, at(0), 30), "1:00 2:00 5:00");
        assert_eq!(lease_cell(&s, at(0), 12), "1:00 2:00 +1");
        assert_eq!(lease_cell(&s, at(0), 7), "1:00 +2");
        assert_eq!(lease_cell(&s, at(0), 3), "+3");
        assert_eq!(lease_cell(&seat("bo", 0, 0), at(0), 10), "");
    }
}

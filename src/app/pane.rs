//! The panes, left to right: the overview, one per step, the finish, the leases.

/// Which pane has focus. `Step(i)` is the lab's step `i`, counting from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Overview,
    Step(usize),
    Finish,
    /// Last, and one key (`l`) away from every pane.
    Leases,
}

impl Pane {
    /// Every pane of a lab of `steps` steps, left to right.
    pub fn all(steps: usize) -> impl Iterator<Item = Pane> {
        std::iter::once(Pane::Overview)
            .chain((0..steps).map(Pane::Step))
            .chain([Pane::Finish, Pane::Leases])
    }

    /// Where the pane is in the row of tabs.
    pub fn position(self, steps: usize) -> usize {
        match self {
            Pane::Overview => 0,
            Pane::Step(i) => 1 + i.min(steps),
            Pane::Finish => steps + 1,
            Pane::Leases => steps + 2,
        }
    }

    fn at(position: usize, steps: usize) -> Pane {
        Pane::all(steps).nth(position).unwrap_or(Pane::Leases)
    }

    /// The pane to the right; the last stays where it is.
    pub fn next(self, steps: usize) -> Pane {
        Pane::at(self.position(steps) + 1, steps)
    }

    /// The pane to the left; the first stays where it is.
    pub fn prev(self, steps: usize) -> Pane {
        Pane::at(self.position(steps).saturating_sub(1), steps)
    }

    /// The step this pane shows, if it shows one.
    pub fn step(self) -> Option<usize> {
        match self {
            Pane::Step(i) => Some(i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_run_from_the_overview_through_the_steps_to_the_leases() {
        let all: Vec<Pane> = Pane::all(2).collect();
        assert_eq!(
            all,
            [
                Pane::Overview,
                Pane::Step(0),
                Pane::Step(1),
                Pane::Finish,
                Pane::Leases
            ]
        );
        assert_eq!(Pane::Overview.prev(2), Pane::Overview);
        assert_eq!(Pane::Step(1).next(2), Pane::Finish);
        assert_eq!(Pane::Leases.next(2), Pane::Leases);
        assert_eq!(Pane::Finish.prev(2), Pane::Step(1));
        for (position, pane) in Pane::all(2).enumerate() {
            assert_eq!(pane.position(2), position);
        }
    }
}

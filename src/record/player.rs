//! Playing a recording back, as a state with no I/O: which event comes next and how long
//! to wait for it, and what a key does. `cmd::replay` runs it against the terminal.

use std::time::Duration;

use super::cast::{Event, Recording, What};

/// What a key asks of the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Space: pause, or go on.
    Pause,
    /// `n` or →: the next frame now, and stay paused.
    Step,
    Quit,
}

#[derive(Debug)]
pub struct Player {
    events: Vec<Event>,
    next: usize,
    pub paused: bool,
    speed: f64,
    /// The longest wait between two frames, at the recorded speed.
    idle_limit: f64,
}

/// What to do now.
#[derive(Debug, Clone, PartialEq)]
pub enum Next<'a> {
    /// Wait this long (or for a key), then show `output`.
    After(Duration, &'a str),
    /// Paused: wait for a key.
    Paused,
    /// Everything was shown.
    End,
}

impl Player {
    pub fn new(recording: Recording, speed: f64, idle_limit: f64) -> Player {
        // Only what the terminal was sent is played: a resize cannot be replayed here.
        let events = recording
            .events
            .into_iter()
            .filter(|e| matches!(e.what, What::Output(_)))
            .collect();
        Player {
            events,
            next: 0,
            paused: false,
            speed,
            idle_limit,
        }
    }

    pub fn next(&self) -> Next<'_> {
        let Some(event) = self.events.get(self.next) else {
            return Next::End;
        };
        if self.paused {
            return Next::Paused;
        }
        let before = match self.next {
            0 => 0.0,
            n => self.events[n - 1].time,
        };
        let gap = (event.time - before).clamp(0.0, self.idle_limit) / self.speed;
        Next::After(Duration::from_secs_f64(gap), output(event))
    }

    /// The event `next` named was shown.
    pub fn shown(&mut self) {
        self.next += 1;
    }

    /// A key: returns the output to show at once, if any.
    pub fn control(&mut self, control: Control) -> Option<&str> {
        match control {
            Control::Pause => {
                self.paused = !self.paused;
                None
            }
            Control::Step => {
                self.paused = true;
                let event = self.events.get(self.next)?;
                self.next += 1;
                Some(output(event))
            }
            Control::Quit => None,
        }
    }

    /// What the terminal was sent so far, in order: the screen as it is now.
    pub fn shown_so_far(&self) -> impl Iterator<Item = &str> {
        self.events[..self.next].iter().map(output)
    }

    /// How far it has got: frames shown, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.events.len())
    }
}

fn output(event: &Event) -> &str {
    match &event.what {
        What::Output(text) => text,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::cast::{Header, Recording};

    fn recording(times: &[f64]) -> Recording {
        let mut events: Vec<Event> = times
            .iter()
            .enumerate()
            .map(|(n, time)| Event {
                time: *time,
                what: What::Output(format!("frame {n}")),
            })
            .collect();
        events.insert(
            1,
            Event {
                time: times[0],
                what: What::Resize {
                    width: 100,
                    height: 30,
                },
            },
        );
        Recording {
            header: Header {
                version: 2,
                width: 80,
                height: 24,
                timestamp: None,
                title: None,
            },
            events,
        }
    }

    fn wait(player: &Player) -> (u128, String) {
        match player.next() {
            Next::After(wait, text) => (wait.as_millis(), text.to_owned()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn frames_come_at_their_recorded_pace_scaled_by_the_speed_and_long_idles_cut() {
        let mut player = Player::new(recording(&[0.5, 1.5, 31.5]), 2.0, 2.0);
        assert_eq!(wait(&player), (250, "frame 0".into()));
        player.shown();
        assert_eq!(wait(&player), (500, "frame 1".into()));
        player.shown();
        // 30 s of a presenter talking: 2 s at most, at twice the speed.
        assert_eq!(wait(&player), (1000, "frame 2".into()));
        player.shown();
        assert_eq!(player.next(), Next::End);
    }

    #[test]
    fn space_pauses_and_n_shows_one_frame_at_a_time() {
        let mut player = Player::new(recording(&[0.0, 1.0, 2.0]), 1.0, 2.0);
        player.shown();
        assert_eq!(player.control(Control::Pause), None);
        assert_eq!(player.next(), Next::Paused);
        assert_eq!(player.control(Control::Step), Some("frame 1"));
        assert_eq!(player.next(), Next::Paused);
        assert_eq!(player.control(Control::Step), Some("frame 2"));
        assert_eq!(player.control(Control::Step), None);
        assert_eq!(player.next(), Next::End);
        assert_eq!(player.progress(), (3, 3));
        let shown: Vec<&str> = player.shown_so_far().collect();
        assert_eq!(shown, ["frame 0", "frame 1", "frame 2"]);
    }
}

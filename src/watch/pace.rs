//! How often the watch reads, and how much.
//!
//! A verdict should come within a second or two of ECS's, and a long wait for many services
//! should not spend AWS's API budget (every deploy in the account shares it):
//! - for up to ten services (a poll is one `DescribeServices` and one
//!   `DescribeServiceDeployments`), a poll every second while something changes and every two
//!   seconds when nothing does ([`QUIET_AFTER`] polls without a change);
//! - for more (a poll of 50 services is five and three calls), two polls a second apart right
//!   after the updates (fast rollouts end there), then polls spaced so that no minute holds more
//!   than [`BUDGET`] reads, and never more than [`BUDGET`] in any 60 s of the wait, whatever else
//!   it reads (stopped tasks, a service deployment's look-up): the call log says.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// AWS reads a wait for many services makes in any 60 s, at most.
pub const BUDGET: usize = 60;

/// Polls without a change after which a small wait polls every two seconds.
pub const QUIET_AFTER: u32 = 5;

const WINDOW: Duration = Duration::from_mins(1);

/// The watch's reads so far, for its pace.
#[derive(Debug, Default)]
pub struct Pace {
    /// When each AWS read was made, for the last minute.
    calls: VecDeque<Instant>,
    /// Polls made.
    polls: u32,
}

impl Pace {
    /// Notes `n` AWS reads made now.
    pub fn called(&mut self, n: usize) {
        let now = Instant::now();
        self.calls.extend(std::iter::repeat_n(now, n));
    }

    /// Notes a poll made.
    pub fn polled(&mut self) {
        self.polls += 1;
    }

    /// When to make the next poll, which costs `cost` reads, when the last `unchanged` polls saw
    /// no change and the last one began at `last`. Polls are spaced from start to start, so a
    /// slow answer does not delay the next look (ECS far away still gets a poll a second).
    pub fn next(&mut self, unchanged: u32, cost: usize, last: Instant) -> Instant {
        let now = Instant::now();
        while self
            .calls
            .front()
            .is_some_and(|at| now.duration_since(*at) >= WINDOW)
        {
            self.calls.pop_front();
        }
        if cost <= 2 {
            return (last + small(unchanged)).max(now);
        }
        let base = if self.polls < 2 {
            Duration::from_secs(1)
        } else {
            spaced(cost)
        };
        (last + base).max(now + self.room_for(cost, now))
    }

    /// How long until the last minute's reads leave room for `cost` more.
    fn room_for(&self, cost: usize, now: Instant) -> Duration {
        let over = (self.calls.len() + cost).saturating_sub(BUDGET);
        match over.checked_sub(1) {
            None => Duration::ZERO,
            Some(i) => self
                .calls
                .get(i)
                .map_or(WINDOW, |at| (*at + WINDOW).saturating_duration_since(now)),
        }
    }
}

/// A wait for up to ten services: every second while things change, every two when they do not.
pub fn small(unchanged: u32) -> Duration {
    if unchanged < QUIET_AFTER {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

/// After its first two polls, a wait whose polls cost `cost` reads polls this often: so that two
/// quick polls and then polls at this spacing never hold more than [`BUDGET`] reads in a
/// minute (at most `BUDGET / cost` polls in any minute), between 2 and 30 s.
pub fn spaced(cost: usize) -> Duration {
    let per_minute = BUDGET / cost.max(1);
    let seconds = if per_minute > 2 {
        58.0 / f64::from(u32::try_from(per_minute - 2).unwrap_or(u32::MAX))
    } else {
        f64::from(u32::try_from(cost).unwrap_or(u32::MAX))
    };
    Duration::from_secs_f64(seconds.clamp(2.0, 30.0))
}

/// While a service is short of tasks and nothing says tasks stopped, its stopped tasks are still
/// read about this often: every 10 s for up to two such services, else every 5 s per such service
/// (and one service a poll at most), so these reads add about one every 5 s however many
/// services wait.
pub fn safety_net(short_of_tasks: usize) -> Duration {
    let each = u64::try_from(short_of_tasks)
        .unwrap_or(u64::MAX)
        .saturating_mul(5);
    Duration::from_secs(each.max(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_waits_poll_every_second_and_every_two_when_quiet() {
        assert_eq!(small(0), Duration::from_secs(1));
        assert_eq!(small(QUIET_AFTER - 1), Duration::from_secs(1));
        assert_eq!(small(QUIET_AFTER), Duration::from_secs(2));
    }

    #[test]
    fn large_waits_are_spaced_to_stay_within_the_budget() {
        // 50 services: five DescribeServices and three DescribeServiceDeployments a poll.
        let every = spaced(8);
        let spaced_polls = (1..=60u32)
            .take_while(|n| every * *n <= Duration::from_secs(58))
            .count();
        assert!((2 + spaced_polls) * 8 <= BUDGET, "{every:?}");
        assert!(every < Duration::from_secs(12), "{every:?}");
        // Twenty services: two and one.
        assert!(spaced(3) <= Duration::from_secs(4), "{:?}", spaced(3));
        assert_eq!(
            spaced(40),
            Duration::from_secs(30),
            "never beyond thirty seconds"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_call_log_keeps_any_minute_within_the_budget() {
        let mut pace = Pace::default();
        pace.called(56);
        tokio::time::sleep(Duration::from_secs(10)).await;
        pace.called(2);
        // 58 in the last minute: 8 more must wait for the first 6 to leave it, 50 s from now.
        assert_eq!(pace.room_for(8, Instant::now()), Duration::from_secs(50));
        assert_eq!(pace.room_for(2, Instant::now()), Duration::ZERO);
    }

    #[test]
    fn the_safety_net_grows_with_the_services_short_of_tasks() {
        assert_eq!(safety_net(1), Duration::from_secs(10));
        assert_eq!(safety_net(50), Duration::from_secs(250));
    }
}

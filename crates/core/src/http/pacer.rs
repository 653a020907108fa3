//! The pacer: requests evenly spaced at `rate_limit_per_sec`, never more
//! than the rate within a second, and slower after a 429.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

/// Spaces requests evenly: each caller takes the next free slot, one
/// `period` after the previous one (a GCRA without burst), so slots are
/// handed out in call order.
///
/// Servers count requests in a sliding second (or a small bucket), and a
/// request that leaves late (a busy thread, a timer firing late) brings the
/// next ones closer to it. So the pacer also keeps the instants requests
/// actually left at, and holds a request back until at most
/// `ceil(rate)` of them fall within [`PACER_WINDOW`] (a second and a little
/// margin for network jitter).
///
/// Unlike a fixed quota, the pacer can slow down: after a 429 every caller
/// waits until the pause is over (callers already holding a slot inside the
/// pause take a new one), and the spacing widens.
#[derive(Debug)]
pub(super) struct Pacer {
    state: Mutex<PacerState>,
}

/// The sliding window the pacer checks actual departures against.
pub(super) const PACER_WINDOW: Duration = Duration::from_millis(1010);

#[derive(Debug)]
struct PacerState {
    next: Instant,
    paused_until: Instant,
    period: Duration,
    base: Duration,
    /// When the last `per_window` requests left.
    sent: VecDeque<Instant>,
    per_window: usize,
}

impl PacerState {
    fn reserve(&mut self) -> Instant {
        let at = self.next.max(Instant::now()).max(self.paused_until);
        self.next = at + self.period;
        at
    }
}

impl Pacer {
    /// A pacer letting one request leave every `period`.
    pub(super) fn new(period: Duration) -> Self {
        let now = Instant::now();
        let per_window = (Duration::from_secs(1).as_secs_f64() / period.as_secs_f64().max(1e-9))
            .ceil()
            .clamp(1.0, 1e6) as usize;
        Pacer {
            state: Mutex::new(PacerState {
                next: now,
                paused_until: now,
                period,
                base: period,
                sent: VecDeque::with_capacity(per_window + 1),
                per_window,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this caller's slot.
    pub(super) async fn until_ready(&self) {
        let mut at = self.lock().reserve();
        loop {
            tokio::time::sleep_until(at).await;
            let mut s = self.lock();
            let now = Instant::now();
            if now < s.paused_until {
                // A 429 came in while this caller waited.
                at = s.reserve();
                continue;
            }
            if s.sent.len() >= s.per_window {
                let free = s.sent[s.sent.len() - s.per_window] + PACER_WINDOW;
                if now < free {
                    at = free;
                    continue;
                }
            }
            s.sent.push_back(now);
            while s.sent.len() > s.per_window {
                s.sent.pop_front();
            }
            return;
        }
    }

    /// A 429: nobody sends for `pause`, and the spacing widens by an eighth,
    /// up to twice the configured one.
    pub(super) fn back_off(&self, pause: Duration) {
        let mut s = self.lock();
        let until = Instant::now() + pause;
        s.paused_until = s.paused_until.max(until);
        s.next = s.next.max(until);
        s.period = (s.period + s.period / 8).min(s.base * 2);
        debug!(
            pause_ms = pause.as_millis() as u64,
            period_ms = s.period.as_millis() as u64,
            "Slowing down after a 429."
        );
    }

    #[cfg(test)]
    pub(super) fn period(&self) -> Duration {
        self.lock().period
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant as StdInstant;

    #[tokio::test]
    async fn a_429_pauses_every_caller_and_widens_the_spacing() {
        let pacer = Pacer::new(Duration::from_millis(10));
        pacer.until_ready().await;
        pacer.back_off(Duration::from_millis(300));
        assert_eq!(pacer.period(), Duration::from_micros(11_250));
        let start = StdInstant::now();
        pacer.until_ready().await;
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "{:?}",
            start.elapsed()
        );
        for _ in 0..20 {
            pacer.back_off(Duration::ZERO);
        }
        assert_eq!(
            pacer.period(),
            Duration::from_millis(20),
            "at most twice as slow"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_never_lets_more_than_the_rate_into_one_second() {
        // 20 per second, evenly: the 21st request would leave exactly one
        // second after the first; it waits for the window's margin.
        let pacer = Pacer::new(Duration::from_millis(50));
        let start = Instant::now();
        for _ in 0..20 {
            pacer.until_ready().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(950));
        pacer.until_ready().await;
        assert_eq!(start.elapsed(), PACER_WINDOW);
        // 2.5 per second: the window allows 3, the spacing rules.
        let pacer = Pacer::new(Duration::from_millis(400));
        let start = Instant::now();
        for _ in 0..4 {
            pacer.until_ready().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(1200));
    }
}

//! The node's clock as a part: wall time for the hybrid logical clock and
//! today's date in China Standard Time for deadlines. Servers use the system
//! clock; tests and the simulator use a [`TestClock`] they move by hand.
//! Record ids are UUIDv7 (time and randomness), so the clock makes them too:
//! a simulated clock makes them from its seed and a run replays alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wuji_model::Date;

/// Where a node reads the time.
pub trait Clock: Send + Sync + 'static {
    /// Wall-clock UTC milliseconds (the HLC's physical part).
    fn now_ms(&self) -> u64;

    /// Today's date in China Standard Time (UTC+8).
    fn today(&self) -> Date {
        cst_date(self.now_ms())
    }

    /// A new time-ordered record id (UUIDv7) made now.
    fn new_uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to; clones share the time.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    /// A clock standing at `ms` UTC milliseconds.
    pub fn at(ms: u64) -> TestClock {
        TestClock(Arc::new(AtomicU64::new(ms)))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms`.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The date in China Standard Time at UTC milliseconds `ms`.
pub fn cst_date(ms: u64) -> Date {
    let days = ((ms / 1000) as i64 + 8 * 3600).div_euclid(86_400);
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(Date::constant(2026, 1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cst_date_turns_at_sixteen_utc_and_a_test_clock_moves_only_when_told() {
        // 2026-12-03T15:59:59Z is still 3 December in Beijing... until 16:00Z.
        let c = TestClock::at(1_796_313_599_000);
        assert_eq!(c.today(), Date::constant(2026, 12, 3));
        c.advance(1_000);
        assert_eq!(c.today(), Date::constant(2026, 12, 4));
        assert_eq!(c.now_ms(), 1_796_313_600_000);
    }
}

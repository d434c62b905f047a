//! The simulated clock: one virtual time for the whole run (tokio's paused
//! clock, which jumps to the next timer when every task waits), read by each
//! node with its own skew; record ids made from the seed.

use crate::rng::Rng;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::time::Instant;
use wuji_node::clock::Clock;

/// The run's time: wall milliseconds at its start, and the virtual instant it started.
#[derive(Debug, Clone, Copy)]
pub struct SimTime {
    /// UTC ms when the run starts.
    pub base_ms: u64,
    /// The tokio instant of the start.
    pub start: Instant,
}

impl SimTime {
    /// Milliseconds simulated so far.
    pub fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

/// One node's clock: the run's time plus a skew that faults change.
#[derive(Debug)]
pub struct SimClock {
    time: SimTime,
    skew_ms: AtomicI64,
    ids: Mutex<Rng>,
}

impl SimClock {
    /// A clock on `time`, off by `skew_ms`, making ids from `ids`.
    pub fn new(time: SimTime, skew_ms: i64, ids: Rng) -> SimClock {
        SimClock {
            time,
            skew_ms: AtomicI64::new(skew_ms),
            ids: Mutex::new(ids),
        }
    }

    /// Sets the skew (an operator fixing the clock sets it to 0).
    pub fn set_skew(&self, ms: i64) {
        self.skew_ms.store(ms, Ordering::Relaxed);
    }

    /// The skew now.
    pub fn skew(&self) -> i64 {
        self.skew_ms.load(Ordering::Relaxed)
    }
}

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        let t = self.time.base_ms + self.time.elapsed_ms();
        t.saturating_add_signed(self.skew())
    }

    fn new_uuid(&self) -> uuid::Uuid {
        let bytes = self.ids.lock().unwrap_or_else(|e| e.into_inner()).bytes10();
        uuid::Builder::from_unix_timestamp_millis(self.now_ms(), &bytes).into_uuid()
    }
}

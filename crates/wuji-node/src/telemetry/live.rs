//! The metrics counted as things happen (API calls, group commits) rather
//! than read off the node's state at a scrape: prometheus-client families and
//! histograms, and when each recent log entry was committed (for the lag of
//! a link in seconds).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Labels of one API call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallLabels {
    /// The gRPC path, `/wuji.v1.Suggestions/Raise`.
    pub method: String,
    /// The gRPC status code's name (`Ok`, `InvalidArgument`, ...).
    pub code: String,
}

/// Labels of an API call's latency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct MethodLabels {
    /// The gRPC path.
    pub method: String,
}

fn call_seconds() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 16,
    ))
}

/// The live metrics of one node (clones share them).
#[derive(Debug, Clone)]
pub struct Live {
    calls: Family<CallLabels, Counter>,
    call_seconds: Family<MethodLabels, Histogram, fn() -> Histogram>,
    batch_writes: Histogram,
    flush_seconds: Histogram,
}

impl Default for Live {
    fn default() -> Self {
        use prometheus_client::metrics::histogram::exponential_buckets;
        Live {
            calls: Family::default(),
            call_seconds: Family::new_with_constructor(call_seconds),
            // 1 to 4,096 writes.
            batch_writes: Histogram::new(exponential_buckets(1.0, 2.0, 13)),
            // 0.1 ms to ~3 s.
            flush_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
        }
    }
}

impl Live {
    /// One API call on `method` ended with `code` after `elapsed`.
    pub fn call(&self, method: &str, code: tonic::Code, elapsed: Duration) {
        self.calls
            .get_or_create(&CallLabels {
                method: method.to_string(),
                code: format!("{code:?}"),
            })
            .inc();
        self.call_seconds
            .get_or_create(&MethodLabels {
                method: method.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// One group commit of `writes` requests whose apply and flush took `flush`.
    pub fn commit(&self, writes: usize, flush: Duration) {
        self.batch_writes.observe(writes as f64);
        self.flush_seconds.observe(flush.as_secs_f64());
    }

    /// Registers every live metric in `registry` (they stay shared).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "wuji_api_calls",
            "API calls answered, by gRPC method and status code",
            self.calls.clone(),
        );
        registry.register(
            "wuji_api_call_duration_seconds",
            "time to answer an API call (until the response headers), by method",
            self.call_seconds.clone(),
        );
        registry.register(
            "wuji_commit_batch_writes",
            "write requests applied together in one group commit",
            self.batch_writes.clone(),
        );
        registry.register(
            "wuji_commit_flush_duration_seconds",
            "time to apply and flush one group commit to the store",
            self.flush_seconds.clone(),
        );
    }
}

/// Most spans [`CommitTimes`] keeps; past it, every other one is dropped, so
/// old times get coarser but the reach back doubles.
const MOST_SPANS: usize = 512;

/// When recent log entries were committed, coarsened: a run of entries
/// committed within a second shares one time (the first's).
#[derive(Debug, Default)]
pub struct CommitTimes {
    /// (first log sequence of the span, when it was committed), ascending.
    spans: VecDeque<(u64, Instant)>,
}

impl CommitTimes {
    /// Entries from `first` on were committed at `at`.
    pub fn committed(&mut self, first: u64, at: Instant) {
        if let Some(&(_, t)) = self.spans.back()
            && at.saturating_duration_since(t) < Duration::from_secs(1)
        {
            return;
        }
        self.spans.push_back((first, at));
        if self.spans.len() > MOST_SPANS {
            let kept: VecDeque<_> = self.spans.iter().copied().step_by(2).collect();
            self.spans = kept;
        }
    }

    /// How long ago the first entry after `settled` was committed, if any
    /// entry up to `last` is after it: a peer's lag in time. Never less than
    /// the truth; more by at most the span the entry falls in.
    pub fn age_after(&self, settled: u64, last: u64, now: Instant) -> Duration {
        if settled >= last {
            return Duration::ZERO;
        }
        let wanted = settled + 1;
        // The span holding `wanted`: the last starting at or before it, or
        // the oldest kept if it is older than all of them.
        let at = self
            .spans
            .iter()
            .rev()
            .find(|(first, _)| *first <= wanted)
            .or(self.spans.front())
            .map(|&(_, t)| t);
        at.map(|t| now.saturating_duration_since(t))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lag_in_time_is_the_age_of_the_first_entry_not_settled() {
        let t0 = Instant::now();
        let mut times = CommitTimes::default();
        times.committed(1, t0);
        times.committed(5, t0 + Duration::from_millis(300)); // same second: kept with 1
        times.committed(9, t0 + Duration::from_secs(10));
        times.committed(20, t0 + Duration::from_secs(70));
        let now = t0 + Duration::from_secs(100);
        assert_eq!(times.age_after(25, 25, now), Duration::ZERO);
        assert_eq!(times.age_after(19, 25, now), Duration::from_secs(30));
        assert_eq!(times.age_after(12, 25, now), Duration::from_secs(90));
        assert_eq!(times.age_after(3, 25, now), Duration::from_secs(100));
        assert_eq!(times.age_after(0, 25, now), Duration::from_secs(100));
    }

    #[test]
    fn the_times_kept_are_bounded_and_still_reach_back_to_the_first() {
        let t0 = Instant::now();
        let mut times = CommitTimes::default();
        for i in 0..5_000u64 {
            times.committed(i * 10 + 1, t0 + Duration::from_secs(i * 2));
        }
        assert!(times.spans.len() <= MOST_SPANS);
        let now = t0 + Duration::from_secs(10_000);
        assert_eq!(times.age_after(0, 50_000, now), Duration::from_secs(10_000));
        // A recent entry's age is close to exact.
        let recent = times.age_after(49_980, 50_000, now);
        assert!(recent <= Duration::from_secs(20), "{recent:?}");
    }
}

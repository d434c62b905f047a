//! Hybrid logical clock: 48-bit UTC milliseconds and a 16-bit counter in one `u64`.

use std::fmt;

/// Why a clock reading was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A remote clock is further ahead of ours than the configured limit.
    #[error(
        "remote clock {remote_ms} ms is {ahead_ms} ms ahead of local time {local_ms} ms \
         (limit {limit_ms} ms): check the sender's system clock"
    )]
    TooFarAhead {
        /// The remote physical time (UTC ms).
        remote_ms: u64,
        /// Our wall clock (UTC ms).
        local_ms: u64,
        /// How far ahead it is.
        ahead_ms: u64,
        /// The configured limit.
        limit_ms: u64,
    },
    /// The physical part does not fit in 48 bits (after the year 10889).
    #[error("physical time {0} ms does not fit the 48-bit clock")]
    OutOfRange(u64),
}

const COUNTER_BITS: u32 = 16;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;
const MAX_PHYSICAL: u64 = (1 << 48) - 1;

/// A hybrid logical clock reading: `physical_ms << 16 | counter`.
///
/// Ordered by physical time, then counter. Readings from different writers can be
/// equal; a [`Stamp`] adds the writer to make every write's position unique.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc(pub u64);

impl Hlc {
    /// The reading for `physical_ms` and `counter`.
    pub fn new(physical_ms: u64, counter: u16) -> Result<Hlc, Error> {
        if physical_ms > MAX_PHYSICAL {
            return Err(Error::OutOfRange(physical_ms));
        }
        Ok(Hlc(physical_ms << COUNTER_BITS | u64::from(counter)))
    }

    /// UTC milliseconds since the Unix epoch.
    pub fn physical_ms(self) -> u64 {
        self.0 >> COUNTER_BITS
    }

    /// The logical counter within one millisecond.
    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MASK) as u16
    }
}

impl fmt::Debug for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hlc({}+{})", self.physical_ms(), self.counter())
    }
}

/// Who wrote a value: a node's division code and a replica number of that node.
///
/// Packed as `code << 16 | replica`, so ordering follows the code.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriterId(pub u64);

impl WriterId {
    /// The writer for replica `replica` of the node with numeric code `code`.
    pub fn new(code: u32, replica: u16) -> WriterId {
        WriterId(u64::from(code) << 16 | u64::from(replica))
    }

    /// The node's numeric division code.
    pub fn code(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// The replica of that node.
    pub fn replica(self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

impl fmt::Debug for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Writer({}/{})", self.code(), self.replica())
    }
}

/// The unique position of one write: its clock reading, ties broken by writer id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// When.
    pub hlc: Hlc,
    /// Who.
    pub writer: WriterId,
}

impl Stamp {
    /// A stamp from its parts.
    pub fn new(hlc: Hlc, writer: WriterId) -> Stamp {
        Stamp { hlc, writer }
    }

    /// True for the zero stamp of a value never written.
    pub fn is_zero(self) -> bool {
        self == Stamp::default()
    }
}

/// The clock of one writer. Wall time is passed in, so the clock is pure and testable.
#[derive(Debug, Clone)]
pub struct HlcClock {
    last: Hlc,
    max_ahead_ms: u64,
}

impl HlcClock {
    /// A clock that refuses remote readings more than `max_ahead_ms` ahead of wall time.
    pub fn new(max_ahead_ms: u64) -> HlcClock {
        HlcClock {
            last: Hlc::default(),
            max_ahead_ms,
        }
    }

    /// Restores a clock that had reached `last` (e.g. read from the store after a restart).
    pub fn resume(last: Hlc, max_ahead_ms: u64) -> HlcClock {
        HlcClock { last, max_ahead_ms }
    }

    /// The last reading given out or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A new reading, strictly greater than every earlier one.
    pub fn tick(&mut self, wall_ms: u64) -> Result<Hlc, Error> {
        let wall = wall_ms.min(MAX_PHYSICAL);
        let next = if wall > self.last.physical_ms() {
            Hlc::new(wall, 0)?
        } else {
            self.successor()?
        };
        self.last = next;
        Ok(next)
    }

    /// Refuses a remote reading more than the limit ahead of `wall_ms`.
    pub fn check_ahead(&self, remote: Hlc, wall_ms: u64) -> Result<(), Error> {
        let r = remote.physical_ms();
        if r > wall_ms.saturating_add(self.max_ahead_ms) {
            return Err(Error::TooFarAhead {
                remote_ms: r,
                local_ms: wall_ms,
                ahead_ms: r - wall_ms,
                limit_ms: self.max_ahead_ms,
            });
        }
        Ok(())
    }

    /// Takes in a remote reading so that later ticks follow it; refuses readings too
    /// far ahead of `wall_ms`, leaving the clock unchanged.
    pub fn observe(&mut self, remote: Hlc, wall_ms: u64) -> Result<Hlc, Error> {
        self.check_ahead(remote, wall_ms)?;
        if remote > self.last {
            self.last = remote;
        }
        self.tick(wall_ms)
    }

    fn successor(&self) -> Result<Hlc, Error> {
        let last = self.last;
        if last.counter() == u16::MAX {
            Hlc::new(last.physical_ms() + 1, 0)
        } else {
            Ok(Hlc(last.0 + 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_monotonic_even_when_wall_time_goes_back() {
        let mut c = HlcClock::new(60_000);
        let a = c.tick(1_000).unwrap();
        let b = c.tick(900).unwrap();
        let d = c.tick(1_000).unwrap();
        assert!(a < b && b < d);
        assert_eq!(b.physical_ms(), 1_000);
        assert_eq!(b.counter(), 1);
        assert_eq!(c.tick(2_000).unwrap(), Hlc::new(2_000, 0).unwrap());
    }

    #[test]
    fn counter_overflow_moves_to_the_next_millisecond() {
        let mut c = HlcClock::resume(Hlc::new(5, u16::MAX).unwrap(), 0);
        assert_eq!(c.tick(5).unwrap(), Hlc::new(6, 0).unwrap());
    }

    #[test]
    fn observe_follows_remote_and_refuses_the_far_future() {
        let mut c = HlcClock::new(1_000);
        let remote = Hlc::new(1_500, 7).unwrap();
        let t = c.observe(remote, 1_000).unwrap();
        assert!(t > remote);
        let far = Hlc::new(10_000, 0).unwrap();
        let before = c.last();
        let err = c.observe(far, 1_000).unwrap_err();
        assert_eq!(c.last(), before);
        assert!(matches!(
            err,
            Error::TooFarAhead {
                ahead_ms: 9_000,
                ..
            }
        ));
        assert!(err.to_string().contains("check the sender's system clock"));
    }

    #[test]
    fn writer_id_packs_code_and_replica() {
        let w = WriterId::new(320_114_001, 3);
        assert_eq!((w.code(), w.replica()), (320_114_001, 3));
        assert!(WriterId::new(320_114, 9) < WriterId::new(320_115, 0));
    }
}

//! The change feed's cursor: a position in one store's log, as the text a
//! platform keeps between calls. `<store>.<seq>` is the position after the
//! whole log entry `seq`; `<store>.<seq>.<item>` after one item of it (the
//! entry's records first, then its notices), so a watcher cut off within an
//! entry goes on with the item after. `<store>` is the store's incarnation:
//! a cursor counts only in the store it was given by.

use crate::api::{from_hex, to_hex};

/// A position in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The last log entry delivered, whole or in part.
    pub seq: u64,
    /// The last item of that entry delivered; `None`: all of it.
    pub item: Option<u32>,
}

impl Position {
    /// True if the item `item` of entry `seq` lies after this position.
    pub fn before(&self, seq: u64, item: u32) -> bool {
        seq > self.seq || (seq == self.seq && self.item.is_some_and(|i| item > i))
    }

    /// The sequence to read the log after: the partly delivered entry is
    /// read again.
    pub fn read_after(&self) -> u64 {
        match self.item {
            Some(_) => self.seq.saturating_sub(1),
            None => self.seq,
        }
    }
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After everything durable now.
    Now,
    /// A position given by this store.
    At(Position),
}

/// Why a cursor is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a cursor at all.
    Malformed(String),
    /// A cursor of another store of this node, or beyond its log.
    Stale(String),
}

/// The text of a position in the store `incarnation`.
pub fn encode(incarnation: &[u8], p: Position) -> String {
    match p.item {
        Some(i) => format!("{}.{}.{i}", to_hex(incarnation), p.seq),
        None => format!("{}.{}", to_hex(incarnation), p.seq),
    }
}

/// Reads a cursor given to the store `incarnation` whose log ends at
/// `last`: `""` now, `"0"` the start of the log, else a position.
pub fn parse(s: &str, incarnation: &[u8], last: u64) -> Result<Start, Refused> {
    let s = s.trim();
    match s {
        "" => return Ok(Start::Now),
        "0" => return Ok(Start::At(Position { seq: 0, item: None })),
        _ => {}
    }
    let malformed = || {
        Refused::Malformed(format!(
            "cursor {s:?} is not one this feed gives: pass the cursor of an event or heartbeat as it came, \"0\" for the start of the log, or \"\" for now"
        ))
    };
    let mut parts = s.split('.');
    let store = parts.next().and_then(from_hex).ok_or_else(malformed)?;
    let seq: u64 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(malformed)?;
    let item = match parts.next() {
        None => None,
        Some(p) => Some(p.parse::<u32>().map_err(|_| malformed())?),
    };
    if parts.next().is_some() || store.is_empty() {
        return Err(malformed());
    }
    if store != incarnation {
        return Err(Refused::Stale(
            "the cursor was given by another store of this node (it was rebuilt or restored from a backup since)".into(),
        ));
    }
    if seq > last {
        return Err(Refused::Stale(format!(
            "the cursor is at log entry {seq}, beyond this node's log (it ends at {last}: the store was restored from an older backup)"
        )));
    }
    Ok(Start::At(Position { seq, item }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_counts_only_in_its_store() {
        let inc = [0xab, 0x01];
        for p in [
            Position { seq: 7, item: None },
            Position {
                seq: 7,
                item: Some(3),
            },
        ] {
            let s = encode(&inc, p);
            assert_eq!(parse(&s, &inc, 9), Ok(Start::At(p)), "{s}");
        }
        assert_eq!(
            encode(
                &inc,
                Position {
                    seq: 7,
                    item: Some(3)
                }
            ),
            "ab01.7.3"
        );
        assert_eq!(parse("", &inc, 9), Ok(Start::Now));
        assert_eq!(
            parse("0", &inc, 9),
            Ok(Start::At(Position { seq: 0, item: None }))
        );
        assert!(matches!(parse("ab02.7", &inc, 9), Err(Refused::Stale(_))));
        assert!(matches!(parse("ab01.10", &inc, 9), Err(Refused::Stale(_))));
        for bad in [
            "x",
            "ab01",
            "ab01.x",
            "ab01.1.2.3",
            "zz.1",
            ".1",
            "ab01.1.-1",
        ] {
            assert!(
                matches!(parse(bad, &inc, 9), Err(Refused::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_partly_delivered_entry_goes_on_after_its_last_item() {
        let p = Position {
            seq: 5,
            item: Some(1),
        };
        assert_eq!(p.read_after(), 4);
        assert!(!p.before(5, 0) && !p.before(5, 1) && p.before(5, 2) && p.before(6, 0));
        assert!(!p.before(4, 9));
        let whole = Position { seq: 5, item: None };
        assert_eq!(whole.read_after(), 5);
        assert!(!whole.before(5, 9) && whole.before(6, 0));
    }
}

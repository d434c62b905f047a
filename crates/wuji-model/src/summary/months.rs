//! The twelve-month window of a summary: suggestions submitted and closed per
//! calendar month, kept for the current month and the eleven before it so
//! that the counters of a summary stay bounded as the years go by.
//!
//! A record adds `month.YYYYMM.submitted` for the month of its 提出 and
//! `month.YYYYMM.closed` for the month of its 办结, whatever the month; the
//! node drops the months before the window each time it writes its summary
//! ([`keep_window`]), and whoever compares a summary with a recount drops
//! them from both sides first.

use crate::Date;
use std::collections::BTreeMap;

/// How many months a summary keeps, the current one included.
pub const MONTHS: i32 = 12;

/// The counter of the suggestions submitted (提出) in `month`'s month.
pub fn submitted_key(month: Date) -> String {
    format!("month.{}.submitted", month.strftime("%Y%m"))
}

/// The counter of the suggestions closed (办结) in `month`'s month.
pub fn closed_key(month: Date) -> String {
    format!("month.{}.closed", month.strftime("%Y%m"))
}

/// A month as one number: `year * 12 + month - 1`.
fn ordinal(year: i32, month: i32) -> i32 {
    year * 12 + month - 1
}

/// The month a `month.YYYYMM.*` counter names, as an ordinal.
fn month_of(key: &str) -> Option<i32> {
    let ym = key.strip_prefix("month.")?.get(..6)?;
    let (y, m) = (ym.get(..4)?.parse().ok()?, ym.get(4..)?.parse().ok()?);
    (1..=12).contains(&m).then(|| ordinal(y, m))
}

/// True unless `key` is a month counter before the window that ends with
/// `today`'s month (a later month, from a peer whose clock runs ahead, is
/// kept: it enters the window in time).
pub fn in_window(key: &str, today: Date) -> bool {
    let now = ordinal(i32::from(today.year()), i32::from(today.month()));
    month_of(key).is_none_or(|m| m > now - MONTHS)
}

/// Drops the month counters before `today`'s window.
pub fn keep_window<V>(counts: &mut BTreeMap<String, V>, today: Date) {
    counts.retain(|k, _| in_window(k, today));
}

/// The window's months, oldest first, each with its (submitted, closed)
/// counts in `counts`: what the console draws.
pub fn series(counts: &BTreeMap<String, u64>, today: Date) -> Vec<(Date, u64, u64)> {
    let first = today.first_of_month();
    (0..MONTHS)
        .rev()
        .filter_map(|back| first.checked_sub(jiff::Span::new().months(back)).ok())
        .map(|m| {
            let get = |k: String| counts.get(&k).copied().unwrap_or(0);
            (m, get(submitted_key(m)), get(closed_key(m)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_window_keeps_twelve_months_ending_with_today() {
        let today = date(2026, 12, 6);
        assert!(in_window("month.202612.closed", today));
        assert!(in_window("month.202601.submitted", today));
        assert!(!in_window("month.202512.submitted", today));
        assert!(in_window("month.202701.closed", today), "ahead is kept");
        assert!(in_window("suggestion.total", today), "other counters stay");
        // Across a year's turn.
        let jan = date(2027, 1, 31);
        assert!(in_window("month.202602.closed", jan));
        assert!(!in_window("month.202601.closed", jan));
        let mut m: BTreeMap<String, u64> = [
            ("month.202511.closed".to_string(), 3),
            ("month.202611.closed".to_string(), 2),
            ("suggestion.total".to_string(), 7),
        ]
        .into();
        keep_window(&mut m, today);
        assert_eq!(m.len(), 2);
        assert!(!m.contains_key("month.202511.closed"));
    }

    #[test]
    fn the_series_runs_oldest_first_and_reads_each_month() {
        let today = date(2026, 3, 15);
        let m: BTreeMap<String, u64> = [
            (submitted_key(date(2026, 3, 1)), 4),
            (closed_key(date(2025, 4, 30)), 2),
            (closed_key(date(2025, 3, 2)), 9),
        ]
        .into();
        let s = series(&m, today);
        assert_eq!(s.len(), 12);
        assert_eq!(s[0], (date(2025, 4, 1), 0, 2));
        assert_eq!(s[11], (date(2026, 3, 1), 4, 0));
        assert_eq!(
            s.iter().map(|x| x.1 + x.2).sum::<u64>(),
            6,
            "2025-03 is out"
        );
    }
}

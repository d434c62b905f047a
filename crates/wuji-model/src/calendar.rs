//! Working-day calendar: official holidays and adjusted working days (调休), one
//! file per year under `config/holidays/`, for 退办 limits and other working-day
//! deadlines. A year without a file counts plain weekends and says so.

use crate::{Date, Error};
use jiff::civil::Weekday;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The calendars shipped with wuji (embedded, so a node needs no files to start).
const BUILTIN: &[(&str, &str)] = &[(
    "2026.toml",
    include_str!("../../../config/holidays/2026.toml"),
)];

/// One year's holidays as the State Council published them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    /// The year.
    pub year: i16,
    /// Where the schedule comes from.
    pub source: String,
    /// Days off (weekdays and weekends alike).
    pub off: BTreeSet<Date>,
    /// Weekend days that are working days.
    pub workdays: BTreeSet<Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i16,
    source: String,
    #[serde(default)]
    holiday: Vec<HolidayFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    name: String,
    from: String,
    to: String,
    #[serde(default)]
    workdays: Vec<String>,
}

/// A date reached by counting working days, and the years counted without a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The date reached.
    pub date: Date,
    /// Years the count passed through for which no calendar was loaded.
    pub assumed: BTreeSet<i16>,
}

impl Counted {
    /// One warning per year counted as plain weekends, naming the missing file.
    pub fn warnings(&self) -> Vec<String> {
        self.assumed.iter().map(|y| missing_warning(*y)).collect()
    }
}

/// The warning for a year with no calendar file.
pub fn missing_warning(year: i16) -> String {
    format!(
        "no holiday calendar for {year} (config/holidays/{year}.toml): \
         counting plain weekends only"
    )
}

/// The working-day calendar over all loaded years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i16, Year>,
}

impl Calendar {
    /// The calendar with the years shipped in `config/holidays/`.
    pub fn builtin() -> Calendar {
        let mut c = Calendar::default();
        for (file, text) in BUILTIN {
            let y = Year::parse(file, text).expect("shipped calendar files are valid");
            c.add(y);
        }
        c
    }

    /// Adds (or replaces) one year.
    pub fn add(&mut self, year: Year) {
        self.years.insert(year.year, year);
    }

    /// The years loaded.
    pub fn years(&self) -> impl Iterator<Item = i16> + '_ {
        self.years.keys().copied()
    }

    /// Whether `d` is a working day, and whether that was assumed for lack of a file.
    pub fn is_working_day(&self, d: Date) -> (bool, bool) {
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        match self.years.get(&d.year()) {
            Some(y) if y.off.contains(&d) => (false, false),
            Some(y) if y.workdays.contains(&d) => (true, false),
            Some(_) => (!weekend, false),
            None => (!weekend, true),
        }
    }

    /// The `n`-th working day after `start` (`start` itself not counted; `n = 0`
    /// gives `start`).
    pub fn add_working_days(&self, start: Date, n: u32) -> Counted {
        let mut d = start;
        let mut left = n;
        let mut assumed = BTreeSet::new();
        while left > 0 {
            d = d.tomorrow().expect("dates stay far from year 9999");
            let (working, guessed) = self.is_working_day(d);
            if guessed {
                assumed.insert(d.year());
            }
            if working {
                left -= 1;
            }
        }
        Counted { date: d, assumed }
    }

    /// Working days after `from` up to and including `to` (0 if `to <= from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.tomorrow().expect("dates stay far from year 9999");
            if self.is_working_day(d).0 {
                n += 1;
            }
        }
        n
    }
}

impl Year {
    /// Parses a year file; `file` (e.g. `2026.toml`) must name the same year.
    pub fn parse(file: &str, text: &str) -> Result<Year, Error> {
        let bad = |reason: String| Error::Calendar {
            file: file.to_string(),
            reason,
        };
        let f: YearFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.trim_end_matches(".toml").rsplit('/').next() != Some(&f.year.to_string()) {
            return Err(bad(format!("the file says year = {}", f.year)));
        }
        let date = |s: &str| -> Result<Date, Error> {
            let d: Date = s.parse().map_err(|e| bad(format!("{s:?}: {e}")))?;
            if d.year() != f.year {
                return Err(bad(format!("{s} is not in {}", f.year)));
            }
            Ok(d)
        };
        let mut year = Year {
            year: f.year,
            source: f.source,
            off: BTreeSet::new(),
            workdays: BTreeSet::new(),
        };
        for h in &f.holiday {
            let (from, to) = (date(&h.from)?, date(&h.to)?);
            if to < from {
                return Err(bad(format!("{}: {} is before {}", h.name, h.to, h.from)));
            }
            let mut d = from;
            while d <= to {
                year.off.insert(d);
                d = d.tomorrow().map_err(|e| bad(e.to_string()))?;
            }
            for w in &h.workdays {
                let w = date(w)?;
                if !matches!(w.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    return Err(bad(format!(
                        "{}: adjusted working day {w} is not a weekend day",
                        h.name
                    )));
                }
                year.workdays.insert(w);
            }
        }
        if let Some(d) = year.off.intersection(&year.workdays).next() {
            return Err(bad(format!("{d} is both a day off and a working day")));
        }
        Ok(year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_2026_calendar_as_published() {
        let c = Calendar::builtin();
        let y = &c.years[&2026];
        // 3 + 9 + 3 + 5 + 3 + 3 + 7 days off, 6 adjusted working days.
        assert_eq!(y.off.len(), 33);
        assert_eq!(y.workdays.len(), 6);
        assert_eq!(c.is_working_day(date(2026, 1, 1)), (false, false));
        assert_eq!(c.is_working_day(date(2026, 1, 4)), (true, false)); // Sunday, 调休
        assert_eq!(c.is_working_day(date(2026, 2, 14)), (true, false)); // Saturday, 调休
        assert_eq!(c.is_working_day(date(2026, 2, 23)), (false, false)); // Monday off
        assert_eq!(c.is_working_day(date(2026, 3, 7)), (false, false)); // plain Saturday
        assert_eq!(c.is_working_day(date(2026, 3, 9)), (true, false)); // plain Monday
    }

    #[test]
    fn counting_across_the_spring_festival() {
        let c = Calendar::builtin();
        // Fri 2026-02-13 + 1 working day = Sat 02-14 (调休 workday).
        assert_eq!(
            c.add_working_days(date(2026, 2, 13), 1).date,
            date(2026, 2, 14)
        );
        // + 2 skips 02-15..02-23 off: Tue 02-24.
        assert_eq!(
            c.add_working_days(date(2026, 2, 13), 2).date,
            date(2026, 2, 24)
        );
        // Seven working days from Thu 2026-09-24: 09-25..27 off, 09-28..30 (3),
        // 10-01..07 off, Thu 10-08, Fri 10-09, Sat 10-10 (调休), Mon 10-12.
        assert_eq!(
            c.add_working_days(date(2026, 9, 24), 7).date,
            date(2026, 10, 12)
        );
        assert_eq!(
            c.working_days_between(date(2026, 9, 24), date(2026, 10, 12)),
            7
        );
        assert!(c.add_working_days(date(2026, 9, 24), 7).assumed.is_empty());
    }

    #[test]
    fn a_year_without_a_file_counts_weekends_and_warns() {
        let c = Calendar::builtin();
        let n = c.add_working_days(date(2026, 12, 30), 3);
        // Wed 12-30 → Thu 12-31, Fri 2027-01-01 (no 2027 file: a plain Friday), Mon 01-04.
        assert_eq!(n.date, date(2027, 1, 4));
        assert_eq!(n.assumed, BTreeSet::from([2027]));
        assert!(n.warnings()[0].contains("config/holidays/2027.toml"));
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let e = Year::parse("2026.toml", "year = 2025\nsource = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("year = 2025"), "{e}");
        let weekday_workday = "year = 2026\nsource = \"x\"\n[[holiday]]\nname = \"a\"\n\
            from = \"2026-01-01\"\nto = \"2026-01-01\"\nworkdays = [\"2026-01-05\"]\n";
        let e = Year::parse("2026.toml", weekday_workday).unwrap_err();
        assert!(e.to_string().contains("not a weekend day"), "{e}");
        let e = Year::parse("2026.toml", "year = 2026\nsource = \"x\"\nbogus = 1\n").unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }
}

//! Working-day calendar: official holidays and adjusted working days (调休), one
//! file per year (`config/holidays/` embedded, more from the node's calendar
//! directory), for 退办 limits and answer deadlines. A year without an official
//! file gets a *provisional* calendar: the statutory days of 全国年节及纪念日放假
//! 办法 (as revised in 2024) with no 调休, and everything counted through it says
//! so.

use crate::{Date, Error};
use jiff::civil::Weekday;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The calendars shipped with wuji (embedded, so a node needs no files to start).
const BUILTIN: &[(&str, &str)] = &[(
    "2026.toml",
    include_str!("../../../config/holidays/2026.toml"),
)];

/// 春节, 端午 and 中秋 as Gregorian dates per year (source in `data/README.md`).
const LUNAR: &str = include_str!("../data/lunar-festivals.txt");

/// Years with a provisional calendar of statutory days (the lunar table's range).
const PROVISIONAL_YEARS: std::ops::RangeInclusive<i16> = 2024..=2099;

/// One year's holidays as the State Council published them, or provisional.
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
    /// True for the statutory days alone, computed while no official file exists.
    pub provisional: bool,
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

/// A date reached by counting, and the provisional years the count relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The date reached.
    pub date: Date,
    /// Years the count passed through that have no official calendar.
    pub provisional: BTreeSet<i16>,
}

impl Counted {
    /// One warning per provisional year the count relied on.
    pub fn warnings(&self) -> Vec<String> {
        self.provisional
            .iter()
            .map(|y| provisional_warning(*y))
            .collect()
    }
}

/// The warning for a year counted without an official calendar.
pub fn provisional_warning(year: i16) -> String {
    format!(
        "{year}年节假日安排未发布，按法定节假日暂定计算（无调休） / \
         no official holiday calendar for {year}: provisional, statutory days only, \
         no adjusted working days"
    )
}

/// The working-day calendar over all loaded years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i16, Year>,
    provisional: BTreeMap<i16, Year>,
}

impl Default for Calendar {
    /// No official year: every year provisional.
    fn default() -> Calendar {
        Calendar {
            years: BTreeMap::new(),
            provisional: PROVISIONAL_YEARS
                .map(|y| (y, Year::provisional(y)))
                .collect(),
        }
    }
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

    /// The shipped years plus year files (`(file name, text)`, e.g. from the
    /// node's calendar directory), which replace shipped years of the same number.
    pub fn with_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Calendar, Error> {
        let mut c = Calendar::builtin();
        for (file, text) in files {
            c.add(Year::parse(file, text)?);
        }
        Ok(c)
    }

    /// Adds (or replaces) one official year.
    pub fn add(&mut self, year: Year) {
        self.years.insert(year.year, year);
    }

    /// The years with an official calendar.
    pub fn years(&self) -> impl Iterator<Item = i16> + '_ {
        self.years.keys().copied()
    }

    /// The official calendar of a year, if loaded.
    pub fn year(&self, year: i16) -> Option<&Year> {
        self.years.get(&year)
    }

    /// Whether `d` is a working day, and whether that is provisional (no
    /// official calendar for its year).
    pub fn is_working_day(&self, d: Date) -> (bool, bool) {
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        let (y, provisional) = match self.years.get(&d.year()) {
            Some(y) => (Some(y), false),
            None => (self.provisional.get(&d.year()), true),
        };
        match y {
            Some(y) if y.off.contains(&d) => (false, provisional),
            Some(y) if y.workdays.contains(&d) => (true, provisional),
            _ => (!weekend, provisional),
        }
    }

    /// The `n`-th working day after `start` (`start` itself not counted; `n = 0`
    /// gives `start`).
    pub fn add_working_days(&self, start: Date, n: u32) -> Counted {
        let mut d = start;
        let mut left = n;
        let mut provisional = BTreeSet::new();
        while left > 0 {
            d = d.tomorrow().expect("dates stay far from year 9999");
            let (working, guessed) = self.is_working_day(d);
            if guessed {
                provisional.insert(d.year());
            }
            if working {
                left -= 1;
            }
        }
        Counted {
            date: d,
            provisional,
        }
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

    /// The last day of a period of `months` from `start`: a last day that is
    /// not a working day moves to the next working day (民法典第二百零三条).
    pub fn period_end(&self, start: Date, months: u8) -> Counted {
        let span = jiff::Span::new().months(i64::from(months));
        let mut d = start
            .checked_add(span)
            .expect("dates stay far from year 9999");
        let mut provisional = BTreeSet::new();
        loop {
            let (working, guessed) = self.is_working_day(d);
            if guessed {
                provisional.insert(d.year());
            }
            if working {
                return Counted {
                    date: d,
                    provisional,
                };
            }
            d = d.tomorrow().expect("dates stay far from year 9999");
        }
    }

    /// What an operator should hear about the calendar on `today`: the current
    /// year if it is provisional, and from November on the coming year too.
    pub fn notices(&self, today: Date) -> Vec<String> {
        let mut years = vec![today.year()];
        if today.month() >= 11 {
            years.push(today.year() + 1);
        }
        years
            .into_iter()
            .filter(|y| !self.years.contains_key(y))
            .map(provisional_warning)
            .collect()
    }
}

/// The Gregorian dates of 春节 (正月初一), 端午 and 中秋 in `year`, if tabled.
fn festivals(year: i16) -> Option<[Date; 3]> {
    LUNAR.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut it = l.split_whitespace();
        if it.next()?.parse::<i16>().ok()? != year {
            return None;
        }
        let mut d = || -> Option<Date> {
            let (m, d) = it.next()?.split_once('-')?;
            Date::new(year, m.parse().ok()?, d.parse().ok()?).ok()
        };
        Some([d()?, d()?, d()?])
    })
}

/// 清明 (a solar term) in 2001–2099: day = ⌊Y·0.2422 + 4.81⌋ − ⌊Y/4⌋ of April,
/// Y the year's last two digits (寿星通用公式, with the 21st century's constant).
fn qingming(year: i16) -> Option<Date> {
    if !(2001..=2099).contains(&year) {
        return None;
    }
    let y = year - 2000;
    let day = (f64::from(y) * 0.2422 + 4.81).floor() as i16 - y / 4;
    Date::new(year, 4, i8::try_from(day).ok()?).ok()
}

impl Year {
    /// The provisional calendar of a year: the statutory days of 全国年节及纪念日
    /// 放假办法 (2024): 元旦 1 day, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1,
    /// 中秋 1, 国庆 3; no 调休.
    pub fn provisional(year: i16) -> Year {
        let mut off = BTreeSet::new();
        let ymd = |m: i8, d: i8| Date::new(year, m, d).ok();
        let fixed = [
            ymd(1, 1),
            ymd(5, 1),
            ymd(5, 2),
            ymd(10, 1),
            ymd(10, 2),
            ymd(10, 3),
        ];
        off.extend(fixed.into_iter().flatten());
        off.extend(qingming(year));
        if let Some([spring, dragon, moon]) = festivals(year) {
            let eve = spring.yesterday().ok();
            let days = (0..3).filter_map(|i| spring.checked_add(jiff::Span::new().days(i)).ok());
            off.extend(eve.into_iter().chain(days).filter(|d| d.year() == year));
            off.extend([dragon, moon]);
        }
        Year {
            year,
            source: "provisional: statutory days of 全国年节及纪念日放假办法 (2024), no 调休"
                .into(),
            off,
            workdays: BTreeSet::new(),
            provisional: true,
        }
    }

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
            provisional: false,
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
        assert!(
            c.add_working_days(date(2026, 9, 24), 7)
                .provisional
                .is_empty()
        );
    }

    #[test]
    fn a_year_without_a_file_is_provisional_and_says_so() {
        let c = Calendar::builtin();
        let n = c.add_working_days(date(2026, 12, 30), 3);
        // Wed 12-30 → Thu 12-31, Fri 2027-01-01 (元旦, statutory), Mon 01-04, Tue 01-05.
        assert_eq!(n.date, date(2027, 1, 5));
        assert_eq!(n.provisional, BTreeSet::from([2027]));
        assert!(n.warnings()[0].contains("no official holiday calendar for 2027"));
        assert!(n.warnings()[0].contains("2027年节假日安排未发布"));
    }

    #[test]
    fn provisional_2027_has_the_spring_festival_from_the_eve_to_the_third_day() {
        let c = Calendar::builtin();
        let y = Year::provisional(2027);
        // 除夕 2027-02-05 (Fri) to 初三 2027-02-08 (Mon).
        for d in [date(2027, 2, 5), date(2027, 2, 8)] {
            assert_eq!(c.is_working_day(d), (false, true), "{d}");
        }
        assert_eq!(c.is_working_day(date(2027, 2, 9)), (true, true));
        assert_eq!(c.is_working_day(date(2027, 2, 4)), (true, true));
        // 1 + 4 + 1 + 2 + 1 + 1 + 3 statutory days, no 调休.
        assert_eq!(y.off.len(), 13);
        assert!(y.workdays.is_empty() && y.provisional);
        // 清明 2027-04-05, 端午 06-09, 中秋 09-15.
        for d in [date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)] {
            assert!(y.off.contains(&d), "{d}");
        }
    }

    #[test]
    fn the_statutory_days_fall_inside_the_official_2026_holidays() {
        let c = Calendar::builtin();
        let official = c.year(2026).unwrap();
        let provisional = Year::provisional(2026);
        assert_eq!(provisional.off.len(), 13);
        for d in &provisional.off {
            assert!(
                official.off.contains(d),
                "{d} is statutory but not off in 2026"
            );
        }
        // 清明 by the formula in years whose date is known: 2024-04-04, 2025-04-04,
        // 2026-04-05, 2028-04-04 (a leap year).
        for (y, d) in [(2024, 4), (2025, 4), (2026, 5), (2028, 4)] {
            assert_eq!(qingming(y), Some(date(y, 4, d)));
        }
    }

    #[test]
    fn a_period_ending_on_a_holiday_ends_on_the_next_working_day() {
        let c = Calendar::builtin();
        // 交办 2026-07-01 + 3 months = 10-01, in the 国庆 holiday (10-01..10-07).
        let end = c.period_end(date(2026, 7, 1), 3);
        assert_eq!(end.date, date(2026, 10, 8));
        assert!(end.provisional.is_empty());
        // A plain working day stays.
        assert_eq!(c.period_end(date(2026, 6, 3), 3).date, date(2026, 9, 3));
        // A Saturday in a provisional year moves to Monday and says so.
        let end = c.period_end(date(2027, 1, 3), 1);
        assert_eq!(end.date, date(2027, 2, 3));
        let end = c.period_end(date(2027, 3, 6), 3);
        assert_eq!((end.date, end.provisional.len()), (date(2027, 6, 7), 1));
    }

    #[test]
    fn notices_name_the_current_year_and_from_november_the_next() {
        let c = Calendar::builtin();
        assert!(c.notices(date(2026, 10, 31)).is_empty());
        let n = c.notices(date(2026, 11, 1));
        assert_eq!(n.len(), 1);
        assert!(n[0].contains("2027"));
        assert_eq!(c.notices(date(2027, 3, 1)).len(), 1);
        let with =
            Calendar::with_files([("2027.toml", "year = 2027\nsource = \"test\"\n")]).unwrap();
        assert!(with.notices(date(2026, 12, 1)).is_empty());
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

//! The twelve-month chart of 总览: suggestions submitted (提出) and closed
//! (办结) per month in a region's subtree, from its summary's month window,
//! laid out here as bars the template draws as SVG.

use crate::i18n::Lang;
use std::collections::BTreeMap;
use wuji_model::Date;
use wuji_model::summary::months;

/// The plot's height in pixels, bars only.
pub const PLOT: u32 = 120;
/// One month's width.
pub const STEP: u32 = 52;
/// Room above the plot for the figures, and below for the month names.
pub const TOP: u32 = 16;

/// One month as drawn.
pub struct Month {
    /// Its name (12月, or Dec).
    pub label: String,
    /// The left edge of its group.
    pub x: u32,
    /// Submitted that month, and its bar's top and height.
    pub submitted: u64,
    pub submitted_y: u32,
    pub submitted_h: u32,
    /// Closed that month, and its bar's top and height.
    pub closed: u64,
    pub closed_y: u32,
    pub closed_h: u32,
}

/// The chart of a region whose summary counts are `counts`, on `today`.
pub struct Chart {
    /// The months, oldest first.
    pub months: Vec<Month>,
    /// The whole picture's width and height.
    pub width: u32,
    pub height: u32,
    /// Where the month names sit.
    pub label_y: u32,
    /// The plot's bottom line.
    pub base: u32,
    /// Sums over the window.
    pub total_submitted: u64,
    pub total_closed: u64,
}

const EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Lays out the chart of `counts` for the twelve months ending with `today`.
pub fn chart(counts: &BTreeMap<String, u64>, today: Date, l: Lang) -> Chart {
    let series = months::series(counts, today);
    let max = series
        .iter()
        .map(|(_, s, c)| (*s).max(*c))
        .max()
        .unwrap_or(0);
    let height_of = |v: u64| {
        if max == 0 {
            0
        } else {
            // At least a pixel for any month with something in it.
            ((v * u64::from(PLOT)).div_ceil(max)) as u32
        }
    };
    let base = TOP + PLOT;
    let months = series
        .iter()
        .enumerate()
        .map(|(i, (m, s, c))| {
            let x = 8 + i as u32 * STEP;
            let month = m.month() as usize;
            let label = match l {
                Lang::Zh if month == 1 => format!("{}年{month}月", m.year()),
                Lang::Zh => format!("{month}月"),
                Lang::En if month == 1 => format!("{} {}", EN[0], m.year()),
                Lang::En => EN[month - 1].to_string(),
            };
            let (sh, ch) = (height_of(*s), height_of(*c));
            Month {
                label,
                x,
                submitted: *s,
                submitted_y: base - sh,
                submitted_h: sh,
                closed: *c,
                closed_y: base - ch,
                closed_h: ch,
            }
        })
        .collect();
    Chart {
        months,
        width: 16 + months::MONTHS as u32 * STEP,
        height: base + 22,
        label_y: base + 16,
        base,
        total_submitted: series.iter().map(|x| x.1).sum(),
        total_closed: series.iter().map(|x| x.2).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn bars_scale_to_the_largest_month_and_names_follow_the_language() {
        let today = date(2026, 12, 6);
        let counts: BTreeMap<String, u64> = [
            (months::submitted_key(date(2026, 12, 1)), 10),
            (months::closed_key(date(2026, 12, 1)), 5),
            (months::submitted_key(date(2026, 1, 9)), 1),
            (months::submitted_key(date(2025, 12, 9)), 99),
        ]
        .into();
        let c = chart(&counts, today, Lang::Zh);
        assert_eq!(c.months.len(), 12);
        let dec = &c.months[11];
        // December 2025's 99 is outside the window: 2026-12's 10 is the top.
        let month = format!("{}\u{6708}", 12);
        assert_eq!(
            (dec.label.as_str(), dec.submitted_h, dec.closed_h),
            (month.as_str(), PLOT, PLOT / 2)
        );
        assert_eq!(dec.submitted_y + dec.submitted_h, c.base);
        let jan = &c.months[0];
        assert_eq!(jan.label, format!("2026\u{5e74}1\u{6708}"));
        assert!(jan.submitted_h >= 1, "a month with one suggestion shows");
        assert_eq!((c.total_submitted, c.total_closed), (11, 5));
        let en = chart(&counts, today, Lang::En);
        assert_eq!(en.months[11].label, "Dec");
        assert_eq!(en.months[0].label, "Jan 2026");
        let empty = chart(&BTreeMap::new(), today, Lang::Zh);
        assert!(
            empty
                .months
                .iter()
                .all(|m| m.submitted_h == 0 && m.closed_h == 0)
        );
    }
}

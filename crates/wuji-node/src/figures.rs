//! The figures of a status table (总览): per region, its own and its
//! subtree's counts and rates, read from the summaries a `Status` reply
//! carries. `wuji status` and the console's 总览 show the same figures.

use std::collections::BTreeMap;
use wuji_division::Code;
use wuji_proto::pb;

/// One region's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// The region (its congress).
    pub code: u32,
    /// 建议 raised at this congress itself.
    pub suggestions_own: u64,
    /// 建议 of the region (this congress and every one below).
    pub suggestions: u64,
    /// 已办结.
    pub closed: u64,
    /// 超期: past the answer deadline, not answered.
    pub overdue: u64,
    /// 临期: due within 15 days.
    pub due_soon: u64,
    /// Rated 满意 or 基本满意.
    pub satisfied: u64,
    /// Rated at all.
    pub rated: u64,
    /// Answered.
    pub answered: u64,
    /// Answered within the time limit.
    pub answered_on_time: u64,
    /// Answers of class A (A, 甲) in any scheme.
    pub class_a: u64,
    /// Answers with a class.
    pub classed: u64,
    /// 代表 of this congress itself.
    pub deputies_own: u64,
    /// 代表 of the region.
    pub deputies: u64,
    /// 交办 issued by this congress itself.
    pub assignments_own: u64,
    /// 交办 targets reported done, of all targets.
    pub targets_done: u64,
    /// 交办 targets.
    pub targets: u64,
    /// 督办 items.
    pub supervision_items: u64,
    /// Their progress, summed in permille.
    pub supervision_permille: u64,
}

impl Figures {
    /// 办理中: neither closed nor withdrawn nor merged away.
    pub fn open(&self, counts: &BTreeMap<String, u64>) -> u64 {
        let gone = ["closed", "withdrawn", "merged"]
            .iter()
            .map(|s| {
                counts
                    .get(&format!("suggestion.status.{s}"))
                    .copied()
                    .unwrap_or(0)
            })
            .sum::<u64>();
        self.suggestions.saturating_sub(gone)
    }

    /// 办结率.
    pub fn closed_rate(&self) -> Option<f64> {
        ratio(self.closed, self.suggestions)
    }

    /// 满意率 (满意 and 基本满意 of those rated).
    pub fn satisfied_rate(&self) -> Option<f64> {
        ratio(self.satisfied, self.rated)
    }

    /// 按时答复率.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.answered_on_time, self.answered)
    }

    /// A类占比 of the classed answers.
    pub fn class_a_rate(&self) -> Option<f64> {
        ratio(self.class_a, self.classed)
    }

    /// Mean progress of the 督办 items, as a fraction.
    pub fn supervision_progress(&self) -> Option<f64> {
        ratio(self.supervision_permille, self.supervision_items * 1000)
    }
}

/// `part / whole`, or none when there is nothing to divide.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A rate as a percentage with one decimal, `—` when there is none.
pub fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "—".into(),
    }
}

fn get(s: &pb::NodeSummary, k: &str) -> u64 {
    s.counts.get(k).copied().unwrap_or(0)
}

/// Figures each summary holds of its own congress only (every summary counts
/// its whole subtree).
const OWN_KEYS: [&str; 3] = ["suggestion.total", "deputy.total", "assignment.total"];

/// The rows of `all` (a node's own summary and those below it), in order.
pub fn figures(all: &[pb::NodeSummary]) -> Vec<Figures> {
    let maps: Vec<(Code, BTreeMap<String, u64>)> = all
        .iter()
        .map(|s| {
            let code = Code::from_value(s.code).unwrap_or(Code::NATIONAL);
            (
                code,
                s.counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            )
        })
        .collect();
    let rows: Vec<_> = maps.iter().map(|(c, m)| (*c, m)).collect();
    let own: Vec<Vec<u64>> = OWN_KEYS
        .iter()
        .map(|k| wuji_model::summary::own_counts(&rows, k))
        .collect();
    all.iter()
        .enumerate()
        .map(|(i, s)| {
            let (class_a, classed) = s
                .counts
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("suggestion.class.").map(|c| (c, *v)))
                .fold((0, 0), |(a, n), (c, v)| {
                    let first = c.rsplit('.').next().is_some_and(|x| x == "A" || x == "甲");
                    (a + if first { v } else { 0 }, n + v)
                });
            Figures {
                code: s.code,
                suggestions_own: own[0][i],
                suggestions: get(s, "suggestion.total"),
                closed: get(s, "suggestion.status.closed"),
                overdue: get(s, "suggestion.overdue"),
                due_soon: get(s, "suggestion.due_soon"),
                satisfied: get(s, "suggestion.rating.satisfied")
                    + get(s, "suggestion.rating.basic"),
                rated: get(s, "suggestion.rating.satisfied")
                    + get(s, "suggestion.rating.basic")
                    + get(s, "suggestion.rating.dissatisfied"),
                answered: get(s, "suggestion.answered"),
                answered_on_time: get(s, "suggestion.answered_on_time"),
                class_a,
                classed,
                deputies_own: own[1][i],
                deputies: get(s, "deputy.total"),
                assignments_own: own[2][i],
                targets_done: get(s, "assignment.targets_done"),
                targets: get(s, "assignment.targets"),
                supervision_items: get(s, "supervision.items"),
                supervision_permille: get(s, "supervision.progress_permille_sum"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(code: u32, counts: &[(&str, u64)]) -> pb::NodeSummary {
        pb::NodeSummary {
            code,
            counts: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn own_counts_subtract_the_regions_below_and_rates_divide() {
        let all = [
            summary(
                320100,
                &[
                    ("suggestion.total", 10),
                    ("suggestion.status.closed", 4),
                    ("suggestion.rating.satisfied", 2),
                    ("suggestion.rating.dissatisfied", 2),
                    ("suggestion.class.ABC.A", 3),
                    ("suggestion.class.ABC.B", 1),
                ],
            ),
            summary(320114, &[("suggestion.total", 6)]),
            summary(320115, &[("suggestion.total", 1)]),
        ];
        let f = figures(&all);
        assert_eq!(f[0].suggestions_own, 3);
        assert_eq!(f[1].suggestions_own, 6);
        assert_eq!(percent(f[0].closed_rate()), "40.0%");
        assert_eq!(percent(f[0].satisfied_rate()), "50.0%");
        assert_eq!(percent(f[0].class_a_rate()), "75.0%");
        assert_eq!(percent(f[1].satisfied_rate()), "—");
    }
}

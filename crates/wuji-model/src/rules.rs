//! Configurable handling rules: time limits for answers, re-handling and returns.

use serde::{Deserialize, Serialize};

/// The handling rules a congress applies; defaults follow common practice
/// (GLOSSARY.md): answer within three months, six at most with an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// 办理时限: months from assignment (交办) to the answer.
    pub answer_months: u8,
    /// Longest approved extension in months (answer_months + this ≤ 6 by law).
    pub max_extension_months: u8,
    /// Months to answer again after a dissatisfied rating (重新办理), usually 1 or 2.
    pub rehandle_months: u8,
    /// 退办: working days after assignment within which a unit may return it.
    pub return_working_days: u8,
    /// 答复类别: the scheme of answer classes (ABC, ABCD or 甲乙丙).
    pub answer_classes: crate::suggestion::ClassScheme,
    /// Longest title, in characters.
    pub max_title_chars: usize,
    /// Longest body text, in characters.
    pub max_text_chars: usize,
    /// 履职积分 and the annual 履职清单 (`[rules.duty]`).
    pub duty: crate::activity::DutyRules,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            answer_months: 3,
            max_extension_months: 3,
            rehandle_months: 2,
            return_working_days: 7,
            answer_classes: crate::suggestion::ClassScheme::Abc,
            max_title_chars: 200,
            max_text_chars: 20_000,
            duty: crate::activity::DutyRules::default(),
        }
    }
}

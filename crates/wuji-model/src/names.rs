//! Roster order (姓氏笔画): names compared character by character by the stroke
//! count of the simplified form, as congress offices print rosters.
//!
//! Stroke counts are Unihan's `kTotalStrokes` (simplified form first), embedded
//! for U+3400..U+9FFF (see `data/README.md`). The national convention breaks ties
//! between characters of equal stroke count by the order of their strokes
//! (横竖撇点折), which Unihan does not record; wuji breaks them by code point, so
//! the order is total and the same on every node. ICU's `zh-u-co-stroke` was not
//! used: it counts traditional forms for several common surnames (陈 as 陳,
//! 郑 as 鄭, 黄 as 黃), which misplaces them in simplified rosters.

use std::cmp::Ordering;

const TABLE: &[u8] = include_bytes!("../data/strokes-3400-9fff.bin");
const FIRST: u32 = 0x3400;

/// The stroke count of a character (0 for characters outside the table).
pub fn strokes(c: char) -> u8 {
    (c as u32)
        .checked_sub(FIRST)
        .and_then(|i| TABLE.get(i as usize))
        .copied()
        .unwrap_or(0)
}

/// A byte key whose order is roster order: for each character its stroke
/// count, then its code point. Store it in an index to list deputies in roster
/// order without sorting.
pub fn roster_key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() * 4);
    for c in name.trim().chars() {
        let cp = c as u32;
        k.push(strokes(c));
        k.extend_from_slice(&cp.to_be_bytes()[1..]);
    }
    k
}

/// Compares two names in roster order.
pub fn roster_cmp(a: &str, b: &str) -> Ordering {
    roster_key(a).cmp(&roster_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_surnames_follow_simplified_stroke_counts() {
        for (c, n) in [
            ('丁', 2),
            ('王', 4),
            ('刘', 6),
            ('陈', 7),
            ('郑', 8),
            ('黄', 11),
            ('曾', 12),
            ('蔡', 14),
        ] {
            assert_eq!(strokes(c), n, "{c}");
        }
        let mut names = vec![
            "黄河",
            "陈静",
            "王芳",
            "丁一",
            "郑和",
            "曾国",
            "刘洋",
            "王二小",
            "王力",
        ];
        names.sort_by(|a, b| roster_cmp(a, b));
        assert_eq!(
            names,
            [
                "丁一",
                "王二小",
                "王力",
                "王芳",
                "刘洋",
                "陈静",
                "郑和",
                "黄河",
                "曾国"
            ]
        );
    }

    #[test]
    fn a_prefix_sorts_first_and_spaces_do_not_count() {
        assert_eq!(roster_cmp("王", "王芳"), Ordering::Less);
        assert_eq!(roster_cmp(" 王芳 ", "王芳"), Ordering::Equal);
        assert_eq!(strokes('A'), 0);
    }
}

//! Small types shared by every record kind: the write context, dates, notes, text checks.

use crate::{Error, Rules, calendar::Calendar};
use wuji_crdt::Stamp;
use wuji_division::Code;

/// A calendar date in China Standard Time (deadlines, answer dates).
pub type Date = jiff::civil::Date;

/// Everything a workflow step needs to know about the write it makes.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The node making the write (it owns the sections it writes).
    pub node: Code,
    /// The stamp of this write (from the node's HLC).
    pub at: Stamp,
    /// Today's date in China Standard Time.
    pub today: Date,
    /// The configured handling rules.
    pub rules: &'a Rules,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
}

/// A dated free-text note (supervision notes, follow-up, reports).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Note {
    /// The note.
    pub text: String,
    /// When it was made.
    pub on: Date,
}

/// Refuses the action unless the writing node is `home` (only the home writes
/// roster, origin, issue and item sections).
pub(crate) fn require_home(ctx: &Ctx, home: Code, action: &'static str) -> Result<(), Error> {
    if ctx.node == home {
        Ok(())
    } else {
        Err(Error::NotHome {
            node: ctx.node,
            home,
            action,
        })
    }
}

/// Checks a text field: trimmed non-empty and at most `max` characters.
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), Error> {
    // Texts of several lines; every other field is a single line.
    let multiline = matches!(field, "text" | "reason" | "note" | "promise" | "comment");
    for (at, c) in text.chars().enumerate() {
        let allowed = multiline && matches!(c, '\n' | '\r' | '\t');
        if c.is_control() && !allowed {
            return Err(Error::ControlCharacter {
                field,
                code: u32::from(c),
                at,
            });
        }
    }
    if !text.chars().any(visible) {
        return Err(Error::EmptyText { field });
    }
    let n = text.trim().chars().count();
    if n > max {
        return Err(Error::TextTooLong { field, len: n, max });
    }
    Ok(())
}

/// A character that shows: not white space, not a control, not an invisible
/// format character (zero-width space and joiners, BOM, soft hyphen, word
/// joiner, bidirectional marks).
fn visible(c: char) -> bool {
    !c.is_whitespace()
        && !c.is_control()
        && !matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Refuses a number outside `min..=max`.
pub fn check_range(field: &'static str, value: u64, min: u64, max: u64) -> Result<(), Error> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_must_show_something_and_hold_no_control_characters() {
        let rule = |r: Result<(), Error>| r.err().map(|e| e.rule());
        assert_eq!(rule(check_text("title", "关于增设公交站点", 10)), None);
        assert_eq!(
            rule(check_text("title", "\u{200B}\u{200B}\u{FEFF} ", 10)),
            Some("text-required"),
            "zero-width characters only"
        );
        assert_eq!(
            rule(check_text("title", "标题\0", 10)),
            Some("text-control-character")
        );
        assert_eq!(
            rule(check_text("title", "第一行\n第二行", 10)),
            Some("text-control-character"),
            "a title is one line"
        );
        assert_eq!(rule(check_text("text", "第一行\n第二行\t", 20)), None);
        assert_eq!(
            rule(check_text("text", "响铃\u{7}", 20)),
            Some("text-control-character")
        );
        assert_eq!(
            check_text("name", "王\u{1b}芳", 10)
                .unwrap_err()
                .to_string(),
            "name holds the control character U+001B at character 1; remove it"
        );
    }

    #[test]
    fn numbers_outside_their_domain_are_refused() {
        assert!(check_range("term", 18, 0, 99).is_ok());
        let e = check_range("term", 4_294_967_295, 0, 99).unwrap_err();
        assert_eq!(e.rule(), "number-range");
        assert!(e.to_string().contains("4294967295"), "{e}");
    }
}

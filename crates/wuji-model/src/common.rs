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
    let n = text.trim().chars().count();
    if n == 0 {
        return Err(Error::EmptyText { field });
    }
    if n > max {
        return Err(Error::TextTooLong { field, len: n, max });
    }
    Ok(())
}

//! The daily sweep of reminders: once a day by the node's clock (at start,
//! if that day's were not made yet, and when the date changes), the 临期 and
//! 超期 of every deadline this node must meet, written through the committer
//! as one log entry for the change feed, with the day they were made for: a
//! restart on the same day makes none again.

use super::notices;
use crate::index::{self, kind_byte};
use crate::{Error, Node};
use std::time::Duration;
use wuji_model::{Date, RecordKind};
use wuji_proto::pb;
use wuji_store::layout::index_prefix;

/// The store's note of the last day whose reminders were made.
pub const REMINDED: &[u8] = b"reminded_on";

/// Records read at a time.
const PAGE: usize = 512;
/// Calendar days that can hold 15 working days, a Spring Festival included,
/// with room to spare.
const HORIZON_DAYS: i64 = 60;

/// The reminders `node` owes on `today`: suggestions it handles whose
/// 答复期限 runs, assignments naming it as a target not reported done.
pub fn reminders(node: &Node, today: Date) -> Result<Vec<pb::Notice>, Error> {
    let code = node.code();
    let (rules, calendar) = (node.rules(), node.calendar().clone());
    let due = |r: &wuji_model::Record| notices::due(code, r, today, rules, &calendar);
    let mut out = Vec::new();
    // Suggestions whose 答复期限 runs, in deadline order, up to the last date
    // that can be within 15 working days (the rest are not due soon, and a
    // node may handle a million suggestions).
    let until = wuji_proto::date_to_i64(
        today
            .checked_add(jiff::Span::new().days(HORIZON_DAYS))
            .unwrap_or(today),
    );
    let running = index_prefix(index::DEADLINE, &[]);
    let mut after: Option<Vec<u8>> = None;
    'scan: loop {
        let page = node.layout().scan_index(&running, after.as_deref(), PAGE)?;
        let done = page.len() < PAGE;
        for (key, id) in page {
            let date = key
                .get(running.len()..running.len() + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(i64::MAX, |b| i64::from(u32::from_be_bytes(b)));
            if date > until {
                break 'scan;
            }
            if let Some(n) = node.read(&id)?.as_ref().and_then(&due) {
                out.push(n);
            }
            after = Some(key);
        }
        if done {
            break;
        }
    }
    let assignments = kind_byte(RecordKind::Assignment);
    let mut after = None;
    loop {
        let (page, next) = node.scan_kind(assignments, after, PAGE, |r| due(r).is_some())?;
        out.extend(page.iter().filter_map(due));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(out)
}

/// The day whose reminders were made last, if any.
fn reminded(node: &Node) -> Result<Option<Date>, Error> {
    Ok(node
        .layout()
        .meta(REMINDED)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|s| s.parse().ok()))
}

/// Makes today's reminders unless they were made: the sweep of one day.
pub async fn sweep(node: &Node) -> Result<usize, Error> {
    let today = node.today();
    if reminded(node)?.is_some_and(|d| d >= today) {
        return Ok(0);
    }
    let found = reminders(node, today)?;
    let n = found.len();
    node.remind(today, found).await?;
    if n > 0 {
        tracing::info!(day = %today, reminders = n, "made the day's reminders (临期, 超期) for the change feed");
    }
    Ok(n)
}

/// Sweeps at start and whenever the date by the node's clock changes
/// (looked at every `every`), until the node stops.
pub async fn run(node: Node, every: Duration) {
    let mut stop = node.stopping();
    loop {
        if *stop.borrow() {
            return;
        }
        if let Err(e) = sweep(&node).await {
            tracing::warn!(error = %e, "the day's reminders were not made; trying again");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

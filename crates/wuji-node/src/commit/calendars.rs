//! Official holiday calendars published by the national node: loaded from the
//! store at start, checked when they arrive from a peer, and put to use in the
//! batch after they are stored; then every 答复期限 this node fixed under a
//! provisional year is fixed again with the official calendar.

use super::{Op, State, Touched};
use crate::Error;
use crate::index::kind_byte;
use std::collections::BTreeMap;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::workflow as wf;
use wuji_model::{Date, Record, RecordId, RecordKind, published};
use wuji_store::layout::Layout;

/// Adds every calendar this node holds to `cal`.
pub(super) fn load_published(layout: &Layout, cal: &mut Calendar) -> Result<(), Error> {
    let held = layout.records(&[kind_byte(RecordKind::Calendar)], None, usize::MAX)?;
    let records: Vec<Record> = held.into_iter().map(|s| s.record).collect();
    published::apply(cal, &records);
    Ok(())
}

/// A calendar record from a peer must parse and name its year.
pub(super) fn check(rec: &Record) -> Result<(), wuji_model::Error> {
    if rec.id.kind == RecordKind::Calendar {
        published::check(rec)?;
    }
    Ok(())
}

impl State {
    /// After a batch: puts the calendars it stored to use, then fixes again
    /// the provisional deadlines this node set, in a batch of their own.
    pub(super) async fn calendars_arrived(
        &mut self,
        touched: &BTreeMap<RecordId, Touched>,
        wall: u64,
        today: Date,
    ) {
        let years: Vec<_> = touched
            .values()
            .filter(|t| t.now.id.kind == RecordKind::Calendar)
            .filter_map(|t| published::year_of(&t.now))
            .collect();
        if years.is_empty() {
            return;
        }
        {
            let mut cal = self.calendar.write().unwrap_or_else(|e| e.into_inner());
            for y in &years {
                tracing::info!(year = y.year, source = %y.source, "official holiday calendar in use from now on");
                cal.add(y.clone());
            }
        }
        let ids = match self.provisional_deadlines() {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "cannot list provisional deadlines");
                return;
            }
        };
        let mut again = BTreeMap::new();
        for id in ids {
            let op = Op::new(id, |ctx, cur| {
                let cur = cur.ok_or_else(|| Error::invalid("gone"))?;
                wf::refix_deadline(ctx, cur).ok_or_else(|| Error::invalid("unchanged"))
            });
            // A deadline the official calendar leaves as it was is no change.
            let _ = self.run_ops(vec![op], None, wall, today, &mut again);
        }
        if again.is_empty() {
            return;
        }
        if let Err(e) = self.summarise(&mut again, wall, today) {
            tracing::error!(error = %e, "summary not updated");
        }
        match self.write(&again, &[], None, today).await {
            Ok(seq) => {
                self.seq = seq;
                let _ = self.announce.send(seq);
                tracing::info!(
                    suggestions = again.len(),
                    "答复期限 fixed again with the official calendar"
                );
            }
            Err(e) => tracing::error!(error = %e, "deadlines not fixed again"),
        }
    }

    /// Suggestions whose 答复期限 this node fixed under a provisional year.
    fn provisional_deadlines(&self) -> Result<Vec<RecordId>, Error> {
        let mut out = Vec::new();
        let kind = [kind_byte(RecordKind::Suggestion)];
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            let chunk = self.layout.records(&kind, cursor.as_deref(), 256)?;
            let exhausted = chunk.len() < 256;
            for s in chunk {
                cursor = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                if s.record
                    .handling(self.node)
                    .is_some_and(|h| *h.deadline_provisional.get())
                {
                    out.push(s.record.id);
                }
            }
            if exhausted {
                return Ok(out);
            }
        }
    }
}

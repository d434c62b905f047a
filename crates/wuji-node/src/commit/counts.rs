//! The node's summary in the committer: each batch's change of the counts,
//! or a recount when the node's own summary came back from a peer, written in
//! the same batch as the records.

use super::{State, Touched};
use crate::Error;
use std::collections::BTreeMap;
use wuji_model::{Ctx, Date, Record, RecordId, authority, summary};
use wuji_proto::Signatures;

impl State {
    /// Adds this batch's change of the node's counts to its summary record, in
    /// the same batch: each touched record's contribution after, minus before.
    /// If a peer's state changed this node's own summary (it comes back only
    /// to a node that lost data: rebuilt from empty or restored from a backup),
    /// its counters are another store's and the records coming back with it
    /// would be counted twice: the node recounts from what it holds instead.
    pub(super) fn summarise(
        &mut self,
        touched: &mut BTreeMap<RecordId, Touched>,
        wall: u64,
        today: Date,
    ) -> Result<(), Error> {
        let sid = summary::id(self.node);
        if touched.contains_key(&sid) {
            return self.recount(touched, wall, today);
        }
        let mut changes = BTreeMap::new();
        for t in touched.values() {
            if t.now.id == sid {
                continue;
            }
            if summary::counts_as_child(&t.now, self.node, &self.adopted) {
                let d = summary::child_change(t.before.as_ref(), &t.now, self.node);
                summary::add_difference(&mut changes, &BTreeMap::new(), &d);
                continue;
            }
            let before = t
                .before
                .as_ref()
                .map(|b| summary::contribution_adopting(b, &self.rules, self.node, &self.adopted))
                .unwrap_or_default();
            summary::add_difference(
                &mut changes,
                &before,
                &summary::contribution_adopting(&t.now, &self.rules, self.node, &self.adopted),
            );
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.publish_summary(touched, wall, today, |ctx, current| {
            summary::publish(ctx, current, &changes)
        })
    }

    /// Recounts the node's summary over every record it holds, as this batch
    /// leaves them, and publishes exactly those counts.
    fn recount(
        &mut self,
        touched: &mut BTreeMap<RecordId, Touched>,
        wall: u64,
        today: Date,
    ) -> Result<(), Error> {
        let sid = summary::id(self.node);
        let mut full = BTreeMap::new();
        let mut held = 0usize;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.layout.records(&[], after.as_deref(), 1024)?;
            let done = page.len() < 1024;
            for s in page {
                after = Some(wuji_store::layout::record_key(&s.record.id).to_vec());
                if s.record.id == sid || touched.contains_key(&s.record.id) {
                    continue;
                }
                held += 1;
                let c = summary::contribution_adopting(
                    &s.record,
                    &self.rules,
                    self.node,
                    &self.adopted,
                );
                summary::add_difference(&mut full, &BTreeMap::new(), &c);
            }
            if done {
                break;
            }
        }
        let fresh = touched.values().map(|t| &t.now).filter(|r| r.id != sid);
        held += fresh.clone().count();
        for r in fresh {
            let c = summary::contribution_adopting(r, &self.rules, self.node, &self.adopted);
            summary::add_difference(&mut full, &BTreeMap::new(), &c);
        }
        tracing::warn!(
            records = held,
            "this node's own summary came back from a peer (the store was rebuilt or restored): recounted from the records held"
        );
        self.publish_summary(touched, wall, today, |ctx, current| {
            summary::restate(ctx, current, &full)
        })
    }

    /// Writes the summary delta that `make` computes from the current summary
    /// into the batch, stamped now.
    fn publish_summary(
        &mut self,
        touched: &mut BTreeMap<RecordId, Touched>,
        wall: u64,
        today: Date,
        make: impl FnOnce(&Ctx, Option<&Record>) -> Result<Record, wuji_model::Error>,
    ) -> Result<(), Error> {
        let sid = summary::id(self.node);
        let (before, current, sigs) = match touched.get(&sid) {
            Some(t) => (t.before.clone(), Some(t.now.clone()), t.sigs.clone()),
            None => match self.layout.record(&sid)? {
                Some(s) => (Some(s.record.clone()), Some(s.record), s.signatures),
                None => (None, None, Signatures::new()),
            },
        };
        let delta = self.step_now(wall, today, |ctx| Ok(make(ctx, current.as_ref())?))?;
        let now = authority::apply_local(self.node, current.as_ref(), &delta)?;
        touched.insert(
            sid,
            Touched {
                before,
                now,
                source: None,
                sigs,
                before_digest: None,
            },
        );
        Ok(())
    }
}

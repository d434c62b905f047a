//! The committer's write: one atomic batch of a group commit (log entries by
//! source, records with this node's sections signed, index and digest
//! changes, peer checkpoints, the clock), applied and flushed on the blocking
//! pool before anything is acknowledged.

use super::{State, Touched};
use crate::{Error, index};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use wuji_division::Code;
use wuji_model::routing::Horizon;
use wuji_model::{Date, RecordId};
use wuji_proto::pb;
use wuji_store::Batch;

impl State {
    /// Writes the batch and flushes it; returns the new log sequence.
    pub(super) async fn write(
        &mut self,
        touched: &BTreeMap<RecordId, Touched>,
        checkpoints: &[(Code, u64, Vec<u8>)],
        reminders: Option<(Date, Vec<pb::Notice>)>,
        today: Date,
    ) -> Result<u64, Error> {
        let mut batch = Batch::default();
        let mut by_source: BTreeMap<Option<Code>, Vec<RecordId>> = BTreeMap::new();
        for (id, t) in touched {
            by_source.entry(t.source).or_default().push(*id);
        }
        let mut seq = self.seq;
        let mut seq_of = BTreeMap::new();
        for (source, ids) in &by_source {
            seq += 1;
            let arrived = self.arrivals(ids, touched, today)?;
            self.layout.put_log(&mut batch, seq, ids, *source, arrived);
            for id in ids {
                seq_of.insert(*id, seq);
            }
        }
        if let Some((day, notices)) = reminders {
            if !notices.is_empty() {
                seq += 1;
                self.layout.put_log(&mut batch, seq, &[], None, notices);
            }
            self.layout.put_meta(
                &mut batch,
                crate::feed::sweep::REMINDED,
                day.to_string().into_bytes(),
            );
        }
        let mut digests = wuji_store::DigestChanges::default();
        for (id, t) in touched {
            let sigs = self.sign_own(t);
            let now_digest = self
                .layout
                .put_record(&mut batch, &t.now, &sigs, seq_of[id], t.source);
            let hide =
                |r: &wuji_model::Record| super::digests::hidden_from(r, self.parent, self.horizon);
            let stale =
                |r: &wuji_model::Record| super::digests::stale_at(r, self.node, self.horizon);
            let hides = self.parent.is_some() && self.horizon != Horizon::All;
            let subsets = wuji_store::Subsets {
                hidden: hides.then_some(&hide as &dyn Fn(&wuji_model::Record) -> bool),
                stale: &stale,
            };
            digests.record_in(
                t.before.as_ref(),
                t.before_digest,
                &t.now,
                now_digest,
                &subsets,
            );
            let old: BTreeSet<Vec<u8>> = t
                .before
                .as_ref()
                .map(|b| index::entries(b, &self.rules))
                .unwrap_or_default();
            let new = index::entries(&t.now, &self.rules);
            for k in old.difference(&new) {
                self.layout.delete_index(&mut batch, k);
            }
            for k in new.difference(&old) {
                self.layout.put_index(&mut batch, k);
            }
        }
        digests.write(&self.layout, &mut batch)?;
        let held: BTreeSet<RecordId> = self.holding.iter().map(|h| h.0.id).collect();
        for id in std::mem::take(&mut self.releasing) {
            if !held.contains(&id) {
                self.layout.delete_held(&mut batch, &id);
            }
        }
        for (record, sigs, source, due) in std::mem::take(&mut self.holding) {
            self.layout
                .put_held(&mut batch, &record, &sigs, due, source);
        }
        for (peer, cp, inc) in checkpoints {
            self.layout.put_checkpoint(&mut batch, *peer, *cp, inc);
        }
        self.layout.put_meta(
            &mut batch,
            b"hlc",
            self.clock.last().0.to_be_bytes().to_vec(),
        );
        let kv = Arc::clone(self.layout.kv());
        // Uncontended but for a backup: taken without awaiting (an await
        // may yield, and the simulator's schedule would change with it).
        let _gate = match self.gate.try_lock() {
            Ok(g) => g,
            Err(_) => self.gate.lock().await,
        };
        let started = std::time::Instant::now();
        if kv.blocks() {
            tokio::task::spawn_blocking(move || {
                kv.apply(batch)?;
                kv.flush()
            })
            .await??;
        } else {
            kv.apply(batch)?;
            kv.flush()?;
        }
        self.last_flush = started.elapsed();
        Ok(seq)
    }

    /// What arrived here with the changes of `ids`, for the change feed;
    /// with an arrival already 临期 or 超期 its reminder too, once today's
    /// sweep has run (before it, the sweep makes today's).
    fn arrivals(
        &self,
        ids: &[RecordId],
        touched: &BTreeMap<RecordId, Touched>,
        today: Date,
    ) -> Result<Vec<pb::Notice>, Error> {
        use crate::feed::notices;
        let mut out = Vec::new();
        let mut swept = None;
        for id in ids {
            let t = &touched[id];
            let Some(n) = notices::arrival(self.node, t.before.as_ref(), &t.now, today) else {
                continue;
            };
            out.push(n);
            let swept = match swept {
                Some(s) => s,
                None => {
                    let day = self.layout.meta(crate::feed::sweep::REMINDED)?;
                    *swept.insert(day.as_deref() == Some(today.to_string().as_bytes()))
                }
            };
            if swept {
                let calendar = self.calendar.read().unwrap_or_else(|e| e.into_inner());
                out.extend(notices::due(
                    self.node,
                    &t.now,
                    today,
                    &self.rules,
                    &calendar,
                ));
            }
        }
        Ok(out)
    }
}

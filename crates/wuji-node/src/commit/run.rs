//! One request's ops run against the batch's latest states: a local step
//! computes its delta and authority checks it; a peer's merged state is
//! applied section by section (held back if stamped too far ahead, refused
//! sections logged, signatures of the sections kept as they arrived).

use super::{Change, Op, State, Touched, calendars};
use crate::Error;
use std::collections::BTreeMap;
use wuji_division::Code;
use wuji_model::{Ctx, Date, Record, RecordId, authority, routing};
use wuji_proto::Signatures;

impl State {
    /// Runs one request's ops against the batch's latest states; all or nothing.
    /// Returns the records as merged (a local request's only: a peer's batch
    /// wants none back, and a copy of each would cost a clone per record) and
    /// the rules of the peer sections refused.
    pub(super) fn run_ops(
        &mut self,
        ops: Vec<Op>,
        source: Option<Code>,
        wall: u64,
        today: Date,
        touched: &mut BTreeMap<RecordId, Touched>,
    ) -> Result<(Vec<Record>, Vec<&'static str>), Error> {
        let mut local: BTreeMap<RecordId, Touched> = BTreeMap::new();
        let keep = source.is_none();
        let mut out = Vec::with_capacity(if keep { ops.len() } else { 0 });
        let mut refused = Vec::new();
        for mut op in ops {
            let read = match &mut op.change {
                Change::Remote(_, _, prior) => prior
                    .take()
                    .filter(|p| self.written.current(p, &op.id, self.seq)),
                Change::Local(_) => None,
            };
            let mut digest = None;
            let (current, mut sigs) = match local.get(&op.id).or_else(|| touched.get(&op.id)) {
                Some(t) => (Some(t.now.clone()), t.sigs.clone()),
                None => {
                    let stored = match read {
                        Some(p) => {
                            let (stored, d) = p.into_parts();
                            digest = d;
                            stored
                        }
                        None => self.layout.record(&op.id)?,
                    };
                    match stored {
                        Some(s) => (Some(s.record), s.signatures),
                        None => (None, Signatures::new()),
                    }
                }
            };
            let merged = match op.change {
                Change::Local(step) => {
                    let delta = self.step_now(wall, today, |ctx| step(ctx, current.as_ref()))?;
                    if delta.id != op.id {
                        return Err(Error::invalid("a step wrote another record"));
                    }
                    authority::apply_local(self.node, current.as_ref(), &delta)?
                }
                Change::Remote(mut state, incoming, _) => {
                    if self.broken_merge
                        && let Some(held) = &current
                    {
                        let keys: Vec<_> = held.sections().map(|(k, _)| *k).collect();
                        for k in keys {
                            state.take(k);
                        }
                    }
                    // A section stamped further ahead of this node's clock than
                    // clock.max_ahead_ms would win every later write of its
                    // owner until real time caught up: nothing of that record
                    // is stored, and the clock is not pulled forward.
                    let ahead = state.sections().find_map(|(k, s)| {
                        self.clock
                            .check_ahead(s.written_at().hlc, wall)
                            .err()
                            .map(|e| format!("{:?} of {}: {e}", k.role, k.owner))
                    });
                    if let Some(why) = ahead {
                        tracing::warn!(record = %op.id.uuid, rule = "clock-ahead", section = %why, "record from peer stamped in the future: held back until it is not");
                        refused.push("clock-ahead");
                        // Held back, not dropped: the sender's checkpoint
                        // moves on, and a record flowing down is covered by
                        // no digest check, so dropping it would lose it.
                        let latest = state
                            .sections()
                            .map(|(_, s)| s.written_at().hlc.physical_ms())
                            .max()
                            .unwrap_or(0);
                        let due = latest.saturating_sub(self.max_ahead_ms);
                        self.next_held = Some(self.next_held.map_or(due, |n| n.min(due)));
                        if keep {
                            out.push(current.clone().unwrap_or_else(|| state.clone()));
                        }
                        self.holding.push((state, incoming, source, due));
                        continue;
                    }
                    // Later local writes must follow the peer's clock.
                    for (_, s) in state.sections() {
                        let _ = self.clock.observe(s.written_at().hlc, wall);
                    }
                    let applied = authority::apply(current.as_ref(), &state);
                    for (key, e) in &applied.rejected {
                        tracing::warn!(record = %op.id.uuid, role = ?key.role, owner = %key.owner, rule = e.rule(), "refused section from peer");
                        refused.push("section-refused");
                    }
                    if let Err(e) = calendars::check(&applied.record) {
                        tracing::warn!(record = %op.id.uuid, rule = e.rule(), error = %e, "refused calendar from peer");
                        refused.push("calendar-invalid");
                        if keep {
                            out.push(current.clone().unwrap_or(applied.record));
                        }
                        continue;
                    }
                    if !routing::visible_to(&applied.record, self.node, self.horizon) {
                        tracing::warn!(record = %op.id.uuid, "refused record this node may not see");
                        refused.extend(std::iter::repeat_n("record-not-visible", state.len()));
                        if keep {
                            out.push(current.clone().unwrap_or(applied.record));
                        }
                        continue;
                    }
                    // A section that arrived and is now the stored version keeps
                    // its owner's signature.
                    for (key, section) in state.sections() {
                        if let Some(sig) = incoming.get(key)
                            && let Some(now) = applied.record.get(*key)
                            && (now == section
                                || wuji_proto::section_message(op.id, *key, now)
                                    == wuji_proto::section_message(op.id, *key, section))
                        {
                            sigs.insert(*key, sig.clone());
                        }
                    }
                    applied.record
                }
            };
            if keep {
                out.push(merged.clone());
            }
            if current.as_ref() == Some(&merged) || merged.is_empty() {
                continue; // nothing changed (or nothing left): no write, no log entry
            }
            // Only read the batch's state here: this request may still fail, and
            // then the changes of earlier requests in the batch must stay.
            let prior = local.get(&op.id).or_else(|| touched.get(&op.id));
            let (before, src, before_digest) = match prior {
                Some(t) => (
                    t.before.clone(),
                    if t.source == source { source } else { None },
                    t.before_digest,
                ),
                None => (current, source, digest),
            };
            local.insert(
                op.id,
                Touched {
                    before,
                    now: merged,
                    source: src,
                    sigs,
                    before_digest,
                },
            );
        }
        touched.extend(local);
        Ok((out, refused))
    }

    /// Runs `step` with a context stamped now by this node's clock.
    pub(super) fn step_now(
        &mut self,
        wall: u64,
        today: Date,
        step: impl FnOnce(&Ctx) -> Result<Record, Error>,
    ) -> Result<Record, Error> {
        let at = self.stamp(wall)?;
        let calendar = self.calendar.read().unwrap_or_else(|e| e.into_inner());
        let ctx = Ctx {
            node: self.node,
            at,
            today,
            rules: &self.rules,
            calendar: &calendar,
        };
        step(&ctx)
    }
}

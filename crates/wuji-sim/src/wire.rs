//! The simulated network's wire: every message between two nodes crosses
//! here, so this is where delays, duplicates (a link reset after a batch is
//! delivered, so the sender sends it again) and losses come from, and where
//! bytes per link and the time from a township's write to each ancestor are
//! measured.

use crate::clock::SimTime;
use crate::rng::Rng;
use prost::Message;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use wuji_division::Code;
use wuji_model::RecordId;
use wuji_node::sync::{Carry, Wire};
use wuji_proto::pb;

/// How messages cross.
#[derive(Debug, Clone, Copy)]
pub struct WireFaults {
    /// Smallest and largest one-way delay (ms).
    pub delay_ms: (u64, u64),
    /// Share of batches after which the link resets (the batch is delivered,
    /// its acknowledgement is not: the sender sends it again).
    pub duplicate: f64,
    /// Share of messages lost with their link.
    pub loss: f64,
}

/// What the wire saw.
#[derive(Debug, Default)]
struct Meter {
    rng: Option<Rng>,
    /// Bytes carried per (from, to).
    bytes: BTreeMap<(Code, Code), u64>,
    messages: u64,
    by_kind: BTreeMap<&'static str, u64>,
    resets: u64,
    /// Traced writes: when they were written (simulated ms).
    /// Traced writes: when, and how many levels above the home they go.
    traced: HashMap<RecordId, (u64, usize)>,
    arrived: HashSet<(RecordId, Code)>,
    /// (receiver, ms from the write to its first arrival there).
    latencies: Vec<(Code, u64)>,
}

/// The wire of one run.
pub struct SimWire {
    faults: WireFaults,
    time: SimTime,
    meter: Mutex<Meter>,
}

/// What the wire measured, for the report.
#[derive(Debug, Default, Clone)]
pub struct Measured {
    /// Bytes carried per (from, to).
    pub bytes: BTreeMap<(Code, Code), u64>,
    /// Messages carried.
    pub messages: u64,
    /// Messages carried by kind (hello, batch, ack, keep_alive, refusal, probe, verdict).
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Links reset by the wire.
    pub resets: u64,
    /// (receiver, ms from a traced township write to its arrival there).
    pub latencies: Vec<(Code, u64)>,
}

impl SimWire {
    /// A wire with `faults`, drawing from `rng`, timing with `time`.
    pub fn new(faults: WireFaults, rng: Rng, time: SimTime) -> SimWire {
        SimWire {
            faults,
            time,
            meter: Mutex::new(Meter {
                rng: Some(rng),
                ..Meter::default()
            }),
        }
    }

    fn meter(&self) -> std::sync::MutexGuard<'_, Meter> {
        self.meter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Times `id`, written now, to each node up to `levels` above its home
    /// that it reaches (those it goes to as written, under the horizon; a
    /// node above gets it only if it is escalated or supervised later).
    pub fn trace(&self, id: RecordId, levels: usize) {
        let now = self.time.elapsed_ms();
        self.meter().traced.insert(id, (now, levels));
    }

    /// What was measured so far.
    pub fn measured(&self) -> Measured {
        let m = self.meter();
        Measured {
            bytes: m.bytes.clone(),
            messages: m.messages,
            by_kind: m.by_kind.clone(),
            resets: m.resets,
            latencies: m.latencies.clone(),
        }
    }
}

impl Wire for SimWire {
    fn carry(&self, from: Code, to: Code, msg: &pb::SyncMessage) -> Carry {
        let f = self.faults;
        let mut m = self.meter();
        let delay_ms = m
            .rng
            .as_mut()
            .expect("the wire's generator")
            .range(f.delay_ms.0, f.delay_ms.1 + 1);
        // Timed at delivery (messages on one link keep their order, so a
        // message behind a slow one may arrive a little later still).
        let now = self.time.elapsed_ms() + delay_ms;
        m.messages += 1;
        use pb::sync_message::Msg;
        let kind = match &msg.msg {
            Some(Msg::Hello(_)) => "hello",
            Some(Msg::Batch(b)) if b.repair => "repair",
            Some(Msg::Batch(b)) if b.records.is_empty() => "checkpoint",
            Some(Msg::Batch(_)) => "batch",
            Some(Msg::Ack(_)) => "ack",
            Some(Msg::KeepAlive(_)) => "keep_alive",
            Some(Msg::Refusal(_)) => "refusal",
            Some(Msg::Probe(_)) => "probe",
            Some(Msg::Verdict(_)) => "verdict",
            Some(Msg::Drill(_)) => "drill",
            Some(Msg::Drilled(_)) => "drilled",
            None => "empty",
        };
        *m.by_kind.entry(kind).or_default() += 1;
        *m.bytes.entry((from, to)).or_default() += msg.encoded_len() as u64;
        let batch = match &msg.msg {
            Some(pb::sync_message::Msg::Batch(b)) => Some(b),
            _ => None,
        };
        if let Some(b) = batch
            && !m.traced.is_empty()
        {
            for r in &b.records {
                let Some(id) =
                    r.id.as_ref()
                        .and_then(|p| wuji_proto::record_id_from_pb(p).ok())
                else {
                    continue;
                };
                if let Some((at, levels)) = m.traced.get(&id).copied()
                    && id.home.ancestors().take(levels).any(|a| a == to)
                    && m.arrived.insert((id, to))
                {
                    m.latencies.push((to, now.saturating_sub(at)));
                }
            }
        }
        let Meter { rng, resets, .. } = &mut *m;
        let rng = rng.as_mut().expect("the wire's generator");
        let delay = Duration::from_millis(delay_ms);
        if rng.chance(f.loss) {
            *resets += 1;
            return Carry::Reset;
        }
        if batch.is_some() && rng.chance(f.duplicate) {
            *resets += 1;
            return Carry::ThenReset(delay);
        }
        Carry::After(delay)
    }
}

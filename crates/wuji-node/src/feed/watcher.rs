//! One watcher's task: reads the log after its position through the shared
//! tail, sends what its filter keeps (changes as encoded once for every
//! watcher), waits for the next batch or sends a heartbeat, and ends when the
//! watcher goes or the node stops.

use super::Filter;
use super::cursor::{self, Position};
use super::tail::Tail;
use crate::{Error, Node};
use bytes::Bytes;
use prost::Message;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::Status;
use wuji_proto::{pb, record_id_from_pb};

/// One watcher's task.
pub(super) struct Watcher {
    pub(super) node: Node,
    /// What every watcher of the node shares.
    pub(super) tail: Arc<Tail>,
    /// The node is stopping: the watcher ends (the client reconnects).
    pub(super) stop: tokio::sync::watch::Receiver<bool>,
    pub(super) filter: Filter,
    pub(super) incarnation: Vec<u8>,
    pub(super) at: Position,
    pub(super) tx: mpsc::Sender<Result<Bytes, Status>>,
    pub(super) heartbeat: Duration,
}

/// The watcher has gone.
struct Gone;

impl Watcher {
    /// Runs until the watcher goes or the node stops (the watcher is then
    /// told, so that it reconnects).
    pub(super) async fn run_to_end(&mut self) {
        if let Err(e) = self.run().await {
            let _ = self.tx.send(Err(e.into())).await;
        }
    }

    async fn run(&mut self) -> Result<(), Error> {
        let mut durable = self.node.watch_seq();
        loop {
            if *self.stop.borrow() {
                return Err(Error::ShuttingDown);
            }
            let upto = *durable.borrow_and_update();
            match self.send_after(upto).await? {
                Err(Gone) => return Ok(()),
                Ok(true) => continue,
                Ok(false) => {}
            }
            // Caught up: wait for the next batch, or send a heartbeat.
            tokio::select! {
                changed = durable.changed() => {
                    if changed.is_err() {
                        return Err(Error::ShuttingDown);
                    }
                }
                _ = tokio::time::sleep(self.heartbeat) => {
                    let beat = pb::WatchEvent {
                        cursor: self.cursor(),
                        seq: self.at.seq,
                        event: Some(pb::watch_event::Event::Heartbeat(pb::Heartbeat {
                            now_ms: self.node.now_ms(),
                            last_seq: self.node.durable(),
                        })),
                        record: None,
                    };
                    if self.deliver(beat.encode_to_vec().into()).await.is_err() {
                        return Ok(());
                    }
                }
                _ = self.tx.closed() => return Ok(()),
                _ = self.stop.changed() => return Err(Error::ShuttingDown),
            }
        }
    }

    fn cursor(&self) -> String {
        cursor::encode(&self.incarnation, self.at)
    }

    /// Sends what the log holds after the position, up to `durable`, one
    /// window; `Ok(true)` if it read any entry.
    async fn send_after(&mut self, durable: u64) -> Result<Result<bool, Gone>, Error> {
        let entries = self
            .tail
            .window(&self.node, self.at.read_after(), durable)?;
        if entries.is_empty() {
            return Ok(Ok(false));
        }
        for e in entries {
            let n = e.ids.len() as u32;
            for (i, id) in e.ids.iter().enumerate() {
                let item = i as u32;
                if !self.at.before(e.seq, item) {
                    continue;
                }
                // None: changed again later, and sent there (or gone).
                let Some(h) = self.tail.record(&self.node, id, e.seq, item)? else {
                    continue;
                };
                if self.filter.keeps(&self.node, &h) {
                    self.at = Position {
                        seq: e.seq,
                        item: Some(item),
                    };
                    if self.deliver(h.event.clone()).await.is_err() {
                        return Ok(Err(Gone));
                    }
                }
            }
            for (j, notice) in e.notices.iter().enumerate() {
                let item = n + j as u32;
                if !self.at.before(e.seq, item) {
                    continue;
                }
                let held = match notice.record.as_ref().map(record_id_from_pb) {
                    Some(Ok(id)) => self.node.read(&id)?,
                    _ => None,
                };
                let Some(rec) = held else { continue };
                if self.filter.keeps_notice(&self.node, &rec) {
                    self.at = Position {
                        seq: e.seq,
                        item: Some(item),
                    };
                    let ev = pb::WatchEvent {
                        cursor: self.cursor(),
                        seq: e.seq,
                        event: Some(pb::watch_event::Event::Notice(notice.clone())),
                        record: Some(crate::api::reply(&self.node, &rec, 0)),
                    };
                    if self.deliver(ev.encode_to_vec().into()).await.is_err() {
                        return Ok(Err(Gone));
                    }
                }
            }
            self.at = Position {
                seq: e.seq,
                item: None,
            };
        }
        Ok(Ok(true))
    }

    /// Sends one encoded event, waiting while the watcher's buffer is full,
    /// unless the node stops or the watcher goes meanwhile.
    async fn deliver(&mut self, ev: Bytes) -> Result<(), Gone> {
        tokio::select! {
            sent = self.tx.send(Ok(ev)) => sent.map_err(|_| Gone),
            _ = self.stop.changed() => Err(Gone),
        }
    }
}

//! Peers' states held back because their stamps were ahead of this node's
//! clock: when the earliest is due, and applying those now due.

use super::{Op, Request, State};
use tokio::sync::oneshot;

impl State {
    /// How long until the earliest held-back state is due (looked at once a
    /// minute at most, since the wall clock can be set right meanwhile).
    pub(super) fn held_wait(&self) -> Option<std::time::Duration> {
        let due = self.next_held?;
        let ms = due.saturating_sub(self.wall.now_ms()).min(60_000);
        Some(std::time::Duration::from_millis(ms))
    }

    /// Applies the held-back states now due, as the peers' states they are.
    pub(super) async fn release_due(&mut self) {
        let wall = self.wall.now_ms();
        let held = match self.layout.held() {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "held-back records unreadable");
                self.next_held = None;
                return;
            }
        };
        let (due, later): (Vec<_>, Vec<_>) = held.into_iter().partition(|s| s.seq <= wall);
        self.next_held = later.iter().map(|s| s.seq).min();
        if due.is_empty() {
            return;
        }
        tracing::info!(
            records = due.len(),
            "applying peers' records held back until their stamps were no longer ahead"
        );
        let reqs = due
            .into_iter()
            .map(|s| {
                self.releasing.push(s.record.id);
                Request {
                    ops: vec![Op::remote(s.record, s.signatures)],
                    source: s.source,
                    checkpoint: None,
                    reminders: None,
                    reply: oneshot::channel().0,
                }
            })
            .collect();
        let _ = self.commit(reqs).await;
    }
}

//! The faults a run injects, as the driver carries them out: partitions
//! and heals of links, crashes and restarts of nodes, restores from backups.

use super::*;

impl Sim {
    /// Carries out one fault.
    pub(super) fn fault(&mut self, f: Fault) -> Result<(), Error> {
        match f {
            Fault::Cut(c) => {
                let n = self.cuts.entry(c).or_default();
                *n += 1;
                if *n == 1 {
                    self.net.cut(c);
                    self.tally.partitions += 1;
                }
            }
            Fault::Heal(c) => {
                if let Some(n) = self.cuts.get_mut(&c) {
                    *n -= 1;
                    if *n == 0 {
                        self.cuts.remove(&c);
                        self.net.heal(c);
                    }
                }
            }
            Fault::Crash(c) => {
                if self.slots[&c].running.is_some() {
                    self.crash(c);
                    self.tally.crashes += 1;
                }
            }
            Fault::Restart(c) => {
                if self.slots[&c].running.is_none() {
                    self.boot(c)?;
                }
            }
            Fault::Backup(c) => {
                let slot = self.slots.get_mut(&c).expect("a node of the run");
                slot.backup = Some(slot.kv.snapshot());
            }
            Fault::Restore(c) => {
                let Some(backup) = self.slots.get_mut(&c).and_then(|s| s.backup.take()) else {
                    return Ok(());
                };
                self.crash(c);
                let backup = Arc::new(backup);
                // What the node acknowledged after the backup and no neighbour
                // holds is gone with the restore (the operator chose an old
                // backup); everything else must come back.
                let mut keep: Vec<wuji_store::Layout> = Vec::new();
                keep.push(wuji_store::Layout::open(backup.clone())?);
                for n in self
                    .topo
                    .parent(c)
                    .into_iter()
                    .chain(self.topo.children(c).iter().copied())
                {
                    if let Some(node) = self.node(n) {
                        keep.push(node.layout().clone());
                    } else {
                        keep.push(wuji_store::Layout::open(self.slots[&n].kv.clone())?);
                    }
                }
                self.tally.lost_to_restore += self.ledger.excuse(c, &keep)?;
                self.slots.get_mut(&c).expect("a node").kv = backup;
                self.boot(c)?;
                self.tally.restores += 1;
            }
            Fault::Clock(c, ms) => self.slots[&c].clock.set_skew(ms),
        }
        Ok(())
    }
}

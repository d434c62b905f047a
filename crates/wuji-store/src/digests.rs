//! Scope digests kept with the records: for every region (a congress code) and
//! record kind, the XOR of the public digests of the records homed inside it and
//! their count. Updated in the same batch as the records, so they are always
//! exact; compared by sync to find and repair divergence between a parent and a
//! child, and served by the `Digest` RPC without a scan.
//!
//! Key: `D`, scope code (u32 big-endian), kind byte. Value: 32 digest bytes, then
//! the count (u64 big-endian).
//!
//! Beside them, under `N`, the same for the records the node's link parent is
//! not entitled to (detail below the routing horizon): a child compares with
//! its parent the digests of what both hold, `D` less `N`. Rebuilt whenever
//! what counts as hidden changes (another horizon or parent).
//!
//! And under `S`, the same for the records the node holds but is no longer
//! entitled to itself (kept, not updated, after the horizon was narrowed): a
//! parent answers its child's probe with the digests of what it holds there
//! less these, so such records do not make a link repair for ever.

use crate::layout::{hex, prefixed, record_key};
use crate::{Batch, Error, Layout};
use std::collections::BTreeMap;
use wuji_model::{Code, Record};
use wuji_proto::{Digest, public_digest};

const DIGEST: u8 = b'D';
const HIDDEN: u8 = b'N';
const STALE: u8 = b'S';
/// Meta key marking the digests as built for every stored record, with the
/// canonical encoding's version (2: a summary's counters as one register):
/// a store built under another is rebuilt at start, since a record's digest
/// changes with its encoding.
const BUILT: &[u8] = b"digests-2";
/// Meta key naming what the hidden digests were built for.
const HIDDEN_FOR: &[u8] = b"hidden-digests";

/// The digest and count of the records of one kind in one scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeDigest {
    /// XOR of the records' public digests.
    pub digest: Digest,
    /// How many records.
    pub records: u64,
}

impl ScopeDigest {
    fn combine(&mut self, other: &ScopeDigest) {
        self.digest.toggle(&other.digest);
        self.records = self.records.wrapping_add(other.records);
    }

    /// Takes the records of `other` (a subset of these) out.
    fn without(&mut self, other: &ScopeDigest) {
        self.digest.toggle(&other.digest);
        self.records = self.records.wrapping_sub(other.records);
    }
}

fn key(scope: Code, kind: u8) -> Vec<u8> {
    key_of(DIGEST, scope, kind)
}

fn key_of(prefix: u8, scope: Code, kind: u8) -> Vec<u8> {
    let mut k = scope.value().to_be_bytes().to_vec();
    k.push(kind);
    prefixed(prefix, &k)
}

/// The scope-digest change of a record going from `before` to `now` (either
/// absent): its public digest toggled in or out, the count moved.
fn change(before: Option<&Record>, now: Option<&Record>) -> ScopeDigest {
    change_of(before.map(public_digest), now.map(public_digest))
}

/// [`change`] from the public digests, computed once by the caller.
fn change_of(before: Option<Digest>, now: Option<Digest>) -> ScopeDigest {
    let mut d = ScopeDigest::default();
    if let Some(b) = before {
        d.digest.toggle(&b);
        d.records = d.records.wrapping_sub(1);
    }
    if let Some(n) = now {
        d.digest.toggle(&n);
        d.records = d.records.wrapping_add(1);
    }
    d
}

fn add_to_scopes(map: &mut BTreeMap<(Code, u8), ScopeDigest>, rec: &Record, d: &ScopeDigest) {
    if d.records == 0 && d.digest == Digest::default() {
        return; // a change of personal fields only
    }
    let kind = record_key(&rec.id)[0];
    let home = rec.id.home;
    for scope in std::iter::once(home).chain(home.ancestors()) {
        map.entry((scope, kind)).or_default().combine(d);
    }
}

/// The changes a batch makes to scope digests; written with the batch.
#[derive(Debug, Default)]
pub struct DigestChanges {
    /// Per (scope, kind): the digest to XOR in and the count change (wrapping).
    by_scope: BTreeMap<(Code, u8), ScopeDigest>,
    /// The same for the records hidden from the link parent.
    hidden: BTreeMap<(Code, u8), ScopeDigest>,
    /// The same for the records the node is not entitled to itself.
    stale: BTreeMap<(Code, u8), ScopeDigest>,
}

/// What the committer says of a record's versions besides its digest: hidden
/// from the link parent, or not entitled here (stale).
pub struct Subsets<'a> {
    /// Hidden from the link parent (`None`: nothing is, no parent or `all`).
    pub hidden: Option<&'a dyn Fn(&Record) -> bool>,
    /// Not entitled to the node itself.
    pub stale: &'a dyn Fn(&Record) -> bool,
}

impl DigestChanges {
    /// Notes that a record went from `before` (absent if new) to `now`.
    pub fn record(&mut self, before: Option<&Record>, now: &Record) {
        add_to_scopes(&mut self.by_scope, now, &change(before, Some(now)));
    }

    /// [`record`](Self::record) and the subsets a version is in, each
    /// version's digest computed once (the committer's path: a node's summary
    /// changes with every batch). `known` is `before`'s public digest where
    /// it was computed already (off the committer's path); `now_digest` is
    /// `now`'s, as [`Layout::put_record`](crate::Layout::put_record) returned it.
    pub fn record_in(
        &mut self,
        before: Option<&Record>,
        known: Option<Digest>,
        now: &Record,
        now_digest: Digest,
        subsets: &Subsets<'_>,
    ) {
        let bd = before.map(|b| known.unwrap_or_else(|| public_digest(b)));
        let nd = now_digest;
        add_to_scopes(&mut self.by_scope, now, &change_of(bd, Some(nd)));
        let subset = |map: &mut BTreeMap<(Code, u8), ScopeDigest>, is: &dyn Fn(&Record) -> bool| {
            let b = before.filter(|b| is(b)).and(bd);
            let n = is(now).then_some(nd);
            if b.is_some() || n.is_some() {
                add_to_scopes(map, now, &change_of(b, n));
            }
        };
        if let Some(hide) = subsets.hidden {
            subset(&mut self.hidden, hide);
        }
        subset(&mut self.stale, subsets.stale);
    }

    /// Notes the same change among the records hidden from the link parent:
    /// `before` and `now` are given where that version is hidden.
    pub fn hidden(&mut self, before: Option<&Record>, now: Option<&Record>) {
        if let Some(r) = now.or(before) {
            add_to_scopes(&mut self.hidden, r, &change(before, now));
        }
    }

    /// Adds the new digests to `batch` (reading the current ones from `layout`).
    pub fn write(self, layout: &Layout, batch: &mut Batch) -> Result<(), Error> {
        for ((scope, kind), change) in self.by_scope {
            let mut sd = layout.scope_digest_of_kind(scope, kind)?;
            sd.combine(&change);
            batch.put(key(scope, kind), encode(&sd));
        }
        for (prefix, map) in [(HIDDEN, self.hidden), (STALE, self.stale)] {
            for ((scope, kind), change) in map {
                let mut sd = layout.read_digest(key_of(prefix, scope, kind))?;
                sd.combine(&change);
                batch.put(key_of(prefix, scope, kind), encode(&sd));
            }
        }
        Ok(())
    }
}

/// A key just before every digest key of `code` (for scans starting there).
fn key_before(code: u32) -> Vec<u8> {
    let mut k = vec![DIGEST];
    k.extend_from_slice(&code.saturating_sub(1).to_be_bytes());
    k.push(u8::MAX);
    k
}

fn encode(sd: &ScopeDigest) -> Vec<u8> {
    let mut v = sd.digest.0.to_vec();
    v.extend_from_slice(&sd.records.to_be_bytes());
    v
}

impl Layout {
    /// The digest of the records of kind byte `kind` homed inside `scope`.
    pub fn scope_digest_of_kind(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.read_digest(key(scope, kind))
    }

    /// The digest of the records of kind byte `kind` homed inside `scope` that
    /// the link parent is entitled to: what it should hold of that scope.
    pub fn parent_digest_of_kind(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.scope_digest_less(scope, kind, HIDDEN)
    }

    /// The digest of the records of kind byte `kind` homed inside `scope` that
    /// this node holds and is entitled to: what a parent answers a probe with.
    pub fn own_digest_of_kind(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.scope_digest_less(scope, kind, STALE)
    }

    /// The scope digest less the subset kept under `prefix` (`N` or `S`).
    fn scope_digest_less(&self, scope: Code, kind: u8, prefix: u8) -> Result<ScopeDigest, Error> {
        let mut sd = self.scope_digest_of_kind(scope, kind)?;
        sd.without(&self.read_digest(key_of(prefix, scope, kind))?);
        Ok(sd)
    }

    /// [`Layout::exact_digest`] of what this node is entitled to.
    pub fn own_exact_digest(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.exact_of(scope, kind, Self::own_digest_of_kind)
    }

    /// [`Layout::exact_digest`] of what the link parent is entitled to.
    pub fn parent_exact_digest(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.exact_of(scope, kind, Self::parent_digest_of_kind)
    }

    /// `of_kind` of `scope` less `of_kind` of each region below it.
    fn exact_of(
        &self,
        scope: Code,
        kind: u8,
        of_kind: fn(&Self, Code, u8) -> Result<ScopeDigest, Error>,
    ) -> Result<ScopeDigest, Error> {
        let mut sd = of_kind(self, scope, kind)?;
        for sub in self.sub_scopes(scope, kind)? {
            sd.without(&of_kind(self, sub, kind)?);
        }
        Ok(sd)
    }

    /// Rebuilds the hidden and stale digests (see the module) unless they
    /// were built for `tag` (naming the horizon and the parent); `hidden` says
    /// whether the link parent is not entitled to a record, `stale` whether
    /// this node is not. Returns the records read.
    pub fn ensure_hidden_digests(
        &self,
        tag: &[u8],
        hidden: &dyn Fn(&Record) -> bool,
        stale: &dyn Fn(&Record) -> bool,
    ) -> Result<u64, Error> {
        if self.meta(HIDDEN_FOR)?.as_deref() == Some(tag) {
            return Ok(0);
        }
        let mut changes = DigestChanges::default();
        let n = self.each_record(|r| {
            if hidden(r) {
                changes.hidden(None, Some(r));
            }
            if stale(r) {
                add_to_scopes(&mut changes.stale, r, &change(None, Some(r)));
            }
        })?;
        let mut batch = Batch::default();
        for prefix in [HIDDEN, STALE] {
            for (k, _) in self.kv().scan(&[prefix], None, usize::MAX)? {
                batch.delete(k);
            }
        }
        self.kv().apply(batch)?;
        let mut puts = Batch::default();
        for (prefix, map) in [(HIDDEN, changes.hidden), (STALE, changes.stale)] {
            for ((scope, kind), sd) in map {
                puts.put(key_of(prefix, scope, kind), encode(&sd));
            }
        }
        self.put_meta(&mut puts, HIDDEN_FOR, tag.to_vec());
        self.kv().apply(puts)?;
        self.kv().flush()?;
        Ok(n)
    }

    /// Calls `f` with every stored record, a page at a time; returns how many.
    fn each_record(&self, mut f: impl FnMut(&Record)) -> Result<u64, Error> {
        let mut after: Option<Vec<u8>> = None;
        let mut n = 0u64;
        loop {
            let page = self.records(&[], after.as_deref(), 1024)?;
            let last = page.len() < 1024;
            for s in page {
                after = Some(record_key(&s.record.id).to_vec());
                f(&s.record);
                n += 1;
            }
            if last {
                return Ok(n);
            }
        }
    }

    fn read_digest(&self, k: Vec<u8>) -> Result<ScopeDigest, Error> {
        let Some(v) = self.kv().get(&k)? else {
            return Ok(ScopeDigest::default());
        };
        if v.len() != 40 {
            return Err(Error::Corrupt {
                key: hex(&k),
                reason: format!("digest value of {} bytes", v.len()),
            });
        }
        let mut d = [0u8; 32];
        d.copy_from_slice(&v[..32]);
        let mut n = [0u8; 8];
        n.copy_from_slice(&v[32..]);
        Ok(ScopeDigest {
            digest: Digest(d),
            records: u64::from_be_bytes(n),
        })
    }

    /// The digest of the records homed inside `scope`, of one kind byte or of all.
    pub fn scope_digest(&self, scope: Code, kind: Option<u8>) -> Result<ScopeDigest, Error> {
        self.sum_kinds(scope, kind, Self::scope_digest_of_kind)
    }

    /// [`Layout::scope_digest`] of what this node is entitled to (less what it
    /// holds from before the horizon was narrowed).
    pub fn own_scope_digest(&self, scope: Code, kind: Option<u8>) -> Result<ScopeDigest, Error> {
        self.sum_kinds(scope, kind, Self::own_digest_of_kind)
    }

    /// [`Layout::scope_digest`] of what the link parent is entitled to.
    pub fn parent_scope_digest(&self, scope: Code, kind: Option<u8>) -> Result<ScopeDigest, Error> {
        self.sum_kinds(scope, kind, Self::parent_digest_of_kind)
    }

    fn sum_kinds(
        &self,
        scope: Code,
        kind: Option<u8>,
        of_kind: fn(&Self, Code, u8) -> Result<ScopeDigest, Error>,
    ) -> Result<ScopeDigest, Error> {
        match kind {
            Some(k) => of_kind(self, scope, k),
            None => {
                let mut total = ScopeDigest::default();
                for (k, _) in self.kv().scan(&key(scope, 0)[..5], None, 256)? {
                    if let Some(&kind) = k.get(5) {
                        total.combine(&of_kind(self, scope, kind)?);
                    }
                }
                Ok(total)
            }
        }
    }

    /// The regions directly below `scope` that hold records of kind byte `kind`
    /// here (division children, by the parent rule), in code order.
    pub fn sub_scopes(&self, scope: Code, kind: u8) -> Result<Vec<Code>, Error> {
        let v = u64::from(scope.value());
        // Where the codes below a 6-digit code lie: 6-digit ones within the
        // next 10,000 values, 9-digit ones (townships) within its thousandfold
        // range. Townships have nothing below.
        let ranges: &[(u64, u64)] = if scope.value() >= 100_000_000 {
            &[]
        } else if scope == Code::NATIONAL {
            &[(100_001, 999_999)]
        } else {
            &[(v + 1, v + 9_999), (v * 1_000, v * 1_000 + 999_999)]
        };
        let mut out = Vec::new();
        for &(lo, hi) in ranges {
            let Ok(lo) = u32::try_from(lo) else { continue };
            let mut after: Option<Vec<u8>> = Some(key_before(lo));
            'scan: loop {
                let page = self.kv().scan(&[DIGEST], after.as_deref(), 1024)?;
                let last = page.len() < 1024;
                for (k, v) in page {
                    let code = k
                        .get(1..5)
                        .and_then(|b| b.try_into().ok())
                        .map(u32::from_be_bytes)
                        .unwrap_or(u32::MAX);
                    if u64::from(code) > hi {
                        break 'scan;
                    }
                    after = Some(k.clone());
                    let holds = v.get(32..40).is_some_and(|n| n != [0u8; 8]);
                    if k.get(5) == Some(&kind)
                        && holds
                        && let Ok(c) = Code::from_value(code)
                        && c.parent() == Some(scope)
                    {
                        out.push(c);
                    }
                }
                if last {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The digest of the records of kind byte `kind` homed exactly at `scope`
    /// (its region without the regions below it).
    pub fn exact_digest(&self, scope: Code, kind: u8) -> Result<ScopeDigest, Error> {
        self.exact_of(scope, kind, Self::scope_digest_of_kind)
    }

    /// Builds the scope digests from the stored records if this store has none
    /// yet, or has them for another encoding (see `BUILT`); returns how many
    /// records it read.
    pub fn ensure_digests(&self) -> Result<u64, Error> {
        if self.meta(BUILT)?.is_some() {
            return Ok(0);
        }
        let mut changes = DigestChanges::default();
        let n = self.each_record(|r| changes.record(None, r))?;
        let mut batch = Batch::default();
        for (k, _) in self.kv().scan(&[DIGEST], None, usize::MAX)? {
            batch.delete(k);
        }
        let mut puts = Batch::default();
        for ((scope, kind), sd) in changes.by_scope {
            puts.put(key(scope, kind), encode(&sd));
        }
        // Deletes apply after puts within a batch: clear first, then write.
        self.kv().apply(batch)?;
        self.put_meta(&mut puts, BUILT, vec![1]);
        self.kv().apply(puts)?;
        self.kv().flush()?;
        Ok(n)
    }
}

//! The canonical encoding of a record and its digest; scope digests combine them.

use crate::convert::{Signatures, record_to_state, sign_state};
use crate::pb;
use prost::Message;
use sha2::{Digest as _, Sha256};
use std::fmt;
use wuji_model::Record;

/// A SHA-256 digest. Scope digests XOR the digests of their records, so they are
/// independent of order and can be maintained incrementally (add or remove one
/// record's digest when it changes).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// XORs `other` into this digest (adds a record to, or removes it from, a scope).
    pub fn toggle(&mut self, other: &Digest) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a ^= b;
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// The canonical bytes of a record: its state message with every collection in
/// key order, unset registers omitted and no signatures. Two replicas holding the
/// same merged record produce the same bytes.
pub fn canonical_bytes(rec: &Record) -> Vec<u8> {
    let mut state: pb::RecordState = record_to_state(rec);
    for s in &mut state.sections {
        s.signature.clear();
    }
    state.encode_to_vec()
}

/// The SHA-256 of a record's canonical bytes.
pub fn digest(rec: &Record) -> Digest {
    Digest(Sha256::digest(canonical_bytes(rec)).into())
}

/// The digest of a record as every node entitled to it holds it: personal fields
/// left out (they stop at the owner's parent), so the owner, its parent and the
/// nodes above agree. Scope digests are made of these.
pub fn public_digest(rec: &Record) -> Digest {
    if has_personal(rec) {
        digest(&wuji_model::routing::public(rec))
    } else {
        digest(rec) // nothing to leave out: no copy
    }
}

/// Whether a record has sections whose personal fields the public digest leaves out.
fn has_personal(rec: &Record) -> bool {
    rec.sections()
        .any(|(_, s)| matches!(s, wuji_model::Section::Roster(_)))
}

/// A record's state with its sections' signatures (what a store keeps) and
/// its [`public_digest`], from one encoding of its sections where nothing
/// is left out of the digest: a committer storing a record counts it in its
/// scope digests without encoding it twice.
pub fn signed_state_with_digest(rec: &Record, sigs: &Signatures) -> (pb::RecordState, Digest) {
    let mut state = record_to_state(rec);
    let d = if has_personal(rec) {
        public_digest(rec)
    } else {
        // The state as encoded carries no signature yet: its bytes are the
        // canonical ones.
        Digest(Sha256::digest(state.encode_to_vec()).into())
    };
    sign_state(&mut state, rec, sigs);
    (state, d)
}

//! Batch verification of Ed25519 signatures by few signers: the equation of
//! ed25519-dalek's `verify_batch`, with each signer's key decompressed once
//! and its terms summed into one point of the multiscalar multiplication.
//!
//! A peer's batch holds hundreds of sections by a handful of owners (a
//! township's initial sync: one). `verify_batch` takes one key per signature:
//! it decompresses each (a square root) and multiplies 2n + 1 points. Here a
//! key is decompressed once per batch and the n key terms of one signer become
//! one, so n + k + 1 points for k signers: the check costs about half.
//!
//! For signatures (R, s) by keys A over messages M, with h = H(R ‖ A ‖ M) and
//! random 128-bit z (derived from every input, as ed25519-dalek derives them),
//! the batch holds if
//! `[−Σ z·s] B + Σ z·R + Σ_A [Σ_{i: A_i = A} z·h] A` is the identity.
//! Any failure (a bad signature, a non-canonical `s`, an R or key that does
//! not decompress, a key of small order) makes the batch fail: the caller then
//! checks one by one with `verify_strict`, which names the bad ones.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};
use std::collections::HashMap;

/// One signature of a batch: message, signature bytes (64), signer's key.
pub(crate) struct Item<'a> {
    pub msg: &'a [u8],
    pub sig: &'a [u8],
    pub key: &'a [u8; 32],
}

/// True if every signature of `items` is valid (false for an empty batch
/// too: nothing was shown).
pub(crate) fn verify(items: &[Item<'_>]) -> bool {
    verify_inner(items).unwrap_or(false)
}

fn verify_inner(items: &[Item<'_>]) -> Option<bool> {
    if items.is_empty() {
        return None;
    }
    // Each signer's key, decompressed once; its slot among the key points.
    let mut slot: HashMap<[u8; 32], usize> = HashMap::new();
    let mut keys: Vec<EdwardsPoint> = Vec::new();
    let mut hrams = Vec::with_capacity(items.len());
    let mut ss = Vec::with_capacity(items.len());
    let mut rs = Vec::with_capacity(items.len());
    let mut which = Vec::with_capacity(items.len());
    let mut seed = Sha512::new();
    seed.update(b"wuji ed25519 batch verification");
    for it in items {
        let sig: &[u8; 64] = it.sig.try_into().ok()?;
        let (r_bytes, s_bytes) = sig.split_at(32);
        let s_bytes: [u8; 32] = s_bytes.try_into().ok()?;
        let s: Option<Scalar> = Scalar::from_canonical_bytes(s_bytes).into();
        ss.push(s?);
        let k = match slot.get(it.key) {
            Some(k) => *k,
            None => {
                let a = CompressedEdwardsY(*it.key).decompress()?;
                if a.is_small_order() {
                    return None;
                }
                keys.push(a);
                slot.insert(*it.key, keys.len() - 1);
                keys.len() - 1
            }
        };
        which.push(k);
        let mut r32 = [0u8; 32];
        r32.copy_from_slice(r_bytes);
        rs.push(CompressedEdwardsY(r32).decompress()?);
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(it.key);
        h.update(it.msg);
        let hram: [u8; 64] = h.finalize().into();
        seed.update(hram);
        seed.update(s_bytes);
        hrams.push(Scalar::from_bytes_mod_order_wide(&hram));
    }
    let seed: [u8; 64] = seed.finalize().into();
    let mut b_coefficient = Scalar::ZERO;
    let mut key_coefficients = vec![Scalar::ZERO; keys.len()];
    let mut zs = Vec::with_capacity(items.len());
    for (i, ((s, hram), k)) in ss.iter().zip(&hrams).zip(&which).enumerate() {
        let z = Scalar::from(random_128(&seed, i));
        b_coefficient += z * s;
        key_coefficients[*k] += z * hram;
        zs.push(z);
    }
    let scalars = std::iter::once(-b_coefficient)
        .chain(zs)
        .chain(key_coefficients);
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(rs)
        .chain(keys);
    Some(EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity())
}

/// The i-th 128-bit coefficient: SHA-512 of the batch's seed (every hram and
/// s of the batch) and i. A forger would have to choose signatures before
/// knowing the coefficients they are weighted by.
fn random_128(seed: &[u8; 64], i: usize) -> u128 {
    let mut h = Sha512::new();
    h.update(seed);
    h.update((i as u64).to_le_bytes());
    let out: [u8; 64] = h.finalize().into();
    let mut z = [0u8; 16];
    z.copy_from_slice(&out[..16]);
    u128::from_le_bytes(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SignKey;

    fn keys(n: usize) -> Vec<SignKey> {
        (0..n).map(|_| SignKey::generate().unwrap()).collect()
    }

    #[test]
    fn a_batch_of_few_signers_holds_and_any_fault_breaks_it() {
        let signers = keys(3);
        let msgs: Vec<Vec<u8>> = (0..200u32)
            .map(|i| format!("section {i}").into_bytes())
            .collect();
        let owners: Vec<usize> = (0..msgs.len()).map(|i| i % 7 % 3).collect();
        let sigs: Vec<Vec<u8>> = msgs
            .iter()
            .zip(&owners)
            .map(|(m, o)| signers[*o].sign(m))
            .collect();
        let pubs: Vec<[u8; 32]> = signers.iter().map(SignKey::public).collect();
        let items = |sigs: &[Vec<u8>], owners: &[usize]| -> Vec<(Vec<u8>, Vec<u8>, [u8; 32])> {
            msgs.iter()
                .zip(sigs)
                .zip(owners)
                .map(|((m, s), o)| (m.clone(), s.clone(), pubs[*o]))
                .collect()
        };
        let check = |v: &[(Vec<u8>, Vec<u8>, [u8; 32])]| {
            let items: Vec<Item<'_>> = v
                .iter()
                .map(|(msg, sig, key)| Item { msg, sig, key })
                .collect();
            verify(&items)
        };
        assert!(check(&items(&sigs, &owners)));
        assert!(!check(&[]), "an empty batch shows nothing");
        // One flipped bit in any signature, at R or at s.
        for (i, byte) in [(0, 0), (57, 5), (199, 40), (100, 63)] {
            let mut bad = sigs.clone();
            bad[i][byte] ^= 1;
            assert!(!check(&items(&bad, &owners)), "sig {i} byte {byte}");
        }
        // A valid signature credited to another signer.
        let mut wrong = owners.clone();
        wrong[10] = (wrong[10] + 1) % 3;
        assert!(!check(&items(&sigs, &wrong)));
        // A message changed after signing.
        let mut v = items(&sigs, &owners);
        v[3].0.push(b'!');
        assert!(!check(&v));
        // A non-canonical s: s + l still satisfies the group equation, and
        // must be refused as verify_strict refuses it.
        let mut v = items(&sigs, &owners);
        // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let mut lb = [0u8; 32];
        lb[..16].copy_from_slice(&[
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14,
        ]);
        lb[31] = 0x10;
        let sb: [u8; 32] = v[0].1[32..].try_into().unwrap();
        let mut bumped = [0u8; 32];
        let mut carry = 0u16;
        for j in 0..32 {
            let t = sb[j] as u16 + lb[j] as u16 + carry;
            bumped[j] = t as u8;
            carry = t >> 8;
        }
        v[0].1[32..].copy_from_slice(&bumped);
        assert!(!check(&v));
        // A key of small order (the identity) signs nothing.
        let mut v = items(&sigs, &owners);
        let mut id = [0u8; 32];
        id[0] = 1;
        v[1].2 = id;
        assert!(!check(&v));
        // A short signature.
        let mut v = items(&sigs, &owners);
        v[2].1.truncate(63);
        assert!(!check(&v));
    }

    #[test]
    fn agrees_with_one_by_one_verification() {
        let signers = keys(2);
        for n in [1usize, 2, 5, 64] {
            for bad in [None, Some(0), Some(n - 1)] {
                let msgs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; i + 1]).collect();
                let mut sigs: Vec<Vec<u8>> = msgs
                    .iter()
                    .enumerate()
                    .map(|(i, m)| signers[i % 2].sign(m))
                    .collect();
                if let Some(b) = bad {
                    sigs[b][9] ^= 0x40;
                }
                let pubs: Vec<[u8; 32]> = (0..n).map(|i| signers[i % 2].public()).collect();
                let items: Vec<Item<'_>> = (0..n)
                    .map(|i| Item {
                        msg: &msgs[i],
                        sig: &sigs[i],
                        key: &pubs[i],
                    })
                    .collect();
                let one_by_one = (0..n).all(|i| {
                    let key = ed25519_dalek::VerifyingKey::from_bytes(&pubs[i]).unwrap();
                    ed25519_dalek::Signature::from_slice(&sigs[i])
                        .is_ok_and(|s| key.verify_strict(&msgs[i], &s).is_ok())
                });
                assert_eq!(verify(&items), one_by_one, "n {n} bad {bad:?}");
            }
        }
    }
}

//! Signature checks per second on one core: wuji's batch check (each signer's
//! key decompressed once, its terms summed) against ed25519-dalek's
//! `verify_batch`, on batches like a sync batch's halves (250 sections of
//! ~700 bytes), signed by one owner (a township's initial sync) and by 5.

use std::time::Instant;

/// `wuji-bench verify [SIGNATURES]`.
pub fn run(n: usize) -> anyhow::Result<()> {
    const BATCH: usize = 250;
    println!("wuji-bench verify: {n} signatures, batches of {BATCH}, one core");
    for signers in [1usize, 5] {
        let keys: Vec<wuji_pki::SignKey> = (0..signers)
            .map(|_| wuji_pki::SignKey::generate())
            .collect::<Result<_, _>>()?;
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| format!("{i:>700}").into_bytes()).collect();
        let sigs: Vec<Vec<u8>> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % signers].sign(m))
            .collect();
        let pubs: Vec<[u8; 32]> = (0..n).map(|i| keys[i % signers].public()).collect();

        let t = Instant::now();
        let mut ok = true;
        for start in (0..n).step_by(BATCH) {
            let end = (start + BATCH).min(n);
            let checks: Vec<wuji_pki::Check<'_>> = (start..end)
                .map(|i| wuji_pki::Check {
                    msg: &msgs[i],
                    sig: &sigs[i],
                    key: pubs[i],
                })
                .collect();
            ok &= wuji_pki::verify_all(&checks).iter().all(|b| *b);
        }
        let ours = n as f64 / t.elapsed().as_secs_f64();

        let t = Instant::now();
        for start in (0..n).step_by(BATCH) {
            let end = (start + BATCH).min(n);
            let m: Vec<&[u8]> = msgs[start..end].iter().map(Vec::as_slice).collect();
            let s: Vec<ed25519_dalek::Signature> = sigs[start..end]
                .iter()
                .map(|s| ed25519_dalek::Signature::from_slice(s))
                .collect::<Result<_, _>>()?;
            let k: Vec<ed25519_dalek::VerifyingKey> = pubs[start..end]
                .iter()
                .map(ed25519_dalek::VerifyingKey::from_bytes)
                .collect::<Result<_, _>>()?;
            ok &= ed25519_dalek::verify_batch(&m, &s, &k).is_ok();
        }
        let dalek = n as f64 / t.elapsed().as_secs_f64();
        anyhow::ensure!(ok, "a valid signature failed to check");
        println!(
            "{signers} signer(s): wuji {ours:.0} signatures/s, ed25519-dalek verify_batch {dalek:.0}/s (keys parsed per signature, as before): ratio {:.2}",
            ours / dalek
        );
    }
    Ok(())
}

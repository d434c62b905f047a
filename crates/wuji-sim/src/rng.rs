//! A small seeded random generator (SplitMix64): every draw of a run comes
//! from its seed, so the same seed replays the same run.

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, good enough for
/// workloads and faults, and a few lines instead of a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent generator for one part of the run, named by `salt`.
    pub fn fork(&self, salt: u64) -> Rng {
        let mut r = Rng(self.0 ^ salt.wrapping_mul(0xA24B_AED4_963E_E407));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in [lo, hi) (`lo` if the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A count with mean `mean` (Poisson: Knuth's method for small means, a
    /// rounded normal for large ones).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            let (u1, u2) = (self.unit().max(1e-12), self.unit());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            return (mean + z * mean.sqrt()).round().max(0.0) as u64;
        }
        let limit = (-mean).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// A duration in ms between `lo` and `hi`, spread evenly over their
    /// logarithms (minutes as likely as days).
    pub fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let (a, b) = ((lo.max(1)) as f64, (hi.max(lo + 1)) as f64);
        (a.ln() + self.unit() * (b.ln() - a.ln())).exp() as u64
    }

    /// Ten random bytes (the random part of a UUIDv7).
    pub fn bytes10(&mut self) -> [u8; 10] {
        let (a, b) = (self.next_u64().to_be_bytes(), self.next_u64().to_be_bytes());
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b[..2]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers_and_forks_differ() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(
            Rng::new(7).fork(1).next_u64(),
            Rng::new(7).fork(2).next_u64()
        );
    }

    #[test]
    fn draws_stay_in_range_and_means_are_near() {
        let mut r = Rng::new(1);
        let n = 20_000;
        let mut sum = 0;
        for _ in 0..n {
            let x = r.range(10, 20);
            assert!((10..20).contains(&x));
            sum += r.poisson(3.0);
            let l = r.log_range(60_000, 86_400_000);
            assert!((60_000..=86_400_000).contains(&l), "{l}");
        }
        let mean = sum as f64 / n as f64;
        assert!((mean - 3.0).abs() < 0.1, "poisson mean {mean}");
        let big: u64 = (0..1000).map(|_| r.poisson(100.0)).sum();
        assert!((big as f64 / 1000.0 - 100.0).abs() < 2.0);
    }
}

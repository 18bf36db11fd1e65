//! Small, dependency-free statistics: Criterion's percentile definition, a seeded generator and
//! the percentile bootstrap of a ratio of medians; Student's t and the normal distribution in
//! [`dist`].

pub mod dist;

use serde::Serialize;

/// Resamples drawn by [`ratio_of_medians`]. 10,000 puts the Monte-Carlo error of a 2.5%
/// percentile at well under a tenth of a percent of the ratio for this suite's sample sizes,
/// and keeps a whole `compare` of ~40 benchmarks under a second.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// A per-thread table of answers already computed: the value for `key` in `table`, computed by
/// `compute` and kept when absent. The table is emptied when it reaches `bound` entries, so a
/// caller that sweeps its keys cannot grow it without limit.
pub fn remembered<K, V>(
    table: &'static std::thread::LocalKey<std::cell::RefCell<std::collections::HashMap<K, V>>>,
    key: K,
    bound: usize,
    compute: impl FnOnce() -> V,
) -> V
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    if let Some(v) = table.with(|t| t.borrow().get(&key).cloned()) {
        return v;
    }
    let v = compute();
    table.with(|t| {
        let mut known = t.borrow_mut();
        if known.len() >= bound {
            known.clear();
        }
        known.insert(key, v.clone());
    });
    v
}

/// Confidence level of every interval this crate computes (Criterion's default too).
pub const CONFIDENCE: f64 = 0.95;

/// The `p`-th percentile (0–100) of sorted data, interpolating linearly between order
/// statistics at rank `p/100·(n−1)`, as Criterion's `Percentiles::at` does.
///
/// # Panics
/// On empty input.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "percentile of an empty sample");
    let last = sorted.len() - 1;
    let rank = (p / 100.0).clamp(0.0, 1.0) * last as f64;
    let lo = rank.floor() as usize;
    if lo >= last {
        return sorted[last];
    }
    let frac = rank - lo as f64;
    sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac
}

/// Median by Criterion's definition (the mean of the two middle values for even `n`).
///
/// # Panics
/// On empty input.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    median_in_place(&mut v)
}

/// Median that reorders `v` instead of copying it; O(n) with selection.
fn median_in_place(v: &mut [f64]) -> f64 {
    assert!(!v.is_empty(), "median of an empty sample");
    let n = v.len();
    let mid = n / 2;
    let (left, upper, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator. Seeded explicitly so
/// that every interval this tool prints is reproducible.
///
/// Not the suite's `mock_server::splitmix64`: that crate brings wiremock and tokio, and its
/// `below` (rejection sampling) draws other indices than this multiply-shift, so every bootstrap
/// interval would change.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in `0..n` (multiply-shift; the bias is below 2⁻⁵⁰ for these sizes).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A uniform number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller), for the synthetic series in tests and calibration.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A seed derived from a benchmark id (FNV-1a), so each benchmark gets its own fixed stream.
pub fn seed_for(id: &str) -> u64 {
    fnv1a(id.bytes())
}

/// The 64-bit FNV-1a hash of `bytes`: small, fast and the same on every platform.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The statistic on the full samples.
    pub point: f64,
    /// Lower bound of the [`CONFIDENCE`] interval.
    pub lower: f64,
    /// Upper bound of the [`CONFIDENCE`] interval.
    pub upper: f64,
}

impl Interval {
    /// `x` known exactly: an interval of zero width (fixtures, and values with no sampling).
    pub fn exact(x: f64) -> Interval {
        Interval {
            point: x,
            lower: x,
            upper: x,
        }
    }

    /// Whether the interval contains `x`.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }

    /// The same interval after `f` (which must be increasing).
    pub fn map(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval {
            point: f(self.point),
            lower: f(self.lower),
            upper: f(self.upper),
        }
    }
}

/// `median(num) / median(den)` with a percentile-bootstrap [`CONFIDENCE`] interval: both
/// samples are resampled independently with replacement, `resamples` times, from a SplitMix64
/// stream seeded with `seed`.
///
/// # Panics
/// On an empty sample or zero resamples.
pub fn ratio_of_medians(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> Interval {
    assert!(resamples > 0, "at least one resample");
    let point = median(num) / median(den);
    let mut rng = SplitMix64::new(seed);
    let mut a = vec![0.0; num.len()];
    let mut b = vec![0.0; den.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for x in a.iter_mut() {
            *x = num[rng.below(num.len())];
        }
        for x in b.iter_mut() {
            *x = den[rng.below(den.len())];
        }
        ratios.push(median_in_place(&mut a) / median_in_place(&mut b));
    }
    ratios.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0 * 100.0;
    Interval {
        point,
        lower: percentile_sorted(&ratios, tail),
        upper: percentile_sorted(&ratios, 100.0 - tail),
    }
}

/// The arithmetic mean.
///
/// # Panics
/// On empty input.
pub fn mean(xs: &[f64]) -> f64 {
    assert!(!xs.is_empty(), "mean of an empty sample");
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample standard deviation (n − 1 denominator); 0 for fewer than two values.
pub fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// Resamples drawn by [`bootstrap_se_log_median`]: a standard error needs far fewer than a
/// percentile (2,000 put its Monte-Carlo error near 1.6% of itself).
pub const SE_RESAMPLES: usize = 2_000;

/// The bootstrap standard error of ln(median(xs)): the SD of the log medians of `resamples`
/// resamples with replacement, from a SplitMix64 stream seeded with `seed`. This is the
/// uncertainty one run's own samples give its median, nothing about the next run.
///
/// # Panics
/// On an empty sample or zero resamples.
pub fn bootstrap_se_log_median(xs: &[f64], resamples: usize, seed: u64) -> f64 {
    assert!(resamples > 0, "at least one resample");
    assert!(!xs.is_empty(), "bootstrap of an empty sample");
    let n = xs.len();
    // A resample's median from how often it drew each order statistic: the same draws, index
    // by index, and the same order statistics as sorting each resample, so the same result
    // bit for bit, without a sort per resample (`compare`'s simulations draw millions).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut rank = vec![0; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let sorted: Vec<f64> = order.iter().map(|&i| xs[i]).collect();
    let mut rng = SplitMix64::new(seed);
    let mut counts = vec![0usize; n];
    let logs: Vec<f64> = (0..resamples)
        .map(|_| {
            counts.fill(0);
            for _ in 0..n {
                counts[rank[rng.below(n)]] += 1;
            }
            median_of_counts(&counts, &sorted).ln()
        })
        .collect();
    sd(&logs)
}

/// The median of a resample that holds `counts[r]` copies of `sorted[r]`, by Criterion's
/// definition (the mean of the two middle values for an even count).
fn median_of_counts(counts: &[usize], sorted: &[f64]) -> f64 {
    let n: usize = counts.iter().sum();
    let mid = n / 2;
    // The k-th smallest value (0-based) of the resample.
    let kth = |k: usize| {
        let mut seen = 0;
        for (r, &c) in counts.iter().enumerate() {
            seen += c;
            if seen > k {
                return sorted[r];
            }
        }
        sorted[sorted.len() - 1]
    };
    if n % 2 == 1 {
        kth(mid)
    } else {
        (kth(mid - 1) + kth(mid)) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_criterion() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        assert_eq!(percentile_sorted(&v, 100.0), 4.0);
        // rank 0.5·3 = 1.5 → halfway between 2 and 3.
        assert_eq!(percentile_sorted(&v, 50.0), 2.5);
        // rank 0.25·3 = 0.75 → 1 + 0.75.
        assert_eq!(percentile_sorted(&v, 25.0), 1.75);
    }

    #[test]
    fn the_bootstrap_se_is_the_same_as_sorting_every_resample() {
        // The direct way: copy each resample and take its median.
        let direct = |xs: &[f64], resamples: usize, seed: u64| {
            let mut rng = SplitMix64::new(seed);
            let logs: Vec<f64> = (0..resamples)
                .map(|_| {
                    let a: Vec<f64> = (0..xs.len()).map(|_| xs[rng.below(xs.len())]).collect();
                    median(&a).ln()
                })
                .collect();
            sd(&logs)
        };
        let mut rng = SplitMix64::new(5);
        for n in [1, 2, 3, 10, 11, 12, 20] {
            // Ties included: values on a coarse grid.
            let xs: Vec<f64> = (0..n).map(|_| 100.0 + rng.below(6) as f64).collect();
            for seed in [1, 2, 3] {
                assert_eq!(
                    bootstrap_se_log_median(&xs, 300, seed).to_bits(),
                    direct(&xs, 300, seed).to_bits(),
                    "n = {n}, seed {seed}"
                );
            }
        }
    }

    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
    }

    #[test]
    fn generator_is_reproducible_and_uniform_enough() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        assert_eq!(a.next_u64(), b.next_u64());
        // Reference value of SplitMix64 seeded with 0 (from the published algorithm).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[a.below(4)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn ratio_of_identical_constant_samples_is_exactly_one() {
        let x = [10.0; 12];
        let r = ratio_of_medians(&x, &x, 1000, 1);
        assert_eq!((r.point, r.lower, r.upper), (1.0, 1.0, 1.0));
    }

    #[test]
    fn ratio_interval_brackets_a_real_difference_and_excludes_one() {
        // Two noisy samples whose medians differ by 50%.
        let mut rng = SplitMix64::new(7);
        let old: Vec<f64> = (0..30).map(|_| 100.0 + 3.0 * rng.normal()).collect();
        let new: Vec<f64> = old.iter().map(|x| x * 1.5).collect();
        let r = ratio_of_medians(&new, &old, 2000, 3);
        assert!((r.point - 1.5).abs() < 1e-12);
        assert!(r.lower > 1.0 && r.lower <= 1.5 && r.upper >= 1.5, "{r:?}");
    }

    #[test]
    fn ratio_interval_covers_one_about_95_percent_of_the_time_without_a_difference() {
        // Coverage, not one lucky seed: two samples from the same distribution, 200 times.
        let mut rng = SplitMix64::new(11);
        let trials = 200;
        let covered = (0..trials)
            .filter(|&t| {
                let a: Vec<f64> = (0..30).map(|_| 100.0 + 5.0 * rng.normal()).collect();
                let b: Vec<f64> = (0..30).map(|_| 100.0 + 5.0 * rng.normal()).collect();
                ratio_of_medians(&a, &b, 1000, t as u64).contains(1.0)
            })
            .count();
        // Percentile-bootstrap intervals of a median run a little narrow at n = 30.
        assert!(
            (170..=200).contains(&covered),
            "covered {covered} of {trials}"
        );
    }

    #[test]
    fn same_seed_same_interval() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(
            ratio_of_medians(&a, &b, 500, 9),
            ratio_of_medians(&a, &b, 500, 9)
        );
    }

    #[test]
    fn mean_and_sd() {
        assert_eq!(mean(&[1.0, 2.0, 3.0]), 2.0);
        assert!(
            (sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12
        );
        assert_eq!(sd(&[3.0]), 0.0);
    }

    #[test]
    fn bootstrap_se_of_log_median_shrinks_with_n_and_vanishes_for_constants() {
        assert!(bootstrap_se_log_median(&[5.0; 10], 500, 1) < 1e-12);
        let mut rng = SplitMix64::new(3);
        let mut draw = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| 100.0 * (0.05 * rng.normal()).exp())
                .collect()
        };
        let small = bootstrap_se_log_median(&draw(10), SE_RESAMPLES, 1);
        let large = bootstrap_se_log_median(&draw(1000), SE_RESAMPLES, 1);
        // The median's SE is about 1.25·σ/√n: ~0.02 at n = 10, ~0.002 at n = 1000.
        assert!((0.008..0.04).contains(&small), "{small}");
        assert!((0.001..0.004).contains(&large), "{large}");
    }
}

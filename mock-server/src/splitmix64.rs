//! SplitMix64 (Steele, Lea and Flood), the one generator of the mock server and the suite: as a
//! counter-based stream ([`splitmix64`]) it draws the response delays' jitter (`config.rs`) and
//! the injected faults (`faults.rs`); as a stateful generator ([`SplitMix64`]) the suite's
//! shuffled round orders. Both give the same sequence on every platform.

/// The increment of SplitMix64's state: the golden ratio in 64 bits.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a well-mixed 64 bits from one state.
fn mix(state: u64) -> u64 {
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `index`-th output of a SplitMix64 stream seeded with `seed`: the same number as the
/// `index + 1`-th call of [`SplitMix64::next_u64`] on `SplitMix64::new(seed)`.
///
/// Counter-based rather than stateful so that a delay depends only on (seed, index): the
/// responder needs no lock, and tests can recompute any delay.
pub fn splitmix64(seed: u64, index: u64) -> u64 {
    mix(seed.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// A small, fast, seedable generator: good enough to shuffle a handful of strategies.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// A uniform integer in `0..bound` (`bound` > 0), without modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % bound;
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % bound;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let other = self.below(last as u64 + 1) as usize;
            items.swap(last, other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_and_the_generator_are_one_sequence() {
        // Reference value of SplitMix64 seeded with 0 (from the published algorithm).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(0, 0), 0xE220_A839_7B1D_CDAF);
        for seed in [0, 1, 0x5eed, u64::MAX] {
            let mut rng = SplitMix64::new(seed);
            for index in 0..100 {
                assert_eq!(rng.next_u64(), splitmix64(seed, index), "{seed} {index}");
            }
        }
    }

    #[test]
    fn below_stays_below_and_a_shuffle_keeps_every_item() {
        let mut rng = SplitMix64::new(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        let mut items: Vec<u32> = (0..20).collect();
        rng.shuffle(&mut items);
        items.sort_unstable();
        assert_eq!(items, (0..20).collect::<Vec<_>>());
    }
}

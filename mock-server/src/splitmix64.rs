//! SplitMix64 (Steele, Lea and Flood) as a counter-based stream, shared by the response delays'
//! jitter (`config.rs`) and the injected faults (`faults.rs`), which draw from it.

/// The `index`-th output of a SplitMix64 stream seeded with `seed`.
///
/// Counter-based rather than stateful so that a delay depends only on (seed, index): the
/// responder needs no lock, and tests can recompute any delay.
pub(crate) fn splitmix64(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

//! The logic of the benches a plain `cargo bench` does not run, each used by its one bench file:
//! [`sweep`] (`cargo bench --bench sweeps`), [`blocking_hop`] (`--bench blocking_hop`) and
//! [`python`] (`--bench python`). Nothing else in the library imports them.

pub mod blocking_hop;
pub mod python;
pub mod sweep;

//! The layers of `src/lib.rs`'s doc, kept: every module of `src/` (but `main.rs`, the crate's
//! user) imports only from its own layer and those below it; no top-level modules import each
//! other around a loop; and no files (or subfolders) of one folder do, the folder's `mod.rs`
//! aside.
//!
//! The checker is [`check`] (`tests/layers/check.rs`), which the suite's `tests/layers.rs`
//! includes by path for its own `src/`: the packages share no test crate, and the workspace's
//! top level is fixed.

mod check;

#[test]
fn every_import_goes_to_the_same_or_a_lower_layer_and_none_closes_a_loop() {
    check::assert_kept(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

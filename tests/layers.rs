//! The library's layers, as `src/lib.rs` declares them, kept: every module of `src/` (but
//! `src/bin/`, whose programs are the crate's users) imports only from its own layer and those
//! below it; no top-level modules import each other around a loop; and no files (or
//! subfolders) of one folder do, the folder's `mod.rs` aside.
//!
//! The checker is target-report's (`target-report/tests/layers/check.rs`, whose doc says how
//! it reads the code), included here by path: the packages share no test crate (neither's
//! tests depend on the other's library), and the workspace's top level is fixed, with no room
//! for a crate of test support. One checker, so both crates are held to the same rules.

#[path = "../target-report/tests/layers/check.rs"]
mod check;

#[test]
fn every_import_goes_to_the_same_or_a_lower_layer_and_none_closes_a_loop() {
    check::assert_kept(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

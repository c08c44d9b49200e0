//! Shared helpers for the criterion benchmarks in `benches/`.

use std::path::PathBuf;

/// The conformance data directory (`../shared/conformance`, or `FALCO_CONFORMANCE_DIR`).
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("FALCO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

//! JSON-lines sink for jobharvest: the raw archive.
//!
//! Each record's `raw` payload, as its connector kept it, becomes one line
//! of a JSON-lines file, gzip-compressed when the path ends in `.gz`: the
//! format the `replay` source reads, so that a later run can re-normalize
//! the offers after a mapping change. `replay` reads one board per file, so
//! `{source}` in the path writes one file per board, and without it a
//! second board is refused rather than mixed in. Every file is written
//! under a temporary name and renamed into place by `finish`: a failed run
//! leaves no archive. See the crate's README for the options.

mod config;
mod writer;

pub use config::{JsonlConfig, SOURCE_PLACEHOLDER};
pub use writer::JsonlSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "jsonl";

/// Registers the `jsonl` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<JsonlConfig>();
}

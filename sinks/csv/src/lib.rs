//! CSV sink for jobharvest: one header row, then one row per offer.
//!
//! The file follows RFC 4180 (the `csv` crate quotes only what needs
//! quoting, lines end with CRLF) and is UTF-8, optionally with a BOM so
//! that Excel detects the encoding. Rows stream to a temporary file beside
//! the destination, renamed into place by `finish`: a failed run leaves no
//! half-written CSV. With `write: append`, the rows go after those of an
//! existing file with the same header, through a copy renamed into place
//! the same way. See the crate's README for the options and the mapping of
//! each column type to text.

mod append;
mod config;
mod writer;

pub use config::{CsvConfig, Formulas};
pub use writer::CsvSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "csv";

/// Registers the `csv` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<CsvConfig>();
}

//! Excel (XLSX) sink for jobharvest: one bold, frozen, filtered header row,
//! then one row per offer, with real numbers, booleans and dates.
//!
//! Worksheets are written in rust_xlsxwriter's *constant memory* mode:
//! each row goes to a temporary file as soon as the next one starts, so a
//! million-row harvest needs a few megabytes, not gigabytes. The price is
//! that rows are written strictly in order, which a sink does anyway.
//! Excel's limits are handled, not hit: text longer than 32,767 characters
//! is truncated with a warning, and past `max_rows_per_sheet` rows the
//! sink continues on a new sheet (`offers`, `offers_2`, ...). See the
//! crate's README for the options.

mod config;
mod writer;

pub use config::XlsxConfig;
pub use writer::XlsxSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "xlsx";

/// Registers the `xlsx` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<XlsxConfig>();
}

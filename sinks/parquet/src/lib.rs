//! Parquet sink for jobharvest: typed columns, ZSTD-compressed, in bounded
//! row groups.
//!
//! Arrow arrays are built straight from each batch's cells with Arrow's
//! builders (no JSON or row detour) and handed to parquet's `ArrowWriter`.
//! The schema comes from [`jobharvest_core::COLUMNS`] and uses only
//! standard types (UTF-8 strings, float64, int64, booleans, timestamps in
//! microseconds UTC, lists of strings), so pyarrow, DuckDB and polars read
//! the file as is. A row group is buffered in memory until it reaches
//! `max_row_group_rows` rows or `max_row_group_bytes` bytes, which bounds
//! memory. With `dataset: true` the sink writes a Hive-partitioned dataset
//! instead, one file per run (see [`DatasetSink`]). See the crate's README
//! for the options. The `replay` source reads the `raw` column of these
//! files back ([`open_raw_archive`]).

mod archive;
mod config;
mod dataset;
mod schema;
mod writer;

pub use archive::open_raw_archive;
pub use config::ParquetConfig;
pub use dataset::DatasetSink;
pub use schema::arrow_schema;
pub use writer::ParquetSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "parquet";

/// Registers the `parquet` sink, and the reading of its `raw` column by
/// the `replay` source.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<ParquetConfig>();
    registry.register_archive(&["parquet", "pq"], open_raw_archive);
}

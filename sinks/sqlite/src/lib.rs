//! SQLite sink for jobharvest: one table that accumulates runs.
//!
//! Every record is upserted into one table keyed by `(source, source_id)`
//! (`offers` by default), following the merge rules of
//! [`jobharvest_core::merge`]: a known offer is updated in place,
//! `first_seen_at` keeps its earliest value, and removed offers stay, marked
//! by `removed_at`. A view (`open_offers` for the table `offers`) lists the
//! offers still open.
//!
//! A run is one transaction, begun when the sink opens and committed by
//! `finish`: a run that fails, is interrupted or is killed leaves the
//! database as the previous run left it. The columns come from
//! [`jobharvest_core::COLUMNS`]; a table created by an older version gets
//! the columns it lacks, and a table that cannot hold the records is
//! refused before anything is written. See the crate's README.

mod config;
mod schema;
mod writer;

pub use config::SqliteConfig;
pub use schema::sql_type;
pub use writer::SqliteSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "sqlite";

/// Registers the `sqlite` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<SqliteConfig>();
}

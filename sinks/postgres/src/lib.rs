//! PostgreSQL sink for jobharvest: one table that accumulates runs, loaded
//! in bulk.
//!
//! Each `write` copies its batch into a temporary staging table with binary
//! `COPY` (the fastest way into PostgreSQL), then merges it into the target
//! table with one `INSERT ... SELECT ... ON CONFLICT (source, source_id) DO
//! UPDATE`, following the rules of [`jobharvest_core::merge`] (the SQLite
//! sink keeps the same table). The whole run is one transaction, committed
//! by `finish`: a failed, interrupted or killed run leaves the table as it
//! was, and the connection is made when the sink opens, so a wrong URL or a
//! refused password stops the run before any offer is fetched.
//!
//! The [`jobharvest_core::Sink`] trait is synchronous and the runner calls
//! it from several threads (`open` from its async task, `write` and
//! `finish` from a blocking thread). The sink therefore owns a thread with
//! its own single-threaded tokio runtime that holds the connection; the
//! trait's methods send it commands and wait for the answers, which works
//! from any thread, inside a runtime or not.

mod config;
mod schema;
mod session;
mod tls;
mod writer;

pub use config::PostgresConfig;
pub use writer::PostgresSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "postgres";

/// Registers the `postgres` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<PostgresConfig>();
}

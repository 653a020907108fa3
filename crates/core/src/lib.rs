//! The core of jobharvest: what every connector and sink builds on.
//!
//! - [`JobRecord`] is the normalized offer and [`COLUMNS`] its column table,
//!   from which every output format derives its layout.
//! - [`Source`] and [`Sink`] are the two plugin traits; [`Registry`] maps the
//!   spec's `type` to them. The core knows no board and no file format.
//! - [`spec`] loads a YAML or TOML job spec, [`runner`] streams records from
//!   the sources to the sinks with bounded queues.
//! - [`http`] is the one HTTP layer every connector shares: rate limiting,
//!   retry with backoff, `Retry-After`, token renewal.
//! - [`replay`] re-runs archived raw offers through a connector's mapping.
//! - [`filter`] is the `filter:` block any source entry can have, and
//!   [`fingerprint`] the cross-board duplicate key the core fills in.

pub mod checkpoint;
pub mod error;
pub mod filter;
pub mod fingerprint;
pub mod http;
pub mod http_config;
mod keyset;
pub mod merge;
pub mod mode;
pub mod quality;
pub mod quota;
pub mod record;
pub mod registry;
pub mod replay;
pub mod runner;
pub mod secret;
pub mod sink;
pub mod source;
pub mod spec;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tracking;

pub use error::{Error, ErrorKind, Result};
pub use mode::Mode;
pub use record::{Batch, COLUMNS, Cell, Column, ColumnKind, JobRecord, Owned, column_index};
pub use registry::{
    Archive, ArchiveOpener, BuildContext, NormalizeOptions, Normalizer, PreparedSink, Registry,
    SinkConfig, SourceConfig,
};
pub use secret::Secret;
pub use sink::{
    AtomicFile, RunSummary, Sink, SinkContext, SinkReport, SourceRun, select_columns, selects_raw,
};
pub use source::{
    Capabilities, FilterSupport, Flow, Plan, PlannedSlice, Source, SourceContext, SourceStats,
};

/// Re-exported so connectors implement [`Source`] with the same version.
pub use async_trait::async_trait;

/// Registers the sources the core itself provides (`replay`).
pub fn register(registry: &mut Registry) {
    registry.register_source::<replay::ReplayConfig>();
}

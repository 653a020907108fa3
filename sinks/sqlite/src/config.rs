//! The `sqlite` sink's options.

use std::path::PathBuf;

use jobharvest_core::merge::is_plain_identifier;
use jobharvest_core::{Error, Result, SinkConfig, SinkContext, select_columns};
use serde::Deserialize;

use crate::writer::SqliteSink;

/// Options of the `sqlite` sink.
///
/// ```yaml
/// sinks:
///   - type: sqlite
///     path: out/offres.sqlite
///     table: offers
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SqliteConfig {
    /// The database file (relative to the spec's directory); created when
    /// missing.
    pub path: PathBuf,
    /// The table the offers go to; the view of open offers is `open_<table>`.
    #[serde(default = "default_table")]
    pub table: String,
    /// Whether to write the `raw` JSON column (default true: a database
    /// keeps everything, like Parquet).
    #[serde(default = "default_include_raw")]
    pub include_raw: bool,
    /// How long to wait for another process that holds the database's write
    /// lock before failing.
    #[serde(default = "default_busy_timeout_secs")]
    pub busy_timeout_secs: u64,
}

fn default_table() -> String {
    "offers".into()
}

fn default_include_raw() -> bool {
    true
}

fn default_busy_timeout_secs() -> u64 {
    30
}

impl SqliteConfig {
    /// The columns to write, as indices into [`jobharvest_core::COLUMNS`].
    ///
    /// # Errors
    /// Never for the defaults; kept fallible like the other sinks'.
    pub fn column_indices(&self) -> Result<Vec<usize>> {
        select_columns(None, self.include_raw)
    }

    /// The view of open offers.
    pub fn view(&self) -> String {
        format!("open_{}", self.table)
    }
}

impl SinkConfig for SqliteConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str = "SQLite database (one table upserted by source and source_id, a view of open offers, one transaction per run)";
    const EXTENSIONS: &'static [&'static str] = &["sqlite", "sqlite3"];

    fn target(&self) -> String {
        format!("{}#{}", self.path.display(), self.table)
    }

    fn writes_raw(&self) -> bool {
        self.include_raw
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the database file, such as `out/offres.sqlite`",
            ));
        }
        if !is_plain_identifier(&self.table) || self.table.starts_with("sqlite_") {
            return Err(Error::config(format!(
                "table: `{}` is not a plain table name; use letters, digits and `_` (not starting with a digit or `sqlite_`), such as `offers`",
                self.table
            ))
            .with_context("key", "table"));
        }
        self.column_indices()?;
        Ok(())
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        Ok(Box::new(SqliteSink::open(&self, cx)?))
    }
}

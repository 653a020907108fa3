//! The `parquet` sink's options.

use std::path::PathBuf;

use jobharvest_core::{Error, Result, SinkConfig, SinkContext, select_columns, selects_raw};
use parquet::basic::ZstdLevel;
use serde::Deserialize;

use crate::writer::ParquetSink;

/// Options of the `parquet` sink.
///
/// ```yaml
/// sinks:
///   - type: parquet
///     path: out/offres.parquet
/// ```
///
/// With `dataset: true`, `path` is a directory that each run adds a file
/// to, under `ingest_date=YYYY-MM-DD/` (see [`crate::DatasetSink`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ParquetConfig {
    /// Where to write the file (relative to the spec's directory).
    pub path: PathBuf,
    /// The columns to write, in this order (default: every column).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Whether to write the `raw` JSON column when `columns` is not given
    /// (default false: it is most of the file, and every reader that loads
    /// all columns pays for it; the `jsonl` sink is the archive).
    #[serde(default)]
    pub include_raw: bool,
    /// The ZSTD level, from 1 (fastest) to 22 (smallest file).
    #[serde(default = "default_compression_level")]
    pub compression_level: i32,
    /// The most rows in one row group.
    #[serde(default = "default_max_row_group_rows")]
    pub max_row_group_rows: usize,
    /// The row group is written out once its estimated encoded size reaches
    /// this many bytes; it bounds the memory the sink holds.
    #[serde(default = "default_max_row_group_bytes")]
    pub max_row_group_bytes: usize,
    /// Whether `path` is a dataset directory that each run adds one file
    /// to (`ingest_date=YYYY-MM-DD/part-....parquet`) instead of one file
    /// replaced by each run.
    #[serde(default)]
    pub dataset: bool,
}

/// Level 1 compresses 100k offers within 2% of level 3's size for about
/// two thirds of the CPU time (README, "Performance").
fn default_compression_level() -> i32 {
    1
}

fn default_max_row_group_rows() -> usize {
    65_536
}

/// 8 MiB holds about 5,500 offers with their raw payload per row group:
/// large enough for readers to skip by statistics, small enough that the
/// sink's memory stays flat (README, "Performance").
fn default_max_row_group_bytes() -> usize {
    8 * 1024 * 1024
}

impl ParquetConfig {
    /// The columns to write, as indices into [`jobharvest_core::COLUMNS`].
    ///
    /// # Errors
    /// A config error naming an unknown or repeated column.
    pub fn column_indices(&self) -> Result<Vec<usize>> {
        select_columns(self.columns.as_deref(), self.include_raw)
    }

    /// The ZSTD level.
    ///
    /// # Errors
    /// A config error when the level is out of ZSTD's range.
    pub fn zstd_level(&self) -> Result<ZstdLevel> {
        let level = self.compression_level;
        let out_of_range = || {
            Error::config(format!(
                "compression_level: {level} is out of range; use 1 (fast, the default) to 22 (smallest), or a negative level down to -7 (faster, larger)"
            ))
        };
        // ZSTD's negative "fast" levels go further, but below -7 files grow
        // quickly for little time saved; 0 would silently mean ZSTD's 3.
        if !(-7..=22).contains(&level) || level == 0 {
            return Err(out_of_range());
        }
        ZstdLevel::try_new(level).map_err(|_| out_of_range())
    }
}

impl SinkConfig for ParquetConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str =
        "Parquet file (typed columns, ZSTD, bounded row groups; for pyarrow, DuckDB, polars)";
    const EXTENSIONS: &'static [&'static str] = &["parquet", "pq"];

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn writes_raw(&self) -> bool {
        selects_raw(self.columns.as_deref(), self.include_raw)
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the file to write, such as `out/offres.parquet`",
            ));
        }
        self.zstd_level()?;
        if self.max_row_group_rows == 0 {
            return Err(Error::config(
                "max_row_group_rows: 0 rows per row group is not possible; use a positive number such as 65536 (the default)",
            ));
        }
        if self.max_row_group_bytes == 0 {
            return Err(Error::config(
                "max_row_group_bytes: 0 bytes per row group is not possible; use a positive number such as 8388608 (8 MiB, the default)",
            ));
        }
        self.column_indices()?;
        Ok(())
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        if self.dataset {
            return Ok(Box::new(crate::DatasetSink::create(&self, cx)?));
        }
        if cx.resolve(&self.path).is_dir() {
            return Err(Error::config(format!(
                "path: `{}` is a directory; add `dataset: true` to add one file per run to it, or give a file name such as `out/offres.parquet`",
                self.path.display()
            )));
        }
        Ok(Box::new(ParquetSink::create(&self, cx)?))
    }
}

//! The dataset form of the `parquet` sink (`dataset: true`): `path` is a
//! directory and each run adds one file to it,
//! `ingest_date=YYYY-MM-DD/part-<run instant>-<n>.parquet`.
//!
//! This is the Hive layout every engine reads as one table (DuckDB
//! `read_parquet('dir/**/*.parquet', hive_partitioning = true)`, polars
//! `scan_parquet`, pyarrow `dataset(dir, partitioning="hive")`, Spark), with
//! `ingest_date` as a partition column. Each part is written like the file
//! form, under a hidden temporary name renamed into place by `finish`, so
//! readers never see a half-written part; a run that wrote no row adds no
//! file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, Result, Sink, SinkContext, SinkReport};

use crate::config::ParquetConfig;
use crate::writer::ParquetSink;

/// A run's part of a dataset.
#[derive(Debug)]
pub struct DatasetSink {
    part: ParquetSink,
    rows: u64,
}

impl DatasetSink {
    /// Opens the run's part file in today's (UTC) partition of the dataset
    /// directory.
    ///
    /// # Errors
    /// An I/O error when `path` is a file, or when the partition cannot be
    /// created.
    pub fn create(config: &ParquetConfig, cx: &SinkContext) -> Result<Self> {
        // Absolute, so that opening the part does not resolve it again
        // against a relative spec folder.
        let dir = std::path::absolute(cx.resolve(&config.path))
            .map_err(|e| Error::io("resolve", &config.path, e))?;
        if dir.is_file() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "`{}` is a file, but `dataset: true` writes a directory of Parquet files; give a directory such as `out/offres/`, or remove `dataset` to write one file",
                    dir.display()
                ),
            ));
        }
        let mut part = config.clone();
        part.path = part_path(&dir, Utc::now());
        part.dataset = false;
        Ok(DatasetSink {
            part: ParquetSink::create(&part, cx)?,
            rows: 0,
        })
    }
}

/// `dir/ingest_date=YYYY-MM-DD/part-YYYYMMDDTHHMMSSffffffZ-n.parquet`, the
/// first `n` not taken.
pub(crate) fn part_path(dir: &Path, now: DateTime<Utc>) -> PathBuf {
    let partition = dir.join(format!("ingest_date={}", now.format("%Y-%m-%d")));
    let stamp = now.format("%Y%m%dT%H%M%S%6fZ");
    (0..)
        .map(|n| partition.join(format!("part-{stamp}-{n}.parquet")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| partition.join(format!("part-{stamp}.parquet")))
}

impl Sink for DatasetSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        self.part.write(batch)?;
        self.rows += batch.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        if self.rows == 0 {
            // Dropping the part removes its temporary file.
            return Ok(SinkReport {
                rows: 0,
                bytes: None,
                warnings: Vec::new(),
            });
        }
        Box::new(self.part).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_go_under_the_ingest_date_with_a_free_number() {
        let dir = tempfile::tempdir().unwrap();
        let now: DateTime<Utc> = "2026-11-23T08:05:09.123456Z".parse().unwrap();
        let first = part_path(dir.path(), now);
        assert_eq!(
            first,
            dir.path()
                .join("ingest_date=2026-11-23/part-20261123T080509123456Z-0.parquet")
        );
        std::fs::create_dir_all(first.parent().unwrap()).unwrap();
        std::fs::write(&first, b"taken").unwrap();
        assert!(part_path(dir.path(), now).ends_with("part-20261123T080509123456Z-1.parquet"));
    }
}

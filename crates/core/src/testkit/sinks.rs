//! The sink conformance suite: write generated records, finish, read the
//! output back, compare cell by cell.
//!
//! A sink's test file implements [`SinkHarness`] (how to register the sink,
//! how to read its output back into rows, how a cell read back must match
//! the value written), then runs every check with one macro:
//!
//! ```ignore
//! jobharvest_core::sink_conformance!(CsvHarness);
//! ```
//!
//! The records come from [`Generator`]: every column null somewhere and set
//! elsewhere, texts with delimiters, quotes, line breaks and emoji, long
//! descriptions, and they are written in several batches, so the suite
//! catches both value and batching bugs.

use std::path::Path;

use serde_json::{Value, json};

use crate::record::COLUMNS;
use crate::registry::Registry;
use crate::sink::select_columns;

use super::{Expected, Generator, expected_row, sink_config, write_all};

/// What a sink provides to run the suite.
pub trait SinkHarness {
    /// A cell as the sink's reader gives it back.
    type Cell: std::fmt::Debug;

    /// The sink's type in the spec.
    fn sink_type(&self) -> &'static str;

    /// The file extension of its outputs (without the dot).
    fn extension(&self) -> &'static str;

    /// Registers the sink.
    fn register(&self, registry: &mut Registry);

    /// Whether the `raw` column is written when `columns` and
    /// `include_raw` are not given.
    fn writes_raw_by_default(&self) -> bool;

    /// Reads the output at `path` back: the column names, then each row's
    /// cells, in order (rows spread over several sheets or row groups are
    /// concatenated).
    fn read(&self, path: &Path) -> (Vec<String>, Vec<Vec<Self::Cell>>);

    /// Panics, naming `at`, unless `got` is what the sink must write for
    /// `want` (text formats compare [`Expected::to_text`], typed formats
    /// compare values).
    fn assert_cell(&self, got: &Self::Cell, want: &Expected, at: &str);
}

fn registry(h: &impl SinkHarness) -> Registry {
    let mut r = Registry::new();
    h.register(&mut r);
    r
}

/// Writes `n` generated records in `batches` batches with the `extra`
/// config keys, reads them back and compares every cell.
///
/// # Panics
/// On the first header or cell that differs, or a wrong row count.
pub fn round_trip(h: &impl SinkHarness, extra: Value, n: usize, batches: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("nested/out.{}", h.extension()));
    let records = Generator::new().long_description(40_000).records(0, n);
    let report = write_all(
        &registry(h),
        sink_config(h.sink_type(), &path, extra.clone()),
        &records,
        batches,
    );
    assert_eq!(report.rows, n as u64, "rows reported");
    if let Some(bytes) = report.bytes {
        let size = std::fs::metadata(&path).expect("the output exists").len();
        assert_eq!(bytes, size, "bytes reported vs the file's size");
    }
    let names: Option<Vec<String>> = extra
        .get("columns")
        .map(|c| serde_json::from_value(c.clone()).expect("a list of names"));
    let include_raw = extra
        .get("include_raw")
        .and_then(Value::as_bool)
        .unwrap_or(h.writes_raw_by_default());
    let columns = select_columns(names.as_deref(), include_raw).expect("valid columns");

    let (header, rows) = h.read(&path);
    let want: Vec<&str> = columns.iter().map(|&c| COLUMNS[c].name).collect();
    assert_eq!(header, want, "header");
    // Sources leave `raw` out when no sink says it writes it.
    let prepared = registry(h)
        .prepare_sink(sink_config(h.sink_type(), &path, extra), "sinks[0]")
        .expect("prepare");
    assert_eq!(
        prepared.writes_raw,
        want.contains(&"raw"),
        "writes_raw() against the columns written"
    );
    assert_eq!(rows.len(), n, "rows read back");
    for (i, (row, record)) in rows.iter().zip(&records).enumerate() {
        let expected = expected_row(record, &columns);
        assert_eq!(row.len(), expected.len(), "cells in row {i}");
        for ((got, want), name) in row.iter().zip(&expected).zip(&header) {
            h.assert_cell(got, want, &format!("row {i}, column {name}"));
        }
    }
}

/// Every column, default options, 57 records in 4 batches.
///
/// # Panics
/// As [`round_trip`].
pub fn check_round_trip(h: &impl SinkHarness) {
    round_trip(h, json!({}), 57, 4);
}

/// One record per batch, `raw` included.
///
/// # Panics
/// As [`round_trip`].
pub fn check_one_record_per_batch(h: &impl SinkHarness) {
    round_trip(h, json!({"include_raw": true}), 13, 13);
}

/// A chosen subset of columns, in the order given.
///
/// # Panics
/// As [`round_trip`].
pub fn check_columns_in_order(h: &impl SinkHarness) {
    let columns = json!([
        "title",
        "skills",
        "created_at",
        "source_id",
        "latitude",
        "alternance",
        "positions"
    ]);
    round_trip(h, json!({"columns": columns}), 21, 3);
}

/// No record at all still gives a readable output with its header.
///
/// # Panics
/// As [`round_trip`].
pub fn check_empty_harvest(h: &impl SinkHarness) {
    round_trip(
        h,
        json!({"columns": ["source", "source_id", "title"]}),
        0,
        1,
    );
}

/// Dropped without `finish`, the sink leaves nothing behind.
///
/// # Panics
/// When a file is left.
pub fn check_drop_leaves_nothing(h: &impl SinkHarness) {
    super::check_drop_leaves_nothing(&registry(h), h.sink_type(), json!({}));
}

/// Unknown keys and bad `columns` are refused, naming the culprit.
///
/// # Panics
/// When one is accepted.
pub fn check_config_refusals(h: &impl SinkHarness) {
    super::check_unknown_key_named(&registry(h), h.sink_type());
    super::check_columns_validated(&registry(h), h.sink_type());
}

/// Runs every check of the sink suite, one `#[test]` each, in a module
/// named `conformance`. The argument is an expression building the harness.
#[macro_export]
macro_rules! sink_conformance {
    ($harness:expr) => {
        mod conformance {
            use super::*;
            use $crate::testkit::sinks as kit;

            #[test]
            fn round_trip() {
                kit::check_round_trip(&$harness);
            }
            #[test]
            fn one_record_per_batch() {
                kit::check_one_record_per_batch(&$harness);
            }
            #[test]
            fn columns_in_order() {
                kit::check_columns_in_order(&$harness);
            }
            #[test]
            fn empty_harvest() {
                kit::check_empty_harvest(&$harness);
            }
            #[test]
            fn drop_leaves_nothing() {
                kit::check_drop_leaves_nothing(&$harness);
            }
            #[test]
            fn config_refusals() {
                kit::check_config_refusals(&$harness);
            }
        }
    };
}

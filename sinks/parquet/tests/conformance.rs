//! The `parquet` sink against the core's sink conformance suite, read back
//! with parquet's Arrow reader.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use jobharvest_core::Registry;
use jobharvest_core::testkit::Expected;
use jobharvest_core::testkit::sinks::SinkHarness;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

struct Parquet;

/// Cell `row` of `column`, typed as the suite expects it.
fn cell(column: &ArrayRef, row: usize) -> Expected {
    if column.is_null(row) {
        return Expected::Null;
    }
    match column.data_type() {
        DataType::Utf8 => Expected::Text(column.as_string::<i32>().value(row).into()),
        DataType::Float64 => Expected::Float(column.as_primitive::<Float64Type>().value(row)),
        DataType::Int64 => Expected::Int(column.as_primitive::<Int64Type>().value(row)),
        DataType::Boolean => Expected::Bool(column.as_boolean().value(row)),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let us = column.as_primitive::<TimestampMicrosecondType>().value(row);
            Expected::Timestamp(chrono::DateTime::from_timestamp_micros(us).unwrap())
        }
        DataType::List(_) => {
            let items = column.as_list::<i32>().value(row);
            let texts = items.as_string::<i32>();
            Expected::List(texts.iter().map(|t| t.unwrap_or_default().into()).collect())
        }
        other => panic!("unexpected Arrow type {other}"),
    }
}

impl SinkHarness for Parquet {
    type Cell = Expected;

    fn sink_type(&self) -> &'static str {
        "parquet"
    }

    fn extension(&self) -> &'static str {
        "parquet"
    }

    fn register(&self, registry: &mut Registry) {
        jobharvest_sink_parquet::register(registry);
    }

    fn writes_raw_by_default(&self) -> bool {
        false
    }

    fn read(&self, path: &Path) -> (Vec<String>, Vec<Vec<Expected>>) {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
        let header = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut rows = Vec::new();
        for batch in builder.with_batch_size(11).build().unwrap() {
            let batch = batch.unwrap();
            for row in 0..batch.num_rows() {
                rows.push(batch.columns().iter().map(|c| cell(c, row)).collect());
            }
        }
        (header, rows)
    }

    fn assert_cell(&self, got: &Expected, want: &Expected, at: &str) {
        match (got, want) {
            // Bits, so that -0.0 and 0.0 differ.
            (Expected::Float(g), Expected::Float(w)) => {
                assert_eq!(g.to_bits(), w.to_bits(), "{at}")
            }
            _ => assert_eq!(got, want, "{at}"),
        }
    }
}

jobharvest_core::sink_conformance!(Parquet);

//! `jobharvest report`: the `report` sink's page, made from offers already
//! harvested into Parquet (a file, or a dataset folder).
//!
//! The rows are read back into records one batch at a time (1,024 rows,
//! the columns jobharvest knows, by name) and fed to the same sink a run
//! would feed, so the page is the same, less the run's own figures.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::DateTime;
use clap::Args;
use jobharvest_core::{
    COLUMNS, ColumnKind, Error, ErrorKind, JobRecord, Owned, Result, Sink, SinkContext,
    column_index,
};
use jobharvest_sink_report::{Lang, ReportConfig, ReportSink};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Rows decoded at a time.
const BATCH_ROWS: usize = 1024;

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A Parquet output of jobharvest, or a folder holding a Parquet
    /// dataset (every `*.parquet` under it, hive folders included).
    pub input: PathBuf,
    /// The page to write; default: the input's name with `.html`.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The page's language: fr (default) or en.
    #[arg(long, value_name = "LANG", default_value = "fr")]
    pub lang: String,
    /// The page's heading.
    #[arg(long)]
    pub title: Option<String>,
}

/// Makes the page.
///
/// # Errors
/// A config error for a bad language or an input without Parquet files; an
/// I/O or parse error naming the file that could not be read, in which case
/// no page is written.
pub fn run(args: ReportArgs, quiet: bool) -> Result<()> {
    let lang: Lang = args.lang.parse()?;
    let files = parquet_files(&args.input)?;
    let output = args.output.unwrap_or_else(|| default_output(&args.input));
    let config = ReportConfig::new(&output)
        .with_lang(lang)
        .with_title(args.title);
    let sink = ReportSink::create(config, &SinkContext::new("."))
        .map_err(|e| e.prefixed(format!("report `{}`", output.display())))?
        .with_made_from(args.input.display().to_string());
    let mut sink: Box<dyn Sink> = Box::new(sink);
    for file in &files {
        read_records(file, &mut |batch| sink.write(batch))?;
    }
    let report = sink.finish()?;
    if !quiet {
        eprintln!(
            "Report of {} offers from {} Parquet file{} written to {}.",
            report.rows,
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            output.display()
        );
    }
    Ok(())
}

/// `out/offres.parquet` gives `out/offres.html`; a folder `out/dataset`
/// gives `out/dataset.html`.
fn default_output(input: &Path) -> PathBuf {
    if input.is_dir() {
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        input.with_file_name(format!("{name}.html"))
    } else {
        input.with_extension("html")
    }
}

/// The input file, or every `*.parquet` file under the input folder,
/// sorted; hidden files and folders (temporary parts) are left out.
fn parquet_files(input: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(input).map_err(|e| Error::io("read", input, e))?;
    if meta.is_file() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut dirs = vec![input.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("read the folder", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read the folder", &dir, e))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::config(format!(
            "no `.parquet` file in `{}`; give a Parquet output of jobharvest or a folder holding some",
            input.display()
        )));
    }
    Ok(files)
}

/// Reads `path` a batch at a time into records, calling `each` with them.
fn read_records(path: &Path, each: &mut dyn FnMut(&[JobRecord]) -> Result<()>) -> Result<()> {
    let parse_error = |e: parquet::errors::ParquetError| {
        Error::new(
            ErrorKind::Parse,
            format!(
                "could not read `{}` as Parquet: {e}; give a Parquet output of jobharvest",
                path.display()
            ),
        )
        .with_source(e)
    };
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parse_error)?;
    // Only the columns jobharvest knows, by name.
    let known: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| column_index(f.name()).is_some())
        .map(|(i, _)| i)
        .collect();
    if !known
        .iter()
        .any(|&i| builder.schema().field(i).name() == "source_id")
    {
        return Err(Error::config(format!(
            "`{}` has no `source_id` column: it is not an output of jobharvest",
            path.display()
        )));
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), known);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parse_error)?;
    let mut skipped: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("could not read `{}`: {e}", path.display()),
            )
        })?;
        let records = records(&batch, &mut skipped);
        each(&records)?;
    }
    if !skipped.is_empty() {
        tracing::warn!(path = %path.display(), columns = %skipped.join(", "), "Columns of an unexpected type were left out of the report.");
    }
    Ok(())
}

/// The rows of `batch` as records; columns whose type does not fit are
/// named in `skipped` (once) and left empty.
fn records(batch: &RecordBatch, skipped: &mut Vec<String>) -> Vec<JobRecord> {
    let mut records: Vec<JobRecord> = (0..batch.num_rows())
        .map(|_| JobRecord::new("", ""))
        .collect();
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let Some(index) = column_index(field.name()) else {
            continue;
        };
        let kind = COLUMNS[index].kind;
        if !fits(array.data_type(), kind) {
            if !skipped.contains(field.name()) {
                skipped.push(field.name().clone());
            }
            continue;
        }
        for (row, record) in records.iter_mut().enumerate() {
            if let Some(value) = value(array.as_ref(), row, kind) {
                record.set(index, value);
            }
        }
    }
    records
}

/// Whether values of `data_type` can fill a column of `kind`.
fn fits(data_type: &DataType, kind: ColumnKind) -> bool {
    let text =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    match kind {
        ColumnKind::Text | ColumnKind::Json => text(data_type),
        ColumnKind::Float | ColumnKind::Int => matches!(
            data_type,
            DataType::Float64 | DataType::Float32 | DataType::Int64 | DataType::Int32
        ),
        ColumnKind::Bool => *data_type == DataType::Boolean,
        ColumnKind::Timestamp => matches!(data_type, DataType::Timestamp(_, _)),
        ColumnKind::TextList => match data_type {
            DataType::List(item) | DataType::LargeList(item) => text(item.data_type()),
            _ => false,
        },
    }
}

fn text_at(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => array.as_string_view().value(row).to_string(),
        _ => return None,
    })
}

/// The value at `row`, of a type [`fits`] accepted.
fn value(array: &dyn Array, row: usize, kind: ColumnKind) -> Option<Owned> {
    if array.is_null(row) {
        return None;
    }
    Some(match (kind, array.data_type()) {
        (ColumnKind::Text | ColumnKind::Json, _) => Owned::Text(text_at(array, row)?),
        (ColumnKind::Float | ColumnKind::Int, t) => {
            let (f, i) = match t {
                DataType::Float64 => (Some(array.as_primitive::<Float64Type>().value(row)), None),
                DataType::Float32 => (
                    Some(f64::from(array.as_primitive::<Float32Type>().value(row))),
                    None,
                ),
                DataType::Int64 => (None, Some(array.as_primitive::<Int64Type>().value(row))),
                DataType::Int32 => (
                    None,
                    Some(i64::from(array.as_primitive::<Int32Type>().value(row))),
                ),
                _ => return None,
            };
            match (kind, f, i) {
                (_, None, Some(i)) => Owned::Int(i),
                (ColumnKind::Float, Some(f), None) => Owned::Float(f),
                // A whole float in an integer column (pandas writes those).
                (_, Some(f), None) if f.fract() == 0.0 => Owned::Int(f as i64),
                _ => return None,
            }
        }
        (ColumnKind::Bool, _) => Owned::Bool(array.as_boolean().value(row)),
        (ColumnKind::Timestamp, DataType::Timestamp(unit, _)) => {
            let micros = match unit {
                TimeUnit::Second => array
                    .as_primitive::<TimestampSecondType>()
                    .value(row)
                    .checked_mul(1_000_000)?,
                TimeUnit::Millisecond => array
                    .as_primitive::<TimestampMillisecondType>()
                    .value(row)
                    .checked_mul(1000)?,
                TimeUnit::Microsecond => {
                    array.as_primitive::<TimestampMicrosecondType>().value(row)
                }
                TimeUnit::Nanosecond => {
                    array.as_primitive::<TimestampNanosecondType>().value(row) / 1000
                }
            };
            Owned::Timestamp(DateTime::from_timestamp_micros(micros)?)
        }
        (ColumnKind::TextList, DataType::List(_)) => {
            let list = array.as_list::<i32>().value(row);
            Owned::List((0..list.len()).filter_map(|j| text_at(&list, j)).collect())
        }
        (ColumnKind::TextList, DataType::LargeList(_)) => {
            let list = array.as_list::<i64>().value(row);
            Owned::List((0..list.len()).filter_map(|j| text_at(&list, j)).collect())
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_page_sits_beside_the_input() {
        assert_eq!(
            default_output(Path::new("out/offres.parquet")),
            PathBuf::from("out/offres.html")
        );
        let dir = tempfile::tempdir().unwrap();
        let dataset = dir.path().join("offres-dataset");
        std::fs::create_dir(&dataset).unwrap();
        assert_eq!(
            default_output(&dataset),
            dir.path().join("offres-dataset.html")
        );
    }

    #[test]
    fn a_dataset_is_every_parquet_file_under_it() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "ingest_date=2026-11-20/part-1.parquet",
            "ingest_date=2026-11-21/part-2.parquet",
            "ingest_date=2026-11-21/.part-3.parquet.tmp",
            "_SUCCESS",
            "notes.txt",
        ] {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        let files = parquet_files(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "ingest_date=2026-11-20/part-1.parquet",
                "ingest_date=2026-11-21/part-2.parquet"
            ]
        );
        let empty = tempfile::tempdir().unwrap();
        let err = parquet_files(empty.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
}

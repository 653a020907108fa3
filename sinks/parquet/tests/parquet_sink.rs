//! Writes generated records through the `parquet` sink and reads them back
//! with parquet's Arrow reader: schema, row groups, codec, every value.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use jobharvest_core::testkit::{self, Expected, Generator, expected_row, sink_config};
use jobharvest_core::{COLUMNS, ColumnKind, JobRecord, Registry, SinkReport, select_columns};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData, RowGroupMetaData};
use serde_json::{Value, json};

fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_parquet::register(&mut r);
    r
}

fn write(path: &Path, extra: Value, records: &[JobRecord], batches: usize) -> SinkReport {
    testkit::write_all(
        &registry(),
        sink_config("parquet", path, extra),
        records,
        batches,
    )
}

/// The file's metadata and every batch in it.
fn read(path: &Path) -> (std::sync::Arc<ParquetMetaData>, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let metadata = builder.metadata().clone();
    let batches = builder
        .with_batch_size(17)
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (metadata, batches)
}

/// The value at `row` of `array`, as the testkit expects it.
fn value(array: &dyn Array, row: usize) -> Expected {
    if array.is_null(row) {
        return Expected::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Expected::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::Float64 => Expected::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Int64 => Expected::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::Boolean => Expected::Bool(array.as_boolean().value(row)),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
            let micros = array.as_primitive::<TimestampMicrosecondType>().value(row);
            Expected::Timestamp(chrono::DateTime::from_timestamp_micros(micros).unwrap())
        }
        DataType::List(item) => {
            assert_eq!(item.data_type(), &DataType::Utf8);
            let list = array.as_list::<i32>().value(row);
            let strings = list.as_string::<i32>();
            assert_eq!(strings.null_count(), 0, "null list element");
            Expected::List(strings.iter().map(|s| s.unwrap().to_string()).collect())
        }
        other => panic!("unexpected type {other}"),
    }
}

/// Compares every cell of the file with `records`.
fn assert_values(batches: &[RecordBatch], records: &[JobRecord], columns: &[usize]) {
    let mut records = records.iter().enumerate();
    for batch in batches {
        assert_eq!(batch.num_columns(), columns.len());
        for row in 0..batch.num_rows() {
            let (i, record) = records.next().expect("more rows than records");
            let expected = expected_row(record, columns);
            for ((want, &c), array) in expected.iter().zip(columns).zip(batch.columns()) {
                let got = value(array.as_ref(), row);
                // -0.0 == 0.0 for PartialEq; compare bits for floats.
                if let (Expected::Float(w), Expected::Float(g)) = (want, &got) {
                    assert_eq!(w.to_bits(), g.to_bits(), "row {i}, {}", COLUMNS[c].name);
                } else {
                    assert_eq!(&got, want, "row {i}, {}", COLUMNS[c].name);
                }
            }
        }
    }
    assert!(records.next().is_none(), "fewer rows than records");
}

#[test]
fn every_value_reads_back_with_standard_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x/y/out.parquet");
    let records = Generator::new().long_description(40_000).records(0, 57);
    testkit::assert_varied(&records);
    let report = write(&path, json!({"include_raw": true}), &records, 4);
    assert_eq!(report.rows, 57);
    assert_eq!(report.bytes, Some(std::fs::metadata(&path).unwrap().len()));
    assert!(report.warnings.is_empty());

    let (metadata, batches) = read(&path);
    let columns = select_columns(None, true).unwrap();
    assert_eq!(columns.len(), COLUMNS.len(), "raw is written when asked");
    let schema = batches[0].schema();
    for (field, column) in schema.fields().iter().zip(COLUMNS) {
        assert_eq!(field.name(), column.name);
        let want = match column.kind {
            ColumnKind::Text | ColumnKind::Json => DataType::Utf8,
            ColumnKind::Float => DataType::Float64,
            ColumnKind::Int => DataType::Int64,
            ColumnKind::Bool => DataType::Boolean,
            ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnKind::TextList => {
                let DataType::List(item) = field.data_type() else {
                    panic!("{}: {}", column.name, field.data_type())
                };
                assert!(!item.is_nullable(), "{}: list items nullable", column.name);
                DataType::List(item.clone())
            }
        };
        assert_eq!(field.data_type(), &want, "{}", column.name);
        let key = matches!(column.name, "source" | "source_id");
        let nullable = !key && column.kind != ColumnKind::TextList;
        assert_eq!(field.is_nullable(), nullable, "{}", column.name);
    }
    assert_values(&batches, &records, &columns);

    assert_eq!(metadata.file_metadata().num_rows(), 57);
    for row_group in metadata.row_groups() {
        for column in row_group.columns() {
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{}: {:?}",
                column.column_path(),
                column.compression()
            );
        }
    }
}

#[test]
fn row_groups_are_bounded_by_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("groups.parquet");
    let records = Generator::new().records(0, 50);
    write(
        &path,
        json!({"max_row_group_rows": 7, "include_raw": true}),
        &records,
        3,
    );
    let (metadata, batches) = read(&path);
    let sizes: Vec<i64> = metadata.row_groups().iter().map(|g| g.num_rows()).collect();
    assert!(sizes.iter().all(|&n| n <= 7), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<i64>(), 50);
    assert_eq!(sizes.len(), 8, "{sizes:?}");
    assert_values(&batches, &records, &select_columns(None, true).unwrap());
}

#[test]
fn row_groups_are_bounded_by_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bytes.parquet");
    // Unique descriptions, so that dictionary encoding cannot shrink them.
    let mut records = Generator::new().records(0, 200);
    for (i, r) in records.iter_mut().enumerate() {
        r.description = Some(format!("{i} {}", testkit::long_text(5_000)));
    }
    // 20 writes of 10 rows (~50 KB each): the row limit cannot split them.
    write(
        &path,
        json!({"max_row_group_bytes": 64 * 1024, "include_raw": true}),
        &records,
        20,
    );
    let (metadata, batches) = read(&path);
    let groups = metadata.num_row_groups();
    assert!(
        groups >= 5,
        "a 64 KiB limit should split ~1 MB: {groups} group(s)"
    );
    assert_values(&batches, &records, &select_columns(None, true).unwrap());

    write(&path, json!({"include_raw": true}), &records, 20);
    assert_eq!(read(&path).0.num_row_groups(), 1, "defaults keep one group");
}

#[test]
fn compression_level_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let records = Generator::new().records(0, 2_000);
    let size = |level: i32| {
        let path = dir.path().join(format!("l{level}.parquet"));
        let bytes = write(
            &path,
            json!({"compression_level": level, "include_raw": true}),
            &records,
            2,
        )
        .bytes
        .unwrap();
        let (metadata, batches) = read(&path);
        // The footer names the codec, not the level: compare sizes.
        let codec = metadata.row_group(0).column(2).compression();
        assert!(matches!(codec, Compression::ZSTD(_)), "{codec:?}");
        assert_values(&batches, &records, &select_columns(None, true).unwrap());
        bytes
    };
    let (faster, fast, small) = (size(-5), size(1), size(19));
    assert!(small < fast, "level 19 ({small} B) vs level 1 ({fast} B)");
    assert!(fast < faster, "level 1 ({fast} B) vs level -5 ({faster} B)");
}

/// `n` generated records written in `batches` batches with the default
/// options, and what reads back.
fn written_with_defaults(
    n: usize,
    batches: usize,
) -> (
    Vec<JobRecord>,
    std::sync::Arc<ParquetMetaData>,
    Vec<RecordBatch>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("default.parquet");
    let records = Generator::new().records(0, n);
    write(&path, json!({"include_raw": true}), &records, batches);
    let (metadata, read_back) = read(&path);
    (records, metadata, read_back)
}

/// The column chunk of `group` named `name`.
fn chunk<'a>(group: &'a RowGroupMetaData, name: &str) -> &'a ColumnChunkMetaData {
    group
        .columns()
        .iter()
        .find(|c| c.column_path().string() == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn dictionaries_only_where_values_repeat() {
    let (records, metadata, batches) = written_with_defaults(500, 2);
    assert_values(&batches, &records, &select_columns(None, true).unwrap());
    let group = metadata.row_group(0);
    let has_dictionary = |name: &str| chunk(group, name).dictionary_page_offset().is_some();
    for unique in ["source_id", "url", "fingerprint", "description", "raw"] {
        assert!(!has_dictionary(unique), "{unique} has a dictionary");
    }
    for repeated in ["source", "contract_type", "department_code"] {
        assert!(has_dictionary(repeated), "{repeated} has no dictionary");
    }
}

/// Statistics per column chunk (readers skip row groups by them), no page
/// index of min and max per page (it would repeat the chunk's for the short
/// columns and the writer holds it in memory until the end), and an offset
/// index so single pages of `raw` can still be fetched.
#[test]
fn statistics_per_chunk_and_an_offset_index_but_no_column_index() {
    let (_, metadata, _) = written_with_defaults(300, 3);
    let group = metadata.row_group(0);
    let chunk = |name: &str| chunk(group, name);
    for name in ["created_at", "contract_type", "source_id"] {
        let stats = chunk(name).statistics();
        assert!(
            stats.is_some_and(|s| s.min_bytes_opt().is_some() && s.max_bytes_opt().is_some()),
            "{name} has no min/max: {stats:?}"
        );
    }
    for name in ["description", "raw"] {
        assert!(chunk(name).statistics().is_none(), "{name} has statistics");
    }
    for c in group.columns() {
        let name = c.column_path().string();
        assert!(
            c.column_index_offset().is_none(),
            "{name} has a column index"
        );
        assert!(
            c.offset_index_offset().is_some(),
            "{name} has no offset index"
        );
    }
}

#[test]
fn columns_are_written_in_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cols.parquet");
    let records = Generator::new().records(3, 40);
    let names = [
        "skills",
        "created_at",
        "source_id",
        "latitude",
        "positions",
        "alternance",
        "raw",
    ];
    write(&path, json!({"columns": names}), &records, 5);
    let (_, batches) = read(&path);
    let schema = batches[0].schema();
    let got: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(got, names);
    assert_values(&batches, &records, &testkit::column_indices(&names));
}

#[test]
fn raw_is_left_out_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noraw.parquet");
    let records = Generator::new().records(0, 10);
    write(&path, json!({}), &records, 2);
    let (_, batches) = read(&path);
    assert!(batches[0].schema().field_with_name("raw").is_err());
    assert_values(&batches, &records, &select_columns(None, false).unwrap());
}

#[test]
fn an_empty_harvest_is_a_valid_file_with_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pq");
    let report = write(&path, json!({}), &[], 1);
    assert_eq!(report.rows, 0);
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
    assert_eq!(builder.schema().fields().len(), COLUMNS.len() - 1);
    assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn bad_options_are_refused_with_the_fix() {
    let cases = [
        (json!({"compression_level": 0}), "compression_level"),
        (json!({"compression_level": 23}), "compression_level"),
        (json!({"compression_level": -8}), "compression_level"),
        (json!({"max_row_group_rows": 0}), "max_row_group_rows"),
        (json!({"max_row_group_bytes": 0}), "max_row_group_bytes"),
        (json!({"max_row_group_rows": -1}), "max_row_group_rows"),
    ];
    for (extra, key) in cases {
        let config = sink_config("parquet", Path::new("x.parquet"), extra.clone());
        let err = registry().prepare_sink(config, "sinks[0]").unwrap_err();
        assert!(err.to_string().contains(key), "{extra}: {err}");
    }
}

#[test]
fn dropping_without_finish_leaves_nothing() {
    testkit::check_drop_leaves_nothing(&registry(), "parquet", json!({"max_row_group_rows": 5}));
}

#[test]
fn unknown_keys_are_named() {
    testkit::check_unknown_key_named(&registry(), "parquet");
}

#[test]
fn bad_columns_are_named() {
    testkit::check_columns_validated(&registry(), "parquet");
}

#[test]
fn both_extensions_select_the_sink() {
    let r = registry();
    assert_eq!(
        r.sink_type_for_path(Path::new("a.parquet")).unwrap(),
        "parquet"
    );
    assert_eq!(r.sink_type_for_path(Path::new("a.PQ")).unwrap(), "parquet");
}

/// The part files of a dataset directory, sorted, temporary files
/// included (there must be none).
fn parts(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut parts = Vec::new();
    for partition in testkit::files_in(dir) {
        let name = partition
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with("ingest_date="), "{name}");
        parts.extend(testkit::files_in(&partition));
    }
    parts
}

#[test]
fn a_dataset_gets_one_part_per_run_readable_as_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("offres");
    let records = Generator::new().records(0, 50);
    let extra = json!({"dataset": true, "max_row_group_rows": 16, "include_raw": true});
    write(&root, extra.clone(), &records[..30], 3);
    write(&root, extra.clone(), &records[30..], 2);
    // A run with nothing to write adds no file.
    let empty = write(&root, extra, &[], 1);
    assert_eq!(empty.rows, 0);

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let files = parts(&root);
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with("part-") && name.ends_with(".parquet"),
            "{name}"
        );
        let partition = f.parent().unwrap().file_name().unwrap().to_string_lossy();
        assert_eq!(partition, format!("ingest_date={today}"));
    }
    // One table: the same schema in every part, and every record once.
    let columns = select_columns(None, true).unwrap();
    let mut schemas = Vec::new();
    let mut all = Vec::new();
    for f in &files {
        let (metadata, batches) = read(f);
        schemas.push(
            metadata
                .file_metadata()
                .schema_descr()
                .root_schema()
                .clone(),
        );
        all.extend(batches);
    }
    assert_eq!(schemas[0], schemas[1], "parts share one schema");
    // Part names start with the run's instant: sorted by name, by run.
    assert_values(&all, &records, &columns);
}

#[test]
fn a_dropped_dataset_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("offres");
    let prepared = registry()
        .prepare_sink(
            sink_config("parquet", &root, json!({"dataset": true})),
            "sinks[0]",
        )
        .unwrap();
    let mut sink = prepared
        .open(&jobharvest_core::SinkContext::new("."))
        .unwrap();
    sink.write(&Generator::new().records(0, 10)).unwrap();
    drop(sink);
    assert_eq!(parts(&root), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_directory_without_dataset_and_a_file_with_it_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = |path: &Path, extra: Value| {
        let prepared = registry()
            .prepare_sink(sink_config("parquet", path, extra), "sinks[0]")
            .unwrap();
        match prepared.open(&jobharvest_core::SinkContext::new(".")) {
            Ok(_) => panic!("{} opened", path.display()),
            Err(e) => e.to_string(),
        }
    };
    let msg = open(dir.path(), json!({}));
    assert!(msg.contains("add `dataset: true`"), "{msg}");
    let file = dir.path().join("one.parquet");
    std::fs::write(&file, b"PAR1").unwrap();
    let msg = open(&file, json!({"dataset": true}));
    assert!(msg.contains("is a file"), "{msg}");
}

/// Every line the archive reader gives for `path`, as `board`'s replay
/// reads them.
fn archive_lines(path: &Path, board: &str) -> Vec<String> {
    let mut text = String::new();
    let archive = jobharvest_sink_parquet::open_raw_archive(path, board).unwrap();
    let mut lines = archive.lines;
    lines.read_to_string(&mut text).unwrap();
    let rows = archive.rows;
    assert_eq!(rows, Some(text.lines().count() as u64), "rows of {board}");
    text.lines().map(str::to_string).collect()
}

#[test]
fn the_raw_column_reads_back_as_json_lines_of_one_board() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.parquet");
    // More rows than one read decodes, from several boards, some without
    // a payload, one pretty-printed.
    let mut records = Generator::new().records(0, 2_500);
    records[3].raw = Some("{\n  \"id\": \"pretty\",\r\n  \"text\": \"a\\nb\"\n}".into());
    write(
        &path,
        json!({"max_row_group_rows": 1_000, "include_raw": true}),
        &records,
        5,
    );

    let mut boards: Vec<&str> = records.iter().map(|r| r.source.as_str()).collect();
    boards.sort_unstable();
    boards.dedup();
    assert!(boards.len() > 1, "{boards:?}");
    assert!(
        records.iter().any(|r| r.raw.is_none()),
        "no row without raw"
    );
    boards.push("nobody");
    let mut total = 0;
    for board in boards {
        let lines = archive_lines(&path, board);
        assert_eq!(lines.len(), records.len(), "{board}: one line per row");
        for (i, (line, record)) in lines.iter().zip(&records).enumerate() {
            let want = match &record.raw {
                Some(raw) if record.source == board => raw.replace(['\n', '\r'], " "),
                _ => String::new(),
            };
            assert_eq!(line, &want, "{board}, row {i}");
            if !line.is_empty() {
                serde_json::from_str::<Value>(line).unwrap();
                total += 1;
            }
        }
    }
    assert_eq!(total, records.iter().filter(|r| r.raw.is_some()).count());
    // The escaped break inside the string is left alone.
    let lines = archive_lines(&path, &records[3].source);
    assert_eq!(
        serde_json::from_str::<Value>(&lines[3]).unwrap()["text"],
        "a\nb"
    );
}

#[test]
fn an_archive_without_raw_or_not_parquet_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noraw.parquet");
    let refused = |path: &Path| match jobharvest_sink_parquet::open_raw_archive(path, "x") {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    };
    write(
        &path,
        json!({"include_raw": false}),
        &Generator::new().records(0, 3),
        1,
    );
    let err = refused(&path);
    assert!(
        err.contains("no `raw` column") && err.contains("include_raw"),
        "{err}"
    );

    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, "{\"id\": 1}\n").unwrap();
    let err = refused(&fake);
    assert!(
        err.contains("as Parquet") && err.contains(".jsonl"),
        "{err}"
    );
}

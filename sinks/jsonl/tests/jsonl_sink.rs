//! Writes generated records through the `jsonl` sink and reads the files
//! back (decompressed with flate2's decoder when gzipped), line by line.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use jobharvest_core::testkit::{self, sink_config};
use jobharvest_core::{ErrorKind, JobRecord, SinkContext};
use serde_json::{Value, json};

use common::{board_records, expected_lines, read_lines, read_text, registry, write};

/// Opens a sink for `config` with relative paths under `dir`.
fn open(config: Value, dir: &Path) -> Box<dyn jobharvest_core::Sink> {
    registry()
        .prepare_sink(config, "sinks[0]")
        .unwrap()
        .open(&SinkContext::new(dir))
        .unwrap()
}

fn refusal(extra: Value) -> jobharvest_core::Error {
    registry()
        .prepare_sink(
            sink_config("jsonl", Path::new("a.jsonl.gz"), extra),
            "sinks[0]",
        )
        .expect_err("must be refused")
}

#[test]
fn each_line_is_one_records_raw_payload_with_its_line_breaks_made_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/offres.jsonl");
    let records = board_records("france_travail", 0, 57);
    let report = write(&path, json!({}), &records, 4);

    let want = expected_lines(&records);
    assert!(want.len() > 30, "most records have a payload");
    assert!(
        records
            .iter()
            .filter_map(|r| r.raw.as_deref())
            .any(|r| r.contains("\r\n")),
        "some payloads span lines"
    );
    let got = read_lines(&path);
    assert_eq!(got, want);
    for (line, raw) in got
        .iter()
        .zip(records.iter().filter_map(|r| r.raw.as_deref()))
    {
        let (line, raw): (Value, Value) = (
            serde_json::from_str(line).unwrap(),
            serde_json::from_str(raw).unwrap(),
        );
        assert_eq!(line, raw, "the line is the same JSON as the payload");
    }
    assert_eq!(report.rows, want.len() as u64);
    assert_eq!(report.bytes, Some(std::fs::metadata(&path).unwrap().len()));
}

#[test]
fn gzip_output_decompresses_to_the_plain_lines_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let records = board_records("adzuna", 0, 200);
    let plain = dir.path().join("offres.jsonl");
    write(&plain, json!({}), &records, 3);
    let plain_text = read_text(&plain);
    assert_eq!(
        plain_text.lines().collect::<Vec<_>>(),
        expected_lines(&records)
    );

    for (name, extra) in [
        ("default.jsonl.gz", json!({})),
        ("level9.ndjson.gz", json!({"compression_level": 9})),
        ("upper.jsonl.GZ", json!({"compression_level": 5})),
    ] {
        let gz = dir.path().join(name);
        let report = write(&gz, extra, &records, 3);
        let bytes = std::fs::read(&gz).unwrap();
        assert_eq!(bytes[..2], [0x1f, 0x8b], "{name} is gzip");
        assert!(bytes.len() * 3 < plain_text.len(), "{name} is compressed");
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, plain_text, "{name}");
        assert_eq!(report.bytes, Some(bytes.len() as u64), "{name}");
        assert_eq!(report.rows, plain_text.lines().count() as u64, "{name}");
    }

    let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len();
    assert!(
        size("level9.ndjson.gz") < size("default.jsonl.gz"),
        "compression_level is applied"
    );

    // The same offers give the same bytes, however they were batched.
    let again = dir.path().join("again.jsonl.gz");
    write(&again, json!({}), &records, 17);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(dir.path().join("default.jsonl.gz")).unwrap()
    );
}

#[test]
fn source_placeholder_writes_each_board_to_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    // Boards interleaved within batches, as several sources give them.
    let mut records = Vec::new();
    let boards = ["france_travail", "adzuna", "arbeitnow"];
    for chunk in 0..6 {
        for board in boards {
            records.extend(board_records(board, chunk * 10, 10));
        }
    }
    // A board with no payload at all gets no file.
    let mut silent = board_records("silent", 0, 4);
    for r in &mut silent {
        r.raw = None;
    }
    records.splice(7..7, silent);

    for (template, name_of) in [
        (
            "archive/{source}.jsonl.gz",
            (|b: &str| format!("archive/{b}.jsonl.gz")) as fn(&str) -> String,
        ),
        ("{source}/offres.jsonl", |b: &str| {
            format!("{b}/offres.jsonl")
        }),
    ] {
        let path = dir.path().join(template);
        let report = write(&path, json!({}), &records, 5);
        let mut total = (0, 0);
        for board in boards {
            let file = dir.path().join(name_of(board));
            let of_board: Vec<JobRecord> = records
                .iter()
                .filter(|r| r.source == board)
                .cloned()
                .collect();
            assert_eq!(
                read_lines(&file),
                expected_lines(&of_board),
                "{}",
                file.display()
            );
            total.0 += expected_lines(&of_board).len() as u64;
            total.1 += std::fs::metadata(&file).unwrap().len();
        }
        assert!(!dir.path().join(name_of("silent")).exists(), "{template}");
        assert_eq!((report.rows, report.bytes), (total.0, Some(total.1)));
        assert_eq!(report.warnings.len(), 1, "the silent board's records");
    }
    assert_eq!(
        testkit::files_in(&dir.path().join("archive")).len(),
        boards.len(),
        "no temporary file left"
    );
}

#[test]
fn a_second_board_without_the_placeholder_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/offres.jsonl.gz");
    let ft = board_records("france_travail", 0, 20);
    let az = board_records("adzuna", 0, 20);

    let mut sink = open(sink_config("jsonl", &path, json!({})), dir.path());
    sink.write(&ft).unwrap();
    let err = sink.write(&az).expect_err("two boards in one file");
    let msg = err.to_string();
    assert_eq!(err.kind(), ErrorKind::Config, "{msg}");
    for part in ["`france_travail`", "`adzuna`", "put {source} in path"] {
        assert!(msg.contains(part), "{part} not in: {msg}");
    }
    assert!(msg.contains("offres-{source}.jsonl.gz"), "{msg}");
    drop(sink);
    assert_eq!(
        testkit::files_in(&dir.path().join("out")),
        Vec::<PathBuf>::new()
    );

    // Within one batch too, and an older archive stays as it was.
    std::fs::write(&path, b"older").unwrap();
    let mut sink = open(sink_config("jsonl", &path, json!({})), dir.path());
    let mixed: Vec<JobRecord> = ft[..3].iter().chain(&az[..3]).cloned().collect();
    assert!(sink.write(&mixed).is_err());
    drop(sink);
    assert_eq!(std::fs::read(&path).unwrap(), b"older");
    assert_eq!(testkit::files_in(&dir.path().join("out")), vec![path]);
}

#[test]
fn dropped_without_finish_every_board_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive/{source}.jsonl");
    let mut sink = open(sink_config("jsonl", &path, json!({})), dir.path());
    sink.write(&board_records("france_travail", 0, 10)).unwrap();
    sink.write(&board_records("adzuna", 0, 10)).unwrap();
    drop(sink);
    assert_eq!(
        testkit::files_in(&dir.path().join("archive")),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn a_run_without_records_writes_an_empty_archive_or_no_board_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.jsonl", "empty.jsonl.gz"] {
        let path = dir.path().join(name);
        let report = write(&path, json!({}), &[], 1);
        assert_eq!(report.rows, 0);
        assert_eq!(read_text(&path), "", "{name}");
    }
    let report = write(&dir.path().join("per/{source}.jsonl"), json!({}), &[], 1);
    assert_eq!((report.rows, report.bytes), (0, Some(0)));
    assert_eq!(
        testkit::files_in(&dir.path().join("per")),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn compression_level_out_of_range_is_refused_naming_the_range() {
    for level in [json!(0), json!(10), json!(-1), json!(1_000_000_000_000_i64)] {
        let err = refusal(json!({"compression_level": level}));
        let msg = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Config, "{msg}");
        assert!(msg.starts_with("sinks[0]"), "{msg}");
        assert!(
            msg.contains(&format!("compression_level: {level} is out of range")),
            "{msg}"
        );
        assert!(msg.contains("1 (fastest, the default) to 9"), "{msg}");
    }
    let err = refusal(json!({"compression_level": "fast"}));
    assert!(err.to_string().contains("compression_level"), "{err}");
    for level in 1..=9 {
        let config = sink_config(
            "jsonl",
            Path::new("a.jsonl.gz"),
            json!({"compression_level": level}),
        );
        registry().prepare_sink(config, "sinks[0]").unwrap();
    }
}

#[test]
fn compression_level_for_a_plain_path_is_refused_with_the_fix() {
    let config = sink_config(
        "jsonl",
        Path::new("a.jsonl"),
        json!({"compression_level": 6}),
    );
    let msg = registry()
        .prepare_sink(config, "sinks[0]")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("does not end in `.gz`"), "{msg}");
    assert!(msg.contains("remove compression_level"), "{msg}");
}

#[test]
fn unknown_keys_unknown_placeholders_and_a_missing_path_are_refused() {
    testkit::check_unknown_key_named(&registry(), "jsonl");

    let err = registry()
        .prepare_sink(json!({"type": "jsonl"}), "sinks[0]")
        .unwrap_err();
    assert!(err.to_string().contains("`path`"), "{err}");
    let err = registry()
        .prepare_sink(json!({"type": "jsonl", "path": ""}), "sinks[0]")
        .unwrap_err();
    assert!(err.to_string().contains("path: empty"), "{err}");

    let err = registry()
        .prepare_sink(
            json!({"type": "jsonl", "path": "archive/{board}.jsonl.gz"}),
            "sinks[0]",
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown placeholder `{board}`"), "{err}");
    assert!(err.contains("{source}"), "{err}");
    // Braces that are no placeholder are a file name like any other.
    for path in ["a/{ }.jsonl", "a/{x-y}.jsonl", "{source}-{.jsonl"] {
        registry()
            .prepare_sink(json!({"type": "jsonl", "path": path}), "sinks[0]")
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

/// `-o PATH` picks the sink for `.jsonl` and `.ndjson`; `.gz` stays
/// unclaimed, since it says nothing of what is compressed.
#[test]
fn the_plain_extensions_select_the_sink_and_gz_does_not() {
    let r = registry();
    for name in ["out/offres.jsonl", "OFFRES.NDJSON"] {
        assert_eq!(r.sink_type_for_path(Path::new(name)).unwrap(), "jsonl");
    }
    let err = r
        .sink_type_for_path(Path::new("out/offres.jsonl.gz"))
        .unwrap_err();
    assert!(err.to_string().contains("--sink TYPE:PATH"), "{err}");
}

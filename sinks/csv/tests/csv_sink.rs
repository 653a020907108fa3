//! Writes generated records through the `csv` sink and reads them back with
//! the `csv` crate, cell by cell.

use std::path::Path;

use jobharvest_core::testkit::{self, Expected, Generator, expected_row, sink_config};
use jobharvest_core::{COLUMNS, Registry, select_columns};
use serde_json::{Value, json};

fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_csv::register(&mut r);
    r
}

/// Reads `path` (a BOM is stripped and reported) into a header and rows.
fn read(path: &Path, delimiter: u8) -> (bool, Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, &bytes[..]),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(body);
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (bom, header, rows)
}

/// Writes `n` generated records with `extra` options, reads them back and
/// compares every cell with what went in.
fn round_trip(extra: Value, delimiter: u8, list_separator: &str, n: usize) -> (Vec<u8>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/out.csv");
    let records = Generator::new().long_description(40_000).records(0, n);
    let report = testkit::write_all(
        &registry(),
        sink_config("csv", &path, extra.clone()),
        &records,
        4,
    );
    assert_eq!(report.rows, n as u64);
    assert_eq!(report.bytes, Some(std::fs::metadata(&path).unwrap().len()));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let columns: Option<Vec<String>> = extra
        .get("columns")
        .map(|c| serde_json::from_value(c.clone()).unwrap());
    let include_raw = extra.get("include_raw").and_then(Value::as_bool);
    let columns = select_columns(columns.as_deref(), include_raw.unwrap_or(false)).unwrap();

    let (bom, header, rows) = read(&path, delimiter);
    let names: Vec<&str> = columns.iter().map(|&c| COLUMNS[c].name).collect();
    assert_eq!(header, names);
    assert_eq!(rows.len(), n);
    for (i, (row, record)) in rows.iter().zip(&records).enumerate() {
        let expected = expected_row(record, &columns);
        assert_eq!(row.len(), expected.len(), "row {i}");
        for ((got, want), name) in row.iter().zip(&expected).zip(&names) {
            assert_eq!(got, &want.to_text(list_separator), "row {i}, column {name}");
            if let Expected::Float(f) = want {
                assert_eq!(got.parse::<f64>().unwrap(), *f, "row {i}, {name}");
            }
        }
    }
    (std::fs::read(&path).unwrap(), bom)
}

#[test]
fn every_cell_reads_back_as_written() {
    let records = Generator::new().records(0, 57);
    testkit::assert_varied(&records);
    let (bytes, bom) = round_trip(json!({}), b',', " | ", 57);
    assert!(!bom, "no BOM unless asked for");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        text.starts_with("source,source_id,title,"),
        "{}",
        &text[..40]
    );
    assert!(
        text.contains(",contact_details\r\n"),
        "raw left out by default, CRLF ends"
    );
    assert!(!text.lines().next().unwrap().contains("raw"));
    assert!(!text.contains("None"), "a null was written as None");
    assert!(text.contains("2024-07-08T10:35:59.445Z"), "millis kept");
    assert!(
        text.contains("\"He said \"\"hello\"\" and left\""),
        "quotes doubled"
    );
}

#[test]
fn semicolon_and_bom_for_french_excel() {
    let extra = json!({"delimiter": ";", "bom": true, "list_separator": ", "});
    let (bytes, bom) = round_trip(extra, b';', ", ", 23);
    assert!(bom, "BOM asked for");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("source;source_id;title;"));
    assert!(text.contains("\"semi;colon;separated\""), "`;` quoted");
    assert!(
        text.contains(";Commas, everywhere, here;"),
        "`,` not quoted"
    );
}

#[test]
fn tab_delimiter_works() {
    round_trip(json!({"delimiter": "\t"}), b'\t', " | ", 12);
}

#[test]
fn columns_are_written_in_the_order_given() {
    let extra = json!({"columns": ["title", "skills", "created_at", "source_id", "latitude", "alternance", "positions", "raw"]});
    let (bytes, _) = round_trip(extra, b',', " | ", 31);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with("title,skills,created_at,source_id,latitude,alternance,positions,raw\r\n")
    );
}

#[test]
fn raw_can_be_kept() {
    let (bytes, _) = round_trip(json!({"include_raw": true}), b',', " | ", 9);
    let text = String::from_utf8(bytes).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",contact_details,raw"), "{header}");
}

#[test]
fn an_empty_harvest_has_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.csv");
    let report = testkit::write_all(
        &registry(),
        sink_config("csv", &path, json!({"columns": ["source", "title"]})),
        &[],
        1,
    );
    assert_eq!(report.rows, 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"source,title\r\n");
}

#[test]
fn bad_delimiters_are_refused_with_the_fix() {
    for bad in ["", ";;", "é", "\"", "\n", "\r", "tab"] {
        let config = sink_config("csv", Path::new("x.csv"), json!({"delimiter": bad}));
        let err = registry().prepare_sink(config, "sinks[1]").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("sinks[1]: delimiter"), "{bad:?}: {msg}");
        assert!(msg.contains("\";\""), "{bad:?}: no fix in {msg}");
    }
}

#[test]
fn empty_list_separator_is_refused() {
    let config = sink_config("csv", Path::new("x.csv"), json!({"list_separator": ""}));
    let err = registry().prepare_sink(config, "sinks[0]").unwrap_err();
    assert!(err.to_string().contains("list_separator"), "{err}");
}

#[test]
fn dropping_without_finish_leaves_nothing() {
    testkit::check_drop_leaves_nothing(&registry(), "csv", json!({}));
}

#[test]
fn unknown_keys_are_named() {
    testkit::check_unknown_key_named(&registry(), "csv");
}

#[test]
fn bad_columns_are_named() {
    testkit::check_columns_validated(&registry(), "csv");
}

#[test]
fn the_extension_selects_the_sink() {
    let r = registry();
    assert_eq!(r.sink_type_for_path(Path::new("a/B.CSV")).unwrap(), "csv");
    let prepared = r
        .prepare_sink(sink_config("csv", Path::new("a/b.csv"), json!({})), "s")
        .unwrap();
    assert_eq!(prepared.target, "a/b.csv");
}

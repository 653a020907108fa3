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

/// The text the sink writes for `want`: with `escaped`, text a spreadsheet
/// would run as a formula gets a leading `'` (numbers never do).
fn as_written(want: &Expected, list_separator: &str, escaped: bool) -> String {
    let text = want.to_text(list_separator);
    let textual = matches!(want, Expected::Text(_) | Expected::List(_));
    if escaped && textual && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Whether `extra` asks for formula escaping (the default, unless
/// `formulas: keep` or `escape_formulas: false`).
fn escapes(extra: &Value) -> bool {
    match extra.get("formulas").and_then(Value::as_str) {
        Some("keep") => false,
        Some(_) => true,
        None => extra
            .get("escape_formulas")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    }
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
            let text = as_written(want, list_separator, escapes(&extra));
            assert_eq!(got, &text, "row {i}, column {name}");
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

/// CSV injection: a cell starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return runs as a formula when Excel opens the file.
#[test]
fn formula_like_text_is_defused_unless_the_spec_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = [
        "=HYPERLINK(\"http://evil.example\",\"Postuler\")",
        "+33 1 23 45 67 89",
        "- Vendeur (H/F)",
        "@SUM(A1:A9)",
        "\tcmd",
        "\rcmd",
    ];
    let mut records = Generator::new().records(0, hostile.len() + 1);
    for (r, text) in records.iter_mut().zip(hostile) {
        r.title = Some(text.to_string());
        r.skills = vec![text.to_string(), "SQL".into()];
        r.salary_min = Some(-1.5);
    }
    records[hostile.len()].title = Some("Vendeur = conseiller".into());
    let columns = ["title", "skills", "salary_min"];
    let rows_written_with = |mut extra: Value| {
        let path = dir.path().join("f.csv");
        extra["columns"] = json!(columns);
        testkit::write_all(&registry(), sink_config("csv", &path, extra), &records, 2);
        read(&path, b',').2
    };
    for (extra, escaped) in [
        (json!({}), true),
        (json!({"bom": true}), true),
        (json!({"formulas": "keep"}), false),
        (json!({"formulas": "defuse"}), true),
        (json!({"escape_formulas": true}), true),
        (json!({"bom": true, "escape_formulas": false}), false),
        (json!({"formulas": "keep", "escape_formulas": true}), false),
    ] {
        let rows = rows_written_with(extra.clone());
        for (row, text) in rows.iter().zip(hostile) {
            let want = if escaped {
                format!("'{text}")
            } else {
                text.to_string()
            };
            assert_eq!(row[0], want, "title with {extra}");
            assert_eq!(row[1], format!("{want} | SQL"), "skills with {extra}");
            assert_eq!(row[2], "-1.5", "a negative number stays a number ({extra})");
        }
        assert_eq!(rows[hostile.len()][0], "Vendeur = conseiller", "{extra}");
    }
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

fn append(
    path: &Path,
    extra: Value,
    records: &[jobharvest_core::JobRecord],
) -> jobharvest_core::SinkReport {
    let mut config = json!({"write": "append"});
    if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
        map.extend(extra);
    }
    testkit::write_all(&registry(), sink_config("csv", path, config), records, 2)
}

fn append_err(path: &Path, extra: Value) -> String {
    let mut config = json!({"write": "append"});
    if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
        map.extend(extra);
    }
    let prepared = registry()
        .prepare_sink(sink_config("csv", path, config), "sinks[0]")
        .unwrap();
    match prepared.open(&jobharvest_core::SinkContext::new(".")) {
        Ok(_) => panic!("appending to {} was accepted", path.display()),
        Err(e) => {
            assert_eq!(e.kind(), jobharvest_core::ErrorKind::Sink, "{e}");
            e.to_string()
        }
    }
}

#[test]
fn append_adds_rows_after_the_existing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offres.csv");
    let records = Generator::new().records(0, 25);
    let extra = json!({"bom": true, "delimiter": ";"});
    // Nothing there yet: the first run writes the BOM and the header.
    assert_eq!(append(&path, extra.clone(), &records[..10]).rows, 10);
    assert_eq!(append(&path, extra.clone(), &records[10..]).rows, 15);
    let (bom, header, rows) = read(&path, b';');
    assert!(bom);
    let columns = select_columns(None, false).unwrap();
    let names: Vec<&str> = columns.iter().map(|&c| COLUMNS[c].name).collect();
    assert_eq!(header, names);
    assert_eq!(rows.len(), 25);
    for (row, record) in rows.iter().zip(&records) {
        let want: Vec<String> = expected_row(record, &columns)
            .iter()
            .map(|e| as_written(e, " | ", escapes(&extra)))
            .collect();
        assert_eq!(row, &want);
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        bytes.windows(3).filter(|w| *w == b"\xEF\xBB\xBF").count(),
        1,
        "one BOM"
    );
    assert_eq!(
        testkit::files_in(dir.path()),
        vec![path],
        "no temporary file left"
    );
}

#[test]
fn append_onto_a_different_header_is_refused_naming_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offres.csv");
    let original = b"source,title,my_notes\r\nft,Data analyst,call back\r\n";
    std::fs::write(&path, original).unwrap();
    let msg = append_err(&path, json!({"columns": ["source", "title", "url"]}));
    assert!(msg.contains("cannot append to"), "{msg}");
    assert!(msg.contains("it lacks `url`"), "{msg}");
    assert!(
        msg.contains("it has `my_notes` that this sink does not write"),
        "{msg}"
    );
    assert!(msg.contains("set `columns` to the file's header"), "{msg}");

    assert_eq!(std::fs::read(&path).unwrap(), original, "left as it was");

    std::fs::write(&path, b"title,source\r\nA,ft\r\n").unwrap();
    let msg = append_err(&path, json!({"columns": ["source", "title"]}));
    assert!(
        msg.contains(
            "same columns in another order (column 1 is `title`, this sink writes `source` there)"
        ),
        "{msg}"
    );

    std::fs::write(&path, b"source;title\r\nft;A\r\n").unwrap();
    let msg = append_err(&path, json!({"columns": ["source", "title"]}));
    assert!(
        msg.contains("check that `delimiter` is the file's"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"source;title\r\nft;A\r\n",
        "left as it was"
    );
}

#[test]
fn a_failed_append_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offres.csv");
    append(&path, json!({}), &Generator::new().records(0, 5));
    let before = std::fs::read(&path).unwrap();
    let prepared = registry()
        .prepare_sink(
            sink_config("csv", &path, json!({"write": "append"})),
            "sinks[0]",
        )
        .unwrap();
    let mut sink = prepared
        .open(&jobharvest_core::SinkContext::new("."))
        .unwrap();
    sink.write(&Generator::new().records(5, 20)).unwrap();
    drop(sink);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        testkit::files_in(dir.path()),
        vec![path],
        "no temporary file left"
    );
}

#[test]
fn append_ends_a_last_row_that_lacks_its_line_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offres.csv");
    std::fs::write(&path, b"source,source_id\r\nft,A").unwrap();
    let mut b = jobharvest_core::JobRecord::new("ft", "B");
    b.title = Some("ignored".into());
    append(&path, json!({"columns": ["source", "source_id"]}), &[b]);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"source,source_id\r\nft,A\r\nft,B\r\n"
    );
}

#[test]
fn write_accepts_only_overwrite_or_append() {
    let err = registry()
        .prepare_sink(
            sink_config("csv", Path::new("o.csv"), json!({"write": "merge"})),
            "sinks[0]",
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("sinks[0]") && msg.contains(".write"),
        "{msg}"
    );
    assert!(msg.contains("overwrite") && msg.contains("append"), "{msg}");
}

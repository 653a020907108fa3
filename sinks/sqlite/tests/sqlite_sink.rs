//! Writes generated records through the `sqlite` sink and reads the table
//! back with rusqlite, column by column; then checks what a database sink
//! adds to a file sink: upserts across runs, rollback, schema growth.

use std::path::Path;

use chrono::{DateTime, Utc};
use jobharvest_core::testkit::{self, Expected, Generator, expected_row, sink_config};
use jobharvest_core::{COLUMNS, ColumnKind, ErrorKind, JobRecord, Registry, SinkContext};
use rusqlite::Connection;
use serde_json::{Value, json};

fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_sqlite::register(&mut r);
    r
}

fn config(path: &Path, extra: Value) -> Value {
    sink_config("sqlite", path, extra)
}

fn open(path: &Path, extra: Value) -> jobharvest_core::Result<Box<dyn jobharvest_core::Sink>> {
    registry()
        .prepare_sink(config(path, extra), "sinks[0]")
        .unwrap_or_else(|e| panic!("prepare: {e}"))
        .open(&SinkContext::new("."))
}

/// The error of opening a sink that must not open.
fn open_err(path: &Path, extra: Value) -> jobharvest_core::Error {
    match open(path, extra) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e,
    }
}

/// Every column of every row of `table`, keyed by `(source, source_id)`,
/// converted back to what the records held.
fn read(path: &Path, table: &str) -> Vec<Vec<Expected>> {
    let conn = Connection::open(path).unwrap();
    let names: Vec<String> = COLUMNS.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let sql = format!(
        "SELECT {} FROM \"{table}\" ORDER BY source, source_id",
        names.join(", ")
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let rows = stmt
        .query_map([], |row| {
            Ok(COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v: rusqlite::types::Value = row.get(i).unwrap();
                    back(c.kind, v)
                })
                .collect())
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn back(kind: ColumnKind, v: rusqlite::types::Value) -> Expected {
    use rusqlite::types::Value as V;
    match (kind, v) {
        (_, V::Null) => Expected::Null,
        (ColumnKind::Text | ColumnKind::Json, V::Text(s)) => Expected::Text(s),
        (ColumnKind::Float, V::Real(f)) => Expected::Float(f),
        (ColumnKind::Int, V::Integer(i)) => Expected::Int(i),
        (ColumnKind::Bool, V::Integer(i)) => {
            assert!(i == 0 || i == 1, "boolean stored as {i}");
            Expected::Bool(i == 1)
        }
        (ColumnKind::Timestamp, V::Text(s)) => {
            assert_eq!(s.len(), 27, "fixed-width timestamp: {s}");
            Expected::Timestamp(
                DateTime::parse_from_rfc3339(&s)
                    .unwrap()
                    .with_timezone(&Utc),
            )
        }
        (ColumnKind::TextList, V::Text(s)) => Expected::List(serde_json::from_str(&s).unwrap()),
        (kind, v) => panic!("{kind:?} column holds {v:?}"),
    }
}

fn sorted(mut records: Vec<JobRecord>) -> Vec<JobRecord> {
    records.sort_by(|a, b| (&a.source, &a.source_id).cmp(&(&b.source, &b.source_id)));
    records
}

fn all_columns() -> Vec<usize> {
    (0..COLUMNS.len()).collect()
}

#[test]
fn every_cell_reads_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/offres.sqlite");
    let records = Generator::new().long_description(40_000).records(0, 57);
    testkit::assert_varied(&records);
    let report = testkit::write_all(&registry(), config(&path, json!({})), &records, 4);
    assert_eq!(report.rows, 57);
    assert_eq!(report.bytes, Some(std::fs::metadata(&path).unwrap().len()));

    let rows = read(&path, "offers");
    assert_eq!(rows.len(), 57);
    for (row, record) in rows.iter().zip(sorted(records)) {
        let want = expected_row(&record, &all_columns());
        for ((got, want), column) in row.iter().zip(&want).zip(COLUMNS) {
            assert_eq!(
                got, want,
                "{} {}: {}",
                record.source, record.source_id, column.name
            );
        }
    }
    let files = testkit::files_in(path.parent().unwrap());
    assert_eq!(files, vec![path], "no journal left after commit");
}

#[test]
fn raw_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.sqlite");
    let records = Generator::new().records(0, 8);
    testkit::write_all(
        &registry(),
        config(&path, json!({"include_raw": false})),
        &records,
        1,
    );
    let conn = Connection::open(&path).unwrap();
    let raws: i64 = conn
        .query_row("SELECT count(raw) FROM offers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(raws, 0);
}

fn ts(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().unwrap())
}

fn get(conn: &Connection, id: &str, column: &str) -> Option<String> {
    conn.query_row(
        &format!(
            "SELECT CAST(\"{column}\" AS TEXT) FROM offers WHERE source = 'ft' AND source_id = ?1"
        ),
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_second_run_updates_keeps_first_seen_and_marks_removals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite");
    let offer = |id: &str, title: &str, seen: &str| {
        let mut r = JobRecord::new("ft", id);
        r.title = Some(title.into());
        r.skills = vec!["SQL".into()];
        r.contact_name = Some("Jeanne Martin".into());
        r.change = Some("new".into());
        r.first_seen_at = ts(seen);
        r.last_seen_at = ts(seen);
        r
    };
    let day1 = "2026-11-22T06:00:00Z";
    let day2 = "2026-11-23T06:00:00Z";
    let first = vec![
        offer("A", "Data analyst", day1),
        offer("B", "Data engineer", day1),
        offer("C", "Statisticien", day1),
    ];
    testkit::write_all(&registry(), config(&path, json!({})), &first, 2);

    let mut updated = offer("A", "Data analyst senior", day2);
    updated.change = Some("updated".into());
    let mut removed = JobRecord::new("ft", "B");
    removed.change = Some("removed".into());
    removed.removed_at = ts(day2);
    removed.last_seen_at = ts(day1);
    let second = vec![updated, removed, offer("D", "Data scientist", day2)];
    let report = testkit::write_all(&registry(), config(&path, json!({})), &second, 3);
    assert_eq!(report.rows, 3);

    let conn = Connection::open(&path).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM offers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 4, "A, B, C, D: one row per offer");
    assert_eq!(
        get(&conn, "A", "title").as_deref(),
        Some("Data analyst senior")
    );
    assert_eq!(get(&conn, "A", "change").as_deref(), Some("updated"));
    assert_eq!(
        get(&conn, "A", "first_seen_at").as_deref(),
        Some("2026-11-22T06:00:00.000000Z"),
        "first_seen_at keeps the earliest instant"
    );
    assert_eq!(
        get(&conn, "A", "last_seen_at").as_deref(),
        Some("2026-11-23T06:00:00.000000Z")
    );
    assert_eq!(
        get(&conn, "B", "removed_at").as_deref(),
        Some("2026-11-23T06:00:00.000000Z")
    );
    assert_eq!(get(&conn, "B", "change").as_deref(), Some("removed"));
    assert_eq!(
        get(&conn, "B", "title").as_deref(),
        Some("Data engineer"),
        "a removal keeps the offer as last seen"
    );
    assert_eq!(get(&conn, "B", "skills").as_deref(), Some("[\"SQL\"]"));
    assert_eq!(
        get(&conn, "B", "contact_name"),
        None,
        "personal data blanked"
    );
    assert_eq!(get(&conn, "C", "title").as_deref(), Some("Statisticien"));
    let open: Vec<String> = conn
        .prepare("SELECT source_id FROM open_offers ORDER BY source_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(open, ["A", "C", "D"]);
    drop(conn);

    // The offer comes back: the row reopens.
    testkit::write_all(
        &registry(),
        config(&path, json!({})),
        &[offer("B", "Data engineer", day2)],
        1,
    );
    let conn = Connection::open(&path).unwrap();
    assert_eq!(get(&conn, "B", "removed_at"), None);
    assert_eq!(
        get(&conn, "B", "first_seen_at").as_deref(),
        Some("2026-11-22T06:00:00.000000Z")
    );
}

#[test]
fn a_run_dropped_without_finish_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.sqlite");
    let records = Generator::new().records(0, 30);
    testkit::write_all(&registry(), config(&path, json!({})), &records[..10], 1);
    let before = read(&path, "offers");

    let mut changed = Generator::new().records(0, 30);
    for r in &mut changed {
        r.title = Some("changed".into());
    }
    let mut sink = open(&path, json!({})).unwrap();
    sink.write(&changed[..15]).unwrap();
    sink.write(&changed[15..]).unwrap();
    drop(sink);
    assert_eq!(read(&path, "offers"), before, "the failed run rolled back");

    // Into a fresh database: the table itself is rolled back.
    let fresh = dir.path().join("fresh.sqlite");
    let mut sink = open(&fresh, json!({"table": "jobs"})).unwrap();
    sink.write(&records).unwrap();
    drop(sink);
    let conn = Connection::open(&fresh).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn an_older_table_gets_the_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE offers (source TEXT NOT NULL, source_id TEXT NOT NULL, title TEXT, extra_note TEXT, PRIMARY KEY (source, source_id));
         INSERT INTO offers VALUES ('ft', 'OLD', 'older offer', 'kept');",
    )
    .unwrap();
    drop(conn);
    let records = Generator::new().records(0, 12);
    let report = testkit::write_all(&registry(), config(&path, json!({})), &records, 2);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("skills"),
        "{:?}",
        report.warnings
    );

    let conn = Connection::open(&path).unwrap();
    let note: String = conn
        .query_row(
            "SELECT extra_note FROM offers WHERE source_id = 'OLD'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(note, "kept", "columns of the user's own are left alone");
    drop(conn);
    let rows = read(&path, "offers");
    assert_eq!(rows.len(), 13);
    let ours: Vec<_> = rows
        .into_iter()
        .filter(|r| r[1] != Expected::Text("OLD".into()))
        .collect();
    let want: Vec<_> = sorted(records)
        .iter()
        .map(|r| expected_row(r, &all_columns()))
        .collect();
    assert_eq!(ours, want);
}

#[test]
fn an_incompatible_table_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    for (ddl, culprit) in [
        (
            "CREATE TABLE offers (id INTEGER PRIMARY KEY, source TEXT, source_id TEXT)",
            "primary key is (id)",
        ),
        (
            "CREATE TABLE offers (source TEXT, source_id TEXT, salary_min TEXT, PRIMARY KEY (source, source_id))",
            "`salary_min` is TEXT, the sink writes REAL",
        ),
        ("CREATE VIEW offers AS SELECT 1 AS x", "is a view"),
    ] {
        let path = dir.path().join(format!("bad-{}.sqlite", culprit.len()));
        Connection::open(&path).unwrap().execute_batch(ddl).unwrap();
        let err = open_err(&path, json!({}));
        let msg = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Sink, "{msg}");
        assert!(msg.contains(culprit), "{msg}");
        assert!(msg.contains("give another `table` name"), "{msg}");
        let conn = Connection::open(&path).unwrap();
        let views: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'open_offers'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(views, 0, "nothing created next to a refused table");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(100)).unwrap();
    let err = open_err(&path, json!({}));
    let msg = err.to_string();
    assert!(msg.contains("not a SQLite database"), "{msg}");
    assert!(msg.contains("notes.sqlite"), "{msg}");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("these are my notes")
    );
}

#[test]
fn a_second_writer_is_refused_while_a_run_holds_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.sqlite");
    let first = open(&path, json!({})).unwrap();
    let err = open_err(&path, json!({"busy_timeout_secs": 0}));
    assert!(
        err.to_string().contains("another process is writing"),
        "{err}"
    );
    drop(first);
    open(&path, json!({"busy_timeout_secs": 0})).expect("free again");
}

#[test]
fn bad_table_names_are_refused() {
    for table in ["my offers", "offers;drop", "1st", "sqlite_master", ""] {
        let err = registry()
            .prepare_sink(
                config(Path::new("o.sqlite"), json!({"table": table})),
                "sinks[1]",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.to_string().starts_with("sinks[1]: table:"), "{err}");
    }
    testkit::check_unknown_key_named(&registry(), "sqlite");
}

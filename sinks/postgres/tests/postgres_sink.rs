//! The `postgres` sink against a real server: the one `DATABASE_URL` points
//! to (`.ci/run` starts a throwaway one; see the README to run these
//! locally). Without `DATABASE_URL` the tests that need a server say so and
//! pass; the ones that need none (an unreachable server, redaction) always
//! run. The TLS tests also need `PG_TLS_CA_FILE`, the CA of the server's
//! certificate (`.ci/postgres.sh` makes one).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use chrono::{DateTime, Utc};
use jobharvest_core::testkit::{self, Expected, Generator, expected_row};
use jobharvest_core::{COLUMNS, ColumnKind, ErrorKind, JobRecord, Registry, Sink, SinkContext};
use serde_json::{Value, json};
use tokio_postgres::NoTls;

fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_postgres::register(&mut r);
    r
}

/// The server's URL, or `None` after saying the test is skipped.
fn database_url(test: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // Straight to stderr: the test harness captures `eprintln!`
            // of passing tests, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: DATABASE_URL is not set; `source .ci/postgres.sh && start_postgres` starts a throwaway server (see README)"
            );
            None
        }
    }
}

/// The server's URL and the PEM file of its certificate's CA, or `None`
/// after saying the test is skipped.
fn tls_server(test: &str) -> Option<(String, String)> {
    let url = database_url(test)?;
    match std::env::var("PG_TLS_CA_FILE") {
        Ok(ca) if !ca.is_empty() => Some((url, ca)),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: PG_TLS_CA_FILE is not set; `source .ci/postgres.sh && start_postgres` starts a throwaway server with TLS (see README)"
            );
            None
        }
    }
}

/// `url` with `key=value` added to its query.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().append_pair(key, value);
    url.into()
}

fn config(url: &str, table: &str, extra: Value) -> Value {
    let mut config = json!({"type": "postgres", "url": url, "table": table});
    if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
        map.extend(extra);
    }
    config
}

fn open(config: Value) -> jobharvest_core::Result<Box<dyn Sink>> {
    registry()
        .prepare_sink(config, "sinks[0]")?
        .open(&SinkContext::new("."))
}

fn open_err(config: Value) -> jobharvest_core::Error {
    match open(config) {
        Ok(_) => panic!("the sink opened"),
        Err(e) => e,
    }
}

/// A table name of its own for each test (they run in parallel) and each
/// process, dropped first in case an earlier run left it.
fn fresh_table(url: &str, test: &str) -> String {
    let table = format!("t_{test}_{}", std::process::id());
    sql(
        url,
        &format!("DROP VIEW IF EXISTS open_{table}; DROP TABLE IF EXISTS {table}"),
    );
    table
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

fn sql(url: &str, statements: &str) {
    runtime().block_on(async { client(url).await.batch_execute(statements).await.unwrap() });
}

fn query(url: &str, q: &str) -> Vec<tokio_postgres::Row> {
    runtime().block_on(async { client(url).await.query(q, &[]).await.unwrap() })
}

/// Every row of `table`, sorted by key, converted back to what the
/// records held (`raw` as text: it must come back byte for byte).
fn read(url: &str, table: &str) -> Vec<Vec<Expected>> {
    let names: Vec<String> = COLUMNS
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Json => format!("\"{}\"::text", c.name),
            _ => format!("\"{}\"", c.name),
        })
        .collect();
    let rows = query(
        url,
        &format!(
            "SELECT {} FROM {table} ORDER BY source COLLATE \"C\", source_id COLLATE \"C\"",
            names.join(", ")
        ),
    );
    rows.iter()
        .map(|row| {
            COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| match c.kind {
                    ColumnKind::Text | ColumnKind::Json => row
                        .get::<_, Option<String>>(i)
                        .map_or(Expected::Null, Expected::Text),
                    ColumnKind::Float => row
                        .get::<_, Option<f64>>(i)
                        .map_or(Expected::Null, Expected::Float),
                    ColumnKind::Int => row
                        .get::<_, Option<i64>>(i)
                        .map_or(Expected::Null, Expected::Int),
                    ColumnKind::Bool => row
                        .get::<_, Option<bool>>(i)
                        .map_or(Expected::Null, Expected::Bool),
                    ColumnKind::Timestamp => row
                        .get::<_, Option<DateTime<Utc>>>(i)
                        .map_or(Expected::Null, Expected::Timestamp),
                    ColumnKind::TextList => Expected::List(row.get::<_, Vec<String>>(i)),
                })
                .collect()
        })
        .collect()
}

/// Asserts `got == want` row by row, naming the first differing cell.
fn assert_rows(got: &[Vec<Expected>], want: &[Vec<Expected>]) {
    assert_eq!(got.len(), want.len(), "row count");
    for (g, w) in got.iter().zip(want) {
        for ((gc, wc), c) in g.iter().zip(w).zip(COLUMNS) {
            assert_eq!(gc, wc, "{:?} column {}", g[1], c.name);
        }
    }
}

/// What `read` should give for `records`.
fn expected(records: &[JobRecord]) -> Vec<Vec<Expected>> {
    let mut records = records.to_vec();
    records.sort_by(|a, b| {
        (a.source.as_bytes(), a.source_id.as_bytes())
            .cmp(&(b.source.as_bytes(), b.source_id.as_bytes()))
    });
    let all: Vec<usize> = (0..COLUMNS.len()).collect();
    records.iter().map(|r| expected_row(r, &all)).collect()
}

#[test]
fn every_cell_reads_back_as_written() {
    let Some(url) = database_url("every_cell_reads_back_as_written") else {
        return;
    };
    let table = fresh_table(&url, "readback");
    let records = Generator::new().long_description(40_000).records(0, 57);
    testkit::assert_varied(&records);
    let report = testkit::write_all(&registry(), config(&url, &table, json!({})), &records, 4);
    assert_eq!(report.rows, 57);
    assert_eq!(report.bytes, None);
    assert_rows(&read(&url, &table), &expected(&records));
}

fn ts(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().unwrap())
}

fn offer(id: &str, title: &str, seen: &str) -> JobRecord {
    let mut r = JobRecord::new("ft", id);
    r.title = Some(title.into());
    r.skills = vec!["SQL".into()];
    r.contact_name = Some("Jeanne Martin".into());
    r.change = Some("new".into());
    r.first_seen_at = ts(seen);
    r.last_seen_at = ts(seen);
    r
}

#[test]
fn a_second_run_updates_keeps_first_seen_and_marks_removals() {
    let Some(url) = database_url("a_second_run_updates_keeps_first_seen_and_marks_removals") else {
        return;
    };
    let table = fresh_table(&url, "upsert");
    let (day1, day2) = ("2026-11-22T06:00:00Z", "2026-11-23T06:00:00Z");
    let first = [
        offer("A", "Data analyst", day1),
        offer("B", "Data engineer", day1),
        offer("C", "Statisticien", day1),
    ];
    testkit::write_all(&registry(), config(&url, &table, json!({})), &first, 2);

    let mut updated = offer("A", "Data analyst senior", day2);
    updated.change = Some("updated".into());
    let mut removed = JobRecord::new("ft", "B");
    removed.change = Some("removed".into());
    removed.removed_at = ts(day2);
    removed.last_seen_at = ts(day1);
    // D twice in one batch: the last one wins.
    let second = [
        updated,
        removed,
        offer("D", "first D", day2),
        offer("D", "Data scientist", day2),
    ];
    testkit::write_all(&registry(), config(&url, &table, json!({})), &second, 1);

    let rows = query(
        &url,
        &format!(
            "SELECT source_id, title, change, first_seen_at, last_seen_at, removed_at, skills, contact_name FROM {table} ORDER BY source_id"
        ),
    );
    let summary: Vec<String> = rows
        .iter()
        .map(|r| {
            let t = |i: usize| {
                r.get::<_, Option<DateTime<Utc>>>(i)
                    .map(|t| t.format("%d").to_string())
                    .unwrap_or("-".into())
            };
            format!(
                "{} {} {} first={} last={} removed={} {:?} {:?}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                t(3),
                t(4),
                t(5),
                r.get::<_, Vec<String>>(6),
                r.get::<_, Option<String>>(7),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "A Data analyst senior updated first=22 last=23 removed=- [\"SQL\"] Some(\"Jeanne Martin\")",
            "B Data engineer removed first=22 last=22 removed=23 [\"SQL\"] None",
            "C Statisticien new first=22 last=22 removed=- [\"SQL\"] Some(\"Jeanne Martin\")",
            "D Data scientist new first=23 last=23 removed=- [\"SQL\"] Some(\"Jeanne Martin\")",
        ]
    );
    let open: Vec<String> = query(
        &url,
        &format!("SELECT source_id FROM open_{table} ORDER BY source_id"),
    )
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(open, ["A", "C", "D"]);
}

#[test]
fn a_run_dropped_without_finish_changes_nothing() {
    let Some(url) = database_url("a_run_dropped_without_finish_changes_nothing") else {
        return;
    };
    let table = fresh_table(&url, "rollback");
    let records = Generator::new().records(0, 30);
    testkit::write_all(
        &registry(),
        config(&url, &table, json!({})),
        &records[..10],
        1,
    );
    let before = read(&url, &table);
    let mut changed = records.clone();
    for r in &mut changed {
        r.title = Some("changed".into());
    }
    let mut sink = open(config(&url, &table, json!({}))).unwrap();
    sink.write(&changed[..15]).unwrap();
    sink.write(&changed[15..]).unwrap();
    drop(sink);
    assert_eq!(read(&url, &table), before, "the dropped run rolled back");

    let fresh = fresh_table(&url, "rollback_fresh");
    let mut sink = open(config(&url, &fresh, json!({}))).unwrap();
    sink.write(&records).unwrap();
    drop(sink);
    let exists = query(&url, &format!("SELECT to_regclass('{fresh}') IS NOT NULL"));
    assert!(
        !exists[0].get::<_, bool>(0),
        "the table itself was rolled back"
    );
}

#[test]
fn an_older_table_gets_the_missing_columns() {
    let Some(url) = database_url("an_older_table_gets_the_missing_columns") else {
        return;
    };
    let table = fresh_table(&url, "growth");
    sql(
        &url,
        &format!(
            "CREATE TABLE {table} (source text NOT NULL, source_id text NOT NULL, title text, PRIMARY KEY (source, source_id))"
        ),
    );
    let records = Generator::new().records(0, 12);
    let report = testkit::write_all(&registry(), config(&url, &table, json!({})), &records, 2);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("skills"),
        "{:?}",
        report.warnings
    );
    assert_rows(&read(&url, &table), &expected(&records));
}

#[test]
fn an_incompatible_table_is_refused() {
    let Some(url) = database_url("an_incompatible_table_is_refused") else {
        return;
    };
    let table = fresh_table(&url, "incompatible");
    sql(
        &url,
        &format!(
            "CREATE TABLE {table} (source text, source_id text, salary_min text, PRIMARY KEY (source, source_id))"
        ),
    );
    let err = open_err(config(&url, &table, json!({})));
    assert_eq!(err.kind(), ErrorKind::Sink, "{err}");
    assert!(
        err.to_string()
            .contains("`salary_min` is text, the sink writes double precision"),
        "{err}"
    );

    let keyless = fresh_table(&url, "keyless");
    sql(
        &url,
        &format!("CREATE TABLE {keyless} (id bigint PRIMARY KEY, source text, source_id text)"),
    );
    let err = open_err(config(&url, &keyless, json!({})));
    assert!(err.to_string().contains("primary key is (id)"), "{err}");
    let views = query(
        &url,
        &format!("SELECT to_regclass('open_{keyless}') IS NULL"),
    );
    assert!(
        views[0].get::<_, bool>(0),
        "nothing created beside a refused table"
    );
}

#[test]
fn a_second_run_on_the_same_table_is_refused() {
    let Some(url) = database_url("a_second_run_on_the_same_table_is_refused") else {
        return;
    };
    let table = fresh_table(&url, "concurrent");
    let first = open(config(&url, &table, json!({}))).unwrap();
    let err = open_err(config(&url, &table, json!({})));
    assert!(err.to_string().contains("another run is writing"), "{err}");
    drop(first);
    open(config(&url, &table, json!({}))).expect("free again");
}

#[test]
fn works_from_inside_the_runner() {
    let Some(url) = database_url("works_from_inside_the_runner") else {
        return;
    };
    let table = fresh_table(&url, "runner");
    let records = Generator::new().records(0, 20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(async {
        // As the runner does: open in its async task, write and finish on
        // a blocking thread.
        let mut sink = open(config(&url, &table, json!({}))).unwrap();
        let records = records.clone();
        tokio::task::spawn_blocking(move || {
            sink.write(&records[..7]).unwrap();
            sink.write(&records[7..]).unwrap();
            sink.finish().unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(report.rows, 20);
    assert_rows(&read(&url, &table), &expected(&records));
}

#[test]
fn refused_credentials_name_the_fix_and_never_the_password() {
    let Some(url) = database_url("refused_credentials_name_the_fix_and_never_the_password") else {
        return;
    };
    let parsed = url::Url::parse(&url).unwrap();
    let mut wrong = parsed.clone();
    wrong.set_password(Some("Wr0ng-pa55word")).unwrap();
    let err = open_err(config(wrong.as_str(), "offers", json!({})));
    let msg = format!("{err} {err:?}");
    assert_eq!(err.kind(), ErrorKind::Auth, "{msg}");
    assert!(msg.contains("password"), "{msg}");
    assert!(msg.contains("check the user and password"), "{msg}");
    assert!(!msg.contains("Wr0ng-pa55word"), "password leaked: {msg}");
    if let Some(real) = parsed.password() {
        assert!(!msg.contains(real), "password leaked: {msg}");
    }
}

#[test]
fn an_unreachable_server_is_a_network_error_without_the_password() {
    // A port nobody listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://harvester:S3cret-pw@127.0.0.1:{port}/jobs");
    let prepared = registry()
        .prepare_sink(config(&url, "offers", json!({})), "sinks[0]")
        .unwrap();
    assert!(
        !prepared.target.contains("S3cret-pw"),
        "{}",
        prepared.target
    );
    assert!(
        prepared
            .target
            .contains(&format!("harvester@127.0.0.1:{port}/jobs")),
        "{}",
        prepared.target
    );
    assert!(!format!("{prepared:?}").contains("S3cret-pw"));
    let started = std::time::Instant::now();
    let err = match prepared.open(&SinkContext::new(".")) {
        Ok(_) => panic!("connected to nothing"),
        Err(e) => e,
    };
    let msg = format!("{err} {err:?}");
    assert_eq!(err.kind(), ErrorKind::Network, "{msg}");
    assert!(msg.contains("could not connect to PostgreSQL"), "{msg}");
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(!msg.contains("S3cret-pw"), "password leaked: {msg}");
    assert!(
        started.elapsed().as_secs() < 10,
        "refused at once, not after a timeout"
    );
}

#[test]
fn the_config_never_prints_the_url() {
    let url = "postgresql://harvester:S3cret-pw@db.example.invalid/jobs";
    let config: jobharvest_sink_postgres::PostgresConfig =
        serde_json::from_value(json!({"url": url})).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("S3cret-pw"), "{shown}");
    for bad in [
        json!({"url": ""}),
        json!({"url": "mysql://x@y/z"}),
        json!({"url": "postgresql://harvester:S3cret-pw@db/jobs", "table": "offers; drop"}),
    ] {
        let mut c = bad.clone();
        c["type"] = json!("postgres");
        let err = registry().prepare_sink(c, "sinks[0]").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(!err.to_string().contains("S3cret-pw"), "{err}");
    }
    testkit::check_unknown_key_named(&registry(), "postgres");
}

#[test]
fn a_missing_schema_is_created() {
    let Some(url) = database_url("a_missing_schema_is_created") else {
        return;
    };
    let schema = format!("jh_schema_{}", std::process::id());
    sql(&url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    let records = Generator::new().records(0, 5);
    let report = testkit::write_all(
        &registry(),
        config(&url, "offers", json!({"schema": schema})),
        &records,
        1,
    );
    assert_eq!(report.rows, 5);
    let open = query(&url, &format!("SELECT count(*) FROM {schema}.open_offers"));
    let still_open = records.iter().filter(|r| r.removed_at.is_none()).count();
    assert!(still_open > 0 && still_open < 5);
    assert_eq!(open[0].get::<_, i64>(0), still_open as i64);
    let all = query(&url, &format!("SELECT count(*) FROM {schema}.offers"));
    assert_eq!(all[0].get::<_, i64>(0), 5);
    sql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}

/// Writes `records` in two runs of a sink of `sink_config` (whose table is
/// `table`), and tells whether the second run's connection was encrypted,
/// as the server sees the connection that holds the table's lock while the
/// run is open.
fn write_and_tell_encryption(
    url: &str,
    table: &str,
    sink_config: &Value,
    records: &[JobRecord],
) -> bool {
    let half = records.len() / 2;
    testkit::write_all(&registry(), sink_config.clone(), &records[..half], 1);
    let mut sink = open(sink_config.clone()).unwrap();
    sink.write(&records[half..]).unwrap();
    let holders: Vec<bool> = query(
        url,
        &format!(
            "SELECT DISTINCT s.pid, s.ssl FROM pg_locks l JOIN pg_stat_ssl s ON s.pid = l.pid \
             WHERE l.relation = '{table}'::regclass AND l.pid <> pg_backend_pid()"
        ),
    )
    .iter()
    .map(|row| row.get(1))
    .collect();
    assert_eq!(holders.len(), 1, "one connection writes the table");
    let report = sink.finish().unwrap();
    assert_eq!(report.rows, (records.len() - half) as u64);
    assert_rows(&read(url, table), &expected(records));
    holders[0]
}

#[test]
fn sslmode_require_with_ca_file_writes_over_tls() {
    let Some((url, ca)) = tls_server("sslmode_require_with_ca_file_writes_over_tls") else {
        return;
    };
    let table = fresh_table(&url, "tls_require");
    let sink = config(
        &with_param(&url, "sslmode", "require"),
        &table,
        json!({"ca_file": ca}),
    );
    let records = Generator::new().records(0, 24);
    assert!(
        write_and_tell_encryption(&url, &table, &sink, &records),
        "the sink's connection is not encrypted"
    );
}

#[test]
fn without_sslmode_the_sink_stays_in_plaintext() {
    let Some(url) = database_url("without_sslmode_the_sink_stays_in_plaintext") else {
        return;
    };
    // The CI server accepts TLS: a sink that negotiated it by itself (as
    // libpq's `prefer` does) would show here.
    let records = Generator::new().records(0, 8);
    for (sink_url, test) in [
        (url.clone(), "tls_absent"),
        (with_param(&url, "sslmode", "prefer"), "tls_prefer"),
    ] {
        let table = fresh_table(&url, test);
        let sink = config(&sink_url, &table, json!({}));
        assert!(
            !write_and_tell_encryption(&url, &table, &sink, &records),
            "{test}: encrypted without being asked"
        );
    }
}

#[test]
fn sslmode_require_without_ca_file_refuses_a_private_ca() {
    let Some((url, _)) = tls_server("sslmode_require_without_ca_file_refuses_a_private_ca") else {
        return;
    };
    let table = fresh_table(&url, "tls_unknown_ca");
    let records = Generator::new().records(0, 6);
    testkit::write_all(&registry(), config(&url, &table, json!({})), &records, 1);
    let before = read(&url, &table);
    let err = open_err(config(
        &with_param(&url, "sslmode", "require"),
        &table,
        json!({}),
    ));
    let msg = format!("{err} {err:?}");
    assert_eq!(err.kind(), ErrorKind::Sink, "{msg}");
    assert!(msg.contains("TLS with PostgreSQL at"), "{msg}");
    assert!(msg.contains("`ca_file`"), "{msg}");
    assert!(
        msg.contains("does not trust") || msg.contains("this system's CA certificates"),
        "{msg}"
    );
    let password = url::Url::parse(&url).unwrap().password().map(str::to_owned);
    if let Some(password) = password {
        assert!(!msg.contains(&password), "password leaked: {msg}");
    }
    assert_eq!(read(&url, &table), before, "the table changed");
}

#[test]
fn sslmode_verify_full_and_verify_ca_are_accepted() {
    let Some((url, ca)) = tls_server("sslmode_verify_full_and_verify_ca_are_accepted") else {
        return;
    };
    // A relative `ca_file` is read from the spec's directory.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&ca, dir.path().join("server-ca.pem")).unwrap();
    let mut by_name = url::Url::parse(&url).unwrap();
    by_name.set_host(Some("localhost")).unwrap();
    for (url, mode, test) in [
        (url.clone(), "verify-full", "tls_verify_full"),
        (by_name.into(), "verify-ca", "tls_verify_ca"),
    ] {
        let table = fresh_table(&url, test);
        let records = Generator::new().records(0, 5);
        let sink = registry()
            .prepare_sink(
                config(
                    &with_param(&url, "sslmode", mode),
                    &table,
                    json!({"ca_file": "server-ca.pem"}),
                ),
                "sinks[0]",
            )
            .unwrap()
            .open(&SinkContext::new(dir.path()))
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mut sink = sink;
        sink.write(&records).unwrap();
        assert_eq!(sink.finish().unwrap().rows, 5);
        assert_rows(&read(&url, &table), &expected(&records));
    }
}

#[test]
fn a_certificate_for_another_host_name_is_refused() {
    let Some((url, ca)) = tls_server("a_certificate_for_another_host_name_is_refused") else {
        return;
    };
    // The server's address, under a name its certificate does not have.
    let parsed = url::Url::parse(&url).unwrap();
    let port = parsed.port().unwrap_or(5432);
    let Some(addr) = std::net::ToSocketAddrs::to_socket_addrs(&(parsed.host_str().unwrap(), port))
        .unwrap()
        .find(std::net::SocketAddr::is_ipv4)
    else {
        panic!("the server's host has no IPv4 address");
    };
    let mut renamed = parsed.clone();
    renamed.set_host(Some("db.jobharvest.invalid")).unwrap();
    let renamed = with_param(
        &with_param(renamed.as_str(), "hostaddr", &addr.ip().to_string()),
        "sslmode",
        "verify-full",
    );
    let err = open_err(config(&renamed, "offers", json!({"ca_file": ca})));
    let msg = err.to_string();
    assert_eq!(err.kind(), ErrorKind::Sink, "{msg}");
    assert!(msg.contains("db.jobharvest.invalid"), "{msg}");
    assert!(msg.contains("host name"), "{msg}");
}

#[test]
fn a_server_without_tls_under_require_names_sslmode() {
    // A server that answers the TLS request with "no", as one with
    // ssl = off does.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).unwrap();
        socket.write_all(b"N").unwrap();
        request
    });
    let url = format!("postgresql://harvester:S3cret-pw@127.0.0.1:{port}/jobs?sslmode=require");
    let err = open_err(config(&url, "offers", json!({})));
    let msg = format!("{err} {err:?}");
    assert_eq!(
        server.join().unwrap(),
        [0, 0, 0, 8, 4, 210, 22, 47],
        "an SSLRequest"
    );
    assert_eq!(err.kind(), ErrorKind::Sink, "{msg}");
    assert!(msg.contains("does not accept TLS"), "{msg}");
    assert!(msg.contains("sslmode"), "{msg}");
    assert!(!msg.contains("S3cret-pw"), "password leaked: {msg}");
}

#[test]
fn ca_file_needs_an_sslmode_that_asks_for_tls() {
    let url = "postgresql://harvester:S3cret-pw@db.example.invalid/jobs";
    for url in [url.to_owned(), format!("{url}?sslmode=prefer")] {
        let err = registry()
            .prepare_sink(
                config(&url, "offers", json!({"ca_file": "ca.pem"})),
                "sinks[0]",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("ca_file"), "{msg}");
        assert!(msg.contains("sslmode=verify-full"), "{msg}");
        assert!(!msg.contains("S3cret-pw"), "{msg}");
    }
    // A missing file is named, resolved against the spec's directory,
    // before any connection.
    let dir = tempfile::tempdir().unwrap();
    let err = registry()
        .prepare_sink(
            config(
                &format!("{url}?sslmode=verify-full"),
                "offers",
                json!({"ca_file": "nowhere/ca.pem"}),
            ),
            "sinks[0]",
        )
        .unwrap()
        .open(&SinkContext::new(dir.path()))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.path().join("nowhere/ca.pem").display().to_string()),
        "{msg}"
    );
    let shown = format!(
        "{:?}",
        serde_json::from_value::<jobharvest_sink_postgres::PostgresConfig>(
            json!({"url": format!("{url}?sslmode=require"), "ca_file": "ca.pem"})
        )
        .unwrap()
    );
    assert!(!shown.contains("S3cret-pw"), "{shown}");
    assert!(shown.contains("ca.pem"), "{shown}");
}

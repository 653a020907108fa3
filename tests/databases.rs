//! The database sinks driven through the binary: runs that accumulate into
//! SQLite and PostgreSQL, and a database that cannot be reached.

use std::path::Path;

use crate::support::*;

/// A spec replaying the demo's seven offers into `sinks` (YAML lines).
fn spec(dir: &Path, sinks: &str) -> std::path::PathBuf {
    let offers = repo().join("config/demo/offres.jsonl");
    let text = format!(
        "sources:\n  - type: replay\n    name: demo\n    connector: france_travail\n    path: {}\nsinks:\n{sinks}",
        offers.display()
    );
    let path = dir.join("job.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn demo_ids() -> Vec<String> {
    let mut ids: Vec<String> = sample_offers()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_runs_into_sqlite_leave_one_row_per_offer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirror.sqlite");
    for run in 1..=2 {
        // The extension picks the sink, as for the file formats.
        let out = jobharvest(
            &repo(),
            &["run", "config/demo.yaml", "-o", db.to_str().unwrap()],
            &[],
        );
        assert!(out.status.success(), "run {run}: {}", stderr(&out));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ids: Vec<String> = conn
        .prepare("SELECT source_id FROM open_offers ORDER BY source_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids, demo_ids());
    let (rows, titled): (i64, i64) = conn
        .query_row("SELECT count(*), count(title) FROM offers", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((rows, titled), (7, 7));
}

#[test]
fn two_runs_into_postgres_through_the_runner() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED two_runs_into_postgres_through_the_runner: DATABASE_URL is not set (see README, \"Database tests\")"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = format!("cli_runs_{}", std::process::id());
    let spec = spec(
        dir.path(),
        &format!("  - {{ type: postgres, url: \"${{DATABASE_URL}}\", table: {table} }}\n"),
    );
    for run in 1..=2 {
        let out = jobharvest(
            dir.path(),
            &["run", spec.to_str().unwrap()],
            &[("DATABASE_URL", &url)],
        );
        assert!(out.status.success(), "run {run}: {}", stderr(&out));
        assert!(!stderr(&out).contains(url.as_str()), "the URL was printed");
    }
    let ids: Vec<String> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let rows = client
                .query(
                    &format!("SELECT source_id FROM open_{table} ORDER BY source_id"),
                    &[],
                )
                .await
                .unwrap();
            client
                .batch_execute(&format!("DROP VIEW open_{table}; DROP TABLE {table}"))
                .await
                .unwrap();
            rows.iter().map(|r| r.get(0)).collect()
        });
    assert_eq!(ids, demo_ids());
}

#[test]
fn an_unreachable_database_fails_before_any_offer_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://harvester:Pr1vate-pw@127.0.0.1:{port}/jobs");
    let csv = dir.path().join("offres.csv");
    let spec = spec(
        dir.path(),
        &format!(
            "  - {{ type: csv, path: {} }}\n  - {{ type: postgres, url: \"${{DATABASE_URL}}\" }}\n",
            csv.display()
        ),
    );
    let out = jobharvest(
        dir.path(),
        &["run", spec.to_str().unwrap()],
        &[("DATABASE_URL", &url)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not connect to PostgreSQL"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("Pr1vate-pw"), "password printed: {err}");
    assert!(!err.contains("Harvested"), "offers were fetched: {err}");
    assert!(!csv.exists(), "the csv sink left an output");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["job.yaml"], "files left behind: {left:?}");
}

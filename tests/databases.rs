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
    let Some(url) = database_url("two_runs_into_postgres_through_the_runner") else {
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
    let ids: Vec<String> = pg(
        &url,
        "",
        &format!("SELECT source_id FROM open_{table} ORDER BY source_id"),
    )
    .iter()
    .map(|r| r.get(0))
    .collect();
    pg(
        &url,
        &format!("DROP VIEW open_{table}; DROP TABLE {table}"),
        "SELECT 1",
    );
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

/// Runs the demo into `sink` (a YAML flow map), then a large replay killed
/// with SIGKILL while it writes, then the large replay again: `count` must
/// give the demo's 7 rows, then 7 or everything (never part of a run), then
/// everything once.
fn check_killed_run(sink: &str, env: &[(&str, &str)], count: impl Fn() -> i64) {
    let dir = tempfile::tempdir().unwrap();
    // A large replay (the demo's offers under many ids), long enough to be
    // killed while it writes.
    let big = dir.path().join("big.jsonl");
    let demo = std::fs::read_to_string(repo().join("config/demo/offres.jsonl")).unwrap();
    let mut text = String::new();
    for copy in 0..1_000 {
        for line in demo.lines() {
            let mut offer: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = format!("{}-{copy}", offer["id"].as_str().unwrap());
            offer["id"] = id.into();
            text.push_str(&offer.to_string());
            text.push('\n');
        }
    }
    std::fs::write(&big, text).unwrap();
    let total = 7 * 1_000;
    let job = |name: &str, path: &Path| {
        let spec = dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &spec,
            format!(
                "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\nsinks:\n  - {sink}\n",
                path.display()
            ),
        )
        .unwrap();
        spec
    };

    let first = job("demo", &repo().join("config/demo/offres.jsonl"));
    let out = jobharvest(dir.path(), &["run", first.to_str().unwrap()], env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(), 7);

    let second = job("big", &big);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jobharvest"))
        .current_dir(dir.path())
        .args(["run", "-q", second.to_str().unwrap()])
        .envs(env.iter().copied())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let after_kill = count();
    assert!(
        after_kill == 7 || after_kill == 7 + total,
        "the killed run left {after_kill} rows: half a run was committed"
    );

    let out = jobharvest(dir.path(), &["run", second.to_str().unwrap()], env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(), 7 + total, "nothing lost, nothing twice");
}

#[test]
fn a_killed_run_leaves_the_sqlite_mirror_as_the_last_run_left_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirror.sqlite");
    check_killed_run(
        &format!("{{ type: sqlite, path: {} }}", db.display()),
        &[],
        || {
            rusqlite::Connection::open(&db)
                .unwrap()
                .query_row("SELECT count(*) FROM offers", [], |r| r.get(0))
                .unwrap()
        },
    );
}

#[test]
fn a_killed_run_leaves_the_postgres_mirror_as_the_last_run_left_it() {
    let Some(url) = database_url("a_killed_run_leaves_the_postgres_mirror_as_the_last_run_left_it")
    else {
        return;
    };
    let table = format!("cli_killed_{}", std::process::id());
    pg(
        &url,
        &format!("DROP VIEW IF EXISTS open_{table}; DROP TABLE IF EXISTS {table}"),
        "SELECT 1",
    );
    check_killed_run(
        &format!("{{ type: postgres, url: \"${{DATABASE_URL}}\", table: {table} }}"),
        &[("DATABASE_URL", &url)],
        || pg(&url, "", &format!("SELECT count(*) FROM {table}"))[0].get(0),
    );
    pg(
        &url,
        &format!("DROP VIEW open_{table}; DROP TABLE {table}"),
        "SELECT 1",
    );
}

/// Runs `statements` (may be empty), then `query`, on the server at `url`.
pub(crate) fn pg(url: &str, statements: &str, query: &str) -> Vec<tokio_postgres::Row> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client.batch_execute(statements).await.unwrap();
            client.query(query, &[]).await.unwrap()
        })
}

/// `DATABASE_URL`, or `None` after saying the test is skipped.
pub(crate) fn database_url(test: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: DATABASE_URL is not set (see README: source .ci/postgres.sh && start_postgres)"
            );
            None
        }
    }
}

#[test]
fn a_dataset_path_is_relative_to_the_spec_folder() {
    // Regression: with a relative spec path, each part was resolved against
    // the spec's folder twice (`specs/specs/../data`).
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("specs")).unwrap();
    let offers = repo().join("config/demo/offres.jsonl");
    std::fs::write(
        dir.path().join("specs/job.yaml"),
        format!(
            "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\nsinks:\n  - {{ type: parquet, path: ../data/offres, dataset: true }}\n",
            offers.display()
        ),
    )
    .unwrap();
    for run in 1..=2 {
        let out = jobharvest(dir.path(), &["run", "specs/job.yaml"], &[]);
        assert!(out.status.success(), "run {run}: {}", stderr(&out));
    }
    let partitions: Vec<_> = std::fs::read_dir(dir.path().join("data/offres"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(partitions.len(), 1, "{partitions:?}");
    let parts = std::fs::read_dir(&partitions[0]).unwrap().count();
    assert_eq!(parts, 2, "one part per run");
    assert!(!dir.path().join("specs/data").exists(), "resolved twice");
}

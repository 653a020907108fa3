//! Daily sync through the binary: `--mode incremental | mirror` against a
//! job state, as a user running it from cron would.
//!
//! The replay source here stands for a board that cannot narrow its
//! queries: it returns everything each time and the state keeps only what
//! changed. The France Travail checks (asked only for what changed,
//! removals confirmed with the board) are further down.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use jobharvest_standin::{Standin, StandinConfig};

use crate::databases::{database_url, pg};
use crate::support::{jobharvest, jobharvest_async, read_csv, sample_offers, stderr};

const SPEC: &str = "sources:\n  - { type: replay, name: ft-78, connector: france_travail, path: offres.jsonl }\nsinks:\n  - { type: csv, path: out/offres.csv }\n";

/// Writes the archive the replay source reads: the recorded offers whose ids
/// are in `ids`, with `title` overriding the `intitule` of some.
fn write_offers(dir: &Path, ids: &[&str], titles: &[(&str, &str)]) {
    let base = sample_offers();
    let lines: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut o = base[i % base.len()].clone();
            o["id"] = Value::String((*id).to_string());
            if let Some((_, t)) = titles.iter().find(|(tid, _)| tid == id) {
                o["intitule"] = Value::String((*t).to_string());
            }
            serde_json::to_string(&o).unwrap()
        })
        .collect();
    std::fs::write(dir.join("offres.jsonl"), lines.join("\n") + "\n").unwrap();
}

type Rows = HashMap<String, HashMap<String, String>>;

/// Runs the job and returns the CSV rows by id, with the run's stderr.
fn run(dir: &Path, mode: &str) -> (Rows, String) {
    let out = jobharvest(dir, &["run", "job.yaml", "--mode", mode], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{mode}: {err}");
    (rows(dir), err)
}

/// The CSV output's rows by id.
fn rows(dir: &Path) -> Rows {
    read_csv(&dir.join("out/offres.csv"), b',')
        .into_iter()
        .map(|r| (r["source_id"].clone(), r))
        .collect()
}

/// [`run`] off the async runtime (the stand-in runs on it).
async fn run_async(dir: &Path, mode: &str) -> (Rows, String) {
    let out = jobharvest_async(
        dir.to_path_buf(),
        vec![
            "run".into(),
            "job.yaml".into(),
            "--mode".into(),
            mode.into(),
        ],
        Vec::new(),
    )
    .await;
    let err = stderr(&out);
    assert!(out.status.success(), "{mode}: {err}");
    (rows(dir), err)
}

/// The requests the run's summary line counts for source `name`.
fn summary_requests(stderr: &str, name: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("source {name} (")))
        .unwrap_or_else(|| panic!("no summary line for `{name}` in:\n{stderr}"));
    let before = line
        .split(" requests")
        .next()
        .and_then(|head| head.rsplit(' ').next());
    before
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in `{line}`"))
}

/// The sinks of the France Travail jobs: a CSV file and the SQLite mirror
/// `out/mirror.sqlite`.
const FT_SINKS: &str =
    "  - { type: csv, path: out/offres.csv }\n  - { type: sqlite, path: out/mirror.sqlite }\n";

/// A job reading the France Travail stand-in into `sinks` (YAML lines).
fn ft_spec(ft: &Standin, sinks: &str) -> String {
    format!(
        "sources:\n  - type: france_travail\n    name: ft\n    api_url: {}\n    token_url: {}\n    client_id: test-app\n    client_secret: test-secret\n    rate_limit_per_sec: 100\nsinks:\n{sinks}",
        ft.api_url(),
        ft.token_url()
    )
}

/// The SQLite mirror: `(source_id, change, removed_at is set)` of every
/// row, by id.
fn mirror(dir: &Path) -> Vec<(String, Option<String>, bool)> {
    let conn = rusqlite::Connection::open(dir.join("out/mirror.sqlite")).unwrap();
    let mut stmt = conn
        .prepare("SELECT source_id, change, removed_at IS NOT NULL FROM offers ORDER BY source_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The ids of the mirror's `open_offers` view.
fn open_in_mirror(dir: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("out/mirror.sqlite")).unwrap();
    let mut stmt = conn
        .prepare("SELECT source_id FROM open_offers ORDER BY source_id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn changes(rows: &HashMap<String, HashMap<String, String>>) -> Vec<(String, String)> {
    let mut v: Vec<_> = rows
        .iter()
        .map(|(id, r)| (id.clone(), r["change"].clone()))
        .collect();
    v.sort();
    v
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn incremental_writes_only_changes_and_mirror_marks_removals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["A1", "A2", "A3", "A4"], &[]);

    // Run 1: everything is new.
    let (rows, _) = run(dir.path(), "incremental");
    assert_eq!(
        changes(&rows),
        pairs(&[("A1", "new"), ("A2", "new"), ("A3", "new"), ("A4", "new")])
    );
    assert!(!rows["A1"]["first_seen_at"].is_empty());
    assert!(dir.path().join("job.state.sqlite").exists());

    // Between runs: A5 added, A2 updated, A4 removed.
    write_offers(
        dir.path(),
        &["A1", "A2", "A3", "A5"],
        &[("A2", "Soudeur confirmé (H/F)")],
    );
    let (rows, err) = run(dir.path(), "incremental");
    assert_eq!(
        changes(&rows),
        pairs(&[("A2", "updated"), ("A5", "new")]),
        "only what changed is written: {err}"
    );
    assert_eq!(rows["A2"]["title"], "Soudeur confirmé (H/F)");
    assert!(err.contains("2 unchanged not written"), "{err}");
    assert!(
        err.contains("state ft-78: 1 new, 1 updated, 2 unchanged, 0 removed"),
        "{err}"
    );

    // Run 3, a mirror: the open offers, plus A4 marked removed.
    let (rows, err) = run(dir.path(), "mirror");
    assert_eq!(
        changes(&rows),
        pairs(&[
            ("A1", ""),
            ("A2", ""),
            ("A3", ""),
            ("A4", "removed"),
            ("A5", "")
        ]),
        "{err}"
    );
    assert!(!rows["A4"]["removed_at"].is_empty());
    assert!(rows["A1"]["removed_at"].is_empty());
    assert!(err.contains("1 removed"), "{err}");

    // Nothing changed since: success, said in words.
    let (rows, err) = run(dir.path(), "incremental");
    assert!(rows.is_empty(), "nothing to write: {rows:?}");
    assert!(err.contains("nothing new since the last run"), "{err}");

    // `jobharvest state` shows the removal.
    let out = jobharvest(dir.path(), &["state", "job.yaml"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("ft-78"), "{text}");
}

/// The state keeps whole records, `raw` included, even when the run's own
/// sinks write no `raw` (sources may leave it out only when nothing needs
/// it): a later run may write a removed offer through a sink that does.
#[test]
fn a_removed_offer_keeps_its_raw_though_no_sink_wrote_it_when_it_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["B1", "B2"], &[]);
    let (rows, _) = run(dir.path(), "incremental");
    assert!(
        !rows["B1"].contains_key("raw"),
        "this CSV has no raw column"
    );

    write_offers(dir.path(), &["B1"], &[]);
    let with_raw = SPEC.replace("out/offres.csv }", "out/offres.csv, include_raw: true }");
    std::fs::write(dir.path().join("job.yaml"), with_raw).unwrap();
    let (rows, err) = run(dir.path(), "mirror");
    assert_eq!(rows["B2"]["change"], "removed", "{err}");
    let raw: Value = serde_json::from_str(&rows["B2"]["raw"]).expect("the payload, as JSON");
    assert_eq!(raw["id"], "B2");
}

#[test]
fn a_plain_full_run_keeps_no_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["A1"], &[]);
    let (rows, _) = run(dir.path(), "full");
    assert_eq!(rows["A1"]["change"], "");
    assert!(!dir.path().join("job.state.sqlite").exists());
}

#[test]
fn a_second_run_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["A1"], &[]);
    let state = jobharvest_state::State::open(&dir.path().join("job.state.sqlite")).unwrap();
    let lock = state.lock("the nightly job").unwrap();
    let out = jobharvest(
        dir.path(),
        &["run", "job.yaml", "--mode", "incremental"],
        &[],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another run of this job is in progress"),
        "{err}"
    );
    assert!(err.contains("the nightly job"), "{err}");
    assert!(err.contains(&std::process::id().to_string()), "{err}");
    assert!(!dir.path().join("out/offres.csv").exists());
    drop(lock);
    let (rows, _) = run(dir.path(), "incremental");
    assert_eq!(rows["A1"]["change"], "new", "runs once the lock is free");
}

#[test]
fn a_mirror_with_a_limit_marks_no_removal_and_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["A1", "A2"], &[]);
    run(dir.path(), "mirror");
    write_offers(dir.path(), &["A1"], &[]);
    let out = jobharvest(
        dir.path(),
        &["run", "job.yaml", "--mode", "mirror", "--limit", "1"],
        &[],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("--limit cuts the harvest short"), "{err}");
    let (rows, _) = run(dir.path(), "mirror");
    assert_eq!(
        rows["A2"]["change"], "removed",
        "the limited run did not commit"
    );
}

#[test]
fn a_bad_mode_or_lookback_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), SPEC).unwrap();
    write_offers(dir.path(), &["A1"], &[]);
    let out = jobharvest(dir.path(), &["run", "job.yaml", "--mode", "daily"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("incremental"), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("{SPEC}mode: incremental\nlookback: 1 week\n"),
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lookback `1 week`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("job.state.sqlite").exists());
}

/// The check: three runs of one job against the France Travail
/// stand-in whose offers change in between, written to `sinks`. Returns the
/// stand-in, the job's folder and the withdrawn offer's id.
async fn three_runs(sinks: &str) -> (Standin, tempfile::TempDir, String) {
    let ft = Standin::start(StandinConfig {
        offers: 20,
        rate_limit_per_sec: Some(100),
        ..StandinConfig::default()
    })
    .await;
    let recent = ft.add_offers(1).remove(0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), ft_spec(&ft, sinks)).unwrap();

    // Run 1: no cursor yet, so everything, all new.
    let (rows, err) = run_async(dir.path(), "incremental").await;
    assert_eq!(rows.len(), 21, "{err}");
    assert!(rows.values().all(|r| r["change"] == "new"), "{err}");
    let first_run = ft.log().len();
    assert!(
        ft.log()
            .iter()
            .all(|r| r.param("minCreationDate").is_none()),
        "the first run asks for everything"
    );
    let state =
        jobharvest_state::State::open_existing(&dir.path().join("job.state.sqlite")).unwrap();
    let since = state
        .cursor("ft")
        .unwrap()
        .and_then(|c| c.since(jobharvest_state::DEFAULT_LOOKBACK))
        .expect("run 1 left a cursor");
    drop(state);

    // Between runs: one offer added, one updated, one withdrawn.
    let ids = ft.offer_ids();
    let added = ft.add_offers(1).remove(0);
    assert!(ft.update_offer(&recent, "Soudeur confirmé (H/F)"));
    let gone = ids[3].clone();
    assert!(ft.remove_offer(&gone));

    // Run 2 asks only for offers created since the cursor minus a day, and
    // writes only the two that changed.
    let (rows, err) = run_async(dir.path(), "incremental").await;
    let searches: Vec<_> = ft.log()[first_run..]
        .iter()
        .filter(|r| r.path.ends_with("/search"))
        .cloned()
        .collect();
    assert!(!searches.is_empty());
    let expected_min = since.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for r in &searches {
        assert_eq!(
            r.param("minCreationDate"),
            Some(expected_min.as_str()),
            "{r:?}"
        );
        assert!(r.param("maxCreationDate").is_some(), "{r:?}");
    }
    let mut got = changes(&rows);
    got.sort();
    let mut want = pairs(&[(recent.as_str(), "updated"), (added.as_str(), "new")]);
    want.sort();
    assert_eq!(got, want, "{err}");
    assert_eq!(rows[&recent]["title"], "Soudeur confirmé (H/F)");

    // Run 3, a mirror: every open offer, and the withdrawn one marked after
    // the board confirmed it gone.
    let second_run = ft.log().len();
    let (rows, err) = run_async(dir.path(), "mirror").await;
    let open: Vec<String> = ft.offer_ids();
    assert_eq!(rows.len(), open.len() + 1, "{err}");
    assert!(open.iter().all(|id| rows[id]["change"].is_empty()), "{err}");
    assert_eq!(rows[&gone]["change"], "removed");
    assert!(!rows[&gone]["removed_at"].is_empty());
    let checked: Vec<_> = ft.log()[second_run..]
        .iter()
        .filter(|r| !r.path.ends_with("/search") && r.path.contains("/v2/offres/"))
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.status))
        .collect();
    assert_eq!(
        checked,
        [(gone.clone(), 204)],
        "only the unseen offer is checked"
    );
    // The summary counts every request the run sent, the check included.
    let sent = ft.log().len() - second_run;
    assert_eq!(summary_requests(&err, "ft"), sent, "{err}");
    (ft, dir, gone)
}

#[tokio::test(flavor = "multi_thread")]
async fn france_travail_is_asked_only_for_what_changed_and_the_sqlite_mirror_marks_removals() {
    let (ft, dir, gone) = three_runs(FT_SINKS).await;
    // The SQLite mirror holds exactly the open offers, plus the withdrawn
    // one marked removed.
    let mut open = ft.offer_ids();
    open.sort();
    assert_eq!(open_in_mirror(dir.path()), open);
    let rows = mirror(dir.path());
    assert_eq!(rows.len(), open.len() + 1);
    let removed: Vec<_> = rows.iter().filter(|(_, _, r)| *r).collect();
    assert_eq!(
        removed,
        [&(gone.clone(), Some("removed".to_string()), true)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postgres_mirror_ends_with_the_open_offers_and_the_removed_one_marked() {
    let Some(url) =
        database_url("the_postgres_mirror_ends_with_the_open_offers_and_the_removed_one_marked")
    else {
        return;
    };
    let table = format!("sync_mirror_{}", std::process::id());
    let sinks = format!(
        "  - {{ type: csv, path: out/offres.csv }}\n  - {{ type: postgres, url: \"${{DATABASE_URL}}\", table: {table} }}\n"
    );
    let (ft, _dir, gone) = three_runs(&sinks).await;
    let query = move |statements: String, sql: String| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            pg(&url, &statements, &sql)
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        r.get::<_, Option<String>>(1),
                        r.get::<_, bool>(2),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let rows = query(
        String::new(),
        format!("SELECT source_id, change, removed_at IS NOT NULL FROM {table} ORDER BY source_id"),
    )
    .await
    .unwrap();
    let open = query(
        String::new(),
        format!("SELECT source_id, change, false FROM open_{table} ORDER BY source_id"),
    )
    .await
    .unwrap();
    query(
        format!("DROP VIEW open_{table}; DROP TABLE {table}"),
        "SELECT ''::text, NULL::text, false".into(),
    )
    .await
    .unwrap();
    let mut want = ft.offer_ids();
    want.sort();
    let open: Vec<String> = open.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(open, want);
    assert_eq!(rows.len(), want.len() + 1);
    let removed: Vec<_> = rows.iter().filter(|(_, _, r)| *r).collect();
    assert_eq!(removed, [&(gone, Some("removed".to_string()), true)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_midway_changes_nothing_and_the_rerun_loses_nothing() {
    let ft = Standin::start(StandinConfig {
        offers: 600,
        slim: true,
        latency: (
            std::time::Duration::from_millis(250),
            std::time::Duration::from_millis(350),
        ),
        rate_limit_per_sec: Some(100),
        ..StandinConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), ft_spec(&ft, FT_SINKS)).unwrap();
    run_async(dir.path(), "mirror").await;
    assert_eq!(open_in_mirror(dir.path()).len(), 600);

    let gone = ft.offer_ids()[7].clone();
    assert!(ft.remove_offer(&gone));
    let added = ft.add_offers(1).remove(0);

    // A mirror run killed (SIGKILL) while it harvests.
    let before = ft.log().len();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jobharvest"))
        .current_dir(dir.path())
        .args(["run", "-q", "job.yaml", "--mode", "mirror"])
        .spawn()
        .unwrap();
    let waited = std::time::Instant::now();
    while !ft.log()[before..]
        .iter()
        .any(|r| r.path.ends_with("/search"))
    {
        assert!(waited.elapsed().as_secs() < 30, "the run never searched");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before the kill"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // Nothing of it reached the state or the mirror.
    let state =
        jobharvest_state::State::open_existing(&dir.path().join("job.state.sqlite")).unwrap();
    let counts = state.offer_counts().unwrap();
    assert_eq!((counts[0].open, counts[0].removed), (600, 0));
    assert_eq!(
        state.cursor("ft").unwrap().unwrap().last_complete_run_id,
        Some(1),
        "the cursor did not move"
    );
    drop(state);
    assert_eq!(open_in_mirror(dir.path()).len(), 600);
    assert!(mirror(dir.path()).iter().all(|(_, _, removed)| !removed));

    // The rerun (the killed run's lock is free) does all of it, once.
    let (rows, err) = run_async(dir.path(), "mirror").await;
    assert_eq!(rows[&added]["change"], "new", "{err}");
    assert_eq!(rows[&gone]["change"], "removed", "{err}");
    let mut open = ft.offer_ids();
    open.sort();
    assert_eq!(open_in_mirror(dir.path()), open);
    assert_eq!(mirror(dir.path()).len(), open.len() + 1);
    let state =
        jobharvest_state::State::open_existing(&dir.path().join("job.state.sqlite")).unwrap();
    let counts = state.offer_counts().unwrap();
    assert_eq!((counts[0].open, counts[0].removed), (600, 1));
}

//! `jobharvest state SPEC`: the report on a job's state, read as a user
//! would, over a state built through the library.

use chrono::{DateTime, Utc};
use jobharvest_core::{JobRecord, Mode};
use jobharvest_state::{OfferKey, State};

use crate::support::{jobharvest, stderr};

const SPEC: &str = "sources:\n  - { type: replay, name: ft-78, connector: france_travail, path: offres.jsonl }\nsinks:\n  - { type: csv, path: out/offres.csv }\n";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn offer(id: &str) -> JobRecord {
    let mut r = JobRecord::new("france_travail", id);
    r.title = Some(format!("Offre {id}"));
    r.updated_at = Some(at("2026-11-19T10:00:00Z"));
    r.created_at = Some(at("2026-11-18T09:00:00Z"));
    r
}

/// Three runs: two offers, then one removed, then a failure.
fn build(state: &State) {
    let mut t = state
        .begin_run_at(
            state.lock("daily").unwrap(),
            Mode::Mirror,
            &["ft-78"],
            at("2026-11-20T06:00:00Z"),
        )
        .unwrap();
    t.classify("ft-78", &mut vec![offer("A"), offer("B")])
        .unwrap();
    t.commit_run().unwrap();
    let mut t = state
        .begin_run_at(
            state.lock("daily").unwrap(),
            Mode::Mirror,
            &["ft-78"],
            at("2026-11-21T06:00:00Z"),
        )
        .unwrap();
    t.classify("ft-78", &mut vec![offer("A")]).unwrap();
    let gone = OfferKey {
        source: "france_travail".into(),
        source_id: "B".into(),
    };
    t.mark_removed(&gone, at("2026-11-21T06:02:00Z")).unwrap();
    t.commit_run().unwrap();
    let t = state
        .begin_run_at(
            state.lock("daily").unwrap(),
            Mode::Incremental,
            &["ft-78"],
            at("2026-11-22T06:00:00Z"),
        )
        .unwrap();
    t.abort_run("source `ft-78`: server error 503").unwrap();
}

#[test]
fn state_shows_cursors_counts_and_last_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("daily.yaml"), SPEC).unwrap();
    let state = State::open(&dir.path().join("daily.state.sqlite")).unwrap();
    build(&state);

    let out = jobharvest(dir.path(), &["state", "daily.yaml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(text.contains("daily.state.sqlite (version 1)"), "{text}");
    assert!(text.contains("Lock:  free"), "{text}");
    let source = lines
        .iter()
        .find(|l| l.trim_start().starts_with("ft-78"))
        .unwrap_or_else(|| panic!("no ft-78 row in\n{text}"));
    let cells: Vec<&str> = source.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "ft-78",
            "1",
            "1",
            "2026-11-19T10:00:00Z",
            "2026-11-18T09:00:00Z",
            "run",
            "2,",
            "2026-11-21T06:00:00Z"
        ],
        "{text}"
    );
    let runs: Vec<Vec<&str>> = lines
        .iter()
        .skip_while(|l| !l.starts_with("Last runs"))
        .skip(2)
        .take(3)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        runs,
        [
            vec![
                "3",
                "2026-11-22T06:00:00Z",
                "incremental",
                "failed",
                "-",
                "-",
                "-",
                "-"
            ],
            vec![
                "2",
                "2026-11-21T06:00:00Z",
                "mirror",
                "succeeded",
                "0",
                "0",
                "1",
                "1"
            ],
            vec![
                "1",
                "2026-11-20T06:00:00Z",
                "mirror",
                "succeeded",
                "2",
                "0",
                "0",
                "0"
            ],
        ],
        "{text}"
    );
    assert!(
        text.contains("run 3 failed: source `ft-78`: server error 503"),
        "{text}"
    );

    // While a run holds the lock, the report names it.
    let _lock = state.lock("daily").unwrap();
    let out = jobharvest(dir.path(), &["state", "daily.yaml", "--runs", "1"], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "held by a run in progress (job `daily`, pid {}",
            std::process::id()
        )),
        "{text}"
    );
    assert_eq!(
        text.matches("mirror").count() + text.matches("incremental").count(),
        1,
        "{text}"
    );
}

#[test]
fn state_without_a_state_file_says_how_one_is_made() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("daily.yaml"), SPEC).unwrap();
    let out = jobharvest(dir.path(), &["state", "daily.yaml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no state at"), "{err}");
    assert!(err.contains("mode: incremental"), "{err}");
    assert!(!dir.path().join("daily.state.sqlite").exists());
}

#[test]
fn state_refuses_a_damaged_file_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{SPEC}state: var/job.sqlite\n");
    std::fs::write(dir.path().join("daily.yaml"), spec).unwrap();
    std::fs::create_dir(dir.path().join("var")).unwrap();
    let file = dir.path().join("var/job.sqlite");
    std::fs::write(
        &file,
        "this is not a database, just text that is long enough".repeat(200),
    )
    .unwrap();
    let before = std::fs::read(&file).unwrap();
    let out = jobharvest(dir.path(), &["state", "daily.yaml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is not a jobharvest state"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

//! The state as the runner uses it: open, lock, classify, remove, commit,
//! and every way a run or a file can go wrong.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use jobharvest_core::{JobRecord, Mode};
use jobharvest_state::{
    Budget, Classified, OfferKey, RunStatus, State, Tracker, content_hash, schema_version,
};

const FT: &str = "france_travail";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// An offer as a connector would emit it.
fn offer(id: &str, title: &str, updated: &str) -> JobRecord {
    let mut r = JobRecord::new(FT, id);
    r.title = Some(title.into());
    r.created_at = Some(at("2026-11-01T08:00:00Z"));
    r.updated_at = Some(at(updated));
    r.skills = vec!["SQL".into()];
    r.raw = Some(format!(r#"{{"id":"{id}","score":0.5}}"#));
    r
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daily.state.sqlite");
    (dir, path)
}

fn begin(state: &State, mode: Mode, now: &str) -> Tracker {
    let lock = state.lock("daily").unwrap();
    state.begin_run_at(lock, mode, &["ft-78"], at(now)).unwrap()
}

/// Classifies one batch and returns the ids kept with their `change`.
fn classify(t: &mut Tracker, batch: Vec<JobRecord>) -> (Vec<(String, Option<String>)>, Classified) {
    let mut batch = batch;
    let counts = t.classify("ft-78", &mut batch).unwrap();
    let kept = batch.into_iter().map(|r| (r.source_id, r.change)).collect();
    (kept, counts)
}

fn ch(id: &str, change: Option<&str>) -> (String, Option<String>) {
    (id.to_string(), change.map(str::to_string))
}

/// Everything a run can change, for "nothing changed" comparisons.
fn snapshot(state: &State) -> String {
    let cursors = state.cursors().unwrap();
    let counts = state.offer_counts().unwrap();
    let offers: Vec<_> = ["A", "B", "C", "D"]
        .iter()
        .map(|id| state.offer(FT, id).unwrap())
        .collect();
    format!("{cursors:?}\n{counts:?}\n{offers:?}")
}

#[test]
fn a_new_state_is_created_at_the_latest_version() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    assert!(path.is_file());
    assert_eq!(schema_version(), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema_version());
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(state.cursors().unwrap().is_empty());
    assert!(state.runs(10).unwrap().is_empty());
    drop(state);
    // Opening again is a no-op.
    State::open(&path).unwrap();
}

#[test]
fn a_new_state_gets_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/jobs/daily.sqlite");
    State::open(&path).unwrap();
    assert!(path.is_file());
    // A folder where the file should be is a clear error, not a panic.
    let err = State::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("could not open the state"), "{err}");
}

#[test]
fn a_missing_state_is_an_error_for_reports() {
    let (_dir, path) = tmp();
    let err = State::open_existing(&path).unwrap_err().to_string();
    assert!(err.contains("no state at"), "{err}");
    assert!(!path.exists(), "a report creates nothing");
}

#[test]
fn a_state_from_a_newer_version_is_refused_naming_both_versions() {
    let (_dir, path) = tmp();
    drop(State::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 7).unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    let err = State::open(&path).unwrap_err().to_string();
    assert!(err.contains("newer jobharvest"), "{err}");
    assert!(err.contains("state version 7"), "{err}");
    assert!(err.contains("up to version 1"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "left untouched");
}

fn assert_refused_untouched(path: &Path, expect: &str) {
    let before = std::fs::read(path).unwrap();
    let err = State::open(path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(expect), "{msg}");
    assert!(msg.contains("untouched"), "{msg}");
    assert_eq!(std::fs::read(path).unwrap(), before, "never reset");
}

#[test]
fn random_bytes_are_refused_as_not_a_state() {
    let (_dir, path) = tmp();
    // Deterministic noise (xorshift), 64 KiB.
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: Vec<u8> = (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&path, noise).unwrap();
    assert_refused_untouched(&path, "not a jobharvest state (not a SQLite database)");
}

#[test]
fn a_truncated_state_is_refused_as_damaged() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    let mut t = begin(&state, Mode::Mirror, "2026-11-20T06:00:00Z");
    let batch: Vec<JobRecord> = (0..400)
        .map(|i| {
            let mut r = offer(&format!("ID{i:04}"), "Soudeur", "2026-11-19T10:00:00Z");
            r.description = Some(format!("offer {i} ").repeat(40));
            r
        })
        .collect();
    classify(&mut t, batch);
    t.commit_run().unwrap();
    drop(state);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 64 * 1024, "the state spans many pages ({len} bytes)");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2).unwrap();
    drop(file);
    assert_refused_untouched(&path, "is damaged");
}

#[test]
fn another_programs_database_and_a_dropped_table_are_refused() {
    let (_dir, path) = tmp();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id INTEGER)")
        .unwrap();
    drop(conn);
    assert_refused_untouched(&path, "not a jobharvest state");

    let (_dir2, path) = tmp();
    drop(State::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE cursors").unwrap();
    drop(conn);
    let err = State::open(&path).unwrap_err().to_string();
    assert!(err.contains("the table `cursors` is missing"), "{err}");
}

#[test]
fn three_runs_classify_new_updated_and_unchanged() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();

    // Run 1: everything is new.
    let mut t = begin(&state, Mode::Incremental, "2026-11-20T06:00:00Z");
    let mut batch = vec![
        offer("A", "Soudeur", "2026-11-19T10:00:00Z"),
        offer("B", "Data analyst", "2026-11-19T11:00:00Z"),
    ];
    let counts = t.classify("ft-78", &mut batch).unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (2, 0, 0));
    for r in &batch {
        assert_eq!(r.change.as_deref(), Some("new"));
        assert_eq!(r.first_seen_at, Some(at("2026-11-20T06:00:00Z")));
        assert_eq!(r.last_seen_at, Some(at("2026-11-20T06:00:00Z")));
    }
    t.commit_run().unwrap();

    // Run 2: A unchanged (only raw moved), B updated, C new.
    let mut t = begin(&state, Mode::Incremental, "2026-11-21T06:00:00Z");
    let mut a = offer("A", "Soudeur", "2026-11-19T10:00:00Z");
    a.raw = Some(r#"{"id":"A","score":0.9}"#.into());
    let mut b = offer("B", "Data analyst", "2026-11-20T15:00:00Z");
    b.salary_min = Some(2600.0);
    let (kept, counts) = classify(
        &mut t,
        vec![a, b, offer("C", "Cariste", "2026-11-20T16:00:00Z")],
    );
    assert_eq!(kept, [ch("B", Some("updated")), ch("C", Some("new"))]);
    assert_eq!(
        counts,
        Classified {
            new: 1,
            updated: 1,
            unchanged: 1,
            dropped: 1
        }
    );
    let mut again = vec![offer("B", "Data analyst", "2026-11-20T15:00:00Z")];
    again[0].salary_min = Some(2600.0);
    let dup = t.classify("ft-78", &mut again).unwrap();
    assert!(
        again.is_empty(),
        "the same content twice in one run is unchanged"
    );
    assert_eq!((dup.unchanged, dup.dropped), (1, 1));
    let summary = t.commit_run().unwrap();
    assert!(!summary.nothing_changed());

    // Run 3, full mode: nothing changed; everything is written, unchanged
    // records with a null `change`.
    let mut t = begin(&state, Mode::Full, "2026-11-22T06:00:00Z");
    let mut b = offer("B", "Data analyst", "2026-11-20T15:00:00Z");
    b.salary_min = Some(2600.0);
    let (kept, _) = classify(
        &mut t,
        vec![
            offer("A", "Soudeur", "2026-11-19T10:00:00Z"),
            b,
            offer("C", "Cariste", "2026-11-20T16:00:00Z"),
        ],
    );
    assert_eq!(kept, [ch("A", None), ch("B", None), ch("C", None)]);
    let summary = t.commit_run().unwrap();
    assert!(summary.nothing_changed());

    let a = state.offer(FT, "A").unwrap().unwrap();
    assert_eq!(a.first_seen_at, at("2026-11-20T06:00:00Z"));
    assert_eq!(a.last_seen_at, at("2026-11-22T06:00:00Z"));
    assert_eq!(a.source_name, "ft-78");
    let b = state.offer(FT, "B").unwrap().unwrap();
    assert_eq!(
        b.record.salary_min,
        Some(2600.0),
        "the updated content is stored"
    );
    assert_eq!(b.content_hash, content_hash(&b.record));
    assert_eq!(b.updated_at, Some(at("2026-11-20T15:00:00Z")));
    assert_eq!(
        b.first_seen_at,
        at("2026-11-20T06:00:00Z"),
        "kept from run 1"
    );

    let runs = state.runs(10).unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert_eq!(runs[0].mode, "full");
    let run2 = &runs[1].sources[0];
    assert_eq!((run2.new, run2.updated, run2.unchanged), (1, 1, 2));
}

#[test]
fn mirror_removes_unseen_offers_and_blanks_their_personal_data() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    let mut t = begin(&state, Mode::Mirror, "2026-11-20T06:00:00Z");
    let mut a = offer("A", "Soudeur", "2026-11-19T10:00:00Z");
    a.contact_name = Some("M. Martin".into());
    a.contact_phone = Some("0102030405".into());
    a.raw = Some(r#"{"id":"A","contact":{"telephone":"0102030405"}}"#.into());
    classify(
        &mut t,
        vec![a, offer("B", "Cariste", "2026-11-19T10:00:00Z")],
    );
    assert!(t.unseen("ft-78").unwrap().is_empty());
    t.commit_run().unwrap();
    assert_eq!(
        state
            .offer(FT, "A")
            .unwrap()
            .unwrap()
            .record
            .contact_phone
            .as_deref(),
        Some("0102030405"),
        "kept while the offer is open"
    );

    // A is gone from the board.
    let mut t = begin(&state, Mode::Mirror, "2026-11-21T06:00:00Z");
    classify(&mut t, vec![offer("B", "Cariste", "2026-11-19T10:00:00Z")]);
    let key = OfferKey {
        source: FT.into(),
        source_id: "A".into(),
    };
    assert_eq!(t.unseen("ft-78").unwrap(), std::slice::from_ref(&key));
    assert!(t.unseen("another-source").unwrap().is_empty());
    let gone = at("2026-11-21T06:05:00Z");
    let removed = t.mark_removed(&key, gone).unwrap();
    assert_eq!(removed.change.as_deref(), Some("removed"));
    assert_eq!(removed.removed_at, Some(gone));
    assert_eq!(removed.title.as_deref(), Some("Soudeur"));
    assert_eq!(removed.first_seen_at, Some(at("2026-11-20T06:00:00Z")));
    assert_eq!(removed.last_seen_at, Some(at("2026-11-20T06:00:00Z")));
    assert_eq!(
        (
            removed.contact_name.as_ref(),
            removed.contact_phone.as_ref()
        ),
        (None, None)
    );
    assert_eq!(removed.raw, None, "raw repeated the phone number");
    // Removing twice, or removing an offer seen in this run, is refused.
    assert!(t.mark_removed(&key, gone).is_err());
    let b = OfferKey {
        source: FT.into(),
        source_id: "B".into(),
    };
    let err = t.mark_removed(&b, gone).unwrap_err().to_string();
    assert!(err.contains("returned by this run"), "{err}");
    let summary = t.commit_run().unwrap();
    assert_eq!(summary.sources[0].removed, 1);

    let a = state.offer(FT, "A").unwrap().unwrap();
    assert_eq!(a.removed_at, Some(gone));
    assert_eq!(a.record.contact_name, None, "blanked in the state");
    assert_eq!(a.record.contact_phone, None);
    assert_eq!(a.record.raw, None);
    let counts = state.offer_counts().unwrap();
    assert_eq!((counts[0].open, counts[0].removed), (1, 1));

    // A removed offer that comes back is updated and open again.
    let mut t = begin(&state, Mode::Mirror, "2026-11-22T06:00:00Z");
    let (kept, _) = classify(&mut t, vec![offer("A", "Soudeur", "2026-11-19T10:00:00Z")]);
    assert_eq!(kept, [ch("A", Some("updated"))]);
    t.commit_run().unwrap();
    assert_eq!(state.offer(FT, "A").unwrap().unwrap().removed_at, None);
}

#[test]
fn only_a_mirror_run_lists_unseen_offers() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    let t = begin(&state, Mode::Incremental, "2026-11-20T06:00:00Z");
    let err = t.unseen("ft-78").unwrap_err().to_string();
    assert!(err.contains("mode: mirror"), "{err}");
}

/// One committed run with A and B, so aborts have something to spoil.
fn committed(state: &State) {
    let mut t = begin(state, Mode::Mirror, "2026-11-20T06:00:00Z");
    classify(
        &mut t,
        vec![
            offer("A", "Soudeur", "2026-11-19T10:00:00Z"),
            offer("B", "Cariste", "2026-11-19T10:00:00Z"),
        ],
    );
    t.commit_run().unwrap();
}

/// A run that sees changes, a new offer and a removal, then does not commit.
fn spoil(state: &State) -> Tracker {
    let mut t = begin(state, Mode::Mirror, "2026-11-21T06:00:00Z");
    classify(
        &mut t,
        vec![
            offer("A", "Soudeur confirmé", "2026-11-20T10:00:00Z"),
            offer("C", "Cariste", "2026-11-20T10:00:00Z"),
        ],
    );
    let b = OfferKey {
        source: FT.into(),
        source_id: "B".into(),
    };
    t.mark_removed(&b, at("2026-11-21T06:01:00Z")).unwrap();
    t
}

#[test]
fn an_aborted_run_changes_nothing() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    committed(&state);
    let before = snapshot(&state);
    spoil(&state)
        .abort_run("sink `out.csv`: disk full")
        .unwrap();
    assert_eq!(snapshot(&state), before);
    let runs = state.runs(1).unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert_eq!(runs[0].error.as_deref(), Some("sink `out.csv`: disk full"));
    assert!(runs[0].sources.is_empty());
}

#[test]
fn a_dropped_run_changes_nothing_and_releases_the_lock() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    committed(&state);
    let before = snapshot(&state);
    drop(spoil(&state));
    assert_eq!(snapshot(&state), before);
    assert_eq!(state.runs(1).unwrap()[0].status, RunStatus::Interrupted);
    assert!(state.running().unwrap().is_none());
    state.lock("daily").unwrap();
}

/// The child half of the SIGKILL test: starts a run that changes things,
/// says so, and waits to be killed. A no-op unless the parent started it.
#[test]
fn killed_child() {
    let Ok(path) = std::env::var("JH_STATE_KILLED_CHILD") else {
        return;
    };
    let state = State::open(Path::new(&path)).unwrap();
    let _t = spoil(&state);
    println!("staged");
    std::thread::sleep(std::time::Duration::from_secs(60));
    panic!("the parent did not kill this run");
}

#[test]
fn a_run_killed_with_sigkill_changes_nothing_and_the_next_run_cleans_up() {
    use std::io::{BufRead, BufReader};
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    committed(&state);
    let before = snapshot(&state);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "killed_child", "--nocapture", "--test-threads=1"])
        .env("JH_STATE_KILLED_CHILD", &path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("staged"))),
        "the child run never got going"
    );
    let pid = child.id();
    assert_eq!(state.running().unwrap().map(|h| h.pid), Some(pid));
    child.kill().unwrap(); // SIGKILL: no destructor runs.
    child.wait().unwrap();

    assert_eq!(
        snapshot(&state),
        before,
        "nothing the killed run saw was kept"
    );
    let lock = state.lock("daily").unwrap();
    assert_eq!(
        lock.stale().map(|h| h.pid),
        Some(pid),
        "its lock is detected as stale"
    );
    let mut t = state
        .begin_run_at(lock, Mode::Mirror, &["ft-78"], at("2026-11-22T06:00:00Z"))
        .unwrap();
    let (kept, _) = classify(
        &mut t,
        vec![
            offer("A", "Soudeur", "2026-11-19T10:00:00Z"),
            offer("C", "Cariste", "2026-11-20T10:00:00Z"),
        ],
    );
    assert_eq!(kept, [ch("A", None), ch("C", Some("new"))]);
    let keys: Vec<String> = t
        .unseen("ft-78")
        .unwrap()
        .into_iter()
        .map(|k| k.source_id)
        .collect();
    assert_eq!(
        keys,
        ["B"],
        "B is still open: the killed run's removal was not kept"
    );
    t.commit_run().unwrap();
    let runs = state.runs(3).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.status).collect::<Vec<_>>(),
        [
            RunStatus::Succeeded,
            RunStatus::Interrupted,
            RunStatus::Succeeded
        ]
    );
}

#[test]
fn two_handles_contend_for_the_lock_and_the_second_names_the_first() {
    let (_dir, path) = tmp();
    let first = State::open(&path).unwrap();
    let second = State::open(&path).unwrap();
    let t = begin(&first, Mode::Incremental, "2026-11-20T06:00:00Z");
    let err = second.lock("daily").unwrap_err().to_string();
    assert!(
        err.contains("another run of this job is in progress"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains("job `daily`"), "{err}");
    let holder = second.running().unwrap().unwrap();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(second.runs(1).unwrap()[0].status, RunStatus::Running);
    t.commit_run().unwrap();
    assert!(second.running().unwrap().is_none());
    second.lock("daily").unwrap();
}

#[test]
fn a_stale_lock_from_a_dead_process_is_taken_over() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    std::fs::write(
        state.lock_path(),
        r#"{"job":"daily","pid":4194303,"host":"worker-1","started_at":"2026-11-19T06:00:00Z"}"#,
    )
    .unwrap();
    assert!(state.running().unwrap().is_none());
    let lock = state.lock("daily").unwrap();
    let stale = lock.stale().unwrap();
    assert_eq!((stale.pid, stale.host.as_str()), (4_194_303, "worker-1"));
}

#[test]
fn cursors_advance_only_on_commit() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    assert_eq!(state.cursor("ft-78").unwrap(), None);

    let mut t = begin(&state, Mode::Incremental, "2026-11-20T06:00:00Z");
    classify(&mut t, vec![offer("A", "Soudeur", "2026-11-19T10:00:00Z")]);
    assert_eq!(t.cursor("ft-78").unwrap(), None, "not before the commit");
    assert_eq!(state.cursor("ft-78").unwrap(), None);
    let run1 = t.commit_run().unwrap().run_id;
    let c = state.cursor("ft-78").unwrap().unwrap();
    assert_eq!(c.newest_updated_at, Some(at("2026-11-19T10:00:00Z")));
    assert_eq!(c.newest_created_at, Some(at("2026-11-01T08:00:00Z")));
    assert_eq!(c.last_complete_run_id, Some(run1));
    assert_eq!(c.last_complete_run_at, Some(at("2026-11-20T06:00:00Z")));
    assert_eq!(
        c.since(jobharvest_state::DEFAULT_LOOKBACK),
        Some(at("2026-11-18T10:00:00Z"))
    );

    // A failed run with newer offers moves nothing.
    let mut t = begin(&state, Mode::Incremental, "2026-11-21T06:00:00Z");
    classify(&mut t, vec![offer("B", "Cariste", "2026-11-20T23:00:00Z")]);
    t.abort_run("source `ft-78`: HTTP 503").unwrap();
    assert_eq!(state.cursor("ft-78").unwrap().unwrap(), c);

    // A committed run with nothing new still records the complete run, and
    // an older offer never moves the cursor back.
    let mut t = begin(&state, Mode::Incremental, "2026-11-22T06:00:00Z");
    classify(&mut t, vec![offer("Z", "Ancien", "2026-10-01T00:00:00Z")]);
    let run3 = t.commit_run().unwrap().run_id;
    let c3 = state.cursor("ft-78").unwrap().unwrap();
    assert_eq!(c3.newest_updated_at, c.newest_updated_at);
    assert_eq!(c3.last_complete_run_id, Some(run3));
    assert_eq!(
        c3.since(TimeDelta::hours(2)),
        Some(at("2026-11-19T08:00:00Z"))
    );
}

#[test]
fn quota_budgets_persist_at_once_and_survive_an_aborted_run() {
    let (_dir, path) = tmp();
    let state = State::open(&path).unwrap();
    assert_eq!(state.budget("adzuna", "day").unwrap(), None);
    let t = begin(&state, Mode::Incremental, "2026-11-20T06:00:00Z");
    let day = Budget {
        window: "day".into(),
        used: 240,
        resets_at: Some(at("2026-11-21T00:00:00Z")),
    };
    state.put_budget("adzuna", &day).unwrap();
    state
        .put_budget(
            "adzuna",
            &Budget {
                window: "day".into(),
                used: 250,
                ..day.clone()
            },
        )
        .unwrap();
    state
        .put_budget(
            "adzuna",
            &Budget {
                window: "month".into(),
                used: 2_000,
                resets_at: None,
            },
        )
        .unwrap();
    t.abort_run("quota exhausted").unwrap();
    drop(state);
    let state = State::open(&path).unwrap();
    assert_eq!(state.budget("adzuna", "day").unwrap().unwrap().used, 250);
    let windows: Vec<_> = state
        .budgets("adzuna")
        .unwrap()
        .into_iter()
        .map(|b| (b.window, b.used))
        .collect();
    assert_eq!(windows, [("day".into(), 250), ("month".into(), 2_000)]);
    assert!(state.budgets("reed").unwrap().is_empty());
}

#[test]
fn handles_cross_threads_as_the_runner_needs() {
    fn send<T: Send>() {}
    fn shared<T: Send + Sync>() {}
    // The tracker moves into the task (or blocking thread) that classifies;
    // the state is shared with connectors for their quota budgets.
    send::<Tracker>();
    shared::<State>();
}

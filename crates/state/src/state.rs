//! [`State`]: one job's SQLite file, and what it can tell between runs.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use jobharvest_core::{Mode, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{decode_record, instant, parse_instant, parse_opt_instant};
use crate::hash::ContentHash;
use crate::lock::{JobLock, LockHolder};
use crate::schema::{self, db_error};
use crate::tracker::Tracker;

/// How far before its cursor an incremental run asks a source to start
/// by default: offers published late or updated twice are caught again.
pub const DEFAULT_LOOKBACK: TimeDelta = TimeDelta::days(1);

/// A job's state: the offers seen, the cursors and budgets of its sources,
/// and its runs.
///
/// `State` is `Sync`: connectors can share it (for quota budgets) while a
/// [`Tracker`] runs on its own connection.
#[derive(Debug)]
pub struct State {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Where a source stands after its last complete run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The newest `updated_at` among the offers the source returned.
    pub newest_updated_at: Option<DateTime<Utc>>,
    /// The newest `created_at` among the offers the source returned.
    pub newest_created_at: Option<DateTime<Utc>>,
    /// The last run that committed with this source in it.
    pub last_complete_run_id: Option<i64>,
    /// When that run started.
    pub last_complete_run_at: Option<DateTime<Utc>>,
}

impl Cursor {
    /// Where an incremental harvest should start: the newest instant the
    /// board reported (or, when it reported none, the start of the last
    /// complete run), minus `lookback`.
    pub fn since(&self, lookback: TimeDelta) -> Option<DateTime<Utc>> {
        let newest = self.newest_updated_at.max(self.newest_created_at);
        newest.or(self.last_complete_run_at).map(|t| t - lookback)
    }
}

/// A quota budget a connector keeps across runs (Adzuna's daily and
/// monthly calls, for instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// The window's name (`day`, `month`, ...), chosen by the connector.
    pub window: String,
    /// What was used in the current window.
    pub used: u64,
    /// When the window starts afresh, if known.
    pub resets_at: Option<DateTime<Utc>>,
}

/// What the state remembers of one offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferState {
    /// The spec source that last returned it.
    pub source_name: String,
    /// Its content hash at the last change.
    pub content_hash: ContentHash,
    /// When a run first saw it.
    pub first_seen_at: DateTime<Utc>,
    /// When a run last saw it.
    pub last_seen_at: DateTime<Utc>,
    /// Its `updated_at`, as the board gave it.
    pub updated_at: Option<DateTime<Utc>>,
    /// When it was confirmed removed.
    pub removed_at: Option<DateTime<Utc>>,
    /// The record as last written (personal data blanked once removed).
    pub record: jobharvest_core::JobRecord,
}

/// Offers per spec source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferCounts {
    /// The spec source's name.
    pub source_name: String,
    /// Offers still open.
    pub open: u64,
    /// Offers confirmed removed.
    pub removed: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still going (its process holds the lock).
    Running,
    /// Committed: its changes are in the state.
    Succeeded,
    /// Aborted on an error: nothing it saw was kept.
    Failed,
    /// Stopped without committing or aborting (killed, crashed): nothing it
    /// saw was kept.
    Interrupted,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> RunStatus {
        match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Interrupted,
        }
    }
}

/// What a run did to one source's offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// The spec source's name.
    pub source_name: String,
    /// Offers seen for the first time.
    pub new: u64,
    /// Offers whose content changed (or that came back after a removal).
    pub updated: u64,
    /// Offers seen again unchanged.
    pub unchanged: u64,
    /// Offers confirmed removed.
    pub removed: u64,
}

/// One run, as `jobharvest state` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The run's id (increasing).
    pub id: i64,
    /// The job's name.
    pub job: String,
    /// The mode it ran in.
    pub mode: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it committed or aborted.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub status: RunStatus,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Counts per source (committed runs only).
    pub sources: Vec<RunCounts>,
}

impl State {
    /// Opens the state at `path`, creating it when missing, and upgrades
    /// its schema.
    ///
    /// # Errors
    /// The file is not a jobharvest state, is damaged, or comes from a newer
    /// jobharvest; the folder is missing or read-only. The file is never
    /// reset.
    pub fn open(path: &Path) -> Result<State> {
        Self::with(path, schema::open(path, true)?)
    }

    /// Opens an existing state (for reports: a missing file is an error,
    /// not a new state).
    ///
    /// # Errors
    /// As [`State::open`], and when the file does not exist.
    pub fn open_existing(path: &Path) -> Result<State> {
        Self::with(path, schema::open(path, false)?)
    }

    fn with(path: &Path, conn: Connection) -> Result<State> {
        Ok(State {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The job lock's file: `<state>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the job lock without waiting; hold it for the whole run.
    ///
    /// # Errors
    /// Another run holds it: the message names it (job, pid, host, start).
    pub fn lock(&self, job: &str) -> Result<JobLock> {
        JobLock::acquire(&self.lock_path(), job)
    }

    /// The run holding the job lock right now, if any.
    ///
    /// # Errors
    /// The lock file exists but cannot be read.
    pub fn running(&self) -> Result<Option<LockHolder>> {
        JobLock::holder(&self.lock_path())
    }

    /// Starts a run of `sources` (the spec's source names) now.
    ///
    /// Runs that died without committing are marked interrupted and what
    /// they staged is thrown away; the lock proves none of them still runs.
    ///
    /// # Errors
    /// The state cannot be written.
    pub fn begin_run(&self, lock: JobLock, mode: Mode, sources: &[&str]) -> Result<Tracker> {
        self.begin_run_at(lock, mode, sources, Utc::now())
    }

    /// [`State::begin_run`] with the run's instant given (tests, replays).
    ///
    /// # Errors
    /// The state cannot be written.
    pub fn begin_run_at(
        &self,
        lock: JobLock,
        mode: Mode,
        sources: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Tracker> {
        let conn = schema::connect(&self.path, false)?;
        Tracker::begin(conn, self.path.clone(), lock, mode, sources, now)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cursor of the spec source `source_name`, if it ever completed a
    /// run.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn cursor(&self, source_name: &str) -> Result<Option<Cursor>> {
        read_cursor(&self.conn(), &self.path, source_name)
    }

    /// Every cursor, by source name.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn cursors(&self) -> Result<Vec<(String, Cursor)>> {
        let conn = self.conn();
        let err = |e| db_error(&self.path, "read the cursors", e);
        let mut stmt = conn
            .prepare(
                "SELECT source_name, newest_updated_at, newest_created_at, last_complete_run_id, last_complete_run_at
                 FROM cursors ORDER BY source_name",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, cursor_from_row(r, 1)?)))
            .map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    }

    /// Open and removed offers per spec source.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn offer_counts(&self) -> Result<Vec<OfferCounts>> {
        let conn = self.conn();
        let err = |e| db_error(&self.path, "count the offers", e);
        let mut stmt = conn
            .prepare(
                "SELECT source_name, sum(removed_at IS NULL), sum(removed_at IS NOT NULL)
                 FROM offers GROUP BY source_name ORDER BY source_name",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(OfferCounts {
                    source_name: r.get(0)?,
                    open: count(r, 1)?,
                    removed: count(r, 2)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    }

    /// The last `n` runs, newest first. A run still marked running whose
    /// process no longer holds the lock shows as interrupted.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn runs(&self, n: usize) -> Result<Vec<RunInfo>> {
        let live = self.running()?.is_some();
        let conn = self.conn();
        let err = |e| db_error(&self.path, "read the runs", e);
        let mut stmt = conn
            .prepare(
                "SELECT id, job, mode, started_at, finished_at, status, error
                 FROM runs ORDER BY id DESC LIMIT ?1",
            )
            .map_err(err)?;
        let mut runs: Vec<RunInfo> = stmt
            .query_map([n as i64], |r| {
                let status = RunStatus::parse(&r.get::<_, String>(5)?);
                Ok(RunInfo {
                    id: r.get(0)?,
                    job: r.get(1)?,
                    mode: r.get(2)?,
                    started_at: parse_instant(&r.get::<_, String>(3)?)?,
                    finished_at: parse_opt_instant(r.get(4)?)?,
                    status,
                    error: r.get(6)?,
                    sources: Vec::new(),
                })
            })
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        let mut counts = conn
            .prepare(
                "SELECT source_name, new, updated, unchanged, removed FROM run_sources
                 WHERE run_id = ?1 ORDER BY source_name",
            )
            .map_err(err)?;
        for (i, run) in runs.iter_mut().enumerate() {
            if run.status == RunStatus::Running && !(live && i == 0) {
                run.status = RunStatus::Interrupted;
            }
            run.sources = counts
                .query_map([run.id], |r| {
                    Ok(RunCounts {
                        source_name: r.get(0)?,
                        new: count(r, 1)?,
                        updated: count(r, 2)?,
                        unchanged: count(r, 3)?,
                        removed: count(r, 4)?,
                    })
                })
                .map_err(err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(err)?;
        }
        Ok(runs)
    }

    /// What the state holds about one offer (`source` is the record's
    /// `source` column, the board).
    ///
    /// # Errors
    /// The state cannot be read, or the stored record is damaged.
    pub fn offer(&self, source: &str, source_id: &str) -> Result<Option<OfferState>> {
        let conn = self.conn();
        let err = |e| db_error(&self.path, "read an offer", e);
        let row = conn
            .query_row(
                "SELECT source_name, content_hash, first_seen_at, last_seen_at, updated_at, removed_at, record
                 FROM offers WHERE source = ?1 AND source_id = ?2",
                [source, source_id],
                |r| {
                    let hash: Vec<u8> = r.get(1)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        hash,
                        parse_instant(&r.get::<_, String>(2)?)?,
                        parse_instant(&r.get::<_, String>(3)?)?,
                        parse_opt_instant(r.get(4)?)?,
                        parse_opt_instant(r.get(5)?)?,
                        r.get::<_, Vec<u8>>(6)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let Some((source_name, hash, first, last, updated, removed, blob)) = row else {
            return Ok(None);
        };
        Ok(Some(OfferState {
            source_name,
            content_hash: ContentHash(hash.try_into().unwrap_or([0; 32])),
            first_seen_at: first,
            last_seen_at: last,
            updated_at: updated,
            removed_at: removed,
            record: decode_record(&blob)?,
        }))
    }

    /// The budget of `source` in `window`, if one was stored.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn budget(&self, source: &str, window: &str) -> Result<Option<Budget>> {
        let conn = self.conn();
        conn.query_row(
            "SELECT window, used, resets_at FROM budgets WHERE source = ?1 AND window = ?2",
            [source, window],
            budget_from_row,
        )
        .optional()
        .map_err(|e| db_error(&self.path, "read a quota budget", e))
    }

    /// Every budget of `source`, by window name.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn budgets(&self, source: &str) -> Result<Vec<Budget>> {
        let conn = self.conn();
        let err = |e| db_error(&self.path, "read the quota budgets", e);
        let mut stmt = conn
            .prepare(
                "SELECT window, used, resets_at FROM budgets WHERE source = ?1 ORDER BY window",
            )
            .map_err(err)?;
        let rows = stmt.query_map([source], budget_from_row).map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    }

    /// Stores the budget of `source` in `budget.window`, at once (a quota
    /// spent is spent, even when the run fails later).
    ///
    /// # Errors
    /// The state cannot be written.
    pub fn put_budget(&self, source: &str, budget: &Budget) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO budgets (source, window, used, resets_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, window) DO UPDATE SET used = excluded.used, resets_at = excluded.resets_at",
                params![
                    source,
                    budget.window,
                    budget.used as i64,
                    budget.resets_at.map(instant)
                ],
            )
            .map(drop)
            .map_err(|e| db_error(&self.path, "store a quota budget", e))
    }
}

/// Reads a non-negative count stored as an integer.
fn count(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
}

fn budget_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Budget> {
    Ok(Budget {
        window: r.get(0)?,
        used: count(r, 1)?,
        resets_at: parse_opt_instant(r.get(2)?)?,
    })
}

/// Reads a cursor from columns `at..at + 4`.
fn cursor_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Cursor> {
    Ok(Cursor {
        newest_updated_at: parse_opt_instant(r.get(at)?)?,
        newest_created_at: parse_opt_instant(r.get(at + 1)?)?,
        last_complete_run_id: r.get(at + 2)?,
        last_complete_run_at: parse_opt_instant(r.get(at + 3)?)?,
    })
}

/// The committed cursor of `source_name`.
pub(crate) fn read_cursor(
    conn: &Connection,
    path: &Path,
    source_name: &str,
) -> Result<Option<Cursor>> {
    conn.query_row(
        "SELECT newest_updated_at, newest_created_at, last_complete_run_id, last_complete_run_at
         FROM cursors WHERE source_name = ?1",
        [source_name],
        |r| cursor_from_row(r, 0),
    )
    .optional()
    .map_err(|e| db_error(path, "read a cursor", e))
}

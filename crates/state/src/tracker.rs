//! [`Tracker`]: one run's view of the state, and the only way to change it.
//!
//! Everything a run learns is *staged* (the `staged` table, keyed by run)
//! and moves into the offers and cursors in one transaction in
//! [`Tracker::commit_run`], which the runner calls only after every sink
//! has committed. A run that fails, is dropped, or is killed leaves the
//! offers and cursors as they were; its staged rows are thrown away by
//! [`Tracker::abort_run`], by `Drop`, or by the next run.
//!
//! Staging in SQLite rather than in memory keeps memory flat whatever the
//! harvest's size, and short per-batch transactions leave the file readable
//! (`jobharvest state`) and writable (quota budgets) during the run.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, Mode, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{decode_record, encode_record, instant, parse_instant, without_personal_data};
use crate::hash::content_hash;
use crate::lock::JobLock;
use crate::schema::db_error;
use crate::state::{Cursor, RunCounts, read_cursor};

/// What a run saw happen to an offer (the record's `change` column).
pub mod change {
    /// Seen for the first time.
    pub const NEW: &str = "new";
    /// Seen before with another content, or back after a removal.
    pub const UPDATED: &str = "updated";
    /// Confirmed gone from the board.
    pub const REMOVED: &str = "removed";
}

/// The key of an offer in the state: the record's `source` (the board) and
/// `source_id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfferKey {
    /// The record's `source` column.
    pub source: String,
    /// The offer's id on its board.
    pub source_id: String,
}

/// What one [`Tracker::classify`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Classified {
    /// Records seen for the first time.
    pub new: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records seen again unchanged.
    pub unchanged: u64,
    /// Unchanged records removed from the batch (incremental mode).
    pub dropped: u64,
}

/// A committed run: its id and what it did per source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run's id.
    pub run_id: i64,
    /// The counts per spec source, by name.
    pub sources: Vec<RunCounts>,
}

impl RunSummary {
    /// Whether the run found nothing new, updated or removed.
    pub fn nothing_changed(&self) -> bool {
        self.sources
            .iter()
            .all(|c| c.new == 0 && c.updated == 0 && c.removed == 0)
    }
}

/// One run in progress. Created by [`crate::State::begin_run`]; ends with
/// [`Tracker::commit_run`] or [`Tracker::abort_run`] (dropping it aborts).
/// Holds the job lock until then.
#[derive(Debug)]
pub struct Tracker {
    conn: Connection,
    path: PathBuf,
    run_id: i64,
    mode: Mode,
    now: DateTime<Utc>,
    counts: BTreeMap<String, RunCounts>,
    newest: BTreeMap<String, Newest>,
    finished: bool,
    _lock: JobLock,
}

/// The newest `updated_at` and `created_at` a source returned in this run.
type Newest = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What the state knew of an offer before this record.
struct Prior {
    hash: Vec<u8>,
    first_seen_at: String,
    removed: bool,
}

impl Tracker {
    pub(crate) fn begin(
        mut conn: Connection,
        path: PathBuf,
        lock: JobLock,
        mode: Mode,
        sources: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Tracker> {
        let err = |e| db_error(&path, "start a run in the state", e);
        let tx = conn.transaction().map_err(err)?;
        let orphans = tx
            .execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
                [],
            )
            .map_err(err)?;
        tx.execute("DELETE FROM staged", []).map_err(err)?;
        tx.execute(
            "INSERT INTO runs (job, mode, started_at, status) VALUES (?1, ?2, ?3, 'running')",
            params![lock.holder_info().job, mode.as_str(), instant(now)],
        )
        .map_err(err)?;
        let run_id = tx.last_insert_rowid();
        tx.commit().map_err(err)?;
        if orphans > 0 {
            tracing::info!(
                runs = orphans,
                "Earlier runs stopped without committing; the state kept nothing from them."
            );
        }
        let counts = sources
            .iter()
            .map(|s| (s.to_string(), counts_for(s)))
            .collect();
        Ok(Tracker {
            conn,
            path,
            run_id,
            mode,
            now,
            counts,
            newest: BTreeMap::new(),
            finished: false,
            _lock: lock,
        })
    }

    /// The run's id.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// The run's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The run's instant: every record it sees gets it as `last_seen_at`.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The committed cursor of the spec source `source_name` (what the last
    /// complete runs saw; this run's records do not move it until commit).
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn cursor(&self, source_name: &str) -> Result<Option<Cursor>> {
        read_cursor(&self.conn, &self.path, source_name)
    }

    /// Compares `records` (returned by the spec source `source_name`) with
    /// the state: sets `change` (`new`, `updated`, or null when unchanged),
    /// `first_seen_at` and `last_seen_at` on each, stages them, and in
    /// incremental mode removes the unchanged ones from the vector.
    ///
    /// # Errors
    /// The state cannot be read or written.
    pub fn classify(
        &mut self,
        source_name: &str,
        records: &mut Vec<JobRecord>,
    ) -> Result<Classified> {
        self.check_open()?;
        let path = &self.path;
        let err = |e| db_error(path, "record the run's offers in the state", e);
        let mut out = Classified::default();
        let mut keep = Vec::with_capacity(records.len());
        let now = instant(self.now);
        let counts = self
            .counts
            .entry(source_name.to_string())
            .or_insert_with(|| counts_for(source_name));
        let newest = self.newest.entry(source_name.to_string()).or_default();
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut in_run = tx
                .prepare(
                    "SELECT content_hash FROM staged WHERE run_id = ?1 AND source = ?2 AND source_id = ?3",
                )
                .map_err(err)?;
            let mut known = tx
                .prepare(
                    "SELECT content_hash, first_seen_at, removed_at IS NOT NULL FROM offers
                     WHERE source = ?1 AND source_id = ?2",
                )
                .map_err(err)?;
            let mut stage = tx
                .prepare(
                    "INSERT OR REPLACE INTO staged
                     (run_id, source, source_id, source_name, change, content_hash, first_seen_at, last_seen_at, updated_at, removed_at, record)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10)",
                )
                .map_err(err)?;
            for record in records.iter_mut() {
                let hash = content_hash(record);
                let twice: Option<Vec<u8>> = in_run
                    .query_row(params![self.run_id, record.source, record.source_id], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(err)?;
                if twice.as_deref() == Some(&hash.as_bytes()[..]) {
                    // The same offer twice in one run, unchanged: nothing to stage.
                    out.unchanged += 1;
                    counts.unchanged += 1;
                    keep.push(self.mode.writes_unchanged());
                    continue;
                }
                let prior = known
                    .query_row(params![record.source, record.source_id], |r| {
                        Ok(Prior {
                            hash: r.get(0)?,
                            first_seen_at: r.get(1)?,
                            removed: r.get(2)?,
                        })
                    })
                    .optional()
                    .map_err(err)?;
                let (change, first_seen) = match &prior {
                    None => {
                        out.new += 1;
                        counts.new += 1;
                        (Some(change::NEW), now.clone())
                    }
                    Some(p) if p.removed || p.hash != hash.as_bytes() => {
                        out.updated += 1;
                        counts.updated += 1;
                        (Some(change::UPDATED), p.first_seen_at.clone())
                    }
                    Some(p) => {
                        out.unchanged += 1;
                        counts.unchanged += 1;
                        (None, p.first_seen_at.clone())
                    }
                };
                record.change = change.map(str::to_string);
                record.first_seen_at = Some(parse_instant(&first_seen).map_err(err)?);
                record.last_seen_at = Some(self.now);
                record.removed_at = None;
                newest.0 = newest.0.max(record.updated_at);
                newest.1 = newest.1.max(record.created_at);
                let blob = match change {
                    Some(_) => Some(encode_record(record)?),
                    None => None,
                };
                stage
                    .execute(params![
                        self.run_id,
                        record.source,
                        record.source_id,
                        source_name,
                        change,
                        &hash.as_bytes()[..],
                        first_seen,
                        now,
                        record.updated_at.map(instant),
                        blob,
                    ])
                    .map_err(err)?;
                keep.push(change.is_some() || self.mode.writes_unchanged());
            }
        }
        tx.commit().map_err(err)?;
        let before = records.len();
        let mut flags = keep.into_iter();
        records.retain(|_| flags.next().unwrap_or(true));
        out.dropped = (before - records.len()) as u64;
        Ok(out)
    }

    /// The open offers last returned by the spec source `source_name` that
    /// this run has not seen: candidates for removal, to be confirmed with
    /// the board one by one before [`Tracker::mark_removed`].
    ///
    /// # Errors
    /// Outside mirror mode (only a complete harvest can tell what is
    /// missing), or the state cannot be read.
    pub fn unseen(&self, source_name: &str) -> Result<Vec<OfferKey>> {
        if self.mode != Mode::Mirror {
            return Err(Error::config(format!(
                "only a mirror run can tell which offers are gone (this run is `{}`); set `mode: mirror`",
                self.mode
            )));
        }
        let err = |e| db_error(&self.path, "list the offers not seen", e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT o.source, o.source_id FROM offers o
                 WHERE o.source_name = ?1 AND o.removed_at IS NULL AND NOT EXISTS (
                     SELECT 1 FROM staged s
                     WHERE s.run_id = ?2 AND s.source = o.source AND s.source_id = o.source_id)
                 ORDER BY o.source, o.source_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![source_name, self.run_id], |r| {
                Ok(OfferKey {
                    source: r.get(0)?,
                    source_id: r.get(1)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    }

    /// Records that the board confirmed `key` gone at `at`, and returns the
    /// record to write: the last one stored, with `change = removed`,
    /// `removed_at` set and its personal data blanked (in the state too).
    ///
    /// # Errors
    /// The offer is not open in the state, or this run has seen it.
    pub fn mark_removed(&mut self, key: &OfferKey, at: DateTime<Utc>) -> Result<JobRecord> {
        self.check_open()?;
        let path = &self.path;
        let err = |e| db_error(path, "record a removal in the state", e);
        let seen: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM staged WHERE run_id = ?1 AND source = ?2 AND source_id = ?3",
                params![self.run_id, key.source, key.source_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let row = self
            .conn
            .query_row(
                "SELECT source_name, content_hash, first_seen_at, last_seen_at, record FROM offers
                 WHERE source = ?1 AND source_id = ?2 AND removed_at IS NULL",
                params![key.source, key.source_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let (source_name, hash, first, last, blob) = match (seen, row) {
            (None, Some(row)) => row,
            (Some(_), _) => {
                return Err(Error::new(
                    ErrorKind::Sink,
                    format!(
                        "offer `{}` of `{}` was returned by this run: it is not removed",
                        key.source_id, key.source
                    ),
                ));
            }
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::Sink,
                    format!(
                        "offer `{}` of `{}` is not an open offer in the state",
                        key.source_id, key.source
                    ),
                ));
            }
        };
        let mut record = without_personal_data(&decode_record(&blob)?)?;
        record.change = Some(change::REMOVED.into());
        record.first_seen_at = Some(parse_instant(&first).map_err(err)?);
        record.last_seen_at = Some(parse_instant(&last).map_err(err)?);
        record.removed_at = Some(at);
        self.conn
            .execute(
                "INSERT INTO staged
                 (run_id, source, source_id, source_name, change, content_hash, first_seen_at, last_seen_at, updated_at, removed_at, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    self.run_id,
                    key.source,
                    key.source_id,
                    source_name,
                    change::REMOVED,
                    hash,
                    first,
                    last,
                    record.updated_at.map(instant),
                    instant(at),
                    encode_record(&record)?,
                ],
            )
            .map_err(err)?;
        self.counts
            .entry(source_name.clone())
            .or_insert_with(|| counts_for(&source_name))
            .removed += 1;
        Ok(record)
    }

    /// Makes the run's changes durable: offers, removals, cursors and the
    /// run's line, in one transaction. Call it only after every sink has
    /// committed. Releases the job lock.
    ///
    /// # Errors
    /// The state cannot be written; then nothing changed, and the next run
    /// starts from the same cursors.
    pub fn commit_run(mut self) -> Result<RunSummary> {
        self.check_open()?;
        let path = self.path.clone();
        let err = |e| db_error(&path, "commit the run to the state", e);
        let cursors: Vec<(String, Cursor)> = self
            .counts
            .keys()
            .map(|name| {
                let old = read_cursor(&self.conn, &path, name)?.unwrap_or_default();
                let (upd, cre) = self.newest.get(name).copied().unwrap_or_default();
                let cursor = Cursor {
                    newest_updated_at: old.newest_updated_at.max(upd),
                    newest_created_at: old.newest_created_at.max(cre),
                    last_complete_run_id: Some(self.run_id),
                    last_complete_run_at: Some(self.now),
                };
                Ok((name.clone(), cursor))
            })
            .collect::<Result<_>>()?;
        let run = self.run_id;
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "UPDATE offers SET
                 source_name = s.source_name, content_hash = s.content_hash,
                 last_seen_at = s.last_seen_at, updated_at = s.updated_at,
                 removed_at = NULL, record = coalesce(s.record, offers.record)
             FROM staged s
             WHERE s.run_id = ?1 AND s.source = offers.source AND s.source_id = offers.source_id
               AND (s.change IS NULL OR s.change <> 'removed')",
            [run],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO offers
             (source, source_id, source_name, content_hash, first_seen_at, last_seen_at, updated_at, removed_at, record)
             SELECT source, source_id, source_name, content_hash, first_seen_at, last_seen_at, updated_at, NULL, record
             FROM staged WHERE run_id = ?1 AND change = 'new'",
            [run],
        )
        .map_err(err)?;
        tx.execute(
            "UPDATE offers SET removed_at = s.removed_at, record = s.record
             FROM staged s
             WHERE s.run_id = ?1 AND s.source = offers.source AND s.source_id = offers.source_id
               AND s.change = 'removed'",
            [run],
        )
        .map_err(err)?;
        for (name, c) in &cursors {
            tx.execute(
                "INSERT OR REPLACE INTO cursors
                 (source_name, newest_updated_at, newest_created_at, last_complete_run_id, last_complete_run_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    name,
                    c.newest_updated_at.map(instant),
                    c.newest_created_at.map(instant),
                    c.last_complete_run_id,
                    c.last_complete_run_at.map(instant),
                ],
            )
            .map_err(err)?;
        }
        for c in self.counts.values() {
            tx.execute(
                "INSERT INTO run_sources (run_id, source_name, new, updated, unchanged, removed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run,
                    c.source_name,
                    c.new as i64,
                    c.updated as i64,
                    c.unchanged as i64,
                    c.removed as i64
                ],
            )
            .map_err(err)?;
        }
        tx.execute(
            "UPDATE runs SET status = 'succeeded', finished_at = ?2 WHERE id = ?1",
            params![run, instant(Utc::now())],
        )
        .map_err(err)?;
        tx.execute("DELETE FROM staged WHERE run_id = ?1", [run])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        self.finished = true;
        Ok(RunSummary {
            run_id: run,
            sources: std::mem::take(&mut self.counts).into_values().collect(),
        })
    }

    /// Ends the run without keeping anything it saw, recording `reason`
    /// (the run's error) in its line. Releases the job lock.
    ///
    /// # Errors
    /// The state cannot be written (the next run cleans up anyway).
    pub fn abort_run(mut self, reason: &str) -> Result<()> {
        self.finished = true;
        self.discard("failed", Some(reason))
    }

    fn discard(&mut self, status: &str, reason: Option<&str>) -> Result<()> {
        let path = &self.path;
        let err = |e| db_error(path, "abort the run in the state", e);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM staged WHERE run_id = ?1", [self.run_id])
            .map_err(err)?;
        tx.execute(
            "UPDATE runs SET status = ?2, finished_at = ?3, error = ?4 WHERE id = ?1",
            params![self.run_id, status, instant(Utc::now()), reason],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn check_open(&self) -> Result<()> {
        if self.finished {
            return Err(Error::new(
                ErrorKind::Io,
                "the run is already committed or aborted",
            ));
        }
        Ok(())
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if !self.finished {
            self.finished = true;
            if let Err(e) = self.discard("interrupted", None) {
                tracing::warn!(error = %e, "Could not mark the stopped run in the state; the next run will.");
            }
        }
    }
}

fn counts_for(source_name: &str) -> RunCounts {
    RunCounts {
        source_name: source_name.to_string(),
        ..RunCounts::default()
    }
}

//! Checkpoints: what an interrupted run had done, so `--resume` continues it.
//!
//! A run of resumable sources keeps two small files beside its outputs:
//!
//! - the **spool** (`.<job>.spool.jsonl`): every record emitted so far, one
//!   JSON line each, appended as they are emitted;
//! - the **state** (`.<job>.checkpoint.json`): the slices completed, per
//!   source, rewritten atomically (temporary file, then rename) each time a
//!   slice completes, after the spool has been flushed to disk.
//!
//! The outputs themselves are only ever written at the end of a successful
//! run, so an interrupted run leaves no corrupt output. `--resume` replays the
//! spool into the sinks, then runs the sources, which skip completed slices.
//! Records of slices that were under way are fetched again and dropped as
//! duplicates, so nothing is lost and nothing is written twice. A successful
//! run deletes both files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::record::JobRecord;

const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    fingerprint: String,
    done: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Serialize, Deserialize)]
struct SpoolLine<'a> {
    source: std::borrow::Cow<'a, str>,
    record: std::borrow::Cow<'a, JobRecord>,
}

/// The checkpoint of one run. Shared by every source of the run.
#[derive(Debug)]
pub struct Checkpoint {
    state_path: PathBuf,
    spool_path: PathBuf,
    state: Mutex<State>,
    spool: Mutex<BufWriter<File>>,
    spooled: std::sync::atomic::AtomicU64,
}

/// Where a job's checkpoint lives.
#[derive(Debug, Clone)]
pub struct CheckpointPaths {
    /// The state file.
    pub state: PathBuf,
    /// The spool file.
    pub spool: PathBuf,
}

impl CheckpointPaths {
    /// The paths for job `name` (the spec's file stem) in folder `dir`.
    pub fn new(dir: &Path, name: &str) -> Self {
        CheckpointPaths {
            state: dir.join(format!(".{name}.checkpoint.json")),
            spool: dir.join(format!(".{name}.spool.jsonl")),
        }
    }

    /// Whether an interrupted run left a checkpoint here.
    pub fn exists(&self) -> bool {
        self.state.exists()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Checkpoint {
    /// Starts a fresh checkpoint, discarding any earlier one.
    ///
    /// # Errors
    /// When the files cannot be created.
    pub fn create(paths: &CheckpointPaths, fingerprint: &str) -> Result<Self> {
        if let Some(dir) = paths.state.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create the directory", dir, e))?;
        }
        let spool = File::create(&paths.spool)
            .map_err(|e| Error::io("create the checkpoint spool", &paths.spool, e))?;
        let cp = Checkpoint {
            state_path: paths.state.clone(),
            spool_path: paths.spool.clone(),
            state: Mutex::new(State {
                version: VERSION,
                fingerprint: fingerprint.to_string(),
                done: BTreeMap::new(),
            }),
            spool: Mutex::new(BufWriter::with_capacity(1 << 16, spool)),
            spooled: Default::default(),
        };
        cp.save()?;
        Ok(cp)
    }

    /// Opens the checkpoint an interrupted run left, to continue it.
    ///
    /// # Errors
    /// No checkpoint, an unreadable one, or one from a different spec.
    pub fn resume(paths: &CheckpointPaths, fingerprint: &str) -> Result<Self> {
        let text = std::fs::read_to_string(&paths.state).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "--resume: no checkpoint to resume at `{}` ({e}); run without --resume to start a new harvest",
                    paths.state.display()
                ),
            )
        })?;
        let state: State = serde_json::from_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!(
                    "--resume: the checkpoint `{}` is unreadable ({e}); delete it and run without --resume",
                    paths.state.display()
                ),
            )
        })?;
        if state.version != VERSION {
            return Err(Error::config(format!(
                "--resume: the checkpoint `{}` was written by another version of jobharvest (format {}); run without --resume",
                paths.state.display(),
                state.version
            )));
        }
        if state.fingerprint != fingerprint {
            return Err(Error::config(
                "--resume: the spec's sources changed since the interrupted run; run without --resume to start over",
            ));
        }
        let spool = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&paths.spool)
            .map_err(|e| Error::io("open the checkpoint spool", &paths.spool, e))?;
        drop_torn_tail(&spool)
            .map_err(|e| Error::io("repair the checkpoint spool", &paths.spool, e))?;
        Ok(Checkpoint {
            state_path: paths.state.clone(),
            spool_path: paths.spool.clone(),
            state: Mutex::new(state),
            spool: Mutex::new(BufWriter::with_capacity(1 << 16, spool)),
            // Resumed: what is in the spool already counts.
            spooled: std::sync::atomic::AtomicU64::new(1),
        })
    }

    /// How many slices are done, over every source.
    pub fn done_count(&self) -> usize {
        lock(&self.state).done.values().map(BTreeSet::len).sum()
    }

    /// Whether the run kept nothing worth resuming (no record spooled, no
    /// slice done): such a checkpoint is removed even when the run fails.
    pub fn is_empty(&self) -> bool {
        self.done_count() == 0 && self.spooled.load(std::sync::atomic::Ordering::Relaxed) == 0
    }

    /// Whether `source` completed slice `key`.
    pub fn is_done(&self, source: &str, key: &str) -> bool {
        lock(&self.state)
            .done
            .get(source)
            .is_some_and(|keys| keys.contains(key))
    }

    /// Appends records to the spool.
    ///
    /// # Errors
    /// When the spool cannot be written.
    pub fn spool_records(&self, source: &str, records: &[JobRecord]) -> Result<()> {
        self.spooled
            .fetch_add(records.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let mut spool = lock(&self.spool);
        for record in records {
            let line = SpoolLine {
                source: source.into(),
                record: std::borrow::Cow::Borrowed(record),
            };
            serde_json::to_writer(&mut *spool, &line).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot write the checkpoint spool: {e}"),
                )
            })?;
            spool
                .write_all(b"\n")
                .map_err(|e| Error::io("write", &self.spool_path, e))?;
        }
        Ok(())
    }

    /// Marks `key` of `source` done: flushes the spool to disk, then
    /// rewrites the state file atomically.
    ///
    /// # Errors
    /// When either file cannot be written.
    pub fn complete(&self, source: &str, key: &str) -> Result<()> {
        {
            let mut spool = lock(&self.spool);
            spool
                .flush()
                .and_then(|()| spool.get_ref().sync_data())
                .map_err(|e| Error::io("flush", &self.spool_path, e))?;
        }
        lock(&self.state)
            .done
            .entry(source.to_string())
            .or_default()
            .insert(key.to_string());
        self.save()
    }

    fn save(&self) -> Result<()> {
        let text = serde_json::to_vec_pretty(&*lock(&self.state))
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot encode the checkpoint: {e}")))?;
        let dir = self.state_path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::io("create a temporary file in", dir, e))?;
        tmp.write_all(&text)
            .and_then(|()| tmp.as_file().sync_data())
            .map_err(|e| Error::io("write", &self.state_path, e))?;
        tmp.persist(&self.state_path)
            .map_err(|e| Error::io("write", &self.state_path, e.error))?;
        Ok(())
    }

    /// Reads the spool back, calling `f` with each batch of (source, record)
    /// pairs. A torn last line (the run died mid-write) is ignored: its
    /// slice was not complete, so it is fetched again.
    ///
    /// # Errors
    /// When the spool cannot be read, or a line other than the last is bad.
    pub fn read_spool(
        &self,
        mut f: impl FnMut(Vec<(String, JobRecord)>) -> Result<()>,
    ) -> Result<u64> {
        lock(&self.spool)
            .flush()
            .map_err(|e| Error::io("flush", &self.spool_path, e))?;
        let file = match File::open(&self.spool_path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("read", &self.spool_path, e)),
        };
        let mut lines = BufReader::new(file).lines().peekable();
        let mut batch = Vec::with_capacity(1024);
        let mut count = 0;
        while let Some(line) = lines.next() {
            let line = line.map_err(|e| Error::io("read", &self.spool_path, e))?;
            match serde_json::from_str::<SpoolLine>(&line) {
                Ok(l) => batch.push((l.source.into_owned(), l.record.into_owned())),
                Err(_) if lines.peek().is_none() => break,
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Parse,
                        format!(
                            "the checkpoint spool `{}` is damaged ({e}); delete it and its checkpoint and run without --resume",
                            self.spool_path.display()
                        ),
                    ));
                }
            }
            count += 1;
            if batch.len() == 1024 {
                f(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(count)
    }

    /// Deletes both files (the run succeeded).
    pub fn remove(self) {
        drop(self.spool);
        let _ = std::fs::remove_file(&self.spool_path);
        let _ = std::fs::remove_file(&self.state_path);
    }
}

/// Cuts a torn last line off the spool (the run died, or was killed, in
/// the middle of writing a record), so that the resumed run's records start
/// on a line of their own. The torn record's slice was not complete: it is
/// fetched again.
fn drop_torn_tail(spool: &File) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = spool.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut reader = spool;
    let mut at = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while at > 0 {
        let start = at.saturating_sub(chunk.len() as u64);
        let n = (at - start) as usize;
        reader.seek(SeekFrom::Start(start))?;
        reader.read_exact(&mut chunk[..n])?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                spool.set_len(keep)?;
            }
            return Ok(());
        }
        at = start;
    }
    spool.set_len(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_slices_and_spooled_records_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let paths = CheckpointPaths::new(dir.path(), "job");
        let cp = Checkpoint::create(&paths, "f1").unwrap();
        cp.spool_records("ft", &[JobRecord::new("france_travail", "A")])
            .unwrap();
        cp.complete("ft", "slice-1").unwrap();
        cp.spool_records("ft", &[JobRecord::new("france_travail", "B")])
            .unwrap();
        drop(cp); // the run dies

        // A torn last line, as a crash mid-write leaves it.
        let mut f = OpenOptions::new().append(true).open(&paths.spool).unwrap();
        f.write_all(b"{\"source\":\"ft\",\"rec").unwrap();

        assert!(
            Checkpoint::resume(&paths, "other")
                .unwrap_err()
                .to_string()
                .contains("changed")
        );
        let cp = Checkpoint::resume(&paths, "f1").unwrap();
        assert!(cp.is_done("ft", "slice-1"));
        assert!(!cp.is_done("ft", "slice-2"));
        assert!(!cp.is_done("other", "slice-1"));
        let mut ids = vec![];
        let n = cp
            .read_spool(|batch| {
                ids.extend(
                    batch
                        .into_iter()
                        .map(|(s, r)| format!("{s}/{}", r.source_id)),
                );
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(ids, ["ft/A", "ft/B"]);
        cp.remove();
        assert!(!paths.exists() && !paths.spool.exists());
    }

    /// Regression: a resumed run appended its records after the torn line
    /// of the run it resumed, and a second resume read the spool as
    /// damaged (seen on a busy machine).
    #[test]
    fn a_torn_tail_is_cut_before_a_resumed_run_appends() {
        let dir = tempfile::tempdir().unwrap();
        let paths = CheckpointPaths::new(dir.path(), "job");
        let cp = Checkpoint::create(&paths, "f1").unwrap();
        cp.spool_records("ft", &[JobRecord::new("france_travail", "A")])
            .unwrap();
        cp.complete("ft", "slice-1").unwrap();
        drop(cp);
        let mut f = OpenOptions::new().append(true).open(&paths.spool).unwrap();
        f.write_all(b"{\"source\":\"ft\",\"rec").unwrap();
        let cp = Checkpoint::resume(&paths, "f1").unwrap();
        cp.spool_records("ft", &[JobRecord::new("france_travail", "C")])
            .unwrap();
        cp.complete("ft", "slice-2").unwrap();
        drop(cp);
        let cp = Checkpoint::resume(&paths, "f1").unwrap();
        let mut ids = vec![];
        cp.read_spool(|batch| {
            ids.extend(batch.into_iter().map(|(_, r)| r.source_id));
            Ok(())
        })
        .unwrap();
        assert_eq!(ids, ["A", "C"]);
    }

    #[test]
    fn resume_without_checkpoint_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = Checkpoint::resume(&CheckpointPaths::new(dir.path(), "job"), "f").unwrap_err();
        assert!(err.to_string().contains("run without --resume"), "{err}");
    }
}

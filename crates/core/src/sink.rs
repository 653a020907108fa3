//! The [`Sink`] trait: where records go, and the file plumbing every file
//! sink shares.
//!
//! A sink's life is explicit, like arrow's `ArrowWriter`: it is *opened* by
//! its config ([`crate::registry::SinkConfig::open`]), receives batches
//! through [`Sink::write`], and is *finished* by [`Sink::finish`], which
//! consumes it. A sink dropped without `finish` (the run failed or was
//! interrupted) leaves nothing at its output path: file sinks write into an
//! [`AtomicFile`] that only `commit` moves into place.
//!
//! Sinks are synchronous: the runner gives each one its own blocking thread
//! and a bounded queue, so a slow format never stalls the others.

use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tempfile::NamedTempFile;

use crate::error::{Error, ErrorKind, Result};
use crate::mode::Mode;
use crate::record::{COLUMNS, JobRecord, column_index};

/// What a sink reports when it finishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkReport {
    /// Rows written.
    pub rows: u64,
    /// Bytes in the final output, when it is a file.
    pub bytes: Option<u64>,
    /// Warnings worth showing in the summary (truncated cells, ...).
    pub warnings: Vec<String>,
}

/// An output for records.
pub trait Sink: Send {
    /// Writes one batch.
    ///
    /// # Errors
    /// An [`ErrorKind::Sink`] or [`ErrorKind::Io`] error; the run then stops
    /// and the sink is dropped without finishing.
    fn write(&mut self, batch: &[JobRecord]) -> Result<()>;

    /// Receives the run's figures (requests, retries, duplicates, each
    /// source's status, ...) once, after the last batch and just before
    /// [`Sink::finish`]; only a run that is about to finish its sinks calls
    /// it. Sinks that write records alone ignore it (the default); a sink
    /// that reports on the run keeps it.
    fn run_summary(&mut self, summary: &RunSummary) {
        let _ = summary;
    }

    /// Flushes everything and moves the output into place.
    ///
    /// # Errors
    /// When the last write, the flush or the rename fails; nothing is left at
    /// the output path then.
    fn finish(self: Box<Self>) -> Result<SinkReport>;
}

/// What a run did, as the runner knows it when its sinks are about to
/// finish: the figures of the closing summary that records do not carry.
///
/// A plain value, built by the runner for [`Sink::run_summary`]; nothing in
/// it is a file format's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunSummary {
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// Wall time up to the sinks' finish.
    pub elapsed: Duration,
    /// The run's mode (`full` when it keeps no state).
    pub mode: Mode,
    /// One entry per source, in spec order.
    pub sources: Vec<SourceRun>,
}

impl RunSummary {
    /// A summary of a run in `mode` that took `elapsed`, with no source
    /// yet.
    pub fn new(mode: Mode, elapsed: Duration) -> Self {
        RunSummary {
            mode,
            elapsed,
            ..RunSummary::default()
        }
    }
}

/// One source's line in a [`RunSummary`]: its counters when the sources
/// were done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceRun {
    /// The source's name in the spec.
    pub name: String,
    /// Its type (`france_travail`, `replay`, ...).
    pub type_name: String,
    /// Why it failed, when it did; its records up to then are written.
    pub failed: Option<String>,
    /// Unique records emitted.
    pub offers: u64,
    /// The total the board reported, when it did.
    pub total: Option<u64>,
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Requests retried after a temporary failure.
    pub retries: u64,
    /// Answers that were HTTP 429.
    pub rate_limited: u64,
    /// Records dropped as the same offer emitted twice.
    pub duplicates: u64,
    /// Records dropped by `dedupe: fingerprint` (the same job on another
    /// board).
    pub same_job: u64,
    /// Records dropped by the source's `filter:`.
    pub filtered: u64,
    /// Records or input lines skipped as malformed.
    pub skipped: u64,
    /// Implausible values the source left out of their columns
    /// (data-quality warnings).
    pub quality_warnings: u64,
    /// Records the state already held unchanged, not written
    /// (incremental).
    pub unchanged: u64,
    /// Offers confirmed removed and written as such (mirror).
    pub removed: u64,
}

impl SourceRun {
    /// A source's line with every counter at zero.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        SourceRun {
            name: name.into(),
            type_name: type_name.into(),
            ..SourceRun::default()
        }
    }
}

/// What a sink receives when it is opened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SinkContext {
    /// The directory relative paths are resolved against (the spec's).
    pub base_dir: PathBuf,
    /// Whether outputs must reach the disk (`fsync`) before they are
    /// renamed into place (see [`AtomicFile::create_with`]). On unless the
    /// runner says otherwise.
    pub durable: bool,
}

impl SinkContext {
    /// A context resolving relative paths against `base_dir`, with durable
    /// outputs.
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        SinkContext {
            base_dir: base_dir.into(),
            durable: true,
        }
    }

    /// Sets whether outputs are flushed to disk before they are renamed
    /// into place.
    pub fn with_durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// `path` resolved against the base directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// A new output file for `path` (already resolved), durable or not as
    /// this context says.
    ///
    /// # Errors
    /// As [`AtomicFile::create`].
    pub fn create_file(&self, path: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with(path, self.durable)
    }
}

/// Chooses the columns a sink writes: `columns` when the spec lists them
/// (in that order), otherwise every column, leaving out `raw` unless
/// `include_raw`. Every sink's `columns` key goes through here.
///
/// # Errors
/// A config error naming an unknown column (listing the known ones), a
/// column listed twice, or an empty list.
pub fn select_columns(columns: Option<&[String]>, include_raw: bool) -> Result<Vec<usize>> {
    if columns.is_some_and(<[String]>::is_empty) {
        return Err(Error::config(
            "columns: the list is empty; list at least one column, or remove `columns` to write them all",
        ));
    }
    let indices = pick_columns(columns, include_raw)?;
    for (i, c) in indices.iter().enumerate() {
        if indices[..i].contains(c) {
            return Err(Error::config(format!(
                "columns: `{}` is listed twice; list each column once",
                COLUMNS[*c].name
            )));
        }
    }
    Ok(indices)
}

/// Whether [`select_columns`] picks `raw`, for [`crate::SinkConfig::writes_raw`]
/// (true for a list it refuses: the sink's own check reports that).
pub fn selects_raw(columns: Option<&[String]>, include_raw: bool) -> bool {
    select_columns(columns, include_raw).map_or(true, |picked| {
        picked.iter().any(|&i| COLUMNS[i].name == "raw")
    })
}

fn pick_columns(columns: Option<&[String]>, include_raw: bool) -> Result<Vec<usize>> {
    match columns {
        Some(names) => names
            .iter()
            .map(|n| {
                column_index(n).ok_or_else(|| {
                    let known: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
                    Error::config(format!(
                        "unknown column `{n}` in `columns`; known columns: {}",
                        known.join(", ")
                    ))
                })
            })
            .collect(),
        None => Ok((0..COLUMNS.len())
            .filter(|&i| include_raw || COLUMNS[i].name != "raw")
            .collect()),
    }
}

/// A file written under a temporary name in the destination's directory and
/// renamed over the destination only by [`AtomicFile::commit`].
///
/// Dropped without `commit`, it deletes the temporary file: a failed run
/// never leaves a half-written output, and an existing output stays as it
/// was. A durable file also reaches the disk before the rename, so that a
/// power cut cannot leave an empty file under the destination's name.
pub struct AtomicFile {
    tmp: NamedTempFile,
    path: PathBuf,
    flusher: Option<Flusher>,
    durable: bool,
    unflushed: u64,
}

/// Bytes written between two background flushes. The final `fsync` waits
/// for at most this much: 8 MiB made a 100k-offer replay into Parquet +
/// CSV about 0.05 s faster than 32 MiB, and 2 MiB no faster than 8.
const FLUSH_EVERY: u64 = 8 << 20;

/// A thread that flushes a file to disk in the background while it is being
/// written, so the final `sync` in [`AtomicFile::commit`] only has the tail
/// left to write: the disk works while the pipeline computes, instead of
/// after it.
struct Flusher {
    wake: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Flusher {
    fn start(file: &File) -> Option<Self> {
        let file = file.try_clone().ok()?;
        let (wake, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("jobharvest-flush".into())
            .spawn(move || {
                for () in rx {
                    // Errors surface in the final sync of `commit`.
                    let _ = file.sync_data();
                }
            })
            .ok()?;
        Some(Flusher { wake, thread })
    }

    fn stop(self) {
        drop(self.wake);
        let _ = self.thread.join();
    }
}

impl AtomicFile {
    /// Creates the parent directories and a temporary file beside `path`,
    /// durable (see [`AtomicFile::create_with`]).
    ///
    /// # Errors
    /// When the directory cannot be created or written to.
    pub fn create(path: &Path) -> Result<Self> {
        Self::create_with(path, true)
    }

    /// Creates the parent directories and a temporary file beside `path`.
    ///
    /// `durable`: [`AtomicFile::commit`] flushes the file to disk (`fsync`)
    /// before renaming it, and a background thread flushes it every few
    /// megabytes on the way so that the last flush is short. Without it the
    /// rename is still atomic for every failure short of a power cut or a
    /// kernel crash, and the operating system writes the file out in its
    /// own time, as it does for any program that does not ask: about 10%
    /// of a replay's time on this project's benchmark machine.
    ///
    /// # Errors
    /// When the directory cannot be created or written to.
    pub fn create_with(path: &Path, durable: bool) -> Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create the directory", &dir, e))?;
        if path.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "the output path `{}` is a directory; give a file name such as `{}/offres.csv`",
                    path.display(),
                    path.display()
                ),
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        remove_stale_temporaries(&dir, &name);
        // The process id in the name tells a dead run's leftovers (after a
        // SIGKILL or a power cut) from a live run's file.
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.{}.", std::process::id()))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
        let flusher = if durable {
            Flusher::start(tmp.as_file())
        } else {
            None
        };
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            flusher,
            durable,
            unflushed: 0,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file, for writers that want a `File`.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Flushes to disk (when durable) and renames the file over its
    /// destination. Returns the file's size in bytes.
    ///
    /// # Errors
    /// When syncing or renaming fails; the temporary file is removed.
    pub fn commit(self) -> Result<u64> {
        let AtomicFile {
            tmp,
            path,
            flusher,
            durable,
            ..
        } = self;
        if let Some(f) = flusher {
            f.stop();
        }
        if durable {
            tmp.as_file()
                .sync_all()
                .map_err(|e| Error::io("flush", &path, e))?;
        }
        let bytes = tmp
            .as_file()
            .metadata()
            .map_err(|e| Error::io("read the size of", &path, e))?
            .len();
        // Temporary files are created owner-only (0600); an output is meant
        // to be shared like any file the user writes, so it takes the mode
        // of the file it replaces, or 0644.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0o644);
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io("set the permissions of", &path, e))?;
        }
        tmp.persist(&path)
            .map_err(|e| Error::io("move the finished output to", &path, e.error))?;
        Ok(bytes)
    }
}

impl fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.path)
            .field("tmp", &self.tmp.path())
            .finish()
    }
}

impl AtomicFile {
    fn wrote(&mut self, n: usize) {
        self.unflushed += n as u64;
        if self.unflushed >= FLUSH_EVERY {
            self.unflushed = 0;
            if let Some(f) = &self.flusher {
                // A flush already pending covers this one too.
                let _ = f.wake.try_send(());
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tmp.write(buf)?;
        self.wrote(n);
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.tmp.write_all(buf)?;
        self.wrote(buf.len());
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.tmp.seek(pos)
    }
}

/// What a file sink does with an output that already exists (the spec's
/// `write` key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// Replace it (the default).
    #[default]
    Overwrite,
    /// Add the run's rows after the ones already there.
    Append,
}

/// Removes the temporary files of `name` in `dir` that a run which no
/// longer exists left behind (`.NAME.PID.XXXXXX.tmp` whose process is
/// gone), and says so. Only where the system tells which processes live
/// (`/proc`); elsewhere leftovers stay.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        if std::fs::remove_file(&path).is_ok() {
            tracing::warn!(
                path = %path.display(),
                pid,
                "Removed a temporary file left behind by a run that died (process {pid} is gone)."
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_of_dead_runs_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4194304 or above (Linux's pid_max limit).
        let dead = dir.path().join(".out.csv.4194399.abc123.tmp");
        let alive = dir
            .path()
            .join(format!(".out.csv.{}.def456.tmp", std::process::id()));
        let other = dir.path().join(".other.csv.4194399.abc123.tmp");
        for p in [&dead, &alive, &other] {
            std::fs::write(p, "partial").unwrap();
        }
        let file = AtomicFile::create(&dir.path().join("out.csv")).unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists(), "a dead run's file is removed");
        }
        assert!(alive.exists(), "a live run's file stays");
        assert!(other.exists(), "another output's file stays");
        drop(file);
    }

    #[test]
    fn commit_moves_into_place_and_drop_leaves_nothing() {
        // Durable or not, the file appears whole at commit and only then.
        for durable in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("sub/out.csv");
            let mut f = AtomicFile::create_with(&path, durable).unwrap();
            assert_eq!(f.durable, durable);
            assert_eq!(
                f.flusher.is_some(),
                durable,
                "a flush thread only when durable"
            );
            f.write_all(b"a,b\n").unwrap();
            assert!(!path.exists(), "nothing at the path before commit");
            assert_eq!(f.commit().unwrap(), 4);
            assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o644, "outputs are readable by others, like any file");
            }

            let mut g = AtomicFile::create_with(&path, durable).unwrap();
            g.write_all(b"half").unwrap();
            drop(g);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                b"a,b\n",
                "old output untouched"
            );
            let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
            assert_eq!(leftovers, 1, "temporary file removed");
        }
    }

    #[test]
    fn the_context_decides_whether_files_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let cx = SinkContext::new(dir.path());
        assert!(cx.durable, "durable unless told otherwise");
        let path = dir.path().join("a.csv");
        assert!(cx.create_file(&path).unwrap().durable);
        let cx = cx.with_durable(false);
        assert!(!cx.create_file(&path).unwrap().durable);
    }

    #[test]
    fn select_columns_rejects_unknown_names() {
        let err = select_columns(Some(&["title".into(), "titel".into()]), false).unwrap_err();
        assert!(err.to_string().contains("`titel`"), "{err}");
        assert!(err.to_string().contains("source_id"), "{err}");
        let all = select_columns(None, true).unwrap();
        assert_eq!(all.len(), COLUMNS.len());
        let no_raw = select_columns(None, false).unwrap();
        assert_eq!(no_raw.len(), COLUMNS.len() - 1);
        let twice = select_columns(Some(&["title".into(), "title".into()]), false).unwrap_err();
        assert!(
            twice.to_string().contains("`title` is listed twice"),
            "{twice}"
        );
        let empty = select_columns(Some(&[]), false).unwrap_err();
        assert!(empty.to_string().contains("empty"), "{empty}");
    }
}

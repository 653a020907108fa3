//! The job lock: one run of a job at a time.
//!
//! The lock is an OS file lock (`flock` on Unix, `LockFileEx` on Windows,
//! through `std::fs::File::try_lock`) on `<state>.lock`. The OS releases it
//! when the holder exits, however it exits, so a run killed with SIGKILL
//! never blocks the next one. The file also holds who took the lock (job,
//! pid, host, start time): a second run reads it to name the running one,
//! and a run that finds it filled but unlocked knows the previous holder
//! died without releasing it (a stale lock) and says so.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use jobharvest_core::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// Who holds (or held) a job lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The job's name (the spec's stem).
    pub job: String,
    /// The process id.
    pub pid: u32,
    /// The machine.
    pub host: String,
    /// When the lock was taken.
    pub started_at: DateTime<Utc>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "job `{}`, pid {} on {}, started {}",
            self.job,
            self.pid,
            self.host,
            self.started_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// A held job lock, released when dropped.
#[derive(Debug)]
pub struct JobLock {
    file: File,
    path: PathBuf,
    holder: LockHolder,
    stale: Option<LockHolder>,
}

impl JobLock {
    /// Takes the lock at `path` for `job`, without waiting.
    ///
    /// # Errors
    /// Another run holds it (the error names it: job, pid, host, start
    /// time), or the lock file cannot be created.
    pub fn acquire(path: &Path, job: &str) -> Result<JobLock> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("create the lock file", path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let running = read_holder(&mut file)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "a process that has not written its details yet".into());
                return Err(Error::new(
                    ErrorKind::Io,
                    format!(
                        "another run of this job is in progress ({running}); wait for it to finish, or stop that process, then run again"
                    ),
                )
                .with_context("lock", path.display()));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::io("lock", path, e));
            }
        }
        let stale = read_holder(&mut file);
        if let Some(old) = &stale {
            tracing::warn!(
                lock = %path.display(),
                previous = %old,
                "The previous run ended without releasing its lock (killed?); taking it over."
            );
        }
        let holder = LockHolder {
            job: job.to_string(),
            pid: std::process::id(),
            host: hostname(),
            started_at: Utc::now(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io("write the lock file", path, e))?;
        Ok(JobLock {
            file,
            path: path.to_path_buf(),
            holder,
            stale,
        })
    }

    /// Who holds the lock at `path` right now, if anyone.
    ///
    /// # Errors
    /// The lock file exists but cannot be read.
    pub fn holder(path: &Path) -> Result<Option<LockHolder>> {
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open the lock file", path, e)),
        };
        match file.try_lock() {
            Ok(()) => Ok(None),
            Err(TryLockError::WouldBlock) => Ok(read_holder(&mut file)),
            Err(TryLockError::Error(e)) => Err(Error::io("lock", path, e)),
        }
    }

    /// This run's details, as written into the lock file.
    pub fn holder_info(&self) -> &LockHolder {
        &self.holder
    }

    /// The run that died holding the lock before this one took it over.
    pub fn stale(&self) -> Option<&LockHolder> {
        self.stale.as_ref()
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        // Empty means "released cleanly"; the OS drops the lock itself when
        // the file closes. The file stays: deleting it would race with a
        // process that opened it and waits to lock it.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// The machine's name, for lock messages (best effort, never fails).
fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "an unknown host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.lock");
        let first = JobLock::acquire(&path, "daily").unwrap();
        assert!(first.stale().is_none());
        let err = JobLock::acquire(&path, "daily").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("another run of this job is in progress"),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains(&first.holder_info().host), "{msg}");
        assert!(msg.contains("job `daily`"), "{msg}");
        assert_eq!(
            JobLock::holder(&path).unwrap().as_ref(),
            Some(first.holder_info())
        );
        drop(first);
        assert_eq!(JobLock::holder(&path).unwrap(), None);
        let again = JobLock::acquire(&path, "daily").unwrap();
        assert!(again.stale().is_none(), "a clean release is not stale");
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.lock");
        // What a run killed with SIGKILL leaves: its details, no OS lock.
        let dead = LockHolder {
            job: "daily".into(),
            pid: 999_999,
            host: "worker-1".into(),
            started_at: "2026-11-22T06:00:00Z".parse().unwrap(),
        };
        std::fs::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        assert_eq!(JobLock::holder(&path).unwrap(), None, "nobody holds it");
        let lock = JobLock::acquire(&path, "daily").unwrap();
        assert_eq!(lock.stale(), Some(&dead));
        assert_eq!(lock.holder_info().pid, std::process::id());
    }
}

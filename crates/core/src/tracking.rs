//! Change tracking: what the runner asks of a job's state in the
//! `incremental` and `mirror` modes.
//!
//! The core knows no database: [`ChangeTracker`] is the small interface the
//! runner drives, and the `jobharvest-state` crate implements it over its
//! SQLite file. The CLI opens the state, takes the job lock, starts the run
//! and hands the tracker to the runner through
//! [`RunOptions`](crate::runner::RunOptions).
//!
//! Every method but [`ChangeTracker::mode`] may block on I/O: the runner
//! calls them off the async threads.
//!
//! [`RemovalCheck`] is what a source offers (see
//! [`Source::removal_check`](crate::Source::removal_check)) to confirm one
//! by one that offers the state knows but the harvest did not return are
//! really gone from the board.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::error::Result;
use crate::mode::Mode;
use crate::record::JobRecord;

/// What one run did to one source's offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeCounts {
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

/// What a committed run changed, per source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// The run's id in the state.
    pub run_id: i64,
    /// The counts per spec source.
    pub sources: Vec<ChangeCounts>,
}

impl ChangeSummary {
    /// Whether the run found nothing new, updated or removed.
    pub fn nothing_changed(&self) -> bool {
        self.sources
            .iter()
            .all(|c| c.new == 0 && c.updated == 0 && c.removed == 0)
    }
}

/// One run's view of the job's state, driven by the runner.
pub trait ChangeTracker: Send + fmt::Debug {
    /// The run's mode.
    fn mode(&self) -> Mode;

    /// Where an incremental harvest of the spec source `source_name` should
    /// start: its cursor minus `lookback`, or `None` when it never
    /// completed a run.
    ///
    /// # Errors
    /// The state cannot be read.
    fn since(&self, source_name: &str, lookback: TimeDelta) -> Result<Option<DateTime<Utc>>>;

    /// Compares a batch from `source_name` with the state: sets `change`,
    /// `first_seen_at` and `last_seen_at`, and in incremental mode removes
    /// unchanged records. Returns how many it removed.
    ///
    /// # Errors
    /// The state cannot be read or written.
    fn classify(&mut self, source_name: &str, records: &mut Vec<JobRecord>) -> Result<u64>;

    /// The ids (`source`, `source_id`) of the open offers of `source_name`
    /// this run did not see (mirror mode, after a complete harvest).
    ///
    /// # Errors
    /// The state cannot be read, or the run is not a mirror.
    fn unseen(&mut self, source_name: &str) -> Result<Vec<(String, String)>>;

    /// Records that the offer is gone since `at` and returns the record to
    /// write (`change = removed`, `removed_at` set).
    ///
    /// # Errors
    /// The offer is not open in the state, or the state cannot be written.
    fn mark_removed(
        &mut self,
        source: &str,
        source_id: &str,
        at: DateTime<Utc>,
    ) -> Result<JobRecord>;

    /// Makes the run durable (offers, cursors); called only after every
    /// sink finished. Releases the job lock.
    ///
    /// # Errors
    /// The state cannot be written; nothing of the run is kept then.
    fn commit(self: Box<Self>) -> Result<ChangeSummary>;

    /// Ends the run keeping nothing, recording `reason`. Releases the lock.
    fn abort(self: Box<Self>, reason: &str);
}

/// A [`ChangeTracker`] shared by the runner and every source's context.
/// Taken out once, to commit or abort.
#[derive(Clone)]
pub struct SharedTracker {
    inner: Arc<Mutex<Option<Box<dyn ChangeTracker>>>>,
    mode: Mode,
}

impl fmt::Debug for SharedTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTracker")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl SharedTracker {
    /// Shares `tracker`.
    pub fn new(tracker: Box<dyn ChangeTracker>) -> Self {
        SharedTracker {
            mode: tracker.mode(),
            inner: Arc::new(Mutex::new(Some(tracker))),
        }
    }

    /// The run's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn guard(&self) -> MutexGuard<'_, Option<Box<dyn ChangeTracker>>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the tracker, on a blocking thread (the tracker does
    /// I/O).
    ///
    /// # Errors
    /// What `f` returns, or an error when the run is already committed or
    /// aborted.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn ChangeTracker) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || match me.guard().as_deref_mut() {
            Some(t) => f(t),
            None => Err(crate::Error::new(
                crate::ErrorKind::Cancelled,
                "the run's state is already committed or aborted",
            )),
        })
        .await
        .map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::Io,
                format!("the state's thread failed: {e}"),
            )
        })?
    }

    /// Takes the tracker out to commit or abort it (`None` the second time).
    pub fn take(&self) -> Option<Box<dyn ChangeTracker>> {
        self.guard().take()
    }
}

/// Confirms with a board that offers are gone (see
/// [`Source::removal_check`](crate::Source::removal_check)).
#[async_trait]
pub trait RemovalCheck: Send + Sync + fmt::Debug {
    /// Whether the offer `source_id` is gone from the board (`false` when it
    /// is still published, even if the query no longer returns it).
    ///
    /// # Errors
    /// The board could not be asked; the run then fails rather than mark an
    /// offer removed on a guess.
    async fn is_gone(&self, source_id: &str) -> Result<bool>;
}

/// A lookback as the spec writes it: hours as a number (`36`), or a number
/// followed by `h` or `d` (`"12h"`, `"2d"`).
///
/// # Errors
/// Anything else, or a negative amount: a config error naming the forms.
pub fn parse_lookback(text: &str) -> Result<TimeDelta> {
    let text = text.trim();
    let (number, unit) = match text.strip_suffix('d') {
        Some(n) => (n, 24),
        None => (text.strip_suffix('h').unwrap_or(text), 1),
    };
    number
        .trim()
        .parse::<u32>()
        .ok()
        .map(|n| TimeDelta::hours(i64::from(n) * unit))
        .ok_or_else(|| {
            crate::Error::config(format!(
                "lookback `{text}`: expected hours (`36`), or a whole number of hours or days such as `12h` or `2d`"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_takes_hours_and_days() {
        assert_eq!(parse_lookback("36").unwrap(), TimeDelta::hours(36));
        assert_eq!(parse_lookback("12h").unwrap(), TimeDelta::hours(12));
        assert_eq!(parse_lookback(" 2d").unwrap(), TimeDelta::days(2));
        for bad in ["", "-1", "1w", "1.5d", "d"] {
            let err = parse_lookback(bad).unwrap_err().to_string();
            assert!(err.contains("12h"), "{bad}: {err}");
        }
    }

    #[test]
    fn nothing_changed_looks_at_new_updated_and_removed_only() {
        let mut s = ChangeSummary {
            run_id: 1,
            sources: vec![ChangeCounts {
                source_name: "a".into(),
                unchanged: 5,
                ..ChangeCounts::default()
            }],
        };
        assert!(s.nothing_changed());
        s.sources[0].removed = 1;
        assert!(!s.nothing_changed());
    }
}

//! The [`Source`] trait: where records come from.
//!
//! A source runs once per job. It pushes batches of normalized records into
//! its [`SourceContext`], which, in this order: fills each record's
//! `fingerprint` ([`crate::fingerprint`]), drops records the source's
//! `filter:` block rejects ([`crate::filter`]), drops offers already seen
//! (same `source` and `source_id`), drops records whose fingerprint another
//! record already had when the job asks for `dedupe: fingerprint`, applies
//! the run's limit, and applies backpressure: `emit` waits while the sinks
//! are busy, so memory stays bounded whatever the size of the harvest.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::filter::Filter;
use crate::fingerprint::fingerprint;
use crate::keyset::KeySet;
use crate::record::{Batch, JobRecord};
use crate::tracking::{RemovalCheck, SharedTracker};

/// How a source handles the spec's `filter:` block (see [`crate::filter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterSupport {
    /// The board filters server-side with its own parameters (named in its
    /// README); a `filter:` block is still applied by the core, with a
    /// warning that the board's parameters fetch less.
    Server,
    /// The board cannot filter; the core applies `filter:` after fetching.
    Client,
    /// The source takes no filter: a `filter:` block is refused.
    None,
}

/// What a source can do, declared up front and read by the runner, the
/// `connectors` command and the conformance tests.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Capabilities {
    /// Whether the source talks to the network.
    pub network: bool,
    /// How it authenticates, in one line (`"none"` for none).
    pub auth: &'static str,
    /// How filters are honoured.
    pub filters: FilterSupport,
    /// The largest page the board serves, if it pages.
    pub page_size: Option<u32>,
    /// How many results one query can reach at most, if the board caps it.
    pub result_window: Option<u64>,
    /// Whether the source can ask for a creation-date window.
    pub date_window: bool,
    /// Whether the source works in named slices that a checkpoint can mark
    /// done, so that `--resume` skips them.
    pub resumable: bool,
    /// Whether an incremental run can ask the board only for what changed
    /// since a date ([`SourceContext::since`]); other sources fetch
    /// everything and the state keeps only what changed.
    pub incremental: bool,
    /// The environment variables its credentials come from by default
    /// (shown by `jobharvest connectors`; empty when it needs none).
    pub auth_env: &'static [&'static str],
}

impl Capabilities {
    /// Capabilities of a source that reads local files and takes no filter.
    pub const fn local() -> Self {
        Capabilities {
            network: false,
            auth: "none",
            filters: FilterSupport::None,
            page_size: None,
            result_window: None,
            date_window: false,
            resumable: false,
            incremental: false,
            auth_env: &[],
        }
    }

    /// Capabilities of a network source with the given auth description.
    pub const fn network(auth: &'static str, filters: FilterSupport) -> Self {
        Capabilities {
            network: true,
            auth,
            filters,
            page_size: None,
            result_window: None,
            date_window: false,
            resumable: false,
            incremental: false,
            auth_env: &[],
        }
    }

    /// Declares resumable slices.
    pub const fn with_resume(mut self) -> Self {
        self.resumable = true;
        self
    }

    /// Sets the page size.
    pub const fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Sets the result window.
    pub const fn with_result_window(mut self, window: u64) -> Self {
        self.result_window = Some(window);
        self
    }

    /// Declares creation-date windows.
    pub const fn with_date_window(mut self) -> Self {
        self.date_window = true;
        self
    }

    /// Declares that the source narrows its harvest to
    /// [`SourceContext::since`].
    pub const fn with_incremental(mut self) -> Self {
        self.incremental = true;
        self
    }

    /// Names the environment variables the credentials come from.
    pub const fn with_auth_env(mut self, vars: &'static [&'static str]) -> Self {
        self.auth_env = vars;
        self
    }
}

/// Counters of one source's run, updated as it goes and read by the progress
/// bar and the closing summary.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Unique records emitted.
    pub offers: AtomicU64,
    /// Records dropped because the same offer was already emitted.
    pub duplicates: AtomicU64,
    /// Records dropped by the source's `filter:` block.
    pub filtered: AtomicU64,
    /// Records dropped by `dedupe: fingerprint` because a record with the
    /// same fingerprint (from any source) was already emitted.
    pub same_job: AtomicU64,
    /// Records or input lines skipped as malformed.
    pub skipped: AtomicU64,
    /// Records the job's state already held unchanged, not written
    /// (incremental mode).
    pub unchanged: AtomicU64,
    /// Offers confirmed removed from the board and written as such (mirror
    /// mode).
    pub removed: AtomicU64,
    /// HTTP requests sent (retries included).
    pub requests: AtomicU64,
    /// Requests retried after a temporary failure.
    pub retries: AtomicU64,
    /// Answers that were HTTP 429.
    pub rate_limited: AtomicU64,
    /// Implausible values left out of their typed columns (kept in `raw`;
    /// see [`crate::quality`]).
    pub quality_warnings: AtomicU64,
    /// The first offers with a data-quality warning: `id (column)`.
    quality_examples: Mutex<Vec<String>>,
    /// Access tokens fetched.
    pub tokens: AtomicU64,
    total: AtomicU64,
    /// An estimate of how many records the source will emit, for progress
    /// only (0: none); see [`SourceStats::set_expected`].
    expected: AtomicU64,
}

impl SourceStats {
    const UNKNOWN: u64 = u64::MAX;

    /// Fresh counters with an unknown total.
    pub fn new() -> Self {
        let stats = SourceStats::default();
        stats.total.store(Self::UNKNOWN, Ordering::Relaxed);
        stats
    }

    /// Records the total the board reports for the query.
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    /// The total the board reported, if known.
    pub fn total(&self) -> Option<u64> {
        match self.total.load(Ordering::Relaxed) {
            Self::UNKNOWN => None,
            t => Some(t),
        }
    }

    /// Records an estimate of how many records the source will emit, for
    /// the progress bar only: the summary never shows it, unlike
    /// [`SourceStats::set_total`]. A replay estimates it from how far it has
    /// read its file.
    pub fn set_expected(&self, expected: u64) {
        self.expected.store(expected, Ordering::Relaxed);
    }

    /// The estimate of [`SourceStats::set_expected`], if any.
    pub fn expected(&self) -> Option<u64> {
        match self.expected.load(Ordering::Relaxed) {
            0 => None,
            e => Some(e),
        }
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a data-quality warning on `column` of offer `id`; the first
    /// few are kept as examples.
    pub fn quality_warning(&self, id: &str, column: &str) {
        Self::bump(&self.quality_warnings);
        let mut examples = self
            .quality_examples
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if examples.len() < 5 {
            examples.push(format!("{id} ({column})"));
        }
    }

    /// The first offers with a data-quality warning.
    pub fn quality_examples(&self) -> Vec<String> {
        self.quality_examples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The set of `(source, source_id)` keys already emitted in a run, shared by
/// every source so that an offer appears once in the output.
#[derive(Debug, Default)]
pub struct Seen(Mutex<KeySet>);

impl Seen {
    fn key(record: &JobRecord) -> u64 {
        let mut h = DefaultHasher::new();
        record.source.hash(&mut h);
        record.source_id.hash(&mut h);
        h.finish()
    }

    /// Keeps the records not seen before and remembers them.
    fn retain_new(&self, records: &mut Vec<JobRecord>) -> usize {
        let before = records.len();
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        records.retain(|r| seen.insert(Self::key(r)));
        before - records.len()
    }
}

/// The fingerprints already emitted in a run, shared by every source, for
/// `dedupe: fingerprint`. Records without a fingerprint are always kept.
#[derive(Debug, Default)]
pub struct SeenJobs(Mutex<KeySet>);

impl SeenJobs {
    /// Keeps the records whose fingerprint was not seen before. A
    /// fingerprint is 16 hex digits: kept as the `u64` they spell.
    fn retain_new(&self, records: &mut Vec<JobRecord>) -> usize {
        let before = records.len();
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        records.retain(|r| match &r.fingerprint {
            Some(f) => seen.insert(
                u64::from_str_radix(f, 16)
                    .unwrap_or_else(|_| crate::fingerprint::fnv1a64(f.as_bytes())),
            ),
            None => true,
        });
        before - records.len()
    }
}

/// Whether a source should go on after an `emit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// The run's limit is reached, or the run is over: stop fetching.
    Stop,
}

/// What a source receives to run: its name, its counters and the channel to
/// the sinks. Cheap to clone, so concurrent tasks of one source share it.
#[derive(Debug, Clone)]
pub struct SourceContext {
    name: Arc<str>,
    tx: mpsc::Sender<Batch>,
    stats: Arc<SourceStats>,
    seen: Arc<Seen>,
    limit: Option<u64>,
    checkpoint: Option<Arc<Checkpoint>>,
    filter: Option<Arc<Filter>>,
    same_jobs: Option<Arc<SeenJobs>>,
    tracker: Option<SharedTracker>,
    since: Option<DateTime<Utc>>,
}

impl SourceContext {
    /// A context; the runner builds these.
    pub fn new(
        name: impl Into<Arc<str>>,
        tx: mpsc::Sender<Batch>,
        stats: Arc<SourceStats>,
        seen: Arc<Seen>,
        limit: Option<u64>,
    ) -> Self {
        SourceContext {
            name: name.into(),
            tx,
            stats,
            seen,
            limit,
            checkpoint: None,
            filter: None,
            same_jobs: None,
            tracker: None,
            since: None,
        }
    }

    /// Classifies every emitted batch against the job's state before it
    /// reaches the sinks (incremental and mirror runs).
    pub fn with_tracker(mut self, tracker: Option<SharedTracker>) -> Self {
        self.tracker = tracker;
        self
    }

    /// Sets where an incremental harvest starts (see [`SourceContext::since`]).
    pub fn with_since(mut self, since: Option<DateTime<Utc>>) -> Self {
        self.since = since;
        self
    }

    /// In an incremental run, the instant from which the source needs only
    /// offers created or updated (its last complete run's newest offer,
    /// minus the job's lookback); `None` means fetch everything. Sources
    /// that can narrow their queries declare
    /// [`Capabilities::incremental`].
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    /// Keeps only the records `filter` accepts (the others are counted as
    /// `filtered`). The registry wraps sources with a `filter:` block so
    /// that this is set for them.
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }

    /// Drops records whose fingerprint is already in `seen` (the job's
    /// `dedupe: fingerprint`; counted as `same_job`).
    pub fn with_fingerprint_dedupe(mut self, seen: Option<Arc<SeenJobs>>) -> Self {
        self.same_jobs = seen;
        self
    }

    /// Attaches the run's checkpoint: emitted records are spooled and
    /// completed slices remembered, so `--resume` can continue the run.
    pub fn with_checkpoint(mut self, checkpoint: Option<Arc<Checkpoint>>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// Whether slice `key` was completed by an earlier, interrupted run
    /// (always false without `--resume`). Keys are the source's own stable
    /// names for its slices (e.g. the canonical query string).
    pub fn is_done(&self, key: &str) -> bool {
        self.checkpoint
            .as_ref()
            .is_some_and(|c| c.is_done(&self.name, key))
    }

    /// Records that every record of slice `key` has been emitted. Call it
    /// after the slice's last `emit`; a resumed run then skips the slice.
    ///
    /// # Errors
    /// When the checkpoint cannot be written.
    pub fn complete(&self, key: &str) -> Result<()> {
        match &self.checkpoint {
            Some(c) => c.complete(&self.name, key),
            None => Ok(()),
        }
    }

    /// The source's name in the spec (its `name`, or its `type`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source's counters.
    pub fn stats(&self) -> &Arc<SourceStats> {
        &self.stats
    }

    /// How many more records the run wants from this source, if limited.
    pub fn remaining(&self) -> Option<u64> {
        self.limit
            .map(|l| l.saturating_sub(SourceStats::get(&self.stats.offers)))
    }

    /// Sends records restored from a checkpoint on to the sinks (like
    /// [`SourceContext::emit`], without spooling them again).
    ///
    /// # Errors
    /// As [`SourceContext::emit`].
    pub async fn restore(&self, records: Vec<JobRecord>) -> Result<Flow> {
        let plain = SourceContext {
            checkpoint: None,
            ..self.clone()
        };
        plain.emit(records).await
    }

    /// Sends records on to the sinks, waiting while they are busy.
    ///
    /// Leaves implausible values out of their typed columns (counted as
    /// data-quality warnings, see [`crate::quality`]), fills every record's
    /// fingerprint, drops records the filter rejects,
    /// offers already emitted in this run and (with `dedupe: fingerprint`)
    /// jobs already emitted by any source, and trims the batch to the run's
    /// limit.
    ///
    /// # Errors
    /// [`ErrorKind::Cancelled`] when the sinks have stopped (the run failed
    /// or was interrupted).
    pub async fn emit(&self, mut records: Vec<JobRecord>) -> Result<Flow> {
        let now = chrono::Utc::now();
        for r in &mut records {
            for column in crate::quality::check(r, now) {
                self.stats.quality_warning(&r.source_id, column);
            }
            r.fingerprint = fingerprint(r);
        }
        if let Some(filter) = &self.filter {
            let before = records.len();
            records.retain(|r| filter.matches(r));
            self.stats
                .filtered
                .fetch_add((before - records.len()) as u64, Ordering::Relaxed);
        }
        let dropped = self.seen.retain_new(&mut records);
        self.stats
            .duplicates
            .fetch_add(dropped as u64, Ordering::Relaxed);
        if let Some(jobs) = &self.same_jobs {
            let dropped = jobs.retain_new(&mut records);
            self.stats
                .same_job
                .fetch_add(dropped as u64, Ordering::Relaxed);
        }
        if let Some(remaining) = self.remaining() {
            records.truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
        }
        if let Some(tracker) = self.tracker.as_ref().filter(|_| !records.is_empty()) {
            let name = self.name.clone();
            let (kept, dropped) = tracker
                .with(move |t| {
                    let dropped = t.classify(&name, &mut records)?;
                    Ok((records, dropped))
                })
                .await?;
            records = kept;
            self.stats.unchanged.fetch_add(dropped, Ordering::Relaxed);
        }
        let n = records.len() as u64;
        if n > 0 {
            if let Some(c) = &self.checkpoint {
                c.spool_records(&self.name, &records)?;
            }
            self.tx.send(Arc::new(records)).await.map_err(|_| {
                Error::new(
                    ErrorKind::Cancelled,
                    "the run stopped before this source finished",
                )
            })?;
            self.stats.offers.fetch_add(n, Ordering::Relaxed);
        }
        Ok(match self.remaining() {
            Some(0) => Flow::Stop,
            _ => Flow::Continue,
        })
    }
}

/// What a source would fetch, as `jobharvest run --dry-run` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// The total the board reports for the whole query, if it says.
    pub total: Option<u64>,
    /// The slices the harvest would page through.
    pub slices: Vec<PlannedSlice>,
    /// Requests the planning itself sent.
    pub planning_requests: u64,
    /// Requests the harvest would still send (pages not yet fetched).
    pub remaining_requests: u64,
    /// Anything the user should know (offers out of reach, ...).
    pub notes: Vec<String>,
}

/// One slice of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSlice {
    /// A human-readable description (the parameters that define it).
    pub label: String,
    /// The total the board reports for the slice.
    pub total: u64,
    /// The requests paging it takes.
    pub requests: u64,
}

/// A source of job records: a board's API, or a local replay file.
///
/// Implementations are built from their typed config by the registry (see
/// [`crate::registry::SourceConfig`]); building does no I/O, running does.
#[async_trait]
pub trait Source: Send + std::fmt::Debug {
    /// What the source can do.
    fn capabilities(&self) -> Capabilities;

    /// Fetches every record and emits them in batches through `cx`.
    ///
    /// Returns when the source is exhausted or `emit` answered
    /// [`Flow::Stop`].
    ///
    /// # Errors
    /// Any failure that stops the harvest, already worded for the user.
    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()>;

    /// Works out what [`Source::run`] would fetch, sending only the requests
    /// planning needs. Sources that cannot plan say so with `Ok(None)`.
    ///
    /// # Errors
    /// Any failure that would stop the harvest.
    async fn plan(self: Box<Self>, cx: SourceContext) -> Result<Option<Plan>> {
        let _ = cx;
        Ok(None)
    }

    /// How a mirror run confirms that offers the harvest no longer returned
    /// are gone from the board, taken before [`Source::run`] consumes the
    /// source. Its requests count into `stats`, the source's own counters,
    /// so the run's summary shows them. `None` (the default): an offer a
    /// complete harvest did not return counts as removed.
    fn removal_check(&self, stats: Arc<SourceStats>) -> Option<Arc<dyn RemovalCheck>> {
        let _ = stats;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(limit: Option<u64>) -> (SourceContext, mpsc::Receiver<Batch>) {
        let (tx, rx) = mpsc::channel(8);
        let cx = SourceContext::new("t", tx, Arc::new(SourceStats::new()), Arc::default(), limit);
        (cx, rx)
    }

    #[tokio::test]
    async fn emit_drops_duplicates_and_honours_limit() {
        let (cx, mut rx) = ctx(Some(3));
        let recs = |ids: &[&str]| {
            ids.iter()
                .map(|i| JobRecord::new("s", *i))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cx.emit(recs(&["a", "b", "a"])).await.unwrap(),
            Flow::Continue
        );
        assert_eq!(cx.emit(recs(&["b", "c", "d"])).await.unwrap(), Flow::Stop);
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        let ids: Vec<_> = first
            .iter()
            .chain(second.iter())
            .map(|r| r.source_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(SourceStats::get(&cx.stats().duplicates), 2);
        assert_eq!(SourceStats::get(&cx.stats().offers), 3);
    }

    #[tokio::test]
    async fn same_id_from_another_source_is_kept() {
        let (cx, mut rx) = ctx(None);
        cx.emit(vec![JobRecord::new("a", "1"), JobRecord::new("b", "1")])
            .await
            .unwrap();
        assert_eq!(rx.recv().await.unwrap().len(), 2);
    }

    fn job(source: &str, id: &str, company: &str, title: &str) -> JobRecord {
        let mut r = JobRecord::new(source, id);
        r.company_name = Some(company.into());
        r.title = Some(title.into());
        r.location_label = Some("Paris".into());
        r
    }

    #[tokio::test]
    async fn emit_fills_fingerprints_and_dedupes_same_jobs_across_sources_only_when_asked() {
        let seen_jobs = Arc::new(SeenJobs::default());
        let (tx, mut rx) = mpsc::channel(8);
        let seen: Arc<Seen> = Arc::default();
        let cx = |name: &str, dedupe: bool| {
            SourceContext::new(
                name.to_string(),
                tx.clone(),
                Arc::new(SourceStats::new()),
                seen.clone(),
                None,
            )
            .with_fingerprint_dedupe(dedupe.then(|| seen_jobs.clone()))
        };
        let (a, b) = (cx("a", true), cx("b", true));
        a.emit(vec![job("a", "1", "ACME SAS", "Data analyst (H/F)")])
            .await
            .unwrap();
        b.emit(vec![
            job("b", "x", "Acme", "data ANALYST"),
            job("b", "y", "Acme", "Data engineer"),
        ])
        .await
        .unwrap();
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        assert!(first[0].fingerprint.is_some());
        assert_eq!(
            second.len(),
            1,
            "the same job from another board is dropped"
        );
        assert_eq!(second[0].source_id, "y");
        assert_eq!(SourceStats::get(&b.stats().same_job), 1);

        let off = cx("c", false);
        off.emit(vec![job("c", "z", "Acme", "Data analyst")])
            .await
            .unwrap();
        let third = rx.recv().await.unwrap();
        assert_eq!(third.len(), 1, "off by default");
        assert_eq!(third[0].fingerprint, first[0].fingerprint);
    }

    #[tokio::test]
    async fn emit_applies_the_filter_before_the_limit_and_counts_it() {
        let (cx, mut rx) = ctx(Some(2));
        let spec: crate::filter::FilterSpec =
            serde_json::from_value(serde_json::json!({"keywords": ["rust"]})).unwrap();
        let cx = cx.with_filter(Filter::new(&spec, "sources[0]").unwrap());
        let flow = cx
            .emit(vec![
                job("s", "1", "A", "Go developer"),
                job("s", "2", "A", "Rust developer"),
                job("s", "3", "A", "Python developer"),
                job("s", "4", "A", "Développeur RUST"),
                job("s", "5", "A", "Rust again"),
            ])
            .await
            .unwrap();
        assert_eq!(flow, Flow::Stop);
        let ids: Vec<_> = rx
            .recv()
            .await
            .unwrap()
            .iter()
            .map(|r| r.source_id.clone())
            .collect();
        assert_eq!(ids, ["2", "4"]);
        assert_eq!(SourceStats::get(&cx.stats().filtered), 2);
    }

    #[tokio::test]
    async fn emit_fails_once_the_sinks_are_gone() {
        let (cx, rx) = ctx(None);
        drop(rx);
        let err = cx.emit(vec![JobRecord::new("a", "1")]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cancelled);
    }
}

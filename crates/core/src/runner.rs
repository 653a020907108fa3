//! The runner: streams records from every source to every sink.
//!
//! ```text
//! source tasks ──emit──▶ [bounded queue] ──fan-out──▶ [bounded queue] ─▶ sink thread (csv)
//!                                                 └─▶ [bounded queue] ─▶ sink thread (parquet)
//! ```
//!
//! Every queue is bounded, so memory is bounded by batch size × queue depth
//! whatever the size of the harvest: a slow sink slows the fan-out, which
//! slows `emit`, which slows the sources. Each sink writes on its own
//! blocking thread, so one slow format does not hold the others beyond the
//! queue depth.
//!
//! Sources run concurrently, each under its own rate limits (every connector
//! builds its own HTTP client), and their records merge into the same
//! sinks.
//!
//! A run either finishes every sink (outputs renamed into place) or none.
//! When a sink fails or the run is interrupted, the sinks are dropped
//! without finishing and leave no file behind. Sinks are finished only once
//! every sink has written every batch, so only a failure inside a sink's
//! own `finish` (after the others renamed their files) can leave some
//! outputs written and not others. When a source fails, the
//! others go on: the sinks finish with every record that arrived (the
//! failed source's records up to its failure included), and the report
//! marks that source [`SourceStatus::Failed`] with the reason, so the CLI
//! can say so and exit with a failure. Only when every source fails is
//! nothing written.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::checkpoint::{Checkpoint, CheckpointPaths};
use crate::error::{Error, ErrorKind, Result};
use crate::mode::Mode;
use crate::record::Batch;
use crate::registry::{BuiltSource, PreparedSink};
use crate::sink::{RunSummary, Sink, SinkContext, SinkReport, SourceRun};
use crate::source::{Plan, Seen, SeenJobs, SourceContext, SourceStats};
use crate::tracking::{ChangeSummary, ChangeTracker, RemovalCheck, SharedTracker};
use chrono::TimeDelta;

/// A job ready to run: built sources and prepared sinks.
#[derive(Debug)]
pub struct Job {
    /// The sources.
    pub sources: Vec<BuiltSource>,
    /// The sinks.
    pub sinks: Vec<PreparedSink>,
    /// The folder relative output paths are resolved against.
    pub base_dir: PathBuf,
}

/// How to run a job.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunOptions {
    /// At most this many offers per source.
    pub limit: Option<u64>,
    /// Batches waiting in each queue at most.
    pub queue_depth: usize,
    /// Where to keep a checkpoint for resumable sources, if anywhere.
    pub checkpoint: Option<CheckpointOptions>,
    /// Which records count as the same job across sources.
    pub dedupe: Dedupe,
    /// The job's state, for incremental and mirror runs (`None`: a
    /// stateless full run).
    pub tracker: Option<SharedTracker>,
    /// How far before its cursor an incremental run asks each source to
    /// start.
    pub lookback: TimeDelta,
    /// Whether outputs reach the disk before they are renamed into place
    /// ([`SinkContext::durable`]; on by default).
    pub durable: bool,
}

/// The job-level `dedupe:` option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dedupe {
    /// Only the same offer (same `source` and `source_id`) is dropped.
    #[default]
    Id,
    /// Also drop a record whose `fingerprint` an earlier record (from any
    /// source) had: the same job posted on several boards is kept once,
    /// from the source that delivered it first.
    Fingerprint,
}

/// Where a run keeps its checkpoint and whether it continues an earlier one.
#[derive(Debug, Clone)]
pub struct CheckpointOptions {
    /// The checkpoint's files.
    pub paths: CheckpointPaths,
    /// A digest of the spec's sources: a checkpoint is only resumed by the
    /// same sources.
    pub fingerprint: String,
    /// Continue the interrupted run instead of starting over.
    pub resume: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limit: None,
            queue_depth: 4,
            checkpoint: None,
            dedupe: Dedupe::Id,
            tracker: None,
            lookback: TimeDelta::days(1),
            durable: true,
        }
    }
}

impl RunOptions {
    /// Keeps a checkpoint (resumable sources only).
    pub fn with_checkpoint(mut self, checkpoint: Option<CheckpointOptions>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// Sets the per-source limit.
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Sets what counts as a duplicate.
    pub fn with_dedupe(mut self, dedupe: Dedupe) -> Self {
        self.dedupe = dedupe;
        self
    }

    /// Tracks changes against the job's state: records are classified
    /// before the sinks, removals are written in mirror mode, and the
    /// tracker is committed only when every source and sink succeeded.
    pub fn with_tracker(mut self, tracker: Option<Box<dyn ChangeTracker>>) -> Self {
        self.tracker = tracker.map(SharedTracker::new);
        self
    }

    /// Sets the incremental lookback.
    pub fn with_lookback(mut self, lookback: TimeDelta) -> Self {
        self.lookback = lookback;
        self
    }

    /// Sets whether outputs are flushed to disk before they are renamed
    /// into place.
    pub fn with_durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }
}

/// A source's line in the closing summary.
#[derive(Debug, Clone)]
pub struct SourceSummary {
    /// The source's name.
    pub name: String,
    /// The source's type.
    pub type_name: &'static str,
    /// Its counters.
    pub stats: Arc<SourceStats>,
    /// Whether it finished.
    pub status: SourceStatus,
}

/// How a source's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// It fetched everything it was asked for.
    Ok,
    /// It stopped on an error; the records it emitted before are written.
    Failed {
        /// The kind of the error.
        kind: ErrorKind,
        /// The error, as the user reads it.
        reason: String,
    },
}

/// A sink's line in the closing summary.
#[derive(Debug, Clone)]
pub struct SinkSummary {
    /// The sink's type.
    pub type_name: &'static str,
    /// Where it wrote.
    pub target: String,
    /// What it reported.
    pub report: SinkReport,
}

/// What a finished run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// One entry per source.
    pub sources: Vec<SourceSummary>,
    /// One entry per sink.
    pub sinks: Vec<SinkSummary>,
    /// Wall time.
    pub elapsed: Duration,
    /// Whether a checkpoint was kept for `--resume`, because a resumable
    /// source failed with a temporary error.
    pub checkpoint_kept: bool,
    /// What the run changed in the job's state, once committed.
    pub changes: Option<ChangeSummary>,
    /// Why the job's state was left as it was although the outputs were
    /// written (a failed source, a mirror cut short by `--limit`).
    pub state_not_updated: Option<String>,
}

impl RunReport {
    /// The sources that failed (their records up to the failure are in the
    /// outputs).
    pub fn failed(&self) -> impl Iterator<Item = &SourceSummary> {
        self.sources
            .iter()
            .filter(|s| matches!(s.status, SourceStatus::Failed { .. }))
    }
}

/// A job with its counters allocated, so a progress display can watch them
/// while it runs.
#[derive(Debug)]
pub struct Runner {
    job: Job,
    options: RunOptions,
    stats: Vec<Arc<SourceStats>>,
}

enum SinkMsg {
    Batch(Batch),
    /// Answers once every batch before it is written: no sink is finished
    /// before every sink has written everything, so a sink that fails on the
    /// last batch still stops the others from committing.
    Ready(tokio::sync::oneshot::Sender<()>),
    /// The run's figures, sent once just before `Finish`.
    Summary(Arc<RunSummary>),
    Finish,
}

impl Runner {
    /// Prepares `job` to run with `options`.
    pub fn new(job: Job, options: RunOptions) -> Self {
        let stats = job
            .sources
            .iter()
            .map(|_| Arc::new(SourceStats::new()))
            .collect();
        Runner {
            job,
            options,
            stats,
        }
    }

    /// Each source's name and counters, in spec order.
    pub fn stats(&self) -> Vec<(String, Arc<SourceStats>)> {
        self.job
            .sources
            .iter()
            .zip(&self.stats)
            .map(|(s, st)| (s.name.clone(), st.clone()))
            .collect()
    }

    /// Plans every source without fetching beyond what planning needs
    /// (`jobharvest run --dry-run`).
    ///
    /// # Errors
    /// The first source that fails to plan.
    pub async fn plan(self) -> Result<Vec<(SourceSummary, Option<Plan>)>> {
        let (tx, _rx) = mpsc::channel::<Batch>(1);
        let seen = Arc::new(Seen::default());
        let mut plans = Vec::new();
        for (built, st) in self.job.sources.into_iter().zip(self.stats) {
            let cx = SourceContext::new(
                built.name.as_str(),
                tx.clone(),
                st.clone(),
                seen.clone(),
                self.options.limit,
            );
            let plan = built
                .source
                .plan(cx)
                .await
                .map_err(|e| e.prefixed(format!("source `{}`", built.name)))?;
            plans.push((
                SourceSummary {
                    name: built.name,
                    type_name: built.type_name,
                    stats: st,
                    status: SourceStatus::Ok,
                },
                plan,
            ));
        }
        Ok(plans)
    }

    /// Runs the job until every source is done, or `interrupt` completes.
    ///
    /// A source that fails does not stop the others: the report marks it
    /// [`SourceStatus::Failed`] (see [`RunReport::failed`]) and the outputs
    /// hold what every source emitted.
    ///
    /// # Errors
    /// A sink failure, every source failing (the first one's error), or
    /// [`ErrorKind::Cancelled`] on interrupt; no output is left behind in
    /// any of these cases.
    pub async fn run(self, interrupt: impl Future<Output = ()>) -> Result<RunReport> {
        let tracker = self.options.tracker.clone();
        let result = self.run_inner(interrupt).await;
        // A failure before the end (a sink that cannot open, a state that
        // cannot be read) still ends the state's run with its reason.
        if let (Err(e), Some(t)) = (&result, tracker.as_ref().and_then(SharedTracker::take)) {
            let reason = e.to_string();
            let _ = tokio::task::spawn_blocking(move || t.abort(&reason)).await;
        }
        result
    }

    async fn run_inner(self, interrupt: impl Future<Output = ()>) -> Result<RunReport> {
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let Runner {
            job,
            options,
            stats,
        } = self;
        let depth = options.queue_depth.max(1);
        let cx = SinkContext::new(job.base_dir.clone()).with_durable(options.durable);

        // Open every sink first: a bad output path fails before any request.
        let mut opened: Vec<(&'static str, String, Box<dyn Sink>)> = Vec::new();
        for prepared in job.sinks {
            let (type_name, target) = (prepared.type_name, prepared.target.clone());
            let sink = prepared
                .open(&cx)
                .map_err(|e| e.prefixed(format!("{type_name} sink `{target}`")))?;
            opened.push((type_name, target, sink));
        }
        let mut sink_txs = Vec::new();
        let mut sink_tasks = Vec::new();
        for (type_name, target, sink) in opened {
            let (tx, rx) = mpsc::channel::<SinkMsg>(depth);
            sink_txs.push(tx);
            let label = format!("{type_name} sink `{target}`");
            let task = tokio::task::spawn_blocking(move || drive_sink(sink, rx));
            sink_tasks.push((type_name, target, label, task));
        }

        let resumable = job
            .sources
            .iter()
            .any(|s| s.source.capabilities().resumable);
        let checkpoint = match options.checkpoint.as_ref().filter(|_| resumable) {
            Some(c) if c.resume => {
                let cp = Checkpoint::resume(&c.paths, &c.fingerprint)?;
                tracing::info!(slices = cp.done_count(), "Resuming the interrupted run.");
                Some(Arc::new(cp))
            }
            Some(c) => {
                if c.paths.exists() {
                    tracing::warn!(
                        path = %c.paths.state.display(),
                        "An interrupted run left a checkpoint; starting over (use --resume to continue it instead)."
                    );
                }
                Some(Arc::new(Checkpoint::create(&c.paths, &c.fingerprint)?))
            }
            None => None,
        };

        let (tx, mut rx) = mpsc::channel::<Batch>(depth);
        let seen = Arc::new(Seen::default());
        let same_jobs =
            (options.dedupe == Dedupe::Fingerprint).then(|| Arc::new(SeenJobs::default()));
        let mut sources = JoinSet::new();
        let mut summaries = Vec::new();
        let mut contexts = Vec::new();
        let tracker = options.tracker.clone();
        let mut removal_checks = Vec::new();
        for (built, st) in job.sources.iter().zip(&stats) {
            let since = match &tracker {
                Some(t) if t.mode() == Mode::Incremental => {
                    let (name, lookback) = (built.name.clone(), options.lookback);
                    t.with(move |t| t.since(&name, lookback)).await?
                }
                _ => None,
            };
            if let Some(since) = since {
                tracing::info!(source = %built.name, %since, "Incremental: asking for what changed since the last run.");
            }
            removal_checks.push((built.name.clone(), built.source.removal_check(st.clone())));
            let scx = SourceContext::new(
                built.name.as_str(),
                tx.clone(),
                st.clone(),
                seen.clone(),
                options.limit,
            )
            .with_tracker(tracker.clone())
            .with_since(since);
            let resumable = built.source.capabilities().resumable;
            contexts.push(
                scx.with_checkpoint(checkpoint.clone().filter(|_| resumable))
                    .with_fingerprint_dedupe(same_jobs.clone()),
            );
        }
        if let Some(cp) = checkpoint
            .clone()
            .filter(|_| options.checkpoint.as_ref().is_some_and(|c| c.resume))
        {
            // Records of the interrupted run go first; the sources then skip
            // their completed slices and re-fetched records are dropped as
            // duplicates.
            let restore: Vec<SourceContext> = contexts.clone();
            sources.spawn(async move {
                let handle = tokio::runtime::Handle::current();
                let res = tokio::task::spawn_blocking(move || {
                    cp.read_spool(|batch| {
                        for cx in &restore {
                            let mine: Vec<_> = batch
                                .iter()
                                .filter(|(s, _)| s == cx.name())
                                .map(|(_, r)| r.clone())
                                .collect();
                            if !mine.is_empty() {
                                handle.block_on(cx.restore(mine))?;
                            }
                        }
                        Ok(())
                    })
                })
                .await
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("restoring the checkpoint failed: {e}"),
                    )
                })
                .and_then(|r| r);
                if let Ok(n) = &res {
                    tracing::info!(records = n, "Restored records from the checkpoint.");
                }
                ("checkpoint".to_string(), res.map(|_| ()))
            });
        }
        let mut resumable_sources = Vec::new();
        for ((built, st), scx) in job.sources.into_iter().zip(stats).zip(contexts) {
            summaries.push(SourceSummary {
                name: built.name.clone(),
                type_name: built.type_name,
                stats: st.clone(),
                status: SourceStatus::Ok,
            });
            if built.source.capabilities().resumable {
                resumable_sources.push(built.name.clone());
            }
            let name = built.name;
            sources.spawn(async move {
                tracing::debug!(source = %name, "Source started.");
                let res = built.source.run(scx).await;
                (name, res)
            });
        }
        drop(tx);

        // `failure` stops the whole run (nothing is written); a source's own
        // error only marks that source failed.
        let mut failure: Option<Error> = None;
        let mut source_errors: HashMap<String, Error> = HashMap::new();
        let is_source = |name: &str| summaries.iter().any(|s| s.name == name);
        tokio::pin!(interrupt);
        let mut sources_done = false;
        loop {
            tokio::select! {
                batch = rx.recv() => match batch {
                    Some(batch) => {
                        for (i, stx) in sink_txs.iter().enumerate() {
                            if stx.send(SinkMsg::Batch(batch.clone())).await.is_err() {
                                // The sink stopped on an error: collect it below.
                                failure.get_or_insert_with(|| sink_error_placeholder(i));
                            }
                        }
                        if failure.is_some() { break; }
                    }
                    None => break,
                },
                joined = sources.join_next(), if !sources_done => match joined {
                    Some(Ok((_, Ok(())))) => {}
                    Some(Ok((name, Err(e)))) if is_source(&name) => {
                        tracing::warn!(source = %name, error = %e, "Source failed; the other sources go on.");
                        source_errors.insert(name, e);
                    }
                    Some(Ok((name, Err(e)))) => {
                        failure = Some(e.prefixed(format!("source `{name}`")));
                        break;
                    }
                    Some(Err(join)) => {
                        failure = Some(Error::new(ErrorKind::Io, format!("a source task failed: {join}")));
                        break;
                    }
                    None => sources_done = true,
                },
                () = &mut interrupt => {
                    failure = Some(Error::new(ErrorKind::Cancelled, "interrupted: no output was written; run again to restart"));
                    break;
                }
            }
        }
        // On failure, sources still running are stopped. Otherwise every
        // source has dropped its sender and is finishing: wait for each
        // result, so an error returned at the very end is never lost.
        let aborted = failure.is_some();
        if aborted {
            sources.abort_all();
        }
        while let Some(joined) = sources.join_next().await {
            match joined {
                Ok((name, Err(e))) if !aborted && is_source(&name) => {
                    source_errors.insert(name, e);
                }
                Ok((name, Err(e))) if e.kind() != ErrorKind::Cancelled || !aborted => {
                    failure.get_or_insert_with(|| e.prefixed(format!("source `{name}`")));
                }
                Err(join) if !join.is_cancelled() || !aborted => {
                    failure.get_or_insert_with(|| {
                        Error::new(ErrorKind::Io, format!("a source task failed: {join}"))
                    });
                }
                _ => {}
            }
        }

        // When every source failed there is nothing worth writing: fail as
        // the first one (in spec order) did.
        if failure.is_none() && source_errors.len() == summaries.len() {
            failure = summaries
                .iter()
                .find_map(|s| source_errors.remove(&s.name).map(|e| (s, e)))
                .map(|(s, e)| e.prefixed(format!("source `{}`", s.name)));
        }
        for summary in &mut summaries {
            if let Some(e) = source_errors.get(&summary.name) {
                summary.status = SourceStatus::Failed {
                    kind: e.kind(),
                    reason: e.to_string(),
                };
            }
        }
        let keep_checkpoint = source_errors
            .iter()
            .any(|(name, e)| e.is_temporary() && resumable_sources.contains(name));
        let mut state_not_updated = match (&tracker, source_errors.is_empty()) {
            (Some(_), false) => Some(
                "a source failed, so the state keeps its cursors and marks no removal; the next run asks again".to_string(),
            ),
            (Some(t), true) if t.mode() == Mode::Mirror && options.limit.is_some() => Some(
                "--limit cuts the harvest short, so a mirror cannot tell which offers are gone: no removal is marked and the state is left as it was".to_string(),
            ),
            _ => None,
        };
        if let Some(t) = tracker.as_ref().filter(|t| t.mode() == Mode::Mirror) {
            if failure.is_none() && state_not_updated.is_none() {
                if let Err(e) = write_removals(t, &removal_checks, &sink_txs, &summaries).await {
                    failure = Some(e);
                }
            } else if let Some(why) = &state_not_updated {
                tracing::warn!("{why}");
            }
        }
        if failure.is_none() {
            for (i, stx) in sink_txs.iter().enumerate() {
                let (ready, written) = tokio::sync::oneshot::channel();
                let sent = stx.send(SinkMsg::Ready(ready)).await.is_ok();
                if !sent || written.await.is_err() {
                    failure.get_or_insert_with(|| sink_error_placeholder(i));
                }
            }
        }
        if failure.is_none() {
            let mode = tracker.as_ref().map_or(Mode::Full, |t| t.mode());
            let summary = Arc::new(run_summary(&summaries, mode, started_at, started));
            for stx in &sink_txs {
                let _ = stx.send(SinkMsg::Summary(summary.clone())).await;
                let _ = stx.send(SinkMsg::Finish).await;
            }
        }
        drop(sink_txs);
        let mut sinks = Vec::new();
        for (type_name, target, label, task) in sink_tasks {
            let res = task
                .await
                .map_err(|e| Error::new(ErrorKind::Sink, format!("the sink thread failed: {e}")))
                .and_then(|r| r);
            match res {
                Ok(Some(report)) => sinks.push(SinkSummary {
                    type_name,
                    target,
                    report,
                }),
                Ok(None) => {}
                Err(e) => {
                    // A real sink error replaces the placeholder.
                    if failure.as_ref().is_none_or(is_placeholder) {
                        failure = Some(e.prefixed(label));
                    }
                }
            }
        }
        let mut changes = None;
        if let Some(t) = tracker.as_ref().and_then(SharedTracker::take) {
            let reason = match (&failure, &state_not_updated) {
                (Some(e), _) => Some(e.to_string()),
                (None, Some(why)) => Some(why.clone()),
                (None, None) => None,
            };
            match reason {
                Some(reason) => tokio::task::spawn_blocking(move || t.abort(&reason))
                    .await
                    .unwrap_or_default(),
                None => match tokio::task::spawn_blocking(move || t.commit()).await {
                    Ok(Ok(summary)) => changes = Some(summary),
                    Ok(Err(e)) => {
                        failure = Some(e.with_context(
                            "outputs",
                            "written; the state was not updated, so the next run sees these offers again",
                        ));
                    }
                    Err(e) => {
                        state_not_updated = Some(format!("the state's thread failed: {e}"));
                    }
                },
            }
        }
        match failure {
            Some(e) => Err(match checkpoint.as_deref() {
                Some(cp) if cp.is_empty() => {
                    if let Some(cp) = checkpoint.and_then(|c| Arc::try_unwrap(c).ok()) {
                        cp.remove();
                    }
                    e
                }
                Some(cp) if e.is_temporary() || e.kind() == ErrorKind::Cancelled => e.with_context(
                    "resume",
                    format!(
                        "{} slices are done and kept; run again with --resume to continue",
                        cp.done_count()
                    ),
                ),
                _ => e,
            }),
            None => {
                let checkpoint_kept =
                    keep_checkpoint && checkpoint.as_ref().is_some_and(|c| !c.is_empty());
                if let Some(cp) = checkpoint
                    .filter(|_| !checkpoint_kept)
                    .and_then(|c| Arc::try_unwrap(c).ok())
                {
                    cp.remove();
                }
                Ok(RunReport {
                    sources: summaries,
                    sinks,
                    elapsed: started.elapsed(),
                    checkpoint_kept,
                    changes,
                    state_not_updated,
                })
            }
        }
    }
}

/// The figures [`Sink::run_summary`] receives: each source's counters and
/// status as they stand once every record is written.
fn run_summary(
    summaries: &[SourceSummary],
    mode: Mode,
    started_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
) -> RunSummary {
    let mut summary = RunSummary::new(mode, started.elapsed());
    summary.started_at = Some(started_at);
    summary.sources = summaries
        .iter()
        .map(|s| {
            let st = &s.stats;
            let get = SourceStats::get;
            let mut run = SourceRun::new(s.name.as_str(), s.type_name);
            run.failed = match &s.status {
                SourceStatus::Ok => None,
                SourceStatus::Failed { reason, .. } => Some(reason.clone()),
            };
            run.offers = get(&st.offers);
            run.total = st.total();
            run.requests = get(&st.requests);
            run.retries = get(&st.retries);
            run.rate_limited = get(&st.rate_limited);
            run.duplicates = get(&st.duplicates);
            run.same_job = get(&st.same_job);
            run.filtered = get(&st.filtered);
            run.skipped = get(&st.skipped);
            run.quality_warnings = get(&st.quality_warnings);
            run.unchanged = get(&st.unchanged);
            run.removed = get(&st.removed);
            run
        })
        .collect();
    summary
}

/// How many removed offers go to the sinks in one batch.
const REMOVAL_BATCH: usize = 500;

/// Mirror mode, after every source finished: confirms which offers the
/// harvest did not return are gone (with the source's check when it has
/// one) and sends them to the sinks as `change = removed`.
async fn write_removals(
    tracker: &SharedTracker,
    checks: &[(String, Option<Arc<dyn RemovalCheck>>)],
    sink_txs: &[mpsc::Sender<SinkMsg>],
    summaries: &[SourceSummary],
) -> Result<()> {
    for ((name, check), summary) in checks.iter().zip(summaries) {
        let source_name = name.clone();
        let unseen = tracker.with(move |t| t.unseen(&source_name)).await?;
        let mut gone = Vec::new();
        let mut kept = 0_u64;
        for (source, source_id) in unseen {
            let is_gone = match check {
                Some(check) => check.is_gone(&source_id).await.map_err(|e| {
                    e.prefixed(format!(
                        "source `{name}`: checking that offer `{source_id}` is gone"
                    ))
                })?,
                None => true,
            };
            if is_gone {
                gone.push((source, source_id));
            } else {
                kept += 1;
            }
        }
        if kept > 0 {
            tracing::info!(source = %name, offers = kept, "Offers no longer returned are still published: not marked removed.");
        }
        for chunk in gone.chunks(REMOVAL_BATCH) {
            let keys = chunk.to_vec();
            let batch = tracker
                .with(move |t| {
                    let at = chrono::Utc::now();
                    keys.iter()
                        .map(|(s, id)| t.mark_removed(s, id, at))
                        .collect::<Result<Vec<_>>>()
                })
                .await?;
            summary
                .stats
                .removed
                .fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let batch: Batch = Arc::new(batch);
            for (i, stx) in sink_txs.iter().enumerate() {
                if stx.send(SinkMsg::Batch(batch.clone())).await.is_err() {
                    return Err(sink_error_placeholder(i));
                }
            }
        }
    }
    Ok(())
}

const PLACEHOLDER: &str = "a sink stopped";

fn sink_error_placeholder(i: usize) -> Error {
    Error::new(ErrorKind::Sink, PLACEHOLDER).with_context("sink", i)
}

fn is_placeholder(e: &Error) -> bool {
    e.message() == PLACEHOLDER
}

/// Writes batches until told to finish. Returns `None` when the run was
/// abandoned (the sink is dropped and leaves nothing behind).
fn drive_sink(
    mut sink: Box<dyn Sink>,
    mut rx: mpsc::Receiver<SinkMsg>,
) -> Result<Option<SinkReport>> {
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            SinkMsg::Batch(batch) => sink.write(&batch)?,
            SinkMsg::Ready(ack) => {
                let _ = ack.send(());
            }
            SinkMsg::Summary(summary) => sink.run_summary(&summary),
            SinkMsg::Finish => return sink.finish().map(Some),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::JobRecord;
    use crate::source::{Capabilities, Source};
    use async_trait::async_trait;
    use std::sync::Mutex;

    #[derive(Debug)]
    struct Fixed {
        ids: Vec<&'static str>,
        fail_after: bool,
    }

    #[async_trait]
    impl Source for Fixed {
        fn capabilities(&self) -> Capabilities {
            Capabilities::local()
        }
        async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
            for id in &self.ids {
                cx.emit(vec![JobRecord::new("t", *id)]).await?;
                tokio::task::yield_now().await;
            }
            if self.fail_after {
                return Err(Error::new(ErrorKind::Http, "boom"));
            }
            Ok(())
        }
    }

    #[derive(Default, Clone)]
    struct Log(Arc<Mutex<Vec<String>>>);

    struct Mem {
        log: Log,
        rows: Vec<String>,
        fail_on: Option<&'static str>,
    }

    impl Sink for Mem {
        fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
            for r in batch {
                if Some(r.source_id.as_str()) == self.fail_on {
                    return Err(Error::new(ErrorKind::Sink, "disk full"));
                }
                self.rows.push(r.source_id.clone());
            }
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<SinkReport> {
            self.log.0.lock().unwrap().extend(self.rows.iter().cloned());
            Ok(SinkReport {
                rows: self.rows.len() as u64,
                bytes: None,
                warnings: vec![],
            })
        }
    }

    fn job(
        ids: Vec<&'static str>,
        fail_after: bool,
        fail_on: Option<&'static str>,
        log: &Log,
    ) -> Job {
        let log = log.clone();
        let sink = PreparedSink::new("mem", "memory", move |_| {
            Ok(Box::new(Mem {
                log: log.clone(),
                rows: vec![],
                fail_on,
            }) as Box<dyn Sink>)
        });
        Job {
            sources: vec![BuiltSource {
                name: "fixed".into(),
                type_name: "fixed",
                source: Box::new(Fixed { ids, fail_after }),
            }],
            sinks: vec![sink],
            base_dir: ".".into(),
        }
    }

    #[tokio::test]
    async fn streams_every_record_once_and_finishes() {
        let log = Log::default();
        let report = Runner::new(
            job(vec!["a", "b", "a", "c"], false, None, &log),
            RunOptions::default(),
        )
        .run(std::future::pending())
        .await
        .unwrap();
        assert_eq!(*log.0.lock().unwrap(), ["a", "b", "c"]);
        assert_eq!(report.sinks[0].report.rows, 3);
        assert_eq!(SourceStats::get(&report.sources[0].stats.duplicates), 1);
    }

    #[tokio::test]
    async fn sinks_get_the_run_summary_once_after_the_last_batch() {
        /// Logs what it is called with, in order.
        struct Summarized(Arc<Mutex<Vec<String>>>);
        impl Sink for Summarized {
            fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
                let mut log = self.0.lock().unwrap();
                log.extend(batch.iter().map(|r| format!("write {}", r.source_id)));
                Ok(())
            }
            fn run_summary(&mut self, summary: &RunSummary) {
                let sources: Vec<String> = summary
                    .sources
                    .iter()
                    .map(|s| {
                        let status = s.failed.as_deref().unwrap_or("ok");
                        format!(
                            "{}={} offers, {} duplicates, {status}",
                            s.name, s.offers, s.duplicates
                        )
                    })
                    .collect();
                self.0.lock().unwrap().push(format!(
                    "summary {} {}",
                    summary.mode,
                    sources.join("; ")
                ));
            }
            fn finish(self: Box<Self>) -> Result<SinkReport> {
                self.0.lock().unwrap().push("finish".into());
                Ok(SinkReport {
                    rows: 0,
                    bytes: None,
                    warnings: vec![],
                })
            }
        }
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = Log::default();
        let mut j = multi(
            vec![
                ("good", vec!["a", "b", "a"], false),
                ("bad", vec!["x"], true),
            ],
            &log,
        );
        let seen = calls.clone();
        j.sinks = vec![PreparedSink::new("summarized", "memory", move |_| {
            Ok(Box::new(Summarized(seen)) as Box<dyn Sink>)
        })];
        Runner::new(j, RunOptions::default())
            .run(std::future::pending())
            .await
            .unwrap();
        {
            let calls = calls.lock().unwrap();
            let n = calls.len();
            assert_eq!(calls[n - 1], "finish");
            assert_eq!(
                calls[n - 2],
                "summary full good=2 offers, 1 duplicates, ok; bad=1 offers, 0 duplicates, boom"
            );
            assert_eq!(calls.iter().filter(|c| c.starts_with("summary")).count(), 1);
            assert_eq!(calls.iter().filter(|c| c.starts_with("write")).count(), 3);
        }

        // A run that fails finishes no sink, and sends no summary.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let mut j = job(vec!["a"], true, None, &log);
        let seen = calls.clone();
        j.sinks = vec![PreparedSink::new("summarized", "memory", move |_| {
            Ok(Box::new(Summarized(seen)) as Box<dyn Sink>)
        })];
        Runner::new(j, RunOptions::default())
            .run(std::future::pending())
            .await
            .unwrap_err();
        assert!(
            !calls
                .lock()
                .unwrap()
                .iter()
                .any(|c| c == "finish" || c.starts_with("summary")),
            "{:?}",
            calls.lock().unwrap()
        );
    }

    /// A job of several sources (name, ids, fail after emitting) into one
    /// sink; each source emits one record at a time, yielding in between,
    /// so the sources interleave.
    fn multi(sources: Vec<(&'static str, Vec<&'static str>, bool)>, log: &Log) -> Job {
        let mut j = job(vec![], false, None, log);
        j.sources = sources
            .into_iter()
            .map(|(name, ids, fail_after)| BuiltSource {
                name: name.into(),
                type_name: "fixed",
                source: Box::new(Fixed { ids, fail_after }),
            })
            .collect();
        j
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_source_does_not_lose_the_others_records() {
        let log = Log::default();
        let report = Runner::new(
            multi(
                vec![
                    ("good", vec!["a", "b", "c", "d"], false),
                    ("bad", vec!["x"], true),
                    ("also-good", vec!["e"], false),
                ],
                &log,
            ),
            RunOptions::default(),
        )
        .run(std::future::pending())
        .await
        .expect("the run finishes when some sources succeed");
        let mut rows = log.0.lock().unwrap().clone();
        rows.sort();
        assert_eq!(
            rows,
            ["a", "b", "c", "d", "e", "x"],
            "what arrived is written"
        );
        let status: Vec<_> = report.sources.iter().map(|s| &s.status).collect();
        assert_eq!(status[0], &SourceStatus::Ok);
        assert_eq!(
            status[1],
            &SourceStatus::Failed {
                kind: ErrorKind::Http,
                reason: "boom".into()
            }
        );
        assert_eq!(status[2], &SourceStatus::Ok);
        let failed: Vec<_> = report.failed().map(|s| s.name.as_str()).collect();
        assert_eq!(failed, ["bad"]);
        assert!(!report.checkpoint_kept);
    }

    #[tokio::test]
    async fn when_every_source_fails_nothing_is_written() {
        let log = Log::default();
        let err = Runner::new(
            multi(
                vec![("one", vec!["a"], true), ("two", vec!["b"], true)],
                &log,
            ),
            RunOptions::default(),
        )
        .run(std::future::pending())
        .await
        .unwrap_err();
        assert!(err.to_string().starts_with("source `one`: boom"), "{err}");
        assert!(log.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_sink_failure_still_writes_nothing_with_several_sources() {
        let log = Log::default();
        let mut j = multi(
            vec![
                ("one", vec!["a", "b", "c"], false),
                ("two", vec!["d"], true),
            ],
            &log,
        );
        let fail_log = log.clone();
        j.sinks.push(PreparedSink::new("mem", "failing", move |_| {
            Ok(Box::new(Mem {
                log: fail_log.clone(),
                rows: vec![],
                fail_on: Some("c"),
            }) as Box<dyn Sink>)
        }));
        let err = Runner::new(j, RunOptions::default())
            .run(std::future::pending())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert!(log.0.lock().unwrap().is_empty(), "no sink committed");
    }

    #[tokio::test]
    async fn an_interrupt_still_writes_nothing_with_a_failed_source() {
        let log = Log::default();
        let (fire, fired) = tokio::sync::oneshot::channel::<()>();
        #[derive(Debug)]
        struct Slow;
        #[async_trait]
        impl Source for Slow {
            fn capabilities(&self) -> Capabilities {
                Capabilities::local()
            }
            async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
                cx.emit(vec![JobRecord::new("slow", "s")]).await?;
                std::future::pending::<()>().await;
                Ok(())
            }
        }
        let mut j = multi(vec![("bad", vec!["x"], true)], &log);
        j.sources.push(BuiltSource {
            name: "slow".into(),
            type_name: "slow",
            source: Box::new(Slow),
        });
        let runner = Runner::new(j, RunOptions::default());
        let stats = runner.stats();
        let watcher = tokio::spawn(async move {
            while SourceStats::get(&stats[1].1.offers) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = fire.send(());
        });
        let err = runner
            .run(async {
                let _ = fired.await;
            })
            .await
            .unwrap_err();
        watcher.await.unwrap();
        assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
        assert!(log.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn dedupe_fingerprint_keeps_the_same_job_once_across_sources() {
        #[derive(Debug)]
        struct Board(&'static str, &'static str);
        #[async_trait]
        impl Source for Board {
            fn capabilities(&self) -> Capabilities {
                Capabilities::local()
            }
            async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
                let mut r = JobRecord::new(self.0, "1");
                r.title = Some(self.1.into());
                r.company_name = Some("Acme".into());
                cx.emit(vec![r]).await.map(|_| ())
            }
        }
        for (dedupe, rows) in [(Dedupe::Id, 2), (Dedupe::Fingerprint, 1)] {
            let log = Log::default();
            let mut j = job(vec![], false, None, &log);
            j.sources = ["one", "two"]
                .into_iter()
                .zip(["Data analyst (H/F)", "DATA ANALYST"])
                .map(|(name, title)| BuiltSource {
                    name: name.into(),
                    type_name: "board",
                    source: Box::new(Board(name, title)),
                })
                .collect();
            let report = Runner::new(j, RunOptions::default().with_dedupe(dedupe))
                .run(std::future::pending())
                .await
                .unwrap();
            assert_eq!(report.sinks[0].report.rows, rows, "{dedupe:?}");
            let same: u64 = report
                .sources
                .iter()
                .map(|s| SourceStats::get(&s.stats.same_job))
                .sum();
            assert_eq!(same, 2 - rows, "{dedupe:?}");
        }
    }

    #[tokio::test]
    async fn a_resumable_source_that_fails_keeps_its_checkpoint() {
        #[derive(Debug)]
        struct HalfDone;
        #[async_trait]
        impl Source for HalfDone {
            fn capabilities(&self) -> Capabilities {
                Capabilities::local().with_resume()
            }
            async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
                cx.emit(vec![JobRecord::new("half", "h1")]).await?;
                cx.complete("slice-1")?;
                Err(Error::new(ErrorKind::Network, "connection reset"))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = CheckpointPaths::new(dir.path(), "job");
        let log = Log::default();
        let mut j = multi(vec![("good", vec!["a", "b"], false)], &log);
        j.sources.push(BuiltSource {
            name: "half".into(),
            type_name: "half",
            source: Box::new(HalfDone),
        });
        let options = RunOptions::default().with_checkpoint(Some(CheckpointOptions {
            paths: paths.clone(),
            fingerprint: "f".into(),
            resume: false,
        }));
        let report = Runner::new(j, options)
            .run(std::future::pending())
            .await
            .unwrap();
        assert!(report.checkpoint_kept);
        assert!(paths.exists(), "the checkpoint is there for --resume");
        let mut rows = log.0.lock().unwrap().clone();
        rows.sort();
        assert_eq!(rows, ["a", "b", "h1"]);
        assert!(matches!(
            &report.sources[1].status,
            SourceStatus::Failed { kind: ErrorKind::Network, reason } if reason == "connection reset"
        ));
    }

    /// What a [`FakeTracker`] was asked, for the tests to read.
    #[derive(Debug, Default)]
    struct TrackerLog {
        classified: Vec<String>,
        marked: Vec<String>,
        ended: Option<std::result::Result<(), String>>,
    }

    /// A tracker in memory: ids starting with `u` are unchanged, `unseen`
    /// answers `unseen`, `since` answers `since`.
    #[derive(Debug)]
    struct FakeTracker {
        mode: crate::Mode,
        unseen: Vec<&'static str>,
        since: Option<chrono::DateTime<chrono::Utc>>,
        log: Arc<Mutex<TrackerLog>>,
    }

    impl ChangeTracker for FakeTracker {
        fn mode(&self) -> crate::Mode {
            self.mode
        }
        fn since(
            &self,
            _: &str,
            lookback: TimeDelta,
        ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
            Ok(self.since.map(|s| s - lookback))
        }
        fn classify(&mut self, _: &str, records: &mut Vec<JobRecord>) -> Result<u64> {
            let before = records.len();
            for r in records.iter_mut() {
                self.log
                    .lock()
                    .unwrap()
                    .classified
                    .push(r.source_id.clone());
                r.change = (!r.source_id.starts_with('u')).then(|| "new".into());
            }
            if self.mode == crate::Mode::Incremental {
                records.retain(|r| r.change.is_some());
            }
            Ok((before - records.len()) as u64)
        }
        fn unseen(&mut self, _: &str) -> Result<Vec<(String, String)>> {
            Ok(self
                .unseen
                .iter()
                .map(|id| ("t".to_string(), id.to_string()))
                .collect())
        }
        fn mark_removed(
            &mut self,
            source: &str,
            id: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<JobRecord> {
            self.log.lock().unwrap().marked.push(id.to_string());
            let mut r = JobRecord::new(source, id);
            r.change = Some("removed".into());
            r.removed_at = Some(at);
            Ok(r)
        }
        fn commit(self: Box<Self>) -> Result<ChangeSummary> {
            self.log.lock().unwrap().ended = Some(Ok(()));
            Ok(ChangeSummary::default())
        }
        fn abort(self: Box<Self>, reason: &str) {
            self.log.lock().unwrap().ended = Some(Err(reason.to_string()));
        }
    }

    fn fake(
        mode: crate::Mode,
        unseen: Vec<&'static str>,
    ) -> (Box<dyn ChangeTracker>, Arc<Mutex<TrackerLog>>) {
        let log = Arc::new(Mutex::new(TrackerLog::default()));
        let tracker = FakeTracker {
            mode,
            unseen,
            since: None,
            log: log.clone(),
        };
        (Box::new(tracker), log)
    }

    /// Says offers starting with `k` are still published.
    #[derive(Debug)]
    struct KeepK;

    #[async_trait]
    impl RemovalCheck for KeepK {
        async fn is_gone(&self, id: &str) -> Result<bool> {
            Ok(!id.starts_with('k'))
        }
    }

    #[derive(Debug)]
    struct Checked(Fixed);

    #[async_trait]
    impl Source for Checked {
        fn capabilities(&self) -> Capabilities {
            Capabilities::local()
        }
        async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
            Box::new(self.0).run(cx).await
        }
        fn removal_check(&self, _stats: Arc<SourceStats>) -> Option<Arc<dyn RemovalCheck>> {
            Some(Arc::new(KeepK))
        }
    }

    #[tokio::test]
    async fn incremental_drops_unchanged_records_and_commits_after_the_sinks() {
        let log = Log::default();
        let (tracker, tlog) = fake(crate::Mode::Incremental, vec![]);
        let report = Runner::new(
            job(vec!["a", "u1", "b", "u2"], false, None, &log),
            RunOptions::default().with_tracker(Some(tracker)),
        )
        .run(std::future::pending())
        .await
        .unwrap();
        assert_eq!(*log.0.lock().unwrap(), ["a", "b"]);
        assert_eq!(SourceStats::get(&report.sources[0].stats.unchanged), 2);
        assert_eq!(tlog.lock().unwrap().classified, ["a", "u1", "b", "u2"]);
        assert_eq!(tlog.lock().unwrap().ended, Some(Ok(())));
        assert!(report.changes.is_some() && report.state_not_updated.is_none());
    }

    #[tokio::test]
    async fn a_sink_or_source_failure_aborts_the_state() {
        let log = Log::default();
        let (tracker, tlog) = fake(crate::Mode::Incremental, vec![]);
        Runner::new(
            job(vec!["a", "b"], false, Some("b"), &log),
            RunOptions::default().with_tracker(Some(tracker)),
        )
        .run(std::future::pending())
        .await
        .unwrap_err();
        let ended = tlog.lock().unwrap().ended.clone();
        assert!(
            matches!(&ended, Some(Err(r)) if r.contains("disk full")),
            "{ended:?}"
        );

        let (tracker, tlog) = fake(crate::Mode::Mirror, vec!["gone"]);
        let j = multi(
            vec![("good", vec!["a"], false), ("bad", vec!["x"], true)],
            &log,
        );
        let report = Runner::new(j, RunOptions::default().with_tracker(Some(tracker)))
            .run(std::future::pending())
            .await
            .unwrap();
        let why = report.state_not_updated.clone().unwrap();
        assert!(why.contains("a source failed"), "{why}");
        let t = tlog.lock().unwrap();
        assert!(t.marked.is_empty(), "no removal after a failed source");
        assert!(matches!(&t.ended, Some(Err(r)) if r.contains("a source failed")));
        assert!(report.changes.is_none());
    }

    #[tokio::test]
    async fn a_sink_that_cannot_open_aborts_the_state_with_the_reason() {
        let log = Log::default();
        let (tracker, tlog) = fake(crate::Mode::Mirror, vec!["gone"]);
        let mut j = job(vec!["a"], false, None, &log);
        j.sinks = vec![PreparedSink::new("mem", "nowhere", |_| {
            Err(Error::new(ErrorKind::Sink, "cannot connect"))
        })];
        Runner::new(j, RunOptions::default().with_tracker(Some(tracker)))
            .run(std::future::pending())
            .await
            .unwrap_err();
        let t = tlog.lock().unwrap();
        assert!(
            matches!(&t.ended, Some(Err(r)) if r.contains("cannot connect")),
            "{:?}",
            t.ended
        );
        assert!(t.marked.is_empty() && t.classified.is_empty());
    }

    #[tokio::test]
    async fn a_mirror_writes_only_the_removals_the_board_confirms() {
        let log = Log::default();
        let (tracker, tlog) = fake(crate::Mode::Mirror, vec!["gone", "kept"]);
        let mut j = job(vec![], false, None, &log);
        j.sources[0].source = Box::new(Checked(Fixed {
            ids: vec!["a", "u1"],
            fail_after: false,
        }));
        let report = Runner::new(j, RunOptions::default().with_tracker(Some(tracker)))
            .run(std::future::pending())
            .await
            .unwrap();
        assert_eq!(*log.0.lock().unwrap(), ["a", "u1", "gone"]);
        assert_eq!(tlog.lock().unwrap().marked, ["gone"]);
        assert_eq!(SourceStats::get(&report.sources[0].stats.removed), 1);
        assert_eq!(tlog.lock().unwrap().ended, Some(Ok(())));
    }

    #[tokio::test]
    async fn an_incremental_source_gets_its_cursor_minus_the_lookback() {
        #[derive(Debug)]
        struct Since(Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>);
        #[async_trait]
        impl Source for Since {
            fn capabilities(&self) -> Capabilities {
                Capabilities::local()
            }
            async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
                *self.0.lock().unwrap() = cx.since();
                Ok(())
            }
        }
        let cursor: chrono::DateTime<chrono::Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let got = Arc::new(Mutex::new(None));
        let log = Log::default();
        let mut j = job(vec![], false, None, &log);
        j.sources[0].source = Box::new(Since(got.clone()));
        let tlog = Arc::new(Mutex::new(TrackerLog::default()));
        let tracker = FakeTracker {
            mode: crate::Mode::Incremental,
            unseen: vec![],
            since: Some(cursor),
            log: tlog,
        };
        Runner::new(
            j,
            RunOptions::default()
                .with_tracker(Some(Box::new(tracker)))
                .with_lookback(TimeDelta::hours(6)),
        )
        .run(std::future::pending())
        .await
        .unwrap();
        assert_eq!(*got.lock().unwrap(), Some(cursor - TimeDelta::hours(6)));
    }

    #[tokio::test]
    async fn source_failure_finishes_no_sink() {
        let log = Log::default();
        let err = Runner::new(job(vec!["a"], true, None, &log), RunOptions::default())
            .run(std::future::pending())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("source `fixed`: boom"), "{err}");
        assert!(log.0.lock().unwrap().is_empty(), "nothing committed");
    }

    /// Regression: a source that fails right after dropping its sender used
    /// to race with the end of the stream, and its error could be lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_returned_at_the_end_is_never_lost() {
        for _ in 0..200 {
            let log = Log::default();
            let res = Runner::new(job(vec![], true, None, &log), RunOptions::default())
                .run(std::future::pending())
                .await;
            assert!(res.is_err(), "the source's error was dropped");
        }
    }

    #[tokio::test]
    async fn sink_failure_is_reported() {
        let log = Log::default();
        let ids: Vec<&'static str> =
            vec!["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
        let err = Runner::new(job(ids, false, Some("b"), &log), RunOptions::default())
            .run(std::future::pending())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }

    #[tokio::test]
    async fn interrupt_writes_nothing() {
        let log = Log::default();
        let err = Runner::new(
            job(vec!["a", "b"], false, None, &log),
            RunOptions::default(),
        )
        .run(async {})
        .await;
        // The interrupt is ready at once; either it wins (nothing written)
        // or the tiny job finished first. It must never half-finish.
        match err {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Cancelled);
                assert!(log.0.lock().unwrap().is_empty());
            }
            Ok(r) => assert_eq!(r.sinks[0].report.rows, 2),
        }
    }
}

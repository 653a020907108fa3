//! The subcommands: `run`, `validate`, `connectors` (the others have a
//! module each).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use jobharvest_core::checkpoint::CheckpointPaths;
use jobharvest_core::registry::PreparedSink;
use jobharvest_core::runner::{
    CheckpointOptions, Dedupe, Job, RunOptions, RunReport, Runner, SourceStatus,
};
use jobharvest_core::source::SourceStats;
use jobharvest_core::tracking::ChangeTracker;
use jobharvest_core::{Error, ErrorKind, FilterSupport, Mode, Registry, Result, spec};
use jobharvest_state::State;
use serde_json::json;

use crate::cli::{Cli, Command, RunArgs};
use crate::logging::Progress;
use crate::plugins;

/// Runs the chosen subcommand.
pub async fn dispatch(cli: Cli, progress: Progress) -> Result<()> {
    let registry = plugins::registry();
    match cli.command {
        Command::Run(args) => run(&registry, args, progress, cli.quiet).await,
        Command::Validate { spec } => validate(&registry, &spec),
        Command::Connectors => {
            connectors(&registry);
            Ok(())
        }
        Command::Boards(args) => crate::boards::run(&registry, args).await,
        Command::Report(args) => crate::report::run(args, cli.quiet),
        Command::State { spec, runs } => crate::state::show(&spec, runs),
        Command::Auth(args) => crate::auth::run(&registry, args).await,
    }
}

/// The sinks given on the command line, replacing the spec's when any.
fn cli_sinks(registry: &Registry, args: &RunArgs) -> Result<Vec<PreparedSink>> {
    let mut sinks = Vec::new();
    for (i, s) in args.sinks.iter().enumerate() {
        let (kind, path) = s
            .split_once(':')
            .filter(|(k, p)| !k.is_empty() && !p.is_empty())
            .ok_or_else(|| {
                Error::config(format!(
                    "--sink `{s}`: expected TYPE:PATH, such as `csv:out/offres.csv`"
                ))
            })?;
        sinks.push(
            registry.prepare_sink(json!({"type": kind, "path": path}), &format!("--sink[{i}]"))?,
        );
    }
    for (i, path) in args.outputs.iter().enumerate() {
        let kind = registry.sink_type_for_path(path)?;
        let path = path.to_string_lossy();
        sinks
            .push(registry.prepare_sink(json!({"type": kind, "path": path}), &format!("-o[{i}]"))?);
    }
    Ok(sinks)
}

/// A job loaded from its spec, with what the runner needs besides.
struct Loaded {
    job: Job,
    /// The digest of the spec's sources, for the checkpoint.
    fingerprint: String,
    /// The spec's `dedupe:` option.
    dedupe: Dedupe,
    /// The spec itself (state, mode, lookback).
    spec: spec::LoadedSpec,
}

fn load_job(
    registry: &Registry,
    spec_path: &Path,
    sink_override: Vec<PreparedSink>,
    mode: Option<Mode>,
) -> Result<Loaded> {
    let loaded = spec::load(spec_path)?;
    let dedupe = loaded.raw.dedupe;
    let (sinks, base_dir) = if sink_override.is_empty() {
        (loaded.prepare_sinks(registry)?, loaded.base_dir.clone())
    } else {
        // Paths on the command line are relative to the working folder.
        (sink_override, PathBuf::from("."))
    };
    // The state keeps whole records, which later runs may write out (as
    // removed offers) through sinks that want `raw`.
    let keeps_state = loaded.keeps_state(mode.unwrap_or_else(|| loaded.mode()));
    let keep_raw = keeps_state || sinks.iter().any(|s| s.writes_raw);
    // A checkpoint's spooled records lack `raw` when it was left out, so
    // only a run that leaves it out too may resume from it.
    let mut what = serde_json::to_string(&loaded.raw.sources).unwrap_or_default();
    if !keep_raw {
        what.push_str(" without raw");
    }
    let fingerprint = fingerprint(&what);
    let sources = loaded.build_sources(registry, keep_raw)?;
    let mut targets: Vec<_> = sinks.iter().map(|s| s.target.as_str()).collect();
    targets.sort_unstable();
    if let Some(w) = targets.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::config(format!(
            "two sinks write to `{}`; give each its own path",
            w[0]
        )));
    }
    Ok(Loaded {
        job: Job {
            sources,
            sinks,
            base_dir,
        },
        fingerprint,
        dedupe,
        spec: loaded,
    })
}

/// A stable digest (FNV-1a, 64 bits) of the spec's sources, so a checkpoint
/// is only resumed by the spec that wrote it.
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The checkpoint's place: beside the first output, named after the spec.
fn checkpoint_paths(job: &Job, spec_path: &Path) -> CheckpointPaths {
    let first = job
        .sinks
        .first()
        .map(|s| {
            let p = Path::new(&s.target);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                job.base_dir.join(p)
            }
        })
        .unwrap_or_else(|| job.base_dir.join("out"));
    let dir = first
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let stem = spec_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "job".into());
    CheckpointPaths::new(&dir, &stem)
}

async fn run(registry: &Registry, args: RunArgs, progress: Progress, quiet: bool) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::config(
            "--limit 0 fetches nothing; give a positive number or leave it out",
        ));
    }
    let overrides = cli_sinks(registry, &args)?;
    let Loaded {
        job,
        fingerprint,
        dedupe,
        spec,
    } = load_job(registry, &args.spec, overrides, args.mode)?;
    let mode = args.mode.unwrap_or_else(|| spec.mode());
    let lookback = spec.lookback()?;
    let checkpoint = CheckpointOptions {
        paths: checkpoint_paths(&job, &args.spec),
        fingerprint,
        resume: args.resume,
    };
    tracing::debug!(
        spec = %args.spec.display(),
        sources = job.sources.len(),
        sinks = job.sinks.len(),
        "Job loaded."
    );
    let tracker = if args.dry_run {
        None
    } else {
        begin_tracking(&spec, &job, mode, &args.spec)?
    };
    let options = RunOptions::default()
        .with_limit(args.limit)
        .with_checkpoint(Some(checkpoint))
        .with_dedupe(dedupe)
        .with_tracker(tracker)
        .with_lookback(lookback)
        .with_durable(spec.durable(mode));
    let base_dir = job.base_dir.clone();
    let runner = Runner::new(job, options);
    if args.dry_run {
        return dry_run(runner).await;
    }
    let stats = runner.stats();
    let watcher = watch(&progress, stats.clone(), args.limit);
    let interrupt = async {
        let signal = crate::signals::first().await;
        tracing::warn!(
            "{}: stopping and discarding partial outputs (a second signal ends at once).",
            crate::signals::name(signal)
        );
    };
    let result = runner.run(interrupt).await;
    watcher.abort();
    let _ = progress.bars.clear();
    let report = match result {
        Err(e) if e.kind() == ErrorKind::Cancelled => {
            if !quiet {
                print_interrupted(&stats);
            }
            return Err(e);
        }
        other => other?,
    };
    if !quiet {
        print_summary(&report, &base_dir);
        print_changes(&report);
    }
    partial_failure(&report)
}

/// What an interrupted run had done, on stderr: the offers each source had
/// fetched, and that the checkpoint keeps them for `--resume`.
fn print_interrupted(stats: &[(String, Arc<SourceStats>)]) {
    eprintln!("Interrupted; no output was written.");
    for (name, st) in stats {
        eprintln!(
            "  {name}: {} offers fetched, {} requests",
            SourceStats::get(&st.offers),
            SourceStats::get(&st.requests)
        );
    }
}

/// Opens the job's state, takes its lock and starts a run, when the run
/// needs one: any mode but `full`, or a spec with a `state:` key. A plain
/// full run keeps no state and creates no file.
fn begin_tracking(
    spec: &spec::LoadedSpec,
    job: &Job,
    mode: Mode,
    spec_path: &Path,
) -> Result<Option<Box<dyn ChangeTracker>>> {
    if !spec.keeps_state(mode) {
        return Ok(None);
    }
    let state = State::open(&spec.state_path())?;
    let lock = state.lock(&spec_path.display().to_string())?;
    let names: Vec<&str> = job.sources.iter().map(|s| s.name.as_str()).collect();
    let tracker = state.begin_run(lock, mode, &names)?;
    tracing::info!(
        state = %state.path().display(),
        run = tracker.run_id(),
        %mode,
        "Job state opened."
    );
    Ok(Some(Box::new(tracker)))
}

/// The closing words on the job's state: what changed, or that nothing did,
/// or why the state was left as it was.
fn print_changes(report: &RunReport) {
    if let Some(why) = &report.state_not_updated {
        eprintln!("  state: not updated: {why}");
    }
    let Some(changes) = &report.changes else {
        return;
    };
    if changes.nothing_changed() {
        eprintln!(
            "  state: nothing new since the last run (run {}).",
            changes.run_id
        );
    }
    for c in &changes.sources {
        eprintln!(
            "  state {}: {} new, {} updated, {} unchanged, {} removed",
            c.source_name, c.new, c.updated, c.unchanged, c.removed
        );
    }
}

/// An error when some sources failed (the run wrote the others' records),
/// so the exit code says so.
fn partial_failure(report: &RunReport) -> Result<()> {
    let failed: Vec<_> = report.failed().collect();
    let Some(first) = failed.first() else {
        return Ok(());
    };
    let kind = match first.status {
        // A source's own config or interrupt error is still a failed run
        // (exit code 1), not a bad spec (2) or a Ctrl-C (130).
        SourceStatus::Failed { kind, .. }
            if !matches!(kind, ErrorKind::Config | ErrorKind::Cancelled) =>
        {
            kind
        }
        _ => ErrorKind::Http,
    };
    let names: Vec<String> = failed.iter().map(|s| format!("`{}`", s.name)).collect();
    let mut err = Error::new(
        kind,
        format!(
            "{} of {} sources failed ({}); the outputs were written with the other sources' offers and what the failed ones fetched before failing",
            failed.len(),
            report.sources.len(),
            names.join(", ")
        ),
    );
    for s in &failed {
        if let SourceStatus::Failed { reason, .. } = &s.status {
            err = err.with_context("source", format!("{}: {reason}", s.name));
        }
    }
    if report.checkpoint_kept {
        err = err.with_context(
            "resume",
            "the checkpoint is kept; run again with --resume to fetch only what is missing",
        );
    }
    Err(err)
}

/// Draws one bar per source until the run ends.
fn watch(
    progress: &Progress,
    stats: Vec<(String, Arc<SourceStats>)>,
    limit: Option<u64>,
) -> tokio::task::JoinHandle<()> {
    // With a length known (the board's total, or a replay's estimate from
    // how far it has read its file), the bar also shows the time left.
    let template = |eta: &str| {
        ProgressStyle::with_template(&format!(
            "{{prefix:>12}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} offers{eta} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
    };
    let (style, with_eta) = (template(""), template(", {eta} left"));
    let bars: Vec<(ProgressBar, Arc<SourceStats>)> = stats
        .into_iter()
        .map(|(name, st)| {
            let bar = if progress.visible {
                progress.bars.add(ProgressBar::new(0))
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(style.clone());
            bar.set_prefix(name);
            (bar, st)
        })
        .collect();
    tokio::spawn(async move {
        let mut timed = vec![false; bars.len()];
        loop {
            for ((bar, st), timed) in bars.iter().zip(&mut timed) {
                let offers = SourceStats::get(&st.offers);
                let total = st
                    .total()
                    .or_else(|| st.expected())
                    .map(|t| limit.map_or(t, |l| t.min(l)));
                if total.is_some() && !*timed {
                    bar.set_style(with_eta.clone());
                    *timed = true;
                }
                bar.set_length(total.unwrap_or(offers).max(offers));
                bar.set_position(offers);
                bar.set_message(format!(
                    "({} requests, {} retries)",
                    SourceStats::get(&st.requests),
                    SourceStats::get(&st.retries)
                ));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    })
}

async fn dry_run(runner: Runner) -> Result<()> {
    for (source, plan) in runner.plan().await? {
        let requests = SourceStats::get(&source.stats.requests);
        println!("source {} ({}):", source.name, source.type_name);
        let Some(plan) = plan else {
            println!("  cannot plan without fetching (local or unplanned source)");
            continue;
        };
        match plan.total {
            Some(t) => println!("  total reported by the API: {t} offers"),
            None => println!("  total reported by the API: unknown"),
        }
        println!("  slices: {}", plan.slices.len());
        for slice in &plan.slices {
            println!(
                "    {:>6} offers, {:>3} requests  {}",
                slice.total, slice.requests, slice.label
            );
        }
        println!(
            "  requests: {} sent to plan, {} still to send to harvest",
            requests.max(plan.planning_requests),
            plan.remaining_requests
        );
        for note in &plan.notes {
            println!("  note: {note}");
        }
    }
    Ok(())
}

/// A sink's target as the user can open it: a relative path joined to the
/// spec's folder and cleaned of `.`/`..` (URLs are left alone).
fn display_target(target: &str, base_dir: &Path) -> String {
    if target.contains("://") {
        return target.to_string();
    }
    let joined = base_dir.join(target);
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if clean
                    .components()
                    .next_back()
                    .is_some_and(|c| matches!(c, std::path::Component::Normal(_))) =>
            {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean.display().to_string()
}

fn print_summary(report: &RunReport, base_dir: &Path) {
    let offers: u64 = report
        .sources
        .iter()
        .map(|s| SourceStats::get(&s.stats.offers))
        .sum();
    eprintln!(
        "Harvested {offers} offers in {:.1} s.",
        report.elapsed.as_secs_f64()
    );
    for s in &report.sources {
        let st = &s.stats;
        let total = st
            .total()
            .map(|t| format!(" of {t} reported"))
            .unwrap_or_default();
        let status = match &s.status {
            SourceStatus::Ok => "ok".to_string(),
            SourceStatus::Failed { kind, .. } => format!("FAILED ({})", kind.as_str()),
        };
        eprintln!(
            "  source {} ({}): {status}: {} offers{total}, {} requests, {} retries, {} rate-limited (429), {} duplicates dropped, {} same job dropped, {} filtered out, {} skipped{}",
            s.name,
            s.type_name,
            SourceStats::get(&st.offers),
            SourceStats::get(&st.requests),
            SourceStats::get(&st.retries),
            SourceStats::get(&st.rate_limited),
            SourceStats::get(&st.duplicates),
            SourceStats::get(&st.same_job),
            SourceStats::get(&st.filtered),
            SourceStats::get(&st.skipped),
            tracked(st),
        );
        let warnings = SourceStats::get(&st.quality_warnings);
        if warnings > 0 {
            eprintln!(
                "    data-quality warnings: {warnings} implausible values left empty (the board's value stays in raw), e.g. {}",
                st.quality_examples().join(", ")
            );
        }
        if let SourceStatus::Failed { reason, .. } = &s.status {
            eprintln!("    reason: {}", jobharvest_core::secret::redact(reason));
        }
    }
    for s in &report.sinks {
        let size = s
            .report
            .bytes
            .map(|b| format!(", {}", human_bytes(b)))
            .unwrap_or_default();
        eprintln!(
            "  sink {} -> {}: {} rows{size}",
            s.type_name,
            display_target(&s.target, base_dir),
            s.report.rows
        );
        for w in &s.report.warnings {
            eprintln!("    warning: {w}");
        }
    }
}

/// The change-tracking counters, when the run had any.
fn tracked(st: &SourceStats) -> String {
    let (unchanged, removed) = (
        SourceStats::get(&st.unchanged),
        SourceStats::get(&st.removed),
    );
    if unchanged == 0 && removed == 0 {
        return String::new();
    }
    format!(", {unchanged} unchanged not written, {removed} removed")
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn validate(registry: &Registry, spec_path: &Path) -> Result<()> {
    let job = load_job(registry, spec_path, Vec::new(), None)?.job;
    println!("{}: valid.", spec_path.display());
    for s in &job.sources {
        println!("  source {} ({})", s.name, s.type_name);
    }
    for s in &job.sinks {
        println!("  sink {} -> {}", s.type_name, s.target);
    }
    Ok(())
}

fn connectors(registry: &Registry) {
    println!("Sources (the `type` of an entry under `sources:`):");
    for info in registry.sources() {
        println!("  {:<16} {}", info.name, info.description);
        if let Some(c) = info.capabilities {
            let filters = match c.filters {
                FilterSupport::Server => {
                    "server (board parameters; `filter:` also applied client-side)"
                }
                FilterSupport::Client => "client (`filter:` applied by jobharvest)",
                FilterSupport::None => "none (`filter:` refused)",
            };
            let mut caps = vec![format!("auth: {}", c.auth)];
            if !c.auth_env.is_empty() {
                caps.push(format!("set {}", c.auth_env.join(", ")));
            }
            caps.push(format!("filters: {filters}"));
            if let Some(p) = c.page_size {
                caps.push(format!("page size: {p}"));
            }
            if let Some(w) = c.result_window {
                caps.push(format!("results per query: {w}"));
            }
            if c.date_window {
                caps.push("date windows".into());
            }
            if c.resumable {
                caps.push("resumable (--resume)".into());
            }
            caps.push(if c.incremental {
                "incremental (fetches only what changed)".into()
            } else {
                "incremental by content hash (fetches everything)".into()
            });
            if !c.network {
                caps.push("offline".into());
            }
            println!("  {:<16} {}", "", caps.join("; "));
        }
    }
    println!("Sinks (the `type` of an entry under `sinks:`):");
    for info in registry.sinks() {
        let ext: Vec<_> = info.extensions.iter().map(|e| format!(".{e}")).collect();
        println!(
            "  {:<16} {} ({})",
            info.name,
            info.description,
            ext.join(", ")
        );
    }
}

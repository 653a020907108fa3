//! `jobharvest state SPEC`: what a job's state remembers.
//!
//! Prints, for the spec's state file: who holds the job lock, each source's
//! open and removed offers and its cursor, and the last runs with what each
//! did. Reads only: it never creates a state nor takes the lock.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use jobharvest_core::{Result, spec};
use jobharvest_state::{Cursor, OfferCounts, RunInfo, State, schema_version};

/// Runs `jobharvest state SPEC`, printing the report on stdout.
pub fn show(spec_path: &Path, runs: usize) -> Result<()> {
    let loaded = spec::load(spec_path)?;
    let path = loaded.state_path();
    let state = State::open_existing(&path)?;
    let names: Vec<String> = loaded
        .raw
        .sources
        .iter()
        .filter_map(|s| s.get("name").or_else(|| s.get("type")))
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    print!("{}", render(&state, &names, runs)?);
    Ok(())
}

/// The report, as text: the spec's sources first, then any other source
/// the state knows.
pub fn render(state: &State, spec_sources: &[String], runs: usize) -> Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "State: {} (version {})",
        state.path().display(),
        schema_version()
    );
    let lock = match state.running()? {
        Some(holder) => format!("held by a run in progress ({holder})"),
        None => "free".into(),
    };
    let _ = writeln!(out, "Lock:  {lock}");

    let counts = state.offer_counts()?;
    let cursors = state.cursors()?;
    let mut names: Vec<&str> = spec_sources.iter().map(String::as_str).collect();
    for name in counts
        .iter()
        .map(|c| c.source_name.as_str())
        .chain(cursors.iter().map(|(n, _)| n.as_str()))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut rows = vec![[
        "source".to_string(),
        "open".into(),
        "removed".into(),
        "newest updated_at".into(),
        "newest created_at".into(),
        "last complete run".into(),
    ]];
    for name in names {
        let c = counts.iter().find(|c| c.source_name == name);
        let cursor = cursors.iter().find(|(n, _)| n == name).map(|(_, c)| c);
        rows.push(source_row(name, c, cursor));
    }
    let _ = writeln!(out, "\nSources");
    table(&mut out, &rows);

    let runs = state.runs(runs)?;
    let _ = writeln!(out, "\nLast runs");
    if runs.is_empty() {
        let _ = writeln!(out, "  none yet");
        return Ok(out);
    }
    let mut rows = vec![
        [
            "run",
            "started",
            "mode",
            "status",
            "new",
            "updated",
            "unchanged",
            "removed",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for run in &runs {
        rows.push(run_row(run));
    }
    table(&mut out, &rows);
    for run in runs.iter().filter(|r| r.error.is_some()) {
        let _ = writeln!(
            out,
            "  run {} {}: {}",
            run.id,
            run.status.as_str(),
            run.error.as_deref().unwrap_or_default()
        );
    }
    Ok(out)
}

fn source_row(name: &str, counts: Option<&OfferCounts>, cursor: Option<&Cursor>) -> [String; 6] {
    let cursor = cursor.cloned().unwrap_or_default();
    let last = match (cursor.last_complete_run_id, cursor.last_complete_run_at) {
        (Some(id), Some(at)) => format!("run {id}, {}", instant(at)),
        _ => "never".into(),
    };
    [
        name.to_string(),
        counts.map_or(0, |c| c.open).to_string(),
        counts.map_or(0, |c| c.removed).to_string(),
        cursor.newest_updated_at.map_or("-".into(), instant),
        cursor.newest_created_at.map_or("-".into(), instant),
        last,
    ]
}

fn run_row(run: &RunInfo) -> Vec<String> {
    let sum = |f: fn(&jobharvest_state::RunCounts) -> u64| -> String {
        if run.sources.is_empty() {
            "-".into()
        } else {
            run.sources.iter().map(f).sum::<u64>().to_string()
        }
    };
    vec![
        run.id.to_string(),
        instant(run.started_at),
        run.mode.clone(),
        run.status.as_str().to_string(),
        sum(|c| c.new),
        sum(|c| c.updated),
        sum(|c| c.unchanged),
        sum(|c| c.removed),
    ]
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Writes `rows` as left-aligned columns, indented by two spaces.
fn table<R: AsRef<[String]>>(out: &mut String, rows: &[R]) {
    let width = rows.first().map_or(0, |r| r.as_ref().len());
    let widths: Vec<usize> = (0..width)
        .map(|i| {
            rows.iter()
                .map(|r| r.as_ref()[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .as_ref()
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

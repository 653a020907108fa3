//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Harvest job offers from job-board APIs into CSV, Excel and Parquet.
#[derive(Debug, Parser)]
#[command(
    name = "jobharvest",
    version,
    after_help = "Examples:\n  jobharvest run config/demo.yaml\n  jobharvest run job.yaml -o out/offres.parquet --limit 300\n  jobharvest run job.yaml -o out/offres.parquet -o out/report.html\n  jobharvest report out/offres.parquet -o out/report.html\n  jobharvest validate job.toml\n  jobharvest connectors"
)]
pub struct Cli {
    /// More logs (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr, no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a job spec: fetch from its sources, write to its sinks.
    #[command(
        after_help = "Examples:\n  jobharvest run config/demo.yaml\n  jobharvest run job.yaml --sink csv:out/a.txt -o out/a.parquet\n  jobharvest run job.yaml -o out/a.parquet -o out/report.html\n  jobharvest run job.yaml --limit 150"
    )]
    Run(RunArgs),
    /// Check a job spec without touching the network or writing anything.
    Validate {
        /// The job spec (.yaml, .yml or .toml).
        spec: PathBuf,
    },
    /// List the source and sink types this binary knows.
    Connectors,
    /// Make the report sink's HTML page from a Parquet output or dataset
    /// already written.
    #[command(
        after_help = "Examples:\n  jobharvest report out/offres.parquet -o out/report.html\n  jobharvest report out/offres-dataset --lang en\n\nThe page is the one a `report` sink writes during a run (`-o report.html`), without the run's own figures (requests, retries, run time)."
    )]
    Report(crate::report::ReportArgs),
    /// Boards defined in YAML: list them, check a definition, test one
    /// offline on a saved answer.
    #[command(
        after_help = "Examples:\n  jobharvest boards list\n  jobharvest boards check my-board.yaml\n  jobharvest boards test my-board.yaml --response page.json"
    )]
    Boards(crate::boards::BoardsArgs),
    /// Show a job's state: its sources' cursors and offers (open, removed)
    /// and its last runs.
    #[command(
        after_help = "Examples:\n  jobharvest state daily.yaml\n  jobharvest state daily.yaml --runs 30"
    )]
    State {
        /// The job spec (.yaml, .yml or .toml); its `state:` key (default
        /// `<spec stem>.state.sqlite` next to it) names the state file.
        spec: PathBuf,
        /// How many of the last runs to list.
        #[arg(long, value_name = "N", default_value_t = 10)]
        runs: usize,
    },
    /// Log a user in for sources that act for one (France Travail Connect).
    #[command(
        after_help = "Examples:\n  jobharvest auth login config/france-travail-connect.yaml\n  jobharvest auth callback config/france-travail-connect.yaml 'https://app.example.fr/callback?code=...&state=...'\n  jobharvest auth status config/france-travail-connect.yaml\n  jobharvest auth logout config/france-travail-connect.yaml"
    )]
    Auth(crate::auth::AuthArgs),
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job spec (.yaml, .yml or .toml).
    pub spec: PathBuf,
    /// Write to this sink instead of the spec's (TYPE:PATH, repeatable).
    #[arg(long = "sink", value_name = "TYPE:PATH")]
    pub sinks: Vec<String>,
    /// Write to this file instead of the spec's sinks; the format comes from
    /// the extension (repeatable).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub outputs: Vec<PathBuf>,
    /// Fetch at most this many offers per source.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Show what would be fetched (totals, slices, requests) and stop,
    /// sending only the requests planning needs.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue an interrupted run from its checkpoint instead of starting
    /// over.
    #[arg(long, conflicts_with = "dry_run")]
    pub resume: bool,
    /// full: write everything; incremental: write only new and updated
    /// offers; mirror: write everything and the offers removed since the
    /// last run. Overrides the spec's `mode:`; the last two keep the job's
    /// state (`state:`).
    #[arg(long, value_name = "MODE")]
    pub mode: Option<jobharvest_core::Mode>,
}

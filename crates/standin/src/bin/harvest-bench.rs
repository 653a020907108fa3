//! `harvest-bench`: harvests a whole stand-in end to end and measures it.
//!
//! ```text
//! cargo run --release -p jobharvest-standin --bin harvest-bench -- --offers 12000
//! ```
//!
//! It starts the stand-in (10 requests per second enforced with 429s,
//! 50–300 ms of latency, 3 % of 5xx, tokens that expire every 3 s by
//! default), writes a spec with **no search parameters**, harvests it into
//! Parquet with the real `france_travail` source through the core's runner
//! (or with a `jobharvest` binary, `--binary`), reads the Parquet back and
//! checks that every offer is there exactly once. It prints N, the requests,
//! the 429s, 5xx and tokens, the wall time, the floor (`ceil(N / 150)`
//! requests at the rate limit) and their ratio, and exits non-zero when an
//! offer is missing or doubled.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use arrow_array::Array;
use arrow_array::cast::AsArray;
use clap::Parser;
use jobharvest_core::runner::{Job, RunOptions, Runner};
use jobharvest_core::{Registry, spec};
use jobharvest_standin::{DatePrecision, Limiter, Order, Standin, StandinConfig};

/// Harvest a France Travail stand-in end to end and compare with the
/// rate-limit floor.
#[derive(Debug, Parser)]
struct Args {
    /// How many offers the stand-in holds.
    #[arg(long, default_value_t = 12_000)]
    offers: usize,
    /// Requests per second the stand-in enforces (and the spec's
    /// `rate_limit_per_sec`).
    #[arg(long, default_value_t = 10)]
    rate: u32,
    /// `window` (a sliding second) or `bucket` (a token bucket).
    #[arg(long, default_value = "window")]
    limiter: String,
    /// Shortest latency, in milliseconds.
    #[arg(long, default_value_t = 50)]
    latency_min_ms: u64,
    /// Longest latency, in milliseconds.
    #[arg(long, default_value_t = 300)]
    latency_max_ms: u64,
    /// Share of API answers that are a 5xx.
    #[arg(long, default_value_t = 0.03)]
    error_rate: f64,
    /// Lifetime of an access token, in seconds.
    #[arg(long, default_value_t = 3.0)]
    token_lifetime_secs: f64,
    /// Announce tokens as living this long (default: their real lifetime),
    /// so that they expire unannounced mid-run.
    #[arg(long)]
    token_expires_in_secs: Option<u64>,
    /// Share of the offers created at one shared instant.
    #[arg(long, default_value_t = 0.2)]
    burst_share: f64,
    /// How many shared instants.
    #[arg(long, default_value_t = 1)]
    bursts: u32,
    /// Share of the offers in the big département (75).
    #[arg(long, default_value_t = 0.3)]
    big_share: f64,
    /// Serve results newest first instead of in generation order.
    #[arg(long)]
    newest_first: bool,
    /// Compare date bounds to the second instead of the millisecond.
    #[arg(long)]
    seconds: bool,
    /// Serve slim offers (a few fields) instead of whole ones.
    #[arg(long)]
    slim: bool,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Harvest with this `jobharvest` binary instead of in-process.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Keep the spec and the output in this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print every request the stand-in received.
    #[arg(long)]
    timeline: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match bench(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: Args) -> Result<bool, String> {
    let config = StandinConfig {
        offers: args.offers,
        seed: args.seed,
        burst_share: args.burst_share,
        bursts: args.bursts,
        big_share: args.big_share,
        slim: args.slim,
        order: if args.newest_first {
            Order::NewestFirst
        } else {
            Order::Generated
        },
        date_precision: if args.seconds {
            DatePrecision::Seconds
        } else {
            DatePrecision::Millis
        },
        rate_limit_per_sec: Some(args.rate),
        limiter: match args.limiter.as_str() {
            "bucket" => Limiter::TokenBucket,
            "window" => Limiter::SlidingWindow,
            other => return Err(format!("--limiter {other}: use `window` or `bucket`")),
        },
        latency: (
            Duration::from_millis(args.latency_min_ms),
            Duration::from_millis(args.latency_max_ms),
        ),
        error_rate: args.error_rate,
        token_lifetime: Duration::from_secs_f64(args.token_lifetime_secs),
        token_expires_in: args.token_expires_in_secs.map(Duration::from_secs),
        ..StandinConfig::default()
    };
    let standin = Standin::start(config).await;
    let largest = jobharvest_standin::DEPARTEMENTS
        .iter()
        .map(|d| standin.count(|_, dep, _| dep == Some(d)))
        .max()
        .unwrap_or(0);
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let spec_path = dir.join("bench.yaml");
    let output = dir.join("offers.parquet");
    let _ = std::fs::remove_file(&output);
    let spec = format!(
        "sources:\n  - type: france_travail\n    api_url: {}\n    token_url: {}\n    client_id: bench\n    client_secret: bench-secret\n    rate_limit_per_sec: {}\nsinks:\n  - type: parquet\n    path: offers.parquet\n",
        standin.api_url(),
        standin.token_url(),
        args.rate
    );
    std::fs::write(&spec_path, spec).map_err(|e| e.to_string())?;
    println!(
        "stand-in: {} offers ({} in the largest département), {} req/s ({}), latency {}-{} ms, {:.0} % 5xx, tokens live {} s",
        standin.len(),
        largest,
        args.rate,
        args.limiter,
        args.latency_min_ms,
        args.latency_max_ms,
        args.error_rate * 100.0,
        args.token_lifetime_secs
    );

    let started = Instant::now();
    match &args.binary {
        Some(binary) => {
            let binary = binary
                .canonicalize()
                .map_err(|e| format!("{}: {e}", binary.display()))?;
            let status = std::process::Command::new(&binary)
                .current_dir(&dir)
                .args(["run", "bench.yaml", "--quiet"])
                .status()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            if !status.success() {
                return Err(format!("{} failed: {status}", binary.display()));
            }
        }
        None => {
            let mut registry = Registry::new();
            jobharvest_core::register(&mut registry);
            jobharvest_france_travail::register(&mut registry);
            jobharvest_sink_parquet::register(&mut registry);
            let loaded = spec::load(&spec_path).map_err(|e| e.to_string())?;
            let job = Job {
                sources: loaded
                    .build_sources(&registry, true)
                    .map_err(|e| e.to_string())?,
                sinks: loaded.prepare_sinks(&registry).map_err(|e| e.to_string())?,
                base_dir: loaded.base_dir.clone(),
            };
            Runner::new(job, RunOptions::default())
                .run(std::future::pending())
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    let wall = started.elapsed();

    if args.timeline {
        for r in standin.log() {
            let param = |n: &str| r.param(n).unwrap_or("-").to_string();
            println!(
                "{:>8.3} {} {:>9} {} {} {} {}",
                r.at.as_secs_f64(),
                r.status,
                param("range"),
                param("minCreationDate"),
                param("maxCreationDate"),
                param("departement"),
                param("typeContrat")
            );
        }
    }
    let ids = read_ids(&output)?;
    let unique: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let expected: HashSet<String> = standin.offer_ids().into_iter().collect();
    let missing = expected
        .iter()
        .filter(|id| !unique.contains(id.as_str()))
        .count();
    let doubled = ids.len() - unique.len();
    let c = standin.counters();
    let floor_requests = (args.offers as u64).div_ceil(150);
    let floor = floor_requests as f64 / f64::from(args.rate);
    let ratio = wall.as_secs_f64() / floor;
    let share_429 = c.rate_limited as f64 / c.requests.max(1) as f64 * 100.0;
    println!("N                {}", args.offers);
    println!(
        "rows written     {} ({missing} missing, {doubled} doubled)",
        ids.len()
    );
    println!(
        "requests         {} (search {}, floor {floor_requests})",
        c.requests, c.searches
    );
    println!("429 answers      {} ({share_429:.2} %)", c.rate_limited);
    println!("5xx answers      {}", c.server_errors);
    println!("401 answers      {}", c.unauthorized);
    println!("tokens issued    {}", c.tokens);
    println!("peak req/second  {}", standin.peak_per_second());
    println!("wall             {:.2} s", wall.as_secs_f64());
    println!("floor            {floor:.2} s");
    println!("ratio            {ratio:.3}");
    Ok(missing == 0 && doubled == 0)
}

/// The `source_id` column of a Parquet file.
fn read_ids(path: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ids = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        let column = batch
            .column_by_name("source_id")
            .ok_or("the Parquet file has no source_id column")?;
        let strings = column
            .as_string_opt::<i32>()
            .ok_or("source_id is not a string column")?;
        for i in 0..strings.len() {
            if strings.is_valid(i) {
                ids.push(strings.value(i).to_string());
            }
        }
    }
    Ok(ids)
}

//! `adzuna-standin`: runs the Adzuna stand-in by hand.
//!
//! ```text
//! cargo run -p jobharvest-standin --bin adzuna-standin -- --offers 500 --port 8090
//! ```
//!
//! It prints the `base_url` and the keys to put in a spec, then serves until
//! Ctrl-C and prints its counters.

use std::time::Duration;

use clap::Parser;
use jobharvest_standin::{AdzunaStandin, AdzunaStandinConfig};

/// A local stand-in of Adzuna's search API.
#[derive(Debug, Parser)]
struct Args {
    /// How many offers match every search.
    #[arg(long, default_value_t = 120)]
    offers: usize,
    /// Requests allowed per window before 429s (0: no limit).
    #[arg(long, default_value_t = 25)]
    per_window: u32,
    /// The window, in seconds (Adzuna counts per minute).
    #[arg(long, default_value_t = 60)]
    window_secs: u64,
    /// The application id accepted.
    #[arg(long, default_value = "standin-app")]
    app_id: String,
    /// The application key accepted.
    #[arg(long, default_value = "standin-key")]
    app_key: String,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8090)]
    port: u16,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let standin = AdzunaStandin::start(AdzunaStandinConfig {
        offers: args.offers,
        per_window: (args.per_window > 0).then_some(args.per_window),
        window: Duration::from_secs(args.window_secs.max(1)),
        app_id: args.app_id.clone(),
        app_key: args.app_key.clone(),
        seed: args.seed,
        port: args.port,
    })
    .await;
    println!("Adzuna stand-in with {} offers", standin.offers().len());
    println!("  base_url: {}", standin.base_url());
    println!(
        "  ADZUNA_APP_ID={} ADZUNA_APP_KEY={}",
        args.app_id, args.app_key
    );
    println!("Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    println!("{:?}", standin.counters());
}

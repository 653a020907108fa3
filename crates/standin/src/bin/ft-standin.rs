//! `ft-standin`: runs the France Travail stand-in by hand.
//!
//! ```text
//! cargo run -p jobharvest-standin --bin ft-standin -- --offers 12000 --rate 10 --port 8089
//! ```
//!
//! It prints the `api_url` and `token_url` to put in a spec, then serves
//! until Ctrl-C and prints its counters.

use std::time::Duration;

use clap::Parser;
use jobharvest_standin::{Limiter, Order, Standin, StandinConfig};

/// A local stand-in of France Travail's "Offres d'emploi v2" API.
#[derive(Debug, Parser)]
struct Args {
    /// How many offers to serve.
    #[arg(long, default_value_t = 12_000)]
    offers: usize,
    /// Requests per second enforced with 429 (0: no limit).
    #[arg(long, default_value_t = 10)]
    rate: u32,
    /// `window` (sliding second) or `bucket` (token bucket).
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
    #[arg(long, default_value_t = 3)]
    token_lifetime_secs: u64,
    /// Share of the offers created at one shared instant.
    #[arg(long, default_value_t = 0.2)]
    burst_share: f64,
    /// Share of the offers in département 75.
    #[arg(long, default_value_t = 0.3)]
    big_share: f64,
    /// Serve results newest first instead of in generation order.
    #[arg(long)]
    newest_first: bool,
    /// Serve slim offers (a few fields) instead of whole ones.
    #[arg(long)]
    slim: bool,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8089)]
    port: u16,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = StandinConfig {
        offers: args.offers,
        seed: args.seed,
        burst_share: args.burst_share,
        big_share: args.big_share,
        slim: args.slim,
        order: if args.newest_first {
            Order::NewestFirst
        } else {
            Order::Generated
        },
        rate_limit_per_sec: (args.rate > 0).then_some(args.rate),
        limiter: if args.limiter == "bucket" {
            Limiter::TokenBucket
        } else {
            Limiter::SlidingWindow
        },
        latency: (
            Duration::from_millis(args.latency_min_ms),
            Duration::from_millis(args.latency_max_ms),
        ),
        error_rate: args.error_rate,
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
        port: args.port,
        ..StandinConfig::default()
    };
    let standin = Standin::start(config).await;
    println!("France Travail stand-in with {} offers", standin.len());
    println!("  api_url:   {}", standin.api_url());
    println!("  token_url: {}", standin.token_url());
    println!("Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    println!("{:?}", standin.counters());
}

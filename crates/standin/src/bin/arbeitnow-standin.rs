//! `arbeitnow-standin`: runs the Arbeitnow stand-in by hand.
//!
//! ```text
//! cargo run -p jobharvest-standin --bin arbeitnow-standin -- --pages 3 --port 8091
//! ```
//!
//! It prints the `base_url` to put in a spec, then serves until Ctrl-C.

use clap::Parser;
use jobharvest_standin::{ArbeitnowStandin, ArbeitnowStandinConfig};

/// A local stand-in of Arbeitnow's job board API.
#[derive(Debug, Parser)]
struct Args {
    /// How many pages of offers.
    #[arg(long, default_value_t = 3)]
    pages: usize,
    /// Offers per page.
    #[arg(long, default_value_t = 100)]
    per_page: usize,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8091)]
    port: u16,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let standin = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: args.pages,
        per_page: args.per_page,
        port: args.port,
    })
    .await;
    println!("Arbeitnow stand-in with {} offers", standin.offers().len());
    println!("  base_url: {}", standin.base_url());
    println!("Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    println!("requests: {}", standin.requests());
}

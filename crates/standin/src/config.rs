//! What the stand-in serves and how it behaves.

use std::time::Duration;

/// How the stand-in enforces its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// At most `rate` accepted requests in any sliding second.
    SlidingWindow,
    /// A bucket of `rate` tokens refilled at `rate` per second (Spring Cloud
    /// Gateway's limiter, which the real API's headers point to).
    TokenBucket,
}

/// The order the search returns matching offers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Generation order, unrelated to creation dates.
    Generated,
    /// Newest first (ties by id).
    NewestFirst,
}

/// How `minCreationDate` / `maxCreationDate` compare with creation dates
/// that carry milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePrecision {
    /// To the millisecond: `maxCreationDate=…T10:00:00Z` excludes an offer
    /// created at `10:00:00.445`.
    Millis,
    /// To the second: the milliseconds are ignored.
    Seconds,
}

/// What the stand-in serves and how it behaves. Start from
/// [`StandinConfig::default`] (12,000 offers, no rate limit, no latency, no
/// failure) and change what the test needs.
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// How many offers.
    pub offers: usize,
    /// Seed of every random draw (data, latency, 5xx).
    pub seed: u64,
    /// Offers are created within this span before now (at least two
    /// minutes).
    pub span: Duration,
    /// Share of the offers created at a few shared instants (imports).
    pub burst_share: f64,
    /// How many distinct shared instants.
    pub bursts: u32,
    /// The département that holds `big_share` of the offers.
    pub big_departement: String,
    /// Share of the offers in `big_departement`.
    pub big_share: f64,
    /// Share of the offers with no département (a work place abroad).
    pub no_departement_share: f64,
    /// Serve only a few fields per offer (fast tests) instead of whole
    /// offers.
    pub slim: bool,
    /// The order of search results.
    pub order: Order,
    /// Whether `sort=1` gives newest first (otherwise `sort` is ignored).
    pub honour_sort: bool,
    /// How date bounds compare.
    pub date_precision: DatePrecision,
    /// Requests per second allowed on the API (`None`: unlimited).
    pub rate_limit_per_sec: Option<u32>,
    /// How the rate limit is enforced.
    pub limiter: Limiter,
    /// Each answer takes a latency drawn uniformly in this range.
    pub latency: (Duration, Duration),
    /// Share of API requests answered with a 500, 502 or 503.
    pub error_rate: f64,
    /// How long an access token works.
    pub token_lifetime: Duration,
    /// The `expires_in` announced with a token (`None`: the real lifetime).
    pub token_expires_in: Option<Duration>,
    /// The port to listen on (0: any free port).
    pub port: u16,
}

impl Default for StandinConfig {
    fn default() -> Self {
        StandinConfig {
            offers: 12_000,
            seed: 42,
            span: Duration::from_secs(30 * 86_400),
            burst_share: 0.2,
            bursts: 1,
            big_departement: "75".to_string(),
            big_share: 0.3,
            no_departement_share: 0.0,
            slim: false,
            order: Order::Generated,
            honour_sort: false,
            date_precision: DatePrecision::Millis,
            rate_limit_per_sec: None,
            limiter: Limiter::SlidingWindow,
            latency: (Duration::ZERO, Duration::ZERO),
            error_rate: 0.0,
            token_lifetime: Duration::from_secs(1499),
            token_expires_in: None,
            port: 0,
        }
    }
}

impl StandinConfig {
    /// The benchmark's setting: `offers` whole offers, 10 requests per
    /// second enforced, 50–300 ms of latency, 3 % of 5xx, tokens that live
    /// 3 s.
    pub fn realistic(offers: usize) -> Self {
        StandinConfig {
            offers,
            rate_limit_per_sec: Some(10),
            latency: (Duration::from_millis(50), Duration::from_millis(300)),
            error_rate: 0.03,
            token_lifetime: Duration::from_secs(3),
            ..StandinConfig::default()
        }
    }
}

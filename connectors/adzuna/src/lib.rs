//! Adzuna connector for jobharvest.
//!
//! It harvests job offers from Adzuna's search API
//! (`GET /v1/api/jobs/{country}/search/{page}`, about 20 countries), paged
//! 50 offers at a time, each offer normalized into a
//! [`jobharvest_core::JobRecord`]. Filters are Adzuna's own query parameters
//! (`what`, `where`, `distance`, `max_days_old`, `category`, ...), checked
//! before any request and applied by the server.
//!
//! The key design choice: Adzuna's quotas (25 requests a minute, 250 a day,
//! 1,000 a week by default) are not counted here but in the core's
//! [`jobharvest_core::quota::Quotas`], attached to the source's HTTP client,
//! so every request (retries included) is paced and counted, and the daily
//! and weekly budgets are remembered across runs. The connector only reads
//! what is left after the first page, and refuses to start paging a query
//! the budget cannot finish.
//!
//! Modules:
//! - [`config`]: the spec's keys, their checks, and how the source is built;
//! - [`source`]: paging through the search;
//! - [`normalize`]: raw offer → record (also used by `replay`).

pub mod config;
pub mod normalize;
pub mod source;

use std::sync::Arc;

pub use config::{AdzunaConfig, QuotaConfig};
pub use normalize::AdzunaNormalizer;
pub use source::AdzunaSource;

/// The spec's `type` for this source, and the `source` column's value.
pub const TYPE: &str = "adzuna";

/// Registers the `adzuna` source and its normalizer (for `replay`).
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_source::<AdzunaConfig>();
    registry.register_normalizer(TYPE, Arc::new(AdzunaNormalizer::default()));
}

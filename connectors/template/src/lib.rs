//! The `template` connector for jobharvest.
//!
//! It harvests a board's JSON API that pages with `page`/`per_page` and
//! announces the next page in each answer (`next_page`, null on the last
//! one), authenticating with an API key sent in a header. It is the starting
//! point of a new connector: `connectors/README.md` walks through copying
//! it and changing what differs on your board.
//!
//! The key design choice: the connector only knows its board. Paging is a
//! loop over `next_page`; rate limiting, retries (429 with `Retry-After`,
//! 5xx, timeouts) and counting live in the core's
//! [`jobharvest_core::http::HttpClient`], and filtering, the fingerprint and
//! de-duplication are applied by the core to what the connector emits.
//!
//! Modules:
//! - [`config`]: the spec's keys, checked when the source is built;
//! - [`source`]: paging the board's search;
//! - [`normalize`]: one raw job → [`jobharvest_core::JobRecord`] (also used
//!   by `replay`).

pub mod config;
pub mod normalize;
pub mod source;

use std::sync::Arc;

pub use config::TemplateConfig;
pub use normalize::TemplateNormalizer;
pub use source::TemplateSource;

/// The spec's `type` for this source, and the `source` column's value.
pub const TYPE: &str = "template";

/// Registers the `template` source and its normalizer (for `replay`).
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_source::<TemplateConfig>();
    registry.register_normalizer(TYPE, Arc::new(TemplateNormalizer));
}

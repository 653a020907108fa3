//! Arbeitnow connector for jobharvest.
//!
//! It harvests the offers of Arbeitnow's public job board API
//! (`GET /api/job-board-api?page=N`, no authentication, mostly European
//! and remote jobs), following `links.next` until it is `null`, each offer
//! normalized into a [`jobharvest_core::JobRecord`] with its HTML
//! description turned into plain text.
//!
//! The key design choice: the API filters nothing the spec could ask for,
//! so the connector takes no filter and declares
//! [`jobharvest_core::FilterSupport::Client`]: keyword, place and remote
//! filters are applied by the core after fetching.
//!
//! Modules:
//! - [`config`]: the spec's keys and how the source is built;
//! - [`source`]: following the pages;
//! - [`normalize`]: raw offer → record (also used by `replay`);
//! - [`html`]: HTML description → plain text.

pub mod config;
pub mod html;
pub mod normalize;
pub mod source;

use std::sync::Arc;

pub use config::ArbeitnowConfig;
pub use normalize::ArbeitnowNormalizer;
pub use source::ArbeitnowSource;

/// The spec's `type` for this source, and the `source` column's value.
pub const TYPE: &str = "arbeitnow";

/// Registers the `arbeitnow` source and its normalizer (for `replay`).
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_source::<ArbeitnowConfig>();
    registry.register_normalizer(TYPE, Arc::new(ArbeitnowNormalizer));
}

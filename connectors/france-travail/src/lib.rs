//! France Travail "Offres d'emploi v2" connector for jobharvest.
//!
//! It harvests job offers from France Travail's public API: one OAuth2
//! client-credentials token (shared and renewed by the core's HTTP layer),
//! then `GET /v2/offres/search` paged 150 offers at a time, each offer
//! normalized into a [`jobharvest_core::JobRecord`]. Filters are the API's own
//! parameters, passed through after checks that catch the API's known traps
//! (dates in pairs, keyword limits, postal codes given as communes) before
//! any request is sent.
//!
//! The key design choice: the API serves at most 3,150 offers per query, so
//! a larger query is cut into slices that fit (creation-date windows, then
//! départements, then contract types), each cut informed by the first page
//! of the slice it cuts (which is kept), and every slice is paged
//! concurrently under the one rate limit, with a checkpoint per slice for
//! `--resume`.
//!
//! Modules, OpenDAL-style:
//! - [`config`]: the spec's keys and how the source is built;
//! - [`connect`]: the `auth:` block, France Travail Connect's realms and
//!   endpoints (acting for a user);
//! - [`params`]: checking and writing the search parameters;
//! - [`source`]: fetching and reading one page of the search;
//! - [`slicing`]: cutting a query larger than the API's 3,150-offer window
//!   into slices that fit (creation date, then département, then contract
//!   type);
//! - `harvest`: probing and paging every slice concurrently under the rate
//!   limit, with checkpoints for `--resume` (private);
//! - [`incremental`]: daily sync (the creation window of an incremental
//!   run, the removal check of a mirror run);
//! - [`normalize`] and [`salary`]: raw offer → record (also used by `replay`);
//! - `offer`: the API's offer schema, every field optional (private).

pub mod config;
pub mod connect;
mod harvest;
pub mod incremental;
pub mod normalize;
mod offer;
pub mod params;
pub mod salary;
pub mod slicing;
pub mod source;

use std::sync::Arc;

pub use config::FranceTravailConfig;
pub use normalize::FranceTravailNormalizer;
pub use source::FranceTravailSource;

/// The spec's `type` for this source, and the `source` column's value.
pub const TYPE: &str = "france_travail";

/// Registers the `france_travail` source and its normalizer (for `replay`).
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_source::<FranceTravailConfig>();
    registry.register_normalizer(TYPE, Arc::new(FranceTravailNormalizer));
}

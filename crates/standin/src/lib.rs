//! A local stand-in of France Travail's "Offres d'emploi v2" API, for tests
//! and benchmarks.
//!
//! [`Standin::start`] listens on `127.0.0.1` (a free port unless told) and
//! serves, from generated offers:
//!
//! - `POST /connexion/oauth2/access_token?realm=/partenaire`: client
//!   credentials; tokens expire after [`StandinConfig::token_lifetime`], and
//!   an expired or unknown token gets a 401;
//! - `GET /partenaire/offresdemploi/v2/offres/search`: `range` paging (206,
//!   200, 204, `Content-Range`, the 3,150-offer window, 400 with a JSON
//!   `message` as the API words it), filtered by `minCreationDate` /
//!   `maxCreationDate` (inclusive, both required together), `publieeDepuis`,
//!   `departement` (up to 5) and `typeContrat` (comma lists, OR within a
//!   list); `filtresPossibles` counts contract types over the whole result;
//! - `GET …/v2/referentiel/departements` and `…/typesContrats`.
//! - `GET …/v2/offres/{id}`: the offer (200), or 204 once it is withdrawn.
//!
//! The offers can change between runs, for daily-sync checks:
//! [`Standin::add_offers`], [`Standin::update_offer`] and
//! [`Standin::remove_offer`].
//!
//! The search and the referentiels share one rate limit, enforced the strict
//! way ([`Limiter`]: a sliding one-second window or a token bucket) with 429,
//! `Retry-After` and the `X-Ratelimit-*` headers. Answers take a random
//! latency, a share of them fail with a 5xx, and a test can make chosen
//! requests fail ([`Standin::set_fault`]). Every request is counted
//! ([`Counters`]) and logged ([`Standin::log`]).
//!
//! The offers are the real samples of `tests/fixtures` under fresh ids, with
//! creation dates, départements and contract types drawn from a seeded
//! generator ([`StandinConfig`]): runs are reproducible, and the awkward
//! cases are there on purpose (many offers sharing one instant, one
//! département above the API's window, milliseconds in the dates).
//!
//! [`adzuna`] and [`arbeitnow`] are stand-ins of those two boards' APIs
//! (generated offers, Adzuna's per-minute quota answered with 429).
//!
//! It is built on `wiremock`, which runs the server on its own thread.

pub mod adzuna;
pub mod arbeitnow;
pub mod boards;
mod config;
mod data;
mod listen;
mod server;

pub use adzuna::{AdzunaCounters, AdzunaStandin, AdzunaStandinConfig};
pub use arbeitnow::{ArbeitnowStandin, ArbeitnowStandinConfig};
pub use config::{DatePrecision, Limiter, Order, StandinConfig};
pub use data::{CONTRACT_TYPES, DEPARTEMENTS, api_date_days_ago};
pub use server::{Counters, Fault, LoggedRequest, SearchQuery, Standin};

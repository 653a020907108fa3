//! The state of a jobharvest job, and the change tracking it powers.
//!
//! A job that runs every day keeps one SQLite file (by default
//! `<spec stem>.state.sqlite` next to the spec) that remembers every offer
//! it has seen (by `(source, source_id)`, with a [content hash](content_hash)
//! and when it was first seen, last seen, updated and removed), a cursor per
//! spec source, the quota budgets connectors keep across runs, and the runs
//! themselves.
//!
//! The runner drives it in this order:
//!
//! 1. [`State::open`] the file (checked, migrated, never silently reset),
//!    [`State::lock`] the job (a second run fails naming the first);
//! 2. [`State::begin_run`] gives a [`Tracker`]; ask it for each source's
//!    [`Cursor`] and, in incremental mode, fetch from
//!    [`Cursor::since`]`(`[`DEFAULT_LOOKBACK`]`)`;
//! 3. pass every batch through [`Tracker::classify`] before the sinks: it
//!    sets `change`, `first_seen_at` and `last_seen_at`, and drops unchanged
//!    records in incremental mode;
//! 4. in mirror mode, once the sources are done, confirm each
//!    [`Tracker::unseen`] offer with its board and write the record
//!    [`Tracker::mark_removed`] returns;
//! 5. after every sink has committed, [`Tracker::commit_run`]; on any
//!    failure [`Tracker::abort_run`]. Until the commit, nothing the run saw
//!    reaches the offers or the cursors, so a killed run changes nothing.

mod codec;
mod driven;
mod hash;
mod lock;
mod schema;
mod state;
mod tracker;

pub use hash::{ContentHash, EXCLUDED as HASH_EXCLUDED_COLUMNS, content_hash};
pub use jobharvest_core::Mode;
pub use lock::{JobLock, LockHolder};
pub use schema::latest_version as schema_version;
pub use state::{
    Budget, Cursor, DEFAULT_LOOKBACK, OfferCounts, OfferState, RunCounts, RunInfo, RunStatus, State,
};
pub use tracker::{Classified, OfferKey, RunSummary, Tracker, change};

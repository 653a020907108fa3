//! Report sink for jobharvest: one self-contained HTML page per run.
//!
//! The page shows what an analyst would otherwise compute in a notebook:
//! headline figures, offers per source, per day and per contract type, a
//! map of France by département, salary quartiles, top skills, occupations
//! and employers, remote and alternance shares, and every column's fill
//! rate and distinct count. Its charts are SVG written here, its map
//! outlines are vendored, and its style is inline: it loads nothing, so it
//! opens offline. It also embeds its numbers as JSON
//! (`<script type="application/json" id="report-data">`).
//!
//! The key design choice is that the sink streams like every other: an
//! [`Aggregator`] keeps counters and bounded sketches, never the records,
//! so its memory stays flat whatever the harvest's size. The page is made
//! once, in `finish`. See the crate's README for the options, the sketches'
//! error bounds and the map's licence.

mod aggregate;
mod config;
mod data;
mod html;
mod i18n;
mod map;
mod sketch;
mod svg;
mod writer;

pub use aggregate::Aggregator;
pub use config::{Lang, ReportConfig};
pub use data::{Changes, Quality, ReportData, Run, Shares, SourceLine, Span};
pub use html::{Page, escape, json_for_script, render};
pub use sketch::Summary;
pub use writer::ReportSink;

/// The spec's `type` for this sink.
pub const TYPE: &str = "report";

/// Registers the `report` sink.
pub fn register(registry: &mut jobharvest_core::Registry) {
    registry.register_sink::<ReportConfig>();
}

//! The report's numbers: what the page draws, and what it embeds as
//! `<script type="application/json" id="report-data">` for programs to
//! read. Maps are sorted by key, lists by count, so the same offers give
//! the same JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sketch::Summary;

/// Every number of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ReportData {
    /// The layout of this JSON; raised when a key changes meaning.
    pub version: u32,
    /// The page's language, `fr` or `en`.
    pub lang: String,
    /// Offers: the records written, less the removed offers a mirror run
    /// writes (those are in `changes.removed`).
    pub offers: u64,
    /// Every record the report received.
    pub rows: u64,
    /// The first and last creation date (RFC 3339), when any offer has one.
    pub created: Option<Span>,
    /// Offers per `source` column (the board).
    pub by_source: BTreeMap<String, u64>,
    /// Offers per `contract_type`, the board's own code (`CDI`, `MIS`, ...);
    /// offers without one under `""`.
    pub by_contract_type: BTreeMap<String, u64>,
    /// Offers per `department_code` (`"75"`, `"2A"`, `"971"`); offers
    /// without one are left out (see `without_department`).
    pub by_department: BTreeMap<String, u64>,
    /// Offers without a `department_code`.
    pub without_department: u64,
    /// Offers per creation day (`YYYY-MM-DD`, UTC).
    pub by_day: BTreeMap<String, u64>,
    /// The most frequent skills, most first: `[label, count]`.
    pub top_skills: Vec<(String, u64)>,
    /// The most frequent occupations: `[code, label, count]` (ROME for
    /// France Travail; the label alone when there is no code).
    pub top_occupations: Vec<(String, String, u64)>,
    /// The most frequent employers: `[name, count]`.
    pub top_employers: Vec<(String, u64)>,
    /// The most frequent titles: `[title, count]`.
    pub top_titles: Vec<(String, u64)>,
    /// For each top list, how much a count may be too high: 0 when exact.
    pub top_error: BTreeMap<String, u64>,
    /// `remote`: offers saying yes, no, or nothing.
    pub remote: Shares,
    /// `alternance`: offers saying yes, no, or nothing.
    pub alternance: Shares,
    /// Salaries per `salary_period` (`monthly`, `yearly`, ...), one value
    /// per offer (the middle of its range), in the offer's currency: EUR or
    /// none given; other currencies get their own key (`yearly GBP`).
    pub salary: BTreeMap<String, Summary>,
    /// Salaries in EUR brought to a gross monthly amount (see the README).
    pub salary_monthly: Option<Summary>,
    /// Per column, the share of offers with a value (0..1; a list counts
    /// when not empty).
    pub fill_rate: BTreeMap<String, f64>,
    /// Per column, the offers with a value.
    pub filled: BTreeMap<String, u64>,
    /// Per column, the distinct values (distinct elements for lists).
    pub distinct: BTreeMap<String, u64>,
    /// The columns whose distinct count is a HyperLogLog estimate.
    pub distinct_estimated: Vec<String>,
    /// Data-quality checks the report made: the offers each flagged, and
    /// their sum (the sources' own warnings are in `run`).
    pub quality: Quality,
    /// New, updated, unchanged and removed offers, when the run kept
    /// state (or the records say).
    pub changes: Option<Changes>,
    /// The credit lines the boards' terms ask for (`attribution`), with
    /// their offers.
    pub attributions: BTreeMap<String, u64>,
    /// The run's figures; `None` for a report made from a file.
    pub run: Option<Run>,
    /// Per source of the spec: its offers and status (from the run), or
    /// per board (from a file).
    pub sources: Vec<SourceLine>,
}

/// A span of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The first.
    pub first: String,
    /// The last.
    pub last: String,
}

/// Yes, no and not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Shares {
    /// Offers saying yes.
    pub yes: u64,
    /// Offers saying no.
    pub no: u64,
    /// Offers saying nothing.
    pub unknown: u64,
}

/// The data-quality checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Quality {
    /// Every check's count added up.
    pub warnings: u64,
    /// Per check, the offers it flagged.
    pub checks: BTreeMap<String, u64>,
    /// Département codes that are not French ones, with their offers.
    pub unknown_departments: BTreeMap<String, u64>,
}

/// What changed since the last run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// `full`, `incremental` or `mirror`, when the run said.
    pub mode: Option<&'static str>,
    /// Offers seen for the first time.
    pub new: u64,
    /// Offers changed since they were last seen.
    pub updated: u64,
    /// Offers seen before unchanged (written by mirror runs, counted by
    /// incremental runs).
    pub unchanged: u64,
    /// Offers removed from the board (mirror).
    pub removed: u64,
}

/// The run's figures, summed over its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// Its wall time up to the report, in seconds.
    pub elapsed_secs: f64,
    /// `full`, `incremental` or `mirror`.
    pub mode: &'static str,
    /// HTTP requests.
    pub requests: u64,
    /// Retried requests.
    pub retries: u64,
    /// Answers that were 429.
    pub rate_limited: u64,
    /// Records dropped as the same offer twice, or the same job on another
    /// board.
    pub duplicates: u64,
    /// Records dropped by `filter:`.
    pub filtered: u64,
    /// Records or lines skipped as malformed.
    pub skipped: u64,
    /// Implausible values the sources left out of their columns (kept in
    /// `raw`).
    pub quality_warnings: u64,
}

/// One line of the per-source table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLine {
    /// The spec's name for it (or the board, from a file).
    pub name: String,
    /// Its type (`replay`, `france_travail`, ...).
    pub source_type: String,
    /// Offers it emitted.
    pub offers: u64,
    /// Requests it sent, when known.
    pub requests: Option<u64>,
    /// `ok`, `failed`, or `null` when not known (a file).
    pub status: Option<&'static str>,
    /// Why it failed.
    pub reason: Option<String>,
}

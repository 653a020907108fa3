//! [`Aggregator`]: the report's numbers, gathered one record at a time.
//!
//! It keeps counters and bounded sketches, never the records: exact
//! counts where the domain is small (boards, contract types, départements,
//! days, each capped), space-saving top lists for skills, occupations,
//! employers and titles, quantile sketches for salaries, and a distinct
//! count per column. Its memory is a few megabytes at most, whether it
//! sees a hundred offers or ten million (see `sketch` for the bounds).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use jobharvest_core::{COLUMNS, Cell, JobRecord, RunSummary};

use crate::config::Lang;
use crate::data::{Changes, Quality, ReportData, Run, Shares, SourceLine, Span};
use crate::map;
use crate::sketch::{Counter, Distinct, Quantiles, TopK, hash};

/// Keys kept per top list: counts are exact below this many distinct
/// values, and too high by at most N / 2048 above it.
const TOP_CAPACITY: usize = 2048;
/// Distinct keys kept by the exact counters (boards, contract types,
/// départements); more are counted under "other".
const SMALL_DOMAIN: usize = 1000;
/// Salary periods (and currencies) kept: a handful in practice.
const MAX_PERIODS: usize = 64;
/// Distinct `attribution` texts kept for the credits.
const ATTRIBUTIONS: usize = 50;
/// Distinct days kept: more than 27 years of creation dates.
const MAX_DAYS: usize = 10_000;

/// Hours in a French legal full-time month (35 h × 52 / 12).
const HOURS_PER_MONTH: f64 = 151.67;

/// The data-quality checks, in the order the page lists them.
pub const CHECKS: [&str; 7] = [
    "no_title",
    "salary_min_above_max",
    "salary_without_period",
    "unknown_department",
    "coordinates_out_of_range",
    "created_in_future",
    "updated_before_created",
];

/// The report's numbers so far.
#[derive(Debug, Clone)]
pub struct Aggregator {
    now: DateTime<Utc>,
    rows: u64,
    offers: u64,
    created: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sources: Counter,
    contracts: Counter,
    departments: Counter,
    without_department: u64,
    days: BTreeMap<NaiveDate, u64>,
    days_other: u64,
    skills: TopK,
    occupations: TopK,
    employers: TopK,
    titles: TopK,
    remote: Shares,
    alternance: Shares,
    salary: BTreeMap<String, Quantiles>,
    salary_monthly: Quantiles,
    filled: Vec<u64>,
    distinct: Vec<Distinct>,
    quality: [u64; CHECKS.len()],
    unknown_departments: Counter,
    changes: Counter,
    attributions: Counter,
}

impl Default for Aggregator {
    fn default() -> Self {
        Aggregator::new(Utc::now())
    }
}

impl Aggregator {
    /// An empty report made at `now` (dates after it are flagged as in the
    /// future).
    pub fn new(now: DateTime<Utc>) -> Self {
        Aggregator {
            now,
            rows: 0,
            offers: 0,
            created: None,
            sources: Counter::new(SMALL_DOMAIN),
            contracts: Counter::new(SMALL_DOMAIN),
            departments: Counter::new(SMALL_DOMAIN),
            without_department: 0,
            days: BTreeMap::new(),
            days_other: 0,
            skills: TopK::new(TOP_CAPACITY),
            occupations: TopK::new(TOP_CAPACITY),
            employers: TopK::new(TOP_CAPACITY),
            titles: TopK::new(TOP_CAPACITY),
            remote: Shares::default(),
            alternance: Shares::default(),
            salary: BTreeMap::new(),
            salary_monthly: Quantiles::default(),
            filled: vec![0; COLUMNS.len()],
            distinct: vec![Distinct::default(); COLUMNS.len()],
            quality: [0; CHECKS.len()],
            unknown_departments: Counter::new(SMALL_DOMAIN),
            changes: Counter::new(16),
            attributions: Counter::new(ATTRIBUTIONS),
        }
    }

    /// Counts every record of `batch`.
    ///
    /// Column by column: each column's distinct-value set stays in the
    /// cache while the batch goes through it, instead of all 66 sets being
    /// visited for every record.
    pub fn add_all(&mut self, batch: &[JobRecord]) {
        let offers: Vec<&JobRecord> = batch.iter().filter(|r| !is_removed(r)).collect();
        for (i, (filled, distinct)) in self.filled.iter_mut().zip(&mut self.distinct).enumerate() {
            for r in &offers {
                count_cell(r.cell(i), filled, distinct);
            }
        }
        for r in batch {
            self.add_rest(r);
        }
    }

    /// Counts one record.
    pub fn add(&mut self, r: &JobRecord) {
        self.add_all(std::slice::from_ref(r));
    }

    /// Everything but the columns' fill and distinct counts.
    fn add_rest(&mut self, r: &JobRecord) {
        self.rows += 1;
        if let Some(change) = r.change.as_deref() {
            self.changes.add(change);
            // A mirror's removed offers are not among the offers.
            if change == "removed" {
                return;
            }
        }
        self.offers += 1;
        self.sources.add(&r.source);
        if let Some(a) = r.attribution.as_deref() {
            self.attributions.add(a);
        }
        self.contracts.add(r.contract_type.as_deref().unwrap_or(""));
        match r.department_code.as_deref() {
            Some(code) => {
                self.departments.add(code);
                if !map::is_known(code) {
                    self.unknown_departments.add(code);
                    self.flag("unknown_department");
                }
            }
            None => self.without_department += 1,
        }
        if let Some(t) = r.created_at {
            self.created = Some(match self.created {
                None => (t, t),
                Some((a, b)) => (a.min(t), b.max(t)),
            });
            let day = t.date_naive();
            let room = self.days.len() < MAX_DAYS;
            match self.days.get_mut(&day) {
                Some(n) => *n += 1,
                None if room => {
                    self.days.insert(day, 1);
                }
                None => self.days_other += 1,
            }
        }
        for skill in &r.skills {
            self.skills.add(skill);
        }
        match (&r.occupation_code, &r.occupation_label) {
            (Some(code), label) => self.occupations.add_labeled(code, label.as_deref()),
            (None, Some(label)) => self.occupations.add(label),
            (None, None) => {}
        }
        if let Some(name) = r.company_name.as_deref().map(str::trim)
            && !name.is_empty()
        {
            self.employers.add(name);
        }
        if let Some(title) = r.title.as_deref().map(str::trim)
            && !title.is_empty()
        {
            self.titles.add(title);
        }
        share(&mut self.remote, r.remote);
        share(&mut self.alternance, r.alternance);
        self.salary(r);
        self.checks(r);
    }

    fn salary(&mut self, r: &JobRecord) {
        let value = match (r.salary_min, r.salary_max) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            (Some(v), None) | (None, Some(v)) => v,
            (None, None) => return,
        };
        let Some(period) = r.salary_period.as_deref() else {
            self.flag("salary_without_period");
            return;
        };
        let currency = r.salary_currency.as_deref().filter(|c| *c != "EUR");
        let key: Cow<'_, str> = match currency {
            Some(c) => format!("{period} {c}").into(),
            None => period.into(),
        };
        if let Some(q) = self.salary.get_mut(key.as_ref()) {
            q.add(value);
        } else if self.salary.len() < MAX_PERIODS {
            let mut q = Quantiles::default();
            q.add(value);
            self.salary.insert(key.into_owned(), q);
        }
        if currency.is_none()
            && let Some(monthly) = monthly(period, value)
        {
            self.salary_monthly.add(monthly);
        }
    }

    fn checks(&mut self, r: &JobRecord) {
        if r.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            self.flag("no_title");
        }
        if let (Some(a), Some(b)) = (r.salary_min, r.salary_max)
            && a > b
        {
            self.flag("salary_min_above_max");
        }
        let lat_ok = r.latitude.is_none_or(|v| (-90.0..=90.0).contains(&v));
        let lon_ok = r.longitude.is_none_or(|v| (-180.0..=180.0).contains(&v));
        if !lat_ok || !lon_ok {
            self.flag("coordinates_out_of_range");
        }
        if r.created_at
            .is_some_and(|t| t > self.now + TimeDelta::days(1))
        {
            self.flag("created_in_future");
        }
        if let (Some(c), Some(u)) = (r.created_at, r.updated_at)
            && u < c
        {
            self.flag("updated_before_created");
        }
    }

    fn flag(&mut self, check: &str) {
        if let Some(i) = CHECKS.iter().position(|c| *c == check) {
            self.quality[i] += 1;
        }
    }

    /// The numbers, with the run's figures when a run sent them.
    pub fn finish(&self, lang: Lang, run: Option<&RunSummary>) -> ReportData {
        let map = |c: &Counter| -> BTreeMap<String, u64> {
            let mut m: BTreeMap<String, u64> =
                c.sorted().into_iter().map(|(k, n)| (k.into(), n)).collect();
            if c.other() > 0 {
                m.insert("(other)".into(), c.other());
            }
            m
        };
        let pairs = |t: &TopK, n: usize| -> Vec<(String, u64)> {
            t.top(n)
                .into_iter()
                .map(|(k, _, c)| (k.to_string(), c))
                .collect()
        };
        let top = TOP_LIST;
        let mut quality = Quality::default();
        for (check, &n) in CHECKS.iter().zip(&self.quality) {
            quality.checks.insert((*check).to_string(), n);
            quality.warnings += n;
        }
        quality.unknown_departments = map(&self.unknown_departments);
        let changes = self.changes(run);
        ReportData {
            version: 1,
            lang: lang.as_str().into(),
            offers: self.offers,
            rows: self.rows,
            created: self.created.map(|(a, b)| Span {
                first: a.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                last: b.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            by_source: map(&self.sources),
            by_contract_type: map(&self.contracts),
            by_department: map(&self.departments),
            without_department: self.without_department,
            by_day: self
                .days
                .iter()
                .map(|(d, &n)| (d.to_string(), n))
                .chain((self.days_other > 0).then(|| ("(other)".to_string(), self.days_other)))
                .collect(),
            top_skills: pairs(&self.skills, top),
            top_occupations: self
                .occupations
                .top(top)
                .into_iter()
                .map(|(k, label, c)| match label {
                    Some(l) => (k.to_string(), l.to_string(), c),
                    None => (String::new(), k.to_string(), c),
                })
                .collect(),
            top_employers: pairs(&self.employers, top),
            top_titles: pairs(&self.titles, top),
            top_error: [
                ("skills", &self.skills),
                ("occupations", &self.occupations),
                ("employers", &self.employers),
                ("titles", &self.titles),
            ]
            .into_iter()
            .map(|(k, t)| (k.to_string(), t.max_error()))
            .collect(),
            remote: self.remote,
            alternance: self.alternance,
            salary: self
                .salary
                .iter()
                .filter_map(|(k, q)| Some((k.clone(), q.summary()?)))
                .collect(),
            salary_monthly: self.salary_monthly.summary(),
            fill_rate: COLUMNS
                .iter()
                .zip(&self.filled)
                .filter(|_| self.offers > 0)
                .map(|(c, &n)| (c.name.to_string(), n as f64 / self.offers as f64))
                .collect(),
            filled: COLUMNS
                .iter()
                .zip(&self.filled)
                .map(|(c, &n)| (c.name.to_string(), n))
                .collect(),
            distinct: COLUMNS
                .iter()
                .zip(&self.distinct)
                .map(|(c, d)| (c.name.to_string(), d.count()))
                .collect(),
            distinct_estimated: COLUMNS
                .iter()
                .zip(&self.distinct)
                .filter(|(_, d)| !d.is_exact())
                .map(|(c, _)| c.name.to_string())
                .collect(),
            quality,
            changes,
            attributions: self
                .attributions
                .sorted()
                .into_iter()
                .map(|(k, n)| (k.to_string(), n))
                .collect(),
            run: run.map(run_figures),
            sources: self.source_lines(run),
        }
    }

    fn changes(&self, run: Option<&RunSummary>) -> Option<Changes> {
        let mode = run.map(|r| r.mode);
        let stateful = mode.is_some_and(|m| m != jobharvest_core::Mode::Full);
        if !stateful && self.changes.total() == 0 {
            return None;
        }
        let unchanged = match mode {
            // Incremental runs count them and do not write them.
            Some(jobharvest_core::Mode::Incremental) => {
                run.map_or(0, |r| r.sources.iter().map(|s| s.unchanged).sum())
            }
            // Mirror runs write them with no `change`.
            _ => self.rows - self.changes.total(),
        };
        Some(Changes {
            mode: mode.map(jobharvest_core::Mode::as_str),
            new: self.changes.get("new"),
            updated: self.changes.get("updated"),
            unchanged,
            removed: self.changes.get("removed"),
        })
    }

    fn source_lines(&self, run: Option<&RunSummary>) -> Vec<SourceLine> {
        match run {
            Some(run) => run
                .sources
                .iter()
                .map(|s| SourceLine {
                    name: s.name.clone(),
                    source_type: s.type_name.clone(),
                    offers: s.offers,
                    requests: Some(s.requests),
                    status: Some(if s.failed.is_some() { "failed" } else { "ok" }),
                    reason: s.failed.clone(),
                })
                .collect(),
            None => self
                .sources
                .sorted()
                .into_iter()
                .map(|(board, n)| SourceLine {
                    name: board.to_string(),
                    source_type: board.to_string(),
                    offers: n,
                    requests: None,
                    status: None,
                    reason: None,
                })
                .collect(),
        }
    }
}

/// How many entries each top list keeps for the page: the page shows
/// `top` of them, the JSON as many.
const TOP_LIST: usize = 100;

/// Whether `r` is a removed offer a mirror run writes: counted under
/// `changes.removed` only.
fn is_removed(r: &JobRecord) -> bool {
    r.change.as_deref() == Some("removed")
}

/// Counts one cell in its column's fill and distinct counts.
fn count_cell(cell: Cell<'_>, filled: &mut u64, distinct: &mut Distinct) {
    match cell {
        Cell::Null => {}
        Cell::Text(s) => {
            *filled += 1;
            distinct.add(text_hash(s.as_bytes()));
        }
        Cell::Float(f) => {
            *filled += 1;
            // -0.0 and 0.0 are the same value.
            distinct.add(hash(&(f + 0.0).to_bits().to_le_bytes()));
        }
        Cell::Int(n) => {
            *filled += 1;
            distinct.add(hash(&n.to_le_bytes()));
        }
        Cell::Bool(b) => {
            *filled += 1;
            distinct.add(hash(&[u8::from(b)]));
        }
        Cell::Timestamp(t) => {
            *filled += 1;
            distinct.add(hash(&t.timestamp_micros().to_le_bytes()));
        }
        Cell::List(items) => {
            if !items.is_empty() {
                *filled += 1;
            }
            for item in items {
                distinct.add(hash(item.as_bytes()));
            }
        }
    }
}

/// Bytes of a long text that its distinct count reads: its head and its
/// tail, with its length.
const TEXT_ENDS: usize = 128;

/// The hash of a cell's text for its column's distinct count. A text over
/// 2 × [`TEXT_ENDS`] bytes (a description) is told apart by its length and
/// its first and last [`TEXT_ENDS`] bytes: two descriptions that differ
/// only in the middle and not in length count as one. Hashing whole
/// descriptions was most of the sink's time.
fn text_hash(text: &[u8]) -> u64 {
    if text.len() <= 2 * TEXT_ENDS {
        return hash(text);
    }
    let mut ends = [0u8; 2 * TEXT_ENDS + 8];
    ends[..TEXT_ENDS].copy_from_slice(&text[..TEXT_ENDS]);
    ends[TEXT_ENDS..2 * TEXT_ENDS].copy_from_slice(&text[text.len() - TEXT_ENDS..]);
    ends[2 * TEXT_ENDS..].copy_from_slice(&(text.len() as u64).to_le_bytes());
    hash(&ends)
}

fn share(s: &mut Shares, value: Option<bool>) {
    match value {
        Some(true) => s.yes += 1,
        Some(false) => s.no += 1,
        None => s.unknown += 1,
    }
}

/// `value` per `period` as a gross monthly amount, where the period
/// allows: daily rates (freelance days, a varying number a month) and
/// unknown periods do not.
fn monthly(period: &str, value: f64) -> Option<f64> {
    match period {
        "monthly" => Some(value),
        "yearly" => Some(value / 12.0),
        "weekly" => Some(value * 52.0 / 12.0),
        "hourly" => Some(value * HOURS_PER_MONTH),
        _ => None,
    }
}

fn run_figures(run: &RunSummary) -> Run {
    let sum = |f: fn(&jobharvest_core::SourceRun) -> u64| run.sources.iter().map(f).sum();
    Run {
        started_at: run
            .started_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        elapsed_secs: (run.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        mode: run.mode.as_str(),
        requests: sum(|s| s.requests),
        retries: sum(|s| s.retries),
        rate_limited: sum(|s| s.rate_limited),
        duplicates: sum(|s| s.duplicates + s.same_job),
        filtered: sum(|s| s.filtered),
        skipped: sum(|s| s.skipped),
        quality_warnings: sum(|s| s.quality_warnings),
    }
}

//! Request quotas with several windows at once: some pace, some are budgets.
//!
//! Boards such as Adzuna allow so many requests per minute, per day and per
//! week, all at the same time. A [`Quotas`] holds every window of one
//! account and is attached to the source's [`crate::http::HttpClient`]
//! ([`crate::http::HttpClient::with_quota`]), so that every request the
//! client sends (retries included) is counted, whatever the connector does.
//!
//! - A **paced window** ([`Quotas::pace`]: at most `limit` requests in any
//!   `span`) makes a request *wait* until the window has room. It keeps the
//!   instants the last `limit` requests left at and holds a request back
//!   until the oldest of them is a `span` (and a small margin) old: a
//!   sliding log, exact for a server that counts in a sliding window.
//!   governor's GCRA is not used here: with a burst of `limit` it lets up
//!   to `2 × limit - 1` requests through in the first `span`, which a
//!   server counting per minute answers with 429; and its clock is not
//!   tokio's, so tests could not run a minute in a paused clock.
//! - A **budget** ([`Quotas::budget`]: at most `limit` requests per UTC day
//!   or week) *fails* a request that would exceed it, with a message saying
//!   how many requests are left and when the budget resets. Budgets are
//!   counted in a [`BudgetStore`], so that what a run spent is remembered by
//!   the next one ([`JsonBudgetStore`] keeps them in a small JSON file).
//!
//! Days start at 00:00 UTC and weeks on Monday 00:00 UTC.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, Utc};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::debug;

use crate::error::{Error, ErrorKind, Result};

/// The calendar period of a budget, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// From 00:00 UTC to the next 00:00 UTC.
    Day,
    /// From Monday 00:00 UTC to the next Monday 00:00 UTC.
    Week,
}

impl Period {
    /// `"day"` or `"week"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    fn adjective(self) -> &'static str {
        match self {
            Period::Day => "daily",
            Period::Week => "weekly",
        }
    }

    /// When the period holding `now` started.
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        match self {
            Period::Day => midnight,
            Period::Week => {
                let back = u64::from(now.weekday().num_days_from_monday());
                midnight
                    .checked_sub_days(Days::new(back))
                    .unwrap_or(midnight)
            }
        }
    }

    /// When the period that started at `start` ends (the next one starts).
    pub fn end(self, start: DateTime<Utc>) -> DateTime<Utc> {
        let days = match self {
            Period::Day => 1,
            Period::Week => 7,
        };
        start.checked_add_days(Days::new(days)).unwrap_or(start)
    }
}

/// Where budgets are counted, so that a run knows what earlier runs spent.
///
/// Keys name one budget of one account (`adzuna/<app_id>/day`). A stored
/// count belongs to the period that started at `period_start`; asking about
/// a later period finds nothing spent yet. Implementations must make
/// [`BudgetStore::spend`] atomic within the process.
pub trait BudgetStore: Send + Sync + fmt::Debug {
    /// Requests already spent under `key` in the period starting at
    /// `period_start`.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn spent(&self, key: &str, period_start: DateTime<Utc>) -> Result<u64>;

    /// Adds `n` requests to `key` in the period starting at `period_start`
    /// and returns the new count.
    ///
    /// # Errors
    /// When the store cannot be written.
    fn spend(&self, key: &str, period_start: DateTime<Utc>, n: u64) -> Result<u64>;
}

/// A budget store in memory: what a run spends is forgotten when it ends.
#[derive(Debug, Default)]
pub struct MemoryBudgetStore(Mutex<BTreeMap<String, Usage>>);

/// What was spent under one key, and in which period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Usage {
    period_start: DateTime<Utc>,
    spent: u64,
}

fn spent_in(usage: Option<&Usage>, period_start: DateTime<Utc>) -> u64 {
    usage
        .filter(|u| u.period_start == period_start)
        .map_or(0, |u| u.spent)
}

impl BudgetStore for MemoryBudgetStore {
    fn spent(&self, key: &str, period_start: DateTime<Utc>) -> Result<u64> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(spent_in(map.get(key), period_start))
    }

    fn spend(&self, key: &str, period_start: DateTime<Utc>, n: u64) -> Result<u64> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let spent = spent_in(map.get(key), period_start) + n;
        map.insert(
            key.to_string(),
            Usage {
                period_start,
                spent,
            },
        );
        Ok(spent)
    }
}

/// A budget store in a JSON file, rewritten atomically (a temporary file
/// renamed into place) after every request counted.
///
/// The file maps each key to its period and count:
/// `{"budgets": {"adzuna/app/day": {"period_start": "...", "spent": 12}}}`.
/// Another process spending under the same key between a read and a write
/// can be missed; runs of one account should not overlap.
#[derive(Debug)]
pub struct JsonBudgetStore {
    path: PathBuf,
    lock: Mutex<()>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct BudgetFile {
    #[serde(default)]
    budgets: BTreeMap<String, Usage>,
}

impl JsonBudgetStore {
    /// A store in `path` (created, with its folder, on the first spend).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonBudgetStore {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    /// The file the budgets are kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BudgetFile> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BudgetFile::default()),
            Err(e) => return Err(Error::io("read the request budget file", &self.path, e)),
        };
        serde_json::from_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!(
                    "the request budget file `{}` is not valid ({e}); delete it to start counting afresh, or point `budget_file` elsewhere",
                    self.path.display()
                ),
            )
        })
    }

    fn write(&self, file: &BudgetFile) -> Result<()> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io("create the folder of", &self.path, e))?;
        let text = serde_json::to_vec_pretty(file).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("could not encode the request budgets: {e}"),
            )
        })?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)
            .map_err(|e| Error::io("create a temporary file next to", &self.path, e))?;
        tmp.write_all(&text)
            .map_err(|e| Error::io("write the request budget file", &self.path, e))?;
        tmp.persist(&self.path)
            .map_err(|e| Error::io("replace the request budget file", &self.path, e.error))?;
        Ok(())
    }
}

impl BudgetStore for JsonBudgetStore {
    fn spent(&self, key: &str, period_start: DateTime<Utc>) -> Result<u64> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(spent_in(self.read()?.budgets.get(key), period_start))
    }

    fn spend(&self, key: &str, period_start: DateTime<Utc>, n: u64) -> Result<u64> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = self.read()?;
        let spent = spent_in(file.budgets.get(key), period_start) + n;
        file.budgets.insert(
            key.to_string(),
            Usage {
                period_start,
                spent,
            },
        );
        self.write(&file)?;
        Ok(spent)
    }
}

/// Where budgets are kept by default: `jobharvest/budgets.json` in the
/// user's data folder (`$XDG_DATA_HOME`, `~/.local/share`, or `%APPDATA%`),
/// else `.jobharvest-budgets.json` in `fallback_dir` (the spec's folder).
pub fn default_budget_file(fallback_dir: &Path) -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let data_dir = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .or_else(|| var("APPDATA").map(PathBuf::from));
    match data_dir {
        Some(dir) => dir.join("jobharvest").join("budgets.json"),
        None => fallback_dir.join(".jobharvest-budgets.json"),
    }
}

/// A paced window: the instants the last `limit` requests left at.
#[derive(Debug)]
struct Pace {
    limit: usize,
    span: Duration,
    sent: VecDeque<Instant>,
}

impl Pace {
    /// The extra wait past `span`, for the jitter between the instant a
    /// request takes its place and the instant the server counts it (a
    /// connection to open, a busy thread): a fiftieth of the span, at
    /// least 100 ms and at most a second.
    fn margin(&self) -> Duration {
        (self.span / 50).clamp(Duration::from_millis(100), Duration::from_secs(1))
    }

    /// When the window has room for one more request.
    fn free_at(&self) -> Option<Instant> {
        (self.sent.len() >= self.limit)
            .then(|| self.sent[self.sent.len() - self.limit] + self.span + self.margin())
    }

    fn take(&mut self, now: Instant) {
        self.sent.push_back(now);
        while self.sent.len() > self.limit {
            self.sent.pop_front();
        }
    }
}

/// A budget: at most `limit` requests per `period`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    limit: u64,
    period: Period,
}

/// What is left of one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BudgetLeft {
    /// The budget's period.
    pub period: Period,
    /// Requests allowed per period.
    pub limit: u64,
    /// Requests still allowed in the current period.
    pub left: u64,
    /// When the budget resets (the next period starts).
    pub resets_at: DateTime<Utc>,
}

impl fmt::Display for BudgetLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of the {} budget of {} requests left; it resets at {} (in {})",
            self.left,
            self.period.adjective(),
            self.limit,
            self.resets_at.format("%Y-%m-%d %H:%M UTC"),
            human_duration(self.resets_at - Utc::now()),
        )
    }
}

fn human_duration(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (days, h, _) => format!("{days} d {h} h"),
    }
}

/// Every quota window of one account: paced windows and budgets.
///
/// Build one per account and source run, attach it to the source's
/// [`crate::http::HttpClient`], and every request waits for the paced
/// windows and is counted against the budgets.
pub struct Quotas {
    key: String,
    paces: Mutex<Vec<Pace>>,
    budgets: Vec<Budget>,
    store: Arc<dyn BudgetStore>,
    hint: String,
    /// Held while budgets are checked and spent, so that concurrent
    /// requests cannot both take the last request of a budget.
    spending: Mutex<()>,
}

impl fmt::Debug for Quotas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paces: Vec<_> = self
            .lock_paces()
            .iter()
            .map(|p| (p.limit, p.span))
            .collect();
        f.debug_struct("Quotas")
            .field("key", &self.key)
            .field("paces", &paces)
            .field("budgets", &self.budgets)
            .field("store", &self.store)
            .finish()
    }
}

impl Quotas {
    /// No window yet; budgets are kept in memory until
    /// [`Quotas::with_store`]. `key` names the account in the store and must
    /// not hold a secret (use the public id, not the key).
    pub fn new(key: impl Into<String>) -> Self {
        Quotas {
            key: key.into(),
            paces: Mutex::new(Vec::new()),
            budgets: Vec::new(),
            store: Arc::new(MemoryBudgetStore::default()),
            hint: "narrow the query or lower `--limit`".to_string(),
            spending: Mutex::new(()),
        }
    }

    /// Adds a paced window: at most `limit` requests in any `span`; a
    /// request waits until the window has room. A zero `limit` or `span`
    /// adds nothing.
    pub fn pace(self, limit: u32, span: Duration) -> Self {
        if limit > 0 && !span.is_zero() {
            self.lock_paces().push(Pace {
                limit: limit as usize,
                span,
                sent: VecDeque::with_capacity(limit as usize + 1),
            });
        }
        self
    }

    /// Adds a budget: at most `limit` requests per `period`; a request that
    /// would exceed it fails.
    pub fn budget(mut self, limit: u64, period: Period) -> Self {
        self.budgets.push(Budget { limit, period });
        self
    }

    /// The quotas of this key and `scope` already in use in the process, or
    /// these, registered for the sources that come after.
    ///
    /// Two sources of one account in a job (two Adzuna queries with the same
    /// app id) must share one minute and one budget, or together they would
    /// send twice the quota. The first source's windows win; the others'
    /// are dropped. `scope` tells apart accounts of the same key that must
    /// not share (kept in different budget files, say).
    pub fn shared(self, scope: &str) -> Arc<Quotas> {
        static LIVE: Mutex<BTreeMap<String, std::sync::Weak<Quotas>>> = Mutex::new(BTreeMap::new());
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, q| q.strong_count() > 0);
        let id = format!("{}\u{0}{scope}", self.key);
        if let Some(existing) = live.get(&id).and_then(std::sync::Weak::upgrade) {
            return existing;
        }
        let quotas = Arc::new(self);
        live.insert(id, Arc::downgrade(&quotas));
        quotas
    }

    /// Counts budgets in `store` (shared with earlier and later runs).
    pub fn with_store(mut self, store: Arc<dyn BudgetStore>) -> Self {
        self.store = store;
        self
    }

    /// What the exhausted-budget message advises besides waiting
    /// (default: "narrow the query or lower `--limit`").
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    fn store_key(&self, period: Period) -> String {
        format!("{}/{}", self.key, period.as_str())
    }

    /// What is left of each budget now.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn left(&self) -> Result<Vec<BudgetLeft>> {
        let now = Utc::now();
        self.budgets
            .iter()
            .map(|b| {
                let start = b.period.start(now);
                let spent = self.store.spent(&self.store_key(b.period), start)?;
                Ok(BudgetLeft {
                    period: b.period,
                    limit: b.limit,
                    left: b.limit.saturating_sub(spent),
                    resets_at: b.period.end(start),
                })
            })
            .collect()
    }

    /// The budget with the fewest requests left, if there is a budget.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn tightest(&self) -> Result<Option<BudgetLeft>> {
        Ok(self.left()?.into_iter().min_by_key(|b| b.left))
    }

    /// The error of a run that needs more requests than a budget has left.
    pub fn exhausted(&self, left: &BudgetLeft, needed: Option<u64>) -> Error {
        let need = match needed {
            Some(n) => format!("needs {n} more requests, but only "),
            None => String::new(),
        };
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "{}: the request budget would be exceeded: {need}{left}. Run again after the reset, or {}",
                self.key, self.hint
            ),
        )
        .set_temporary(false)
        .with_context("budget", self.store_key(left.period))
    }

    fn lock_paces(&self) -> std::sync::MutexGuard<'_, Vec<Pace>> {
        self.paces.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until every paced window has room, then counts one request
    /// against every budget.
    ///
    /// # Errors
    /// A permanent [`ErrorKind::RateLimited`] error when a budget is spent,
    /// saying how much is left and when it resets (nothing is counted
    /// then); an I/O error when the store fails.
    pub async fn acquire(&self) -> Result<()> {
        loop {
            let wait_until = {
                let mut paces = self.lock_paces();
                let now = Instant::now();
                match paces.iter().filter_map(Pace::free_at).max() {
                    Some(at) if at > now => Some((now, at)),
                    _ => {
                        for pace in paces.iter_mut() {
                            pace.take(now);
                        }
                        None
                    }
                }
            };
            match wait_until {
                None => break,
                Some((now, at)) => {
                    debug!(
                        key = %self.key,
                        wait_ms = (at - now).as_millis() as u64,
                        "Waiting for the request quota."
                    );
                    tokio::time::sleep_until(at).await;
                }
            }
        }
        self.spend_budgets()
    }

    fn spend_budgets(&self) -> Result<()> {
        if self.budgets.is_empty() {
            return Ok(());
        }
        let _guard = self.spending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(spent) = self.left()?.into_iter().find(|b| b.left == 0) {
            return Err(self.exhausted(&spent, None));
        }
        let now = Utc::now();
        for b in &self.budgets {
            self.store
                .spend(&self.store_key(b.period), b.period.start(now), 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn days_and_weeks_start_at_midnight_utc_on_monday() {
        // 2026-11-26 is a Thursday.
        let now = at(2026, 11, 26, 15);
        assert_eq!(Period::Day.start(now), at(2026, 11, 26, 0));
        assert_eq!(Period::Week.start(now), at(2026, 11, 23, 0));
        assert_eq!(Period::Day.end(at(2026, 11, 26, 0)), at(2026, 11, 27, 0));
        assert_eq!(Period::Week.end(at(2026, 11, 23, 0)), at(2026, 11, 30, 0));
        assert_eq!(Period::Week.start(at(2026, 11, 23, 0)), at(2026, 11, 23, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn thirty_requests_in_a_25_per_minute_window_take_a_minute() {
        let quotas = Quotas::new("t").pace(25, Duration::from_secs(60));
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..30 {
            quotas.acquire().await.unwrap();
            sent.push(Instant::now() - start);
        }
        assert!(sent[24] < Duration::from_secs(1), "{:?}", sent[24]);
        assert!(sent[25] >= Duration::from_secs(60), "{:?}", sent[25]);
        for i in 25..30 {
            assert!(
                sent[i] - sent[i - 25] >= Duration::from_secs(60),
                "request {i} left {:?} after request {}",
                sent[i] - sent[i - 25],
                i - 25
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_the_window() {
        let quotas = Arc::new(Quotas::new("t").pace(5, Duration::from_secs(10)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let q = Arc::clone(&quotas);
                tokio::spawn(async move {
                    q.acquire().await.unwrap();
                    Instant::now() - start
                })
            })
            .collect();
        let mut sent = Vec::new();
        for t in tasks {
            sent.push(t.await.unwrap());
        }
        sent.sort();
        for i in 5..12 {
            assert!(sent[i] - sent[i - 5] >= Duration::from_secs(10), "{sent:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sources_of_one_account_share_its_windows() {
        let make = || {
            Quotas::new("shared/app")
                .pace(2, Duration::from_secs(10))
                .shared("file")
        };
        let (a, b) = (make(), make());
        assert!(Arc::ptr_eq(&a, &b));
        let other = Quotas::new("shared/other").shared("file");
        assert!(!Arc::ptr_eq(&a, &other));
        let elsewhere = Quotas::new("shared/app").shared("other file");
        assert!(!Arc::ptr_eq(&a, &elsewhere));
        let start = Instant::now();
        a.acquire().await.unwrap();
        b.acquire().await.unwrap();
        a.acquire().await.unwrap();
        assert!(Instant::now() - start >= Duration::from_secs(10));
        drop((a, b));
        let fresh = make();
        let before = Instant::now();
        fresh.acquire().await.unwrap();
        fresh.acquire().await.unwrap();
        assert_eq!(Instant::now(), before, "a new run starts afresh");
    }

    #[tokio::test]
    async fn a_spent_budget_fails_saying_what_is_left_and_when() {
        let quotas = Quotas::new("board/app")
            .budget(3, Period::Day)
            .budget(100, Period::Week)
            .with_hint("raise `quota.per_day`");
        for _ in 0..3 {
            quotas.acquire().await.unwrap();
        }
        let err = quotas.acquire().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(!err.is_temporary(), "retrying cannot help");
        let msg = err.to_string();
        assert!(
            msg.contains("0 of the daily budget of 3 requests left"),
            "{msg}"
        );
        let tomorrow = Period::Day.end(Period::Day.start(Utc::now()));
        assert!(
            msg.contains(&tomorrow.format("%Y-%m-%d 00:00 UTC").to_string()),
            "{msg}"
        );
        assert!(msg.contains("raise `quota.per_day`"), "{msg}");
        let left = quotas.left().unwrap();
        assert_eq!(left[1].left, 97, "the failed request was not counted");
    }

    #[tokio::test]
    async fn budgets_persist_across_instances_through_the_json_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("budgets.json");
        let make = || {
            Quotas::new("adzuna/app1")
                .budget(5, Period::Day)
                .with_store(Arc::new(JsonBudgetStore::new(&path)))
        };
        let first = make();
        for _ in 0..3 {
            first.acquire().await.unwrap();
        }
        drop(first);
        let second = make();
        assert_eq!(second.tightest().unwrap().unwrap().left, 2);
        second.acquire().await.unwrap();
        second.acquire().await.unwrap();
        assert!(second.acquire().await.is_err());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("adzuna/app1/day"), "{text}");
        // Another account has its own budget.
        let other = Quotas::new("adzuna/app2")
            .budget(5, Period::Day)
            .with_store(Arc::new(JsonBudgetStore::new(&path)));
        other.acquire().await.unwrap();
    }

    #[test]
    fn a_count_from_an_earlier_period_is_forgotten() {
        let store = MemoryBudgetStore::default();
        let yesterday = at(2026, 11, 22, 0);
        let today = at(2026, 11, 23, 0);
        store.spend("k", yesterday, 250).unwrap();
        assert_eq!(store.spent("k", today).unwrap(), 0);
        assert_eq!(store.spend("k", today, 1).unwrap(), 1);
    }

    #[test]
    fn a_corrupt_budget_file_says_how_to_fix_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budgets.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = JsonBudgetStore::new(&path)
            .spent("k", at(2026, 11, 23, 0))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert!(err.to_string().contains("delete it"), "{err}");
    }
}

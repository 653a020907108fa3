//! The live source: pages through `GET /v1/api/jobs/{country}/search/{page}`.
//!
//! Pages are numbered from 1 and hold `results_per_page` offers (at most
//! 50), newest first (`sort_by=date`); the first answer's `count` says how
//! many offers match. Paging stops at the first short or empty page, once
//! `count` offers are read, or once the run has what it wants (`--limit`,
//! `max_results`).
//!
//! Pacing, retries and quotas are not here: they live in the shared
//! [`HttpClient`] and its [`Quotas`]. The connector only reads the budgets
//! after the first page, and refuses to page a query that the budget left
//! cannot finish (the requests would be spent for outputs never written).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jobharvest_core::http::{Answer, HttpClient, HttpSettings};
use jobharvest_core::quota::{JsonBudgetStore, Period, Quotas};
use jobharvest_core::{
    Capabilities, Error, ErrorKind, Flow, NormalizeOptions, Plan, Result, Secret, Source,
    SourceConfig, SourceContext, async_trait,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::info;
use url::Url;

use crate::config::{AdzunaConfig, ENV_APP_ID, ENV_APP_KEY, QuotaConfig, SIGNUP_URL, search_url};
use crate::normalize::normalize;

/// The built `adzuna` source.
///
/// Build it from an [`AdzunaConfig`]; `Debug` does not show the key.
#[derive(Debug)]
pub struct AdzunaSource {
    pub(crate) country: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) base_url: Url,
    pub(crate) app_id: String,
    pub(crate) app_key: Secret,
    pub(crate) results_per_page: u32,
    pub(crate) quota: QuotaConfig,
    pub(crate) budget_file: PathBuf,
    pub(crate) settings: HttpSettings,
    pub(crate) max_results: Option<u64>,
    pub(crate) minute: Duration,
    pub(crate) options: NormalizeOptions,
}

/// The body of a search answer.
#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    results: Vec<Box<RawValue>>,
}

impl AdzunaSource {
    /// The HTTP settings the run will use.
    pub fn http_settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Replaces the HTTP settings (tests use short retry delays).
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Replaces the span of the per-minute window (tests shorten it to
    /// run a "minute" in a second).
    pub fn with_minute_span(mut self, span: Duration) -> Self {
        self.minute = span;
        self
    }

    /// The file the daily and weekly budgets are remembered in.
    pub fn budget_file(&self) -> &std::path::Path {
        &self.budget_file
    }

    /// The checked search parameters, as query pairs.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The account's quotas: the per-minute window paces, the daily and
    /// weekly budgets are kept in the budget file.
    pub fn quotas(&self) -> Quotas {
        Quotas::new(format!("adzuna/{}", self.app_id))
            .pace(self.quota.per_minute, self.minute)
            .budget(self.quota.per_day, Period::Day)
            .budget(self.quota.per_week, Period::Week)
            .with_store(Arc::new(JsonBudgetStore::new(&self.budget_file)))
            .with_hint(
                "narrow the query (`params`), lower `--limit` or `max_results`, or raise `quota.per_day`/`quota.per_week` if the account allows more",
            )
    }

    /// Fetches page `page` (from 1).
    async fn page(&self, http: &HttpClient, page: u64) -> Result<SearchAnswer> {
        let url = search_url(&self.base_url, &self.country, page);
        let rpp = self.results_per_page.to_string();
        let answer = http
            .fetch(&format!("search page {page}"), |c| {
                c.get(url.clone())
                    .query(&[
                        ("app_id", self.app_id.as_str()),
                        ("app_key", self.app_key.expose()),
                        ("results_per_page", rpp.as_str()),
                        ("sort_by", "date"),
                        ("content-type", "application/json"),
                    ])
                    .query(&self.params)
            })
            .await?;
        check_status(&answer, page)?;
        answer.json(&format!("search page {page}"))
    }
}

/// Turns a refusal into an error that says what to fix.
fn check_status(answer: &Answer, page: u64) -> Result<()> {
    let status = answer.status.as_u16();
    if answer.status.is_success() {
        return Ok(());
    }
    let detail = answer.excerpt(200);
    let error = match status {
        401 | 403 => Error::new(
            ErrorKind::Auth,
            format!(
                "Adzuna refused the keys ({status}): check {ENV_APP_ID} and {ENV_APP_KEY} (or `app_id`/`app_key` in the spec); keys come from {SIGNUP_URL}. The answer: {detail}"
            ),
        ),
        400 | 404 | 422 => Error::new(
            ErrorKind::BadRequest,
            format!(
                "Adzuna refused search page {page} ({status}): check `country` and `params`. The answer: {detail}"
            ),
        ),
        _ => Error::new(
            ErrorKind::Http,
            format!("Adzuna answered search page {page} with {status}: {detail}"),
        )
        .set_temporary(false),
    };
    Err(error.with_context("url", &answer.url))
}

impl AdzunaSource {
    /// The client every request of a run goes through, counted against
    /// the account's quotas.
    fn client(&self, cx: &SourceContext) -> Result<(HttpClient, Arc<Quotas>)> {
        let quotas = self
            .quotas()
            .shared(&self.budget_file.display().to_string());
        let http = HttpClient::new(self.settings.clone(), Arc::clone(cx.stats()), None)?
            .with_quota(Arc::clone(&quotas));
        Ok((http, quotas))
    }

    /// How many offers the run wants at most (`max_results`, `--limit`).
    fn wanted(&self, cx: &SourceContext) -> Option<u64> {
        match (self.max_results, cx.remaining()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The pages still to fetch after the first, for `count` matches.
    fn more_pages(&self, count: u64, wanted: Option<u64>) -> u64 {
        let target = wanted.map_or(count, |w| w.min(count));
        target
            .div_ceil(u64::from(self.results_per_page))
            .saturating_sub(1)
    }
}

#[async_trait]
impl Source for AdzunaSource {
    fn capabilities(&self) -> Capabilities {
        AdzunaConfig::capabilities()
    }

    /// Fetches the first page (one request of the budget) to count the
    /// matches and the pages, and says what the budgets leave.
    async fn plan(self: Box<Self>, cx: SourceContext) -> Result<Option<Plan>> {
        let (http, quotas) = self.client(&cx)?;
        let answer = self.page(&http, 1).await?;
        let count = answer.count.unwrap_or(answer.results.len() as u64);
        let more_pages = self.more_pages(count, self.wanted(&cx));
        let mut plan = Plan::default();
        plan.total = Some(count);
        plan.planning_requests = 1;
        plan.remaining_requests = more_pages;
        for left in quotas.left()? {
            plan.notes.push(left.to_string());
        }
        if let Some(tight) = quotas.tightest()?.filter(|t| t.left < more_pages) {
            plan.notes
                .push(quotas.exhausted(&tight, Some(more_pages)).to_string());
        }
        Ok(Some(plan))
    }

    async fn run(mut self: Box<Self>, cx: SourceContext) -> Result<()> {
        if let Some(since) = cx.since() {
            self.params = since_params(&self.params, since, chrono::Utc::now());
            info!(source = cx.name(), params = ?self.params, "Incremental run: asking only for offers posted since the last run.");
        }
        let (http, quotas) = self.client(&cx)?;
        let wanted = self.wanted(&cx);
        let rpp = u64::from(self.results_per_page);
        let (mut page, mut fetched) = (1, 0u64);
        loop {
            let answer = self.page(&http, page).await?;
            let received = answer.results.len() as u64;
            // Without a `count`, paging goes on until a short page.
            if let (1, Some(count)) = (page, answer.count) {
                cx.stats().set_total(count);
                let more_pages = self.more_pages(count, wanted);
                if let Some(tight) = quotas.tightest()? {
                    info!(
                        source = cx.name(),
                        count,
                        more_pages,
                        budget_left = tight.left,
                        "Adzuna query counted."
                    );
                    if more_pages > tight.left {
                        return Err(quotas.exhausted(&tight, Some(more_pages)));
                    }
                }
            }
            let records = answer
                .results
                .iter()
                .map(|raw| normalize(raw.get(), Some(&self.country), &self.options))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.prefixed(format!("search page {page}")))?;
            if cx.emit(records).await? == Flow::Stop {
                return Ok(());
            }
            fetched += received;
            let total = cx.stats().total().unwrap_or(u64::MAX);
            if received < rpp || fetched >= total || wanted.is_some_and(|w| fetched >= w) {
                return Ok(());
            }
            page += 1;
        }
    }
}

/// The parameters of an incremental run: `max_days_old` covers `since`
/// (whole days, rounded up), or the spec's own value when it is smaller.
pub(crate) fn since_params(
    params: &[(String, String)],
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, String)> {
    let seconds = (now - since).num_seconds().max(0);
    let mut days = (seconds + 86_399) / 86_400;
    days = days.max(1);
    let mut out: Vec<(String, String)> = Vec::with_capacity(params.len() + 1);
    for (k, v) in params {
        if k == "max_days_old" {
            if let Ok(own) = v.trim().parse::<i64>() {
                days = days.min(own);
            }
        } else {
            out.push((k.clone(), v.clone()));
        }
    }
    out.push(("max_days_old".into(), days.to_string()));
    out
}

#[cfg(test)]
mod since_tests {
    use super::*;

    #[test]
    fn since_becomes_max_days_old_rounded_up_unless_the_spec_asks_less() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let since = now - chrono::TimeDelta::hours(30);
        assert_eq!(
            since_params(&p(&[("what", "rust")]), since, now),
            p(&[("what", "rust"), ("max_days_old", "2")])
        );
        assert_eq!(
            since_params(&p(&[("max_days_old", "1")]), since, now),
            p(&[("max_days_old", "1")])
        );
        assert_eq!(
            since_params(&p(&[("max_days_old", "30")]), now, now),
            p(&[("max_days_old", "1")]),
            "at least a day"
        );
    }
}

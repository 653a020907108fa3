//! The source conformance suite: checks every connector passes, against a
//! stand-in of its board on wiremock.
//!
//! A connector's test file implements [`SourceHarness`] (how to build its
//! source against a base URL, how to mount `n` offers of recorded answers
//! on a [`MockServer`], where its search requests go, its secrets), then
//! runs every check with one macro:
//!
//! ```ignore
//! jobharvest_core::source_conformance!(MyBoardHarness::default());
//! ```
//!
//! or calls the `check_*` functions one by one from its own `#[tokio::test]`s.
//! Each check starts its own server and panics with a message naming what
//! the connector got wrong. The checks read the capabilities the source
//! declares: the page size sets how many offers are served (two full pages
//! and a partial one) and how many search requests are expected, and the
//! filter support decides whether a `filter:` block must be applied or
//! refused.
//!
//! The stand-in must answer with the default wiremock priority: the suite
//! injects one-off failures (429, 503) in front of it with a higher one.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::error::{ErrorKind, Result};
use crate::http::HttpSettings;
use crate::record::{Batch, JobRecord};
use crate::source::{Capabilities, FilterSupport, Seen, Source, SourceContext, SourceStats};

/// What a connector provides to run the suite.
#[async_trait]
pub trait SourceHarness: Send + Sync {
    /// The connector's type: the value of every record's `source` column.
    fn source_type(&self) -> &'static str;

    /// The capabilities the connector declares
    /// (`<MyConfig as SourceConfig>::capabilities()`).
    fn capabilities(&self) -> Capabilities;

    /// Builds a source whose every URL points at `base_url` (the stand-in's
    /// address), with the config keys of `extra` on top of a minimal
    /// config holding [`SourceHarness::secrets`]. Retry delays should be
    /// short and the rate limit high, so the suite runs fast.
    ///
    /// # Errors
    /// The connector's own build errors.
    fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>>;

    /// Mounts on `server` a stand-in of the board that serves `offers`
    /// distinct offers (recorded answers under fresh ids), paged as the
    /// board pages, and its auth endpoints if any.
    async fn mount(&self, server: &MockServer, offers: usize);

    /// A regular expression matching the path of the board's search (or
    /// listing) requests, e.g. `^/v1/api/jobs/[a-z]+/search/\d+$`.
    fn search_path(&self) -> String;

    /// The secret values in the config `build` uses (client secrets, API
    /// keys); none of them may appear in `Debug` output or errors.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `base` (a config as JSON) with the keys of `extra` on top: what
/// [`SourceHarness::build`] usually deserializes.
pub fn config_with(mut base: Value, extra: Value) -> Value {
    if let (Some(config), Value::Object(extra)) = (base.as_object_mut(), extra) {
        config.extend(extra);
    }
    base
}

/// `settings` for tests: no real rate limit and millisecond retry delays.
pub fn fast(settings: HttpSettings) -> HttpSettings {
    settings
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(1), Duration::from_millis(10))
}

/// What running a source gave.
#[derive(Debug)]
pub struct SourceRun {
    /// What `Source::run` returned.
    pub result: Result<()>,
    /// Every record emitted, in order.
    pub records: Vec<JobRecord>,
    /// The source's counters.
    pub stats: Arc<SourceStats>,
}

/// Runs `source` through a [`SourceContext`], as the runner does, with the
/// run's `limit`.
pub async fn run_source(source: Box<dyn Source>, limit: Option<u64>) -> SourceRun {
    let (tx, mut rx) = mpsc::channel::<Batch>(4);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new(
        "conformance",
        tx,
        stats.clone(),
        Arc::new(Seen::default()),
        limit,
    );
    let task = tokio::spawn(source.run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    let result = task
        .await
        .unwrap_or_else(|e| panic!("the source's task panicked: {e}"));
    SourceRun {
        result,
        records,
        stats,
    }
}

/// The page size the suite assumes: the declared one, else 10.
fn page_size(h: &dyn SourceHarness) -> usize {
    h.capabilities().page_size.map_or(10, |p| p as usize)
}

/// Two full pages and a partial one.
fn offers_for(h: &dyn SourceHarness) -> usize {
    page_size(h) * 2 + 3
}

async fn server_with(h: &dyn SourceHarness, offers: usize) -> MockServer {
    let server = MockServer::start().await;
    h.mount(&server, offers).await;
    server
}

fn build(h: &dyn SourceHarness, server: &MockServer, extra: Value) -> Box<dyn Source> {
    h.build(&server.uri(), extra)
        .unwrap_or_else(|e| panic!("building the source against the stand-in failed: {e}"))
}

/// The search requests `server` received.
pub async fn search_requests(h: &dyn SourceHarness, server: &MockServer) -> usize {
    let pattern = h.search_path();
    let re = regex_lite(&pattern);
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| re(r.url.path()))
        .count()
}

/// A matcher for the search path, with wiremock's own regex engine.
fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
    let matcher = path_regex(pattern);
    move |path: &str| {
        let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{path}")) else {
            return false;
        };
        let request = wiremock::Request {
            url,
            method: wiremock::http::Method::GET,
            headers: Default::default(),
            body: Vec::new(),
        };
        wiremock::Match::matches(&matcher, &request)
    }
}

fn assert_ok(run: &SourceRun, check: &str) {
    if let Err(e) = &run.result {
        panic!("{check}: the source failed: {e}");
    }
}

fn assert_unique_ids(records: &[JobRecord], stats: &SourceStats, check: &str) {
    let mut ids = HashSet::new();
    for r in records {
        assert!(
            ids.insert(r.source_id.as_str()),
            "{check}: offer `{}` emitted twice",
            r.source_id
        );
    }
    assert_eq!(
        SourceStats::get(&stats.duplicates),
        0,
        "{check}: the source emitted the same offer twice (the core dropped the copies)"
    );
}

/// Pages through two full pages and a partial one: every offer arrives
/// once, and the number of search requests fits the declared page size.
///
/// # Panics
/// When the source fails, misses or repeats offers, or sends a number of
/// search requests its page size does not explain.
pub async fn check_pages_to_the_end(h: &dyn SourceHarness) {
    let n = offers_for(h);
    let server = server_with(h, n).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, "paging");
    assert_eq!(run.records.len(), n, "paging: offers served vs emitted");
    assert_unique_ids(&run.records, &run.stats, "paging");
    let pages = n.div_ceil(page_size(h));
    let requests = search_requests(h, &server).await;
    assert!(
        (pages..=pages + 1).contains(&requests),
        "paging: {requests} search requests for {n} offers at {} per page (expected {pages}, or one more for an empty last page)",
        page_size(h)
    );
}

/// A search that matches nothing ends cleanly with no record.
///
/// # Panics
/// When the source fails or emits anything.
pub async fn check_empty_results(h: &dyn SourceHarness) {
    let server = server_with(h, 0).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, "empty results");
    assert!(run.records.is_empty(), "empty results: records emitted");
    assert!(
        search_requests(h, &server).await >= 1,
        "empty results: no search request sent"
    );
}

async fn check_recovers_from(h: &dyn SourceHarness, failure: ResponseTemplate, what: &str) {
    let n = offers_for(h);
    let server = MockServer::start().await;
    Mock::given(path_regex(h.search_path()))
        .respond_with(failure)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    h.mount(&server, n).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, what);
    assert_eq!(run.records.len(), n, "{what}: offers lost after the retry");
    assert_unique_ids(&run.records, &run.stats, what);
    assert!(
        SourceStats::get(&run.stats.retries) >= 1,
        "{what}: no retry counted (is the source using the core's HttpClient?)"
    );
}

/// A 429 with `Retry-After` on the first search request is retried and
/// counted; nothing is lost.
///
/// # Panics
/// When the source fails or loses offers, or does not count the 429.
pub async fn check_429_then_success(h: &dyn SourceHarness) {
    let answer = ResponseTemplate::new(429).insert_header("Retry-After", "0");
    check_recovers_from(h, answer, "429 then success").await;
    let server = MockServer::start().await;
    Mock::given(path_regex(h.search_path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    h.mount(&server, 1).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, "429 then success");
    assert_eq!(
        SourceStats::get(&run.stats.rate_limited),
        1,
        "429 then success: the 429 was not counted"
    );
}

/// A 503 on the first search request is retried; nothing is lost.
///
/// # Panics
/// When the source fails or loses offers.
pub async fn check_5xx_then_success(h: &dyn SourceHarness) {
    let answer = ResponseTemplate::new(503).set_body_string("Service Unavailable");
    check_recovers_from(h, answer, "503 then success").await;
}

/// Every record has the required columns: `source` (the connector's type),
/// `source_id` and `title`, and the core filled its fingerprint.
///
/// # Panics
/// On the first record missing one.
pub async fn check_required_columns(h: &dyn SourceHarness) {
    let server = server_with(h, 5).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, "required columns");
    assert_eq!(run.records.len(), 5, "required columns: offers emitted");
    for r in &run.records {
        assert_eq!(r.source, h.source_type(), "`source` of `{}`", r.source_id);
        assert!(!r.source_id.trim().is_empty(), "an empty `source_id`");
        assert!(
            r.title.as_deref().is_some_and(|t| !t.trim().is_empty()),
            "`title` missing in `{}`",
            r.source_id
        );
        assert!(
            r.fingerprint.is_some(),
            "no fingerprint on `{}`",
            r.source_id
        );
    }
}

/// No offer is emitted twice over a full harvest.
///
/// # Panics
/// When one is.
pub async fn check_no_duplicate_ids(h: &dyn SourceHarness) {
    let server = server_with(h, offers_for(h)).await;
    let run = run_source(build(h, &server, json!({})), None).await;
    assert_ok(&run, "duplicate ids");
    assert_unique_ids(&run.records, &run.stats, "duplicate ids");
}

/// No secret appears in the source's `Debug` output, nor in the error of
/// a run whose every search request fails.
///
/// # Panics
/// When a secret shows, or the harness declares none while `auth` says the
/// source authenticates.
pub async fn check_secrets_hidden(h: &dyn SourceHarness) {
    let secrets = h.secrets();
    let auth = h.capabilities().auth;
    if auth != "none" {
        assert!(
            !secrets.is_empty(),
            "the source authenticates ({auth}) but the harness lists no secret to look for"
        );
    }
    let server = MockServer::start().await;
    Mock::given(path_regex(h.search_path()))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .with_priority(1)
        .mount(&server)
        .await;
    h.mount(&server, 3).await;
    let source = build(h, &server, json!({}));
    let debug = format!("{source:?}");
    let run = run_source(source, None).await;
    let err = run
        .result
        .expect_err("every search request failed, yet the source succeeded");
    let shown = [debug, err.to_string(), format!("{err:?}")];
    for secret in &secrets {
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "a secret shows in: {text}");
        }
    }
}

/// `--limit` is honoured: exactly that many records, and no page fetched
/// beyond the first when the first holds enough.
///
/// # Panics
/// When more records arrive or more pages are fetched.
pub async fn check_limit(h: &dyn SourceHarness) {
    let server = server_with(h, offers_for(h)).await;
    let run = run_source(build(h, &server, json!({})), Some(3)).await;
    assert_ok(&run, "limit");
    assert_eq!(
        run.records.len(),
        3,
        "limit: records emitted with --limit 3"
    );
    let requests = search_requests(h, &server).await;
    assert_eq!(
        requests, 1,
        "limit: {requests} search requests where the first page held the 3 offers asked for"
    );
}

/// The `filter:` block is honoured as the capabilities declare: applied
/// (client-side or server-side) when the source takes filters, refused
/// with a config error when it takes none.
///
/// # Panics
/// When records get through a filter that matches nothing, or a source
/// that takes no filter accepts one.
pub async fn check_filter(h: &dyn SourceHarness) {
    let n = 5;
    let server = server_with(h, n).await;
    let block = json!({"keywords": ["zzqx-matches-nothing"]});
    let attached = crate::filter::attach(
        build(h, &server, json!({})),
        h.source_type(),
        block,
        "sources[0]",
    );
    match h.capabilities().filters {
        FilterSupport::None => {
            let err = attached.expect_err("a source that takes no filter accepted one");
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        }
        FilterSupport::Client | FilterSupport::Server => {
            let source = attached.unwrap_or_else(|e| panic!("filter refused: {e}"));
            let run = run_source(source, None).await;
            assert_ok(&run, "filter");
            assert!(run.records.is_empty(), "filter: records got through");
            assert_eq!(
                SourceStats::get(&run.stats.filtered),
                n as u64,
                "filter: filtered-out records not counted"
            );
        }
    }
}

/// Runs every check of the source suite, one `#[tokio::test]` each, in a
/// module named `conformance`. The argument is an expression building the
/// harness (evaluated once per test).
///
/// The calling crate needs `tokio` (with `macros` and `rt`) among its
/// dev-dependencies.
#[macro_export]
macro_rules! source_conformance {
    ($harness:expr) => {
        mod conformance {
            use super::*;
            use $crate::testkit::sources as kit;

            #[tokio::test]
            async fn pages_to_the_end() {
                kit::check_pages_to_the_end(&$harness).await;
            }
            #[tokio::test]
            async fn empty_results() {
                kit::check_empty_results(&$harness).await;
            }
            #[tokio::test]
            async fn retries_429_then_succeeds() {
                kit::check_429_then_success(&$harness).await;
            }
            #[tokio::test]
            async fn retries_5xx_then_succeeds() {
                kit::check_5xx_then_success(&$harness).await;
            }
            #[tokio::test]
            async fn required_columns_are_present() {
                kit::check_required_columns(&$harness).await;
            }
            #[tokio::test]
            async fn no_duplicate_ids() {
                kit::check_no_duplicate_ids(&$harness).await;
            }
            #[tokio::test]
            async fn secrets_stay_hidden() {
                kit::check_secrets_hidden(&$harness).await;
            }
            #[tokio::test]
            async fn limit_is_honoured() {
                kit::check_limit(&$harness).await;
            }
            #[tokio::test]
            async fn filter_is_honoured() {
                kit::check_filter(&$harness).await;
            }
        }
    };
}

//! The `adzuna` source against recorded answers (wiremock) and the Adzuna
//! stand-in: paging, limits, retries, keys, quotas and normalization.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jobharvest_adzuna::{AdzunaConfig, AdzunaNormalizer, AdzunaSource, normalize::normalize};
use jobharvest_core::http::HttpSettings;
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::{
    Batch, BuildContext, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Registry, Result,
    Source, SourceContext, SourceStats,
};
use jobharvest_standin::{AdzunaStandin, AdzunaStandinConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: &str = "standin-app";
const KEY: &str = "standin-key";

fn fixture() -> String {
    let path = format!(
        "{}/tests/fixtures/search-fr-2022-02-4-offers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn recorded_offers() -> Vec<String> {
    let answer: Value = serde_json::from_str(&fixture()).unwrap();
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect()
}

/// Short retry delays and no pacing, so tests run fast.
fn fast() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50))
        .with_max_retry_after(Duration::from_secs(2))
}

/// Builds a source from a spec entry split as the registry splits it: the
/// shared HTTP keys into `cx.http`, the rest into the config.
fn build(
    cx: &BuildContext,
    entry: Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AdzunaSource> {
    let Value::Object(mut entry) = entry else {
        panic!("an entry is a map")
    };
    let mut cx = cx.clone();
    cx.http = HttpConfig::take(&mut entry, "")?;
    let config: AdzunaConfig = serde_json::from_value(Value::Object(entry)).unwrap();
    config.build_with_env(&cx, env)
}

/// A source built from `spec` (merged over the keys and the base URL).
fn source(base_url: &str, dir: &Path, spec: Value) -> AdzunaSource {
    let mut config = json!({
        "app_id": APP_ID,
        "app_key": KEY,
        "base_url": base_url,
        "quota": {"budget_file": "budgets.json"},
    });
    for (k, v) in spec.as_object().unwrap() {
        config[k] = v.clone();
    }
    let cx = Registry::new().build_context(dir, "adzuna");
    build(&cx, config, &|_| None)
        .unwrap()
        .with_http_settings(fast())
}

/// Runs a source as the runner does and collects what it emitted.
async fn harvest(
    source: AdzunaSource,
    limit: Option<u64>,
) -> (Vec<JobRecord>, Arc<SourceStats>, Result<()>) {
    let (tx, mut rx) = mpsc::channel::<Batch>(64);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new("adzuna", tx, Arc::clone(&stats), Arc::default(), limit);
    let task = tokio::spawn(Box::new(source).run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    let result = task.await.unwrap();
    (records, stats, result)
}

fn standin_config() -> AdzunaStandinConfig {
    AdzunaStandinConfig {
        per_window: None,
        ..AdzunaStandinConfig::default()
    }
}

#[test]
fn recorded_offers_normalize_with_nulls_where_adzuna_says_nothing() {
    let offers = recorded_offers();
    let records: Vec<_> = offers
        .iter()
        .map(|o| normalize(o, Some("fr"), &NormalizeOptions::default()).unwrap())
        .collect();
    let r = &records[0];
    assert_eq!(r.source, "adzuna");
    assert_eq!(r.source_id, "2742818369");
    assert_eq!(
        r.title.as_deref(),
        Some("Conseiller en gestion de patrimoine (H/F)")
    );
    assert_eq!(r.company_name.as_deref(), Some("Predictis"));
    assert_eq!(
        r.location_label.as_deref(),
        Some("Châtenay-Malabry, Antony")
    );
    assert_eq!((r.latitude, r.longitude), (Some(48.76614), Some(2.26075)));
    assert_eq!(
        r.created_at,
        Some("2021-12-16T05:19:28Z".parse::<DateTime<Utc>>().unwrap())
    );
    assert!(
        r.url
            .as_deref()
            .unwrap()
            .starts_with("https://www.adzuna.fr/land/ad/2742818369")
    );
    assert_eq!(
        r.industry_label.as_deref(),
        Some("Emplois Hospitalité et Restauration")
    );
    assert_eq!(r.attribution.as_deref(), Some("Jobs by Adzuna"));
    assert!(
        r.description
            .as_deref()
            .unwrap()
            .starts_with("Description du poste")
    );
    // No salary in this answer: no amount, period, currency or flag.
    for r in &records {
        assert_eq!(r.salary_min, None);
        assert_eq!(r.salary_period, None);
        assert_eq!(r.salary_currency, None);
        assert_eq!(r.salary_predicted, None);
        assert_eq!(r.remote, None, "Adzuna has no remote flag");
        assert_eq!(r.postal_code, None);
    }
    assert_eq!(r.contract_type, None);
    assert_eq!(records[2].contract_type.as_deref(), Some("permanent"));
    assert_eq!(records[3].longitude, Some(-1.3785));
    assert_eq!(r.raw.as_deref(), Some(offers[0].as_str()));
}

#[test]
fn raw_is_left_out_when_the_options_say_so_and_nothing_else_changes() {
    let raw = &recorded_offers()[0];
    let kept = normalize(raw, Some("fr"), &NormalizeOptions::default()).unwrap();
    let left_out = normalize(
        raw,
        Some("fr"),
        &NormalizeOptions::default().leaving_out_raw(true),
    )
    .unwrap();
    assert_eq!(kept.raw.as_deref(), Some(raw.as_str()), "the exact offer");
    assert_eq!(left_out.raw, None);
    let mut kept = kept;
    kept.raw = None;
    assert_eq!(kept, left_out, "every other field alike");
    assert_eq!(left_out.source_id, "2742818369", "the offer was read");
    // The replay path passes its options through.
    let replayed = AdzunaNormalizer::default()
        .normalize(raw, &NormalizeOptions::default().leaving_out_raw(true))
        .unwrap();
    assert_eq!(replayed.raw, None);
}

#[tokio::test]
async fn a_run_whose_sinks_write_no_raw_leaves_it_out() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "app_id": APP_ID, "app_key": KEY, "base_url": standin.base_url(),
        "quota": {"budget_file": "budgets.json"}, "results_per_page": 5, "max_results": 5,
    });
    let mut cx = Registry::new().build_context(dir.path(), "adzuna");
    let mut runs = Vec::new();
    for leave_out_raw in [false, true] {
        cx.leave_out_raw = leave_out_raw;
        let src = build(&cx, config.clone(), &|_| None)
            .unwrap()
            .with_http_settings(fast());
        let (records, _, result) = harvest(src, None).await;
        result.unwrap();
        assert_eq!(records.len(), 5);
        runs.push(records);
    }
    assert!(runs[0].iter().all(|r| r.raw.is_some()), "kept by default");
    assert!(runs[1].iter().all(|r| r.raw.is_none()), "left out");
}

#[test]
fn predicted_salaries_are_flagged_and_priced_in_the_country_currency() {
    let offer = |predicted: &str| {
        json!({
            "id": 7, "title": "Rust dev", "salary_min": 41000.0, "salary_max": 41000.0,
            "salary_is_predicted": predicted,
            "redirect_url": "https://www.adzuna.co.uk/land/ad/7"
        })
        .to_string()
    };
    let predicted = normalize(&offer("1"), None, &NormalizeOptions::default()).unwrap();
    assert_eq!(predicted.source_id, "7");
    assert_eq!(predicted.salary_predicted, Some(true));
    assert_eq!(
        predicted.salary_currency.as_deref(),
        Some("GBP"),
        "from the URL"
    );
    assert_eq!(predicted.salary_period.as_deref(), Some("yearly"));
    let posted = normalize(&offer("0"), Some("de"), &NormalizeOptions::default()).unwrap();
    assert_eq!(posted.salary_predicted, Some(false));
    assert_eq!(
        posted.salary_currency.as_deref(),
        Some("EUR"),
        "from the country"
    );
    let err = normalize(r#"{"title": "no id"}"#, None, &NormalizeOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
}

#[tokio::test]
async fn pages_to_the_end_of_the_count() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&standin.base_url(), dir.path(), json!({"country": "fr"}));
    let (records, stats, result) = harvest(src, None).await;
    result.unwrap();
    assert_eq!(standin.counters().requests, 3, "120 offers, 50 per page");
    assert_eq!(stats.total(), Some(120));
    let ids: Vec<_> = records.iter().map(|r| r.source_id.as_str()).collect();
    let want: Vec<_> = standin
        .offers()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, want, "every offer once, in the board's order");
    assert_eq!(SourceStats::get(&stats.duplicates), 0);
    for (r, offer) in records.iter().zip(standin.offers()) {
        assert!(r.title.is_some() && r.url.is_some() && r.created_at.is_some());
        assert_eq!(r.attribution.as_deref(), Some("Jobs by Adzuna"));
        match offer.get("salary_min") {
            Some(_) => {
                let predicted = offer["salary_is_predicted"] == "1";
                assert_eq!(r.salary_predicted, Some(predicted), "{}", r.source_id);
                assert_eq!(r.salary_currency.as_deref(), Some("EUR"));
            }
            None => assert_eq!(r.salary_predicted, None, "{}", r.source_id),
        }
    }
    assert!(records.iter().any(|r| r.salary_predicted == Some(true)));
    assert!(records.iter().any(|r| r.salary_predicted == Some(false)));
}

#[tokio::test]
async fn the_limit_fetches_no_more_pages_than_needed() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&standin.base_url(), dir.path(), json!({}));
    let (records, _, result) = harvest(src, Some(60)).await;
    result.unwrap();
    assert_eq!(records.len(), 60);
    assert_eq!(standin.counters().requests, 2);
    let src = source(
        &standin.base_url(),
        dir.path(),
        json!({"max_results": 10, "results_per_page": 10}),
    );
    let (records, _, result) = harvest(src, None).await;
    result.unwrap();
    assert_eq!(records.len(), 10);
    assert_eq!(standin.counters().requests, 3);
}

async fn mock_search(server: &MockServer, template: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(path("/v1/api/jobs/fr/search/1"))
        .and(query_param("app_id", APP_ID))
        .and(query_param("sort_by", "date"))
        .and(query_param("results_per_page", "50"))
        .and(query_param("what", "conseiller"))
        .respond_with(template);
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

fn recorded_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(), "application/json")
}

fn with_what() -> Value {
    json!({"params": {"what": "conseiller"}, "max_results": 4})
}

#[tokio::test]
async fn empty_results_end_the_run_after_one_request() {
    let server = MockServer::start().await;
    mock_search(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"count": 0, "mean": 0, "results": []})),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (records, stats, result) =
        harvest(source(&server.uri(), dir.path(), with_what()), None).await;
    result.unwrap();
    assert!(records.is_empty());
    assert_eq!(stats.total(), Some(0));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    mock_search(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        Some(1),
    )
    .await;
    mock_search(&server, recorded_answer(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let (records, stats, result) =
        harvest(source(&server.uri(), dir.path(), with_what()), None).await;
    result.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(records.len(), 4);
    assert_eq!(SourceStats::get(&stats.rate_limited), 1);
    assert_eq!(SourceStats::get(&stats.retries), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start().await;
    mock_search(&server, ResponseTemplate::new(503), Some(2)).await;
    mock_search(&server, recorded_answer(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let (records, stats, result) =
        harvest(source(&server.uri(), dir.path(), with_what()), None).await;
    result.unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(SourceStats::get(&stats.retries), 2);
    // The retries count against the budget too.
    let budget = std::fs::read_to_string(dir.path().join("budgets.json")).unwrap();
    assert!(budget.contains("\"spent\": 3"), "{budget}");
}

#[tokio::test]
async fn refused_keys_are_an_auth_error_without_the_key() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        &standin.base_url(),
        dir.path(),
        json!({"app_key": "wrong-s3cr3t-key"}),
    );
    let debug = format!("{src:?}");
    assert!(!debug.contains("wrong-s3cr3t-key"), "{debug}");
    let (records, _, result) = harvest(src, None).await;
    assert!(records.is_empty());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(shown.contains("ADZUNA_APP_KEY"), "{shown}");
    assert!(shown.contains("developer.adzuna.com"), "{shown}");
    for text in [&shown, &debug] {
        assert!(!text.contains("wrong-s3cr3t-key"), "{text}");
    }
}

#[test]
fn the_key_never_prints_in_the_config_or_the_source() {
    let config: AdzunaConfig =
        serde_json::from_value(json!({"app_id": "id", "app_key": "s3cr3t-key-value"})).unwrap();
    assert!(!format!("{config:?}").contains("s3cr3t-key-value"));
    let dir = tempfile::tempdir().unwrap();
    let cx = Registry::new().build_context(dir.path(), "adzuna");
    let source = config.build_with_env(&cx, &|_| None).unwrap();
    assert!(!format!("{source:?}").contains("s3cr3t-key-value"));
}

#[test]
fn missing_keys_say_where_to_get_them() {
    let config: AdzunaConfig = serde_json::from_value(json!({"country": "fr"})).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cx = Registry::new().build_context(dir.path(), "adzuna");
    let err = config.clone().build_with_env(&cx, &|_| None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let msg = err.to_string();
    for want in [
        "ADZUNA_APP_ID",
        "ADZUNA_APP_KEY",
        "https://developer.adzuna.com/",
    ] {
        assert!(msg.contains(want), "{msg}");
    }
    // From the environment, they are enough.
    let env = |name: &str| Some(format!("{name}-value"));
    assert!(config.build_with_env(&cx, &env).is_ok());
}

#[test]
fn bad_settings_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let cx = Registry::new().build_context(dir.path(), "adzuna");
    for (spec, want) in [
        (
            json!({"country": "xx"}),
            "country: Adzuna has no country `xx`",
        ),
        (
            json!({"results_per_page": 51}),
            "results_per_page: 51 is out of range",
        ),
        (json!({"base_url": "ftp://x"}), "base_url"),
        (json!({"quota": {"per_day": 0}}), "quota.per_day"),
        (json!({"params": {"sort_by": "salary"}}), "params.sort_by"),
    ] {
        let mut config = json!({"app_id": "id", "app_key": "k"});
        for (k, v) in spec.as_object().unwrap() {
            config[k] = v.clone();
        }
        let err = build(&cx, config, &|_| None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains(want), "{err}");
    }
    let unknown = serde_json::from_value::<AdzunaConfig>(json!({"quota": {"per_hour": 3}}));
    assert!(unknown.unwrap_err().to_string().contains("per_hour"));
}

#[test]
fn the_shared_http_keys_of_a_spec_entry_reach_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let cx = Registry::new().build_context(dir.path(), "adzuna");
    let source = build(&cx, json!({"app_id": "id", "app_key": "k"}), &|_| None).unwrap();
    let settings = source.http_settings();
    assert_eq!(settings.rate_limit_per_sec, 2.0);
    assert_eq!(settings.timeout, Duration::from_secs(30));
    assert_eq!(settings.max_retries, 3);
    let source = build(
        &cx,
        json!({"app_id": "id", "app_key": "k", "rate_limit_per_sec": 50, "max_retries": 0}),
        &|_| None,
    )
    .unwrap();
    assert_eq!(source.http_settings().rate_limit_per_sec, 50.0);
    assert_eq!(source.http_settings().max_retries, 0);
    assert_eq!(source.http_settings().timeout, Duration::from_secs(30));

    let mut registry = Registry::new();
    jobharvest_adzuna::register(&mut registry);
    let entry = |extra: Value| {
        let mut entry = json!({"type": "adzuna", "app_id": "id", "app_key": "k"});
        entry
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        entry
    };
    let built = registry
        .build_source(
            entry(json!({"rate_limit_per_sec": 50, "max_results": 7})),
            "sources[0]",
            dir.path(),
        )
        .unwrap();
    let shown = format!("{:?}", built.source);
    assert!(shown.contains("rate_limit_per_sec: 50.0"), "{shown}");
    assert!(shown.contains("max_results: Some(7)"), "{shown}");
    for (extra, key) in [
        (
            json!({"rate_limit_per_sec": 0}),
            "sources[0].rate_limit_per_sec:",
        ),
        (json!({"timeout_secs": 0}), "sources[0].timeout_secs:"),
        (json!({"max_results": 0}), "sources[0].max_results:"),
        (json!({"base_url": "ftp://x"}), "sources[0].base_url:"),
    ] {
        let err = registry
            .build_source(entry(extra), "sources[0]", dir.path())
            .unwrap_err();
        assert!(err.to_string().starts_with(key), "{err}");
    }
}

#[tokio::test]
async fn a_query_the_budget_cannot_finish_stops_after_the_first_page() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        &standin.base_url(),
        dir.path(),
        json!({"quota": {"per_day": 2, "budget_file": "budgets.json"}}),
    );
    let (_, _, result) = harvest(src, None).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(!err.is_temporary());
    let msg = err.to_string();
    assert!(
        msg.contains("needs 2 more requests, but only 1 of the daily budget of 2 requests left"),
        "{msg}"
    );
    assert!(msg.contains("resets at"), "{msg}");
    assert!(msg.contains("--limit"), "{msg}");
    assert_eq!(standin.counters().requests, 1, "no page spent in vain");
}

#[tokio::test]
async fn the_budget_is_remembered_across_runs() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let spec =
        json!({"quota": {"per_day": 2, "per_week": 10, "budget_file": "state/budgets.json"}});
    for run in 0..2 {
        let src = source(&standin.base_url(), dir.path(), spec.clone());
        let (records, _, result) = harvest(src, Some(50)).await;
        result.unwrap_or_else(|e| panic!("run {run}: {e}"));
        assert_eq!(records.len(), 50);
    }
    // A third run of the day: stopped before sending anything.
    let src = source(&standin.base_url(), dir.path(), spec.clone());
    let (records, _, result) = harvest(src, Some(50)).await;
    assert!(records.is_empty());
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("0 of the daily budget of 2 requests left"),
        "{msg}"
    );
    assert_eq!(standin.counters().requests, 2);
    let file = std::fs::read_to_string(dir.path().join("state/budgets.json")).unwrap();
    assert!(file.contains("adzuna/standin-app/week"), "{file}");
    assert!(!file.contains(KEY), "the key stays out of the budget file");
}

/// A stand-in allowing 5 requests a second, with 600 offers (12 pages).
async fn five_a_second() -> AdzunaStandin {
    AdzunaStandin::start(AdzunaStandinConfig {
        offers: 600,
        per_window: Some(5),
        window: Duration::from_secs(1),
        ..AdzunaStandinConfig::default()
    })
    .await
}

#[tokio::test]
async fn the_per_minute_window_is_respected() {
    // The client's "minute" is 1.2 s against the stand-in's strict second:
    // slack for a loaded machine, where a request can reach the server
    // well after it took its place in the window.
    let standin = five_a_second().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = json!({"quota": {"per_minute": 5, "budget_file": "b.json"}});
    let src =
        source(&standin.base_url(), dir.path(), spec).with_minute_span(Duration::from_millis(1200));
    let start = Instant::now();
    let (records, stats, result) = harvest(src, None).await;
    result.unwrap();
    assert_eq!(records.len(), 600);
    assert_eq!(standin.counters().requests, 12);
    assert_eq!(standin.counters().rate_limited, 0, "never over the window");
    assert_eq!(SourceStats::get(&stats.rate_limited), 0);
    assert!(standin.peak_per_window() <= 5);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn without_the_window_the_stand_in_answers_429() {
    // The control of the test above: the stand-in does enforce its quota.
    let standin = five_a_second().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = json!({"quota": {"per_minute": 0, "budget_file": "b.json"}});
    let (records, _, result) = harvest(source(&standin.base_url(), dir.path(), spec), None).await;
    result.unwrap();
    assert_eq!(records.len(), 600);
    assert!(standin.counters().rate_limited > 0);
}

#[tokio::test]
async fn two_sources_of_one_account_share_the_minute() {
    let standin = five_a_second().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = json!({"quota": {"per_minute": 5, "budget_file": "b.json"}, "max_results": 300});
    let make = || {
        source(&standin.base_url(), dir.path(), spec.clone())
            .with_minute_span(Duration::from_millis(1200))
    };
    let (a, b) = tokio::join!(harvest(make(), None), harvest(make(), None));
    a.2.unwrap();
    b.2.unwrap();
    assert_eq!(standin.counters().requests, 12);
    assert_eq!(standin.counters().rate_limited, 0, "one window for both");
    let file = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert!(file.contains("\"spent\": 12"), "{file}");
}

#[tokio::test]
async fn dry_run_counts_the_pages_and_the_budget_left() {
    let standin = AdzunaStandin::start(standin_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        &standin.base_url(),
        dir.path(),
        json!({"quota": {"per_day": 2, "budget_file": "b.json"}}),
    );
    let (tx, _rx) = mpsc::channel::<Batch>(1);
    let cx = SourceContext::new(
        "adzuna",
        tx,
        Arc::new(SourceStats::new()),
        Arc::default(),
        None,
    );
    let plan = Box::new(src).plan(cx).await.unwrap().unwrap();
    assert_eq!(plan.total, Some(120));
    assert_eq!((plan.planning_requests, plan.remaining_requests), (1, 2));
    let notes = plan.notes.join("\n");
    assert!(
        notes.contains("1 of the daily budget of 2 requests left"),
        "{notes}"
    );
    assert!(notes.contains("needs 2 more requests"), "{notes}");
    assert_eq!(standin.counters().requests, 1);
}

#[tokio::test]
async fn without_a_count_paging_goes_on_until_a_short_page() {
    let server = MockServer::start().await;
    let offers: Vec<Value> = (0..3).map(|i| json!({"id": format!("c{i}")})).collect();
    for (page, slice) in [(1, &offers[..2]), (2, &offers[2..])] {
        Mock::given(path(format!("/v1/api/jobs/fr/search/{page}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": slice})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = source(&server.uri(), dir.path(), json!({"results_per_page": 2}));
    let (records, stats, result) = harvest(src, None).await;
    result.unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(stats.total(), None);
}

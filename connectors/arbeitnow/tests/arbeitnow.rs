//! The `arbeitnow` source against recorded answers (wiremock) and the
//! Arbeitnow stand-in: following `links.next`, limits, retries and
//! normalization.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jobharvest_arbeitnow::normalize::normalize;
use jobharvest_arbeitnow::{ArbeitnowConfig, ArbeitnowNormalizer, ArbeitnowSource};
use jobharvest_core::http::HttpSettings;
use jobharvest_core::{
    Batch, ErrorKind, FilterSupport, JobRecord, NormalizeOptions, Normalizer, Registry, Result,
    Source, SourceConfig, SourceContext, SourceStats,
};
use jobharvest_standin::{ArbeitnowStandin, ArbeitnowStandinConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API: &str = "/api/job-board-api";

fn fixture() -> String {
    let path = format!(
        "{}/tests/fixtures/page-1-2026-10-2-offers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fast() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50))
        .with_max_retry_after(Duration::from_secs(2))
}

fn source(base_url: &str, spec: Value) -> ArbeitnowSource {
    let mut config = json!({"base_url": base_url});
    for (k, v) in spec.as_object().unwrap() {
        config[k] = v.clone();
    }
    let config: ArbeitnowConfig = serde_json::from_value(config).unwrap();
    config.build_source().unwrap().with_http_settings(fast())
}

async fn harvest(
    source: ArbeitnowSource,
    limit: Option<u64>,
) -> (Vec<JobRecord>, Arc<SourceStats>, Result<()>) {
    harvest_boxed(Box::new(source), limit).await
}

/// As [`harvest`], for a source built as a run builds it.
async fn harvest_boxed(
    source: Box<dyn Source>,
    limit: Option<u64>,
) -> (Vec<JobRecord>, Arc<SourceStats>, Result<()>) {
    let (tx, mut rx) = mpsc::channel::<Batch>(64);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new("arbeitnow", tx, Arc::clone(&stats), Arc::default(), limit);
    let task = tokio::spawn(source.run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    let result = task.await.unwrap();
    (records, stats, result)
}

#[test]
fn recorded_offers_normalize() {
    let page: Value = serde_json::from_str(&fixture()).unwrap();
    let raw = serde_json::to_string(&page["data"][0]).unwrap();
    let r = normalize(&raw, &NormalizeOptions::default()).unwrap();
    assert_eq!(r.source, "arbeitnow");
    assert_eq!(r.source_id, "studentische-hilfskraft-potsdam-377838");
    assert_eq!(r.title.as_deref(), Some("Studentische Hilfskraft"));
    assert_eq!(r.company_name.as_deref(), Some("MCH Ventures"));
    assert_eq!(r.location_label.as_deref(), Some("Potsdam"));
    assert_eq!(r.remote, Some(true));
    assert_eq!(r.tags, ["Remote", "Business Consulting"]);
    assert_eq!(
        r.contract_label.as_deref(),
        Some("Working student, berufseinstieg")
    );
    assert_eq!(
        r.created_at,
        Some("2026-10-08T16:30:53Z".parse::<DateTime<Utc>>().unwrap())
    );
    assert_eq!(
        r.description.as_deref(),
        Some("Wir sind eine spezialisierte Beratung …")
    );
    assert!(
        r.raw.as_deref().unwrap().contains("<p>Wir sind"),
        "HTML kept in raw"
    );
    // Arbeitnow sends no salary, coordinates or contract code.
    assert_eq!((r.salary_min, r.salary_currency.as_deref()), (None, None));
    assert_eq!((r.latitude, r.contract_type.as_deref()), (None, None));
    assert_eq!(r.salary_predicted, None);

    let raw = serde_json::to_string(&page["data"][1]).unwrap();
    let r = normalize(&raw, &NormalizeOptions::default()).unwrap();
    assert_eq!(r.remote, Some(false));
    assert_eq!(
        r.description.as_deref(),
        Some("IHR START BEI PRAXISEINS.\n\n...full HTML...")
    );
    assert_eq!(r.created_at.unwrap().timestamp(), 1791146412);
}

#[test]
fn raw_is_left_out_when_the_options_say_so_and_nothing_else_changes() {
    let page: Value = serde_json::from_str(&fixture()).unwrap();
    let raw = serde_json::to_string(&page["data"][0]).unwrap();
    let kept = normalize(&raw, &NormalizeOptions::default()).unwrap();
    let left_out = normalize(&raw, &NormalizeOptions::default().leaving_out_raw(true)).unwrap();
    assert_eq!(kept.raw.as_deref(), Some(raw.as_str()), "the exact offer");
    assert_eq!(left_out.raw, None);
    let mut kept = kept;
    kept.raw = None;
    assert_eq!(kept, left_out, "every other field alike");
    assert_eq!(
        left_out.source_id, "studentische-hilfskraft-potsdam-377838",
        "the offer was read"
    );
    // The replay path passes its options through.
    let replayed = ArbeitnowNormalizer
        .normalize(&raw, &NormalizeOptions::default().leaving_out_raw(true))
        .unwrap();
    assert_eq!(replayed.raw, None);
}

#[tokio::test]
async fn a_run_whose_sinks_write_no_raw_leaves_it_out() {
    let standin = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: 1,
        per_page: 5,
        port: 0,
    })
    .await;
    let mut cx = Registry::new().build_context(std::path::Path::new("."), "arbeitnow");
    let mut runs = Vec::new();
    for leave_out_raw in [false, true] {
        cx.leave_out_raw = leave_out_raw;
        let config: ArbeitnowConfig = serde_json::from_value(json!({
            "base_url": standin.base_url(), "rate_limit_per_sec": 100,
        }))
        .unwrap();
        let (records, _, result) = harvest_boxed(config.build(&cx).unwrap(), None).await;
        result.unwrap();
        assert_eq!(records.len(), 5);
        runs.push(records);
    }
    assert!(runs[0].iter().all(|r| r.raw.is_some()), "kept by default");
    assert!(runs[1].iter().all(|r| r.raw.is_none()), "left out");
}

#[test]
fn an_offer_without_a_slug_is_a_parse_error() {
    let err = normalize(r#"{"title": "x"}"#, &NormalizeOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(err.to_string().contains("slug"), "{err}");
    assert_eq!(
        normalize("[1]", &NormalizeOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
}

#[tokio::test]
async fn follows_links_next_until_null() {
    let standin = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: 3,
        per_page: 20,
        port: 0,
    })
    .await;
    let (records, stats, result) = harvest(source(&standin.base_url(), json!({})), None).await;
    result.unwrap();
    assert_eq!(standin.requests(), 3);
    assert_eq!(records.len(), 60);
    assert_eq!(SourceStats::get(&stats.duplicates), 0);
    assert_eq!(
        records[0].description.as_deref(),
        Some(
            "Über MCH Ventures\n\nWir suchen Verstärkung für unser Team & unsere Kunden (Angebot 0).\n\n- Rust & Python\n- Gehalt > 50 000 €\n\nBewirb dich jetzt!\nKontakt: jobs@example.invalid"
        )
    );
    for (r, offer) in records.iter().zip(standin.offers()) {
        assert_eq!(r.source_id, offer["slug"].as_str().unwrap());
        let created = offer["created_at"].as_i64().unwrap();
        assert_eq!(
            r.created_at.unwrap().timestamp(),
            created,
            "Unix seconds, UTC"
        );
        let text = r.description.as_deref().unwrap();
        assert!(!text.contains('<') && !text.contains("&amp;"), "{text}");
        assert!(text.contains("\n- Rust & Python\n"), "{text}");
        assert!(r.raw.as_deref().unwrap().contains("<ul><li>"));
        assert_eq!(r.remote, offer["remote"].as_bool());
        assert!(r.url.is_some() && r.company_name.is_some() && r.title.is_some());
    }
}

#[tokio::test]
async fn the_limit_stops_the_paging() {
    let standin = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: 5,
        per_page: 20,
        port: 0,
    })
    .await;
    let (records, _, result) = harvest(source(&standin.base_url(), json!({})), Some(25)).await;
    result.unwrap();
    assert_eq!(records.len(), 25);
    assert_eq!(standin.requests(), 2);
    let (records, _, result) =
        harvest(source(&standin.base_url(), json!({"max_pages": 1})), None).await;
    result.unwrap();
    assert_eq!(records.len(), 20);
    assert_eq!(standin.requests(), 3);
}

fn page(data: Value, next: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": data,
        "links": {"first": null, "last": null, "prev": null, "next": next},
        "meta": {"current_page": 1, "per_page": 100},
    }))
}

#[tokio::test]
async fn an_empty_board_ends_after_one_request() {
    let server = MockServer::start().await;
    Mock::given(path(API))
        .respond_with(page(json!([]), None))
        .mount(&server)
        .await;
    let (records, _, result) = harvest(source(&server.uri(), json!({})), None).await;
    result.unwrap();
    assert!(records.is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn links_to_the_public_site_stay_on_the_configured_host() {
    let server = MockServer::start().await;
    Mock::given(path(API))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(), "application/json"))
        .mount(&server)
        .await;
    Mock::given(path(API))
        .and(query_param("page", "2"))
        .respond_with(page(
            json!([{"slug": "last-one", "title": "Last", "created_at": 1791146412}]),
            None,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (records, _, result) = harvest(source(&server.uri(), json!({})), None).await;
    result.unwrap();
    let ids: Vec<_> = records.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "studentische-hilfskraft-potsdam-377838",
            "medizinische-fachangestellte-in-modernem-hausarztzentrum-frechen-339157",
            "last-one"
        ]
    );
}

#[tokio::test]
async fn a_next_link_back_to_a_read_page_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    let back = format!("{}{API}?page=1", server.uri());
    Mock::given(path(API))
        .respond_with(page(json!([{"slug": "a"}]), Some(&back)))
        .mount(&server)
        .await;
    let (records, _, result) = harvest(source(&server.uri(), json!({})), None).await;
    assert_eq!(records.len(), 1);
    let err = result.unwrap_err();
    assert!(err.to_string().contains("already read"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_and_5xx_are_retried() {
    let server = MockServer::start().await;
    Mock::given(path(API))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(API))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path(API))
        .respond_with(page(json!([{"slug": "a"}, {"slug": "b"}]), None))
        .mount(&server)
        .await;
    let start = Instant::now();
    let (records, stats, result) = harvest(source(&server.uri(), json!({})), None).await;
    result.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(records.len(), 2);
    assert_eq!(SourceStats::get(&stats.rate_limited), 1);
    assert_eq!(SourceStats::get(&stats.retries), 3);
}

#[tokio::test]
async fn a_refusal_names_the_status_and_stops() {
    let server = MockServer::start().await;
    Mock::given(path(API))
        .respond_with(ResponseTemplate::new(403).set_body_string("Forbidden"))
        .mount(&server)
        .await;
    let (_, _, result) = harvest(source(&server.uri(), json!({})), None).await;
    let err = result.unwrap_err();
    assert!(err.to_string().contains("403: Forbidden"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn capabilities_say_filters_are_client_side_and_no_auth() {
    let caps = ArbeitnowConfig::capabilities();
    assert_eq!(caps.filters, FilterSupport::Client);
    assert_eq!(caps.auth, "none");
    assert!(caps.network);
    let err = serde_json::from_value::<ArbeitnowConfig>(json!({"search": "rust"})).unwrap_err();
    assert!(err.to_string().contains("search"), "{err}");
    let config: ArbeitnowConfig = serde_json::from_value(json!({"max_pages": 0})).unwrap();
    let err = config.build_source().unwrap_err();
    assert!(err.to_string().contains("max_pages"), "{err}");
}

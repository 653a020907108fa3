//! The `arbeitnow` board definition (`boards/arbeitnow.yaml`) against the
//! recorded page and the Arbeitnow stand-in: the tests the Rust connector
//! it replaces passed, run on the definition. Following `links.next`,
//! limits, retries, the HTML descriptions and the Unix-seconds dates.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{build, fixture, harvest, registry};
use jobharvest_core::{ErrorKind, FilterSupport, NormalizeOptions, SourceStats};
use jobharvest_standin::{ArbeitnowStandin, ArbeitnowStandinConfig};
use serde_json::{Value, json};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API: &str = "/api/job-board-api";
const RECORDED: &str = "arbeitnow/page-1-2026-10-2-offers.json";

/// The `arbeitnow` source against a server at `server` (which serves the
/// API under `/api`), with `extra` keys.
fn source(server: &str, extra: Value) -> Box<dyn jobharvest_core::Source> {
    let mut entry = json!({"type": "arbeitnow", "base_url": format!("{server}/api"), "rate_limit_per_sec": 1000, "max_retries": 5});
    for (k, v) in extra.as_object().unwrap() {
        entry[k] = v.clone();
    }
    build(entry).unwrap()
}

fn normalize(
    raw: &str,
    options: &NormalizeOptions,
) -> jobharvest_core::Result<jobharvest_core::JobRecord> {
    let r = registry();
    let cx = r.build_context(std::path::Path::new("."), "replay");
    cx.normalizer("arbeitnow").unwrap().normalize(raw, options)
}

#[test]
fn recorded_offers_normalize() {
    let page: Value = serde_json::from_str(&fixture(RECORDED)).unwrap();
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
    assert!(
        r.attribution.as_deref().unwrap().contains("arbeitnow.com"),
        "the board asks for a link back"
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
    let page: Value = serde_json::from_str(&fixture(RECORDED)).unwrap();
    let raw = serde_json::to_string(&page["data"][0]).unwrap();
    let kept = normalize(&raw, &NormalizeOptions::default()).unwrap();
    let left_out = normalize(&raw, &NormalizeOptions::default().leaving_out_raw(true)).unwrap();
    assert_eq!(kept.raw.as_deref(), Some(raw.as_str()), "the exact offer");
    assert_eq!(left_out.raw, None);
    let mut kept = kept;
    kept.raw = None;
    assert_eq!(kept, left_out, "every other field alike");
    assert_eq!(left_out.source_id, "studentische-hilfskraft-potsdam-377838");
}

#[tokio::test]
async fn a_run_whose_sinks_write_no_raw_leaves_it_out() {
    let standin = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: 1,
        per_page: 5,
        port: 0,
    })
    .await;
    let mut runs = Vec::new();
    for keep_raw in [true, false] {
        let entry = json!({"type": "arbeitnow", "base_url": format!("{}/api", standin.base_url()), "rate_limit_per_sec": 100});
        let built = registry()
            .build_source_for(entry, "sources[0]", std::path::Path::new("."), keep_raw)
            .unwrap();
        let (records, _, result) = harvest(built.source, None).await;
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
    assert!(err.to_string().contains("source_id"), "{err}");
    assert_eq!(
        normalize("[1", &NormalizeOptions::default())
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
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture(RECORDED), "application/json"),
        )
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
        .respond_with(ResponseTemplate::new(403).set_body_string("Forbidden by policy"))
        .mount(&server)
        .await;
    let (_, _, result) = harvest(source(&server.uri(), json!({})), None).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = err.to_string();
    assert!(
        text.contains("403") && text.contains("Forbidden by policy"),
        "{text}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn capabilities_say_filters_are_client_side_and_no_auth() {
    let r = registry();
    let caps = r
        .sources()
        .find(|i| i.name == "arbeitnow")
        .and_then(|i| i.capabilities)
        .unwrap();
    assert_eq!(caps.filters, FilterSupport::Client);
    assert_eq!(caps.auth, "none");
    assert!(caps.network);
    let err = build(json!({"type": "arbeitnow", "search": "rust"})).unwrap_err();
    assert!(err.to_string().contains("sources[0].search"), "{err}");
    let err = build(json!({"type": "arbeitnow", "max_pages": 0})).unwrap_err();
    assert!(err.to_string().contains("max_pages"), "{err}");
    let err = build(json!({"type": "arbeitnow", "params": {"q": "rust"}})).unwrap_err();
    assert!(err.to_string().contains("takes no parameter"), "{err}");
}

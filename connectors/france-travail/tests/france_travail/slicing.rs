//! Queries beyond the API's 3,150-offer window, against the stand-in.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jobharvest_core::checkpoint::{Checkpoint, CheckpointPaths};
use jobharvest_core::{ErrorKind, SourceStats};
use jobharvest_standin::{DatePrecision, Fault, Order, Standin, StandinConfig};
use serde_json::json;

use crate::support::*;

fn slim(offers: usize) -> StandinConfig {
    StandinConfig {
        offers,
        slim: true,
        ..StandinConfig::default()
    }
}

/// Every offer of the stand-in exactly once.
fn assert_every_offer_once(standin: &Standin, run: &Run) {
    let ids: Vec<&str> = run.records.iter().map(|r| r.source_id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an offer was emitted twice");
    let expected: HashSet<String> = standin.offer_ids().into_iter().collect();
    let got: HashSet<String> = unique.iter().map(|s| s.to_string()).collect();
    let missing = expected.difference(&got).count();
    assert_eq!(missing, 0, "{missing} offers missing");
    assert_eq!(got.len(), expected.len());
}

fn floor(offers: usize) -> u64 {
    (offers as u64).div_ceil(150)
}

#[tokio::test]
async fn a_query_beyond_the_window_is_sliced_by_date() {
    let standin = Standin::start(slim(9_000)).await;
    let run = run(standin_source(&standin, json!({}), json!({})), None).await;
    run.result.as_ref().unwrap();
    assert_every_offer_once(&standin, &run);
    assert_eq!(run.stats.total(), Some(9_000));
    let requests = standin.counters().requests;
    assert!(requests <= floor(9_000) + 12, "{requests} requests");
    let log = standin.log();
    assert!(log.iter().all(|r| r.status < 400), "no error answer");
    // Slices ask for both dates; no page reaches past the window.
    for r in &log[1..] {
        assert!(r.param("minCreationDate").is_some() && r.param("maxCreationDate").is_some());
        let (p, _) = r.param("range").unwrap().split_once('-').unwrap();
        assert!(p.parse::<u64>().unwrap() <= 3000);
    }
}

#[tokio::test]
async fn newest_first_answers_compared_to_the_second_are_sliced_too() {
    let standin = Standin::start(StandinConfig {
        order: Order::NewestFirst,
        date_precision: DatePrecision::Seconds,
        ..slim(12_000)
    })
    .await;
    let run = run(standin_source(&standin, json!({}), json!({})), None).await;
    run.result.as_ref().unwrap();
    assert_every_offer_once(&standin, &run);
    let requests = standin.counters().requests;
    assert!(requests <= floor(12_000) + 16, "{requests} requests");
}

#[tokio::test]
async fn dense_creation_dates_lose_no_offer_at_window_boundaries() {
    // 2.5 offers per second, dated to the millisecond: every cut falls on
    // seconds that hold offers.
    for precision in [DatePrecision::Millis, DatePrecision::Seconds] {
        let standin = Standin::start(StandinConfig {
            span: Duration::from_secs(3_600),
            burst_share: 0.0,
            date_precision: precision,
            ..slim(9_000)
        })
        .await;
        let run = run(standin_source(&standin, json!({}), json!({})), None).await;
        run.result.as_ref().unwrap();
        assert_every_offer_once(&standin, &run);
        // The root's first page comes again in the slices; boundaries add
        // a few more.
        let duplicates = SourceStats::get(&run.stats.duplicates);
        assert!(
            (150..200).contains(&duplicates),
            "{precision:?}: {duplicates} duplicates"
        );
    }
}

#[tokio::test]
async fn a_crowded_second_is_cut_by_departement_then_contract_type() {
    // 90 % of the offers share one second; 70 % are in one département.
    let standin = Standin::start(StandinConfig {
        burst_share: 0.9,
        big_share: 0.7,
        ..slim(6_000)
    })
    .await;
    let run = run(standin_source(&standin, json!({}), json!({})), None).await;
    run.result.as_ref().unwrap();
    assert_every_offer_once(&standin, &run);
    let log = standin.log();
    assert!(
        log.iter()
            .any(|r| r.path.ends_with("/referentiel/departements"))
    );
    let by_departement = log
        .iter()
        .filter(|r| r.param("departement").is_some())
        .count();
    assert!(by_departement > 0);
    assert!(
        log.iter()
            .filter_map(|r| r.param("departement"))
            .all(|d| d.split(',').count() <= 5),
        "at most 5 départements per request"
    );
    assert!(
        log.iter()
            .any(|r| r.param("departement") == Some("75") && r.param("typeContrat").is_some()),
        "the crowded département is cut by contract type"
    );
    let requests = standin.counters().requests;
    assert!(requests <= floor(6_000) + 40, "{requests} requests");
}

#[tokio::test]
async fn offers_out_of_reach_are_counted_not_hidden() {
    // With natureContrat set, contract types cannot cut the crowded
    // département: the offers beyond its 3,150 are out of reach.
    let standin = Standin::start(StandinConfig {
        burst_share: 0.95,
        big_share: 0.8,
        ..slim(6_000)
    })
    .await;
    let source = standin_source(&standin, json!({"natureContrat": "E1"}), json!({}));
    let (plan, _) = plan(source).await;
    let plan = plan.unwrap().unwrap();
    let notes = plan.notes.join("\n");
    assert!(notes.contains("out of reach"), "{notes}");
    let run = run(
        standin_source(&standin, json!({"natureContrat": "E1"}), json!({})),
        None,
    )
    .await;
    run.result.as_ref().unwrap();
    assert!(
        standin
            .log()
            .iter()
            .all(|r| r.param("typeContrat").is_none()),
        "typeContrat is never added to natureContrat"
    );
    let burst = standin_burst(&standin);
    let crowded = standin.count(|ms, d, _| d == Some("75") && burst == Some(ms));
    assert!(crowded > 3_150, "{crowded}");
    assert_eq!(run.records.len(), 6_000 - (crowded - 3_150));
}

/// The instant most offers share.
fn standin_burst(standin: &Standin) -> Option<i64> {
    let mut counts = std::collections::HashMap::new();
    standin.count(|ms, _, _| {
        *counts.entry(ms).or_insert(0) += 1;
        false
    });
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(ms, _)| ms)
}

#[tokio::test]
async fn offers_without_departement_are_reported() {
    let standin = Standin::start(StandinConfig {
        burst_share: 0.9,
        no_departement_share: 0.02,
        ..slim(5_000)
    })
    .await;
    let (plan, _) = plan(standin_source(&standin, json!({}), json!({}))).await;
    let notes = plan.unwrap().unwrap().notes.join("\n");
    assert!(notes.contains("fall in no département slice"), "{notes}");
}

#[tokio::test]
async fn the_plan_lists_slices_without_paging_them() {
    let standin = Standin::start(slim(9_000)).await;
    let (plan, stats) = plan(standin_source(&standin, json!({}), json!({}))).await;
    let plan = plan.unwrap().unwrap();
    assert_eq!(plan.total, Some(9_000));
    assert!(plan.slices.len() >= 3, "{:?}", plan.slices);
    let sum: u64 = plan.slices.iter().map(|s| s.total).sum();
    assert!(sum >= 9_000, "the slices hold every offer: {sum}");
    assert!(plan.slices.iter().all(|s| s.total <= 3_150));
    assert!(
        plan.slices[0].label.contains("minCreationDate="),
        "{:?}",
        plan.slices[0]
    );
    let requests = standin.counters().requests;
    assert_eq!(plan.planning_requests, requests);
    assert_eq!(SourceStats::get(&stats.requests), requests);
    assert!(
        standin
            .log()
            .iter()
            .all(|r| r.param("range").unwrap().starts_with("0-"))
    );
    let pages: u64 = plan.slices.iter().map(|s| s.requests).sum();
    assert_eq!(plan.remaining_requests, pages - plan.slices.len() as u64);
    assert!(pages <= floor(9_000) + 8, "{pages}");
}

#[tokio::test]
async fn the_users_filters_are_kept_and_intersected() {
    let standin = Standin::start(StandinConfig {
        big_share: 0.6,
        ..slim(12_000)
    })
    .await;
    let now = chrono::Utc::now();
    let min = (now - chrono::Duration::days(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let max = (now - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (lo, hi) = (
        chrono::DateTime::parse_from_rfc3339(&min)
            .unwrap()
            .timestamp_millis(),
        chrono::DateTime::parse_from_rfc3339(&max)
            .unwrap()
            .timestamp_millis(),
    );
    let params =
        json!({"departement": ["75", "13"], "minCreationDate": min, "maxCreationDate": max});
    let run = run(standin_source(&standin, params, json!({})), None).await;
    run.result.as_ref().unwrap();
    let expected = standin.count(|ms, d, _| matches!(d, Some("75" | "13")) && ms >= lo && ms <= hi);
    assert!(expected > 3_150, "{expected}");
    let ids: HashSet<&str> = run.records.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(ids.len(), run.records.len());
    assert_eq!(ids.len(), expected);
    for r in &standin.log()[1..] {
        let d = r.param("departement").unwrap();
        assert!(d == "75,13" || d == "75" || d == "13", "{d}");
        assert!(r.param("minCreationDate").unwrap() >= min.as_str());
        assert!(r.param("maxCreationDate").unwrap() <= max.as_str());
    }
}

#[tokio::test]
async fn max_results_and_the_limit_cap_the_harvest() {
    let standin = Standin::start(slim(9_000)).await;
    let run1 = run(
        standin_source(&standin, json!({}), json!({"max_results": 5_000})),
        None,
    )
    .await;
    run1.result.unwrap();
    assert_eq!(run1.records.len(), 5_000);
    let first = standin.counters().requests;
    assert!(first <= 5_000 / 150 + 12, "{first}");
    let run2 = run(standin_source(&standin, json!({}), json!({})), Some(4_000)).await;
    run2.result.unwrap();
    assert_eq!(run2.records.len(), 4_000);
    let ids: HashSet<&str> = run2.records.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(ids.len(), 4_000);
}

#[tokio::test]
async fn a_refused_slice_names_the_api_message_and_its_parameters() {
    let standin = Standin::start(slim(5_000)).await;
    standin.set_fault(|q| {
        q.get("minCreationDate").map(|_| {
            Fault::BadRequest("Valeur du paramètre « minCreationDate » incorrecte.".into())
        })
    });
    let run = run(
        standin_source(&standin, json!({"motsCles": "data"}), json!({})),
        None,
    )
    .await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let msg = err.to_string();
    assert!(
        msg.contains("Valeur du paramètre « minCreationDate » incorrecte."),
        "{msg}"
    );
    assert!(
        msg.contains("maxCreationDate=")
            && msg.contains("minCreationDate=")
            && msg.contains("motsCles=data"),
        "{msg}"
    );
}

#[tokio::test]
async fn spent_retries_name_the_missing_slices_and_resume_fetches_them() {
    let standin = Standin::start(slim(9_000)).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = CheckpointPaths::new(dir.path(), "job");
    // Every window ending in the last 10 days fails.
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    standin.set_fault(move |q| {
        q.get("maxCreationDate")
            .filter(|max| *max > cutoff.as_str())
            .map(|_| Fault::Status(503))
    });
    let checkpoint = Arc::new(Checkpoint::create(&paths, "f").unwrap());
    let source = standin_source(&standin, json!({}), json!({"max_retries": 1}));
    let first = run_with(source, None, Some(checkpoint.clone())).await;
    let err = first.result.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("could not be fetched after retries"), "{msg}");
    assert!(
        msg.contains("maxCreationDate="),
        "the slice is named: {msg}"
    );
    assert!(msg.contains("offers are missing"), "{msg}");
    assert!(msg.contains("503"), "{msg}");
    assert!(checkpoint.done_count() > 0, "completed slices are kept");
    assert!(first.records.len() < 9_000);
    drop(checkpoint);

    let before = standin.counters().requests;
    standin.clear_fault();
    let checkpoint = Arc::new(Checkpoint::resume(&paths, "f").unwrap());
    let source = standin_source(&standin, json!({}), json!({"max_retries": 1}));
    let second = run_with(source, None, Some(checkpoint)).await;
    second.result.unwrap();
    let resumed = standin.counters().requests - before;
    // Together the two runs hold every offer (the runner replays the first
    // run's records from the spool).
    let mut all: HashSet<String> = first.records.iter().map(|r| r.source_id.clone()).collect();
    all.extend(second.records.iter().map(|r| r.source_id.clone()));
    assert_eq!(all.len(), 9_000);
    assert!(
        resumed < floor(9_000),
        "the resumed run skipped completed slices: {resumed} requests"
    );
    assert!(second.records.len() < 9_000);
}

#[tokio::test]
async fn the_pacer_keeps_a_strict_limiter_happy() {
    // 40 requests per second enforced by a sliding window; 5xx and expiring
    // tokens on the way.
    let standin = Standin::start(StandinConfig {
        rate_limit_per_sec: Some(40),
        latency: (Duration::from_millis(5), Duration::from_millis(40)),
        error_rate: 0.03,
        token_lifetime: Duration::from_millis(1500),
        ..slim(4_000)
    })
    .await;
    let source = standin_source(&standin, json!({}), json!({"rate_limit_per_sec": 40}));
    let settings = source.http_settings().clone().with_rate_limit_per_sec(40.0);
    let run = run(source.with_http_settings(settings), None).await;
    run.result.as_ref().unwrap();
    assert_every_offer_once(&standin, &run);
    let c = standin.counters();
    assert_eq!(c.rate_limited, 0, "{c:?}");
    assert!(standin.peak_per_second() <= 40);
    assert!(c.tokens >= 1);
}

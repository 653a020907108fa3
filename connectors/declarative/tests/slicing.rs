//! Slicing past a result window: JobTech's search reaches at most 2,100
//! hits a query (offset ≤ 2,000, limit ≤ 100). A query over more is split
//! into date windows until each fits, so that every ad is fetched once.

mod common;

use std::collections::HashSet;

use common::{build, harvest};
use jobharvest_standin::boards::{Board, BoardStandin, BoardStandinConfig};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_query_past_the_window_is_split_by_date_and_every_ad_comes_once() {
    let standin = BoardStandin::start(
        Board::JobTech,
        BoardStandinConfig {
            offers: 3000,
            ..BoardStandinConfig::default()
        },
    )
    .await;
    let source = build(json!({
        "type": "jobtech",
        "base_url": standin.base_url(),
        "rate_limit_per_sec": 1000,
    }))
    .unwrap();
    let (records, stats, result) = harvest(source, None).await;
    result.unwrap();
    let expected: HashSet<String> = standin.open_ids().into_iter().collect();
    let got: Vec<&str> = records.iter().map(|r| r.source_id.as_str()).collect();
    let unique: HashSet<&str> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "no ad emitted twice");
    assert_eq!(expected.len(), 3000);
    let missing: Vec<_> = expected
        .iter()
        .filter(|id| !unique.contains(id.as_str()))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "{} ads missing, e.g. {missing:?}",
        expected.len() - unique.len()
    );
    assert_eq!(unique.len(), expected.len());
    let log = standin.log();
    assert!(
        log.iter()
            .any(|l| l.contains("published-after") && l.contains("published-before")),
        "the query was split by date: {:?}",
        &log[..log.len().min(5)]
    );
    assert!(
        !log.iter().any(|l| l.contains("offset=2100")),
        "no request past the window"
    );
    let requests = jobharvest_core::SourceStats::get(&stats.requests);
    assert!(
        requests < 3000 / 100 * 3,
        "{requests} requests for 3,000 ads"
    );
    assert_eq!(stats.total(), Some(3000));
}

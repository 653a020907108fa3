//! Several sources in one spec: they merge into the same outputs, and one
//! failing source does not lose the others' records, but the exit code and
//! the summary say it failed.

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const ENV: [(&str, &str); 2] = [
    ("FT_CLIENT_ID", "my-app"),
    ("FT_CLIENT_SECRET", "right-secret"),
];

fn demo_offers() -> String {
    repo()
        .join("config/demo/offres.jsonl")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

/// A spec with a France Travail source on `good`, the demo replay, and a
/// France Travail source whose token endpoint is `broken`, plus `extra`
/// top-level lines.
fn spec(good: &StandIn, broken: &MockServer, extra: &str) -> String {
    format!(
        "{extra}sources:
  - type: france_travail
    name: ft-good
    token_url: {}
    api_url: {}
  - type: replay
    name: demo
    connector: france_travail
    path: {}
  - type: france_travail
    name: ft-broken
    token_url: {}/token
    api_url: {}/api
    max_retries: 0
sinks:
  - {{ type: parquet, path: out/offres.parquet }}
  - {{ type: csv, path: out/offres.csv }}
",
        good.token_url(),
        good.api_url(),
        demo_offers(),
        broken.uri(),
        broken.uri(),
    )
}

async fn run(dir: &std::path::Path) -> std::process::Output {
    jobharvest_async(
        dir.to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        ENV.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_source_keeps_the_others_records_and_exits_1() {
    let good = StandIn::start(generated_offers(40)).await;
    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"})),
        )
        .mount(&broken)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), spec(&good, &broken, "")).unwrap();

    let out = run(dir.path()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The summary: one line per source, with its status and the reason.
    let line = |name: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(&format!("source {name} ")))
            .unwrap_or_else(|| panic!("no summary line for {name} in:\n{err}"))
            .to_string()
    };
    assert!(line("ft-good").contains(": ok: 40 offers"), "{err}");
    assert!(line("demo").contains(": ok: 7 offers"), "{err}");
    let broken_line = line("ft-broken");
    assert!(
        broken_line.contains("FAILED (authentication error"),
        "{err}"
    );
    assert!(broken_line.contains(": 0 offers"), "{err}");
    // The closing error names the failed source and says what was written.
    assert!(err.contains("1 of 3 sources failed (`ft-broken`)"), "{err}");
    assert!(err.contains("outputs were written"), "{err}");
    assert!(!err.contains("right-secret"), "secret leaked: {err}");

    let rows = read_parquet(&dir.path().join("out/offres.parquet"));
    assert_eq!(rows.len(), 47, "40 from ft-good and the 7 demo offers");
    assert!(rows.iter().all(|r| r["fingerprint"].is_string()));
    let csv = read_csv(&dir.path().join("out/offres.csv"), b',');
    assert_eq!(csv.len(), 47);
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe_fingerprint_drops_the_same_job_harvested_twice() {
    // The stand-in serves the demo's offers under other ids: the same jobs.
    let good = StandIn::start(
        sample_offers()
            .into_iter()
            .enumerate()
            .map(|(i, mut o)| {
                o["id"] = serde_json::json!(format!("COPY{i}"));
                o
            })
            .collect(),
    )
    .await;
    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&broken)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        spec(&good, &broken, "dedupe: fingerprint\n"),
    )
    .unwrap();
    let out = run(dir.path()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let rows = read_parquet(&dir.path().join("out/offres.parquet"));
    let mut prints: Vec<&str> = rows
        .iter()
        .map(|r| r["fingerprint"].as_str().unwrap())
        .collect();
    let n = prints.len();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), n, "a fingerprint is written twice");
    assert_eq!(n, 7, "each job once, from whichever source came first");
    let dropped: u64 = err
        .lines()
        .filter_map(|l| {
            l.split(" same job dropped")
                .next()?
                .rsplit(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert_eq!(dropped, 7, "{err}");
}

#[test]
fn a_filter_on_a_source_that_takes_none_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!(
            "sources:\n  - type: replay\n    connector: france_travail\n    path: {}\n    filter: {{ keywords: [rust] }}\nsinks:\n  - {{ type: csv, path: out/offres.csv }}\n",
            demo_offers()
        ),
    )
    .unwrap();
    for command in ["validate", "run"] {
        let out = jobharvest(dir.path(), &[command, "job.yaml"], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains("sources[0].filter"), "{err}");
        assert!(err.contains("the `replay` source takes no filter"), "{err}");
        assert!(
            !dir.path().join("out").exists(),
            "{command} wrote something"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_keeps_only_matching_offers_and_counts_the_rest() {
    // In the seven recorded offers, "Agent" starts two titles, once with an
    // accent-free apostrophe ("Agent d'exploitation"); the filter's
    // keyword is in upper case.
    let stand_in = StandIn::start(sample_offers()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!(
            "sources:\n  - type: france_travail\n    token_url: {}\n    api_url: {}\n    filter: {{ keywords: [AGENT] }}\nsinks:\n  - {{ type: parquet, path: out/offres.parquet }}\n",
            stand_in.token_url(),
            stand_in.api_url()
        ),
    )
    .unwrap();
    let out = run(dir.path()).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("filters server-side with its own parameters"),
        "{err}"
    );
    assert!(err.contains("2 offers of 7 reported"), "{err}");
    assert!(err.contains("5 filtered out"), "{err}");
    let rows = read_parquet(&dir.path().join("out/offres.parquet"));
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["source_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["177NMLN", "177NMLR"]);
}

#[test]
fn connectors_show_filter_support_paging_and_auth() {
    let out = jobharvest(&repo(), &["connectors"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let caps_of = |name: &str| {
        let mut lines = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(name));
        lines.next();
        lines.next().unwrap_or_default().to_string()
    };
    let ft = caps_of("france_travail");
    assert!(ft.contains("filters: server"), "{text}");
    assert!(ft.contains("FT_CLIENT_ID"), "{text}");
    assert!(ft.contains("page size: 150"), "{text}");
    assert!(ft.contains("resumable"), "{text}");
    let replay = caps_of("replay");
    assert!(
        replay.contains("filters: none (`filter:` refused)"),
        "{text}"
    );
    assert!(replay.contains("auth: none"), "{text}");
}

//! Boards defined in YAML, through the binary as a user runs them: one
//! spec against stand-ins of JobTech (a query past its 2,100-ad window),
//! Himalayas, RemoteOK and NAV's feed through their shipped definitions,
//! plus a board the project has never seen, written here in the format
//! and loaded with `boards:`. Every offer must arrive once with its fields
//! right and no secret printed; a misspelt column and a missing key must
//! be refused before any request.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDateTime, TimeZone};
use jobharvest_standin::boards::{Board, BoardStandin, BoardStandinConfig};
use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::*;

/// The board the check invents: cursor paging, a key in a header, the
/// field shapes of the issue's example.
const ACME: &str = r#"board: acme
description: A board no one has shipped a connector for.
attribution: "Jobs by Acme"
base_url: https://api.acme.example
request:
  method: GET
  path: /v3/postings
  query: {per_page: "40", q: "{params.q}"}
  headers: {}
auth: {type: api_key, in: header, name: X-Acme-Key, value: "${ACME_KEY}"}
params:
  q: {description: free text}
paginate: {type: cursor, param: cursor, from: /paging/next_cursor, total: /meta/total}
records: /postings
fields:
  source_id: /ref
  title: /role/name
  location_label: {from: [/place/city, /place/country], via: [{join: ", "}]}
  description: {from: /body_html, via: [html_to_text]}
  created_at: {from: /posted, via: [unix_seconds]}
  salary_period: {from: /pay/per, via: [{map: {year: yearly, month: monthly}}]}
  salary_min: /pay/min
  tags: /labels
"#;

const ACME_KEY: &str = "acme-secret-key-0042";
const NAV_TOKEN: &str = "nav-secret-token-7";

fn acme_posting(i: usize) -> Value {
    json!({
        "ref": format!("ACME-{i:04}"),
        "role": {"name": format!("Data engineer #{i}")},
        "place": {"city": "Lyon", "country": if i.is_multiple_of(2) { "France" } else { "FR" }},
        "body_html": format!("<p>Build <b>pipelines</b> &amp; dashboards ({i}).</p><ul><li>SQL</li></ul>"),
        "posted": 1_760_000_000 + i as i64 * 60,
        "pay": {"per": if i.is_multiple_of(3) { "month" } else { "year" }, "min": 30000 + i},
        "labels": ["data", format!("team-{}", i % 4)],
    })
}

/// Acme's API: 90 postings, 40 a page, chained by an opaque cursor;
/// refuses a missing key.
struct Acme {
    requests: Arc<AtomicUsize>,
}

impl Respond for Acme {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let key = request
            .headers
            .get("x-acme-key")
            .and_then(|v| v.to_str().ok());
        if key != Some(ACME_KEY) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "bad key"}));
        }
        let q: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let start = match q.get("cursor") {
            Some(c) => c.trim_start_matches("c-").parse::<usize>().unwrap_or(0),
            None => 0,
        };
        let size: usize = q.get("per_page").and_then(|s| s.parse().ok()).unwrap_or(10);
        let end = (start + size).min(90);
        let postings: Vec<Value> = (start..end).map(acme_posting).collect();
        let next = (end < 90).then(|| format!("c-{end}"));
        ResponseTemplate::new(200).set_body_json(json!({
            "postings": postings,
            "paging": {"next_cursor": next},
            "meta": {"total": 90},
        }))
    }
}

async fn acme() -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let requests = Arc::new(AtomicUsize::new(0));
    Mock::given(wiremock::matchers::path("/v3/postings"))
        .respond_with(Acme {
            requests: Arc::clone(&requests),
        })
        .mount(&server)
        .await;
    (server, requests)
}

fn by_source(rows: &[Map<String, Value>], source: &str) -> HashMap<String, Map<String, Value>> {
    let rows: Vec<_> = rows.iter().filter(|r| r["source"] == source).collect();
    let map: HashMap<String, Map<String, Value>> = rows
        .iter()
        .map(|r| (r["source_id"].as_str().unwrap().to_string(), (*r).clone()))
        .collect();
    assert_eq!(map.len(), rows.len(), "{source}: an offer written twice");
    map
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> Value {
    json!(t.timestamp_micros())
}

#[tokio::test(flavor = "multi_thread")]
async fn four_shipped_boards_and_a_new_one_in_one_spec() {
    let start = |board, offers, inactive_every| {
        BoardStandin::start(
            board,
            BoardStandinConfig {
                offers,
                inactive_every,
                credential: (board == Board::Nav).then(|| NAV_TOKEN.to_string()),
                ..BoardStandinConfig::default()
            },
        )
    };
    let jobtech = start(Board::JobTech, 2600, 0).await;
    let himalayas = start(Board::Himalayas, 65, 0).await;
    let remoteok = start(Board::RemoteOk, 30, 0).await;
    let nav = start(Board::Nav, 40, 5).await;
    let (acme_server, acme_requests) = acme().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("boards")).unwrap();
    std::fs::write(dir.path().join("boards/acme.yaml"), ACME).unwrap();
    let spec = format!(
        "boards: [boards/acme.yaml]
sources:
  - {{type: jobtech, base_url: '{}', rate_limit_per_sec: 500}}
  - {{type: himalayas, base_url: '{}', rate_limit_per_sec: 500}}
  - {{type: remoteok, base_url: '{}', rate_limit_per_sec: 500}}
  - {{type: nav, base_url: '{}', rate_limit_per_sec: 500, params: {{pageSize: 15}}}}
  - {{type: acme, base_url: '{}', params: {{q: data}}}}
sinks:
  - {{type: parquet, path: out/all.parquet}}
",
        jobtech.base_url(),
        himalayas.base_url(),
        remoteok.base_url(),
        nav.base_url(),
        acme_server.uri(),
    );
    std::fs::write(dir.path().join("job.yaml"), spec).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        vec![
            ("NAV_FEED_TOKEN".into(), NAV_TOKEN.into()),
            ("ACME_KEY".into(), ACME_KEY.into()),
        ],
    )
    .await;
    let (stdout, stderr_text) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{stderr_text}");
    for secret in [NAV_TOKEN, ACME_KEY] {
        assert!(
            !stdout.contains(secret) && !stderr_text.contains(secret),
            "a secret was printed"
        );
    }
    let rows = read_parquet(&dir.path().join("out/all.parquet"));

    // JobTech: past the window, sliced by date, every ad once.
    let got = by_source(&rows, "jobtech");
    let want: HashSet<String> = jobtech.open_ids().into_iter().collect();
    assert_eq!(want.len(), 2600);
    assert_eq!(
        got.keys().cloned().collect::<HashSet<_>>(),
        want,
        "JobTech: every ad, once"
    );
    assert!(
        jobtech.log().iter().any(|l| l.contains("published-before")),
        "JobTech was sliced"
    );
    for ad in jobtech.offers() {
        let row = &got[ad["id"].as_str().unwrap()];
        let coords = &ad["workplace_address"]["coordinates"];
        assert_eq!(row["latitude"], coords[1], "[lon, lat]");
        assert_eq!(row["longitude"], coords[0]);
        let local = NaiveDateTime::parse_from_str(
            ad["publication_date"].as_str().unwrap(),
            "%Y-%m-%dT%H:%M:%S",
        )
        .unwrap();
        let utc = chrono_tz::Europe::Stockholm
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(row["created_at"], micros(utc), "Stockholm wall time as UTC");
        assert_eq!(row["title"], ad["headline"]);
    }

    // Himalayas: seconds and milliseconds alike; HTML as text.
    let got = by_source(&rows, "himalayas");
    assert_eq!(
        got.keys().cloned().collect::<HashSet<_>>(),
        himalayas.open_ids().into_iter().collect()
    );
    let mut units = HashSet::new();
    for job in himalayas.offers() {
        let row = &got[job["guid"].as_str().unwrap()];
        let stamp = job["pubDate"].as_i64().unwrap();
        let secs = if stamp > 100_000_000_000 {
            units.insert("ms");
            stamp / 1000
        } else {
            units.insert("s");
            stamp
        };
        assert_eq!(row["created_at"], json!(secs * 1_000_000));
        let text = row["description"].as_str().unwrap();
        assert!(
            !text.contains('<') && text.contains("Remote-first & async"),
            "{text}"
        );
        assert_eq!(
            row["salary_min"],
            job["minSalary"].as_f64().map_or(Value::Null, |v| json!(v))
        );
        assert_eq!(row["remote"], json!(true));
    }
    assert_eq!(units.len(), 2, "the stand-in mixes both units");

    // RemoteOK: the legal notice is not an offer; 0 means no salary;
    // credit as the terms ask.
    let got = by_source(&rows, "remoteok");
    assert_eq!(got.len(), 30);
    for job in remoteok.offers() {
        let row = &got[job["id"].as_str().unwrap()];
        let min = job["salary_min"].as_i64().unwrap();
        assert_eq!(
            row["salary_min"],
            if min == 0 {
                Value::Null
            } else {
                json!(min as f64)
            }
        );
        assert!(row["attribution"].as_str().unwrap().contains("Remote OK"));
        assert_eq!(row["tags"], job["tags"]);
        assert_eq!(
            row["created_at"],
            json!(job["epoch"].as_i64().unwrap() * 1_000_000)
        );
    }

    // NAV: inactive entries left out, details merged.
    let got = by_source(&rows, "nav");
    let open: HashSet<String> = nav.open_ids().into_iter().collect();
    assert!(open.len() < 40, "some entries are inactive");
    assert_eq!(got.keys().cloned().collect::<HashSet<_>>(), open);
    assert!(
        got.values()
            .all(|r| r["description"].is_string()
                && !r["description"].as_str().unwrap().contains('<'))
    );
    assert!(
        got.values().all(|r| r["contact_name"].is_null()),
        "personal data stays out"
    );

    // The new board, from the check's own definition.
    let got = by_source(&rows, "acme");
    assert_eq!(got.len(), 90);
    assert_eq!(acme_requests.load(Ordering::SeqCst), 3, "40 + 40 + 10");
    for i in 0..90 {
        let row = &got[&format!("ACME-{i:04}")];
        let posting = acme_posting(i);
        assert_eq!(row["title"], posting["role"]["name"]);
        assert_eq!(
            row["location_label"],
            json!(format!(
                "Lyon, {}",
                posting["place"]["country"].as_str().unwrap()
            ))
        );
        assert_eq!(
            row["description"],
            json!(format!("Build pipelines & dashboards ({i}).\n\n- SQL"))
        );
        assert_eq!(
            row["created_at"],
            json!(posting["posted"].as_i64().unwrap() * 1_000_000)
        );
        assert_eq!(
            row["salary_period"],
            json!(if i.is_multiple_of(3) {
                "monthly"
            } else {
                "yearly"
            })
        );
        assert_eq!(row["salary_min"], json!((30000 + i) as f64));
        assert_eq!(row["tags"], posting["labels"]);
        assert_eq!(row["attribution"], "Jobs by Acme");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_column_is_refused_by_name_before_any_request() {
    let (server, requests) = acme().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.yaml"),
        ACME.replace("  title: /role/name", "  titel: /role/name"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("boards: [acme.yaml]\nsources:\n  - {{type: acme, base_url: '{}'}}\nsinks:\n  - {{type: csv, path: out.csv}}\n", server.uri()),
    )
    .unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        vec![("ACME_KEY".into(), ACME_KEY.into())],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("acme.yaml") && err.contains("fields.titel") && err.contains("line 17"),
        "{err}"
    );
    assert!(err.contains("Did you mean `title`?"), "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 0, "nothing fetched");
    assert!(!dir.path().join("out.csv").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_without_the_key_it_needs_is_refused_naming_the_variable() {
    let nav = BoardStandin::start(Board::Nav, BoardStandinConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("sources:\n  - {{type: nav, base_url: '{}'}}\nsinks:\n  - {{type: csv, path: out.csv}}\n", nav.base_url()),
    )
    .unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        vec![],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("NAV_FEED_TOKEN") && err.contains("sources[0]"),
        "{err}"
    );
    assert_eq!(nav.requests(), 0, "nothing fetched");
}

#[test]
fn connectors_lists_the_boards_among_at_least_fourteen_source_types() {
    let out = jobharvest(&repo(), &["connectors"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let sources = text.split("Sinks").next().unwrap();
    let types: Vec<&str> = sources
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("                   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(types.len() >= 14, "{types:?}");
    for board in [
        "jobtech",
        "nav",
        "bundesagentur",
        "remoteok",
        "remotive",
        "jobicy",
        "himalayas",
        "themuse",
        "usajobs",
        "reed",
        "jooble",
        "arbeitnow",
        "france_travail",
        "adzuna",
    ] {
        assert!(types.contains(&board), "{board} missing from {types:?}");
    }
}

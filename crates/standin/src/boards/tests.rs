//! Tests of the board stand-ins: every board's paging reaches every offer
//! exactly once, and the limits, refusals and oddities answer as the real
//! APIs do.

use std::collections::{HashMap, HashSet};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::{Board, BoardStandin, BoardStandinConfig, base64_decode, base64_encode, remoteok};

fn client() -> Client {
    jobharvest_core::http::install_crypto_provider();
    Client::new()
}

async fn start(board: Board, offers: usize) -> BoardStandin {
    let config = BoardStandinConfig {
        offers,
        ..BoardStandinConfig::default()
    };
    BoardStandin::start(board, config).await
}

/// GET `url` with `headers`: the status and the body as JSON (null when it
/// is not JSON).
async fn get(c: &Client, url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = c.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the stand-in answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The string form of each record's id at `pointer`.
fn ids(records: &[Value], pointer: &str) -> Vec<String> {
    records
        .iter()
        .map(|r| match r.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => panic!("no {pointer} in {r}"),
        })
        .collect()
}

/// Asserts that `seen` holds every id of `expected` exactly once.
fn assert_each_once(seen: &[String], expected: &[String]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in seen {
        *counts.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "seen more than once: {twice:?}");
    let expected: HashSet<&str> = expected.iter().map(String::as_str).collect();
    let seen: HashSet<&str> = counts.into_keys().collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn jobtech_date_slices_reach_every_offer_of_a_board_too_deep_for_one_query() {
    let s = start(Board::JobTech, 3000).await;
    let c = client();
    let offers = s.offers();
    let dates: Vec<&str> = offers
        .iter()
        .map(|o| o["publication_date"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&str> = dates.iter().copied().collect();
    assert!(dates.len() - distinct.len() >= 10, "offers share seconds");
    let (status, all) = get(&c, &format!("{}/search?limit=100", s.base_url()), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(all["total"]["value"], 3000);
    assert_eq!(
        all["hits"][0]["id"].as_str(),
        Some(s.open_ids()[0].as_str()),
        "newest first"
    );
    assert!(
        all["hits"][0]["workplace_address"]["coordinates"][0]
            .as_f64()
            .unwrap()
            > 10.0,
        "[lon, lat]"
    );

    let days: HashSet<&str> = dates.iter().map(|d| &d[..10]).collect();
    let mut seen = Vec::new();
    for day in days {
        for offset in (0..).step_by(100) {
            let url = format!(
                "{}/search?published-after={day}T00:00:00&published-before={day}T23:59:59&offset={offset}&limit=100&sort=pubdate-asc",
                s.base_url()
            );
            let (status, page) = get(&c, &url, &[]).await;
            assert_eq!(status, 200, "{url}");
            let hits = page["hits"].as_array().unwrap();
            seen.extend(ids(hits, "/id"));
            if offset + hits.len() >= page["total"]["value"].as_u64().unwrap() as usize {
                break;
            }
        }
    }
    assert_each_once(&seen, &s.open_ids());
}

#[tokio::test]
async fn jobtech_refuses_offsets_past_2000_and_limits_past_100() {
    let s = start(Board::JobTech, 50).await;
    let c = client();
    let (status, body) = get(&c, &format!("{}/search?offset=2001", s.base_url()), &[]).await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Input payload validation failed");
    assert!(
        body["errors"]["offset"]
            .as_str()
            .unwrap()
            .contains("0 - 2000")
    );
    let (status, _) = get(&c, &format!("{}/search?limit=101", s.base_url()), &[]).await;
    assert_eq!(status, 400);
    let (status, body) = get(
        &c,
        &format!("{}/search?offset=2000&limit=100", s.base_url()),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["hits"], json!([]));
    let (status, _) = get(
        &c,
        &format!("{}/search?published-after=yesterday", s.base_url()),
        &[],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn jobtech_demands_the_api_key_only_when_configured() {
    let open = start(Board::JobTech, 5).await;
    let c = client();
    assert_eq!(
        get(&c, &format!("{}/search", open.base_url()), &[]).await.0,
        200
    );
    let config = BoardStandinConfig {
        offers: 5,
        credential: Some("secret".into()),
        ..BoardStandinConfig::default()
    };
    let keyed = BoardStandin::start(Board::JobTech, config).await;
    let url = format!("{}/search", keyed.base_url());
    assert_eq!(get(&c, &url, &[]).await.0, 401);
    assert_eq!(get(&c, &url, &[("api-key", "wrong")]).await.0, 401);
    assert_eq!(get(&c, &url, &[("api-key", "secret")]).await.0, 200);
}

/// Walks NAV's feed from the first page: the pages, in order.
async fn nav_walk(s: &BoardStandin, c: &Client, page_size: usize) -> Vec<Value> {
    let auth = format!("Bearer {}", s.credential().unwrap());
    let mut url = format!("{}/api/v1/feed?pageSize={page_size}", s.base_url());
    let mut pages = Vec::new();
    loop {
        let (status, page) = get(c, &url, &[("Authorization", &auth)]).await;
        assert_eq!(status, 200, "{url}");
        let next = page["next_url"].as_str().map(str::to_owned);
        pages.push(page);
        match next {
            Some(next) => url = format!("{}{next}?pageSize={page_size}", s.base_url()),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn nav_pages_share_one_item_and_reach_every_entry() {
    let config = BoardStandinConfig {
        offers: 250,
        inactive_every: 5,
        ..BoardStandinConfig::default()
    };
    let s = BoardStandin::start(Board::Nav, config).await;
    let c = client();
    let pages = nav_walk(&s, &c, 40).await;
    assert!(pages.len() > 5);
    let mut seen = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let items = page["items"].as_array().unwrap();
        if i > 0 {
            let previous = pages[i - 1]["items"].as_array().unwrap();
            assert_eq!(
                items[0]["id"],
                previous.last().unwrap()["id"],
                "pages overlap by one"
            );
        }
        seen.extend(items.iter().skip(usize::from(i > 0)).cloned());
    }
    let all = s.offers();
    assert_eq!(ids(&seen, "/id"), ids(&all, "/id"));
    let active: Vec<Value> = seen
        .into_iter()
        .filter(|i| i["_feed_entry"]["status"] == "ACTIVE")
        .collect();
    assert_each_once(&ids(&active, "/id"), &s.open_ids());
    assert_eq!(all.len() - s.open_ids().len(), 50);

    let auth = format!("Bearer {}", s.credential().unwrap());
    for item in all.iter().take(10) {
        let url = format!("{}{}", s.base_url(), item["url"].as_str().unwrap());
        let (status, entry) = get(&c, &url, &[("Authorization", &auth)]).await;
        assert_eq!(status, 200);
        let active = item["_feed_entry"]["status"] == "ACTIVE";
        assert_eq!(entry.get("ad_content").is_some(), active, "{entry}");
        if active {
            assert!(
                entry["ad_content"]["published"]
                    .as_str()
                    .unwrap()
                    .ends_with(":00"),
                "zoned"
            );
        }
    }
}

#[tokio::test]
async fn nav_refuses_big_pages_and_missing_tokens_and_answers_304_to_its_etag() {
    let s = start(Board::Nav, 30).await;
    let c = client();
    let auth = format!("Bearer {}", s.credential().unwrap());
    let url = format!("{}/api/v1/feed", s.base_url());
    let big = c
        .get(format!("{url}?pageSize=10001"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 400);
    assert_eq!(
        big.text().await.unwrap(),
        "pageSize must be less than or equal to 10000"
    );
    assert_eq!(get(&c, &url, &[]).await.0, 401);
    assert_eq!(
        get(&c, &url, &[("Authorization", "Bearer wrong")]).await.0,
        401
    );

    let first = c
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers().contains_key("last-modified"));
    let again = c
        .get(&url)
        .header("Authorization", &auth)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let future = [
        ("Authorization", auth.as_str()),
        ("If-Modified-Since", "Thu, 31 Dec 2099 11:56:00 +0200"),
    ];
    assert_eq!(get(&c, &url, &future).await.0, 404, "no page changed since");

    // The terminal page gains a successor when entries arrive.
    let pages = nav_walk(&s, &c, 1000).await;
    let last = pages.last().unwrap();
    assert!(last["next_id"].is_null());
    let last_url = format!(
        "{}/api/v1/feed/{}",
        s.base_url(),
        last["id"].as_str().unwrap()
    );
    let tail = c
        .get(&last_url)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let tail_etag = tail.headers()["etag"].to_str().unwrap().to_string();
    s.add_offers(3);
    let (status, grown) = get(
        &c,
        &last_url,
        &[("Authorization", &auth), ("If-None-Match", &tail_etag)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(grown["next_url"].as_str().is_some());
}

#[tokio::test]
async fn bundesagentur_pages_details_and_limits() {
    let s = start(Board::Bundesagentur, 250).await;
    let c = client();
    assert!(s.base_url().ends_with("/jobboerse/jobsuche-service"));
    let key = [("X-API-Key", "jobboerse-jobsuche")];
    let mut seen = Vec::new();
    for page in 1.. {
        let url = format!("{}/pc/v4/jobs?page={page}&size=100", s.base_url());
        let (status, body) = get(&c, &url, &key).await;
        assert_eq!(status, 200);
        assert_eq!(body["maxErgebnisse"], 250);
        let Some(records) = body.get("stellenangebote") else {
            break;
        };
        seen.extend(ids(records.as_array().unwrap(), "/refnr"));
    }
    assert_eq!(seen, s.open_ids(), "oldest first, each once");

    let jobs = format!("{}/pc/v4/jobs", s.base_url());
    let (status, body) = get(&c, &format!("{jobs}?page=101&size=100"), &key).await;
    assert_eq!(status, 400);
    assert_eq!(body["messages"][0]["code"], "EINGABEPARAMETER_FEHLERHAFT");
    assert_eq!(get(&c, &format!("{jobs}?size=101"), &key).await.0, 400);
    assert_eq!(
        get(&c, &format!("{jobs}?page=100&size=100"), &key).await.0,
        200
    );
    assert_eq!(get(&c, &jobs, &[]).await.0, 403);

    let mut missing = 0;
    for (i, refnr) in s.open_ids().iter().enumerate() {
        let mut code = base64_encode(refnr.as_bytes());
        if i % 2 == 0 {
            code = code.trim_end_matches('=').to_string();
        }
        let url = format!("{}/pc/v4/jobdetails/{code}", s.base_url());
        match get(&c, &url, &key).await {
            (StatusCode::OK, d) => assert_eq!(d["referenznummer"].as_str(), Some(refnr.as_str())),
            (StatusCode::NOT_FOUND, _) => missing += 1,
            (other, _) => panic!("{other} for {url}"),
        }
    }
    assert!(
        (5..=50).contains(&missing),
        "{missing} of 250 details missing"
    );
}

#[tokio::test]
async fn himalayas_caps_pages_at_20_and_mixes_its_units() {
    let s = start(Board::Himalayas, 95).await;
    let c = client();
    let mut seen = Vec::new();
    for offset in (0..).step_by(20) {
        let (status, body) = get(
            &c,
            &format!("{}/jobs/api?limit=50&offset={offset}", s.base_url()),
            &[],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["limit"], 20);
        let jobs = body["jobs"].as_array().unwrap();
        assert!(jobs.len() <= 20);
        if jobs.is_empty() {
            break;
        }
        seen.extend(ids(jobs, "/guid"));
    }
    assert_each_once(&seen, &s.open_ids());
    let offers = s.offers();
    let millis = offers
        .iter()
        .filter(|o| o["pubDate"].as_i64().unwrap() > 100_000_000_000)
        .count();
    assert!(
        millis > 0 && millis < offers.len(),
        "seconds and milliseconds"
    );
    let strings = offers
        .iter()
        .filter(|o| o["locationRestrictions"][0].is_string())
        .count();
    let objects = offers
        .iter()
        .filter(|o| o["locationRestrictions"][0].is_object())
        .count();
    assert!(strings > 0 && objects > 0);
}

#[tokio::test]
async fn remoteok_puts_the_legal_notice_first() {
    let s = start(Board::RemoteOk, 40).await;
    let (status, body) = get(&client(), &format!("{}/api", s.base_url()), &[]).await;
    assert_eq!(status, 200);
    let all = body.as_array().unwrap();
    assert_eq!(all[0]["legal"], remoteok::LEGAL);
    assert!(all[0].get("id").is_none());
    assert_each_once(&ids(&all[1..], "/id"), &s.open_ids());
    assert!(all[1]["id"].is_string() && all[1]["epoch"].is_i64());
}

#[tokio::test]
async fn remotive_answers_all_at_once_and_blocks_a_third_request_in_a_minute() {
    let s = start(Board::Remotive, 60).await;
    let c = client();
    let url = format!("{}/api/remote-jobs", s.base_url());
    let (status, body) = get(&c, &url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["job-count"], 60);
    assert!(body["0-legal-notice"].is_string());
    assert_each_once(&ids(body["jobs"].as_array().unwrap(), "/id"), &s.open_ids());
    assert_eq!(
        get(&c, &format!("{url}?limit=5"), &[]).await.1["job-count"],
        5
    );
    let third = c.get(&url).send().await.unwrap();
    assert_eq!(third.status(), 429);
    let wait: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
}

#[tokio::test]
async fn jobicy_serves_at_most_100_jobs() {
    let s = start(Board::Jobicy, 150).await;
    let c = client();
    let url = format!("{}/remote-jobs", s.base_url());
    let (_, body) = get(&c, &format!("{url}?count=500"), &[]).await;
    assert_eq!(body["jobCount"], 100);
    assert!(body["friendlyNotice"].is_string());
    assert_eq!(
        ids(body["jobs"].as_array().unwrap(), "/id"),
        s.open_ids()[..100]
    );
    let small = start(Board::Jobicy, 60).await;
    let (_, body) = get(&c, &format!("{}/remote-jobs", small.base_url()), &[]).await;
    let jobs = body["jobs"].as_array().unwrap();
    assert_each_once(&ids(jobs, "/id"), &small.open_ids());
    assert!(
        jobs.iter()
            .all(|j| j["jobType"].is_array() && j["jobIndustry"].is_array())
    );
    assert!(jobs.iter().any(|j| j["annualSalaryMin"].is_string()));
    assert!(jobs.iter().any(|j| j["salaryPeriod"].is_string()));
}

#[tokio::test]
async fn themuse_demands_a_page_and_serves_20_a_page() {
    let s = start(Board::TheMuse, 75).await;
    let c = client();
    let url = format!("{}/jobs", s.base_url());
    assert_eq!(get(&c, &url, &[]).await.0, 400);
    assert_eq!(s.log(), ["GET /api/public/jobs"], "the real path");
    let mut seen = Vec::new();
    let mut page = 0;
    loop {
        let (status, body) = get(&c, &format!("{url}?page={page}"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(body["items_per_page"], 20);
        assert_eq!(body["page_count"], 4);
        seen.extend(ids(body["results"].as_array().unwrap(), "/id"));
        page += 1;
        if page >= body["page_count"].as_u64().unwrap() {
            break;
        }
    }
    assert_each_once(&seen, &s.open_ids());
}

#[tokio::test]
async fn usajobs_demands_key_and_email_agent() {
    let s = start(Board::Usajobs, 230).await;
    let c = client();
    let key = s.credential().unwrap();
    let headers = [
        ("Authorization-Key", key.as_str()),
        ("User-Agent", "dev@example.org"),
    ];
    let mut seen = Vec::new();
    for page in 1..=3 {
        let url = format!(
            "{}/search?keyword=&page={page}&ResultsPerPage=100",
            s.base_url()
        );
        let (status, body) = get(&c, &url, &headers).await;
        assert_eq!(status, 200);
        assert_eq!(body["SearchResult"]["SearchResultCountAll"], 230);
        let items = body["SearchResult"]["SearchResultItems"]
            .as_array()
            .unwrap();
        assert!(
            items[0]["MatchedObjectDescriptor"]["PositionRemuneration"][0]["MinimumRange"]
                .is_string()
        );
        seen.extend(ids(items, "/MatchedObjectId"));
    }
    assert_each_once(&seen, &s.open_ids());
    let url = format!("{}/Search", s.base_url());
    assert_eq!(
        get(
            &c,
            &url,
            &[("Authorization-Key", &key), ("User-Agent", "curl/8")]
        )
        .await
        .0,
        401
    );
    assert_eq!(
        get(
            &c,
            &url,
            &[
                ("Authorization-Key", "wrong"),
                ("User-Agent", "dev@example.org")
            ]
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn reed_pages_by_skip_behind_basic_auth() {
    let s = start(Board::Reed, 230).await;
    let c = client();
    let basic = format!("Basic {}", base64_encode(b"reed-test-key:"));
    let mut seen = Vec::new();
    for skip in (0..230).step_by(100) {
        let url = format!(
            "{}/search?resultsToTake=500&resultsToSkip={skip}",
            s.base_url()
        );
        let (status, body) = get(&c, &url, &[("Authorization", &basic)]).await;
        assert_eq!(status, 200);
        assert_eq!(body["totalResults"], 230);
        seen.extend(ids(body["results"].as_array().unwrap(), "/jobId"));
    }
    assert_each_once(&seen, &s.open_ids());
    let date = s.offers()[0]["date"].as_str().unwrap().to_string();
    assert_eq!((date.len(), &date[2..3], &date[5..6]), (10, "/", "/"));
    let url = format!("{}/search", s.base_url());
    assert_eq!(get(&c, &url, &[]).await.0, 401);
    let wrong = format!("Basic {}", base64_encode(b"other:"));
    assert_eq!(get(&c, &url, &[("Authorization", &wrong)]).await.0, 401);
}

#[tokio::test]
async fn jooble_pages_by_post_with_the_key_in_the_path() {
    let s = start(Board::Jooble, 230).await;
    let c = client();
    let url = format!("{}/api/jooble-test-key", s.base_url());
    let mut seen = Vec::new();
    for page in 1.. {
        let body: Value = c
            .post(&url)
            .json(&json!({"keywords": "", "location": "", "page": page.to_string(), "ResultOnPage": 100}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["totalCount"], 230);
        let jobs = body["jobs"].as_array().unwrap();
        if jobs.is_empty() {
            break;
        }
        assert!(jobs.iter().all(|j| j["id"].is_i64()));
        seen.extend(ids(jobs, "/id"));
    }
    assert_each_once(&seen, &s.open_ids());
    assert!(seen.iter().any(|id| id.starts_with('-')), "negative ids");
    let wrong = c
        .post(format!("{}/api/other", s.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
}

#[tokio::test]
async fn every_board_fails_first_then_serves_and_logs() {
    let c = client();
    for board in Board::ALL {
        let config = BoardStandinConfig {
            offers: 3,
            fail_first: 2,
            rate_limit_per_sec: Some(100),
            ..BoardStandinConfig::default()
        };
        let s = BoardStandin::start(board, config).await;
        let (url, post) = match board {
            Board::JobTech => ("/search", false),
            Board::Nav => ("/api/v1/feed", false),
            Board::Bundesagentur => ("/pc/v4/jobs", false),
            Board::Himalayas => ("/jobs/api", false),
            Board::RemoteOk => ("/api", false),
            Board::Remotive => ("/api/remote-jobs", false),
            Board::Jobicy => ("/remote-jobs", false),
            Board::TheMuse => ("/jobs?page=0", false),
            Board::Usajobs => ("/Search", false),
            Board::Reed => ("/search", false),
            Board::Jooble => ("/api/jooble-test-key", true),
        };
        let credential = s.credential().unwrap_or_default();
        let basic = format!(
            "Basic {}",
            base64_encode(format!("{credential}:").as_bytes())
        );
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let full = format!("{}{url}", s.base_url());
            let request = if post {
                c.post(full).json(&json!({}))
            } else {
                c.get(full)
            };
            let request = match board {
                Board::Nav => request.bearer_auth(&credential),
                Board::Bundesagentur => request.header("X-API-Key", &credential),
                Board::Usajobs => request
                    .header("Authorization-Key", &credential)
                    .header("User-Agent", "a@b.c"),
                Board::Reed => request.header("Authorization", &basic),
                _ => request,
            };
            statuses.push(request.send().await.unwrap().status().as_u16());
        }
        assert_eq!(statuses, [503, 503, 200], "{board:?}");
        assert_eq!(s.requests(), 3);
        assert_eq!(s.log().len(), 3);
        assert!(
            s.log()[0].starts_with(if post { "POST /" } else { "GET /" }),
            "{:?}",
            s.log()
        );
        assert_eq!(
            get(&c, &format!("{}/nowhere", s.base_url()), &[]).await.0,
            404,
            "{board:?}"
        );
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let config = BoardStandinConfig {
        offers: 3,
        rate_limit_per_sec: Some(2),
        ..BoardStandinConfig::default()
    };
    let s = BoardStandin::start(Board::Himalayas, config).await;
    let c = client();
    let url = format!("{}/jobs/api", s.base_url());
    assert_eq!(get(&c, &url, &[]).await.0, 200);
    assert_eq!(get(&c, &url, &[]).await.0, 200);
    let third = c.get(&url).send().await.unwrap();
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["retry-after"], "1");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(&c, &url, &[]).await.0, 200);
    assert_eq!(s.log()[0], "GET /jobs/api");
}

#[tokio::test]
async fn same_seed_same_offers_and_added_offers_come_first() {
    for board in Board::ALL {
        let a = start(board, 20).await;
        let b = start(board, 20).await;
        assert_eq!(a.open_ids(), b.open_ids(), "{board:?}");
        a.add_offers(4);
        let ids = a.open_ids();
        assert_eq!(ids.len(), 24);
        let newest = if board == Board::Nav || board == Board::Bundesagentur {
            &ids[20..]
        } else {
            &ids[..4]
        };
        assert!(
            newest.iter().all(|id| !b.open_ids().contains(id)),
            "{board:?}"
        );
    }
}

#[test]
fn base64_round_trips_with_and_without_padding() {
    assert_eq!(
        base64_encode(b"10001-1002716922-S"),
        "MTAwMDEtMTAwMjcxNjkyMi1T"
    );
    for text in ["", "a", "ab", "abc", "abcd", "reed-test-key:"] {
        let encoded = base64_encode(text.as_bytes());
        assert_eq!(base64_decode(&encoded).unwrap(), text.as_bytes());
        assert_eq!(
            base64_decode(encoded.trim_end_matches('=')).unwrap(),
            text.as_bytes()
        );
    }
    assert!(base64_decode("a").is_none());
}

//! The stand-in behaves like the API where the connector depends on it.

use std::time::Duration;

use jobharvest_standin::{DatePrecision, Fault, Limiter, Standin, StandinConfig};
use serde_json::Value;

struct Client {
    http: reqwest::Client,
    token: String,
    standin: Standin,
}

impl Client {
    async fn new(config: StandinConfig) -> Client {
        jobharvest_core::http::install_crypto_provider();
        let standin = Standin::start(config).await;
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(standin.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "id"),
                ("client_secret", "secret"),
                ("scope", "api_offresdemploiv2 o2dsoffre"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = answer["access_token"].as_str().unwrap().to_string();
        Client {
            http,
            token,
            standin,
        }
    }

    async fn search(&self, params: &[(&str, &str)]) -> (u16, Option<String>, Value) {
        let r = self
            .http
            .get(format!("{}/v2/offres/search", self.standin.api_url()))
            .query(params)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let range = r
            .headers()
            .get("content-range")
            .map(|v| v.to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, range, json)
    }
}

fn slim(offers: usize) -> StandinConfig {
    StandinConfig {
        offers,
        slim: true,
        ..StandinConfig::default()
    }
}

#[tokio::test]
async fn pages_with_206_200_and_the_window() {
    let c = Client::new(slim(4000)).await;
    let (status, range, body) = c.search(&[]).await;
    assert_eq!(status, 206);
    assert_eq!(range.as_deref(), Some("offres 0-149/4000"));
    assert_eq!(body["resultats"].as_array().unwrap().len(), 150);
    let (status, _, body) = c.search(&[("range", "3000-3149")]).await;
    assert_eq!(status, 206);
    assert_eq!(body["resultats"][0]["id"], "S003000");
    let (status, _, body) = c.search(&[("range", "3100-3250")]).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("trop importante")
    );
    let (status, _, _) = c.search(&[("range", "3150-3199")]).await;
    assert_eq!(status, 400, "beyond the window");
    let (status, _, body) = c.search(&[("range", "x")]).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("range"));
}

#[tokio::test]
async fn filters_intersect_and_count_types() {
    let c = Client::new(slim(3000)).await;
    let paris = c.standin.count(|_, d, _| d == Some("75"));
    let (_, range, _) = c.search(&[("departement", "75")]).await;
    assert_eq!(range.unwrap(), format!("offres 0-149/{paris}"));
    let both = c
        .standin
        .count(|_, d, t| matches!(d, Some("75" | "13")) && matches!(t, "CDD" | "MIS"));
    let (_, range, body) = c
        .search(&[("departement", "75,13"), ("typeContrat", "CDD,MIS")])
        .await;
    assert!(range.unwrap().ends_with(&format!("/{both}")));
    let types = &body["filtresPossibles"][0]["agregation"];
    let sum: u64 = types
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["nbResultats"].as_u64().unwrap())
        .sum();
    assert_eq!(sum as usize, both);
    let (status, _, body) = c.search(&[("departement", "01,02,03,04,05,06")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = c
        .search(&[("minCreationDate", "2024-01-01T00:00:00Z")])
        .await;
    assert_eq!(status, 400, "dates go in pairs");
    let (status, range, _) = c
        .search(&[
            ("minCreationDate", "2000-01-01T00:00:00Z"),
            ("maxCreationDate", "2000-01-02T00:00:00Z"),
        ])
        .await;
    assert_eq!((status, range.as_deref()), (204, Some("offres */0")));
}

#[tokio::test]
async fn creation_dates_compare_to_the_millisecond_or_the_second() {
    for precision in [DatePrecision::Millis, DatePrecision::Seconds] {
        let c = Client::new(StandinConfig {
            date_precision: precision,
            burst_share: 0.0,
            ..slim(2000)
        })
        .await;
        let (_, _, page) = c.search(&[("range", "0-0")]).await;
        let date = page["resultats"][0]["dateCreation"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!date.ends_with(".000Z"), "{date}");
        let second = format!("{}Z", &date[..19]);
        let s = chrono_ms(&second);
        let total = |range: Option<String>| {
            range.map_or(0, |r| {
                r.rsplit_once('/').unwrap().1.parse::<usize>().unwrap()
            })
        };
        let (_, range, _) = c
            .search(&[("minCreationDate", &second), ("maxCreationDate", &second)])
            .await;
        let expected = match precision {
            DatePrecision::Millis => c.standin.count(|ms, _, _| ms == s),
            DatePrecision::Seconds => c.standin.count(|ms, _, _| ms.div_euclid(1000) * 1000 == s),
        };
        assert_eq!(total(range), expected, "{precision:?}");
        assert!(precision == DatePrecision::Millis || expected >= 1);
    }
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    for limiter in [Limiter::SlidingWindow, Limiter::TokenBucket] {
        let c = Client::new(StandinConfig {
            rate_limit_per_sec: Some(5),
            limiter,
            ..slim(10)
        })
        .await;
        let mut statuses = Vec::new();
        for _ in 0..7 {
            statuses.push(c.search(&[]).await.0);
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429], "{limiter:?}");
        assert_eq!(c.standin.counters().rate_limited, 2);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(c.search(&[]).await.0, 200);
    }
}

#[tokio::test]
async fn tokens_expire() {
    let c = Client::new(StandinConfig {
        token_lifetime: Duration::from_millis(300),
        ..slim(5)
    })
    .await;
    assert_eq!(c.search(&[]).await.0, 200);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(c.search(&[]).await.0, 401);
    assert_eq!(c.standin.counters().unauthorized, 1);
}

#[tokio::test]
async fn faults_and_referentiels() {
    let c = Client::new(slim(500)).await;
    c.standin.set_fault(|q| match q.get("departement") {
        Some("13") => Some(Fault::BadRequest("Valeur incorrecte.".into())),
        Some("69") => Some(Fault::Status(503)),
        _ => None,
    });
    assert_eq!(c.search(&[("departement", "13")]).await.0, 400);
    assert_eq!(c.search(&[("departement", "69")]).await.0, 503);
    c.standin.clear_fault();
    assert_ne!(c.search(&[("departement", "69")]).await.0, 503);
    let r: Value = c
        .http
        .get(format!(
            "{}/v2/referentiel/departements",
            c.standin.api_url()
        ))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r.as_array().unwrap().len(), 101);
    let log = c.standin.log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[1].param("departement"), Some("69"));
    assert_eq!(log[1].status, 503);
}

fn chrono_ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn offers_can_be_added_updated_and_withdrawn_between_runs() {
    let c = Client::new(slim(5)).await;
    let offer = |id: String| {
        let c = &c;
        async move {
            let r = c
                .http
                .get(format!("{}/v2/offres/{id}", c.standin.api_url()))
                .bearer_auth(&c.token)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let ids = c.standin.offer_ids();
    let (status, body) = offer(ids[1].clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], ids[1].as_str());

    let added = c.standin.add_offers(2);
    assert_eq!(added, ["N000000", "N000001"]);
    assert!(c.standin.update_offer(&ids[0], "Soudeur confirmé"));
    assert!(c.standin.remove_offer(&ids[1]));
    assert!(!c.standin.remove_offer("nope"));
    assert_eq!(c.standin.len(), 6);

    let (status, _) = offer(ids[1].clone()).await;
    assert_eq!(status, 204, "a withdrawn offer answers 204");
    let (status, _, json) = c.search(&[("range", "0-149")]).await;
    assert_eq!(status, 200);
    let found: Vec<&Value> = json["resultats"].as_array().unwrap().iter().collect();
    let got: Vec<&str> = found.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(!got.contains(&ids[1].as_str()), "{got:?}");
    assert!(got.contains(&"N000001"), "{got:?}");
    let updated = found.iter().find(|o| o["id"] == ids[0].as_str()).unwrap();
    assert_eq!(updated["intitule"], "Soudeur confirmé");
    assert_ne!(updated["dateActualisation"], updated["dateCreation"]);
    // The new offers were created now: a creation window from a minute ago
    // returns them only.
    let min = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let max = (chrono::Utc::now() + chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (_, _, json) = c
        .search(&[("minCreationDate", &min), ("maxCreationDate", &max)])
        .await;
    let got: Vec<&str> = json["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["N000000", "N000001"]);
}

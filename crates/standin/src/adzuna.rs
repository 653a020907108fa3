//! A local stand-in of Adzuna's search API.
//!
//! [`AdzunaStandin::start`] serves `GET /v1/api/jobs/{country}/search/{page}`
//! from generated offers, as Adzuna documents it: `app_id` and `app_key`
//! query parameters (401 when wrong), `results_per_page` up to 50 (400
//! above), pages from 1, `{count, mean, results}` answers, newest first.
//! A quarter of the offers have no salary; of the others, about half carry
//! a salary Adzuna predicted (`salary_is_predicted: "1"`).
//!
//! It counts the requests of the last [`AdzunaStandinConfig::window`] and
//! answers 429 (with `Retry-After`) past
//! [`AdzunaStandinConfig::per_window`], like Adzuna's 25 requests a minute,
//! so that tests can assert the client kept to its quota.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::listen::{listen, serve};

/// How the Adzuna stand-in behaves.
#[derive(Debug, Clone)]
pub struct AdzunaStandinConfig {
    /// How many offers match every search.
    pub offers: usize,
    /// Requests allowed per `window` before 429s (`None`: no limit).
    pub per_window: Option<u32>,
    /// The sliding window the requests are counted in.
    pub window: Duration,
    /// The application id the stand-in accepts.
    pub app_id: String,
    /// The application key the stand-in accepts.
    pub app_key: String,
    /// Seed of the random draws.
    pub seed: u64,
    /// Port to listen on (0: any free port).
    pub port: u16,
}

impl Default for AdzunaStandinConfig {
    fn default() -> Self {
        AdzunaStandinConfig {
            offers: 120,
            per_window: Some(25),
            window: Duration::from_secs(60),
            app_id: "standin-app".to_string(),
            app_key: "standin-key".to_string(),
            seed: 7,
            port: 0,
        }
    }
}

/// What the Adzuna stand-in has answered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdzunaCounters {
    /// Requests, whatever the answer.
    pub requests: u64,
    /// Answers 429.
    pub rate_limited: u64,
    /// Answers 401.
    pub unauthorized: u64,
    /// Answers 400.
    pub bad_requests: u64,
    /// Offers sent.
    pub offers_served: u64,
}

struct State {
    config: AdzunaStandinConfig,
    offers: Vec<Value>,
    /// When the requests of the current window arrived.
    window: Mutex<VecDeque<Instant>>,
    /// The most requests seen in one window.
    peak: AtomicU64,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    unauthorized: AtomicU64,
    bad_requests: AtomicU64,
    offers_served: AtomicU64,
}

/// A running Adzuna stand-in. Dropping it stops the server.
pub struct AdzunaStandin {
    server: MockServer,
    state: Arc<State>,
}

impl std::fmt::Debug for AdzunaStandin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdzunaStandin")
            .field("uri", &self.server.uri())
            .field("offers", &self.state.offers.len())
            .finish_non_exhaustive()
    }
}

const TITLES: &[&str] = &[
    "Data Analyst H/F",
    "Développeur Rust (H/F)",
    "Chargé de clientèle",
    "Comptable unique",
    "Ingénieur données",
    "Conseiller en gestion de patrimoine (H/F)",
];
const COMPANIES: &[&str] = &["Predictis", "Cuisinella", "Datalis", "Orbis Conseil"];
const PLACES: &[(&str, &[&str], f64, f64)] = &[
    (
        "Paris 11e, Paris",
        &["France", "Ile-de-France", "Paris", "Paris 11e"],
        48.8589,
        2.3791,
    ),
    (
        "Lyon, Rhône",
        &["France", "Auvergne-Rhône-Alpes", "Rhône", "Lyon"],
        45.7578,
        4.832,
    ),
    (
        "Nantes, Loire-Atlantique",
        &["France", "Pays de la Loire", "Loire-Atlantique", "Nantes"],
        47.2184,
        -1.5536,
    ),
];

fn generate(config: &AdzunaStandinConfig) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let newest = Utc::now().timestamp() - 3600;
    (0..config.offers)
        .map(|i| {
            let id = format!("{}", 4_100_000_000u64 + i as u64);
            let (label, area, lat, lon) = PLACES[i % PLACES.len()];
            let mut offer = json!({
                "__CLASS__": "Adzuna::API::Response::Job",
                "id": id,
                "title": TITLES[i % TITLES.len()],
                "description": format!("Offre {i} générée par le stand-in Adzuna. Poste basé à {label}…"),
                "created": chrono::DateTime::from_timestamp(newest - 1800 * i as i64, 0)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                "redirect_url": format!("https://www.adzuna.fr/land/ad/{id}?se=standin&utm_medium=api"),
                "company": {"__CLASS__": "Adzuna::API::Response::Company", "display_name": COMPANIES[i % COMPANIES.len()]},
                "location": {"__CLASS__": "Adzuna::API::Response::Location", "display_name": label, "area": area},
                "latitude": lat,
                "longitude": lon,
                "category": {"__CLASS__": "Adzuna::API::Response::Category", "tag": "it-jobs", "label": "Emplois Informatique"},
                "contract_time": if i % 5 == 0 { "part_time" } else { "full_time" },
                "adref": "c3RhbmRpbg",
            });
            if i % 3 != 0 {
                offer["contract_type"] = json!(if i % 2 == 0 { "permanent" } else { "contract" });
            }
            if i % 4 != 3 {
                let min = f64::from(rng.random_range(28..45u32) * 1000);
                let predicted = rng.random_bool(0.5);
                offer["salary_min"] = json!(min);
                offer["salary_max"] = json!(if predicted { min } else { min + 6000.0 });
                offer["salary_is_predicted"] = json!(if predicted { "1" } else { "0" });
            } else {
                offer["salary_is_predicted"] = json!("0");
            }
            offer
        })
        .collect()
}

impl AdzunaStandin {
    /// Generates the offers and starts serving them.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start(config: AdzunaStandinConfig) -> AdzunaStandin {
        let server = listen(config.port).await;
        let state = Arc::new(State {
            offers: generate(&config),
            config,
            window: Mutex::new(VecDeque::new()),
            peak: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            bad_requests: AtomicU64::new(0),
            offers_served: AtomicU64::new(0),
        });
        serve(&server, Handler(Arc::clone(&state))).await;
        AdzunaStandin { server, state }
    }

    /// The value for the source's `base_url`: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The generated offers, newest first.
    pub fn offers(&self) -> &[Value] {
        &self.state.offers
    }

    /// The most requests the stand-in saw in one window.
    pub fn peak_per_window(&self) -> u64 {
        self.state.peak.load(Ordering::Relaxed)
    }

    /// What it answered so far.
    pub fn counters(&self) -> AdzunaCounters {
        let s = &self.state;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        AdzunaCounters {
            requests: get(&s.requests),
            rate_limited: get(&s.rate_limited),
            unauthorized: get(&s.unauthorized),
            bad_requests: get(&s.bad_requests),
            offers_served: get(&s.offers_served),
        }
    }
}

struct Handler(Arc<State>);

fn param<'a>(request: &'a Request, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn error(status: u16, exception: &str, display: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "__CLASS__": "Adzuna::API::Response::Exception",
        "exception": exception,
        "display": display,
        "doc": "https://developer.adzuna.com/docs/search",
    }))
}

impl State {
    /// Counts the request in the window; the wait before room frees up
    /// when it is over the limit.
    fn over_limit(&self, now: Instant) -> Option<Duration> {
        let limit = self.config.per_window? as usize;
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.config.window)
        {
            window.pop_front();
        }
        if window.len() >= limit {
            let oldest = window.front().copied().unwrap_or(now);
            return Some(
                self.config
                    .window
                    .saturating_sub(now.duration_since(oldest)),
            );
        }
        window.push_back(now);
        self.peak.fetch_max(window.len() as u64, Ordering::Relaxed);
        None
    }

    fn search(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<_> = request.url.path().trim_matches('/').split('/').collect();
        let page = match segments.as_slice() {
            ["v1", "api", "jobs", _country, "search", page] => page.parse::<usize>().ok(),
            _ => return ResponseTemplate::new(404),
        };
        let (Some(app_id), Some(app_key)) = (param(request, "app_id"), param(request, "app_key"))
        else {
            self.unauthorized.fetch_add(1, Ordering::Relaxed);
            return error(401, "AUTH_FAIL", "Authorisation failed");
        };
        if app_id != self.config.app_id || app_key != self.config.app_key {
            self.unauthorized.fetch_add(1, Ordering::Relaxed);
            return error(401, "AUTH_FAIL", "Authorisation failed");
        }
        let per_page = param(request, "results_per_page")
            .map_or(Some(10), |v| v.parse::<usize>().ok())
            .filter(|n| (1..=50).contains(n));
        let (Some(page), Some(per_page)) = (page.filter(|p| *p >= 1), per_page) else {
            self.bad_requests.fetch_add(1, Ordering::Relaxed);
            return error(400, "BAD_REQUEST", "invalid page or results_per_page");
        };
        let start = ((page - 1) * per_page).min(self.offers.len());
        let end = (start + per_page).min(self.offers.len());
        let results = &self.offers[start..end];
        self.offers_served
            .fetch_add(results.len() as u64, Ordering::Relaxed);
        ResponseTemplate::new(200).set_body_json(json!({
            "__CLASS__": "Adzuna::API::Response::JobSearchResults",
            "count": self.offers.len(),
            "mean": 38123.45,
            "results": results,
        }))
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &*self.0;
        state.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(wait) = state.over_limit(Instant::now()) {
            state.rate_limited.fetch_add(1, Ordering::Relaxed);
            return error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded")
                .insert_header("Retry-After", wait.as_secs().max(1).to_string());
        }
        state.search(request)
    }
}

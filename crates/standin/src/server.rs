//! The HTTP side: one wiremock responder that plays every endpoint.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::{DatePrecision, Limiter, StandinConfig};
use crate::data::{CONTRACT_TYPES, DEPARTEMENTS, Data, Offer};

const TOKEN_PATH: &str = "/connexion/oauth2/access_token";
const API_BASE: &str = "/partenaire/offresdemploi";
const SEARCH_PATH: &str = "/partenaire/offresdemploi/v2/offres/search";
const OFFER_PREFIX: &str = "/partenaire/offresdemploi/v2/offres/";
const REFERENTIEL_PREFIX: &str = "/partenaire/offresdemploi/v2/referentiel/";

/// What the stand-in has answered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests to the API (search and referentiels), whatever the answer.
    pub requests: u64,
    /// Of which searches.
    pub searches: u64,
    /// Answers 429.
    pub rate_limited: u64,
    /// Answers 5xx (drawn or faults).
    pub server_errors: u64,
    /// Answers 401 (missing, unknown or expired token).
    pub unauthorized: u64,
    /// Answers 400.
    pub bad_requests: u64,
    /// Tokens issued.
    pub tokens: u64,
    /// Offers sent in search answers (with repeats).
    pub offers_served: u64,
}

/// One API request, as logged.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// When it arrived, since the stand-in started.
    pub at: Duration,
    /// The path.
    pub path: String,
    /// The query parameters, in order.
    pub params: Vec<(String, String)>,
    /// The status answered.
    pub status: u16,
}

impl LoggedRequest {
    /// The value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A search request, as a fault hook sees it.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// The query parameters, in order.
    pub params: Vec<(String, String)>,
}

impl SearchQuery {
    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A failure a test injects into chosen searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (a 5xx for a temporary failure).
    Status(u16),
    /// Answer 400 with `{"message": …}`.
    BadRequest(String),
}

type FaultHook = Box<dyn Fn(&SearchQuery) -> Option<Fault> + Send + Sync>;

#[derive(Debug)]
enum Bucket {
    Window(VecDeque<Instant>),
    Tokens { tokens: f64, at: Instant },
}

struct Mutable {
    rng: StdRng,
    bucket: Bucket,
    tokens: HashMap<String, Instant>,
    log: Vec<LoggedRequest>,
}

struct State {
    config: StandinConfig,
    data: RwLock<Arc<Data>>,
    added: AtomicU64,
    started: Instant,
    mutable: Mutex<Mutable>,
    fault: RwLock<Option<FaultHook>>,
    requests: AtomicU64,
    searches: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    unauthorized: AtomicU64,
    bad_requests: AtomicU64,
    tokens: AtomicU64,
    offers_served: AtomicU64,
}

/// A running stand-in. Dropping it stops the server.
pub struct Standin {
    server: MockServer,
    state: Arc<State>,
}

impl std::fmt::Debug for Standin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Standin")
            .field("uri", &self.server.uri())
            .field("offers", &self.state.data().offers.len())
            .finish_non_exhaustive()
    }
}

impl Standin {
    /// Generates the offers and starts serving them.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start(config: StandinConfig) -> Standin {
        let now_ms = Utc::now().timestamp_millis();
        let data = Data::generate(&config, now_ms);
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{}: {e}", config.port));
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let bucket = match config.limiter {
            Limiter::SlidingWindow => Bucket::Window(VecDeque::new()),
            Limiter::TokenBucket => Bucket::Tokens {
                tokens: f64::from(config.rate_limit_per_sec.unwrap_or(1)),
                at: Instant::now(),
            },
        };
        let state = Arc::new(State {
            mutable: Mutex::new(Mutable {
                rng: StdRng::seed_from_u64(config.seed ^ 0x5eed),
                bucket,
                tokens: HashMap::new(),
                log: Vec::new(),
            }),
            config,
            data: RwLock::new(Arc::new(data)),
            added: AtomicU64::new(0),
            started: Instant::now(),
            fault: RwLock::new(None),
            requests: AtomicU64::new(0),
            searches: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            bad_requests: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            offers_served: AtomicU64::new(0),
        });
        Mock::given(any())
            .respond_with(Handler(state.clone()))
            .mount(&server)
            .await;
        Standin { server, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The value for the source's `api_url`.
    pub fn api_url(&self) -> String {
        format!("{}{API_BASE}", self.server.uri())
    }

    /// The value for the source's `token_url`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}?realm=%2Fpartenaire", self.server.uri())
    }

    /// Every offer id, in generation order (added offers last).
    pub fn offer_ids(&self) -> Vec<String> {
        self.state
            .data()
            .offers
            .iter()
            .map(|o| o.id.clone())
            .collect()
    }

    /// How many offers it serves.
    pub fn len(&self) -> usize {
        self.state.data().offers.len()
    }

    /// Whether it serves no offer.
    pub fn is_empty(&self) -> bool {
        self.state.data().offers.is_empty()
    }

    /// How many offers match `pred(created_ms, departement, type)`.
    pub fn count(&self, mut pred: impl FnMut(i64, Option<&str>, &str) -> bool) -> usize {
        self.state
            .data()
            .offers
            .iter()
            .filter(|o| pred(o.created_ms, o.departement, o.type_contrat))
            .count()
    }

    /// Publishes `n` new offers, created now (copies of served ones under
    /// the ids `N000000`, `N000001`, ...), and returns their ids.
    pub fn add_offers(&self, n: usize) -> Vec<String> {
        let now_ms = Utc::now().timestamp_millis();
        let mut ids = Vec::new();
        self.state.edit(|offers| {
            for k in 0..n {
                let Some(model) = offers.get(k % offers.len().max(1)).cloned() else {
                    return;
                };
                let serial = self.state.added.fetch_add(1, Ordering::Relaxed);
                let id = format!("N{serial:06}");
                offers.push(model.copied_as(&id, now_ms - 1000));
                ids.push(id);
            }
        });
        ids
    }

    /// Gives offer `id` a new title, updated now. Returns whether it exists.
    pub fn update_offer(&self, id: &str, title: &str) -> bool {
        let now_ms = Utc::now().timestamp_millis();
        let mut found = false;
        self.state.edit(|offers| {
            if let Some(o) = offers.iter_mut().find(|o| o.id == id) {
                *o = o.retitled(title, now_ms);
                found = true;
            }
        });
        found
    }

    /// Withdraws offer `id`: the search no longer returns it and
    /// `GET …/v2/offres/{id}` answers 204. Returns whether it existed.
    pub fn remove_offer(&self, id: &str) -> bool {
        let mut found = false;
        self.state.edit(|offers| {
            let before = offers.len();
            offers.retain(|o| o.id != id);
            found = offers.len() < before;
        });
        found
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        let s = &self.state;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            requests: get(&s.requests),
            searches: get(&s.searches),
            rate_limited: get(&s.rate_limited),
            server_errors: get(&s.server_errors),
            unauthorized: get(&s.unauthorized),
            bad_requests: get(&s.bad_requests),
            tokens: get(&s.tokens),
            offers_served: get(&s.offers_served),
        }
    }

    /// Every API request so far, in arrival order.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.state.lock().log.clone()
    }

    /// The largest number of API requests that arrived within any one
    /// second.
    pub fn peak_per_second(&self) -> usize {
        let log = self.log();
        let mut peak = 0;
        let mut start = 0;
        for end in 0..log.len() {
            while log[end].at - log[start].at >= Duration::from_secs(1) {
                start += 1;
            }
            peak = peak.max(end - start + 1);
        }
        peak
    }

    /// Makes searches for which `hook` returns a fault fail that way
    /// (replacing any earlier hook).
    pub fn set_fault(&self, hook: impl Fn(&SearchQuery) -> Option<Fault> + Send + Sync + 'static) {
        *self.state.fault.write().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }

    /// Removes the fault hook.
    pub fn clear_fault(&self) {
        *self.state.fault.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl State {
    /// The offers served now.
    fn data(&self) -> Arc<Data> {
        self.data.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Changes the offers; searches already answering keep the old set.
    fn edit(&self, change: impl FnOnce(&mut Vec<Offer>)) {
        let mut guard = self.data.write().unwrap_or_else(|p| p.into_inner());
        let mut offers = guard.offers.clone();
        change(&mut offers);
        *guard = Arc::new(Data::ordered(
            offers,
            self.config.order,
            Utc::now().timestamp_millis(),
        ));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mutable> {
        self.mutable.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn latency(&self, m: &mut Mutable) -> Duration {
        let (lo, hi) = self.config.latency;
        if hi <= lo {
            return lo;
        }
        lo + (hi - lo).mul_f64(m.rng.random::<f64>())
    }

    /// `Ok(remaining)` when the request may go through, else the seconds to
    /// wait.
    fn admit(&self, m: &mut Mutable, now: Instant) -> Result<u32, u64> {
        let Some(rate) = self.config.rate_limit_per_sec else {
            return Ok(u32::MAX);
        };
        match &mut m.bucket {
            Bucket::Window(window) => {
                while window
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
                {
                    window.pop_front();
                }
                if window.len() >= rate as usize {
                    let free_at = window[0] + Duration::from_secs(1);
                    return Err(free_at.duration_since(now).as_secs_f64().ceil().max(1.0) as u64);
                }
                window.push_back(now);
                Ok(rate - window.len() as u32)
            }
            Bucket::Tokens { tokens, at } => {
                let rate = f64::from(rate);
                *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(rate);
                *at = now;
                if *tokens < 1.0 {
                    return Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64);
                }
                *tokens -= 1.0;
                Ok(*tokens as u32)
            }
        }
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn token(&self, request: &Request, m: &mut Mutable) -> ResponseTemplate {
        let realm = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.into_owned());
        let form: HashMap<String, String> = url_form(&request.body);
        let error = |code: &str, description: &str| {
            ResponseTemplate::new(400).set_body_json(json!({
                "error": code, "error_description": description
            }))
        };
        if realm.as_deref() != Some("/partenaire") {
            return error("invalid_request", "Invalid realm");
        }
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return error("unsupported_grant_type", "Grant type not supported");
        }
        if form.get("client_id").is_none_or(|v| v.is_empty())
            || form.get("client_secret").is_none_or(|v| v.is_empty())
        {
            return error("invalid_client", "Client authentication failed");
        }
        let scope = form.get("scope").cloned().unwrap_or_default();
        if !(scope.contains("api_offresdemploiv2") && scope.contains("o2dsoffre")) {
            return error("invalid_scope", "Invalid scope");
        }
        let n = self.tokens.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("standin-token-{n}");
        m.tokens
            .insert(token.clone(), Instant::now() + self.config.token_lifetime);
        let expires_in = self
            .config
            .token_expires_in
            .unwrap_or(self.config.token_lifetime);
        ResponseTemplate::new(200).set_body_json(json!({
            "scope": "api_offresdemploiv2 o2dsoffre",
            "expires_in": expires_in.as_secs(),
            "token_type": "Bearer",
            "access_token": token,
        }))
    }

    fn api(&self, request: &Request, m: &mut Mutable, now: Instant) -> ResponseTemplate {
        let path = request.url.path();
        let params: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        Self::bump(&self.requests);
        if path == SEARCH_PATH {
            Self::bump(&self.searches);
        }
        let answer = self.api_answer(request, path, &params, m, now);
        let status = answer.0;
        match status {
            429 => Self::bump(&self.rate_limited),
            401 => Self::bump(&self.unauthorized),
            400 => Self::bump(&self.bad_requests),
            500..=599 => Self::bump(&self.server_errors),
            _ => {}
        }
        m.log.push(LoggedRequest {
            at: now.duration_since(self.started),
            path: path.to_string(),
            params,
            status,
        });
        answer.1
    }

    fn api_answer(
        &self,
        request: &Request,
        path: &str,
        params: &[(String, String)],
        m: &mut Mutable,
        now: Instant,
    ) -> (u16, ResponseTemplate) {
        let limit = self.config.rate_limit_per_sec.unwrap_or(0).to_string();
        let remaining = match self.admit(m, now) {
            Ok(remaining) => remaining,
            Err(wait) => {
                return (
                    429,
                    ResponseTemplate::new(429)
                        .insert_header("Retry-After", wait.to_string().as_str())
                        .insert_header("X-Ratelimit-Burst-Capacity-Clientidlimiter", limit.as_str())
                        .insert_header("X-Ratelimit-Remaining-Clientidlimiter", "0")
                        .set_body_raw("Too Many Requests", "text/plain"),
                );
            }
        };
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| m.tokens.get(t))
            .is_some_and(|expires| now < *expires);
        if !authorized {
            return (
                401,
                ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthorized"})),
            );
        }
        let query = SearchQuery {
            params: params.to_vec(),
        };
        if path == SEARCH_PATH {
            let fault = self
                .fault
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .and_then(|hook| hook(&query));
            match fault {
                Some(Fault::Status(status)) => {
                    return (
                        status,
                        ResponseTemplate::new(status).set_body_string("fault"),
                    );
                }
                Some(Fault::BadRequest(message)) => return bad_request(&message),
                None => {}
            }
        }
        if self.config.error_rate > 0.0 && m.rng.random::<f64>() < self.config.error_rate {
            let status = [500, 502, 503][m.rng.random_range(0..3)];
            return (
                status,
                ResponseTemplate::new(status).set_body_string("Internal Server Error"),
            );
        }
        let headers = |t: ResponseTemplate| {
            t.insert_header("X-Ratelimit-Burst-Capacity-Clientidlimiter", limit.as_str())
                .insert_header(
                    "X-Ratelimit-Remaining-Clientidlimiter",
                    remaining.to_string().as_str(),
                )
        };
        if path == SEARCH_PATH {
            let (status, t) = self.search(&query);
            return (status, headers(t));
        }
        if let Some(id) = path.strip_prefix(OFFER_PREFIX) {
            return match self.data().offers.iter().find(|o| o.id == id) {
                Some(o) => (
                    200,
                    headers(
                        ResponseTemplate::new(200).set_body_raw(o.json.clone(), "application/json"),
                    ),
                ),
                None => (204, headers(ResponseTemplate::new(204))),
            };
        }
        match path.strip_prefix(REFERENTIEL_PREFIX) {
            Some("departements") => {
                let list: Vec<_> = DEPARTEMENTS
                    .iter()
                    .map(|d| json!({"code": d, "libelle": format!("Département {d}"), "region": {"code": "00", "libelle": "Région"}}))
                    .collect();
                (200, headers(ResponseTemplate::new(200).set_body_json(list)))
            }
            Some("typesContrats") => {
                let list: Vec<_> = CONTRACT_TYPES
                    .iter()
                    .map(|(c, l, _)| json!({"code": c, "libelle": l}))
                    .collect();
                (200, headers(ResponseTemplate::new(200).set_body_json(list)))
            }
            _ => (
                404,
                ResponseTemplate::new(404).set_body_json(json!({"message": "Not found"})),
            ),
        }
    }

    fn search(&self, query: &SearchQuery) -> (u16, ResponseTemplate) {
        let data = self.data();
        let range = query.get("range").unwrap_or("0-149");
        let Some((p, d)) = range.split_once('-').and_then(|(p, d)| {
            Some((
                p.trim().parse::<usize>().ok()?,
                d.trim().parse::<usize>().ok()?,
            ))
        }) else {
            return bad_request(
                "Format du paramètre « range » incorrect. <entier>-<entier> attendu.",
            );
        };
        if p > 3000 || d > 3149 || d < p || d - p >= 150 {
            return bad_request("La plage de résultats demandée est trop importante.");
        }
        let bounds = match (query.get("minCreationDate"), query.get("maxCreationDate")) {
            (None, None) => None,
            (Some(min), Some(max)) => match (parse_date(min), parse_date(max)) {
                (Some(min), Some(max)) => Some((min, max)),
                _ => {
                    return bad_request(
                        "Format de date incorrect. Format attendu : yyyy-MM-dd'T'hh:mm:ss'Z'",
                    );
                }
            },
            _ => {
                return bad_request(
                    "Les paramètres « minCreationDate » et « maxCreationDate » doivent être renseignés ensemble.",
                );
            }
        };
        let since = match query.get("publieeDepuis") {
            None => None,
            Some(days) => match days.parse::<i64>() {
                Ok(days) if days > 0 => Some(data.now_ms - days * 86_400_000),
                _ => return bad_request("Valeur du paramètre « publieeDepuis » incorrecte."),
            },
        };
        let list = |name: &str| -> Option<Vec<&str>> {
            query
                .get(name)
                .map(|v| v.split(',').map(str::trim).collect())
        };
        let departements = list("departement");
        if departements.as_ref().is_some_and(|d| d.len() > 5) {
            return bad_request("Le nombre de départements est limité à 5.");
        }
        if let Some(unknown) = departements
            .iter()
            .flatten()
            .find(|d| !DEPARTEMENTS.contains(d))
        {
            return bad_request(&format!(
                "Valeur du paramètre « departement » incorrecte : {unknown}."
            ));
        }
        let types = list("typeContrat");
        if let Some(unknown) = types
            .iter()
            .flatten()
            .find(|t| !CONTRACT_TYPES.iter().any(|(c, _, _)| c == *t))
        {
            return bad_request(&format!(
                "Valeur du paramètre « typeContrat » incorrecte : {unknown}."
            ));
        }
        let precision = self.config.date_precision;
        let order = if self.config.honour_sort && query.get("sort") == Some("1") {
            &data.newest_first
        } else {
            &data.default_order
        };
        let mut total = 0usize;
        let mut page = Vec::new();
        let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
        for &i in order {
            let o = &data.offers[i];
            let created = match precision {
                DatePrecision::Millis => o.created_ms,
                DatePrecision::Seconds => o.created_ms.div_euclid(1000) * 1000,
            };
            if bounds.is_some_and(|(min, max)| created < min || created > max)
                || since.is_some_and(|s| o.created_ms < s)
                || departements
                    .as_ref()
                    .is_some_and(|ds| !o.departement.is_some_and(|d| ds.contains(&d)))
                || types
                    .as_ref()
                    .is_some_and(|ts| !ts.contains(&o.type_contrat))
            {
                continue;
            }
            if (p..=d).contains(&total) {
                page.push(o.json.as_str());
            }
            *by_type.entry(o.type_contrat).or_default() += 1;
            total += 1;
        }
        if total == 0 {
            return (
                204,
                ResponseTemplate::new(204).insert_header("Content-Range", "offres */0"),
            );
        }
        if p >= total {
            return (
                204,
                ResponseTemplate::new(204)
                    .insert_header("Content-Range", format!("offres */{total}").as_str()),
            );
        }
        self.offers_served
            .fetch_add(page.len() as u64, Ordering::Relaxed);
        let last = p + page.len() - 1;
        let filters = json!([{
            "filtre": "typeContrat",
            "agregation": by_type.iter().map(|(t, n)| json!({"valeurPossible": t, "nbResultats": n})).collect::<Vec<_>>(),
        }]);
        let mut body = String::with_capacity(page.iter().map(|o| o.len() + 1).sum::<usize>() + 512);
        body.push_str("{\"resultats\":[");
        for (k, offer) in page.iter().enumerate() {
            if k > 0 {
                body.push(',');
            }
            body.push_str(offer);
        }
        body.push_str("],\"filtresPossibles\":");
        body.push_str(&filters.to_string());
        body.push('}');
        let status = if last + 1 < total { 206 } else { 200 };
        (
            status,
            ResponseTemplate::new(status)
                .insert_header(
                    "Content-Range",
                    format!("offres {p}-{last}/{total}").as_str(),
                )
                .insert_header("Accept-Range", "150")
                .set_body_raw(body, "application/json"),
        )
    }
}

fn bad_request(message: &str) -> (u16, ResponseTemplate) {
    (
        400,
        ResponseTemplate::new(400).set_body_json(json!({"message": message})),
    )
}

/// `yyyy-MM-ddTHH:mm:ssZ` (as the API wants it) in milliseconds.
fn parse_date(text: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").ok()?;
    Some(DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).timestamp_millis())
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((decode(k), decode(v)))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Handler(Arc<State>);

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &*self.0;
        let now = Instant::now();
        let mut m = state.lock();
        let path = request.url.path().to_string();
        let template = if path == TOKEN_PATH && request.method.as_str() == "POST" {
            state.token(request, &mut m)
        } else if path.starts_with(API_BASE) && request.method.as_str() == "GET" {
            state.api(request, &mut m, now)
        } else {
            ResponseTemplate::new(404)
        };
        let delay = state.latency(&mut m);
        template.set_delay(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_decoded() {
        let form = url_form(b"grant_type=client_credentials&scope=api_offresdemploiv2+o2dsoffre&client_secret=a%2Fb");
        assert_eq!(form["scope"], "api_offresdemploiv2 o2dsoffre");
        assert_eq!(form["client_secret"], "a/b");
    }

    #[test]
    fn api_dates_parse() {
        assert_eq!(parse_date("2024-07-08T10:35:59Z"), Some(1_720_434_959_000));
        assert_eq!(parse_date("2024-07-08"), None);
    }
}

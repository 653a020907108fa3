//! Shared test helpers: fixtures, a stand-in of the API, and a harness
//! that runs the source through a `SourceContext` as the runner does.

use std::sync::Arc;
use std::time::Duration;

use jobharvest_core::checkpoint::Checkpoint;
use jobharvest_core::http::HttpSettings;
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::source::Seen;
use jobharvest_core::{Batch, JobRecord, Result, Source, SourceContext, SourceStats};
use jobharvest_france_travail::{FranceTravailConfig, FranceTravailSource};
use jobharvest_standin::Standin;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SECRET: &str = "test-secret-value-42";
pub const TOKEN_PATH: &str = "/connexion/oauth2/access_token";
pub const SEARCH_PATH: &str = "/partenaire/offresdemploi/v2/offres/search";
pub const COMMUNES_PATH: &str = "/partenaire/offresdemploi/v2/referentiel/communes";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every recorded offer, as raw JSON text, in file order.
pub fn sample_offers() -> Vec<String> {
    let search: Value = serde_json::from_str(&fixture("search-2024-07-08-6-offers.json")).unwrap();
    let mut offers: Vec<String> = search["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    offers.push(fixture("offer-167GHBR-2024-01-05.json"));
    offers
}

/// The recorded offer `id`.
pub fn sample_offer(id: &str) -> String {
    sample_offers()
        .into_iter()
        .find(|o| serde_json::from_str::<Value>(o).unwrap()["id"] == id)
        .unwrap_or_else(|| panic!("no sample offer {id}"))
}

/// A recorded offer under another id.
pub fn generated_offer(index: u64) -> Value {
    let mut offer: Value = serde_json::from_str(&fixture("offer-167GHBR-2024-01-05.json")).unwrap();
    offer["id"] = json!(format!("GEN{index:05}"));
    offer
}

/// A stand-in of `GET /v2/offres/search` that serves `total` generated
/// offers, honouring `range` as the API does (206 while more remain, 200 at
/// the end, 204 when nothing matches).
pub struct SearchApi {
    pub total: u64,
    /// Serve `{"id": ...}` stubs instead of full offers (for big runs).
    pub tiny: bool,
}

impl SearchApi {
    /// Full offers, `total` of them.
    pub fn new(total: u64) -> Self {
        SearchApi { total, tiny: false }
    }
}

pub fn range_of(request: &Request) -> (u64, u64) {
    let range = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "range")
        .map(|(_, v)| v.to_string())
        .expect("every search request has a range");
    let (p, d) = range.split_once('-').unwrap();
    (p.parse().unwrap(), d.parse().unwrap())
}

impl Respond for SearchApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (p, d) = range_of(request);
        assert!(
            p <= 3000 && d <= 3149 && d >= p && d - p < 150,
            "bad range {p}-{d}"
        );
        if self.total == 0 {
            return ResponseTemplate::new(204).insert_header("Content-Range", "offres */0");
        }
        let last = d.min(self.total - 1);
        let offers: Vec<Value> = (p..=last)
            .map(|i| {
                if self.tiny {
                    json!({"id": format!("GEN{i:05}")})
                } else {
                    generated_offer(i)
                }
            })
            .collect();
        let status = if last + 1 >= self.total { 200 } else { 206 };
        ResponseTemplate::new(status)
            .insert_header("Content-Range", format!("offres {p}-{last}/{}", self.total))
            .insert_header("Accept-Range", "150")
            .set_body_json(json!({"resultats": offers, "filtresPossibles": []}))
    }
}

pub fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "scope": "api_offresdemploiv2 o2dsoffre",
        "expires_in": 1499,
        "token_type": "Bearer",
        "access_token": token,
    }))
}

/// Mounts a token endpoint that hands out `token`.
pub async fn mount_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(query_param("realm", "/partenaire"))
        .respond_with(token_answer(token))
        .mount(server)
        .await;
}

/// Builds a source from a spec entry split as the registry splits it: the
/// shared HTTP keys (`rate_limit_per_sec`, `max_results`, ...), then the
/// connector's own config.
pub fn build(entry: Value, env: &dyn Fn(&str) -> Option<String>) -> Result<FranceTravailSource> {
    let Value::Object(mut entry) = entry else {
        panic!("an entry is a map")
    };
    let http = HttpConfig::take(&mut entry, "")?;
    let config: FranceTravailConfig = serde_json::from_value(Value::Object(entry)).unwrap();
    config.build_with_env(&http, env)
}

/// A source pointed at `server`, with `params` and extra config keys.
pub fn source(server: &MockServer, params: Value, extra: Value) -> FranceTravailSource {
    let mut config = json!({
        "params": params,
        "api_url": format!("{}/partenaire/offresdemploi", server.uri()),
        "token_url": format!("{}{TOKEN_PATH}?realm=%2Fpartenaire", server.uri()),
        "client_id": "test-client",
        "client_secret": SECRET,
    });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let source = build(config, &|_| None).unwrap();
    let settings = fast(source.http_settings().clone());
    source.with_http_settings(settings)
}

/// The config's settings, with short retry delays and no real rate limit.
fn fast(settings: HttpSettings) -> HttpSettings {
    settings
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(1), Duration::from_millis(10))
}

/// A source pointed at the stand-in, with `params` and extra config keys.
pub fn standin_source(standin: &Standin, params: Value, extra: Value) -> FranceTravailSource {
    let mut config = json!({
        "params": params,
        "api_url": standin.api_url(),
        "token_url": standin.token_url(),
        "client_id": "test-client",
        "client_secret": SECRET,
    });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let source = build(config, &|_| None).unwrap();
    let settings = fast(source.http_settings().clone());
    source.with_http_settings(settings)
}

/// What a run gave.
pub struct Run {
    pub result: Result<()>,
    pub records: Vec<JobRecord>,
    pub stats: Arc<SourceStats>,
}

/// Runs `source` through a `SourceContext`, as the runner does.
pub async fn run(source: FranceTravailSource, limit: Option<u64>) -> Run {
    run_with(source, limit, None).await
}

/// Runs `source` with a checkpoint, as the runner does.
pub async fn run_with(
    source: FranceTravailSource,
    limit: Option<u64>,
    checkpoint: Option<Arc<Checkpoint>>,
) -> Run {
    let (tx, mut rx) = mpsc::channel::<Batch>(4);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new("ft", tx, stats.clone(), Arc::new(Seen::default()), limit)
        .with_checkpoint(checkpoint);
    let task = tokio::spawn(Box::new(source).run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    let result = task.await.unwrap();
    Run {
        result,
        records,
        stats,
    }
}

/// The search requests the server received, as `(p, d)` ranges.
pub async fn search_ranges(server: &MockServer) -> Vec<(u64, u64)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == SEARCH_PATH)
        .map(range_of)
        .collect()
}

/// The requests received on `path`.
pub async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

/// Plans `source` as `jobharvest run --dry-run` does.
pub async fn plan(
    source: FranceTravailSource,
) -> (Result<Option<jobharvest_core::Plan>>, Arc<SourceStats>) {
    let (tx, _rx) = mpsc::channel::<Batch>(1);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new("ft", tx, stats.clone(), Arc::new(Seen::default()), None);
    (Box::new(source).plan(cx).await, stats)
}

//! Adzuna against the core's source conformance suite: a wiremock stand-in
//! serving the first recorded offer under fresh ids, paged as the API pages
//! (`/v1/api/jobs/{country}/search/{page}`, `results_per_page`, `count`).
//! Each harness keeps its quota budget file in its own temporary folder.

use jobharvest_adzuna::AdzunaConfig;
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::testkit::sources::{self as kit, SourceHarness};
use jobharvest_core::{Capabilities, Registry, Result, Source, SourceConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const APP_ID: &str = "conformance-app";
const APP_KEY: &str = "conformance-key-51d0";
const SEARCH: &str = r"^/v1/api/jobs/fr/search/\d+$";

/// The first recorded offer, as the API sent it.
fn recorded_offer() -> Value {
    let path = format!(
        "{}/tests/fixtures/search-fr-2022-02-4-offers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let answer: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    answer["results"][0].clone()
}

/// The search over `total` offers.
struct Search {
    total: usize,
    offer: Value,
}

impl Respond for Search {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let page: usize = request
            .url
            .path()
            .rsplit('/')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let per_page: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "results_per_page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(10);
        if page == 0 || per_page > 50 {
            return ResponseTemplate::new(400).set_body_json(json!({"exception": "BAD_REQUEST"}));
        }
        let start = (page - 1) * per_page;
        let results: Vec<Value> = (start..(start + per_page).min(self.total))
            .map(|i| {
                let mut offer = self.offer.clone();
                offer["id"] = json!(format!("{}", 9_000_000_000u64 + i as u64));
                offer
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "__CLASS__": "Adzuna::API::Response::JobSearchResults",
            "count": self.total,
            "mean": 41234.5,
            "results": results,
        }))
    }
}

struct Adzuna {
    budgets: tempfile::TempDir,
}

impl Adzuna {
    fn new() -> Self {
        Adzuna {
            budgets: tempfile::tempdir().unwrap(),
        }
    }
}

#[jobharvest_core::async_trait]
impl SourceHarness for Adzuna {
    fn source_type(&self) -> &'static str {
        jobharvest_adzuna::TYPE
    }

    fn capabilities(&self) -> Capabilities {
        AdzunaConfig::capabilities()
    }

    fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
        let config = json!({
            "app_id": APP_ID,
            "app_key": APP_KEY,
            "base_url": base_url,
            "quota": {"budget_file": "budgets.json"},
        });
        // Split as the registry splits a spec entry: the shared HTTP keys
        // into `cx.http`, the rest into the config.
        let Value::Object(mut entry) = kit::config_with(config, extra) else {
            unreachable!("the config is a map")
        };
        let mut cx = Registry::new().build_context(self.budgets.path(), "adzuna");
        cx.http = HttpConfig::take(&mut entry, "")?;
        let config: AdzunaConfig = serde_json::from_value(Value::Object(entry)).unwrap();
        let source = config.build_with_env(&cx, &|_| None)?;
        let settings = kit::fast(source.http_settings().clone());
        Ok(Box::new(source.with_http_settings(settings)))
    }

    async fn mount(&self, server: &MockServer, offers: usize) {
        Mock::given(method("GET"))
            .and(path_regex(SEARCH))
            .and(query_param("app_id", APP_ID))
            .and(query_param("app_key", APP_KEY))
            .respond_with(Search {
                total: offers,
                offer: recorded_offer(),
            })
            .mount(server)
            .await;
    }

    fn search_path(&self) -> String {
        SEARCH.to_string()
    }

    fn secrets(&self) -> Vec<String> {
        vec![APP_KEY.into()]
    }
}

jobharvest_core::source_conformance!(Adzuna::new());

//! Arbeitnow against the core's source conformance suite: a wiremock
//! stand-in serving the recorded offer under fresh slugs, in pages of 100
//! chained by `links.next` (absolute URLs on the public site, as recorded,
//! which the source maps back onto its `base_url`).

use jobharvest_arbeitnow::ArbeitnowConfig;
use jobharvest_arbeitnow::config::PAGE_SIZE;
use jobharvest_core::testkit::sources::{self as kit, SourceHarness};
use jobharvest_core::{Capabilities, Result, Source, SourceConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API: &str = "/api/job-board-api";

/// The first recorded offer, as the API sent it.
fn recorded_offer() -> Value {
    let path = format!(
        "{}/tests/fixtures/page-1-2026-10-2-offers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let page: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    page["data"][0].clone()
}

/// `GET /api/job-board-api?page=N` over `total` offers.
struct Board {
    total: usize,
    offer: Value,
}

impl Respond for Board {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let page = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let per_page = PAGE_SIZE as usize;
        let start = (page - 1) * per_page;
        let end = (start + per_page).min(self.total);
        let data: Vec<Value> = (start..end)
            .map(|i| {
                let mut offer = self.offer.clone();
                offer["slug"] = json!(format!("conformance-offer-{i:05}"));
                offer
            })
            .collect();
        let next = (end < self.total).then(|| {
            format!(
                "https://www.arbeitnow.com/api/job-board-api?page={}",
                page + 1
            )
        });
        ResponseTemplate::new(200).set_body_json(json!({
            "data": data,
            "links": {"first": "https://www.arbeitnow.com/api/job-board-api?page=1", "last": null, "prev": null, "next": next},
            "meta": {"current_page": page, "per_page": per_page},
        }))
    }
}

struct Arbeitnow;

#[jobharvest_core::async_trait]
impl SourceHarness for Arbeitnow {
    fn source_type(&self) -> &'static str {
        jobharvest_arbeitnow::TYPE
    }

    fn capabilities(&self) -> Capabilities {
        ArbeitnowConfig::capabilities()
    }

    fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
        let config = kit::config_with(json!({"base_url": base_url}), extra);
        let config: ArbeitnowConfig = serde_json::from_value(config).unwrap();
        let source = config.build_source()?;
        let settings = kit::fast(jobharvest_core::http::HttpSettings::default());
        Ok(Box::new(source.with_http_settings(settings)))
    }

    async fn mount(&self, server: &MockServer, offers: usize) {
        Mock::given(method("GET"))
            .and(path(API))
            .respond_with(Board {
                total: offers,
                offer: recorded_offer(),
            })
            .mount(server)
            .await;
    }

    fn search_path(&self) -> String {
        format!("^{API}$")
    }
}

jobharvest_core::source_conformance!(Arbeitnow);

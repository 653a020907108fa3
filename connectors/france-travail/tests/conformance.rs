//! France Travail against the core's source conformance suite: a wiremock
//! stand-in serving the recorded offer under fresh ids, paged with `range`
//! and `Content-Range` as the API does.

use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::testkit::sources::{self as kit, SourceHarness};
use jobharvest_core::{Capabilities, Result, Source, SourceConfig};
use jobharvest_france_travail::FranceTravailConfig;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "conformance-secret-7f3a";
const TOKEN_PATH: &str = "/connexion/oauth2/access_token";
const SEARCH_PATH: &str = "/partenaire/offresdemploi/v2/offres/search";

/// The recorded offer, as the API sent it.
fn recorded_offer() -> Value {
    let path = format!(
        "{}/tests/fixtures/offer-167GHBR-2024-01-05.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `GET /v2/offres/search` over `total` offers: 206 while more remain, 200
/// for the last page, 204 when nothing matches.
struct Search {
    total: u64,
    offer: Value,
}

impl Respond for Search {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let range = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "range")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| "0-149".into());
        let (p, d) = range.split_once('-').unwrap();
        let (p, d): (u64, u64) = (p.parse().unwrap(), d.parse().unwrap());
        if d < p || d - p >= 150 {
            return ResponseTemplate::new(400).set_body_string("range too wide");
        }
        if self.total == 0 {
            return ResponseTemplate::new(204).insert_header("Content-Range", "offres */0");
        }
        let last = d.min(self.total - 1);
        let offers: Vec<Value> = (p..=last)
            .map(|i| {
                let mut o = self.offer.clone();
                o["id"] = json!(format!("CONF{i:05}"));
                o
            })
            .collect();
        let status = if last + 1 >= self.total { 200 } else { 206 };
        ResponseTemplate::new(status)
            .insert_header("Content-Range", format!("offres {p}-{last}/{}", self.total))
            .set_body_json(json!({"resultats": offers, "filtresPossibles": []}))
    }
}

struct FranceTravail;

#[jobharvest_core::async_trait]
impl SourceHarness for FranceTravail {
    fn source_type(&self) -> &'static str {
        jobharvest_france_travail::TYPE
    }

    fn capabilities(&self) -> Capabilities {
        FranceTravailConfig::capabilities()
    }

    fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
        let config = json!({
            "api_url": format!("{base_url}/partenaire/offresdemploi"),
            "token_url": format!("{base_url}{TOKEN_PATH}"),
            "client_id": "conformance-app",
            "client_secret": SECRET,
        });
        // Split as the registry splits a spec entry: the shared HTTP keys,
        // then the connector's own.
        let Value::Object(mut entry) = kit::config_with(config, extra) else {
            unreachable!("the config is a map")
        };
        let http = HttpConfig::take(&mut entry, "")?;
        let config: FranceTravailConfig = serde_json::from_value(Value::Object(entry)).unwrap();
        let source = config.build_with_env(&http, &|_| None)?;
        let settings = kit::fast(source.http_settings().clone());
        Ok(Box::new(source.with_http_settings(settings)))
    }

    async fn mount(&self, server: &MockServer, offers: usize) {
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "conformance-token",
                "token_type": "Bearer",
                "expires_in": 1499,
                "scope": "api_offresdemploiv2 o2dsoffre",
            })))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path(SEARCH_PATH))
            .respond_with(Search {
                total: offers as u64,
                offer: recorded_offer(),
            })
            .mount(server)
            .await;
    }

    fn search_path(&self) -> String {
        format!("^{SEARCH_PATH}$")
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.into()]
    }
}

jobharvest_core::source_conformance!(FranceTravail);

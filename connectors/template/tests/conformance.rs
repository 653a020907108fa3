//! The template connector against the core's source conformance suite: a
//! wiremock stand-in of the board serving the fixture job under fresh ids,
//! paged with `page`/`per_page` and `next_page` as the board does.

use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::testkit::sources::{self as kit, SourceHarness};
use jobharvest_core::{Capabilities, Result, Source, SourceConfig};
use jobharvest_template::TemplateConfig;
use jobharvest_template::source::PAGE_SIZE;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API_KEY: &str = "conformance-key-3c9e";
const SEARCH_PATH: &str = "/v1/jobs";

/// The fixture job (one job as the board sends it).
fn fixture_job() -> Value {
    let path = format!("{}/tests/fixtures/job.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `GET /v1/jobs?page=N&per_page=M` over `total` jobs.
struct Jobs {
    total: usize,
    job: Value,
}

impl Respond for Jobs {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let param = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let (Some(page), Some(per_page)) = (param("page"), param("per_page")) else {
            return ResponseTemplate::new(400).set_body_string("page and per_page are required");
        };
        if page == 0 || per_page > PAGE_SIZE as usize {
            return ResponseTemplate::new(400).set_body_string("bad page or per_page");
        }
        let start = (page - 1) * per_page;
        let end = (start + per_page).min(self.total);
        let jobs: Vec<Value> = (start..end)
            .map(|i| {
                let mut job = self.job.clone();
                job["id"] = json!(format!("job-{i:05}"));
                job
            })
            .collect();
        let next = (end < self.total).then_some(page + 1);
        ResponseTemplate::new(200).set_body_json(json!({
            "total": self.total,
            "page": page,
            "next_page": next,
            "jobs": jobs,
        }))
    }
}

struct Template;

#[jobharvest_core::async_trait]
impl SourceHarness for Template {
    fn source_type(&self) -> &'static str {
        jobharvest_template::TYPE
    }

    fn capabilities(&self) -> Capabilities {
        TemplateConfig::capabilities()
    }

    fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
        let config = json!({"base_url": format!("{base_url}/v1"), "api_key": API_KEY});
        // Split as the registry splits a spec entry: the shared HTTP keys,
        // then the connector's own.
        let Value::Object(mut entry) = kit::config_with(config, extra) else {
            unreachable!("the config is a map")
        };
        let http = HttpConfig::take(&mut entry, "")?;
        let config: TemplateConfig = serde_json::from_value(Value::Object(entry)).unwrap();
        let source = config.build_with_env(&http, &|_| None)?;
        let settings = kit::fast(source.http_settings().clone());
        Ok(Box::new(source.with_http_settings(settings)))
    }

    async fn mount(&self, server: &MockServer, offers: usize) {
        Mock::given(method("GET"))
            .and(path(SEARCH_PATH))
            .and(header("Authorization", format!("Token {API_KEY}").as_str()))
            .respond_with(Jobs {
                total: offers,
                job: fixture_job(),
            })
            .mount(server)
            .await;
    }

    fn search_path(&self) -> String {
        format!("^{SEARCH_PATH}$")
    }

    fn secrets(&self) -> Vec<String> {
        vec![API_KEY.into()]
    }
}

jobharvest_core::source_conformance!(Template);

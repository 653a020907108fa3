//! Boards defined in YAML against the core's source conformance suite:
//! Arbeitnow (`next_link` paging, links on the public site mapped back onto
//! the configured base URL) and JobTech (`offset` paging with a page size
//! and a total), each on a wiremock stand-in serving a recorded offer
//! under fresh ids.

mod common;

use jobharvest_core::testkit::sources::{self as kit, SourceHarness};
use jobharvest_core::{Capabilities, Result, Source};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn capabilities(board: &str) -> Capabilities {
    common::registry()
        .sources()
        .find(|i| i.name == board)
        .and_then(|i| i.capabilities)
        .unwrap_or_else(|| panic!("{board} is not registered"))
}

fn build(board: &str, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
    let entry = kit::config_with(
        json!({"type": board, "base_url": base_url, "rate_limit_per_sec": 1000, "max_retries": 3}),
        extra,
    );
    common::build(entry)
}

fn query(request: &Request, name: &str) -> Option<usize> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

mod arbeitnow {
    use super::*;

    const API: &str = "/api/job-board-api";

    /// `GET /api/job-board-api?page=N` over `total` offers, 100 a page, next
    /// links on the public site as the real API writes them.
    struct Board {
        total: usize,
        offer: Value,
    }

    impl Respond for Board {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let page = query(request, "page").unwrap_or(1).max(1);
            let start = (page - 1) * 100;
            let end = (start + 100).min(self.total);
            let data: Vec<Value> = (start..end.max(start))
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
                "meta": {"current_page": page, "per_page": 100},
            }))
        }
    }

    pub struct Arbeitnow;

    #[jobharvest_core::async_trait]
    impl SourceHarness for Arbeitnow {
        fn source_type(&self) -> &'static str {
            "arbeitnow"
        }

        fn capabilities(&self) -> Capabilities {
            capabilities("arbeitnow")
        }

        fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
            build("arbeitnow", &format!("{base_url}/api"), extra)
        }

        async fn mount(&self, server: &MockServer, offers: usize) {
            let page: Value =
                serde_json::from_str(&common::fixture("arbeitnow/page-1-2026-10-2-offers.json"))
                    .unwrap();
            Mock::given(method("GET"))
                .and(path(API))
                .respond_with(Board {
                    total: offers,
                    offer: page["data"][0].clone(),
                })
                .mount(server)
                .await;
        }

        fn search_path(&self) -> String {
            format!("^{API}$")
        }
    }

    jobharvest_core::source_conformance!(Arbeitnow);
}

mod jobtech {
    use super::*;

    /// `GET /search?offset=&limit=` over `total` offers, as JobSearch
    /// answers: `{total: {value}, hits}`, offset at most 2,000.
    struct Search {
        total: usize,
        hit: Value,
    }

    impl Respond for Search {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let offset = query(request, "offset").unwrap_or(0);
            let limit = query(request, "limit").unwrap_or(10);
            if offset > 2000 || limit > 100 {
                return ResponseTemplate::new(400).set_body_json(
                    json!({"message": "offset must be at most 2000, limit at most 100"}),
                );
            }
            let end = (offset + limit).min(self.total);
            let hits: Vec<Value> = (offset.min(end)..end)
                .map(|i| {
                    let mut hit = self.hit.clone();
                    hit["id"] = json!(format!("{}", 30_000_000 + i));
                    hit
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "total": {"value": self.total},
                "positions": self.total,
                "hits": hits,
            }))
        }
    }

    pub struct JobTech;

    #[jobharvest_core::async_trait]
    impl SourceHarness for JobTech {
        fn source_type(&self) -> &'static str {
            "jobtech"
        }

        fn capabilities(&self) -> Capabilities {
            capabilities("jobtech")
        }

        fn build(&self, base_url: &str, extra: Value) -> Result<Box<dyn Source>> {
            build("jobtech", base_url, extra)
        }

        async fn mount(&self, server: &MockServer, offers: usize) {
            let page: Value =
                serde_json::from_str(&common::fixture("jobtech/search.json")).unwrap();
            Mock::given(method("GET"))
                .and(path("/search"))
                .respond_with(Search {
                    total: offers,
                    hit: page["hits"][0].clone(),
                })
                .mount(server)
                .await;
        }

        fn search_path(&self) -> String {
            "^/search$".into()
        }
    }

    jobharvest_core::source_conformance!(JobTech);
}

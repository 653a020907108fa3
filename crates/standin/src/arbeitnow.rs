//! A local stand-in of Arbeitnow's job board API.
//!
//! [`ArbeitnowStandin::start`] serves `GET /api/job-board-api?page=N` from
//! generated offers, as the public API answers: `{data, links, meta}`, with
//! `links.next` an absolute URL to the next page and `null` on the last one;
//! a page past the last has no offers. Offers have HTML descriptions (block
//! tags, lists, entities), `created_at` in Unix seconds, `remote`, `tags`
//! and `job_types`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::listen::{listen, serve};

/// The API's path.
pub const ARBEITNOW_PATH: &str = "/api/job-board-api";

/// How the Arbeitnow stand-in behaves.
#[derive(Debug, Clone)]
pub struct ArbeitnowStandinConfig {
    /// How many pages of offers.
    pub pages: usize,
    /// Offers per page (the API serves 100).
    pub per_page: usize,
    /// Port to listen on (0: any free port).
    pub port: u16,
}

impl Default for ArbeitnowStandinConfig {
    fn default() -> Self {
        ArbeitnowStandinConfig {
            pages: 3,
            per_page: 100,
            port: 0,
        }
    }
}

struct State {
    config: ArbeitnowStandinConfig,
    offers: Vec<Value>,
    uri: String,
    requests: AtomicU64,
}

/// A running Arbeitnow stand-in. Dropping it stops the server.
pub struct ArbeitnowStandin {
    server: MockServer,
    state: Arc<State>,
}

impl std::fmt::Debug for ArbeitnowStandin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArbeitnowStandin")
            .field("uri", &self.server.uri())
            .field("offers", &self.state.offers.len())
            .finish_non_exhaustive()
    }
}

const TITLES: &[&str] = &[
    "Senior Rust Engineer (m/w/d)",
    "Werkstudent Data Analytics",
    "Product Manager",
    "Medizinische Fachangestellte (m/w/d)",
];
const COMPANIES: &[&str] = &[
    "MCH Ventures",
    "PraxisEins",
    "Datawerk GmbH",
    "Nordlicht AG",
];
const PLACES: &[&str] = &["Berlin", "München", "Hamburg", "Potsdam"];

fn generate(config: &ArbeitnowStandinConfig) -> Vec<Value> {
    let newest = Utc::now().timestamp() - 600;
    (0..config.pages * config.per_page)
        .map(|i| {
            let title = TITLES[i % TITLES.len()];
            let company = COMPANIES[i % COMPANIES.len()];
            let slug = format!(
                "{}-{}-{}",
                title
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join("-"),
                PLACES[i % PLACES.len()].to_lowercase(),
                500_000 + i
            );
            json!({
                "slug": slug,
                "company_name": company,
                "title": title,
                "description": format!(
                    "<h2><strong>Über {company}</strong></h2><p>Wir suchen Verstärkung&nbsp;für unser Team &amp; unsere Kunden (Angebot&#160;{i}).</p><ul><li>Rust &amp; Python</li><li>Gehalt &gt; 50&nbsp;000&nbsp;&euro;</li></ul><p>Bewirb dich jetzt!<br>Kontakt: jobs&#64;example.invalid</p>"
                ),
                "remote": i % 3 == 0,
                "url": format!("https://www.arbeitnow.com/jobs/companies/{}/{slug}", company.to_lowercase().replace(' ', "-")),
                "tags": if i % 2 == 0 { json!(["Software Development", "Remote"]) } else { json!(["Healthcare"]) },
                "job_types": if i % 4 == 1 { json!(["Working student", "berufseinstieg"]) } else { json!(["Full Time"]) },
                "location": PLACES[i % PLACES.len()],
                "created_at": newest - 900 * i as i64,
            })
        })
        .collect()
}

impl ArbeitnowStandin {
    /// Generates the offers and starts serving them.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start(config: ArbeitnowStandinConfig) -> ArbeitnowStandin {
        let server = listen(config.port).await;
        let state = Arc::new(State {
            offers: generate(&config),
            config,
            uri: server.uri(),
            requests: AtomicU64::new(0),
        });
        serve(&server, Handler(Arc::clone(&state))).await;
        ArbeitnowStandin { server, state }
    }

    /// The value for the source's `base_url`: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The generated offers, in page order.
    pub fn offers(&self) -> &[Value] {
        &self.state.offers
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }
}

struct Handler(Arc<State>);

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &*self.0;
        state.requests.fetch_add(1, Ordering::Relaxed);
        if request.url.path() != ARBEITNOW_PATH {
            return ResponseTemplate::new(404);
        }
        let page = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .map_or(Some(1), |(_, v)| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let per_page = state.config.per_page;
        let start = ((page - 1) * per_page).min(state.offers.len());
        let end = (start + per_page).min(state.offers.len());
        let url = |p: usize| format!("{}{ARBEITNOW_PATH}?page={p}", state.uri);
        let next = (end < state.offers.len()).then(|| url(page + 1));
        ResponseTemplate::new(200).set_body_json(json!({
            "data": &state.offers[start..end],
            "links": {
                "first": url(1),
                "last": null,
                "prev": (page > 1).then(|| url(page - 1)),
                "next": next,
            },
            "meta": {
                "current_page": page,
                "from": (start < end).then_some(start + 1),
                "path": format!("{}{ARBEITNOW_PATH}", state.uri),
                "per_page": per_page,
                "to": (start < end).then_some(end),
                "terms": "This is a free public API for jobs, please do not abuse. I would appreciate linking back to the site.",
                "info": "Jobs are updated every hour and order by the `created_at` timestamp.",
            },
        }))
    }
}

//! The Muse (API-FACTS §5.5; checked against `jobapis/jobs-muse` and a
//! client's response model).
//!
//! `GET /api/public/jobs?page=N` (`base_url` ends with `/api/public`, as
//! the definition's does): `page` is required (400 without, or when
//! it is not a number ≥ 0; [M] body `{"code":400,"error":..}`), 0-based
//! ([M]: clients use both; page 0 is the first), 20 jobs a page, newest
//! first, `{page, page_count, items_per_page: 20, took, timed_out, total,
//! results}`; a page past the last has no results. `category`, `level`,
//! `location` and `company` filter (repeatable, OR within one). `GET
//! /api/public/jobs/{id}` answers one job. No auth (`api_key` ignored), and
//! [M] neither the 500-requests-an-hour limit nor a cap on `page_count` is
//! played. `publication_date` is UTC with `Z` ([M] with microseconds);
//! some jobs are at "Flexible / Remote".

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, json, slug};

pub(super) struct TheMuse;

const PER_PAGE: usize = 20;

/// title, category.
const JOBS: &[(&str, &str)] = &[
    ("Data Analyst", "Data and Analytics"),
    ("Software Engineer II", "Software Engineering"),
    ("Account Executive", "Sales"),
    ("Registered Nurse", "Healthcare"),
    ("Marketing Coordinator", "Marketing and PR"),
    ("Senior Product Manager", "Product Management"),
];
const LEVELS: &[(&str, &str)] = &[
    ("Entry Level", "entry"),
    ("Mid Level", "mid"),
    ("Senior Level", "senior"),
    ("Management", "management"),
    ("Internship", "internship"),
];
const PLACES: &[&str] = &[
    "New York, NY",
    "San Francisco, CA",
    "Chicago, IL",
    "London, United Kingdom",
    "Paris, France",
    "Flexible / Remote",
];
/// id, name.
const COMPANIES: &[(i64, &str)] = &[
    (1, "Acme"),
    (11_862, "Capital One"),
    (904, "Spotify"),
    (2_301, "Kaiser Permanente"),
];

impl Api for TheMuse {
    fn base_path(&self) -> &'static str {
        "/api/public"
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = 11_000_000 + seq as i64 * 5 + g.int(0..=4);
        let (name, category) = *g.pick(JOBS);
        let (level, level_short) = *g.pick(LEVELS);
        let (company_id, company) = *g.pick(COMPANIES);
        let mut locations = vec![json!({"name": g.pick(PLACES)})];
        if g.chance(0.2) {
            locations.push(json!({"name": "Flexible / Remote"}));
        }
        let published = at + TimeDelta::microseconds(g.int(0..=999_999));
        let record = json!({
            "contents": format!("<p><b>{company}</b> is hiring a {name}.</p><ul><li>Health, dental &amp; vision</li><li>401(k) match</li></ul>"),
            "name": name,
            "type": "external",
            "publication_date": published.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "short_name": format!("{}-{}", slug(name), g.digits(3)),
            "model_type": "jobs",
            "id": id,
            "locations": locations,
            "categories": [{"name": category}],
            "levels": [{"name": level, "short_name": level_short}],
            "tags": [],
            "refs": {"landing_page": format!("https://www.themuse.com/jobs/{}/{}", slug(company), slug(name))},
            "company": {"id": company_id, "short_name": slug(company), "name": company},
        });
        Offer {
            id: id.to_string(),
            at,
            open: true,
            record,
            detail: None,
            page_item: None,
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        if let Some(id) = cx.path.strip_prefix("/jobs/") {
            return Ok(match cx.offers.iter().find(|o| o.id == id) {
                Some(o) => json(200, &o.record),
                None => json(404, &json!({"code": 404, "error": "Not Found"})),
            });
        }
        if cx.path != "/jobs" {
            return Ok(ResponseTemplate::new(404));
        }
        cx.search()?;
        let Some(page) = cx
            .query("page")
            .and_then(|p| p.trim().parse::<usize>().ok())
        else {
            return Err(json(
                400,
                &json!({"code": 400, "error": "page: a page number (0 or more) is required"}),
            ));
        };
        let wanted = |name: &str, pointer: &str, record: &Value| {
            let values = cx.query_all(name);
            values.is_empty()
                || record[pointer].as_array().is_some_and(|items| {
                    items.iter().any(|i| {
                        values
                            .iter()
                            .any(|v| i["name"].as_str() == Some(v.as_str()))
                    })
                })
        };
        let companies = cx.query_all("company");
        let hits: Vec<&Offer> = cx
            .walk()
            .filter(|o| {
                wanted("category", "categories", &o.record)
                    && wanted("level", "levels", &o.record)
                    && wanted("location", "locations", &o.record)
                    && (companies.is_empty()
                        || companies
                            .iter()
                            .any(|c| o.record["company"]["name"].as_str() == Some(c.as_str())))
            })
            .collect();
        let results: Vec<Value> = hits
            .iter()
            .skip(page.saturating_mul(PER_PAGE))
            .take(PER_PAGE)
            .map(|o| o.record.clone())
            .collect();
        Ok(json(
            200,
            &json!({
                "page": page,
                "page_count": hits.len().div_ceil(PER_PAGE),
                "items_per_page": PER_PAGE,
                "took": 27,
                "timed_out": false,
                "total": hits.len(),
                "results": results,
            }),
        ))
    }
}

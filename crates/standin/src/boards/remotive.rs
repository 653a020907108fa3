//! Remotive, remote jobs (API-FACTS §5.1; checked against the official
//! `remotive-com/remote-jobs-api` README).
//!
//! `GET /api/remote-jobs` answers every matching job at once, newest first:
//! `{"0-legal-notice", "job-count" (= length of jobs), "total-job-count"
//! (before `limit`; [M], seen in third-party code), "jobs"}`. Filters as
//! the README documents them: `category` (slug or name), `company_name`
//! and `search` (title and description; partial, ignoring case), `limit`
//! (an integer; [M] anything else is ignored). Third parties report the
//! live filters ignored: a definition should filter on its side too.
//! `publication_date` is zone-less (UTC), `salary` free text or empty,
//! `job_type` often empty.
//!
//! The README blocks "more than 2x per minute": with no
//! `rate_limit_per_sec` in the config, the third request within a sliding
//! minute gets 429 (with `Retry-After` in seconds until a slot frees).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, contains_ci, json, slug, text};

pub(super) struct Remotive;

/// [M] The notice's wording follows the README's terms.
const LEGAL: &str = "Remotive API Legal Notice: Please do not submit Remotive jobs to third Party websites, including but not limited to: Jooble, Neuvoo, Google Jobs, LinkedIn Jobs. Please link back to the URL found on Remotive AND mention Remotive as a source in order to Remotive to get traffic from your listing. If you don't do that, we'll terminate your API access, sorry!";

/// category slug, category name, titles.
#[rustfmt::skip]
const CATEGORIES: &[(&str, &str, &[&str])] = &[
    ("software-dev", "Software Development", &[ "Lead Developer", "Senior Python Engineer", "Backend Engineer (Django)", ]),
    ("data", "Data Analysis", &["Data Analyst", "Analytics Engineer"]),
    ("customer-support", "Customer Service", &["Customer Support Specialist", "Technical Support Engineer"]),
    ("marketing", "Marketing", &["Growth Marketer", "SEO Specialist"]),
    ("design", "Design", &["Product Designer", "UX Researcher"]),
    ("devops", "DevOps / Sysadmin", &["Site Reliability Engineer"]),
];
const COMPANIES: &[&str] = &[
    "Remotive",
    "Lemon.io",
    "Northwind Analytics",
    "Initech",
    "CodeForAI",
    "Acme AI",
];
const SALARIES: &[&str] = &[
    "$40,000 - $50,000",
    "€50k",
    "",
    "",
    "USD 20/hour",
    "$120k - $150k",
    "Competitive",
];
const JOB_TYPES: &[&str] = &[
    "full_time",
    "full_time",
    "contract",
    "part_time",
    "freelance",
    "",
];
const PLACES: &[&str] = &[
    "Worldwide",
    "USA",
    "Europe, UK",
    "Americas",
    "Germany",
    "Canada, USA",
];

impl Api for Remotive {
    fn own_rate_limit(&self) -> Option<(Duration, u32)> {
        Some((Duration::from_secs(60), 2))
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = 1_900_000 + seq as i64 * 3 + g.int(0..=2);
        let (cat_slug, category, titles) = *g.pick(CATEGORIES);
        let title = *g.pick(titles);
        let company = *g.pick(COMPANIES);
        let record = json!({
            "id": id,
            "url": format!("https://remotive.com/remote-jobs/{cat_slug}/{}-{id}", slug(title)),
            "title": title,
            "company_name": company,
            "company_logo": format!("https://remotive.com/job/{id}/logo"),
            "category": category,
            "tags": [slug(category), "remote"],
            "job_type": g.pick(JOB_TYPES),
            "publication_date": at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            "candidate_required_location": g.pick(PLACES),
            "salary": g.pick(SALARIES),
            "description": format!("<p><strong>{company}</strong> is hiring a {title}.</p><ul><li>100% remote</li><li>Async-first</li></ul>"),
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
        if cx.path != "/api/remote-jobs" {
            return Ok(ResponseTemplate::new(404));
        }
        cx.search()?;
        let category = cx.query("category").map(|c| c.to_lowercase());
        let company = cx.query("company_name").unwrap_or_default();
        let search = cx.query("search").unwrap_or_default();
        let jobs: Vec<Value> = cx
            .walk()
            .filter(|o| {
                let r = &o.record;
                let name = text(r, "/category");
                let cat_slug = text(r, "/url").split('/').nth(4).unwrap_or("");
                category
                    .as_deref()
                    .is_none_or(|c| c == name.to_lowercase() || c == cat_slug)
                    && contains_ci(text(r, "/company_name"), &company)
                    && (contains_ci(text(r, "/title"), &search)
                        || contains_ci(text(r, "/description"), &search))
            })
            .map(|o| o.record.clone())
            .collect();
        let total = jobs.len();
        let limit = cx
            .query("limit")
            .and_then(|l| l.trim().parse::<usize>().ok())
            .unwrap_or(total);
        let jobs: Vec<Value> = jobs.into_iter().take(limit).collect();
        Ok(json(
            200,
            &json!({"0-legal-notice": LEGAL, "job-count": jobs.len(), "total-job-count": total, "jobs": jobs}),
        ))
    }
}

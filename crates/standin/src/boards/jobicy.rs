//! Jobicy, remote jobs (API-FACTS §5.3; checked against the official
//! `Jobicy/remote-jobs-api` README and the live answer recorded on
//! 2024-12-08).
//!
//! `GET /api/v2/remote-jobs` (`base_url` ends with `/api/v2`, as the
//! definition's does): the newest `count` jobs (default 100; clamped
//! into 1..=100; [M] a non-number counts as the default), filtered by `geo`
//! (region slug of `jobGeo`), `industry` (industry slug; [M] the slugs
//! below) and `tag` (title and description contain it, ignoring case). No
//! paging, no auth. The envelope has `apiVersion`, `documentationUrl`,
//! `friendlyNotice`, `jobCount`, `xRayHash`, `clientKey`, `lastUpdate`.
//! Jobs have `jobIndustry` and `jobType` as arrays and `pubDate`
//! `YYYY-MM-DD HH:MM:SS` in UTC; salaries are strings, as
//! `annualSalaryMin`/`annualSalaryMax` (the live record) on some jobs and
//! `salaryMin`/`salaryMax`/`salaryPeriod` (the 2026 README) on others, each
//! with `salaryCurrency`; the rest have none.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, contains_ci, json, slug, text};

pub(super) struct Jobicy;

const MAX_COUNT: usize = 100;

/// industry slug, industry name, titles.
#[rustfmt::skip]
const INDUSTRIES: &[(&str, &str, &[&str])] = &[
    ("dev", "Software Engineering", &["Senior Rust Engineer", "Full-Stack Developer"]),
    ("data-science", "Data Science", &["Research Scientist (Voice AI Foundations)", "Data Analyst"]),
    ("marketing", "Marketing", &["SEO Manager", "Content Marketer"]),
    ("seller", "Sales", &["Account Executive, EMEA"]),
    ("supporting", "Customer Success", &["Customer Success Manager"]),
    ("copywriting", "Copywriting", &["Senior Copywriter"]),
];
const GEOS: &[&str] = &[
    "Anywhere", "USA", "Europe", "UK", "Canada", "Germany", "LATAM", "APAC",
];
const COMPANIES: &[&str] = &[
    "Deepgram",
    "Toggl",
    "Buffer",
    "Jobgether",
    "Proxify",
    "Kraken",
];
const LEVELS: &[&str] = &["Any", "Senior", "Midweight", "Entry", "Manager"];
const TYPES: &[&str] = &[
    "full-time",
    "full-time",
    "contract",
    "part-time",
    "internship",
];

impl Api for Jobicy {
    fn base_path(&self) -> &'static str {
        "/api/v2"
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = 74_000 + seq as i64 * 2 + g.int(0..=1);
        let (_, industry, titles) = *g.pick(INDUSTRIES);
        let title = *g.pick(titles);
        let company = *g.pick(COMPANIES);
        let job_slug = format!("{id}-{}", slug(title));
        let description = format!(
            "<p>Despite the proliferation of remote work, {company} keeps hiring. We are looking for a {title}.</p><ul><li>Remote</li><li>Equity</li></ul>"
        );
        let mut record = json!({
            "id": id,
            "url": format!("https://jobicy.com/jobs/{job_slug}"),
            "jobSlug": job_slug,
            "jobTitle": title,
            "companyName": company,
            "companyLogo": format!("https://jobicy.com/data/server-nyc0409/galaxy/mercury/2024/12/{}.jpg", g.digits(8)),
            "jobIndustry": [industry],
            "jobType": [g.pick(TYPES)],
            "jobGeo": g.pick(GEOS),
            "jobLevel": g.pick(LEVELS),
            "jobExcerpt": format!("{company} is looking for a {title}. Join a remote team …"),
            "jobDescription": description,
            "pubDate": at.format("%Y-%m-%d %H:%M:%S").to_string(),
        });
        let currency = *g.pick(&["USD", "EUR", "GBP"]);
        let min = g.int(40..=150) * 1000;
        let max = min + g.int(10..=70) * 1000;
        match g.int(0..=2) {
            0 => {
                record["annualSalaryMin"] = json!(min.to_string());
                record["annualSalaryMax"] = json!(max.to_string());
                record["salaryCurrency"] = json!(currency);
            }
            1 => {
                record["salaryMin"] = json!(min.to_string());
                record["salaryMax"] = json!(max.to_string());
                record["salaryCurrency"] = json!(currency);
                record["salaryPeriod"] = json!("yearly");
            }
            _ => {}
        }
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
        if cx.path != "/remote-jobs" {
            return Ok(ResponseTemplate::new(404));
        }
        cx.search()?;
        let count = cx
            .query("count")
            .and_then(|c| c.trim().parse::<i64>().ok())
            .map_or(MAX_COUNT, |c| c.clamp(1, MAX_COUNT as i64) as usize);
        let geo = cx.query("geo").map(|g| g.to_lowercase());
        let industry = cx.query("industry").map(|i| i.to_lowercase());
        let tag = cx.query("tag").unwrap_or_default();
        let jobs: Vec<Value> = cx
            .walk()
            .filter(|o| {
                let r = &o.record;
                let industry_name = text(r, "/jobIndustry/0");
                let industry_slug = INDUSTRIES
                    .iter()
                    .find(|(_, n, _)| *n == industry_name)
                    .map_or("", |(s, _, _)| s);
                geo.as_deref().is_none_or(|g| slug(text(r, "/jobGeo")) == g)
                    && industry.as_deref().is_none_or(|i| i == industry_slug)
                    && (contains_ci(text(r, "/jobTitle"), &tag)
                        || contains_ci(text(r, "/jobDescription"), &tag))
            })
            .take(count)
            .map(|o| o.record.clone())
            .collect();
        let last = cx.offers.last().map_or_else(String::new, |o| {
            o.at.format("%Y-%m-%d %H:%M:%S").to_string()
        });
        Ok(json(
            200,
            &json!({
                "apiVersion": "2.0",
                "documentationUrl": "https://jobi.cy/apidocs",
                // [M] The notice's wording follows the README's terms.
                "friendlyNotice": "We appreciate your use of Jobicy API. Please do not redistribute our listings to third-party job boards (Google Jobs, LinkedIn, Jooble) and do not poll more than once per hour.",
                "jobCount": jobs.len(),
                "xRayHash": "xID_6754ea75238e49.16064914",
                "clientKey": "key_6754ea75238ea",
                "lastUpdate": last,
                "jobs": jobs,
            }),
        ))
    }
}

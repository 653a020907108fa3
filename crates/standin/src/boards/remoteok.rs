//! RemoteOK, remote jobs (API-FACTS §5.2; checked against the OpenAPI
//! document `go-api-libs/remote-ok-jobs` generated from live answers).
//!
//! `GET /api` answers the whole board as one JSON array: element 0 is the
//! legal notice `{last_updated, legal}` with the exact text, the jobs
//! follow, newest first. No paging, no total, no auth; query parameters
//! (`tags`, `api`) are accepted and ignored. Jobs carry `id` as a string,
//! `epoch` in seconds, `date` with `+00:00`, `salary_min`/`salary_max` as
//! integers with 0 for unknown (about one in three; [M]), `tags` with
//! repeats, HTML descriptions, HTML entities in some company names, and
//! `original`/`verified` on some.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, json, slug};

pub(super) struct RemoteOk;

/// The legal notice, word for word.
pub(super) const LEGAL: &str = "API Terms of Service: Please link back (with follow, and without nofollow!) to the URL on Remote OK and mention Remote OK as a source, so we get traffic back from your site. If you do not we'll have to suspend API access.\n\nPlease don't use the Remote OK logo without written permission as it's a registered trademark, please DO use our name Remote OK though.";

/// position, tags.
#[rustfmt::skip]
const JOBS: &[(&str, &[&str])] = &[
    ("Senior Backend Golang Engineer", &["golang", "senior", "golang", "engineer", "backend"]),
    ("Junior Quality Assurance Engineer", &["support", "software", "testing", "qa", "junior", "engineer"]),
    ("Full Stack Developer", &["javascript", "react", "node", "full stack", "dev"]),
    ("DevOps Engineer", &["devops", "aws", "kubernetes", "sys admin"]),
    ("Content Marketing Manager", &["marketing", "content", "writing"]),
    ("Customer Support Specialist", &["support", "customer support", "non tech"]),
];
const COMPANIES: &[&str] = &[
    "Mailgun",
    "CI&amp;T",
    "Automattic",
    "Toptal",
    "Sinch",
    "Hotjar",
];
const LOCATIONS: &[&str] = &[
    "",
    "",
    "Worldwide",
    "United States",
    "Europe",
    "LATAM",
    "Remote - Brazil",
];

impl Api for RemoteOk {
    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = (1_059_000 + seq as i64 * 2 + g.int(0..=1)).to_string();
        let (position, tags) = *g.pick(JOBS);
        let company = *g.pick(COMPANIES);
        let job_slug = format!(
            "remote-{}-{}-{id}",
            slug(position),
            slug(&company.replace("&amp;", ""))
        );
        let url = format!("https://remoteOK.com/remote-jobs/{job_slug}");
        let logo = if g.chance(0.6) {
            format!(
                "https://remoteok.com/assets/img/jobs/{:x}{}.png",
                g.bits(),
                at.timestamp()
            )
        } else {
            String::new()
        };
        let (min, max) = if g.chance(0.35) {
            (0, 0)
        } else {
            let min = g.int(40..=140) * 1000;
            (min, min + g.int(10..=60) * 1000)
        };
        let mut record = json!({
            "slug": job_slug,
            "id": id,
            "epoch": at.timestamp(),
            "date": at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            "company": company,
            "company_logo": logo,
            "position": position,
            "tags": tags,
            "description": format!("<p><b>{company}</b> is hiring a remote {position}.</p><p>- Work from anywhere<br/>- Async culture</p><br/><br/>Please mention the word **AMELIORATE** when applying to show you read the job post completely."),
            "location": g.pick(LOCATIONS),
            "salary_min": min,
            "salary_max": max,
            "apply_url": url,
            "logo": logo,
            "url": url,
        });
        if g.chance(0.5) {
            record["original"] = json!(g.chance(0.5));
            record["verified"] = json!(true);
        }
        Offer {
            id,
            at,
            open: true,
            record,
            detail: None,
            page_item: None,
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        if cx.path != "/api" {
            return Ok(ResponseTemplate::new(404));
        }
        cx.search()?;
        let legal = json!({"last_updated": Utc::now().timestamp(), "legal": LEGAL});
        let body: Vec<Value> = std::iter::once(legal)
            .chain(cx.walk().map(|o| o.record.clone()))
            .collect();
        Ok(json(200, &Value::Array(body)))
    }
}

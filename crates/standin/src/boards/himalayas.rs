//! Himalayas, remote jobs (API-FACTS §5.4; fields from the official data
//! dictionary, behaviour from third-party connectors).
//!
//! `GET /jobs/api?limit=&offset=`: at most 20 jobs a request, a larger
//! `limit` silently capped (the envelope's `limit` says 20 then; [M]),
//! newest first, `{offset, limit, totalCount, jobs}`; past the end `jobs`
//! is empty. The oddities are mixed on purpose: `pubDate`/`expiryDate` in
//! Unix seconds for about two offers in three and milliseconds for the
//! rest (the docs say ms, production was seen sending seconds), and
//! `locationRestrictions` as `{alpha2, name, slug}` objects, as plain
//! country names, or empty (worldwide). [M] `guid` is the job's URL. The
//! search endpoint (`/jobs/api/search`) is not played: 404.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, json, slug};

pub(super) struct Himalayas;

const MAX_LIMIT: usize = 20;

/// title, category, parent category, seniority.
#[rustfmt::skip]
const JOBS: &[(&str, &str, &str, &str)] = &[
    ("Senior Data Engineer", "Data-Engineer", "Data", "Senior"),
    ("Backend Engineer (Rust)", "Backend-Engineer", "Software Engineering", "Mid-level"),
    ("Product Designer", "Product-Designer", "Design", "Mid-level"),
    ("Customer Success Manager", "Customer-Success-Manager", "Customer Success", "Senior"),
    ("Junior Frontend Developer", "Frontend-Developer", "Software Engineering", "Entry-level"),
    ("Head of Marketing", "Marketing-Manager", "Marketing", "Executive"),
];
const COMPANIES: &[&str] = &[
    "Acme",
    "Doist",
    "Hotjar",
    "Remote Labs",
    "Planetscale",
    "Kinsta",
];
/// alpha2, name.
const COUNTRIES: &[(&str, &str)] = &[
    ("FR", "France"),
    ("DE", "Germany"),
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("CA", "Canada"),
    ("PT", "Portugal"),
];
const TYPES: &[&str] = &[
    "Full Time",
    "Full Time",
    "Part Time",
    "Contractor",
    "Intern",
];

impl Api for Himalayas {
    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let (title, category, parent, seniority) = *g.pick(JOBS);
        let company = *g.pick(COMPANIES);
        let company_slug = slug(company);
        let guid = format!(
            "https://himalayas.app/companies/{company_slug}/jobs/{}-{}",
            slug(title),
            4_000_000 + seq * 3
        );
        let millis = g.chance(0.35);
        let stamp = |t: DateTime<Utc>| {
            if millis {
                t.timestamp_millis()
            } else {
                t.timestamp()
            }
        };
        let countries: Vec<(&str, &str)> = (0..g.int(1..=3)).map(|_| *g.pick(COUNTRIES)).collect();
        let restrictions = match g.int(0..=2) {
            0 => json!([]),
            1 => json!(
                countries
                    .iter()
                    .map(|(a, n)| json!({"alpha2": a, "name": n, "slug": slug(n)}))
                    .collect::<Vec<_>>()
            ),
            _ => json!(countries.iter().map(|(_, n)| n).collect::<Vec<_>>()),
        };
        let salary = g.chance(0.7).then(|| g.int(40..=160) * 1000);
        let record = json!({
            "guid": guid,
            "title": title,
            "excerpt": format!("{company} is hiring a {title} to join our fully remote team."),
            "companyName": company,
            "companySlug": company_slug,
            "companyLogo": format!("https://cdn-images.himalayas.app/{}", g.digits(12)),
            "employmentType": g.pick(TYPES),
            "minSalary": salary,
            "maxSalary": salary.map(|s| s + g.int(5..=40) * 1000),
            "currency": salary.map(|_| *g.pick(&["USD", "EUR", "GBP"])),
            "seniority": [seniority],
            "locationRestrictions": restrictions,
            "timezoneRestrictions": if g.chance(0.5) { json!([-5, -4]) } else { json!([0, 1, 2]) },
            "categories": [category],
            "parentCategories": [parent],
            "description": format!("<p><strong>{company}</strong> is looking for a {title}.</p><ul><li>Remote-first &amp; async</li><li>Flexible hours</li></ul>"),
            "pubDate": stamp(at),
            "expiryDate": stamp(at + chrono::TimeDelta::days(30)),
            "applicationLink": format!("{guid}/apply"),
        });
        Offer {
            id: guid,
            at,
            open: true,
            record,
            detail: None,
            page_item: None,
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        if cx.path != "/jobs/api" {
            return Ok(ResponseTemplate::new(404));
        }
        cx.search()?;
        let number = |name: &str| cx.query(name).and_then(|v| v.trim().parse::<i64>().ok());
        let limit = number("limit")
            .filter(|l| *l > 0)
            .map_or(MAX_LIMIT, |l| (l as usize).min(MAX_LIMIT));
        let offset = number("offset").unwrap_or(0).max(0) as usize;
        let jobs: Vec<Value> = cx
            .walk()
            .skip(offset)
            .take(limit)
            .map(|o| o.record.clone())
            .collect();
        Ok(json(
            200,
            &json!({"offset": offset, "limit": limit, "totalCount": cx.offers.len(), "jobs": jobs}),
        ))
    }
}

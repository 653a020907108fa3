//! Reed, UK (API-FACTS §6.2; third-party clients and recorded samples).
//!
//! HTTP Basic with the API key as user name and an empty password (401
//! otherwise; [M] empty body). `base_url` ends with `/api/1.0`, as the
//! definition's does. `GET /api/1.0/search`: `keywords` (every
//! word in title or description), `locationName`, `resultsToTake` (default
//! 100; [M] above 100 capped to 100), `resultsToSkip`; newest first ([M]);
//! `{results, ambiguousLocations: [], totalResults}`. `GET
//! /api/1.0/jobs/{jobId}` answers the details record (salary text, type,
//! full HTML description). Dates are `dd/mm/yyyy`; salaries numbers or
//! null (with `currency` null then).

use chrono::{DateTime, Days, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{
    Answer, Api, BoardStandinConfig, Cx, Gen, Offer, base64_decode, contains_ci, json, slug, text,
};

pub(super) struct Reed;

const MAX_TAKE: usize = 100;

/// title, contract type, salary range (per annum).
const JOBS: &[(&str, &str, i64)] = &[
    ("Management Accountant", "Permanent", 38_000),
    ("Development Manager", "Permanent", 50_000),
    ("Care Assistant - Nights", "Permanent", 23_000),
    ("HGV Class 1 Driver", "Contract", 35_000),
    ("Primary School Teacher", "Temporary", 31_650),
    ("Software Engineer (C#/.NET)", "Permanent", 55_000),
];
/// id, name.
const EMPLOYERS: &[(i64, &str)] = &[
    (404_159, "Investigo"),
    (563_926, "Modis"),
    (120_001, "Hays"),
    (98_765, "NHS Professionals"),
];
const PLACES: &[&str] = &[
    "London",
    "Manchester",
    "Stoke-on-Trent",
    "Peterborough",
    "Leeds",
    "Bristol",
];

impl Api for Reed {
    fn base_path(&self) -> &'static str {
        "/api/1.0"
    }

    fn default_credential(&self) -> Option<&'static str> {
        Some("reed-test-key")
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = 52_000_000 + seq as i64 * 4 + g.int(0..=3);
        let (title, contract, pay) = *g.pick(JOBS);
        let (employer_id, employer) = *g.pick(EMPLOYERS);
        let place = *g.pick(PLACES);
        let salary = g
            .chance(0.8)
            .then_some((pay as f64, (pay + pay / 10) as f64));
        let day = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
        let posted = at.date_naive();
        let expires = posted + Days::new(42);
        let url = format!("https://www.reed.co.uk/jobs/{}/{id}", slug(title));
        let snippet = format!(
            "{employer} are pleased to be recruiting a {title} in {place}. This is an excellent opportunity to join a growing team... "
        );
        let record = json!({
            "jobId": id,
            "employerId": employer_id,
            "employerName": employer,
            "employerProfileId": null,
            "employerProfileName": null,
            "jobTitle": title,
            "locationName": place,
            "minimumSalary": salary.map(|s| s.0),
            "maximumSalary": salary.map(|s| s.1),
            "currency": salary.map(|_| "GBP"),
            "expirationDate": day(expires),
            "date": day(posted),
            "jobDescription": snippet,
            "applications": g.int(0..=40),
            "jobUrl": url,
        });
        let detail = json!({
            "employerId": employer_id,
            "employerName": employer,
            "jobId": id,
            "jobTitle": title,
            "locationName": place,
            "minimumSalary": salary.map(|s| s.0),
            "maximumSalary": salary.map(|s| s.1),
            "yearlyMinimumSalary": salary.map(|s| s.0),
            "yearlyMaximumSalary": salary.map(|s| s.1),
            "currency": salary.map(|_| "GBP"),
            "salaryType": "per annum",
            "salary": salary.map_or_else(|| "Competitive salary".to_string(), |(lo, hi)| format!("£{} - £{} per annum", thousands(lo), thousands(hi))),
            "datePosted": day(posted),
            "expirationDate": day(expires),
            "externalUrl": null,
            "jobUrl": url,
            "partTime": false,
            "fullTime": true,
            "contractType": contract,
            "jobDescription": format!(" <p>{snippet}</p><p><strong>Benefits</strong></p><ul><li>25 days holiday</li><li>Pension</li></ul>"),
            "applicationCount": 0,
        });
        Offer {
            id: id.to_string(),
            at,
            open: true,
            record,
            detail: Some(detail),
            page_item: None,
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        let job = cx.path.strip_prefix("/jobs/");
        if job.is_none() && cx.path != "/search" {
            return Ok(ResponseTemplate::new(404));
        }
        let user = cx
            .header("authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64_decode(b.trim()))
            .and_then(|b| String::from_utf8(b).ok());
        if user.as_deref().and_then(|u| u.strip_suffix(':')) != cx.credential() {
            return Err(ResponseTemplate::new(401));
        }
        if let Some(id) = job {
            return Ok(
                match cx
                    .offers
                    .iter()
                    .find(|o| o.id == id)
                    .and_then(|o| o.detail.as_ref())
                {
                    Some(d) => json(200, d),
                    None => ResponseTemplate::new(404),
                },
            );
        }
        cx.search()?;
        let number = |name: &str| cx.query(name).and_then(|v| v.trim().parse::<usize>().ok());
        let take = number("resultsToTake")
            .filter(|n| *n > 0)
            .map_or(MAX_TAKE, |n| n.min(MAX_TAKE));
        let skip = number("resultsToSkip").unwrap_or(0);
        let keywords = cx.query("keywords").unwrap_or_default();
        let location = cx.query("locationName").unwrap_or_default();
        let hits: Vec<&Offer> = cx
            .walk()
            .filter(|o| {
                let words = format!(
                    "{} {}",
                    text(&o.record, "/jobTitle"),
                    text(&o.record, "/jobDescription")
                );
                keywords.split_whitespace().all(|w| contains_ci(&words, w))
                    && contains_ci(text(&o.record, "/locationName"), &location)
            })
            .collect();
        let results: Vec<Value> = hits
            .iter()
            .skip(skip)
            .take(take)
            .map(|o| o.record.clone())
            .collect();
        Ok(json(
            200,
            &json!({"results": results, "ambiguousLocations": [], "totalResults": hits.len()}),
        ))
    }
}

/// `38000.0` as `38,000`.
fn thousands(amount: f64) -> String {
    let n = amount as i64;
    format!("{},{:03}", n / 1000, n % 1000)
}

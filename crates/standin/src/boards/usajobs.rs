//! USAJOBS, US federal jobs (API-FACTS §6.1 and the sample of §9, from
//! the developer pages and a recorded answer).
//!
//! `GET /api/Search` (`base_url` ends with `/api`, as the definition's
//! does; the rest of the path and parameter names are case-insensitive, as
//! ASP.NET binds them) needs `Authorization-Key: <key>` and a `User-Agent`
//! that looks like the e-mail the key was issued to (contains `@`); 401
//! otherwise ([M] empty body; the `Host` header is not checked).
//! `Keyword` (every word in title, summary or organisation), `LocationName`,
//! `DatePosted` (days), `Page` from 1 and `ResultsPerPage` (default 250;
//! [M] above 500 capped to 500). Newest first; `{LanguageCode,
//! SearchParameters, SearchResult{SearchResultCount, SearchResultCountAll,
//! SearchResultItems, UserArea{NumberOfPages, IsRadialSearch}}}`.
//! Remuneration ranges are strings; remote jobs carry a placeholder
//! location with latitude and longitude 0.

use chrono::{DateTime, Days, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, contains_ci, json, text};

pub(super) struct Usajobs;

const MAX_PER_PAGE: usize = 500;
const DEFAULT_PER_PAGE: usize = 250;

/// title, category name and code, grade plan, low and high grade, pay.
#[rustfmt::skip]
const JOBS: &[(&str, &str, &str, &str, &str, &str, i64)] = &[
    ("Information Technology (IT) Project Manager", "Information Technology Management", "2210", "GS", "13", "13", 88_305),
    ("Medical Officer (Family Medicine)", "Medical Officer", "0602", "GS", "14", "15", 139_395),
    ("Contract Specialist", "Contracting", "1102", "GS", "9", "12", 61_111),
    ("Wildland Firefighter", "Forestry Technician", "0462", "GS", "4", "5", 36_120),
    ("Maintenance Mechanic", "Maintenance Mechanic", "4749", "WG", "9", "9", 28),
];
/// department, organisation.
#[rustfmt::skip]
const AGENCIES: &[(&str, &str)] = &[
    ("Department Of Health And Human Services", "Centers for Disease Control and Prevention"),
    ("Department of Veterans Affairs", "Veterans Health Administration"),
    ("Department of Agriculture", "Forest Service"),
    ("Department of the Navy", "Naval Facilities Engineering Systems Command"),
];
/// name, state, longitude, latitude.
const PLACES: &[(&str, &str, f64, f64)] = &[
    ("Atlanta, Georgia", "Georgia", -84.39111, 33.7483139),
    ("Denver, Colorado", "Colorado", -104.9847, 39.7392),
    (
        "Washington, District of Columbia",
        "District of Columbia",
        -77.0322,
        38.8904,
    ),
    ("Anywhere in the U.S. (remote job)", "", 0.0, 0.0),
];

impl Api for Usajobs {
    fn base_path(&self) -> &'static str {
        "/api"
    }

    fn default_credential(&self) -> Option<&'static str> {
        Some("usajobs-test-key")
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = (780_000_000 + seq as i64 * 11 + g.int(0..=10)).to_string();
        let (title, category, code, plan, low, high, pay) = *g.pick(JOBS);
        let (department, organization) = *g.pick(AGENCIES);
        let (place, state, lon, lat) = *g.pick(PLACES);
        let opens = at.date_naive();
        let closes = opens + Days::new(g.int(7..=30) as u64);
        let date = |d: chrono::NaiveDate| d.format("%Y-%m-%dT00:00:00Z").to_string();
        let hourly = plan == "WG";
        let (min, max) = (pay, if hourly { pay + 4 } else { pay * 13 / 10 });
        let uri = format!("https://www.usajobs.gov:443/GetJob/ViewDetails/{id}");
        let remote = lat == 0.0;
        let record = json!({
            "MatchedObjectId": id,
            "MatchedObjectDescriptor": {
                "PositionID": format!("{}-{}-{}", plan, g.digits(2), g.digits(7)),
                "PositionTitle": title,
                "PositionURI": uri,
                "ApplyURI": [format!("{uri}?PostingChannelID=RESTAPI")],
                "PositionLocationDisplay": place,
                "PositionLocation": [{"LocationName": place, "CountryCode": "United States", "CountrySubDivisionCode": state, "CityName": place, "Longitude": lon, "Latitude": lat}],
                "OrganizationName": organization,
                "DepartmentName": department,
                "JobCategory": [{"Name": category, "Code": code}],
                "JobGrade": [{"Code": plan}],
                "PositionSchedule": [{"Name": "Full-Time", "Code": "1"}],
                "PositionOfferingType": [{"Name": "Permanent", "Code": "15317"}],
                "QualificationSummary": format!("To qualify for the {title} position you must have one year of specialized experience."),
                "PositionRemuneration": [{"MinimumRange": min.to_string(), "MaximumRange": max.to_string(), "RateIntervalCode": if hourly { "Per Hour" } else { "Per Year" }}],
                "PositionStartDate": date(opens),
                "PositionEndDate": date(closes),
                "PublicationStartDate": date(opens),
                "ApplicationCloseDate": date(closes),
                "PositionFormattedDescription": [{"Content": "", "Label": "Dynamic Teaser", "LabelDescription": "Hit highlighting for keyword searches."}],
                "UserArea": {
                    "Details": {
                        "JobSummary": format!("The {organization} is hiring for the position of {title}, located in {place}."),
                        "WhoMayApply": {"Name": "", "Code": ""},
                        "LowGrade": low,
                        "HighGrade": high,
                        "TeleworkEligible": remote || g.chance(0.3),
                        "RemoteIndicator": remote,
                    },
                    "IsRadialSearch": false,
                },
            },
            "RelevanceRank": 0,
        });
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
        if !cx.path.eq_ignore_ascii_case("/search") {
            return Ok(ResponseTemplate::new(404));
        }
        let key_ok = cx.header("authorization-key") == cx.credential();
        let agent_ok = cx.header("user-agent").is_some_and(|a| a.contains('@'));
        if !key_ok || !agent_ok {
            return Err(ResponseTemplate::new(401));
        }
        cx.search()?;
        let arg = |name: &str| {
            cx.request
                .url
                .query_pairs()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.into_owned())
        };
        let number = |name: &str| arg(name).and_then(|v| v.trim().parse::<usize>().ok());
        let page = number("Page").unwrap_or(1).max(1);
        let per_page = number("ResultsPerPage")
            .filter(|n| *n > 0)
            .map_or(DEFAULT_PER_PAGE, |n| n.min(MAX_PER_PAGE));
        let keyword = arg("Keyword").unwrap_or_default();
        let location = arg("LocationName").unwrap_or_default();
        let since = number("DatePosted").and_then(|d| {
            Utc::now()
                .date_naive()
                .checked_sub_days(Days::new(d as u64))
        });
        let hits: Vec<&Offer> = cx
            .walk()
            .filter(|o| {
                let d = &o.record["MatchedObjectDescriptor"];
                let words = format!(
                    "{} {} {}",
                    text(d, "/PositionTitle"),
                    text(d, "/UserArea/Details/JobSummary"),
                    text(d, "/OrganizationName")
                );
                keyword.split_whitespace().all(|w| contains_ci(&words, w))
                    && contains_ci(
                        d["PositionLocationDisplay"].as_str().unwrap_or(""),
                        &location,
                    )
                    && since.is_none_or(|s| o.at.date_naive() >= s)
            })
            .collect();
        let items: Vec<Value> = hits
            .iter()
            .enumerate()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|(rank, o)| {
                let mut item = o.record.clone();
                item["RelevanceRank"] = json!(2_147_483_647 - rank as i64);
                item
            })
            .collect();
        Ok(json(
            200,
            &json!({
                "LanguageCode": "EN",
                "SearchParameters": {},
                "SearchResult": {
                    "SearchResultCount": items.len(),
                    "SearchResultCountAll": hits.len(),
                    "SearchResultItems": items,
                    "UserArea": {"NumberOfPages": hits.len().div_ceil(per_page).to_string(), "IsRadialSearch": false},
                },
            }),
        ))
    }
}

//! Jooble, an aggregator, here its French index (API-FACTS §6.3;
//! third-party clients).
//!
//! `POST /api/{key}` with a JSON body: the key is in the path (a wrong key
//! gets 403; [M] empty body); any other method gets 405 ([M]). Body fields
//! `keywords` (any word in title or snippet), `location`, `page` (from 1,
//! number or string as clients send it), `ResultOnPage` (default 20; [M]
//! above 100 capped to 100; `resultsOnPage` is accepted too),
//! `datecreatedfrom` (`YYYY-MM-DD`); `radius`, `salary` and
//! `companysearch` are accepted and ignored. A body that is not JSON gets
//! 400. Newest first; `{totalCount, jobs}`, a page past the end has no
//! jobs. Ids are 64-bit integers, negative for about half the jobs;
//! `updated` is zone-less (Paris time; [M]) with seven fraction digits;
//! salaries are French free text or empty.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, cet, contains_ci, json, text};

pub(super) struct Jooble;

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;

const TITLES: &[&str] = &[
    "Développeur Python (H/F)",
    "Data Analyst H/F",
    "Chargé de clientèle (H/F)",
    "Comptable unique H/F",
    "Infirmier / Infirmière de bloc opératoire",
    "Chauffeur livreur permis B H/F",
];
const PLACES: &[&str] = &[
    "Paris",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Nantes",
    "Lille",
    "Bordeaux",
];
const COMPANIES: &[&str] = &[
    "Acme",
    "Predictis",
    "Cuisinella",
    "Datalis",
    "Orbis Conseil",
    "",
];
const SALARIES: &[&str] = &[
    "45k €",
    "40 000 € - 50 000 € par an",
    "11,88 € par heure",
    "2 000 € par mois",
    "",
    "",
];
const TYPES: &[&str] = &["CDI", "CDD", "Intérim", "Temps plein", ""];
const SOURCES: &[&str] = &[
    "hellowork.com",
    "francetravail.fr",
    "welcometothejungle.com",
    "apec.fr",
];

impl Api for Jooble {
    fn default_credential(&self) -> Option<&'static str> {
        Some("jooble-test-key")
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        // splitmix64 of the creation number: distinct numbers give distinct
        // ids, about half of them negative.
        let mut z = (seq as u64)
            .wrapping_add(g.bits() & 0xffff_0000_0000_0000)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let id = (z ^ (z >> 31)) as i64;
        let title = *g.pick(TITLES);
        let place = *g.pick(PLACES);
        let local = cet(at).naive_local();
        let updated = if g.chance(0.5) {
            local.format("%Y-%m-%dT00:00:00.0000000").to_string()
        } else {
            format!("{}.{}000", local.format("%Y-%m-%dT%H:%M:%S"), g.digits(4))
        };
        let record = json!({
            "id": id,
            "title": title,
            "location": place,
            "snippet": format!("&nbsp;...Nous recherchons un(e) <b>{}</b> pour notre agence de {place}. Poste à pourvoir dès que possible...&nbsp;", title.split(' ').next().unwrap_or(title)),
            "salary": g.pick(SALARIES),
            "source": g.pick(SOURCES),
            "type": g.pick(TYPES),
            "link": format!("https://jooble.org/desc/{id}?ckey=emploi&rgn=-1&pos=1&elckey=-{}&p=1", g.digits(18)),
            "company": g.pick(COMPANIES),
            "updated": updated,
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
        let Some(key) = cx
            .path
            .strip_prefix("/api/")
            .filter(|k| !k.is_empty() && !k.contains('/'))
        else {
            return Ok(ResponseTemplate::new(404));
        };
        if cx.request.method.as_str() != "POST" {
            return Err(ResponseTemplate::new(405));
        }
        if Some(key) != cx.credential() {
            return Err(ResponseTemplate::new(403));
        }
        cx.search()?;
        let Ok(body) = serde_json::from_slice::<Value>(&cx.request.body) else {
            return Err(json(400, &json!({"error": "Invalid request body"})));
        };
        let number = |name: &str| match &body[name] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        let page = number("page").unwrap_or(1).max(1) as usize;
        let per_page = number("ResultOnPage")
            .or_else(|| number("resultsOnPage"))
            .filter(|n| *n > 0)
            .map_or(DEFAULT_PER_PAGE, |n| (n as usize).min(MAX_PER_PAGE));
        let keywords = body["keywords"].as_str().unwrap_or_default();
        let location = body["location"].as_str().unwrap_or_default();
        let since = body["datecreatedfrom"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let hits: Vec<&Offer> = cx
            .walk()
            .filter(|o| {
                let words = format!(
                    "{} {}",
                    text(&o.record, "/title"),
                    text(&o.record, "/snippet")
                );
                let mut any = keywords.split_whitespace().peekable();
                (any.peek().is_none() || any.any(|w| contains_ci(&words, w)))
                    && contains_ci(text(&o.record, "/location"), location)
                    && since.is_none_or(|s| cet(o.at).date_naive() >= s)
            })
            .collect();
        let jobs: Vec<Value> = hits
            .iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|o| o.record.clone())
            .collect();
        Ok(json(200, &json!({"totalCount": hits.len(), "jobs": jobs})))
    }
}

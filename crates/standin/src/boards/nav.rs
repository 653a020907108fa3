//! NAV pam-stilling-feed, Norway (API-FACTS §4; checked against
//! `navikt/pam-stilling-feed` `FeedController.kt`, `FeedService.kt`,
//! `FeedRepository.kt`, `dto/FeedAd.kt`).
//!
//! Every request needs `Authorization: Bearer <token>` (401 otherwise).
//! `GET /api/v1/feed` is the first page (`?last`: the newest; with
//! `If-Modified-Since`: the first page changed after that instant, 404 when
//! none, as `hentFeed` answers); `GET /api/v1/feed/{id}` a page;
//! `GET /api/v1/feedentry/{uuid}` an ad. `pageSize` (default 1,000; above
//! 10,000: 400 in plain text). The feed is a change log, oldest first.
//!
//! Paging follows `FeedService.hentFeedHvis`: a page is its first item plus
//! up to `pageSize - 1` newer ones, and `next_id` is the id of the page's
//! LAST item, so consecutive pages share one item (a harvester must dedupe
//! by `id`). With at most one newer item left the page takes it and ends
//! the feed (`next_url: null`). `ETag` is the page's last item and
//! `Last-Modified` its change time (RFC 1123, Oslo offset). A matching
//! `If-None-Match` answers 304; the real service also demands an
//! `If-Modified-Since` later than that change, which the stand-in does not,
//! as the docs describe the ETag alone. `If-Modified-Since` on any page
//! drops the newer items changed before it, as the repository's query does.
//! `INACTIVE` entries have no `ad_content` key (`FeedEntryContent` omits
//! nulls), and half of them are stopped ads, masked (title `...`, no
//! business name) as `adSkalMaskeres` masks them.

use chrono::{DateTime, Days, TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, cet, java_iso, json};

pub(super) struct Nav;

const DEFAULT_PAGE_SIZE: i64 = 1000;
const MAX_PAGE_SIZE: i64 = 10_000;

/// municipal, county, postal code.
const PLACES: &[(&str, &str, &str)] = &[
    ("OSLO", "OSLO", "0150"),
    ("BERGEN", "VESTLAND", "5003"),
    ("TRONDHEIM", "TRØNDELAG", "7011"),
    ("LEKA", "TRØNDELAG", "7994"),
    ("TROMSØ", "TROMS", "9008"),
    ("STAVANGER", "ROGALAND", "4006"),
    ("KRISTIANSAND", "AGDER", "4611"),
];
/// title, job title, occupation levels, STYRK08 code and name.
#[rustfmt::skip]
const JOBS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("Vi søker pedagogisk leder til", "Pedagogisk leder (barnehage/førskole)", "Utdanning", "Barnehage", "2342", "Førskolelærere"),
    ("Sykepleier til medisinsk avdeling", "Sykepleier", "Helse og sosial", "Sykepleier", "2223", "Sykepleiere"),
    ("Erfaren tømrer søkes", "Tømrer", "Bygg og anlegg", "Tømrer og snekker", "7115", "Tømrere og snekkere"),
    ("Butikkmedarbeider i deltidsstilling", "Butikkmedarbeider", "Butikk og varehandel", "Butikkansatt", "5223", "Butikkmedarbeidere"),
    ("Systemutvikler backend", "Systemutvikler", "IT", "Utvikling", "2512", "Programvareutviklere"),
    ("Lastebilsjåfør klasse C", "Lastebilsjåfør", "Transport og logistikk", "Sjåfør", "8332", "Lastebil- og trailersjåfører"),
];
/// name, organisation number, sector.
const EMPLOYERS: &[(&str, &str, &str)] = &[
    ("Oslo kommune", "974778742", "Offentlig"),
    ("Helse Bergen HF", "983974724", "Offentlig"),
    ("Leka kommune", "964983127", "Offentlig"),
    ("Byggmester Hansen AS", "912345678", "Privat"),
    ("Fjordkraft Digital AS", "916543210", "Privat"),
    ("Nordlys Transport AS", "998877665", "Privat"),
];

impl Api for Nav {
    fn default_credential(&self) -> Option<&'static str> {
        Some("nav-test-token")
    }

    fn walk<'a>(&self, offers: &'a [Offer]) -> Vec<&'a Offer> {
        offers.iter().collect()
    }

    fn make(
        &self,
        g: &mut Gen,
        seq: usize,
        at: DateTime<Utc>,
        config: &BoardStandinConfig,
    ) -> Offer {
        let uuid = g.uuid();
        let at = at + TimeDelta::microseconds(g.int(1..=999_999));
        let inactive = config.inactive_every > 0 && (seq + 1).is_multiple_of(config.inactive_every);
        let masked = inactive && g.chance(0.5);
        let (municipal, county, postal) = *g.pick(PLACES);
        let (title, jobtitle, level1, level2, styrk, styrk_name) = *g.pick(JOBS);
        let (employer, orgnr, sector) = *g.pick(EMPLOYERS);
        let changed = java_iso(cet(at));
        let title = if masked { "..." } else { title };
        let business = if masked { "" } else { employer };
        let record = json!({
            "id": uuid,
            "url": format!("/api/v1/feedentry/{uuid}"),
            "title": title,
            "content_text": "Stillingsannonse",
            "date_modified": changed,
            "_feed_entry": {
                "uuid": uuid,
                "status": if inactive { "INACTIVE" } else { "ACTIVE" },
                "title": title,
                "businessName": business,
                "municipal": municipal,
                "sistEndret": changed,
            },
        });
        let midnight = |days: u64| {
            let local = cet(at);
            let date = local.date_naive() + Days::new(days);
            let start = date.and_hms_opt(0, 0, 0).expect("midnight exists");
            java_iso(
                start
                    .and_local_timezone(*local.offset())
                    .single()
                    .expect("a fixed offset"),
            )
        };
        let due = (cet(at).date_naive() + Days::new(30))
            .format("%Y-%m-%d")
            .to_string();
        let detail = if inactive {
            json!({"uuid": uuid, "sistEndret": changed, "status": "INACTIVE"})
        } else {
            json!({
                "uuid": uuid,
                "status": "ACTIVE",
                "sistEndret": changed,
                "ad_content": {
                    "uuid": uuid,
                    "published": midnight(0),
                    "expires": midnight(30),
                    "updated": changed,
                    "workLocations": [{"country": "NORGE", "address": if g.chance(0.6) { json!(format!("Storgata {}", g.int(1..=80))) } else { Value::Null }, "city": municipal, "postalCode": postal, "county": county, "municipal": municipal}],
                    "contactList": [{"name": "Kari Nordmann", "email": "kari.nordmann@example.no", "phone": format!("+47 {}", g.digits(8)), "role": null, "title": "Daglig leder"}],
                    "title": title,
                    "description": format!("<p>{employer} søker {} i {}.</p><ul><li>Fast stilling</li><li>Gode pensjonsordninger</li></ul><p>Søk i dag!</p>", jobtitle.to_lowercase(), place_name(municipal)),
                    "sourceurl": "",
                    "source": if g.chance(0.7) { "Stillingsregistrering" } else { "IMPORTAPI" },
                    "applicationUrl": if g.chance(0.5) { format!("https://jobb.example.no/soknad/{seq}") } else { String::new() },
                    "applicationDue": if g.chance(0.2) { "Snarest".to_string() } else { due },
                    "occupationCategories": [{"level1": level1, "level2": level2}],
                    "categoryList": [{"categoryType": "STYRK08", "code": styrk, "name": styrk_name, "description": "", "score": 1.0}],
                    "jobtitle": jobtitle,
                    "link": format!("https://arbeidsplassen.nav.no/stillinger/stilling/{uuid}"),
                    "employer": {"name": employer, "orgnr": orgnr, "description": "<p>Om arbeidsgiveren</p>", "homepage": format!("https://www.{}.no", super::slug(employer))},
                    "engagementtype": if g.chance(0.75) { "Fast" } else { "Vikariat" },
                    "extent": if g.chance(0.8) { "Heltid" } else { "Deltid" },
                    "starttime": "Etter avtale",
                    "positioncount": g.int(1..=3).to_string(),
                    "sector": sector,
                },
            })
        };
        Offer {
            id: uuid,
            at,
            open: !inactive,
            record,
            detail: Some(detail),
            page_item: Some(g.uuid()),
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        let page_id = cx.path.strip_prefix("/api/v1/feed/");
        let entry_id = cx.path.strip_prefix("/api/v1/feedentry/");
        if cx.path != "/api/v1/feed" && page_id.is_none() && entry_id.is_none() {
            return Ok(ResponseTemplate::new(404));
        }
        let expected = cx.credential().map(|t| format!("Bearer {t}"));
        if expected.is_some() && cx.header("authorization") != expected.as_deref() {
            return Err(ResponseTemplate::new(401).set_body_string("Unauthorized"));
        }
        if let Some(id) = entry_id {
            return Ok(
                match cx
                    .offers
                    .iter()
                    .rev()
                    .find(|o| o.id == id)
                    .and_then(|o| o.detail.as_ref())
                {
                    Some(entry) => json(200, entry),
                    None => ResponseTemplate::new(404),
                },
            );
        }
        cx.search()?;
        let size = match cx
            .query("pageSize")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            Some(n) if n > MAX_PAGE_SIZE => {
                return Err(ResponseTemplate::new(400)
                    .set_body_string("pageSize must be less than or equal to 10000"));
            }
            // [M] Postgres refuses a negative LIMIT: the service fails.
            Some(n) if n < 0 => {
                return Err(ResponseTemplate::new(500).set_body_string("Server Error"));
            }
            Some(n) => n as usize,
            None => DEFAULT_PAGE_SIZE as usize,
        };
        let since = cx
            .header("if-modified-since")
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|t| t.with_timezone(&Utc));
        let start = match page_id {
            Some(id) => cx
                .offers
                .iter()
                .position(|o| o.page_item.as_deref() == Some(id)),
            None if cx.query("last").is_some() => cx.offers.len().checked_sub(1),
            None => match since {
                Some(s) => cx.offers.iter().position(|o| o.at > s),
                None => (!cx.offers.is_empty()).then_some(0),
            },
        };
        let Some(start) = start else {
            // [M] A page id that is not a UUID makes `UUID.fromString` throw.
            let malformed =
                page_id.is_some_and(|id| id.len() != 36 || id.matches('-').count() != 4);
            return Ok(ResponseTemplate::new(if malformed { 500 } else { 404 }));
        };
        let newer: Vec<&Offer> = cx.offers[start + 1..]
            .iter()
            .filter(|o| since.is_none_or(|s| o.at >= s))
            .take(size)
            .collect();
        let keep = if newer.len() > 1 {
            newer.len() - 1
        } else {
            newer.len()
        };
        let lines: Vec<&Offer> = std::iter::once(&cx.offers[start])
            .chain(newer[..keep].iter().copied())
            .collect();
        let last = lines[lines.len() - 1];
        let etag = last.page_item.clone().unwrap_or_default();
        let sent = cx
            .header("if-none-match")
            .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'));
        if sent == Some(etag.as_str()) {
            return Ok(ResponseTemplate::new(304));
        }
        let first_id = cx.offers[start].page_item.clone().unwrap_or_default();
        let next_id = (newer.len() > 1).then(|| etag.clone());
        let body = json!({
            "version": "1.0",
            "title": "Stillingsfeeden fra arbeidsplassen.no",
            "home_page_url": "https://arbeidsplassen.nav.no",
            "feed_url": format!("/api/v1/feed/{first_id}"),
            "description": "Feed med stillinger fra arbeidsplassen.no - En av Norges største oversikter over utlyste stillinger",
            "next_url": next_id.as_ref().map(|id| format!("/api/v1/feed/{id}")),
            "id": first_id,
            "next_id": next_id,
            "items": lines.iter().map(|o| o.record.clone()).collect::<Vec<Value>>(),
        });
        Ok(json(200, &body)
            .insert_header("ETag", etag.as_str())
            .insert_header(
                "Last-Modified",
                cet(last.at)
                    .format("%a, %-d %b %Y %H:%M:%S %z")
                    .to_string()
                    .as_str(),
            ))
    }
}

/// `TROMSØ` as a sentence writes it: `Tromsø`.
fn place_name(municipal: &str) -> String {
    let lower = municipal.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

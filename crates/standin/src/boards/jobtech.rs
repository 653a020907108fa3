//! JobTech JobSearch, Sweden (API-FACTS §2; checked against
//! `JobtechSwe/sokannonser-api` `queries.py`, `querybuilder.py`,
//! `result_models.py` and the recorded hit).
//!
//! `GET /search`: `q` (words, any of them; `-word` excludes), `offset`
//! (0..=2000, default 0) and `limit` (0..=100, default 10), else 400 with
//! flask-restx's `{"errors":{..},"message":"Input payload validation
//! failed"}`; `published-after` (`YYYY-MM-DDTHH:MM:SS` or minutes) and
//! `published-before`, both inclusive and in Stockholm local time, as the
//! zone-less `publication_date`; `sort` (`relevance`, the default, orders
//! newest first like `pubdate-desc` because every hit scores the same; ties
//! by id). `GET /ad/{id}` answers one hit or 404. The `api-key` header is
//! checked only when the config names a credential (401 otherwise).
//! Concept ids other than the recorded ones (`PFZr_Syz_cUq`,
//! `6YE1_gAC_R2G`, `i46j_HmG_v64`) are illustrative.

use chrono::{DateTime, Days, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Answer, Api, BoardStandinConfig, Cx, Gen, Offer, cet, contains_ci, json, text};

pub(super) struct JobTech;

const MAX_OFFSET: i64 = 2000;
const MAX_LIMIT: i64 = 100;
const SORTS: &[&str] = &[
    "relevance",
    "pubdate-desc",
    "pubdate-asc",
    "applydate-desc",
    "applydate-asc",
    "updated",
    "id",
];
const LOCAL: &str = "%Y-%m-%dT%H:%M:%S";

/// municipality, its code and concept id, region, its code and concept id,
/// city, [lon, lat], postcode.
#[rustfmt::skip]
type Place = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, [f64; 2], &'static str);
#[rustfmt::skip]
const PLACES: &[Place] = &[
    ("Stockholm", "0180", "AvNB_uwa_6n6", "Stockholms län", "01", "CifL_Rzy_Mku", "Stockholm", [18.0686, 59.3293], "111 20"),
    ("Nacka", "0182", "CCVZ_JA7_d3y", "Stockholms län", "01", "CifL_Rzy_Mku", "Nacka", [18.0589775732623, 59.319856972671], "131 30"),
    ("Göteborg", "1480", "PVZL_BQT_XtL", "Västra Götalands län", "14", "zdoY_6u5_Krt", "Göteborg", [11.9746, 57.7089], "411 04"),
    ("Malmö", "1280", "oYPt_yRA_Smm", "Skåne län", "12", "CaRE_1nn_cSU", "Malmö", [13.0038, 55.6050], "211 22"),
    ("Uppsala", "0380", "otaF_bQY_4ZD", "Uppsala län", "03", "zBon_eET_fFU", "Uppsala", [17.6389, 59.8586], "753 20"),
    ("Umeå", "2480", "QiGt_BLu_amP", "Västerbottens län", "24", "g5Tt_CAV_zBd", "Umeå", [20.2630, 63.8258], "903 26"),
    ("Linköping", "0580", "bm2x_1mr_Qhx", "Östergötlands län", "05", "oLT3_Q9p_3nn", "Linköping", [15.6214, 58.4108], "582 24"),
];
/// headline, occupation (label, concept id), skills.
#[rustfmt::skip]
const JOBS: &[(&str, &str, &str, &[&str])] = &[
    ("Java-utvecklare", "Mjukvaruutvecklare", "rQds_YGd_quU", &["Java", "Spring", "SQL"]),
    ("Undersköterska till hemtjänsten", "Undersköterska, hemtjänst", "5dxv_nVQ_N8o", &["Omvårdnad", "B-körkort"]),
    ("Lagerarbetare, heltid", "Lagerarbetare", "iHpu_u2i_xBD", &["Truckkort", "Plock"]),
    ("Grundskollärare i matematik", "Grundskollärare", "hX79_mTM_PsS", &["Matematik", "Lärarlegitimation"]),
    ("Sjuksköterska till akutmottagningen", "Sjuksköterska, grundutbildad", "bXNH_MNX_dUR", &["Akutsjukvård"]),
    ("Kock till restaurang i centrum", "Kock", "ntAb_uLe_S2E", &["À la carte", "Hygienkunskap"]),
    ("Ekonomiassistent", "Ekonomiassistent", "Be1K_Dp4_DrD", &["Fortnox", "Bokföring"]),
];
const EMPLOYERS: &[(&str, &str)] = &[
    ("Not4real dream business AB", "1222124758"),
    ("Stockholms stad", "2120000142"),
    ("Region Skåne", "2321000255"),
    ("Nordström & Lind Konsult AB", "5568123450"),
    ("Byggtjänst i Norr AB", "5590012345"),
    ("Umeå kommun", "2120002627"),
];
const SALARIES: &[&str] = &[
    "Fast månadslön",
    "Enligt kollektivavtal",
    "Individuell lönesättning",
    "Fast lön + provision",
    "28 000 – 32 000 kr/mån",
    "",
];
/// concept id, label, legacy id.
const EMPLOYMENT: &[(&str, &str, &str)] = &[
    ("PFZr_Syz_cUq", "Vanlig anställning", "1"),
    ("1paU_aCR_nGn", "Behovsanställning", "4"),
    ("Jh8f_q9J_pbJ", "Sommarjobb / feriejobb", "5"),
];

impl Api for JobTech {
    /// `pubdate-desc`, ties by id, as the default `relevance` sort meets
    /// them when every hit scores the same.
    fn walk<'a>(&self, offers: &'a [Offer]) -> Vec<&'a Offer> {
        let mut all: Vec<&Offer> = offers.iter().collect();
        all.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
        all
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let id = (24_000_000 + seq as i64 * 3 + g.int(0..=2)).to_string();
        let (municipality, mcode, mconcept, region, rcode, rconcept, city, coordinates, postcode) =
            *g.pick(PLACES);
        let (headline, occupation, occupation_id, skills) = *g.pick(JOBS);
        let (employer, orgnr) = *g.pick(EMPLOYERS);
        let (etype_id, etype, etype_legacy) = *g.pick(EMPLOYMENT);
        let published = cet(at).naive_local();
        let deadline =
            (published.date() + Days::new(g.int(14..=60) as u64)).and_hms_opt(23, 59, 59);
        let fulltime = g.chance(0.8);
        let vacancies = if g.chance(0.8) { 1 } else { g.int(2..=5) };
        let text = format!(
            "Vill du arbeta som {} hos {employer} i {city}?\n\nVi söker dig som har erfarenhet av {}.\n\nKrav:\n* {}\n\nVälkommen med din ansökan!",
            occupation.to_lowercase(),
            skills[0],
            skills.join("\n* ")
        );
        let record = json!({
            "id": id,
            "external_id": if g.chance(0.3) { json!(format!("46-{orgnr}-{}", g.digits(4))) } else { Value::Null },
            "webpage_url": format!("https://arbetsformedlingen.se/platsbanken/annonser/{id}"),
            "logo_url": if g.chance(0.4) { json!(format!("https://jobsearch.api.jobtechdev.se/ad/{id}/logo")) } else { Value::Null },
            "headline": headline,
            "application_deadline": deadline.map(|d| d.format(LOCAL).to_string()),
            "number_of_vacancies": vacancies,
            "description": {
                "text": text,
                // [M] The formatted variant as simple HTML.
                "text_formatted": format!("<p>{}</p>", text.replace("\n\n", "</p><p>").replace('\n', "<br>")),
                "company_information": null,
                "needs": null,
                "requirements": null,
                "conditions": if fulltime { "Heltid, tillsvidare." } else { "Deltid 75 %." },
            },
            "employment_type": {"concept_id": etype_id, "label": etype, "legacy_ams_taxonomy_id": etype_legacy},
            "salary_type": {"concept_id": "oG8G_9cW_nRf", "label": "Fast månads- vecko- eller timlön", "legacy_ams_taxonomy_id": "1"},
            "salary_description": g.pick(SALARIES),
            "duration": {"concept_id": "a7uU_j21_mkL", "label": "Tills vidare", "legacy_ams_taxonomy_id": "1"},
            "working_hours_type": if fulltime {
                json!({"concept_id": "6YE1_gAC_R2G", "label": "Heltid", "legacy_ams_taxonomy_id": "1"})
            } else {
                json!({"concept_id": "947z_JGS_Uk2", "label": "Deltid", "legacy_ams_taxonomy_id": "2"})
            },
            "scope_of_work": {"min": if fulltime { 100 } else { 75 }, "max": if fulltime { 100 } else { 75 }},
            "access": if g.chance(0.5) { json!("Snarast") } else { Value::Null },
            "employer": {
                "phone_number": format!("08-{}", g.digits(6)),
                "email": null,
                "url": null,
                "organization_number": orgnr,
                "name": employer,
                "workplace": employer,
            },
            "application_details": {
                "information": null,
                "reference": format!("REF-{}", g.digits(4)),
                "email": null,
                "via_af": false,
                "url": format!("https://jobb.example.se/ansok/{id}"),
                "other": null,
            },
            "experience_required": g.chance(0.6),
            "access_to_own_car": false,
            "driving_license_required": false,
            "driving_license": null,
            "occupation": {"concept_id": occupation_id, "label": occupation, "legacy_ams_taxonomy_id": g.digits(4)},
            "occupation_group": null,
            "occupation_field": null,
            "workplace_address": {
                "municipality": municipality, "municipality_code": mcode, "municipality_concept_id": mconcept,
                "region": region, "region_code": rcode, "region_concept_id": rconcept,
                "country": "Sverige", "country_code": "199", "country_concept_id": "i46j_HmG_v64",
                "street_address": format!("Storgatan {}", g.int(1..=60)), "postcode": postcode, "city": city,
                "coordinates": coordinates,
            },
            "must_have": {
                "skills": skills.iter().map(|s| json!({"concept_id": null, "label": s, "weight": 10})).collect::<Vec<_>>(),
                "languages": [{"concept_id": "zSLA_vw2_FXN", "label": "Svenska", "weight": 10}],
                "work_experiences": [],
            },
            "nice_to_have": {"skills": [], "languages": [], "work_experiences": []},
            "publication_date": published.format(LOCAL).to_string(),
            "last_publication_date": deadline.map(|d| d.format(LOCAL).to_string()),
            "removed": false,
            "removed_date": null,
            "source_type": if g.chance(0.7) { "VIA_AF_FORMULAR" } else { "VIA_PLATSBANKEN_DXA" },
            "timestamp": at.timestamp_millis(),
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
        let ad = cx.path.strip_prefix("/ad/");
        if ad.is_none() && cx.path != "/search" {
            return Ok(ResponseTemplate::new(404));
        }
        if let Some(key) = cx.credential()
            && cx.header("api-key") != Some(key)
        {
            return Err(json(401, &json!({"message": "Missing or invalid API key"})));
        }
        if let Some(id) = ad {
            return Ok(match cx.offers.iter().find(|o| o.id == id) {
                Some(o) => json(200, &o.record),
                None => json(404, &json!({"message": "Ad not found"})),
            });
        }
        cx.search()?;
        let offset = range_arg(cx, "offset", 0, MAX_OFFSET)?;
        let limit = range_arg(cx, "limit", 10, MAX_LIMIT)?;
        let sort = cx.query("sort").unwrap_or_else(|| "relevance".into());
        if !SORTS.contains(&sort.as_str()) {
            return Err(invalid(
                "sort",
                &format!("The value '{sort}' is not a valid choice for 'sort'."),
            ));
        }
        let after = match cx.query("published-after") {
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                // At most a century back, where chrono's arithmetic stays in range.
                let minutes = v.parse::<i64>().unwrap_or(i64::MAX).min(52_560_000);
                Some(cet(Utc::now()).naive_local() - TimeDelta::minutes(minutes))
            }
            Some(v) => Some(local(&v).ok_or_else(|| {
                invalid(
                    "published-after",
                    &format!("{v} is not a valid date or number of minutes"),
                )
            })?),
            None => None,
        };
        let before = match cx.query("published-before") {
            Some(v) => Some(local(&v).ok_or_else(|| {
                invalid(
                    "published-before",
                    &format!("time data '{v}' does not match format '%Y-%m-%dT%H:%M:%S'"),
                )
            })?),
            None => None,
        };
        let words = cx.query("q").unwrap_or_default().replace('"', " ");
        let (exclude, include): (Vec<&str>, Vec<&str>) =
            words.split_whitespace().partition(|w| w.starts_with('-'));
        let mut hits: Vec<&Offer> = cx
            .offers
            .iter()
            .filter(|o| {
                let at = cet(o.at).naive_local();
                let haystack = format!(
                    "{} {} {} {} {}",
                    text(&o.record, "/headline"),
                    text(&o.record, "/description/text"),
                    text(&o.record, "/employer/name"),
                    text(&o.record, "/occupation/label"),
                    text(&o.record, "/workplace_address/municipality"),
                );
                after.is_none_or(|a| at >= a)
                    && before.is_none_or(|b| at <= b)
                    && (include.is_empty() || include.iter().any(|w| contains_ci(&haystack, w)))
                    && !exclude
                        .iter()
                        .any(|w| w.len() > 1 && contains_ci(&haystack, &w[1..]))
            })
            .collect();
        match sort.as_str() {
            "pubdate-asc" => hits.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id))),
            "applydate-desc" | "applydate-asc" => {
                hits.sort_by(|a, b| {
                    text(&a.record, "/application_deadline")
                        .cmp(text(&b.record, "/application_deadline"))
                        .then(a.id.cmp(&b.id))
                });
                if sort == "applydate-desc" {
                    hits.reverse();
                }
            }
            "id" => hits.sort_by(|a, b| a.id.cmp(&b.id)),
            _ => hits.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id))),
        }
        let positions: i64 = hits
            .iter()
            .filter_map(|o| o.record["number_of_vacancies"].as_i64())
            .sum();
        let page: Vec<Value> = hits
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|o| {
                let mut hit = o.record.clone();
                hit["relevance"] = json!(1.0);
                hit
            })
            .collect();
        Ok(json(
            200,
            &json!({
                "total": {"value": hits.len()},
                "positions": positions,
                "query_time_in_millis": 4,
                "result_time_in_millis": 11,
                "stats": [],
                "freetext_concepts": {},
                "hits": page,
            }),
        ))
    }
}

/// flask-restx's answer to an argument that fails validation.
fn invalid(name: &str, message: &str) -> ResponseTemplate {
    json(
        400,
        &json!({"errors": {name: message}, "message": "Input payload validation failed"}),
    )
}

/// Integer argument `name` in `0..=max` (flask-restx `inputs.int_range`).
fn range_arg(cx: &Cx<'_>, name: &str, default: i64, max: i64) -> Result<i64, ResponseTemplate> {
    let Some(raw) = cx.query(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(v) if (0..=max).contains(&v) => Ok(v),
        Ok(v) => Err(invalid(
            name,
            &format!("Invalid argument: {v}. argument must be within the range 0 - {max}"),
        )),
        Err(_) => Err(invalid(
            name,
            &format!("invalid literal for int() with base 10: '{raw}'"),
        )),
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, zone-less.
fn local(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), LOCAL).ok()
}

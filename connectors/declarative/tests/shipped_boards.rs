//! The shipped board definitions (`boards/*.yaml`) against what their
//! boards send: every recorded answer of `boards/fixtures/` mapped
//! offline, and every stand-in of `jobharvest_standin::boards` harvested
//! end to end.
//!
//! The expected values are read from the answers themselves (the id
//! field, the title, the date as the board documents it), never copied
//! from what the engine printed, so that a wrong pointer or step in a
//! definition fails here.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::{Berlin, Stockholm};
use common::{fixture, harvest};
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::{ErrorKind, JobRecord, NormalizeOptions, Result, Source, SourceStats};
use jobharvest_declarative::config::build_with_env;
use jobharvest_declarative::offline::{PageMapping, map_answer};
use jobharvest_declarative::{BoardSource, Definition};
use jobharvest_standin::boards::{Board, BoardStandin, BoardStandinConfig};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The shipped definition of `board`.
fn definition(board: &str) -> Arc<Definition> {
    jobharvest_declarative::shipped()
        .into_iter()
        .find(|d| d.board == board)
        .unwrap_or_else(|| panic!("no shipped definition for `{board}`"))
}

/// The shipped YAML of `board`, as written (to read what the definition
/// declares, such as its `attribution`).
fn yaml(board: &str) -> serde_yaml::Value {
    let (_, text) = jobharvest_declarative::shipped_texts()
        .iter()
        .find(|(file, _)| *file == format!("{board}.yaml"))
        .unwrap_or_else(|| panic!("no boards/{board}.yaml"));
    serde_yaml::from_str(text).unwrap()
}

/// The folder of recorded answers.
fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boards/fixtures")
}

/// A recorded answer, parsed.
fn answer(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value at `pointer` as text (strings as they are, numbers written out).
fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The string at `pointer`, which the answer must have.
fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text at {pointer} in {value}"))
}

/// A number at `pointer`, from a JSON number or a numeric text.
fn number_at(value: &Value, pointer: &str) -> Option<f64> {
    match value.pointer(pointer)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A zone-less `YYYY-MM-DDTHH:MM:SS[.f]` read as wall time in `zone`.
fn wall_time<Z: TimeZone>(zone: &Z, text: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    zone.from_local_datetime(&naive)
        .single()
        .unwrap_or_else(|| panic!("{text} is ambiguous"))
        .with_timezone(&Utc)
}

/// An RFC 3339 instant.
fn rfc3339(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// Midnight UTC of a date written in `format`.
fn midnight_utc(text: &str, format: &str) -> DateTime<Utc> {
    NaiveDate::parse_from_str(text, format)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

/// Unix seconds.
fn unix_seconds(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// Maps the recorded answer `boards/fixtures/{board}/{file}` through the
/// board's definition and checks what holds for every answer: no offer
/// failed, no value was left out for not fitting its column, at least one
/// record, each of the board and with the definition's `attribution`.
fn map_fixture(board: &str, file: &str) -> (PageMapping, Value) {
    map_fixture_with(board, file, &NormalizeOptions::default())
}

fn map_fixture_with(board: &str, file: &str, options: &NormalizeOptions) -> (PageMapping, Value) {
    let def = definition(board);
    let body = answer(&format!("{board}/{file}"));
    let page = map_answer(&def, &body, options).unwrap_or_else(|e| panic!("{board}/{file}: {e}"));
    assert!(
        page.failed.is_empty(),
        "{board}/{file}: offers not mapped: {:?}",
        page.failed
    );
    assert!(
        page.problems.is_empty(),
        "{board}/{file}: data-quality problems (column, id): {:?}",
        page.problems
    );
    assert!(!page.records.is_empty(), "{board}/{file}: no record");
    let attribution = yaml(board)
        .get("attribution")
        .and_then(serde_yaml::Value::as_str)
        .map(str::to_string);
    for r in &page.records {
        assert_eq!(r.source, board);
        assert!(!r.source_id.is_empty());
        assert_eq!(r.attribution, attribution, "{board}: attribution");
    }
    (page, body)
}

/// The list of offers of an answer at the definition's `records`.
fn list<'a>(board: &str, body: &'a Value) -> &'a [Value] {
    definition(board)
        .records
        .get(body)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{board}: no list of offers"))
}

/// The record of `id`.
fn record<'a>(page: &'a PageMapping, id: &str) -> &'a JobRecord {
    page.records
        .iter()
        .find(|r| r.source_id == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

/// Every record's id equals the list elements' id field at `pointer`, in
/// order, and the page has as many records as open elements.
fn assert_ids(page: &PageMapping, elements: &[&Value], pointer: &str) {
    let expected: Vec<String> = elements
        .iter()
        .map(|e| text_at(e, pointer).unwrap_or_else(|| panic!("no {pointer} in {e}")))
        .collect();
    let got: Vec<&str> = page.records.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(got, expected);
}

fn assert_plain(text: Option<&str>, what: &str) {
    let text = text.unwrap_or_else(|| panic!("{what}: no text"));
    assert!(!text.is_empty(), "{what}: empty");
    assert!(
        !text.contains('<') && !text.contains("&amp;") && !text.contains("&nbsp;"),
        "{what}: markup left in {text:?}"
    );
}

// ---------------------------------------------------------------------------
// 1. Definitions and recorded answers
// ---------------------------------------------------------------------------

#[test]
fn every_shipped_definition_parses() {
    let texts = jobharvest_declarative::shipped_texts();
    assert_eq!(texts.len(), 12, "the 12 boards of boards/");
    for (file, text) in texts {
        let def = jobharvest_declarative::parse(text, &format!("boards/{file}"))
            .unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(format!("{}.yaml", def.board), *file);
        assert!(
            fixtures_dir().join(def.board).is_dir(),
            "boards/fixtures/{} holds the board's recorded answers",
            def.board
        );
    }
    let boards: HashSet<&str> = jobharvest_declarative::shipped()
        .iter()
        .map(|d| d.board)
        .collect();
    for board in Board::ALL {
        assert!(
            boards.contains(board.name()),
            "{} has a stand-in",
            board.name()
        );
    }
}

/// Whether `file` of `board` is the answer of the definition's detail
/// request (named after its path: `jobdetails-…`, `feedentry-…`), not a
/// search answer.
fn is_detail_answer(board: &str, file: &str) -> bool {
    let y = yaml(board);
    let Some(path) = y
        .get("detail")
        .and_then(|d| d.get("path"))
        .and_then(serde_yaml::Value::as_str)
    else {
        return false;
    };
    let segment = path
        .trim_end_matches("/{id}")
        .rsplit('/')
        .next()
        .unwrap_or_default();
    file.starts_with(&format!("{segment}-"))
}

#[test]
fn every_recorded_search_answer_maps_without_a_problem() {
    for def in jobharvest_declarative::shipped() {
        let dir = fixtures_dir().join(def.board);
        let mut searches = 0;
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".json"))
            .collect();
        files.sort();
        for file in files {
            if is_detail_answer(def.board, &file) {
                continue;
            }
            let (page, body) = map_fixture(def.board, &file);
            let elements = list(def.board, &body).len();
            assert_eq!(
                page.records.len() + page.skipped + page.closed,
                elements,
                "{}/{file}: every element is a record, skipped or closed",
                def.board
            );
            searches += 1;
        }
        assert!(searches > 0, "{}: no search answer recorded", def.board);
    }
}

#[test]
fn jobtech_fixture_maps() {
    let (page, body) = map_fixture("jobtech", "search.json");
    let hits: Vec<&Value> = body["hits"].as_array().unwrap().iter().collect();
    assert_eq!(page.total, Some(body["total"]["value"].clone()));
    assert_ids(&page, &hits, "/id");
    for hit in &hits {
        let r = record(&page, str_at(hit, "/id"));
        assert_eq!(r.title.as_deref(), Some(str_at(hit, "/headline")));
        // Swedish wall time without a zone.
        assert_eq!(
            r.created_at,
            Some(wall_time(&Stockholm, str_at(hit, "/publication_date")))
        );
        assert_eq!(
            r.updated_at,
            DateTime::from_timestamp_millis(hit["timestamp"].as_i64().unwrap())
        );
        // Coordinates are [lon, lat].
        let coordinates = &hit["workplace_address"]["coordinates"];
        assert_eq!(r.longitude, coordinates[0].as_f64());
        assert_eq!(r.latitude, coordinates[1].as_f64());
        // The text as sent, without its trailing blank lines.
        assert_eq!(
            r.description.as_deref(),
            Some(str_at(hit, "/description/text").trim())
        );
        assert_eq!(
            r.company_name.as_deref(),
            Some(str_at(hit, "/employer/name"))
        );
        assert_eq!(r.positions, hit["number_of_vacancies"].as_i64());
        assert_eq!(r.url.as_deref(), Some(str_at(hit, "/webpage_url")));
        assert_eq!(
            r.contract_type.as_deref(),
            Some(str_at(hit, "/employment_type/concept_id"))
        );
        let labels = |pointer: &str| -> Vec<String> {
            hit.pointer(pointer)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .map(|x| x["label"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(r.skills, labels("/must_have/skills"));
        assert_eq!(r.languages, labels("/must_have/languages"));
        assert_eq!(r.driving_licences, labels("/driving_license"));
        assert_eq!(
            r.job_title_label.as_deref(),
            Some(str_at(hit, "/occupation/label"))
        );
        assert_eq!(
            r.occupation_code.as_deref(),
            Some(str_at(hit, "/occupation_group/legacy_ams_taxonomy_id"))
        );
        assert_eq!(
            r.work_time.as_deref(),
            Some(str_at(hit, "/working_hours_type/label"))
        );
        assert_eq!(
            r.location_label,
            Some(format!(
                "{}, {}",
                str_at(hit, "/workplace_address/municipality"),
                str_at(hit, "/workplace_address/region")
            ))
        );
        assert_eq!(
            r.commune_code.as_deref(),
            Some(str_at(hit, "/workplace_address/municipality_code"))
        );
        assert_eq!(
            r.apply_url.as_deref(),
            Some(str_at(hit, "/application_details/url"))
        );
        // Personal data only on request.
        assert_eq!(r.contact_details, None);
        assert_eq!(r.contact_phone, None);
    }
    // Nacka: longitude about 18, latitude about 59.
    let nacka = record(&page, "23174210");
    assert!((59.0..60.0).contains(&nacka.latitude.unwrap()));
    assert!((18.0..19.0).contains(&nacka.longitude.unwrap()));
    // Hit 3 has a salary text: "Månadslön 28 000 – 31 000 kr".
    let third = record(&page, "29012345");
    assert_eq!(
        third.salary_label.as_deref(),
        Some(str_at(hits[2], "/salary_description"))
    );
    assert_eq!(
        (third.salary_min, third.salary_max),
        (Some(28_000.0), Some(31_000.0))
    );
    assert_eq!(third.salary_currency.as_deref(), Some("SEK"));
    assert_eq!(third.salary_period.as_deref(), Some("monthly"));
    // Asked for, the employer's phone comes through.
    let (page, _) = map_fixture_with(
        "jobtech",
        "search.json",
        &NormalizeOptions::with_personal_data(true),
    );
    assert_eq!(
        record(&page, "23174210").contact_phone.as_deref(),
        Some(str_at(hits[0], "/employer/phone_number"))
    );
}

#[test]
fn nav_fixture_maps() {
    // A feed page: two ACTIVE items and one INACTIVE, which is left out.
    for file in ["feed.json", "feed-last.json", "feed-with-details.json"] {
        let (page, body) = map_fixture("nav", file);
        let items = body["items"].as_array().unwrap();
        let active: Vec<&Value> = items
            .iter()
            .filter(|i| i["_feed_entry"]["status"] == "ACTIVE")
            .collect();
        assert!(active.len() < items.len(), "{file} has an INACTIVE item");
        assert_eq!(page.closed, items.len() - active.len(), "{file}");
        assert_ids(&page, &active, "/id");
        for item in &active {
            let r = record(&page, str_at(item, "/id"));
            assert_eq!(r.title.as_deref(), Some(str_at(item, "/title")));
            assert_eq!(
                r.updated_at,
                Some(rfc3339(str_at(item, "/date_modified"))),
                "{file}"
            );
            assert_eq!(
                r.company_name.as_deref(),
                Some(str_at(item, "/_feed_entry/businessName"))
            );
        }
    }
    // With the entries merged, the detail columns come from `ad_content`.
    let (page, body) = map_fixture("nav", "feed-with-details.json");
    for item in body["items"].as_array().unwrap() {
        let Some(ad) = item.pointer("/_detail/ad_content") else {
            continue;
        };
        let r = record(&page, str_at(item, "/id"));
        assert_eq!(r.created_at, Some(rfc3339(str_at(ad, "/published"))));
        assert_eq!(r.url.as_deref(), Some(str_at(ad, "/link")));
        assert_eq!(
            r.location_label,
            Some(format!(
                "{}, {}",
                str_at(ad, "/workLocations/0/city"),
                str_at(ad, "/workLocations/0/county")
            ))
        );
        assert_eq!(
            r.occupation_label.as_deref(),
            Some(str_at(ad, "/occupationCategories/0/level2"))
        );
        assert_eq!(r.job_title_label.as_deref(), Some(str_at(ad, "/jobtitle")));
        assert_eq!(r.origin.as_deref(), Some(str_at(ad, "/source")));
        assert_eq!(
            r.contract_label.as_deref(),
            Some(str_at(ad, "/engagementtype"))
        );
        assert_eq!(
            r.company_url.as_deref(),
            Some(str_at(ad, "/employer/homepage"))
        );
        assert_eq!(r.work_time.as_deref(), Some(str_at(ad, "/extent")));
        assert_eq!(
            r.positions,
            Some(str_at(ad, "/positioncount").parse().unwrap())
        );
        assert_eq!(
            r.postal_code.as_deref(),
            Some(str_at(ad, "/workLocations/0/postalCode"))
        );
        assert_plain(r.description.as_deref(), "nav description");
        assert_eq!(r.contact_name, None, "personal data only on request");
        let apply = str_at(ad, "/applicationUrl");
        assert_eq!(r.apply_url.as_deref(), (!apply.is_empty()).then_some(apply));
    }
    // Each entry file is the entry answer of its feed item.
    for item in body["items"].as_array().unwrap() {
        let id = str_at(item, "/id");
        let entry = answer(&format!("nav/feedentry-{id}.json"));
        assert_eq!(str_at(&entry, "/uuid"), id);
        assert_eq!(
            entry.get("ad_content").is_some(),
            item["_feed_entry"]["status"] == "ACTIVE"
        );
    }
    let (page, _) = map_fixture_with(
        "nav",
        "feed-with-details.json",
        &NormalizeOptions::with_personal_data(true),
    );
    assert_eq!(
        record(&page, "10584075-1e5c-4a83-bf49-c80bcab83018")
            .contact_name
            .as_deref(),
        Some("abc")
    );
}

#[test]
fn bundesagentur_fixture_maps() {
    let (page, body) = map_fixture("bundesagentur", "search.json");
    let offers: Vec<&Value> = body["stellenangebote"].as_array().unwrap().iter().collect();
    assert_ids(&page, &offers, "/refnr");
    assert_eq!(page.total, Some(body["maxErgebnisse"].clone()));
    for o in &offers {
        let r = record(&page, str_at(o, "/refnr"));
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/titel")));
        assert_eq!(r.company_name.as_deref(), Some(str_at(o, "/arbeitgeber")));
        assert_eq!(
            r.created_at,
            Some(midnight_utc(
                str_at(o, "/aktuelleVeroeffentlichungsdatum"),
                "%Y-%m-%d"
            ))
        );
        assert_eq!(
            r.updated_at,
            Some(wall_time(&Berlin, str_at(o, "/modifikationsTimestamp")))
        );
        assert_eq!(r.latitude, o["arbeitsort"]["koordinaten"]["lat"].as_f64());
        assert_eq!(r.longitude, o["arbeitsort"]["koordinaten"]["lon"].as_f64());
        assert_eq!(
            r.postal_code.as_deref(),
            o.pointer("/arbeitsort/plz").and_then(Value::as_str)
        );
        assert_eq!(
            r.apply_url.as_deref(),
            o.get("externeUrl").and_then(Value::as_str)
        );
        assert_eq!(
            r.url.as_deref(),
            Some(
                format!(
                    "https://www.arbeitsagentur.de/jobsuche/jobdetail/{}",
                    str_at(o, "/refnr")
                )
                .as_str()
            )
        );
        // Search results carry no description.
        assert_eq!(r.description, None);
    }
    // The details answer is named after base64(refnr) of offer 2, and
    // merged into it in search-with-details.json.
    let refnr = str_at(offers[1], "/refnr");
    let code = base64::engine::general_purpose::STANDARD.encode(refnr);
    let detail = answer(&format!("bundesagentur/jobdetails-{code}.json"));
    assert_eq!(str_at(&detail, "/referenznummer"), refnr);
    let (page, body) = map_fixture("bundesagentur", "search-with-details.json");
    assert_eq!(body["stellenangebote"][1]["_detail"], detail);
    let r = record(&page, refnr);
    assert_eq!(
        r.description.as_deref(),
        Some(str_at(&detail, "/stellenangebotsBeschreibung"))
    );
    assert_eq!(
        r.contract_label.as_deref(),
        Some(str_at(&detail, "/vertragsdauer"))
    );
    assert_eq!(
        r.contract_nature.as_deref(),
        Some(str_at(&detail, "/stellenangebotsart"))
    );
    // KEINE_ANGABEN is a code for "none given".
    assert_eq!(str_at(&detail, "/verguetungsangabe"), "KEINE_ANGABEN");
    assert_eq!(r.salary_comment, None);
    assert_eq!(detail["arbeitszeitVollzeit"], json!(true));
    assert_eq!(r.work_time.as_deref(), Some("Vollzeit"));
    // The others had no details (404 kept): no description.
    for o in body["stellenangebote"].as_array().unwrap() {
        if o.get("_detail").is_none() {
            assert_eq!(record(&page, str_at(o, "/refnr")).description, None);
        }
    }
}

#[test]
fn himalayas_fixture_maps() {
    let (page, body) = map_fixture("himalayas", "jobs.json");
    let jobs: Vec<&Value> = body["jobs"].as_array().unwrap().iter().collect();
    assert_ids(&page, &jobs, "/guid");
    for j in &jobs {
        let r = record(&page, str_at(j, "/guid"));
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/title")));
        // Seconds or milliseconds: a value past 10^11 is milliseconds.
        let stamp = j["pubDate"].as_i64().unwrap();
        let expected = if stamp > 100_000_000_000 {
            DateTime::from_timestamp_millis(stamp).unwrap()
        } else {
            unix_seconds(stamp)
        };
        assert_eq!(r.created_at, Some(expected), "{stamp}");
        assert!(
            r.created_at.unwrap().format("%Y").to_string() == "2024",
            "2024 either way"
        );
        assert_eq!(r.salary_min, j["minSalary"].as_f64());
        assert_eq!(r.salary_max, j["maxSalary"].as_f64());
        assert_eq!(
            r.salary_currency.as_deref(),
            j["currency"].as_str(),
            "currency"
        );
        let period = j["minSalary"].is_number().then_some("yearly");
        assert_eq!(
            r.salary_period.as_deref(),
            period,
            "yearly only with a salary"
        );
        assert_plain(r.description.as_deref(), "himalayas description");
        let places: Vec<&str> = j["locationRestrictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            r.location_label.as_deref(),
            (!places.is_empty()).then(|| places.join(", ")).as_deref()
        );
        assert_eq!(
            r.contract_label.as_deref(),
            Some(str_at(j, "/employmentType"))
        );
        let seniority: Vec<&str> = j["seniority"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(r.experience_label, Some(seniority.join(", ")));
        let tags: Vec<&str> = j["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(r.tags, tags);
        assert_eq!(r.remote, Some(true));
    }
}

#[test]
fn remoteok_fixture_maps() {
    let (page, body) = map_fixture("remoteok", "api.json");
    let all = body.as_array().unwrap();
    // Element 0 is the legal notice, not an offer.
    assert!(all[0].get("legal").is_some() && all[0].get("id").is_none());
    assert_eq!(page.skipped, 1);
    let jobs: Vec<&Value> = all[1..].iter().collect();
    assert_ids(&page, &jobs, "/id");
    let legal = str_at(&all[0], "/legal");
    for j in &jobs {
        let r = record(&page, str_at(j, "/id"));
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/position")));
        assert_eq!(
            r.created_at,
            Some(unix_seconds(j["epoch"].as_i64().unwrap()))
        );
        // The epoch and the date agree.
        assert_eq!(r.created_at, Some(rfc3339(str_at(j, "/date"))));
        // 0 means "not given".
        let min = j["salary_min"].as_f64().unwrap();
        assert_eq!(r.salary_min, (min != 0.0).then_some(min));
        let max = j["salary_max"].as_f64().unwrap();
        assert_eq!(r.salary_max, (max != 0.0).then_some(max));
        assert_plain(r.description.as_deref(), "remoteok description");
        assert!(!r.description.as_deref().unwrap().contains(legal));
        let location = str_at(j, "/location").trim();
        assert_eq!(
            r.location_label.as_deref(),
            (!location.is_empty()).then_some(location)
        );
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/url")));
        assert_eq!(r.remote, Some(true));
    }
    assert_eq!(
        record(&page, "1058875").salary_min,
        None,
        "0/0 in the answer"
    );
}

#[test]
fn remotive_fixture_maps() {
    let (page, body) = map_fixture("remotive", "remote-jobs.json");
    let jobs: Vec<&Value> = body["jobs"].as_array().unwrap().iter().collect();
    assert_eq!(jobs.len() as u64, body["job-count"].as_u64().unwrap());
    assert_ids(&page, &jobs, "/id");
    for j in &jobs {
        let r = record(&page, &j["id"].to_string());
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/title")));
        // Zone-less, UTC assumed.
        assert_eq!(
            r.created_at,
            Some(wall_time(&Utc, str_at(j, "/publication_date")))
        );
        assert_plain(r.description.as_deref(), "remotive description");
        let job_type = str_at(j, "/job_type");
        assert_eq!(
            r.contract_type.as_deref(),
            (!job_type.is_empty()).then_some(job_type)
        );
        let salary = str_at(j, "/salary");
        assert_eq!(
            r.salary_label.as_deref(),
            (!salary.is_empty()).then_some(salary)
        );
        assert_eq!(r.industry_label.as_deref(), Some(str_at(j, "/category")));
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/url")));
    }
    // "$90,000 - $120,000": a yearly range in dollars.
    let first = record(&page, "1912345");
    assert_eq!(
        (first.salary_min, first.salary_max),
        (Some(90_000.0), Some(120_000.0))
    );
    assert_eq!(first.salary_currency.as_deref(), Some("USD"));
    // "€22/hour".
    let second = record(&page, "1911876");
    assert_eq!(second.salary_min, Some(22.0));
    assert_eq!(second.salary_currency.as_deref(), Some("EUR"));
    assert_eq!(second.salary_period.as_deref(), Some("hourly"));
}

#[test]
fn jobicy_fixture_maps() {
    let (page, body) = map_fixture("jobicy", "remote-jobs.json");
    let jobs: Vec<&Value> = body["jobs"].as_array().unwrap().iter().collect();
    assert_eq!(jobs.len() as u64, body["jobCount"].as_u64().unwrap());
    assert_ids(&page, &jobs, "/id");
    for j in &jobs {
        let r = record(&page, &j["id"].to_string());
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/jobTitle")));
        // "2024-12-07 04:03:02", UTC.
        assert_eq!(r.created_at, Some(wall_time(&Utc, str_at(j, "/pubDate"))));
        assert_plain(r.description.as_deref(), "jobicy description");
        assert_eq!(r.salary_min, number_at(j, "/annualSalaryMin"));
        assert_eq!(r.salary_max, number_at(j, "/annualSalaryMax"));
        assert_eq!(
            r.salary_currency.as_deref(),
            j.get("salaryCurrency").and_then(Value::as_str)
        );
        let places: Vec<&str> = str_at(j, "/jobGeo").split(',').map(str::trim).collect();
        assert_eq!(
            r.location_label.as_deref(),
            Some(places.join(", ").as_str())
        );
        let level = str_at(j, "/jobLevel");
        assert_eq!(
            r.experience_label.as_deref(),
            (level != "Any").then_some(level)
        );
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/url")));
    }
    let annual = record(&page, "74847");
    assert_eq!(
        (annual.salary_min, annual.salary_max),
        (Some(150_000.0), Some(220_000.0))
    );
    // Entities decoded: "DevOps &amp; SysAdmin".
    assert_eq!(
        record(&page, "111985").industry_label.as_deref(),
        Some("DevOps & SysAdmin")
    );
    assert_eq!(
        record(&page, "111985").contract_label.as_deref(),
        Some("contract")
    );
}

#[test]
fn themuse_fixture_maps() {
    let (page, body) = map_fixture("themuse", "jobs.json");
    let jobs: Vec<&Value> = body["results"].as_array().unwrap().iter().collect();
    assert_ids(&page, &jobs, "/id");
    assert_eq!(page.total, Some(body["total"].clone()));
    for j in &jobs {
        let r = record(&page, &j["id"].to_string());
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/name")));
        assert_eq!(r.created_at, Some(rfc3339(str_at(j, "/publication_date"))));
        assert_plain(r.description.as_deref(), "themuse description");
        assert_eq!(r.company_name.as_deref(), Some(str_at(j, "/company/name")));
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/refs/landing_page")));
        let names = |key: &str, sep: &str| {
            j[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap())
                .collect::<Vec<_>>()
                .join(sep)
        };
        assert_eq!(
            r.location_label.as_deref(),
            Some(names("locations", "; ").as_str())
        );
        assert_eq!(
            r.experience_label.as_deref(),
            Some(names("levels", ", ").as_str())
        );
        let tags: Vec<&str> = j["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(r.tags, tags);
    }
    // Microseconds kept.
    assert_eq!(
        record(&page, "11547990")
            .created_at
            .unwrap()
            .timestamp_subsec_micros(),
        351_729
    );
}

#[test]
fn usajobs_fixture_maps() {
    let (page, body) = map_fixture("usajobs", "search.json");
    let items: Vec<&Value> = body["SearchResult"]["SearchResultItems"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_ids(&page, &items, "/MatchedObjectId");
    assert_eq!(
        page.total,
        Some(body["SearchResult"]["SearchResultCountAll"].clone())
    );
    for item in &items {
        let d = &item["MatchedObjectDescriptor"];
        let r = record(&page, str_at(item, "/MatchedObjectId"));
        assert_eq!(r.title.as_deref(), Some(str_at(d, "/PositionTitle")));
        assert_eq!(
            r.created_at,
            Some(rfc3339(str_at(d, "/PublicationStartDate")))
        );
        assert_eq!(
            r.salary_min,
            number_at(d, "/PositionRemuneration/0/MinimumRange")
        );
        assert_eq!(
            r.salary_max,
            number_at(d, "/PositionRemuneration/0/MaximumRange")
        );
        assert_eq!(
            str_at(d, "/PositionRemuneration/0/RateIntervalCode"),
            "Per Year"
        );
        assert_eq!(r.salary_period.as_deref(), Some("yearly"));
        assert_eq!(r.salary_currency.as_deref(), Some("USD"));
        assert_eq!(r.latitude, number_at(d, "/PositionLocation/0/Latitude"));
        assert_eq!(r.longitude, number_at(d, "/PositionLocation/0/Longitude"));
        let places: Vec<&str> = d["PositionLocation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["LocationName"].as_str().unwrap().trim())
            .collect();
        assert_eq!(
            r.location_label.as_deref(),
            Some(places.join("; ").as_str())
        );
        let department = str_at(d, "/DepartmentName");
        assert_eq!(
            r.industry_label.as_deref(),
            (!department.is_empty()).then_some(department)
        );
        let description = r.description.as_deref().unwrap();
        assert!(description.contains(str_at(d, "/QualificationSummary").trim()));
        assert_eq!(r.url.as_deref(), Some(str_at(d, "/PositionURI")));
        assert_eq!(r.apply_url.as_deref(), Some(str_at(d, "/ApplyURI/0")));
        assert_eq!(
            r.contract_type.as_deref(),
            Some(str_at(d, "/PositionOfferingType/0/Code"))
        );
        assert_eq!(
            r.contract_label.as_deref(),
            Some(str_at(d, "/PositionOfferingType/0/Name"))
        );
        assert_eq!(
            r.work_time.as_deref(),
            Some(str_at(d, "/PositionSchedule/0/Name"))
        );
        assert_eq!(
            r.occupation_code.as_deref(),
            Some(str_at(d, "/JobCategory/0/Code"))
        );
        assert_eq!(
            r.company_name.as_deref(),
            Some(str_at(d, "/OrganizationName"))
        );
    }
}

#[test]
fn reed_fixture_maps() {
    let (page, body) = map_fixture("reed", "search.json");
    let results: Vec<&Value> = body["results"].as_array().unwrap().iter().collect();
    assert_ids(&page, &results, "/jobId");
    assert_eq!(page.total, Some(body["totalResults"].clone()));
    for j in &results {
        let r = record(&page, &j["jobId"].to_string());
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/jobTitle")));
        // dd/mm/yyyy.
        assert_eq!(
            r.created_at,
            Some(midnight_utc(str_at(j, "/date"), "%d/%m/%Y"))
        );
        assert_eq!(r.salary_min, j["minimumSalary"].as_f64());
        assert_eq!(r.salary_max, j["maximumSalary"].as_f64());
        assert_eq!(r.salary_currency.as_deref(), Some(str_at(j, "/currency")));
        assert_eq!(r.company_name.as_deref(), Some(str_at(j, "/employerName")));
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/jobUrl")));
        assert_plain(r.description.as_deref(), "reed description");
    }
    // 31/03/2020 is the 31st of March, not a 31st month.
    assert_eq!(
        record(&page, "40227781").created_at,
        Some("2020-03-31T00:00:00Z".parse().unwrap())
    );
}

#[test]
fn jooble_fixture_maps() {
    let (page, body) = map_fixture("jooble", "search.json");
    let jobs: Vec<&Value> = body["jobs"].as_array().unwrap().iter().collect();
    assert_ids(&page, &jobs, "/id");
    assert_eq!(page.total, Some(body["totalCount"].clone()));
    for j in &jobs {
        // 64-bit ids, some negative, kept exactly.
        let id = j["id"].as_i64().unwrap();
        let r = record(&page, &id.to_string());
        assert_eq!(r.title.as_deref(), Some(str_at(j, "/title")));
        // Zone-less with seven fraction digits, UTC assumed.
        assert_eq!(r.updated_at, Some(wall_time(&Utc, str_at(j, "/updated"))));
        assert_plain(r.description.as_deref(), "jooble snippet");
        let salary = str_at(j, "/salary");
        assert_eq!(
            r.salary_label.as_deref(),
            (!salary.is_empty()).then_some(salary)
        );
        let kind = str_at(j, "/type");
        assert_eq!(
            r.contract_label.as_deref(),
            (!kind.is_empty()).then_some(kind)
        );
        assert_eq!(r.origin.as_deref(), Some(str_at(j, "/source")));
        assert_eq!(r.url.as_deref(), Some(str_at(j, "/link")));
    }
    assert!(page.records.iter().any(|r| r.source_id.starts_with('-')));
    // "38 000 € - 42 000 € par an".
    let lyon = record(&page, "2381762957143560601");
    assert_eq!(
        (lyon.salary_min, lyon.salary_max),
        (Some(38_000.0), Some(42_000.0))
    );
    assert_eq!(lyon.salary_currency.as_deref(), Some("EUR"));
    assert_eq!(lyon.salary_period.as_deref(), Some("yearly"));
}

#[test]
fn arbeitnow_fixture_maps() {
    let (page, body) = map_fixture("arbeitnow", "page-1-2026-10-2-offers.json");
    let data: Vec<&Value> = body["data"].as_array().unwrap().iter().collect();
    assert_ids(&page, &data, "/slug");
    for o in &data {
        let r = record(&page, str_at(o, "/slug"));
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/title")));
        assert_eq!(
            r.created_at,
            Some(unix_seconds(o["created_at"].as_i64().unwrap()))
        );
        assert_plain(r.description.as_deref(), "arbeitnow description");
        assert_eq!(r.remote, o["remote"].as_bool());
        assert_eq!(r.url.as_deref(), Some(str_at(o, "/url")));
    }
}

// ---------------------------------------------------------------------------
// 2. Stand-ins harvested end to end
// ---------------------------------------------------------------------------

/// A source of the shipped `board` definition from `entry` (a spec's
/// source entry without `type`), with `env` as the only environment and
/// `base_dir` as the spec's folder.
fn board_source(
    board: &str,
    entry: Value,
    base_dir: &Path,
    env: &[(&str, String)],
) -> Result<BoardSource> {
    let definition = definition(board);
    let Value::Object(mut map) = entry else {
        panic!("an entry is a map")
    };
    let mut cx = common::registry().build_context(base_dir, board);
    cx.http = HttpConfig::take(&mut map, "sources[0]")?;
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    build_with_env(
        &definition,
        Value::Object(map),
        "sources[0]",
        &cx,
        &|name| env.get(name).cloned(),
    )
}

/// A stand-in of `board` with `offers` offers (and `config`'s other
/// values).
async fn standin(board: Board, offers: usize, config: BoardStandinConfig) -> BoardStandin {
    BoardStandin::start(board, BoardStandinConfig { offers, ..config }).await
}

/// The entry of a source against `standin`: its base URL, fast pacing,
/// the budget file in `dir`, and `extra`.
fn entry(standin: &BoardStandin, dir: &Path, extra: Value) -> Value {
    let mut entry = json!({
        "base_url": standin.base_url(),
        "rate_limit_per_sec": 1000,
        "budget_file": dir.join("budgets.json"),
    });
    for (k, v) in extra.as_object().unwrap() {
        entry[k] = v.clone();
    }
    entry
}

/// Harvests `board` from `standin` to the end; panics when the run fails.
async fn harvest_ok(
    board: &str,
    standin: &BoardStandin,
    dir: &Path,
    extra: Value,
    env: &[(&str, String)],
) -> (Vec<JobRecord>, Arc<SourceStats>) {
    let source = board_source(board, entry(standin, dir, extra), dir, env).unwrap();
    let (records, stats, result) = harvest(Box::new(source) as Box<dyn Source>, None).await;
    if let Err(e) = result {
        panic!("{board}: the run failed: {e}");
    }
    (records, stats)
}

/// Every open offer of the stand-in exactly once, and nothing else.
fn assert_every_open_offer_once(standin: &BoardStandin, records: &[JobRecord]) {
    let board = standin.board().name();
    let got: Vec<&str> = records.iter().map(|r| r.source_id.as_str()).collect();
    let unique: HashSet<&str> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "{board}: an offer emitted twice");
    let open = standin.open_ids();
    let expected: HashSet<&str> = open.iter().map(String::as_str).collect();
    assert_eq!(
        expected.len(),
        open.len(),
        "{board}: stand-in ids are unique"
    );
    let missing: Vec<&&str> = expected.difference(&unique).take(5).collect();
    let extra: Vec<&&str> = unique.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{board}: {} of {} open offers missing (e.g. {missing:?}), {} unexpected (e.g. {extra:?})",
        expected.difference(&unique).count(),
        expected.len(),
        unique.difference(&expected).count()
    );
}

/// The stand-in's raw offers by their id field at `pointer`.
fn raw_by_id(standin: &BoardStandin, pointer: &str) -> HashMap<String, Value> {
    standin
        .offers()
        .into_iter()
        .map(|o| {
            let id = text_at(&o, pointer).unwrap_or_else(|| panic!("no {pointer} in {o}"));
            (id, o)
        })
        .collect()
}

/// Each of the stand-in's offers maps through the definition with no
/// value left out (boards without a detail request: the offers are what
/// the search serves).
fn assert_offers_map_cleanly(board: &str, standin: &BoardStandin) {
    let def = definition(board);
    let options = NormalizeOptions::default();
    for offer in standin.offers() {
        let mapped = def
            .mapping
            .map(&offer, None, &options)
            .unwrap_or_else(|e| panic!("{board}: {e} for {offer}"));
        assert!(
            mapped.problems.is_empty(),
            "{board}: columns {:?} did not fit for {offer}",
            mapped.problems
        );
    }
}

/// Requests the stand-in received whose path contains `part`.
fn requests_to(standin: &BoardStandin, part: &str) -> usize {
    standin.log().iter().filter(|l| l.contains(part)).count()
}

/// The requests paging explains for `n` offers, `size` a page, on a board
/// that gives its total (so a full last page is not followed by an empty
/// one).
fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn jobtech_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::JobTech, 230, BoardStandinConfig::default()).await;
    let (records, stats) = harvest_ok("jobtech", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    // Offset paging, 100 a page, the total known: no request past it.
    assert_eq!(s.requests(), pages(230, 100));
    assert_eq!(SourceStats::get(&stats.requests), s.requests());
    assert!(s.log().iter().all(|l| l.contains("limit=100")));
    assert_offers_map_cleanly("jobtech", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/headline")));
        assert_eq!(
            r.created_at,
            Some(wall_time(&Stockholm, str_at(o, "/publication_date")))
        );
        assert_eq!(
            r.latitude,
            o["workplace_address"]["coordinates"][1].as_f64()
        );
        assert_eq!(
            r.longitude,
            o["workplace_address"]["coordinates"][0].as_f64()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nav_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(
        Board::Nav,
        60,
        BoardStandinConfig {
            inactive_every: 5,
            ..BoardStandinConfig::default()
        },
    )
    .await;
    let token = s.credential().expect("NAV demands a token");
    let (records, _) = harvest_ok(
        "nav",
        &s,
        dir.path(),
        json!({"params": {"pageSize": "20"}}),
        &[("NAV_FEED_TOKEN", token)],
    )
    .await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.open_ids().len(), 60 - 60 / 5, "INACTIVE entries left out");
    // Consecutive feed pages share one item: a page advances by 19.
    let feed = requests_to(&s, "/api/v1/feed?") + requests_to(&s, "/api/v1/feed/");
    assert!(
        feed as u64 <= pages(60 - 1, 20 - 1) + 1,
        "{feed} feed pages for 60 items"
    );
    // One entry request per open item a page listed (the item two pages
    // share at most twice), none for INACTIVE ones.
    let entries = requests_to(&s, "/api/v1/feedentry/");
    assert!(
        (records.len()..=records.len() + feed).contains(&entries),
        "{entries} entry requests for {} open offers",
        records.len()
    );
    let open: HashSet<String> = s.open_ids().into_iter().collect();
    for line in s.log() {
        if let Some(id) = line.split("/api/v1/feedentry/").nth(1) {
            assert!(open.contains(id), "the closed entry {id} was fetched");
        }
    }
    assert_eq!(s.requests() as usize, feed + entries);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/title")));
        assert_eq!(r.updated_at, Some(rfc3339(str_at(o, "/date_modified"))));
        assert_eq!(
            r.company_name.as_deref(),
            Some(str_at(o, "/_feed_entry/businessName"))
        );
        // From the entry (`ad_content`).
        assert_eq!(
            r.url.as_deref(),
            Some(
                format!(
                    "https://arbeidsplassen.nav.no/stillinger/stilling/{}",
                    r.source_id
                )
                .as_str()
            )
        );
        assert_plain(r.description.as_deref(), "nav description");
        assert!(r.created_at.is_some() && r.positions.is_some() && r.postal_code.is_some());
        let work_time = r.work_time.as_deref();
        assert!(
            matches!(work_time, Some("Heltid" | "Deltid")),
            "{work_time:?}"
        );
        assert_eq!(r.contact_name, None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bundesagentur_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Bundesagentur, 150, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("bundesagentur", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    // Two pages of 100 and one details request per offer.
    assert_eq!(requests_to(&s, "/pc/v4/jobs"), pages(150, 100) as usize);
    assert!(s.log().iter().any(|l| l.contains("size=100")));
    assert_eq!(requests_to(&s, "/pc/v4/jobdetails/"), 150);
    assert_eq!(s.requests(), pages(150, 100) + 150);
    let raw = raw_by_id(&s, "/refnr");
    let mut without_details = 0;
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/titel")));
        assert_eq!(r.company_name.as_deref(), Some(str_at(o, "/arbeitgeber")));
        assert_eq!(
            r.created_at,
            Some(midnight_utc(
                str_at(o, "/aktuelleVeroeffentlichungsdatum"),
                "%Y-%m-%d"
            ))
        );
        assert_eq!(r.latitude, o["arbeitsort"]["koordinaten"]["lat"].as_f64());
        assert_eq!(
            r.updated_at,
            Some(wall_time(&Berlin, str_at(o, "/modifikationsTimestamp")))
        );
        // The details (404 for some: kept without).
        match &r.description {
            Some(text) => {
                assert!(text.contains(str_at(o, "/beruf")), "{text}");
                assert!(r.contract_label.is_some());
                let work_time = r.work_time.as_deref();
                assert!(
                    matches!(work_time, Some("Vollzeit" | "Teilzeit")),
                    "{work_time:?}"
                );
            }
            None => without_details += 1,
        }
    }
    assert!(
        without_details < records.len() / 4,
        "{without_details} offers without details"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn himalayas_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Himalayas, 70, BoardStandinConfig::default()).await;
    let (records, stats) = harvest_ok("himalayas", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), pages(70, 20));
    assert_eq!(stats.total(), Some(70));
    assert_offers_map_cleanly("himalayas", &s);
    let raw = raw_by_id(&s, "/guid");
    let (mut seconds, mut millis) = (0, 0);
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/title")));
        let stamp = o["pubDate"].as_i64().unwrap();
        let expected = if stamp > 100_000_000_000 {
            millis += 1;
            DateTime::from_timestamp_millis(stamp).unwrap()
        } else {
            seconds += 1;
            unix_seconds(stamp)
        };
        assert_eq!(r.created_at, Some(expected));
        assert_eq!(r.salary_min, o["minSalary"].as_f64());
        assert_eq!(r.salary_max, o["maxSalary"].as_f64());
    }
    assert!(seconds > 0 && millis > 0, "both units were served");
}

#[tokio::test(flavor = "multi_thread")]
async fn remoteok_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::RemoteOk, 120, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("remoteok", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), 1, "the whole feed in one answer");
    assert_offers_map_cleanly("remoteok", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(
            r.created_at,
            Some(unix_seconds(o["epoch"].as_i64().unwrap()))
        );
        let min = o["salary_min"].as_f64().unwrap();
        assert_eq!(r.salary_min, (min != 0.0).then_some(min));
        // Entities decoded ("CI&amp;T").
        let company = str_at(o, "/company").replace("&amp;", "&");
        assert_eq!(r.company_name.as_deref(), Some(company.as_str()));
        assert!(!r.title.as_deref().unwrap().contains("Terms of Service"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn remotive_standin_harvests() {
    // Remotive's quota (2 a minute, 4 a day) keeps this to one request; the
    // day's budget is counted in the temporary folder's budget file.
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Remotive, 60, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("remotive", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), 1, "every job in one answer");
    assert!(
        dir.path().join("budgets.json").exists(),
        "the day's budget is written where the entry says"
    );
    assert_offers_map_cleanly("remotive", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/title")));
        assert_eq!(
            r.created_at,
            Some(wall_time(&Utc, str_at(o, "/publication_date")))
        );
        let job_type = str_at(o, "/job_type");
        assert_eq!(
            r.contract_type.as_deref(),
            (!job_type.is_empty()).then_some(job_type)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jobicy_standin_harvests() {
    // One request: the definition allows one an hour.
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Jobicy, 80, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("jobicy", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), 1);
    assert!(s.log()[0].contains("count=100"), "{:?}", s.log());
    assert_offers_map_cleanly("jobicy", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.created_at, Some(wall_time(&Utc, str_at(o, "/pubDate"))));
        let min = number_at(o, "/salaryMin").or_else(|| number_at(o, "/annualSalaryMin"));
        assert_eq!(r.salary_min, min);
        let period = o.get("salaryPeriod").and_then(Value::as_str);
        assert_eq!(r.salary_period.as_deref(), period);
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/jobTitle")));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn themuse_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::TheMuse, 90, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("themuse", &s, dir.path(), json!({}), &[]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), pages(90, 20));
    assert!(s.log()[0].contains("page=0"), "0-based: {:?}", s.log()[0]);
    assert_offers_map_cleanly("themuse", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/name")));
        assert_eq!(r.created_at, Some(rfc3339(str_at(o, "/publication_date"))));
        assert_eq!(r.url.as_deref(), Some(str_at(o, "/refs/landing_page")));
    }
}

/// The environment USAJOBS needs, for `standin`.
fn usajobs_env(standin: &BoardStandin) -> Vec<(&'static str, String)> {
    vec![
        ("USAJOBS_API_KEY", standin.credential().unwrap()),
        ("USAJOBS_EMAIL", "harvest@example.org".to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn usajobs_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Usajobs, 520, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok("usajobs", &s, dir.path(), json!({}), &usajobs_env(&s)).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), pages(520, 500));
    assert!(s.log()[0].contains("ResultsPerPage=500"));
    assert_offers_map_cleanly("usajobs", &s);
    let raw = raw_by_id(&s, "/MatchedObjectId");
    for r in &records {
        let d = &raw[&r.source_id]["MatchedObjectDescriptor"];
        assert_eq!(r.title.as_deref(), Some(str_at(d, "/PositionTitle")));
        assert_eq!(
            r.salary_min,
            number_at(d, "/PositionRemuneration/0/MinimumRange")
        );
        // 0,0 is a placeholder place, not a coordinate.
        let lat = number_at(d, "/PositionLocation/0/Latitude").unwrap();
        assert_eq!(r.latitude, (lat != 0.0).then_some(lat));
        assert_eq!(
            r.created_at,
            Some(rfc3339(str_at(d, "/PublicationStartDate")))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reed_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Reed, 250, BoardStandinConfig::default()).await;
    let key = s.credential().unwrap();
    let (records, _) =
        harvest_ok("reed", &s, dir.path(), json!({}), &[("REED_API_KEY", key)]).await;
    assert_every_open_offer_once(&s, &records);
    assert_eq!(s.requests(), pages(250, 100));
    assert_offers_map_cleanly("reed", &s);
    let raw = raw_by_id(&s, "/jobId");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(
            r.created_at,
            Some(midnight_utc(str_at(o, "/date"), "%d/%m/%Y"))
        );
        assert_eq!(r.salary_min, o["minimumSalary"].as_f64());
        assert_eq!(r.salary_max, o["maximumSalary"].as_f64());
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/jobTitle")));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jooble_standin_harvests() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Jooble, 90, BoardStandinConfig::default()).await;
    let key = s.credential().unwrap();
    let (records, _) = harvest_ok(
        "jooble",
        &s,
        dir.path(),
        json!({}),
        &[("JOOBLE_API_KEY", key)],
    )
    .await;
    assert_every_open_offer_once(&s, &records);
    // The stand-in's default page of 20; the total stops the paging.
    assert_eq!(s.requests(), pages(90, 20));
    assert!(s.log().iter().all(|l| l.starts_with("POST /api/")));
    assert_offers_map_cleanly("jooble", &s);
    let raw = raw_by_id(&s, "/id");
    for r in &records {
        let o = &raw[&r.source_id];
        assert_eq!(r.title.as_deref(), Some(str_at(o, "/title")));
        assert_eq!(r.updated_at, Some(wall_time(&Utc, str_at(o, "/updated"))));
        assert_plain(r.description.as_deref(), "jooble snippet");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_an_auth_error_naming_the_variable_not_the_key() {
    const WRONG: &str = "wrong-key-7f3a9c";
    let dir = tempfile::tempdir().unwrap();
    let cases: [(Board, &str, &str); 4] = [
        (Board::Reed, "reed", "REED_API_KEY"),
        (Board::Jooble, "jooble", "JOOBLE_API_KEY"),
        (Board::Usajobs, "usajobs", "USAJOBS_API_KEY"),
        (Board::Nav, "nav", "NAV_FEED_TOKEN"),
    ];
    for (board, name, var) in cases {
        let s = standin(board, 30, BoardStandinConfig::default()).await;
        let mut env = vec![(var, WRONG.to_string())];
        if board == Board::Usajobs {
            env.push(("USAJOBS_EMAIL", "harvest@example.org".to_string()));
        }
        let source =
            board_source(name, entry(&s, dir.path(), json!({})), dir.path(), &env).unwrap();
        let (records, _, result) = harvest(Box::new(source), None).await;
        assert!(records.is_empty());
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(var),
            "{name}: the message names {var}: {text}"
        );
        assert!(!text.contains(WRONG), "{name}: the key leaked: {text}");
        assert!(
            !format!("{err:?}").contains(WRONG),
            "{name}: the key leaked: {err:?}"
        );
        assert_eq!(s.requests(), 1, "{name}: a refusal is not retried");

        // Unset, the variable is refused before anything is sent.
        env.retain(|(name, _)| *name != var);
        let err =
            board_source(name, entry(&s, dir.path(), json!({})), dir.path(), &env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{name}: {err}");
        assert!(err.to_string().contains(var), "{name}: {err}");
        assert_eq!(s.requests(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_requests_are_retried_then_the_harvest_completes() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(
        Board::Himalayas,
        50,
        BoardStandinConfig {
            fail_first: 2,
            ..BoardStandinConfig::default()
        },
    )
    .await;
    let source = board_source(
        "himalayas",
        entry(&s, dir.path(), json!({})),
        dir.path(),
        &[],
    )
    .unwrap()
    .with_http_settings(common::fast());
    let (records, stats, result) = harvest(Box::new(source), None).await;
    result.unwrap();
    assert_every_open_offer_once(&s, &records);
    assert_eq!(SourceStats::get(&stats.retries), 2);
    assert_eq!(s.requests(), 2 + pages(50, 20));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_board_answering_429_is_waited_for_and_every_offer_comes_once() {
    // Himalayas' small pages of 20 answer in a few milliseconds: paced at
    // 100 a second, the sixth request of a second meets the stand-in's 5.
    let dir = tempfile::tempdir().unwrap();
    let s = standin(
        Board::Himalayas,
        300,
        BoardStandinConfig {
            rate_limit_per_sec: Some(5),
            ..BoardStandinConfig::default()
        },
    )
    .await;
    let start = std::time::Instant::now();
    let (records, stats) = harvest_ok(
        "himalayas",
        &s,
        dir.path(),
        json!({"rate_limit_per_sec": 100}),
        &[],
    )
    .await;
    assert_every_open_offer_once(&s, &records);
    let limited = SourceStats::get(&stats.rate_limited);
    assert!(limited > 0, "the stand-in answered 429");
    assert_eq!(s.requests(), pages(300, 20) + limited);
    // 15 pages at 5 a second.
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bundesagentur_query_without_hits_ends_empty() {
    let dir = tempfile::tempdir().unwrap();
    let s = standin(Board::Bundesagentur, 30, BoardStandinConfig::default()).await;
    let (records, _) = harvest_ok(
        "bundesagentur",
        &s,
        dir.path(),
        json!({"params": {"was": "no-such-occupation"}}),
        &[],
    )
    .await;
    assert!(records.is_empty());
    assert_eq!(s.requests(), 1);
}

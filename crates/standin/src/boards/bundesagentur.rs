//! Bundesagentur für Arbeit, Jobsuche, Germany (API-FACTS §1; checked
//! against `bundesAPI/jobsuche-api` `openapi.yaml`).
//!
//! Served under the real base path `/jobboerse/jobsuche-service`, with
//! `X-API-Key: jobboerse-jobsuche` demanded on every request (403
//! otherwise; [M] empty body). `GET /pc/v4/jobs` (and `/pc/v4/app/jobs`):
//! `was` (title, occupation or employer contains it, ignoring case),
//! `wo` (place or postcode), `arbeitgeber` (exact, case-sensitive, #52),
//! `veroeffentlichtseit` (days), `page` from 1 and `size` (default 25),
//! both with 400 `{"messages":[{"code":"EINGABEPARAMETER_FEHLERHAFT"}]}`
//! when `size` is outside 1..=100, `page` below 1 or `page*size` above
//! 10,000. Results oldest first (#43); `maxErgebnisse` a number. [M] A page
//! without results has no `stellenangebote` key. `umkreis` and the other
//! filters are accepted and ignored.
//!
//! `GET /pc/v4/jobdetails/{base64(refnr)}` (and `/pc/v3/...`; padding
//! optional) answers the details record, or 404 for about one offer in ten,
//! as the real API often does for refnrs its search just returned (#61).

use chrono::{DateTime, Days, Utc};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{
    Answer, Api, BoardStandinConfig, Cx, Gen, Offer, base64_decode, base64_encode, cet,
    contains_ci, json, text,
};

pub(super) struct Bundesagentur;

const MAX_SIZE: i64 = 100;
const MAX_ROWS: i64 = 10_000;

/// place, postcode, region, lat, lon.
const PLACES: &[(&str, &str, &str, f64, f64)] = &[
    ("Berlin", "10243", "Berlin", 52.512_79, 13.440_17),
    ("München", "80331", "Bayern", 48.137_4, 11.575_5),
    ("Hamburg", "20095", "Hamburg", 53.551_1, 9.993_7),
    ("Köln", "50667", "Nordrhein-Westfalen", 50.937_5, 6.960_3),
    ("Frankfurt am Main", "60311", "Hessen", 50.110_9, 8.682_1),
    ("Leipzig", "04109", "Sachsen", 51.339_7, 12.373_1),
    ("Stuttgart", "70173", "Baden-Württemberg", 48.775_8, 9.182_9),
];
/// title, occupation.
#[rustfmt::skip]
const JOBS: &[(&str, &str)] = &[
    ("Nachhilfelehrer/innen zur Erteilung von Einzelnachhilfe gesucht", "Lehrer/in - Stützunterricht"),
    ("Pflegefachkraft (m/w/d) in Vollzeit", "Pflegefachmann/-frau"),
    ("Berufskraftfahrer CE (m/w/d) im Nahverkehr", "Berufskraftfahrer/in (Güterverkehr/LKW)"),
    ("Softwareentwickler Java (m/w/d)", "Softwareentwickler/in"),
    ("Verkäufer/in im Lebensmitteleinzelhandel", "Verkäufer/in"),
    ("Elektroniker für Energie- und Gebäudetechnik (m/w/d)", "Elektroniker/in - Energie- und Gebäudetechnik"),
    ("Kaufmann/-frau für Büromanagement (m/w/d)", "Kaufmann/-frau - Büromanagement"),
];
const EMPLOYERS: &[&str] = &[
    "Studienkreis GmbH",
    "Klinikum Nord gGmbH",
    "Spedition Müller & Söhne GmbH",
    "Datenwerk AG",
    "EDEKA Südwest Stiftung & Co. KG",
    "Elektro Schmidt GmbH & Co. KG",
    "W. Krause Personaldienstleistungen GmbH",
];
const SALARIES: &[&str] = &[
    "Tarifvertrag",
    "Nach Vereinbarung",
    "3.200 € brutto monatlich",
    "ab 15,50 € pro Stunde",
];

impl Api for Bundesagentur {
    fn base_path(&self) -> &'static str {
        "/jobboerse/jobsuche-service"
    }

    fn default_credential(&self) -> Option<&'static str> {
        Some("jobboerse-jobsuche")
    }

    fn walk<'a>(&self, offers: &'a [Offer]) -> Vec<&'a Offer> {
        offers.iter().collect()
    }

    fn make(&self, g: &mut Gen, seq: usize, at: DateTime<Utc>, _: &BoardStandinConfig) -> Offer {
        let prefix = *g.pick(&["10000", "10001", "11000", "12265", "14343"]);
        let refnr = format!(
            "{prefix}-{}-S",
            1_000_000_000 + seq as i64 * 7 + g.int(0..=6)
        );
        let (place, plz, region, lat, lon) = *g.pick(PLACES);
        let (titel, beruf) = *g.pick(JOBS);
        let employer = *g.pick(EMPLOYERS);
        let local = cet(at);
        let published = local.date_naive();
        let start = published + Days::new(g.int(0..=30) as u64);
        let modified = format!(
            "{}.{:03}",
            local.format("%Y-%m-%dT%H:%M:%S"),
            g.int(0..=999)
        );
        let street = format!(
            "{} {}",
            g.pick(&["Hauptstraße", "Bahnhofstraße", "Lindenallee", "Gewerbepark"]),
            g.int(1..=120)
        );
        let customer = g.chance(0.7).then(|| {
            let bytes: Vec<u8> = (0..4).flat_map(|_| g.bits().to_le_bytes()).collect();
            base64_encode(&bytes)
        });
        let external = g
            .chance(0.9)
            .then(|| format!("https://karriere.example.de/stellen/{}", g.digits(6)));
        let mut place_json = json!({"ort": place, "region": region, "land": "Deutschland", "koordinaten": {"lat": lat, "lon": lon}});
        if g.chance(0.9) {
            place_json["plz"] = json!(plz);
            place_json["strasse"] = json!(street);
        }
        let mut record = json!({
            "refnr": refnr,
            "titel": titel,
            "beruf": beruf,
            "arbeitgeber": employer,
            "aktuelleVeroeffentlichungsdatum": published.format("%Y-%m-%d").to_string(),
            "eintrittsdatum": start.format("%Y-%m-%d").to_string(),
            "modifikationsTimestamp": modified,
            "arbeitsort": place_json,
        });
        if let Some(url) = &external {
            record["externeUrl"] = json!(url);
        }
        if let Some(hash) = &customer {
            record["kundennummerHash"] = json!(hash);
        }
        let fulltime = g.chance(0.75);
        let detail = (!g.chance(0.1)).then(|| {
            json!({
                "referenznummer": refnr,
                "stellenangebotsTitel": titel,
                // [M] plain text.
                "stellenangebotsBeschreibung": format!("Wir, die {employer}, suchen zum {} eine/n {beruf} in {place}.\n\nIhre Aufgaben:\n- Eigenverantwortliches Arbeiten im Team\n- Zuverlässigkeit und Freundlichkeit\n\nWir bieten:\n- Unbefristeter Arbeitsvertrag\n- 30 Tage Urlaub", start.format("%d.%m.%Y")),
                "firma": employer,
                "arbeitgeberKundennummerHash": customer,
                "datumErsteVeroeffentlichung": published.format("%Y-%m-%d").to_string(),
                "aenderungsdatum": modified,
                "veroeffentlichungszeitraum": {"von": published.format("%Y-%m-%d").to_string(), "bis": (published + Days::new(60)).format("%Y-%m-%d").to_string()},
                "eintrittszeitraum": {"von": start.format("%Y-%m-%d").to_string(), "bis": null},
                "stellenlokationen": [{"adresse": {"plz": plz, "ort": place, "region": region, "land": "Deutschland", "strasse": street, "hausnummer": null}, "breite": lat, "laenge": lon}],
                "verguetungsangabe": g.pick(SALARIES),
                "vertragsdauer": if g.chance(0.7) { "UNBEFRISTET" } else { "BEFRISTET" },
                "arbeitszeitVollzeit": fulltime,
                "arbeitszeitTeilzeitVormittag": !fulltime,
                "arbeitszeitTeilzeitNachmittag": false,
                "arbeitszeitTeilzeitAbend": false,
                "arbeitszeitTeilzeitFlexibel": !fulltime,
                "arbeitszeitSchichtNachtWochenende": g.chance(0.2),
                "stellenangebotsart": "ARBEIT",
                "istArbeitnehmerUeberlassung": employer.contains("Personal"),
                "istPrivateArbeitsvermittlung": false,
                "istGeringfuegigeBeschaeftigung": false,
                "quereinstiegGeeignet": g.chance(0.3),
                "externeURL": external,
            })
        });
        Offer {
            id: refnr,
            at,
            open: true,
            record,
            detail,
            page_item: None,
        }
    }

    fn respond(&self, cx: &Cx<'_>) -> Answer {
        let search = matches!(cx.path, "/pc/v4/jobs" | "/pc/v4/app/jobs");
        let code = cx
            .path
            .strip_prefix("/pc/v4/jobdetails/")
            .or_else(|| cx.path.strip_prefix("/pc/v3/jobdetails/"));
        if !search && code.is_none() {
            return Ok(ResponseTemplate::new(404));
        }
        if cx.header("x-api-key") != cx.credential() {
            return Err(ResponseTemplate::new(403));
        }
        if let Some(code) = code {
            let refnr = base64_decode(code).and_then(|b| String::from_utf8(b).ok());
            let detail = refnr
                .and_then(|r| cx.offers.iter().find(|o| o.id == r))
                .and_then(|o| o.detail.as_ref());
            return Ok(detail.map_or_else(|| ResponseTemplate::new(404), |d| json(200, d)));
        }
        cx.search()?;
        let page = int_arg(cx, "page", 1)?;
        let size = int_arg(cx, "size", 25)?;
        if page < 1 || !(1..=MAX_SIZE).contains(&size) || page.saturating_mul(size) > MAX_ROWS {
            return Err(bad_input());
        }
        let since = match cx.query("veroeffentlichtseit") {
            Some(days) => match days.trim().parse::<u64>() {
                Ok(d) if d <= 100 => Some(cet(Utc::now()).date_naive() - Days::new(d)),
                _ => return Err(bad_input()),
            },
            None => None,
        };
        let was = cx.query("was").unwrap_or_default();
        let wo = cx.query("wo").unwrap_or_default();
        let employer = cx.query("arbeitgeber");
        let hits: Vec<&Offer> = cx
            .offers
            .iter()
            .filter(|o| {
                let r = &o.record;
                let what = format!(
                    "{} {} {}",
                    text(r, "/titel"),
                    text(r, "/beruf"),
                    text(r, "/arbeitgeber")
                );
                contains_ci(&what, &was)
                    && (contains_ci(text(r, "/arbeitsort/ort"), &wo)
                        || text(r, "/arbeitsort/plz").starts_with(wo.as_str()))
                    && employer
                        .as_deref()
                        .is_none_or(|e| text(r, "/arbeitgeber") == e)
                    && since.is_none_or(|s| cet(o.at).date_naive() >= s)
            })
            .collect();
        let records: Vec<Value> = hits
            .iter()
            .skip(((page - 1) * size) as usize)
            .take(size as usize)
            .map(|o| o.record.clone())
            .collect();
        let mut body =
            json!({"maxErgebnisse": hits.len(), "page": page, "size": size, "facetten": {}});
        if !records.is_empty() {
            body["stellenangebote"] = Value::Array(records);
        }
        Ok(json(200, &body))
    }
}

fn bad_input() -> ResponseTemplate {
    json(
        400,
        &json!({"messages": [{"code": "EINGABEPARAMETER_FEHLERHAFT"}]}),
    )
}

fn int_arg(cx: &Cx<'_>, name: &str, default: i64) -> Result<i64, ResponseTemplate> {
    cx.query(name)
        .map_or(Ok(default), |v| v.trim().parse().map_err(|_| bad_input()))
}

//! The generated offers: real samples under fresh ids, with drawn creation
//! dates, départements and contract types.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::config::{Order, StandinConfig};

/// The instant `days` days ago, as the API writes dates
/// (`yyyy-MM-ddTHH:mm:ssZ`); handy for fault hooks on date windows.
pub fn api_date_days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Every département code (`referentiel/departements`).
pub const DEPARTEMENTS: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "2A", "2B", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
    "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
    "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95",
    "971", "972", "973", "974", "976",
];

/// Contract types (`referentiel/typesContrats`): code, label, share of the
/// generated offers.
pub const CONTRACT_TYPES: &[(&str, &str, f64)] = &[
    ("CDI", "Contrat à durée indéterminée", 0.55),
    ("CDD", "Contrat à durée déterminée", 0.25),
    ("MIS", "Mission intérimaire", 0.12),
    ("SAI", "Contrat travail saisonnier", 0.04),
    ("LIB", "Profession libérale", 0.015),
    ("FRA", "Franchise", 0.01),
    ("CCE", "Profession commerciale", 0.01),
    ("DDI", "CDD insertion", 0.003),
    ("DIN", "CDI intérimaire", 0.002),
    ("REP", "Reprise d'entreprise", 0.0),
    ("TTI", "Contrat travail temporaire insertion", 0.0),
];

const SEARCH_SAMPLE: &str = include_str!("../../../tests/fixtures/search-2024-07-08-6-offers.json");
const OFFER_SAMPLE: &str = include_str!("../../../tests/fixtures/offer-167GHBR-2024-01-05.json");

/// One generated offer.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub id: String,
    pub created_ms: i64,
    pub departement: Option<&'static str>,
    pub type_contrat: &'static str,
    /// The offer as the API would send it.
    pub json: String,
}

/// The generated data set.
#[derive(Debug)]
pub(crate) struct Data {
    /// In generation order.
    pub offers: Vec<Offer>,
    /// Indices, newest first.
    pub newest_first: Vec<usize>,
    /// Indices in the configured default order.
    pub default_order: Vec<usize>,
    /// When "now" is, for `publieeDepuis`.
    pub now_ms: i64,
}

fn samples() -> Vec<Value> {
    let search: Value = serde_json::from_str(SEARCH_SAMPLE).expect("the search sample is JSON");
    let mut offers = search["resultats"]
        .as_array()
        .expect("the search sample has results")
        .clone();
    offers.push(serde_json::from_str(OFFER_SAMPLE).expect("the offer sample is JSON"));
    offers
}

/// `2024-07-08T10:35:59.445Z`.
pub(crate) fn format_ms(ms: i64) -> String {
    let t: DateTime<Utc> = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

fn place(departement: Option<&str>, i: usize) -> Value {
    let Some(d) = departement else {
        return json!({"libelle": "Etranger"});
    };
    let (commune, postal) = if d.len() == 3 {
        (
            format!("{d}{:02}", i % 50 + 1),
            format!("{d}{:02}", i % 9 * 10),
        )
    } else {
        let postal_prefix = if d.starts_with('2') && !d.as_bytes()[1].is_ascii_digit() {
            "20"
        } else {
            d
        };
        (
            format!("{d}{:03}", i % 400 + 1),
            format!("{postal_prefix}{:03}", i % 9 * 10),
        )
    };
    json!({
        "libelle": format!("{d} - COMMUNE {}", i % 97),
        "commune": commune,
        "codePostal": postal,
        "latitude": 46.0 + (i % 100) as f64 / 50.0,
        "longitude": 2.0 + (i % 100) as f64 / 40.0,
    })
}

impl Data {
    /// Draws the data set `config` describes, "now" being `now_ms`.
    pub fn generate(config: &StandinConfig, now_ms: i64) -> Data {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let samples = samples();
        let span_ms = i64::try_from(config.span.as_millis())
            .unwrap_or(i64::MAX)
            .max(120_000);
        let bursts: Vec<i64> = (0..config.bursts.max(1))
            .map(|k| {
                // Imports happen on whole seconds, a few days back.
                let back =
                    span_ms / 10 + i64::from(k) * span_ms / (3 * i64::from(config.bursts.max(1)));
                (now_ms - back) / 1000 * 1000
            })
            .collect();
        let mut others: Vec<&'static str> = DEPARTEMENTS
            .iter()
            .copied()
            .filter(|d| *d != config.big_departement)
            .collect();
        others.shuffle(&mut rng);
        let weighted: Vec<(&'static str, f64)> = others
            .iter()
            .enumerate()
            .map(|(j, d)| (*d, 1.0 / ((j + 1) as f64).powf(0.8)))
            .collect();
        let big: Option<&'static str> = DEPARTEMENTS
            .iter()
            .copied()
            .find(|d| *d == config.big_departement);
        let types: Vec<(&'static str, f64)> =
            CONTRACT_TYPES.iter().map(|(c, _, w)| (*c, *w)).collect();
        let labels = |code: &str| {
            CONTRACT_TYPES
                .iter()
                .find(|(c, _, _)| *c == code)
                .map_or("", |(_, l, _)| *l)
        };

        let mut offers = Vec::with_capacity(config.offers);
        for i in 0..config.offers {
            let created_ms = if rng.random::<f64>() < config.burst_share {
                bursts[rng.random_range(0..bursts.len())]
            } else {
                now_ms - 60_000 - rng.random_range(0..span_ms)
            };
            let departement = if rng.random::<f64>() < config.no_departement_share {
                None
            } else if big.is_some() && rng.random::<f64>() < config.big_share {
                big
            } else {
                Some(*pick(&mut rng, &weighted))
            };
            let type_contrat = *pick(&mut rng, &types);
            let id = format!("S{i:06}");
            let date = format_ms(created_ms);
            let mut offer = if config.slim {
                json!({"id": id, "intitule": format!("Offre {i}")})
            } else {
                samples[i % samples.len()].clone()
            };
            let map = offer.as_object_mut().expect("an offer is an object");
            map.insert("id".into(), json!(id));
            map.insert("dateCreation".into(), json!(date));
            map.insert("dateActualisation".into(), json!(date));
            map.insert("lieuTravail".into(), place(departement, i));
            map.insert("typeContrat".into(), json!(type_contrat));
            map.insert("typeContratLibelle".into(), json!(labels(type_contrat)));
            if let Some(origin) = map.get_mut("origineOffre").and_then(Value::as_object_mut) {
                origin.insert(
                    "urlOrigine".into(),
                    json!(format!(
                        "https://candidat.francetravail.fr/offres/recherche/detail/{id}"
                    )),
                );
            }
            offers.push(Offer {
                id,
                created_ms,
                departement,
                type_contrat,
                json: offer.to_string(),
            });
        }
        Data::ordered(offers, config.order, now_ms)
    }

    /// The data set of `offers`, indexed in `order`.
    pub fn ordered(offers: Vec<Offer>, order: Order, now_ms: i64) -> Data {
        let mut newest_first: Vec<usize> = (0..offers.len()).collect();
        newest_first.sort_by(|&a, &b| {
            offers[b]
                .created_ms
                .cmp(&offers[a].created_ms)
                .then_with(|| offers[a].id.cmp(&offers[b].id))
        });
        let default_order = match order {
            Order::Generated => (0..offers.len()).collect(),
            Order::NewestFirst => newest_first.clone(),
        };
        Data {
            offers,
            newest_first,
            default_order,
            now_ms,
        }
    }
}

impl Offer {
    /// This offer under another id, created (and updated) at `created_ms`.
    pub fn copied_as(&self, id: &str, created_ms: i64) -> Offer {
        let date = format_ms(created_ms);
        Offer {
            id: id.to_string(),
            created_ms,
            json: self.edited(|map| {
                map.insert("id".into(), json!(id));
                map.insert("dateCreation".into(), json!(date));
                map.insert("dateActualisation".into(), json!(date));
            }),
            ..self.clone()
        }
    }

    /// This offer with `title` as its `intitule`, updated at `updated_ms`.
    pub fn retitled(&self, title: &str, updated_ms: i64) -> Offer {
        Offer {
            json: self.edited(|map| {
                map.insert("intitule".into(), json!(title));
                map.insert("dateActualisation".into(), json!(format_ms(updated_ms)));
            }),
            ..self.clone()
        }
    }

    fn edited(&self, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut value: Value = serde_json::from_str(&self.json).expect("a served offer is JSON");
        if let Some(map) = value.as_object_mut() {
            edit(map);
        }
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_set_has_the_awkward_cases() {
        let config = StandinConfig {
            offers: 5000,
            burst_share: 0.3,
            big_share: 0.4,
            no_departement_share: 0.01,
            ..StandinConfig::default()
        };
        let data = Data::generate(&config, 1_720_000_000_000);
        assert_eq!(data.offers.len(), 5000);
        let burst = data
            .offers
            .iter()
            .filter(|o| o.created_ms == data.offers[data.newest_first[2500]].created_ms)
            .count();
        let most_common_instant = {
            let mut counts = std::collections::HashMap::new();
            for o in &data.offers {
                *counts.entry(o.created_ms).or_insert(0) += 1;
            }
            counts.into_values().max().unwrap()
        };
        assert!(most_common_instant > 1300, "{most_common_instant}");
        assert!(burst >= 1);
        let paris = data
            .offers
            .iter()
            .filter(|o| o.departement == Some("75"))
            .count();
        assert!(paris > 1800, "{paris}");
        assert!(data.offers.iter().any(|o| o.departement.is_none()));
        assert!(
            data.offers.iter().any(|o| o.created_ms % 1000 != 0),
            "milliseconds"
        );
        let first: Value = serde_json::from_str(&data.offers[0].json).unwrap();
        assert_eq!(first["id"], "S000000");
        assert!(first["competences"].is_array(), "a whole offer");
        // Same seed, same data.
        let again = Data::generate(&config, 1_720_000_000_000);
        assert_eq!(again.offers[4999].json, data.offers[4999].json);
    }
}

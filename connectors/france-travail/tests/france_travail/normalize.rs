//! The mapping of every recorded offer.

use std::path::Path;
use std::sync::Arc;

use jobharvest_core::source::Seen;
use jobharvest_core::{Batch, JobRecord, NormalizeOptions, Registry, SourceContext, SourceStats};
use jobharvest_france_travail::normalize::normalize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::support::{sample_offer, sample_offers};

fn record(id: &str, personal: bool) -> JobRecord {
    normalize(
        &sample_offer(id),
        &NormalizeOptions::with_personal_data(personal),
    )
    .unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every recorded offer, normalized without personal data. `raw` is checked
/// by the tests below, so it is left out of the snapshots.
#[test]
fn snapshots_of_every_sample_offer() {
    for raw in sample_offers() {
        let mut record = normalize(&raw, &NormalizeOptions::default()).unwrap();
        record.raw = None;
        let name = format!("offer_{}", record.source_id);
        insta::assert_yaml_snapshot!(name, record);
    }
}

#[test]
fn every_skill_is_kept_in_order() {
    let r = record("177NMLT", false);
    assert_eq!(r.skills.len(), 8);
    assert_eq!(
        r.skills.first().map(String::as_str),
        Some("Techniques de communication orales, écrites et numériques")
    );
    assert_eq!(
        r.skills.last().map(String::as_str),
        Some("Réaliser une analyse statistique")
    );
    // Skills without a code are kept too.
    let r = record("177NMLP", false);
    assert_eq!(r.skills.len(), 9);
    assert!(r.skills.contains(&"Travail en grande hauteur".to_string()));
    assert_eq!(r.driving_licences, strings(&["B - Véhicule léger"]));
}

#[test]
fn absent_fields_are_nulls() {
    let r = record("177NMLT", false);
    // `entreprise` holds only `entrepriseAdaptee`; the salary only a comment.
    assert_eq!(r.company_name, None);
    assert_eq!(r.company_adapted, Some(false));
    assert_eq!(r.salary_label, None);
    assert_eq!(
        (r.salary_min, r.salary_max, r.salary_period),
        (None, None, None)
    );
    assert_eq!(
        r.salary_comment.as_deref(),
        Some("Package avec bonus et intéressement")
    );
    assert_eq!(r.salary_extras, strings(&["Autre"]));
    assert_eq!(r.positions, None);
    assert_eq!(r.apply_url, None);
    assert!(r.education.is_empty() && r.driving_licences.is_empty());
    assert_eq!(r.languages, strings(&["Anglais", "Français"]));
    for record in sample_offers()
        .iter()
        .map(|raw| normalize(raw, &NormalizeOptions::default()).unwrap())
    {
        for cell in record.cells() {
            if let jobharvest_core::Cell::Text(t) = cell {
                assert!(!t.is_empty() && t != "None", "{}: {t:?}", record.source_id);
            }
        }
    }
}

#[test]
fn salaries_are_parsed() {
    let cases = [
        ("177NMLS", 2275.0, 3033.0, "monthly"),
        ("177NMLR", 11.65, 11.65, "hourly"),
        ("177NMLQ", 1790.0, 1790.0, "monthly"),
        ("177NMLP", 2000.0, 2000.0, "monthly"),
        ("177NMLN", 25000.0, 30000.0, "yearly"),
        ("167GHBR", 12.0, 12.0, "hourly"),
    ];
    for (id, min, max, period) in cases {
        let r = record(id, false);
        assert_eq!(r.salary_min, Some(min), "{id}");
        assert_eq!(r.salary_max, Some(max), "{id}");
        assert_eq!(r.salary_period.as_deref(), Some(period), "{id}");
    }
    assert_eq!(
        record("177NMLQ", false).salary_extras,
        strings(&["Primes", "CE"])
    );
}

#[test]
fn places_dates_and_links() {
    let r = record("167GHBR", false);
    assert_eq!(
        r.location_label.as_deref(),
        Some("27 - ST MARDS DE BLACARVILLE")
    );
    assert_eq!(r.postal_code.as_deref(), Some("27500"));
    assert_eq!(r.commune_code.as_deref(), Some("27563"));
    assert_eq!(r.department_code.as_deref(), Some("27"));
    assert_eq!((r.latitude, r.longitude), (Some(49.374514), Some(0.510695)));
    assert_eq!(
        r.created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-01-05T19:15:07+00:00")
    );
    assert_eq!(
        r.url.as_deref(),
        Some("https://candidat.pole-emploi.fr/offres/recherche/detail/167GHBR")
    );
    assert!(
        r.apply_url
            .as_deref()
            .unwrap()
            .starts_with("https://tnl2.jometer.com/")
    );
    assert_eq!(r.origin.as_deref(), Some("france_travail"));
    let r = record("177NMLT", false);
    assert_eq!(
        r.updated_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-07-08T10:36:00.041+00:00")
    );
    // The link inside `contact.courriel` is the way to apply.
    let r = record("177NMLR", false);
    assert_eq!(
        r.apply_url.as_deref(),
        Some("https://candidat.francetravail.fr/offres/recherche/detail/177NMLR")
    );
    assert_eq!(
        r.education,
        strings(&["CAP, BEP et équivalents — santé — Diplôme Assistant de Vie (S)"])
    );
    assert_eq!(r.soft_skills.len(), 3);
}

const PERSONAL: [&str; 5] = [
    "nom",
    "telephone",
    "coordonnees1",
    "coordonnees2",
    "coordonnees3",
];

#[test]
fn personal_data_is_absent_by_default() {
    for raw in sample_offers() {
        let r = normalize(&raw, &NormalizeOptions::default()).unwrap();
        assert_eq!(
            (&r.contact_name, &r.contact_phone, &r.contact_details),
            (&None, &None, &None),
            "{}",
            r.source_id
        );
        let kept: Value = serde_json::from_str(r.raw.as_deref().unwrap()).unwrap();
        for key in PERSONAL {
            assert!(kept["contact"].get(key).is_none(), "{}: {key}", r.source_id);
        }
        // Everything else of the payload is still there.
        let mut expected: Value = serde_json::from_str(&raw).unwrap();
        if let Some(contact) = expected.get_mut("contact").and_then(Value::as_object_mut) {
            contact.retain(|k, v| {
                let personal = PERSONAL.contains(&k.as_str())
                    || (k == "courriel" && v.as_str().is_some_and(|m| !m.contains(' ')));
                !personal
            });
        }
        assert_eq!(kept, expected, "{}", r.source_id);
    }
    let raw = record("177NMLR", false).raw.unwrap();
    assert!(!raw.contains("OLIVIA"), "{raw}");
    // A `courriel` holding a sentence with a link is not personal: kept.
    assert!(raw.contains("\"courriel\":\"Pour postuler"), "{raw}");
    // Offers without personal data keep their payload as it came.
    assert_eq!(
        record("177NMLT", false).raw.as_deref(),
        Some(sample_offer("177NMLT").as_str())
    );
}

#[test]
fn personal_data_is_present_when_asked() {
    let r = record("177NMLR", true);
    assert_eq!(
        r.contact_name.as_deref(),
        Some("BONJOURS Présence 30 - Mme OLIVIA PEREZ")
    );
    assert!(r.raw.as_deref().unwrap().contains("OLIVIA"));
    assert_eq!(r.raw.as_deref(), Some(sample_offer("177NMLR").as_str()));
    let r = record("177NMLQ", true);
    assert_eq!(
        r.contact_details.as_deref(),
        Some(
            "42 AV ARISTIDE BRIAND\n92161 Antony\nPour postuler, utiliser le lien suivant : https://candidat.francetravail.fr/offres/recherche/detail/177NMLQ"
        )
    );
    assert_eq!(r.contact_phone, None);
}

/// The normalizer registered by `register` serves the `replay` source.
#[tokio::test]
async fn replay_uses_the_same_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = sample_offers()
        .iter()
        .map(|o| serde_json::to_string(&serde_json::from_str::<Value>(o).unwrap()).unwrap())
        .collect();
    std::fs::write(dir.path().join("raw.jsonl"), lines.join("\n")).unwrap();
    let mut registry = Registry::new();
    jobharvest_core::register(&mut registry);
    jobharvest_france_travail::register(&mut registry);
    let built = registry
        .build_source(
            serde_json::json!({"type": "replay", "connector": "france_travail", "path": "raw.jsonl"}),
            "sources[0]",
            Path::new(dir.path()),
        )
        .unwrap();
    let (tx, mut rx) = mpsc::channel::<Batch>(4);
    let cx = SourceContext::new(
        "replay",
        tx,
        Arc::new(SourceStats::new()),
        Arc::new(Seen::default()),
        None,
    );
    let task = tokio::spawn(built.source.run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    task.await.unwrap().unwrap();
    assert_eq!(records.len(), 7);
    let live = record("177NMLS", false);
    let replayed = records.iter().find(|r| r.source_id == "177NMLS").unwrap();
    assert_eq!(replayed.salary_max, live.salary_max);
    assert_eq!(replayed.skills, live.skills);
    assert_eq!(replayed.contact_name, None);
}

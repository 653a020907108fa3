//! A France Travail harvest against a local stand-in, YAML and TOML specs,
//! read back from all three formats.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::Value;

use crate::support::*;

const OK_ENV: [(&str, &str); 2] = [
    ("FT_CLIENT_ID", "my-app"),
    ("FT_CLIENT_SECRET", "right-secret"),
];

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn yaml_spec(s: &StandIn) -> String {
    format!(
        "sources:\n  - type: france_travail\n    params: {{ motsCles: \"data analyst\", departement: \"78\" }}\n    token_url: {}\n    api_url: {}\nsinks:\n  - {{ type: csv, path: out/offres.csv }}\n  - {{ type: xlsx, path: out/offres.xlsx }}\n  - {{ type: parquet, path: out/offres.parquet }}\n",
        s.token_url(),
        s.api_url()
    )
}

fn toml_spec(s: &StandIn) -> String {
    format!(
        "[[sources]]\ntype = \"france_travail\"\nparams = {{ motsCles = \"data analyst\", departement = \"78\" }}\ntoken_url = \"{}\"\napi_url = \"{}\"\n\n[[sinks]]\ntype = \"csv\"\npath = \"out/offres.csv\"\n\n[[sinks]]\ntype = \"xlsx\"\npath = \"out/offres.xlsx\"\n\n[[sinks]]\ntype = \"parquet\"\npath = \"out/offres.parquet\"\n",
        s.token_url(),
        s.api_url()
    )
}

async fn harvest(spec_name: &str, spec: impl Fn(&StandIn) -> String) {
    let offers = generated_offers(320);
    let stand_in = StandIn::start(offers.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(spec_name), spec(&stand_in)).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), spec_name.into()],
        env(&OK_ENV),
    )
    .await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Harvested 320 offers"), "{err}");
    assert!(
        !err.contains("right-secret") && !err.contains("tok-1"),
        "secret leaked: {err}"
    );
    assert_eq!(
        stand_in.search_calls.load(Ordering::SeqCst),
        3,
        "320 offers = 3 pages of 150"
    );

    let by_id: HashMap<String, &Value> = offers
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_string(), o))
        .collect();

    // Parquet: typed, every offer once, every skill kept.
    let rows = read_parquet(&dir.path().join("out/offres.parquet"));
    assert_eq!(rows.len(), 320);
    let mut seen = std::collections::HashSet::new();
    for row in &rows {
        let id = row["source_id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "{id} twice");
        let offer = by_id[id];
        let skills: Vec<String> = row["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().into())
            .collect();
        assert_eq!(skills, skills_of(offer), "{id}");
        assert_eq!(row["title"], offer["intitule"]);
        assert_eq!(row["latitude"], offer["lieuTravail"]["latitude"]);
        assert_eq!(row["commune_code"], offer["lieuTravail"]["commune"]);
        let company = offer["entreprise"]["nom"].clone();
        assert_eq!(row["company_name"], company, "{id}: missing name is a null");
        assert_eq!(row["salary_label"], offer["salaire"]["libelle"]);
        assert!(
            row["contact_name"].is_null() && row["contact_phone"].is_null(),
            "no personal data by default"
        );
    }

    // CSV: same ids, nulls as empty cells, no "None".
    let csv_rows = read_csv(&dir.path().join("out/offres.csv"), b',');
    assert_eq!(csv_rows.len(), 320);
    for r in &csv_rows {
        let offer = by_id[&r["source_id"]];
        assert_eq!(r["skills"], skills_of(offer).join(" | "));
        assert!(r.values().all(|v| v != "None"));
        if offer["lieuTravail"].get("latitude").is_none() {
            assert_eq!(r["latitude"], "");
        }
    }

    // Excel: header, one row per offer, numbers as numbers.
    let mut wb: Xlsx<_> = open_workbook(dir.path().join("out/offres.xlsx")).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(sheet.height(), 321);
    let lat = col("latitude");
    let numeric = sheet
        .rows()
        .skip(1)
        .filter(|r| matches!(r[lat], Data::Float(_)))
        .count();
    let expected = offers
        .iter()
        .filter(|o| o["lieuTravail"].get("latitude").is_some())
        .count();
    assert_eq!(numeric, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn yaml_spec_harvests_into_three_formats() {
    harvest("job.yaml", yaml_spec).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn toml_spec_harvests_into_three_formats() {
    harvest("job.toml", toml_spec).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_clearly_and_write_nothing() {
    let stand_in = StandIn::start(generated_offers(5)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), yaml_spec(&stand_in)).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        env(&[
            ("FT_CLIENT_ID", "my-app"),
            ("FT_CLIENT_SECRET", "wrong-secret-123"),
        ]),
    )
    .await;
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("FT_CLIENT_SECRET"), "the fix is named: {err}");
    assert!(!err.contains("wrong-secret-123"), "secret leaked: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.path().join("out/offres.csv").exists());
    assert!(!dir.path().join("out/offres.parquet").exists());
    assert_eq!(stand_in.search_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_match_writes_empty_outputs() {
    let stand_in = StandIn::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), yaml_spec(&stand_in)).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        env(&OK_ENV),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        read_parquet(&dir.path().join("out/offres.parquet")).len(),
        0
    );
    assert_eq!(read_csv(&dir.path().join("out/offres.csv"), b',').len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_outputs_replace_the_spec_sinks_and_limit_stops_early() {
    let stand_in = StandIn::start(generated_offers(400)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), yaml_spec(&stand_in)).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        [
            "run",
            "job.yaml",
            "--limit",
            "160",
            "--sink",
            "csv:semi.txt",
            "-o",
            "x.parquet",
        ]
        .map(String::from)
        .to_vec(),
        env(&OK_ENV),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_csv(&dir.path().join("semi.txt"), b',').len(), 160);
    assert_eq!(read_parquet(&dir.path().join("x.parquet")).len(), 160);
    assert!(
        !dir.path().join("out").exists(),
        "the spec's sinks were replaced"
    );
    assert_eq!(stand_in.search_calls.load(Ordering::SeqCst), 2);
}

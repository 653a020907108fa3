//! One spec, three boards: France Travail, Adzuna and Arbeitnow sources,
//! each pointed at its stand-in, written into one Parquet file through the
//! binary. Each board's quirks must survive the trip: Adzuna's predicted
//! salaries flagged and its per-minute quota kept, Arbeitnow's Unix seconds
//! turned into UTC instants and its HTML into text.

use std::collections::HashMap;

use jobharvest_standin::{
    AdzunaStandin, AdzunaStandinConfig, ArbeitnowStandin, ArbeitnowStandinConfig, Standin,
    StandinConfig,
};
use serde_json::Value;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn three_boards_land_in_one_parquet_file() {
    let ft = Standin::start(StandinConfig {
        offers: 30,
        rate_limit_per_sec: Some(100),
        ..StandinConfig::default()
    })
    .await;
    let adzuna = AdzunaStandin::start(AdzunaStandinConfig::default()).await;
    let arbeitnow = ArbeitnowStandin::start(ArbeitnowStandinConfig {
        pages: 3,
        per_page: 20,
        port: 0,
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "sources:
  - type: france_travail
    api_url: {}
    token_url: {}
    client_id: test-app
    client_secret: test-secret
    rate_limit_per_sec: 100
  - type: adzuna
    base_url: {}
    app_id: standin-app
    app_key: standin-key
    rate_limit_per_sec: 50
    quota: {{ budget_file: budgets.json }}
  - type: arbeitnow
    base_url: {}/api
    rate_limit_per_sec: 50
sinks:
  - {{ type: parquet, path: out/all.parquet, include_raw: true }}
",
        ft.api_url(),
        ft.token_url(),
        adzuna.base_url(),
        arbeitnow.base_url(),
    );
    std::fs::write(dir.path().join("job.yaml"), spec).unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["run".into(), "job.yaml".into()],
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("standin-key"),
        "the Adzuna key is never printed"
    );

    let rows = read_parquet(&dir.path().join("out/all.parquet"));
    let mut per_source: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *per_source
            .entry(row["source"].as_str().unwrap())
            .or_default() += 1;
        for column in ["source_id", "title", "created_at", "url"] {
            assert!(!row[column].is_null(), "{column} empty in {row:?}");
        }
    }
    assert_eq!(per_source["france_travail"], 30);
    assert_eq!(per_source["adzuna"], 120);
    assert_eq!(per_source["arbeitnow"], 60);

    let adzuna_rows: Vec<_> = rows.iter().filter(|r| r["source"] == "adzuna").collect();
    for (row, offer) in adzuna_rows.iter().zip(adzuna.offers()) {
        assert_eq!(row["source_id"], offer["id"]);
        assert_eq!(row["attribution"], "Jobs by Adzuna");
        let predicted = match offer.get("salary_min") {
            Some(_) => Value::Bool(offer["salary_is_predicted"] == "1"),
            None => Value::Null,
        };
        assert_eq!(row["salary_predicted"], predicted, "{}", offer["id"]);
    }
    assert_eq!(adzuna.counters().rate_limited, 0, "Adzuna's quota kept");

    let arbeitnow_rows: Vec<_> = rows.iter().filter(|r| r["source"] == "arbeitnow").collect();
    for (row, offer) in arbeitnow_rows.iter().zip(arbeitnow.offers()) {
        assert_eq!(row["source_id"], offer["slug"]);
        let micros = offer["created_at"].as_i64().unwrap() * 1_000_000;
        assert_eq!(row["created_at"].as_i64(), Some(micros));
        let text = row["description"].as_str().unwrap();
        assert!(
            !text.contains('<') && text.contains("- Rust & Python"),
            "{text}"
        );
        assert!(row["raw"].as_str().unwrap().contains("<li>"));
        assert_eq!(row["remote"], offer["remote"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_adzuna_budget_stops_the_run_cleanly() {
    let adzuna = AdzunaStandin::start(AdzunaStandinConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "sources:
  - type: adzuna
    base_url: {}
    quota: {{ per_day: 2, budget_file: budgets.json }}
sinks:
  - {{ type: csv, path: out/adzuna.csv }}
",
        adzuna.base_url(),
    );
    std::fs::write(dir.path().join("job.yaml"), spec).unwrap();
    let env = vec![
        ("ADZUNA_APP_ID".to_string(), "standin-app".to_string()),
        ("ADZUNA_APP_KEY".to_string(), "standin-key".to_string()),
    ];
    let run = || {
        jobharvest_async(
            dir.path().to_path_buf(),
            vec![
                "run".into(),
                "job.yaml".into(),
                "--limit".into(),
                "50".into(),
            ],
            env.clone(),
        )
    };
    for _ in 0..2 {
        let out = run().await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    std::fs::remove_file(dir.path().join("out/adzuna.csv")).unwrap();
    let out = run().await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("0 of the daily budget of 2 requests left"),
        "{err}"
    );
    assert!(err.contains("resets at"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("standin-key"),
        "{err}"
    );
    assert!(
        !dir.path().join("out/adzuna.csv").exists(),
        "no output written"
    );
    assert_eq!(adzuna.counters().requests, 2);
}

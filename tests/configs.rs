//! Every example spec in `config/` validates (vector's CI does the same).

use crate::support::*;

#[test]
fn every_example_spec_validates() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("config")).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "yaml" | "yml" | "toml") {
            continue;
        }
        let out = jobharvest(
            &repo(),
            &["validate", path.to_str().unwrap()],
            &[
                ("FT_CLIENT_ID", "id"),
                ("FT_CLIENT_SECRET", "secret"),
                ("ADZUNA_APP_ID", "id"),
                ("ADZUNA_APP_KEY", "key"),
                (
                    "DATABASE_URL",
                    "postgresql://jobharvest:secret@127.0.0.1:5432/jobharvest",
                ),
            ],
        );
        assert!(out.status.success(), "{}: {}", path.display(), stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
        checked += 1;
    }
    assert!(checked >= 3, "found only {checked} example specs");
}

#[test]
fn connectors_lists_every_type() {
    let out = jobharvest(&repo(), &["connectors"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for t in [
        "france_travail",
        "replay",
        "csv",
        "xlsx",
        "parquet",
        "adzuna",
        "arbeitnow",
        "sqlite",
        "postgres",
        "report",
    ] {
        assert!(text.contains(t), "missing {t} in:\n{text}");
    }
    assert!(text.contains("results per query: 3150"), "{text}");
}

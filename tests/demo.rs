//! The offline demo: the README's first command, and the replay source.

use std::collections::HashSet;

use crate::support::*;

#[test]
fn demo_spec_writes_every_offer_to_three_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, xlsx, pq) = (
        dir.path().join("d.csv"),
        dir.path().join("d.xlsx"),
        dir.path().join("d.parquet"),
    );
    let out = jobharvest(
        &repo(),
        &[
            "run",
            "config/demo.yaml",
            "-o",
            csv.to_str().unwrap(),
            "-o",
            xlsx.to_str().unwrap(),
            "-o",
            pq.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Harvested 7 offers"),
        "{}",
        stderr(&out)
    );

    let offers = sample_offers();
    let ids: HashSet<String> = offers
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();

    let rows = read_parquet(&pq);
    assert_eq!(rows.len(), offers.len());
    let got: HashSet<String> = rows
        .iter()
        .map(|r| r["source_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ids);
    for offer in &offers {
        let id = offer["id"].as_str().unwrap();
        let row = rows.iter().find(|r| r["source_id"] == id).unwrap();
        let skills: Vec<String> = row["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        assert_eq!(skills, skills_of(offer), "every skill of {id}, in order");
        assert_eq!(row["title"], offer["intitule"]);
        assert_eq!(row["source"], "france_travail");
    }

    let csv_rows = read_csv(&csv, b',');
    assert_eq!(csv_rows.len(), offers.len());
    assert!(
        csv_rows.iter().all(|r| r.values().all(|v| v != "None")),
        "no \"None\" text"
    );
    assert!(xlsx.metadata().unwrap().len() > 0);
}

#[test]
fn replay_of_gzipped_file_with_limit() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("offres.jsonl.gz");
    {
        use std::io::Write;
        let mut enc = flate2_writer(&gz);
        for o in generated_offers(40) {
            writeln!(enc, "{o}").unwrap();
        }
    }
    std::fs::write(
        dir.path().join("job.yaml"),
        "sources:\n  - { type: replay, connector: france_travail, path: offres.jsonl.gz }\nsinks:\n  - { type: parquet, path: out/o.parquet }\n",
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml", "--limit", "25"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_parquet(&dir.path().join("out/o.parquet")).len(), 25);
}

fn flate2_writer(path: &std::path::Path) -> impl std::io::Write {
    flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    )
}

/// A Parquet output is an archive: replaying its `raw` column gives the
/// same rows as replaying the JSON lines it was written from.
#[test]
fn replay_reads_a_parquet_archive_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for o in sample_offers().into_iter().chain(generated_offers(300)) {
        lines.push_str(&format!("{o}\n"));
    }
    std::fs::write(dir.path().join("offres.jsonl"), lines).unwrap();
    std::fs::write(
        dir.path().join("first.yaml"),
        "sources:\n  - { type: replay, connector: france_travail, path: offres.jsonl }\nsinks:\n  - { type: parquet, path: archive.parquet, max_row_group_rows: 100, include_raw: true }\n  - { type: csv, path: first.csv }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("again.yaml"),
        "sources:\n  - { type: replay, connector: france_travail, path: archive.parquet }\nsinks:\n  - { type: csv, path: again.csv }\n",
    )
    .unwrap();
    for spec in ["first.yaml", "again.yaml"] {
        let out = jobharvest(dir.path(), &["run", spec], &[]);
        assert!(out.status.success(), "{spec}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Harvested 307 offers"),
            "{spec}: {}",
            stderr(&out)
        );
    }
    let first = std::fs::read(dir.path().join("first.csv")).unwrap();
    let again = std::fs::read(dir.path().join("again.csv")).unwrap();
    assert!(first.len() > 10_000);
    assert!(first == again, "the replayed archive gives other rows");

    // Another board's connector finds none of these payloads.
    std::fs::write(
        dir.path().join("other.yaml"),
        "sources:\n  - { type: replay, connector: adzuna, path: archive.parquet }\nsinks:\n  - { type: csv, path: other.csv }\n",
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "other.yaml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Harvested 0 offers"), "{err}");
    assert_eq!(
        err.matches("check the replay's `connector`").count(),
        1,
        "{err}"
    );
}

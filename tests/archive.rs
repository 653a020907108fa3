//! The raw archive: the `jsonl` sink writes what `replay` reads back.

use std::io::Read;
use std::path::Path;

use crate::support::*;

/// The lines of a gzipped JSON-lines file.
fn gunzipped_lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(String::from).collect()
}

/// `path` as a YAML string (the `{source}` placeholder would open a map
/// in a plain scalar).
fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).unwrap()
}

/// Runs `spec` (written to `dir/name`) and returns stderr, asserting
/// success.
fn run_ok(dir: &Path, name: &str, spec: &str) -> String {
    std::fs::write(dir.join(name), spec).unwrap();
    let out = jobharvest(dir, &["run", name], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{name}: {err}");
    err
}

/// The demo's recorded offers, archived by a harvest and replayed from the
/// archive, give the same CSV byte for byte: the archive kept every payload
/// the mapping needs.
#[test]
fn demo_offers_replayed_from_a_gzipped_archive_give_the_same_csv() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("config/demo/offres.jsonl");
    let err = run_ok(
        dir.path(),
        "harvest.yaml",
        &format!(
            "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\nsinks:\n  - type: jsonl\n    path: \"archive/{{source}}.jsonl.gz\"\n  - {{ type: csv, path: harvested.csv }}\n",
            quoted(&demo)
        ),
    );
    assert!(err.contains("Harvested 7 offers"), "{err}");
    assert!(
        err.contains("sink jsonl -> archive/{source}.jsonl.gz: 7 rows"),
        "{err}"
    );

    let archive = dir.path().join("archive/france_travail.jsonl.gz");
    let demo_lines = std::fs::read_to_string(&demo).unwrap().lines().count();
    assert_eq!(gunzipped_lines(&archive).len(), demo_lines);
    assert_eq!(
        std::fs::read_dir(dir.path().join("archive"))
            .unwrap()
            .count(),
        1,
        "one board, one file, no temporary file"
    );

    let err = run_ok(
        dir.path(),
        "replay.yaml",
        &format!(
            "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\nsinks:\n  - {{ type: csv, path: replayed.csv }}\n",
            quoted(&archive)
        ),
    );
    assert!(err.contains("Harvested 7 offers"), "{err}");
    let harvested = std::fs::read(dir.path().join("harvested.csv")).unwrap();
    let replayed = std::fs::read(dir.path().join("replayed.csv")).unwrap();
    assert!(harvested.len() > 5_000, "{} bytes", harvested.len());
    assert!(harvested == replayed, "the archive replays into other rows");
}

/// Two Arbeitnow offers (only what the mapping requires), to mix boards.
const ARBEITNOW: &str = "{\"slug\": \"rust-dev-berlin-1\", \"title\": \"Rust developer\"}\n{\"slug\": \"data-engineer-hamburg-2\", \"title\": \"Data engineer\"}\n";

/// A harvest of two boards: one archive per board with `{source}`, and a
/// refusal naming the fix, with no file left, without it.
#[test]
fn two_boards_need_the_source_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("arbeitnow.jsonl"), ARBEITNOW).unwrap();
    let spec = |path: &str| {
        format!(
            "sources:\n  - {{ type: replay, name: ft, connector: france_travail, path: {} }}\n  - {{ type: replay, name: an, connector: arbeitnow, path: arbeitnow.jsonl }}\nsinks:\n  - type: jsonl\n    path: \"{path}\"\n",
            quoted(&repo().join("config/demo/offres.jsonl"))
        )
    };

    std::fs::write(dir.path().join("mixed.yaml"), spec("archive/all.jsonl.gz")).unwrap();
    let out = jobharvest(dir.path(), &["run", "mixed.yaml"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("put {source} in path"), "{err}");
    assert!(err.contains("archive/all-{source}.jsonl.gz"), "{err}");
    assert!(
        err.contains("`france_travail`") && err.contains("`arbeitnow`"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("archive"))
            .unwrap()
            .count(),
        0,
        "a refused archive leaves no file"
    );

    let err = run_ok(dir.path(), "split.yaml", &spec("archive/{source}.jsonl.gz"));
    assert!(err.contains("Harvested 9 offers"), "{err}");
    let lines =
        |board: &str| gunzipped_lines(&dir.path().join(format!("archive/{board}.jsonl.gz")));
    assert_eq!(lines("france_travail").len(), 7);
    let ours = lines("arbeitnow");
    assert_eq!(ours.len(), 2);
    assert!(ours[1].contains("data-engineer-hamburg-2"), "{ours:?}");
}

#[test]
fn connectors_lists_the_jsonl_sink_and_its_extensions() {
    let out = jobharvest(&repo(), &["connectors"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("jsonl "))
        .unwrap_or_else(|| panic!("no jsonl sink in:\n{text}"));
    assert!(line.contains("(.jsonl, .ndjson)"), "{line}");
}

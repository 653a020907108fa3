//! Property tests of the core's parsers of outside input: the spec loader
//! with its `${VAR}` references, and the replay reader. They assert
//! invariants, not just "no panic".
//!
//! `PROPTEST_CASES=5000 cargo test -p jobharvest-core --test properties`
//! runs longer; the default keeps the suite fast.

use std::sync::Arc;

use jobharvest_core::source::Seen;
use jobharvest_core::{
    Batch, Error, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Registry, SourceContext,
    SourceStats, spec,
};
use proptest::prelude::*;
use serde_json::Value;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// A spec-like document: YAML keys, flow maps and lists, references and
/// noise.
fn spec_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("sources:\n".to_string()),
        Just("  - type: replay\n".to_string()),
        Just("    connector: t\n".to_string()),
        Just("    path: in.jsonl\n".to_string()),
        Just("sinks: [{type: csv, path: out.csv}]\n".to_string()),
        Just("mode: mirror\n".to_string()),
        Just("lookback: 2d\n".to_string()),
        Just("boards: [x.yaml]\n".to_string()),
        Just("${HOME}".to_string()),
        Just("${NOT_SET_ANYWHERE_42}".to_string()),
        Just("${X:-fallback}".to_string()),
        Just("$${".to_string()),
        Just("${".to_string()),
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just("\n".to_string()),
        Just("{".to_string()),
        Just("]".to_string()),
        "[a-z_]{1,8}".prop_map(|s| s.to_string()),
        "[ -~]{0,10}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Any document gives a spec or a configuration error, never a panic;
    /// an error names no more than the spec (one paragraph).
    #[test]
    fn the_spec_loader_answers_any_document_with_a_spec_or_an_error(text in spec_text(), toml in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if toml { "job.toml" } else { "job.yaml" });
        std::fs::write(&path, &text).unwrap();
        match spec::load(&path) {
            Ok(loaded) => prop_assert!(!loaded.raw.sources.is_empty()),
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Config);
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// Text without `$` comes out of `${VAR}` interpolation as it went in;
    /// a default stands in for an unset variable.
    #[test]
    fn interpolation_keeps_plain_text_and_fills_defaults(value in "[a-zA-Z0-9 ._/-]{0,30}", fallback in "[a-z0-9]{0,10}") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.yaml");
        let text = format!(
            "sources:\n  - type: replay\n    name: \"{value}\"\n    path: \"${{NOT_SET_ANYWHERE_42:-{fallback}}}\"\n"
        );
        std::fs::write(&path, text).unwrap();
        let loaded = spec::load(&path).unwrap();
        let source = &loaded.raw.sources[0];
        prop_assert_eq!(source["name"].as_str(), Some(value.as_str()));
        prop_assert_eq!(source["path"].as_str(), Some(fallback.as_str()));
    }
}

/// A normalizer that reads `{"id": ...}` offers and refuses the rest.
struct Ids;

impl Normalizer for Ids {
    fn normalize(&self, raw: &str, _: &NormalizeOptions) -> jobharvest_core::Result<JobRecord> {
        let v: Value = serde_json::from_str(raw)
            .map_err(|e| Error::new(ErrorKind::Parse, format!("not JSON: {e}")))?;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::new(ErrorKind::Parse, "no id"))?;
        Ok(JobRecord::new("t", id))
    }
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,8}".prop_map(|id| format!("{{\"id\":\"{id}\"}}")),
        "[ -~]{1,30}".prop_filter("not blank", |s| !s.trim().is_empty()),
        Just("{\"id\": 12}".to_string()),
        Just("[1, 2".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases().min(32)))]

    /// Every line of a replay either becomes a record or is counted as
    /// skipped (and copied to the side file): none is lost.
    #[test]
    fn every_replayed_line_maps_or_is_reported(lines in prop::collection::vec(line(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.jsonl"), lines.join("\n")).unwrap();
        let mut registry = Registry::new();
        jobharvest_core::register(&mut registry);
        registry.register_normalizer("t", Arc::new(Ids));
        let entry = serde_json::json!({"type": "replay", "connector": "t", "path": "in.jsonl", "on_error": "skip"});
        let source = registry.build_source(entry, "sources[0]", dir.path()).unwrap().source;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (records, stats, result) = rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(16);
            let stats = Arc::new(SourceStats::new());
            let cx = SourceContext::new("replay", tx, Arc::clone(&stats), Arc::new(Seen::default()), None);
            let task = tokio::spawn(source.run(cx));
            let mut records = Vec::new();
            while let Some(b) = rx.recv().await {
                records.extend(b.iter().cloned());
            }
            (records, stats, task.await.unwrap())
        });
        prop_assert!(result.is_ok(), "{:?}", result);
        let ids: Vec<String> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v.get("id").and_then(Value::as_str).map(String::from))
            .collect();
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        let skipped = SourceStats::get(&stats.skipped);
        let duplicates = SourceStats::get(&stats.duplicates);
        prop_assert_eq!(records.len(), unique.len());
        prop_assert_eq!(records.len() as u64 + duplicates + skipped, lines.len() as u64);
        let side = dir.path().join("in.jsonl.skipped.jsonl");
        let copied = std::fs::read_to_string(&side).map(|t| t.lines().count()).unwrap_or(0);
        prop_assert_eq!(copied as u64, skipped, "skipped lines are copied aside");
    }
}

//! What the board tests share: the shipped definitions in a registry,
//! building a source as a run builds it, and running it to the end.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jobharvest_core::http::HttpSettings;
use jobharvest_core::{Batch, JobRecord, Registry, Result, Source, SourceContext, SourceStats};
use serde_json::Value;
use tokio::sync::mpsc;

/// The shipped boards, registered as the binary registers them.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_core::register(&mut r);
    jobharvest_declarative::register(&mut r);
    r
}

/// Short retry delays and no pacing to speak of.
pub fn fast() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50))
        .with_max_retry_after(Duration::from_secs(2))
}

/// A source of `entry` (a spec's source entry, with `type`) built through
/// the registry, as `jobharvest run` builds it.
pub fn build(entry: Value) -> Result<Box<dyn Source>> {
    registry()
        .build_source(entry, "sources[0]", Path::new("."))
        .map(|b| b.source)
}

/// The path of a recorded answer under `boards/fixtures/`.
pub fn fixture(path: &str) -> String {
    let full = format!(
        "{}/../../boards/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Runs `source` to the end; the records it emitted, its counters, and
/// how it ended.
pub async fn harvest(
    source: Box<dyn Source>,
    limit: Option<u64>,
) -> (Vec<JobRecord>, Arc<SourceStats>, Result<()>) {
    let (tx, mut rx) = mpsc::channel::<Batch>(64);
    let stats = Arc::new(SourceStats::new());
    let cx = SourceContext::new("board", tx, Arc::clone(&stats), Arc::default(), limit);
    let task = tokio::spawn(source.run(cx));
    let mut records = Vec::new();
    while let Some(batch) = rx.recv().await {
        records.extend(batch.iter().cloned());
    }
    let result = task.await.unwrap();
    (records, stats, result)
}

//! Micro-benchmarks of the hot paths, so a regression shows in a pull
//! request: parsing and normalizing raw offers, and each sink's batch write.
//!
//! Run with `cargo bench -p jobharvest-bench`. Parsing and normalizing
//! are timed in CPU time of the benchmarking thread ([`ThreadCpuTime`]),
//! so that other work on the machine does not blur them; sinks in wall
//! time (they write files).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::measurement::Measurement;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use jobharvest_bench::ThreadCpuTime;
use jobharvest_core::testkit::Generator;
use jobharvest_core::{JobRecord, NormalizeOptions, Registry, SinkContext};
use serde_json::Value;

/// The real recorded offers, as raw JSON lines.
fn raw_offers() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo/offres.jsonl");
    std::fs::read_to_string(path)
        .expect("config/demo/offres.jsonl")
        .lines()
        .map(String::from)
        .collect()
}

fn normalize(c: &mut Criterion<ThreadCpuTime>) {
    let offers = raw_offers();
    let bytes: usize = offers.iter().map(String::len).sum();
    let mut group = c.benchmark_group("france_travail");
    group.throughput(Throughput::Bytes(bytes as u64));
    parse_and_normalize(&mut group, &offers);
    group.finish();
}

/// Realistic offers made by `gen_offers.py` (nested objects present, partial
/// or missing, long descriptions, several skills), as raw JSON lines; `None`
/// when `python3` cannot run it.
fn generated_offers(count: usize) -> Option<Vec<String>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("gen_offers.py");
    let dir = tempfile::tempdir().ok()?;
    let out = dir.path().join("offers.jsonl");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(count.to_string())
        .arg(&out)
        .status()
        .ok()?;
    status.success().then_some(())?;
    let text = std::fs::read_to_string(out).ok()?;
    Some(text.lines().map(String::from).collect())
}

/// The whole mapping on realistic generated offers, in offers per second:
/// the figure a replay's normalize stage runs at.
fn normalize_generated(c: &mut Criterion<ThreadCpuTime>) {
    let Some(offers) = generated_offers(2_000) else {
        eprintln!("france_travail_generated skipped: python3 could not run gen_offers.py");
        return;
    };
    let mut group = c.benchmark_group("france_travail_generated");
    group.throughput(Throughput::Elements(offers.len() as u64));
    group.sample_size(20);
    parse_and_normalize(&mut group, &offers);
    group.finish();
}

/// `parse_only` (serde_json into a `Value`, the floor of any typed parse
/// with that parser), then the whole mapping without and with contacts.
fn parse_and_normalize<M: Measurement>(group: &mut BenchmarkGroup<'_, M>, offers: &[String]) {
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for raw in offers {
                black_box(serde_json::from_str::<Value>(raw).unwrap());
            }
        })
    });
    for personal in [false, true] {
        let options = NormalizeOptions::with_personal_data(personal);
        let name = if personal {
            "normalize_with_contacts"
        } else {
            "normalize"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                for raw in offers {
                    black_box(
                        jobharvest_france_travail::normalize::normalize(raw, &options).unwrap(),
                    );
                }
            })
        });
    }
}

fn sinks(c: &mut Criterion) {
    let mut registry = Registry::new();
    jobharvest_sink_csv::register(&mut registry);
    jobharvest_sink_parquet::register(&mut registry);
    jobharvest_sink_xlsx::register(&mut registry);
    let records: Vec<JobRecord> = Generator::new().records(0, 1024);
    let dir = tempfile::tempdir().unwrap();
    let cx = SinkContext::new(dir.path());
    let mut group = c.benchmark_group("sink_write_1024");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(20);
    for kind in ["csv", "parquet", "xlsx"] {
        group.bench_with_input(BenchmarkId::from_parameter(kind), &kind, |b, kind| {
            b.iter(|| {
                let spec = serde_json::json!({"type": kind, "path": format!("out.{kind}")});
                let mut sink = registry
                    .prepare_sink(spec, "bench")
                    .unwrap()
                    .open(&cx)
                    .unwrap();
                sink.write(&records).unwrap();
                black_box(sink.finish().unwrap());
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = parsing;
    config = Criterion::default().with_measurement(ThreadCpuTime::default());
    targets = normalize, normalize_generated
}
criterion_group!(sinks_write, sinks);
criterion_main!(parsing, sinks_write);

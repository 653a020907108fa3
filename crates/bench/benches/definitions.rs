//! A board definition's mapping against the hand-written Rust mapping it
//! replaced, on Arbeitnow's recorded page: the two recorded offers, each
//! repeated under fresh slugs into 2,000 offers (the HTML descriptions and
//! field shapes as recorded). Both start from the offer's JSON text and
//! end with a `JobRecord`, as `replay` runs them; CPU time of the thread.
//!
//! `cargo bench -p jobharvest-bench --bench definitions`. The goal: the
//! definition at most 1.5x the hand-written mapping.

#![allow(missing_docs)]
// criterion_group! generates an undocumented public function.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The binary's allocator, with its options (`.cargo/config.toml`): both
/// mappings are measured as `jobharvest` runs them.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use jobharvest_bench::ThreadCpuTime;
use jobharvest_bench::arbeitnow_baseline;
use jobharvest_core::{NormalizeOptions, Registry};
use serde_json::Value;

fn offers() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../boards/fixtures/arbeitnow/page-1-2026-10-2-offers.json"
    );
    let page: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("recorded page")).expect("JSON");
    let recorded = page["data"].as_array().expect("data").clone();
    (0..2000)
        .map(|i| {
            let mut offer = recorded[i % recorded.len()].clone();
            offer["slug"] = Value::String(format!("bench-offer-{i:05}"));
            serde_json::to_string(&offer).expect("text")
        })
        .collect()
}

fn mapping(c: &mut Criterion<ThreadCpuTime>) {
    let offers = offers();
    let mut registry = Registry::new();
    jobharvest_declarative::register(&mut registry);
    let definition = registry
        .build_context(std::path::Path::new("."), "bench")
        .normalizer("arbeitnow")
        .expect("the arbeitnow definition");
    for leave_out_raw in [false, true] {
        let options = NormalizeOptions::default().leaving_out_raw(leave_out_raw);
        let mut group = c.benchmark_group(if leave_out_raw {
            "arbeitnow_without_raw"
        } else {
            "arbeitnow_with_raw"
        });
        group.throughput(Throughput::Elements(offers.len() as u64));
        group.bench_function("hand_written", |b| {
            b.iter(|| {
                for raw in &offers {
                    std::hint::black_box(
                        arbeitnow_baseline::normalize(raw, &options).expect("offer"),
                    );
                }
            })
        });
        group.bench_function("parse_value_only", |b| {
            b.iter(|| {
                for raw in &offers {
                    std::hint::black_box(serde_json::from_str::<Value>(raw).expect("offer"));
                }
            })
        });
        group.bench_function("definition", |b| {
            b.iter(|| {
                for raw in &offers {
                    std::hint::black_box(definition.normalize(raw, &options).expect("offer"));
                }
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = definitions;
    config = Criterion::default().with_measurement(ThreadCpuTime::default()).sample_size(20);
    targets = mapping
}
criterion_main!(definitions);

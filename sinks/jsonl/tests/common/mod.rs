//! What the test binaries of this crate share: generated records of one
//! board, the lines they must give, and reading a written file back
//! (gunzipped with flate2's decoder, not the sink's encoder).

// Each test binary uses some of these.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

use jobharvest_core::testkit::{self, Generator, sink_config};
use jobharvest_core::{JobRecord, Registry, SinkReport};
use serde_json::Value;

pub fn registry() -> Registry {
    let mut r = Registry::new();
    jobharvest_sink_jsonl::register(&mut r);
    r
}

/// `n` generated records of one board, every other payload pretty-printed
/// (half of those with CRLF line breaks), as a connector may keep them.
pub fn board_records(board: &str, start: usize, n: usize) -> Vec<JobRecord> {
    let mut records = Generator::new().records(start, n);
    for (i, r) in records.iter_mut().enumerate() {
        r.source = board.to_string();
        if let Some(raw) = r.raw.as_mut().filter(|_| i % 2 == 0) {
            let pretty =
                serde_json::to_string_pretty(&serde_json::from_str::<Value>(raw).unwrap()).unwrap();
            *raw = if i % 4 == 0 {
                pretty
            } else {
                pretty.replace('\n', "\r\n")
            };
        }
    }
    records
}

/// The line each record with a payload must give, in order.
pub fn expected_lines(records: &[JobRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| r.raw.as_deref())
        .map(|raw| raw.replace(['\r', '\n'], " "))
        .collect()
}

/// The file's text, gunzipped when its name ends in `.gz`.
pub fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        assert_eq!(bytes[..2], [0x1f, 0x8b], "not gzip: {}", path.display());
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// The lines of the file, each checked to end with `\n`.
pub fn read_lines(path: &Path) -> Vec<String> {
    let text = read_text(path);
    assert!(text.is_empty() || text.ends_with('\n'), "last line unended");
    text.split_terminator('\n').map(String::from).collect()
}

pub fn write(path: &Path, extra: Value, records: &[JobRecord], batches: usize) -> SinkReport {
    testkit::write_all(
        &registry(),
        sink_config("jsonl", path, extra),
        records,
        batches,
    )
}

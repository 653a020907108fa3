//! The `jsonl` sink's options.

use std::path::PathBuf;

use flate2::Compression;
use jobharvest_core::{Error, Result, SinkConfig, SinkContext};
use serde::Deserialize;

use crate::writer::JsonlSink;

/// What `path` may hold to get one file per board: the records' `source`
/// (the connector that produced them) replaces it.
pub const SOURCE_PLACEHOLDER: &str = "{source}";

/// Options of the `jsonl` sink.
///
/// ```yaml
/// sinks:
///   - type: jsonl
///     path: archive/{source}.jsonl.gz
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JsonlConfig {
    /// Where to write (relative to the spec's directory). A name ending in
    /// `.gz` is gzip-compressed; [`SOURCE_PLACEHOLDER`] in it gives one
    /// file per board.
    pub path: PathBuf,
    /// The gzip level, from 1 (fastest, the default) to 9 (smallest file);
    /// only for a `path` ending in `.gz`.
    #[serde(default)]
    pub compression_level: Option<i64>,
}

/// Level 1: an archive is written by every run and read back rarely, so
/// the default spares the run. Level 6 took 3.5 times the CPU for a file
/// 13% smaller on the demo's real offers, 31% on generated ones (README,
/// "Compression").
const DEFAULT_COMPRESSION_LEVEL: u32 = 1;

impl JsonlConfig {
    /// Whether the output is gzip-compressed: `path` ends in `.gz` (any
    /// case), as the `replay` source decides when reading it.
    pub fn gzip(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    }

    /// Whether `path` holds [`SOURCE_PLACEHOLDER`], so that each board is
    /// written to its own file.
    pub fn per_source(&self) -> bool {
        self.path.to_string_lossy().contains(SOURCE_PLACEHOLDER)
    }

    /// The gzip compression, or `None` for a plain file.
    ///
    /// # Errors
    /// A config error when `compression_level` is out of 1..=9, or is given
    /// for a `path` that is not gzip-compressed.
    pub fn compression(&self) -> Result<Option<Compression>> {
        let level = match (self.gzip(), self.compression_level) {
            (true, None) => DEFAULT_COMPRESSION_LEVEL,
            (true, Some(level)) => u32::try_from(level)
                .ok()
                .filter(|l| (1..=9).contains(l))
                .ok_or_else(|| {
                    Error::config(format!(
                        "compression_level: {level} is out of range; use 1 (fastest, the default) to 9 (smallest file)"
                    ))
                    .with_context("key", "compression_level")
                })?,
            (false, None) => return Ok(None),
            (false, Some(_)) => {
                return Err(Error::config(format!(
                    "compression_level: `{}` does not end in `.gz`, so nothing is compressed; end path in `.gz` (such as `offres.jsonl.gz`) or remove compression_level",
                    self.path.display()
                ))
                .with_context("key", "compression_level"));
            }
        };
        Ok(Some(Compression::new(level)))
    }

    /// Refuses a `{name}` in `path` other than [`SOURCE_PLACEHOLDER`]: it
    /// would be written as is, into a file name nobody meant.
    fn check_placeholders(&self) -> Result<()> {
        let path = self.path.to_string_lossy();
        let mut rest = path.as_ref();
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let Some(close) = rest.find('}') else { break };
            let name = &rest[..close];
            let looks_like_one =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if looks_like_one && name != "source" {
                return Err(Error::config(format!(
                    "path: unknown placeholder `{{{name}}}` in `{path}`; the only placeholder is {SOURCE_PLACEHOLDER}, which each record's board replaces"
                ))
                .with_context("key", "path"));
            }
        }
        Ok(())
    }
}

impl SinkConfig for JsonlConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str = "JSON lines of the boards' raw payloads, one offer per line, gzip when the path ends in .gz; the replay source reads them back ({source} in path: one file per board)";
    /// Only the last extension of a path selects a sink, so `.jsonl.gz`
    /// cannot be listed; `gz` alone would also take `offres.csv.gz`.
    /// Name the type for a compressed file: `--sink jsonl:out/offres.jsonl.gz`.
    const EXTENSIONS: &'static [&'static str] = &["jsonl", "ndjson"];

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the file to write, such as `archive/{source}.jsonl.gz`",
            )
            .with_context("key", "path"));
        }
        self.check_placeholders()?;
        self.compression()?;
        Ok(())
    }

    /// Always: the payload is all this sink writes. Said here rather than
    /// left to the default, since a run whose sinks all say no gets records
    /// without it, and the archive would be empty.
    fn writes_raw(&self) -> bool {
        true
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        Ok(Box::new(JsonlSink::create(&self, cx)?))
    }
}

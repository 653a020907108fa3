//! The `replay` source: archived raw offers, one JSON object per line, run
//! through a connector's own normalization.
//!
//! This is how a harvest is re-normalized after a mapping change, how the
//! offline demo works, and how the pipeline is benchmarked without a
//! network. Files ending in `.gz` are decompressed on the fly; archives in
//! other formats (the `raw` column of a Parquet output) are read through the
//! opener their sink crate registered ([`crate::ArchiveOpener`]).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::record::JobRecord;
use crate::registry::{ArchiveOpener, BuildContext, NormalizeOptions, Normalizer, SourceConfig};
use crate::source::{Capabilities, Flow, Source, SourceContext, SourceStats};

/// What to do with a line that is not a valid offer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop the run, naming the line.
    #[default]
    Fail,
    /// Count it, copy it to the side file, and go on.
    Skip,
}

/// Config of the `replay` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// The connector whose normalization to apply (`france_travail`).
    pub connector: String,
    /// The JSON-lines file (`.gz` accepted), or an archive in a registered
    /// format (a Parquet output with its `raw` column).
    pub path: PathBuf,
    /// What to do with a malformed line.
    #[serde(default)]
    pub on_error: OnError,
    /// Where skipped lines are copied (default: `<path>.skipped.jsonl`).
    #[serde(default)]
    pub skipped_path: Option<PathBuf>,
    /// Keep recruiter names and phones (personal data).
    #[serde(default)]
    pub include_personal_data: bool,
    /// Records per batch sent to the sinks.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Threads that parse and normalize (default: one fewer than the
    /// machine's cores, at least one, at most eight).
    #[serde(default)]
    pub workers: Option<usize>,
}

/// 128 offers of about 4 KB make batches of well under a megabyte, so the
/// queues between stages hold little; larger batches bought no speed on
/// 100k offers and cost about 25 MB of peak memory (README, "Performance").
fn default_batch_size() -> usize {
    128
}

impl SourceConfig for ReplayConfig {
    const TYPE: &'static str = "replay";
    const DESCRIPTION: &'static str = "Raw offers from a JSON-lines file (.gz accepted) or from the raw column of a Parquet output, normalized by a connector's mapping.";

    fn capabilities() -> Capabilities {
        Capabilities::local()
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let normalizer = cx
            .normalizer(&self.connector)
            .map_err(|e| e.prefixed("connector"))?;
        if self.batch_size == 0 {
            return Err(Error::config("batch_size: must be at least 1"));
        }
        if self
            .workers
            .is_some_and(|w| !(1..=MAX_WORKERS).contains(&w))
        {
            return Err(Error::config(format!(
                "workers: must be between 1 and {MAX_WORKERS}; leave it out to use one fewer than the machine's cores"
            )));
        }
        let path = cx.resolve(&self.path);
        let skipped_path = self
            .skipped_path
            .as_ref()
            .map(|p| cx.resolve(p))
            .unwrap_or_else(|| {
                let mut p = path.clone().into_os_string();
                p.push(".skipped.jsonl");
                PathBuf::from(p)
            });
        Ok(Box::new(Replay {
            archive: cx.archive_opener(&path),
            connector: self.connector,
            path,
            skipped_path,
            normalizer,
            options: NormalizeOptions::with_personal_data(self.include_personal_data)
                .leaving_out_raw(cx.leave_out_raw),
            on_error: self.on_error,
            batch_size: self.batch_size,
            workers: self.workers.unwrap_or_else(normalize_workers),
        }))
    }
}

struct Replay {
    /// How to read `path` when it is not JSON lines.
    archive: Option<ArchiveOpener>,
    connector: String,
    path: PathBuf,
    skipped_path: PathBuf,
    normalizer: Arc<dyn Normalizer>,
    options: NormalizeOptions,
    on_error: OnError,
    batch_size: usize,
    workers: usize,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("path", &self.path)
            .field("on_error", &self.on_error)
            .finish()
    }
}

#[async_trait]
impl Source for Replay {
    fn capabilities(&self) -> Capabilities {
        ReplayConfig::capabilities()
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || self.read_all(&cx, &handle))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("the replay reader stopped: {e}")))?
    }
}

/// A file that counts the bytes read from it (before decompression).
struct Counted {
    file: File,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What tells how many lines a replay holds, to show progress.
enum Extent {
    /// An archive that knows its rows (one line each).
    Rows(u64),
    /// A JSON-lines file of `size` bytes; for a compressed one, the
    /// compressed bytes read so far (`None` for plain text, where the bytes
    /// of the lines read are exact).
    Bytes {
        size: u64,
        compressed: Option<Arc<AtomicU64>>,
    },
}

impl Extent {
    /// The lines of the whole file, if the `lines` read so far (`bytes`
    /// long, uncompressed) are typical. Compressed bytes are counted as
    /// the decoder reads them, a little ahead of the lines.
    fn estimate(&self, lines: u64, bytes: u64) -> u64 {
        match self {
            Extent::Rows(rows) => *rows,
            Extent::Bytes { size, compressed } => {
                let read = match compressed {
                    Some(read) => read.load(Ordering::Relaxed),
                    None => bytes,
                };
                (u128::from(lines) * u128::from(*size) / u128::from(read.max(1))) as u64
            }
        }
    }
}

/// A run of whole lines read from the file, the unit of parallel work.
struct Chunk {
    seq: u64,
    first_line: u64,
    /// Whole lines, as read: checking that they are UTF-8 is the workers'
    /// job, so the one reader thread only copies bytes.
    bytes: Vec<u8>,
    /// Where each line ends in `bytes` (the reader knows it for free).
    ends: Vec<usize>,
}

/// What a worker made of a chunk.
struct Normalized {
    seq: u64,
    records: Vec<JobRecord>,
    /// Lines that failed: their number, their bytes (copied aside as they
    /// were) and why.
    bad: Vec<(u64, Vec<u8>, Error)>,
}

/// Most bytes of text in one chunk, whatever `batch_size` says.
const CHUNK_BYTES: usize = 4 << 20;

/// Most normalizing threads a spec may ask for.
const MAX_WORKERS: usize = 64;

/// Most normalizing threads by default, however many cores there are.
const DEFAULT_MAX_WORKERS: usize = 8;

/// How many threads normalize by default: one core is left to the sinks
/// (Parquet's encoders, the CSV and XLSX writers), which do at least as much
/// work per offer as parsing and normalizing. On the 2-core benchmark
/// machine one worker instead of two lowered the peak memory of a
/// 100,000-offer replay into Parquet + CSV by 7 MB and its CPU and wall
/// time by about 5% (medians of 8 interleaved runs each), CSV alone as fast
/// as before (README, "Performance"): a second worker only contended with
/// the sinks for the same two cores.
fn normalize_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| {
        n.get().saturating_sub(1).clamp(1, DEFAULT_MAX_WORKERS)
    })
}

impl Replay {
    /// The file as lines, and what tells how many there are, if anything.
    fn open(&self) -> Result<(Box<dyn BufRead + Send>, Option<Extent>)> {
        if let Some(open) = self.archive {
            let archive = open(&self.path, &self.connector)
                .map_err(|e| e.prefixed("check `path` in the replay source"))?;
            let reader = BufReader::with_capacity(1 << 20, archive.lines);
            return Ok((Box::new(reader), archive.rows.map(Extent::Rows)));
        }
        let file = File::open(&self.path).map_err(|e| {
            Error::io("open the replay file", &self.path, e)
                .prefixed("check `path` in the replay source")
        })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let gz = self
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let (inner, compressed): (Box<dyn Read + Send>, _) = if gz {
            let read = Arc::new(AtomicU64::new(0));
            let file = Counted {
                file,
                read: Arc::clone(&read),
            };
            (
                Box::new(flate2::read::MultiGzDecoder::new(file)),
                Some(read),
            )
        } else {
            (Box::new(file), None)
        };
        let extent = (size > 0).then_some(Extent::Bytes { size, compressed });
        Ok((Box::new(BufReader::with_capacity(1 << 20, inner)), extent))
    }

    /// Reads, normalizes and emits every line.
    ///
    /// Three stages on their own threads, joined by bounded queues: this
    /// thread reads chunks of whole lines; `workers` threads normalize
    /// them; one emitter puts the results back in file order and
    /// emits them. File order is kept, so a failing run always names the
    /// first bad line, and outputs are the same from run to run.
    fn read_all(&self, cx: &SourceContext, handle: &tokio::runtime::Handle) -> Result<()> {
        let (mut reader, extent) = self.open()?;
        let workers = self.workers;
        // Two chunks at least in each queue, so that a lone worker finds the
        // next chunk read while it normalizes this one.
        let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Chunk>(workers.max(2));
        // Only the workers hold the chunk queue's receiver: once they have
        // all stopped (the emitter stopped), the reader's next send fails
        // instead of blocking forever.
        let chunk_rx = std::sync::Arc::new(std::sync::Mutex::new(chunk_rx));
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Normalized>(workers.max(2));

        std::thread::scope(|scope| {
            for _ in 0..workers {
                let done_tx = done_tx.clone();
                let chunk_rx = chunk_rx.clone();
                scope.spawn(move || {
                    loop {
                        let next = chunk_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok(chunk) = next else { break };
                        if done_tx.send(self.normalize_chunk(chunk)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            drop(chunk_rx);
            let emitter = scope.spawn(move || self.emit_in_order(done_rx, cx, handle));

            let read = self.read_chunks(&mut reader, &chunk_tx, |lines, bytes| {
                if let Some(extent) = &extent {
                    cx.stats().set_expected(extent.estimate(lines, bytes));
                }
            });
            drop(chunk_tx);
            let emitted = emitter
                .join()
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Io, "the replay emitter panicked")));
            if extent.is_some() {
                // The estimate counted lines; the bar ends on what was kept.
                let offers = SourceStats::get(&cx.stats().offers);
                cx.stats().set_expected(offers);
            }
            // An emitter error (a bad line, the run stopping) explains a
            // reader stopped by a closed queue, so it goes first.
            emitted.and(read)
        })
    }

    /// Reads whole lines into chunks until the file ends or the workers stop.
    /// `progress` is told how many lines, and bytes of lines, were read
    /// after each chunk.
    fn read_chunks(
        &self,
        reader: &mut dyn BufRead,
        tx: &std::sync::mpsc::SyncSender<Chunk>,
        progress: impl Fn(u64, u64),
    ) -> Result<()> {
        let mut number = 0u64;
        let mut total_bytes = 0u64;
        for seq in 0.. {
            let first_line = number + 1;
            let mut bytes = Vec::with_capacity(CHUNK_BYTES.min(self.batch_size * 4096));
            let mut ends = Vec::with_capacity(self.batch_size);
            while ends.len() < self.batch_size && bytes.len() < CHUNK_BYTES {
                let n = reader.read_until(b'\n', &mut bytes).map_err(|e| {
                    Error::io("read", &self.path, e).with_context("line", number + 1)
                })?;
                if n == 0 {
                    break;
                }
                number += 1;
                ends.push(bytes.len());
            }
            if ends.is_empty() {
                return Ok(());
            }
            total_bytes += bytes.len() as u64;
            // Before the chunk goes: its offers may be written before this
            // thread runs again, and the bar's length must be known by then.
            progress(number, total_bytes);
            if tx
                .send(Chunk {
                    seq,
                    first_line,
                    bytes,
                    ends,
                })
                .is_err()
            {
                return Ok(()); // the emitter stopped; it says why
            }
        }
        Ok(())
    }

    fn normalize_chunk(&self, chunk: Chunk) -> Normalized {
        let mut records = Vec::with_capacity(self.batch_size);
        let mut bad = Vec::new();
        let mut start = 0;
        for (i, &end) in chunk.ends.iter().enumerate() {
            let line = &chunk.bytes[start..end];
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            start = end;
            let number = chunk.first_line + i as u64;
            let text = match simdutf8::basic::from_utf8(line) {
                Ok(text) => text.trim(),
                Err(_) => {
                    let err = Error::new(
                        ErrorKind::Parse,
                        "the line is not UTF-8 text; re-encode the file as UTF-8",
                    );
                    bad.push((number, line.to_vec(), err));
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            match self.normalizer.normalize(text, &self.options) {
                Ok(record) => records.push(record),
                Err(err) => bad.push((number, text.as_bytes().to_vec(), err)),
            }
        }
        Normalized {
            seq: chunk.seq,
            records,
            bad,
        }
    }

    fn emit_in_order(
        &self,
        rx: std::sync::mpsc::Receiver<Normalized>,
        cx: &SourceContext,
        handle: &tokio::runtime::Handle,
    ) -> Result<()> {
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        let mut skipped: Option<BufWriter<File>> = None;
        for done in rx {
            pending.insert(done.seq, done);
            while let Some(done) = pending.remove(&next) {
                next += 1;
                for (number, text, err) in done.bad {
                    if self.on_error == OnError::Fail {
                        return Err(Error::new(
                            ErrorKind::Parse,
                            format!(
                                "{}:{number}: {}; fix the line, or set `on_error: skip` on the replay source to skip such lines",
                                self.path.display(),
                                err.message()
                            ),
                        ));
                    }
                    tracing::warn!(line = number, error = %err, "Skipped a malformed replay line.");
                    SourceStats::bump(&cx.stats().skipped);
                    let out = match &mut skipped {
                        Some(out) => out,
                        None => skipped.insert(self.create_skipped()?),
                    };
                    out.write_all(&text)
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(|e| Error::io("write", &self.skipped_path, e))?;
                }
                if !done.records.is_empty() && handle.block_on(cx.emit(done.records))? == Flow::Stop
                {
                    return self.close_skipped(skipped);
                }
            }
        }
        self.close_skipped(skipped)
    }

    fn create_skipped(&self) -> Result<BufWriter<File>> {
        File::create(&self.skipped_path)
            .map(BufWriter::new)
            .map_err(|e| Error::io("create the skipped-lines file", &self.skipped_path, e))
    }

    fn close_skipped(&self, skipped: Option<BufWriter<File>>) -> Result<()> {
        if let Some(mut out) = skipped {
            out.flush()
                .map_err(|e| Error::io("write", &self.skipped_path, e))?;
            tracing::warn!(path = %self.skipped_path.display(), "Skipped lines were copied aside.");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Batch;
    use crate::registry::Registry;
    use crate::source::Seen;
    use tokio::sync::mpsc;

    struct IdOnly;
    impl Normalizer for IdOnly {
        fn normalize(&self, raw: &str, _: &NormalizeOptions) -> Result<JobRecord> {
            let v: serde_json::Value = serde_json::from_str(raw)
                .map_err(|e| Error::new(ErrorKind::Parse, e.to_string()))?;
            let id = v["id"]
                .as_str()
                .ok_or_else(|| Error::new(ErrorKind::Parse, "no `id`"))?;
            Ok(JobRecord::new("t", id))
        }
    }

    /// Keeps `raw` only when the options let it.
    struct RawWhenAsked;
    impl Normalizer for RawWhenAsked {
        fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
            let mut record = IdOnly.normalize(raw, options)?;
            record.raw = (!options.leave_out_raw).then(|| raw.to_string());
            Ok(record)
        }
    }

    #[tokio::test]
    async fn the_mapping_is_told_whether_the_run_needs_raw() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("in.jsonl"),
            "{\"id\":\"a\"}\n{\"id\":\"b\"}\n",
        )
        .unwrap();
        for keep_raw in [true, false] {
            let mut reg = Registry::new();
            crate::register(&mut reg);
            reg.register_normalizer("t", Arc::new(RawWhenAsked));
            let spec = serde_json::json!({"type": "replay", "connector": "t", "path": "in.jsonl"});
            let built = reg
                .build_source_for(spec, "sources[0]", dir.path(), keep_raw)
                .unwrap();
            let (tx, mut rx) = mpsc::channel::<Batch>(4);
            let stats = Arc::new(SourceStats::new());
            let cx = SourceContext::new("r", tx, stats, Arc::new(Seen::default()), None);
            let task = tokio::spawn(built.source.run(cx));
            let mut raws = vec![];
            while let Some(b) = rx.recv().await {
                raws.extend(b.iter().map(|r| r.raw.clone()));
            }
            task.await.unwrap().unwrap();
            assert_eq!(raws.len(), 2);
            assert!(
                raws.iter().all(|r| r.is_some() == keep_raw),
                "keep_raw={keep_raw}: {raws:?}"
            );
        }
    }

    /// What a test replay gave.
    struct Replayed {
        res: Result<()>,
        ids: Vec<String>,
        skipped: u64,
        side: Option<Vec<u8>>,
        /// The progress estimate as each batch arrived, and at the end.
        expected_seen: Vec<Option<u64>>,
        stats: Arc<SourceStats>,
    }

    async fn replay(
        content: &[u8],
        gz: bool,
        extra: serde_json::Value,
    ) -> (Result<()>, Vec<String>, u64, Option<Vec<u8>>) {
        let r = replay_run(content, gz, extra).await;
        (r.res, r.ids, r.skipped, r.side)
    }

    async fn replay_run(content: &[u8], gz: bool, extra: serde_json::Value) -> Replayed {
        let dir = tempfile::tempdir().unwrap();
        let name = if gz { "in.jsonl.gz" } else { "in.jsonl" };
        let path = dir.path().join(name);
        if gz {
            let mut enc = flate2::write::GzEncoder::new(
                File::create(&path).unwrap(),
                flate2::Compression::fast(),
            );
            enc.write_all(content).unwrap();
            enc.finish().unwrap();
        } else {
            std::fs::write(&path, content).unwrap();
        }
        let mut reg = Registry::new();
        crate::register(&mut reg);
        reg.register_normalizer("t", Arc::new(IdOnly));
        let mut spec =
            serde_json::json!({"type": "replay", "connector": "t", "path": name, "batch_size": 2});
        spec.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let built = reg.build_source(spec, "sources[0]", dir.path()).unwrap();
        let (tx, mut rx) = mpsc::channel::<Batch>(4);
        let stats = Arc::new(SourceStats::new());
        let cx = SourceContext::new("r", tx, stats.clone(), Arc::new(Seen::default()), None);
        let task = tokio::spawn(built.source.run(cx));
        let mut ids = vec![];
        let mut expected_seen = vec![];
        while let Some(b) = rx.recv().await {
            ids.extend(b.iter().map(|r| r.source_id.clone()));
            expected_seen.push(stats.expected());
        }
        let res = task.await.unwrap();
        let skipped = SourceStats::get(&stats.skipped);
        // The side file, read before the folder goes away.
        let side = std::fs::read(dir.path().join("in.jsonl.skipped.jsonl")).ok();
        Replayed {
            res,
            ids,
            skipped,
            side,
            expected_seen,
            stats,
        }
    }

    /// The progress estimate: exact from the first chunk on for lines of
    /// one length, and at the end the offers kept, whatever the estimate
    /// said; never the board's `total`, which the summary would print as
    /// reported.
    #[tokio::test]
    async fn progress_is_estimated_from_how_far_the_file_was_read() {
        let mut data = String::new();
        for i in 0..3000 {
            data.push_str(&format!("{{\"id\":\"{i:05}\"}}\n"));
        }
        // Two repeats and a bad line: 3,003 lines, 3,000 offers kept.
        data.push_str("{\"id\":\"00001\"}\n{\"id\":\"00002\"}\n{bad line}\n");
        let extra = serde_json::json!({"batch_size": 50, "on_error": "skip"});
        let r = replay_run(data.as_bytes(), false, extra.clone()).await;
        r.res.unwrap();
        assert_eq!(r.ids.len(), 3000);
        let seen: Vec<u64> = r.expected_seen.iter().map(|e| e.unwrap()).collect();
        // Every line but the bad one is 15 bytes: the file's size over 15,
        // from the first chunk on, while the bad line is not yet read.
        let by_size = data.len() as u64 / 15;
        assert_eq!(by_size, 3002);
        assert!(seen[..50].iter().all(|&e| e == by_size), "{seen:?}");
        assert_eq!(r.stats.expected(), Some(3000));
        assert_eq!(r.stats.total(), None);

        let r = replay_run(data.as_bytes(), true, extra).await;
        r.res.unwrap();
        assert!(r.expected_seen.iter().all(Option::is_some));
        assert_eq!(r.stats.expected(), Some(3000));
        assert_eq!(r.stats.total(), None);
    }

    #[tokio::test]
    async fn reads_every_line_plain_and_gzipped() {
        let data = b"{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n{\"id\":\"c\"}";
        for gz in [false, true] {
            let (res, ids, _, _) = replay(data, gz, serde_json::json!({})).await;
            res.unwrap();
            assert_eq!(ids, ["a", "b", "c"], "gz={gz}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_normalization_keeps_file_order_and_names_the_first_bad_line() {
        let mut data = String::new();
        for i in 0..5000 {
            data.push_str(&format!("{{\"id\":\"{i}\"}}\n"));
        }
        let (res, ids, _, _) = replay(
            data.as_bytes(),
            false,
            serde_json::json!({"batch_size": 7, "workers": 4}),
        )
        .await;
        res.unwrap();
        let want: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
        assert_eq!(ids, want);

        let mut lines: Vec<String> = data.lines().map(String::from).collect();
        lines[4100] = "{bad".into();
        lines[2500] = "{also bad".into();
        let (res, _, _, _) = replay(
            lines.join("\n").as_bytes(),
            false,
            serde_json::json!({"batch_size": 7, "workers": 4}),
        )
        .await;
        let err = res.unwrap_err().to_string();
        assert!(err.contains("in.jsonl:2501:"), "{err}");
    }

    #[test]
    fn workers_out_of_range_is_a_config_error_naming_the_option() {
        let mut reg = Registry::new();
        crate::register(&mut reg);
        reg.register_normalizer("t", Arc::new(IdOnly));
        for workers in [0, MAX_WORKERS + 1] {
            let spec = serde_json::json!({"type": "replay", "connector": "t", "path": "x.jsonl", "workers": workers});
            let err = reg
                .build_source(spec, "sources[0]", std::path::Path::new("."))
                .unwrap_err()
                .to_string();
            let want = format!("workers: must be between 1 and {MAX_WORKERS}");
            assert!(err.contains(&want), "{err}");
        }
        let spec = serde_json::json!({"type": "replay", "connector": "t", "path": "x.jsonl", "workers": 3});
        assert!(
            reg.build_source(spec, "sources[0]", std::path::Path::new("."))
                .is_ok()
        );
    }

    #[tokio::test]
    async fn malformed_line_fails_with_its_number() {
        let (res, _, _, _) = replay(b"{\"id\":\"a\"}\n{oops\n", false, serde_json::json!({})).await;
        let err = res.unwrap_err();
        assert!(err.to_string().contains("in.jsonl:2:"), "{err}");
        assert!(err.to_string().contains("on_error: skip"), "{err}");
    }

    #[tokio::test]
    async fn skip_counts_and_copies_bad_lines_aside() {
        let (res, ids, skipped, side) = replay(
            b"{\"id\":\"a\"}\n{oops\n{\"id\":\"b\"}\n",
            false,
            serde_json::json!({"on_error": "skip"}),
        )
        .await;
        res.unwrap();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(skipped, 1);
        assert_eq!(side.as_deref(), Some(&b"{oops\n"[..]));
    }

    #[tokio::test]
    async fn a_line_that_is_not_utf8_is_a_bad_line_kept_byte_for_byte() {
        // Latin-1 "é" in the third line: that line alone is bad.
        let data = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"caf\xe9\"}\n{\"id\":\"d\"}\n";
        let (res, _, _, _) = replay(data, false, serde_json::json!({})).await;
        let err = res.unwrap_err().to_string();
        assert!(
            err.contains("in.jsonl:3:") && err.contains("UTF-8"),
            "{err}"
        );

        let (res, ids, skipped, side) =
            replay(data, false, serde_json::json!({"on_error": "skip"})).await;
        res.unwrap();
        assert_eq!(ids, ["a", "b", "d"]);
        assert_eq!(skipped, 1);
        assert_eq!(side.as_deref(), Some(&b"{\"id\":\"caf\xe9\"}\n"[..]));
    }
}

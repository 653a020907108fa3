//! The `jsonl` sink: each record's `raw` payload as one line, into an
//! [`AtomicFile`] per board (`{source}` in `path`) or one for every record.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use jobharvest_core::{
    AtomicFile, Error, ErrorKind, JobRecord, Result, Sink, SinkContext, SinkReport,
};

use crate::config::{JsonlConfig, SOURCE_PLACEHOLDER};

/// Bytes of lines gathered before they go to the compressor or the file,
/// so that each gets large writes rather than one call per payload.
const BUFFER_BYTES: usize = 64 * 1024;

/// JSON lines being written. Dropped without [`Sink::finish`], it removes
/// its temporary files and leaves every destination as it was.
pub struct JsonlSink {
    /// `path` as configured: with [`SOURCE_PLACEHOLDER`], a template.
    path: PathBuf,
    per_source: bool,
    cx: SinkContext,
    compression: Option<Compression>,
    /// The files open, in the order their first record came. Without
    /// `{source}`, exactly one, opened by [`JsonlSink::create`].
    outputs: Vec<Output>,
    /// Records that had no payload to write.
    without_raw: u64,
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSink")
            .field("path", &self.path)
            .field("files", &self.outputs.len())
            .field("without_raw", &self.without_raw)
            .finish_non_exhaustive()
    }
}

/// One file being written.
struct Output {
    /// The board of its records; `None` until the first one comes.
    board: Option<String>,
    /// The final path.
    path: PathBuf,
    writer: BufWriter<Body>,
    rows: u64,
}

/// What lies under the buffer: the temporary file, or a gzip stream into it
/// (boxed: the compressor's state is far larger than a file).
enum Body {
    Plain(AtomicFile),
    Gzip(Box<GzEncoder<AtomicFile>>),
}

impl Body {
    /// Ends the gzip stream, and gives the file back.
    fn into_file(self) -> io::Result<AtomicFile> {
        match self {
            Body::Plain(file) => Ok(file),
            Body::Gzip(encoder) => (*encoder).finish(),
        }
    }
}

impl Write for Body {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Body::Plain(file) => file.write(buf),
            Body::Gzip(encoder) => encoder.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Body::Plain(file) => file.flush(),
            Body::Gzip(encoder) => encoder.flush(),
        }
    }
}

impl Output {
    fn create(path: PathBuf, compression: Option<Compression>, cx: &SinkContext) -> Result<Self> {
        let file = cx.create_file(&path)?;
        let body = match compression {
            Some(level) => Body::Gzip(Box::new(GzEncoder::new(file, level))),
            None => Body::Plain(file),
        };
        Ok(Output {
            board: None,
            path,
            writer: BufWriter::with_capacity(BUFFER_BYTES, body),
            rows: 0,
        })
    }

    /// Flushes the buffer and ends the gzip stream; the file is then
    /// complete but not yet in place.
    fn close(self) -> Result<(PathBuf, u64, AtomicFile)> {
        let Output {
            path, writer, rows, ..
        } = self;
        let file = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
            .and_then(Body::into_file)
            .map_err(|e| Error::io("write", &path, e))?;
        Ok((path, rows, file))
    }
}

/// Writes `raw` as one line: JSON has line breaks only as whitespace
/// between tokens (inside strings they are escaped), so each becomes a
/// space and the payload stays the same JSON.
fn write_line(out: &mut impl Write, raw: &str) -> io::Result<()> {
    for (i, part) in raw.split(['\n', '\r']).enumerate() {
        if i > 0 {
            out.write_all(b" ")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\n")
}

impl JsonlSink {
    /// Opens the output: without `{source}` in `path`, its temporary file
    /// now; with it, the folder above the placeholder, and each board's
    /// file when its first record comes.
    ///
    /// # Errors
    /// A config error for invalid options, an I/O error when the file or
    /// its folder cannot be created.
    pub fn create(config: &JsonlConfig, cx: &SinkContext) -> Result<Self> {
        let compression = config.compression()?;
        let per_source = config.per_source();
        let mut outputs = Vec::new();
        if per_source {
            // A folder that cannot be made fails the run before any request,
            // as an output file would.
            let fixed = config
                .path
                .ancestors()
                .skip(1)
                .find(|p| !p.to_string_lossy().contains(SOURCE_PLACEHOLDER));
            if let Some(dir) = fixed.filter(|d| !d.as_os_str().is_empty()) {
                let dir = cx.resolve(dir);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Error::io("create the directory", &dir, e))?;
            }
        } else {
            outputs.push(Output::create(cx.resolve(&config.path), compression, cx)?);
        }
        Ok(JsonlSink {
            path: config.path.clone(),
            per_source,
            cx: cx.clone(),
            compression,
            outputs,
            without_raw: 0,
        })
    }

    /// The index in `outputs` of the file for a record of `board`, opening
    /// it if this is the board's first record.
    fn output_for(&mut self, board: &str) -> Result<usize> {
        if !self.per_source {
            let only = &mut self.outputs[0];
            return match &only.board {
                Some(first) if first != board => Err(mixed_boards(&self.path, first, board)),
                Some(_) => Ok(0),
                None => {
                    only.board = Some(board.to_owned());
                    Ok(0)
                }
            };
        }
        if let Some(i) = self
            .outputs
            .iter()
            .position(|o| o.board.as_deref() == Some(board))
        {
            return Ok(i);
        }
        let name = self
            .path
            .to_string_lossy()
            .replace(SOURCE_PLACEHOLDER, file_name_part(board, &self.path)?);
        let mut output = Output::create(
            self.cx.resolve(Path::new(&name)),
            self.compression,
            &self.cx,
        )?;
        output.board = Some(board.to_owned());
        self.outputs.push(output);
        Ok(self.outputs.len() - 1)
    }
}

/// The error for a record of board `second` headed for the file of `first`.
fn mixed_boards(path: &Path, first: &str, second: &str) -> Error {
    Error::config(format!(
        "path: one file cannot take offers of two boards (`{first}`, then `{second}`): `replay` reads one board per file; put {SOURCE_PLACEHOLDER} in path, such as `{}`, to write one file per board",
        with_placeholder(path).display()
    ))
    .with_context("key", "path")
}

/// `board` as it goes into a file name in place of `{source}`.
///
/// # Errors
/// When it holds anything but ASCII letters, digits, `_`, `-` and `.`, or
/// starts with a dot: a connector's name never does, and a `/` or `..`
/// would write elsewhere than `path` says.
fn file_name_part<'a>(board: &'a str, path: &Path) -> Result<&'a str> {
    let fits = !board.is_empty()
        && !board.starts_with('.')
        && board
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if fits {
        Ok(board)
    } else {
        Err(Error::new(
            ErrorKind::Sink,
            format!(
                "the board name `{board}` cannot replace {SOURCE_PLACEHOLDER} in `{}`: only ASCII letters, digits, `_`, `-` and `.` go into file names; write this source to a path without {SOURCE_PLACEHOLDER}",
                path.display()
            ),
        ))
    }
}

/// `path` with `-{source}` after the first part of its file name, as the
/// fix to suggest: `archive/offres.jsonl.gz` gives
/// `archive/offres-{source}.jsonl.gz`.
fn with_placeholder(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A leading dot (a hidden file) is part of the name, not an extension.
    let name = match name.get(1..).and_then(|n| n.find('.')) {
        Some(dot) => {
            let (stem, extensions) = name.split_at(dot + 1);
            format!("{stem}-{SOURCE_PLACEHOLDER}{extensions}")
        }
        None => format!("{name}-{SOURCE_PLACEHOLDER}"),
    };
    path.with_file_name(name)
}

impl Sink for JsonlSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        for record in batch {
            let Some(raw) = record.raw.as_deref().filter(|r| !r.trim().is_empty()) else {
                self.without_raw += 1;
                continue;
            };
            let i = self.output_for(&record.source)?;
            let out = &mut self.outputs[i];
            write_line(&mut out.writer, raw).map_err(|e| Error::io("write", &out.path, e))?;
            out.rows += 1;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        let JsonlSink {
            path,
            outputs,
            without_raw,
            ..
        } = *self;
        let mut closed = outputs
            .into_iter()
            .map(Output::close)
            .collect::<Result<Vec<_>>>()?;
        // Every file reaches the disk before the first is renamed: a full
        // disk then fails the run with no archive in place, rather than
        // with some boards' files in place and not the others.
        for (path, _, file) in &mut closed {
            file.file()
                .sync_all()
                .map_err(|e| Error::io("flush", path, e))?;
        }
        let (mut rows, mut bytes) = (0, 0);
        for (path, lines, file) in closed {
            let size = file.commit()?;
            tracing::info!(path = %path.display(), offers = lines, bytes = size, "Wrote raw offers.");
            rows += lines;
            bytes += size;
        }
        let mut warnings = Vec::new();
        if without_raw > 0 {
            tracing::warn!(
                path = %path.display(),
                records = without_raw,
                "Left out records without a raw payload."
            );
            warnings.push(format!(
                "{without_raw} record(s) had no raw payload (their connector kept none) and are not in `{}`, so a replay of it will not have them",
                path.display()
            ));
        }
        Ok(SinkReport {
            rows,
            bytes: Some(bytes),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(raw: &str) -> String {
        let mut out = Vec::new();
        write_line(&mut out, raw).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_pretty_printed_payload_becomes_one_line_of_the_same_json() {
        let raw = "{\r\n  \"id\": \"1\",\n  \"text\": \"a\\nb\"\r}";
        let got = line(raw);
        assert_eq!(got.matches('\n').count(), 1, "{got:?}");
        assert!(got.ends_with('\n') && !got.contains('\r'), "{got:?}");
        let same: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(
            same,
            serde_json::from_str::<serde_json::Value>(raw).unwrap()
        );
        assert_eq!(line("{\"id\":\"1\"}"), "{\"id\":\"1\"}\n");
    }

    #[test]
    fn the_suggested_path_puts_the_placeholder_before_the_extensions() {
        let fix = |p: &str| with_placeholder(Path::new(p)).display().to_string();
        assert_eq!(
            fix("archive/offres.jsonl.gz"),
            "archive/offres-{source}.jsonl.gz"
        );
        assert_eq!(fix("offres"), "offres-{source}");
        assert_eq!(fix(".hidden.jsonl"), ".hidden-{source}.jsonl");
    }

    #[test]
    fn only_plain_board_names_go_into_file_names() {
        let path = Path::new("a/{source}.jsonl");
        assert_eq!(
            file_name_part("france_travail", path).unwrap(),
            "france_travail"
        );
        for bad in ["", "../x", "a/b", ".hidden", "a\\b", "é"] {
            let err = file_name_part(bad, path).unwrap_err().to_string();
            assert!(err.contains("without {source}"), "{bad:?}: {err}");
        }
    }
}

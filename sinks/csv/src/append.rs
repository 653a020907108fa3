//! `write: append`: the run's rows go after those of an existing file.
//!
//! The existing file is copied into the run's temporary file (the copy is
//! a `copy_file_range` on Linux, a block clone on filesystems that have
//! one), the rows are appended there, and `finish` renames the result over
//! the original. A failed or killed run therefore leaves the original
//! exactly as it was; the price is one copy of the file per run, which is
//! why growing histories are better kept in a Parquet dataset or SQLite.
//!
//! Appending is refused unless the file's header is exactly the columns
//! this sink writes, in the same order.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use jobharvest_core::sink::WriteMode;
use jobharvest_core::{AtomicFile, COLUMNS, Error, ErrorKind, Result};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The run's output file, and whether it is fresh (so needs its BOM and
/// header): a new temporary file (`durable` as the run says), or for
/// `write: append` onto an existing file, a copy of it (see [`reopen`]).
///
/// # Errors
/// As [`reopen`], or when the temporary file cannot be created.
pub(crate) fn open(
    mode: WriteMode,
    path: &Path,
    columns: &[usize],
    delimiter: u8,
    durable: bool,
) -> Result<(AtomicFile, bool)> {
    if mode == WriteMode::Append {
        let header: Vec<&str> = columns.iter().map(|&c| COLUMNS[c].name).collect();
        if let Some(file) = reopen(path, &header, delimiter)? {
            return Ok((file, false));
        }
    }
    Ok((AtomicFile::create_with(path, durable)?, true))
}

/// For an append run onto `path`: a temporary file holding a copy of it,
/// ready for more rows, or `None` when there is no file (or an empty one)
/// yet, so the run writes the BOM and the header as usual.
///
/// # Errors
/// A sink error naming the difference when the file's header is not
/// `header`; an I/O error when it cannot be read or copied.
fn reopen(path: &Path, header: &[&str], delimiter: u8) -> Result<Option<AtomicFile>> {
    let mut original = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let len = original
        .metadata()
        .map_err(|e| Error::io("read the size of", path, e))?
        .len();
    if len == 0 {
        return Ok(None);
    }
    let found = read_header(&mut original, path, delimiter)?;
    check_header(path, &found, header)?;

    // Always durable: the copy carries the rows of earlier runs, which a
    // power cut between the rename and the disk must not lose.
    let mut file = AtomicFile::create(path)?;
    original
        .seek(SeekFrom::Start(0))
        .map_err(|e| Error::io("read", path, e))?;
    std::io::copy(&mut original, file.file()).map_err(|e| Error::io("copy", path, e))?;
    // A last row without its line end would merge with the first new one.
    original
        .seek(SeekFrom::End(-1))
        .map_err(|e| Error::io("read", path, e))?;
    let mut last = [0u8];
    original
        .read_exact(&mut last)
        .map_err(|e| Error::io("read", path, e))?;
    if last[0] != b'\n' {
        file.write_all(b"\r\n")
            .map_err(|e| Error::io("write", path, e))?;
    }
    Ok(Some(file))
}

fn read_header(file: &mut File, path: &Path, delimiter: u8) -> Result<Vec<String>> {
    let mut reader = BufReader::new(file);
    let mut start = [0u8; 3];
    let n = reader
        .read(&mut start)
        .map_err(|e| Error::io("read", path, e))?;
    let skip = if start[..n] == *BOM { 3 } else { 0 };
    let file = reader.into_inner();
    file.seek(SeekFrom::Start(skip))
        .map_err(|e| Error::io("read", path, e))?;
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(BufReader::new(file));
    let header = csv.headers().map_err(|e| {
        Error::new(
            ErrorKind::Sink,
            format!(
                "cannot append to `{}`: its header cannot be read as CSV ({e}); write to a new file or use `write: overwrite`",
                path.display()
            ),
        )
    })?;
    Ok(header.iter().map(String::from).collect())
}

/// Refuses `found` unless it is `want`, saying how they differ.
fn check_header(path: &Path, found: &[String], want: &[&str]) -> Result<()> {
    if found.iter().map(String::as_str).eq(want.iter().copied()) {
        return Ok(());
    }
    let missing: Vec<&str> = want
        .iter()
        .copied()
        .filter(|w| !found.iter().any(|f| f == w))
        .collect();
    let unexpected: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|f| !want.contains(f))
        .collect();
    let mut difference = Vec::new();
    if !missing.is_empty() {
        difference.push(format!("it lacks {}", list(&missing)));
    }
    if !unexpected.is_empty() {
        difference.push(format!(
            "it has {} that this sink does not write",
            list(&unexpected)
        ));
    }
    if difference.is_empty() {
        let at = found
            .iter()
            .zip(want)
            .position(|(f, w)| f != w)
            .unwrap_or(0);
        difference.push(format!(
            "it has the same columns in another order (column {} is `{}`, this sink writes `{}` there)",
            at + 1,
            found[at],
            want[at]
        ));
    }
    if found.len() == 1 && want.len() > 1 {
        difference.push("check that `delimiter` is the file's".into());
    }
    Err(Error::new(
        ErrorKind::Sink,
        format!(
            "cannot append to `{}`: its header differs from the columns this sink writes: {}; set `columns` to the file's header, write to a new file, or use `write: overwrite`",
            path.display(),
            difference.join("; ")
        ),
    ))
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

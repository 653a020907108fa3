//! How much footer metadata a Parquet file carries, in memory: what the
//! `parquet` sink's writer holds from the first row group until it closes
//! the file. The README's memory figures were measured with it.
//!
//! ```sh
//! cargo run --release -p jobharvest-sink-parquet --example metadata_size -- FILE.parquet...
//! ```

use std::fs::File;
use std::process::ExitCode;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: metadata_size FILE.parquet...");
        return ExitCode::from(2);
    }
    for path in paths {
        let sizes = File::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                let options = ReadOptionsBuilder::new().with_page_index().build();
                SerializedFileReader::new_with_options(file, options).map_err(|e| e.to_string())
            })
            .map(|reader| {
                let metadata = reader.metadata();
                let chunks: usize = metadata.row_groups().iter().map(|g| g.num_columns()).sum();
                (metadata.num_row_groups(), chunks, metadata.memory_size())
            });
        match sizes {
            Ok((groups, chunks, bytes)) => println!(
                "{path}: {groups} row groups, {chunks} column chunks, \
                 {:.1} MB of metadata in memory ({} bytes a chunk)",
                bytes as f64 / 1e6,
                bytes / chunks.max(1)
            ),
            Err(e) => {
                eprintln!("{path}: cannot read its metadata: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

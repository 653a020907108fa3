//! Mapping a saved answer without the network: `jobharvest boards test`.

use jobharvest_core::{Error, ErrorKind, JobRecord, NormalizeOptions, Result};
use serde_json::Value;

use crate::definition::Definition;
use crate::source::{Status, status};

/// What a definition makes of one saved answer.
#[derive(Debug, Default)]
pub struct PageMapping {
    /// The open offers, mapped.
    pub records: Vec<JobRecord>,
    /// Elements left out by `skip:`.
    pub skipped: usize,
    /// Offers left out by `closed:`.
    pub closed: usize,
    /// Offers that could not be mapped (no `source_id`), with why.
    pub failed: Vec<String>,
    /// (column, offer id) of values that did not fit their column.
    pub problems: Vec<(&'static str, String)>,
    /// The board's total, when the answer says it.
    pub total: Option<Value>,
}

/// Maps a saved answer (a search page, detail already merged if the board
/// has details) as a run would.
///
/// # Errors
/// An answer without a list at the definition's `records`, quoted.
pub fn map_answer(
    def: &Definition,
    body: &Value,
    options: &NormalizeOptions,
) -> Result<PageMapping> {
    let empty = Vec::new();
    let total = def.paginate.total.as_ref().and_then(|t| t.get(body));
    let list = match def.records.get(body).and_then(Value::as_array) {
        None if total.and_then(Value::as_u64) == Some(0) => Some(&empty),
        other => other,
    };
    let list = list.ok_or_else(|| {
        let mut excerpt = body.to_string();
        if excerpt.len() > 300 {
            let mut end = 300;
            while !excerpt.is_char_boundary(end) {
                end -= 1;
            }
            excerpt.truncate(end);
            excerpt.push('…');
        }
        Error::new(
            ErrorKind::Parse,
            format!(
                "the answer holds no list at `{}` (the definition's `records`); check `records` in {}. The answer began: {excerpt}",
                def.records, def.file
            ),
        )
    })?;
    let mut out = PageMapping {
        total: def
            .paginate
            .total
            .as_ref()
            .and_then(|t| t.get(body))
            .cloned(),
        ..PageMapping::default()
    };
    for (i, item) in list.iter().enumerate() {
        match status(def, i, item) {
            Status::Skipped => out.skipped += 1,
            Status::Closed => out.closed += 1,
            Status::Open => match def.mapping.map(item, None, options) {
                Ok(mapped) => {
                    for column in mapped.problems {
                        out.problems.push((column, mapped.record.source_id.clone()));
                    }
                    out.records.push(mapped.record);
                }
                Err(e) => out.failed.push(e.to_string()),
            },
        }
    }
    Ok(out)
}

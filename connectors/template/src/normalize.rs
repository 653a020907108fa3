//! One raw job of the board → one [`JobRecord`].
//!
//! Every field of the board's job is optional here: a missing field leaves
//! its column null, never a made-up value. The untouched job is kept in
//! `raw`.
//!
//! ```json
//! {"id": "a1b2", "title": "Data engineer", "company": "Acme",
//!  "location": "Lyon, France", "description": "...", "remote": false,
//!  "created_at": "2024-07-08T10:35:59Z", "url": "https://...", "tags": ["sql"]}
//! ```

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::TYPE;

/// The board's job, as far as the record needs it.
#[derive(Debug, Deserialize)]
struct RawJob {
    id: Value,
    title: Option<String>,
    company: Option<String>,
    location: Option<String>,
    description: Option<String>,
    remote: Option<bool>,
    created_at: Option<DateTime<Utc>>,
    url: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Normalizes one raw job (JSON text).
///
/// # Errors
/// [`ErrorKind::Parse`] when the text is not a job with an id.
pub fn normalize(raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
    let job: RawJob = serde_json::from_str(raw).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("a {TYPE} job could not be read: {e}"),
        )
    })?;
    let id = match job.id {
        Value::String(s) if !s.trim().is_empty() => s,
        Value::Number(n) => n.to_string(),
        other => {
            return Err(Error::new(
                ErrorKind::Parse,
                format!("a {TYPE} job has no usable id (found {other})"),
            ));
        }
    };
    let mut record = JobRecord::new(TYPE, id);
    record.title = job.title.filter(|t| !t.trim().is_empty());
    record.company_name = job.company;
    record.location_label = job.location;
    record.description = job.description;
    record.remote = job.remote;
    record.created_at = job.created_at;
    record.url = job.url;
    record.tags = job.tags;
    // When no sink of the run writes `raw`, the copy would be thrown away.
    if !options.leave_out_raw {
        record.raw = Some(raw.to_string());
    }
    Ok(record)
}

/// The `template` mapping, registered for `replay`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateNormalizer;

impl Normalizer for TemplateNormalizer {
    fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
        normalize(raw, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_columns_and_missing_ones_stay_null() {
        let raw = r#"{"id": 42, "title": "Data engineer", "company": "Acme", "remote": true,
            "created_at": "2024-07-08T10:35:59Z", "tags": ["sql", "rust"]}"#;
        let r = normalize(raw, &NormalizeOptions::default()).unwrap();
        assert_eq!((r.source.as_str(), r.source_id.as_str()), (TYPE, "42"));
        assert_eq!(r.title.as_deref(), Some("Data engineer"));
        assert_eq!(r.remote, Some(true));
        assert_eq!(r.tags, ["sql", "rust"]);
        assert_eq!(
            r.created_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-07-08T10:35:59+00:00")
        );
        assert_eq!(r.location_label, None);
        assert_eq!(r.salary_min, None);
        assert_eq!(r.raw.as_deref(), Some(raw));
    }

    #[test]
    fn raw_is_left_out_when_no_sink_needs_it() {
        let raw = r#"{"id": "7", "title": "Analyst"}"#;
        let kept = normalize(raw, &NormalizeOptions::default()).unwrap();
        let left = normalize(raw, &NormalizeOptions::default().leaving_out_raw(true)).unwrap();
        assert_eq!(kept.raw.as_deref(), Some(raw));
        assert_eq!(left.raw, None);
        let mut kept = kept;
        kept.raw = None;
        assert_eq!(kept, left, "nothing else changes");
    }

    #[test]
    fn a_job_without_an_id_is_an_error() {
        let err = normalize(r#"{"title": "x"}"#, &NormalizeOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        let err = normalize(r#"{"id": ""}"#, &NormalizeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no usable id"), "{err}");
    }
}

//! The client-side filter: a `filter:` block on any source entry.
//!
//! ```yaml
//! sources:
//!   - type: arbeitnow
//!     filter:
//!       keywords: [rust, backend]   # every keyword in the title or the description
//!       location: berlin            # a substring of location_label
//!       remote: true                # the board's remote flag
//! ```
//!
//! The registry takes the block out of the entry before the connector reads
//! its config, so every connector gets it for free. What happens next
//! depends on the connector's [`FilterSupport`]:
//!
//! - `Client`: the board cannot filter; the core keeps the records that
//!   match, and counts the others as `filtered`.
//! - `Server`: the board filters with its own parameters (named in the
//!   connector's README). The core warns that those are cheaper (fewer
//!   requests) and still filters client-side.
//! - `None`: the source takes no filter (a local replay, say); the block is
//!   refused with a config error, because silently writing every record
//!   would be worse than stopping.
//!
//! Matching is case- and accent-insensitive (both sides go through
//! [`normalize_text`]), and a missing field never matches: a record without
//! a description can still match its keywords in the title, a record
//! without a location label never matches `location`, and a record whose
//! board says nothing about remote work never matches `remote`.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fingerprint::normalize_text;
use crate::record::JobRecord;
use crate::registry::from_value;
use crate::source::{Capabilities, FilterSupport, Plan, Source, SourceContext};

/// The `filter:` block of a source entry, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Words or phrases that must all appear in the title or the description.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Text that must appear in the location label.
    #[serde(default)]
    pub location: Option<String>,
    /// The remote flag the record must have.
    #[serde(default)]
    pub remote: Option<bool>,
}

/// A compiled filter: the spec's texts normalized once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    keywords: Vec<String>,
    location: Option<String>,
    remote: Option<bool>,
}

impl Filter {
    /// Compiles `spec`.
    ///
    /// # Errors
    /// A config error when a keyword or the location is blank, or when the
    /// block asks for nothing.
    pub fn new(spec: &FilterSpec, at: &str) -> Result<Self> {
        let mut keywords = Vec::new();
        for (i, k) in spec.keywords.iter().enumerate() {
            let k = normalize_text(k);
            if k.is_empty() {
                return Err(Error::config(format!(
                    "{at}.filter.keywords[{i}]: the keyword is blank; remove it or write a word"
                )));
            }
            keywords.push(k);
        }
        let location = match spec.location.as_deref().map(normalize_text) {
            Some(l) if l.is_empty() => {
                return Err(Error::config(format!(
                    "{at}.filter.location: the location is blank; remove it or write a place such as `Lyon`"
                )));
            }
            other => other,
        };
        if keywords.is_empty() && location.is_none() && spec.remote.is_none() {
            return Err(Error::config(format!(
                "{at}.filter: the block is empty; give `keywords`, `location` or `remote`, or remove it"
            )));
        }
        Ok(Filter {
            keywords,
            location,
            remote: spec.remote,
        })
    }

    /// Whether `record` passes the filter.
    pub fn matches(&self, record: &JobRecord) -> bool {
        if self.remote.is_some() && record.remote != self.remote {
            return false;
        }
        if let Some(place) = &self.location {
            match record.location_label.as_deref().map(normalize_text) {
                Some(label) if contains_words(&label, place) => {}
                _ => return false,
            }
        }
        if !self.keywords.is_empty() {
            let text = [record.title.as_deref(), record.description.as_deref()]
                .into_iter()
                .flatten()
                .map(normalize_text)
                .collect::<Vec<_>>()
                .join(" \u{1f} ");
            if !self.keywords.iter().all(|k| contains_words(&text, k)) {
                return false;
            }
        }
        true
    }
}

/// Whether `needle` appears in `haystack` (both normalized) as a run of
/// whole-word prefixes: `rust` matches "rust developer" and "rustacean",
/// not "trust".
fn contains_words(haystack: &str, needle: &str) -> bool {
    haystack
        .match_indices(needle)
        .any(|(i, _)| i == 0 || haystack.as_bytes()[i - 1] == b' ')
}

/// A source whose records go through a [`Filter`] before they reach the
/// sinks. The registry wraps sources that have a `filter:` block.
#[derive(Debug)]
pub struct Filtered {
    inner: Box<dyn Source>,
    filter: Filter,
}

#[async_trait]
impl Source for Filtered {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        self.inner.run(cx.with_filter(self.filter)).await
    }

    fn removal_check(
        &self,
        stats: std::sync::Arc<crate::source::SourceStats>,
    ) -> Option<std::sync::Arc<dyn crate::tracking::RemovalCheck>> {
        self.inner.removal_check(stats)
    }

    async fn plan(self: Box<Self>, cx: SourceContext) -> Result<Option<Plan>> {
        let plan = self.inner.plan(cx).await?;
        Ok(plan.map(|mut p| {
            p.notes
                .push("the filter: block is applied after fetching; totals are before it".into());
            p
        }))
    }
}

/// Applies the `filter:` block `value` of the entry `at` to `source`, as
/// its capabilities allow.
///
/// # Errors
/// A config error when the block is malformed, or when the source takes no
/// filter ([`FilterSupport::None`]).
pub fn attach(
    source: Box<dyn Source>,
    type_name: &str,
    value: Value,
    at: &str,
) -> Result<Box<dyn Source>> {
    let spec: FilterSpec = from_value(value, &format!("{at}.filter"))?;
    let filter = Filter::new(&spec, at)?;
    match source.capabilities().filters {
        FilterSupport::None => Err(Error::config(format!(
            "{at}.filter: the `{type_name}` source takes no filter (its records are what it reads); remove the `filter:` block, or filter the output instead"
        ))
        .with_context("key", format!("{at}.filter"))),
        FilterSupport::Server => {
            tracing::warn!(
                source = %at,
                r#type = %type_name,
                "The board filters server-side with its own parameters (see the `{type_name}` connector's README): they fetch fewer pages than `filter:`, which is applied after fetching."
            );
            Ok(Box::new(Filtered {
                inner: source,
                filter,
            }))
        }
        FilterSupport::Client => Ok(Box::new(Filtered {
            inner: source,
            filter,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(spec: Value) -> Filter {
        let spec: FilterSpec = serde_json::from_value(spec).unwrap();
        Filter::new(&spec, "sources[0]").unwrap()
    }

    fn offer(title: Option<&str>, description: Option<&str>) -> JobRecord {
        let mut r = JobRecord::new("b", "1");
        r.title = title.map(Into::into);
        r.description = description.map(Into::into);
        r
    }

    #[test]
    fn keywords_ignore_case_and_accents_and_must_all_appear() {
        let f = filter(serde_json::json!({"keywords": ["developpeur", "RUST"]}));
        assert!(f.matches(&offer(Some("DÉVELOPPEUR Rust (H/F)"), None)));
        assert!(f.matches(&offer(Some("Développeur"), Some("Stack: rust, tokio"))));
        assert!(!f.matches(&offer(Some("Développeur Go"), Some("no crab here"))));
        assert!(
            !f.matches(&offer(Some("Trust developpeur"), None)),
            "rust in trust"
        );
        let accented = filter(serde_json::json!({"keywords": ["Ingénieur données"]}));
        assert!(accented.matches(&offer(Some("ingenieur donnees senior"), None)));
        assert!(!accented.matches(&offer(Some("ingenieur senior donnees"), None)));
    }

    #[test]
    fn missing_fields_are_not_matches() {
        let f = filter(serde_json::json!({"keywords": ["rust"]}));
        assert!(!f.matches(&offer(None, None)));
        let place = filter(serde_json::json!({"location": "lyon"}));
        assert!(!place.matches(&offer(Some("rust"), None)));
        let mut r = offer(Some("x"), None);
        r.location_label = Some("69 - LYON 03".into());
        assert!(place.matches(&r));
        r.location_label = Some("Villeurbanne".into());
        assert!(!place.matches(&r));
        let remote = filter(serde_json::json!({"remote": true}));
        assert!(
            !remote.matches(&r),
            "the board said nothing about remote work"
        );
        r.remote = Some(true);
        assert!(remote.matches(&r));
        let onsite = filter(serde_json::json!({"remote": false}));
        assert!(!onsite.matches(&r));
    }

    #[test]
    fn blank_or_empty_blocks_and_unknown_keys_are_refused() {
        let bad = |v: Value| {
            let spec: FilterSpec = match from_value(v, "sources[1].filter") {
                Ok(s) => s,
                Err(e) => return e.to_string(),
            };
            Filter::new(&spec, "sources[1]").unwrap_err().to_string()
        };
        assert!(bad(serde_json::json!({})).contains("the block is empty"));
        assert!(bad(serde_json::json!({"keywords": [" ! "]})).contains("keywords[0]"));
        assert!(bad(serde_json::json!({"location": ""})).contains("filter.location"));
        let typo = bad(serde_json::json!({"keyword": ["x"]}));
        assert!(typo.starts_with("sources[1].filter.keyword"), "{typo}");
    }
}

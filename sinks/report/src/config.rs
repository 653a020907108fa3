//! The `report` sink's options.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use jobharvest_core::{Error, Result, SinkConfig, SinkContext};
use serde::Deserialize;

use crate::writer::ReportSink;

/// The page's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// French (the default).
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// `fr` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(Error::config(format!(
                "lang: unknown language `{s}`; the report is written in `fr` (the default) or `en`"
            ))
            .with_context("key", "lang")),
        }
    }
}

/// Options of the `report` sink.
///
/// ```yaml
/// sinks:
///   - type: report
///     path: out/report.html
///     lang: en        # fr (default) | en
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReportConfig {
    /// Where to write the page (relative to the spec's folder).
    pub path: PathBuf,
    /// The page's language.
    #[serde(default)]
    pub lang: Lang,
    /// The page's heading; default "Rapport de collecte" / "Harvest
    /// report".
    #[serde(default)]
    pub title: Option<String>,
    /// How many skills, occupations, employers and titles the top lists
    /// show.
    #[serde(default = "default_top")]
    pub top: usize,
}

fn default_top() -> usize {
    15
}

/// The most a top list may show: every list is drawn as a chart.
const MAX_TOP: usize = 100;

impl ReportConfig {
    /// A page at `path` with the default options.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ReportConfig {
            path: path.into(),
            lang: Lang::default(),
            title: None,
            top: default_top(),
        }
    }

    /// Sets the language.
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// Sets the heading.
    pub fn with_title(mut self, title: Option<String>) -> Self {
        self.title = title;
        self
    }
}

impl SinkConfig for ReportConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str = "one self-contained HTML page about the run: figures, charts, a map of France by département, fill rates; works offline (lang: fr|en)";
    const EXTENSIONS: &'static [&'static str] = &["html", "htm"];

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the page to write, such as `out/report.html`",
            )
            .with_context("key", "path"));
        }
        if !(1..=MAX_TOP).contains(&self.top) {
            return Err(Error::config(format!(
                "top: {} is out of range; give 1 to {MAX_TOP} (default 15)",
                self.top
            ))
            .with_context("key", "top"));
        }
        Ok(())
    }

    /// Never: the report counts the payload's fill rate only when another
    /// sink keeps it.
    fn writes_raw(&self) -> bool {
        false
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        Ok(Box::new(ReportSink::create(self, cx)?))
    }
}

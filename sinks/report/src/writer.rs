//! The `report` sink: records go into an [`Aggregator`], and `finish`
//! writes the page into an [`AtomicFile`] opened at the start, so that an
//! unwritable path fails the run before any request.

use std::io::Write;

use chrono::Utc;
use jobharvest_core::{
    AtomicFile, Error, JobRecord, Result, RunSummary, Sink, SinkContext, SinkReport,
};

use crate::aggregate::Aggregator;
use crate::config::ReportConfig;
use crate::html::{Page, render};

/// A report being gathered. Dropped without [`Sink::finish`], it leaves
/// nothing at its path.
#[derive(Debug)]
pub struct ReportSink {
    file: AtomicFile,
    config: ReportConfig,
    aggregator: Aggregator,
    summary: Option<RunSummary>,
    made_from: Option<String>,
}

impl ReportSink {
    /// Opens the page's temporary file beside `config.path` (resolved
    /// against the context's folder).
    ///
    /// # Errors
    /// A config error for invalid options; an I/O error naming the path
    /// when its folder cannot be created or written to.
    pub fn create(config: ReportConfig, cx: &SinkContext) -> Result<Self> {
        use jobharvest_core::SinkConfig;
        config.validate()?;
        let path = cx.resolve(&config.path);
        let file = cx.create_file(&path)?;
        Ok(ReportSink {
            file,
            config,
            aggregator: Aggregator::new(Utc::now()),
            summary: None,
            made_from: None,
        })
    }

    /// Says what the offers were read from, for a report made from a file
    /// (`jobharvest report`): the page shows it under the title.
    pub fn with_made_from(mut self, made_from: impl Into<String>) -> Self {
        self.made_from = Some(made_from.into());
        self
    }
}

impl Sink for ReportSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        self.aggregator.add_all(batch);
        Ok(())
    }

    fn run_summary(&mut self, summary: &RunSummary) {
        self.summary = Some(summary.clone());
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        let ReportSink {
            mut file,
            config,
            aggregator,
            summary,
            made_from,
        } = *self;
        let data = aggregator.finish(config.lang, summary.as_ref());
        let mut page = Page::new(config.lang);
        page.title = config.title;
        page.made_from = made_from;
        page.top = config.top;
        let html = render(&data, &page);
        let path = file.path().to_path_buf();
        file.write_all(html.as_bytes())
            .map_err(|e| Error::io("write", &path, e))?;
        let bytes = file.commit()?;
        tracing::debug!(path = %path.display(), offers = data.offers, bytes, "Report written.");
        Ok(SinkReport {
            rows: data.rows,
            bytes: Some(bytes),
            warnings: Vec::new(),
        })
    }
}

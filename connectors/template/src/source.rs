//! Paging the board's search: `GET {base_url}/jobs?page=N&per_page=50`.
//!
//! Each answer holds the total, one page of jobs and the next page's number
//! (null on the last page):
//!
//! ```json
//! {"total": 103, "page": 1, "next_page": 2, "jobs": [{"id": "a1", ...}]}
//! ```
//!
//! The source sends one request per page through the core's
//! [`HttpClient`] (rate limit, retries, `Retry-After`), normalizes the page
//! and emits it, and stops at the last page, at `max_results`, or when the
//! run's limit is reached.

use jobharvest_core::http::{HttpClient, HttpSettings};
use jobharvest_core::{
    Capabilities, Error, ErrorKind, Flow, NormalizeOptions, Result, Secret, Source, SourceConfig,
    SourceContext, async_trait,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::TYPE;
use crate::config::{KEY_HINT, TemplateConfig};
use crate::normalize::normalize;

/// Jobs per page (the most the board serves).
pub const PAGE_SIZE: u32 = 50;

/// The `template` source, built from [`TemplateConfig`].
#[derive(Debug)]
pub struct TemplateSource {
    search: Url,
    api_key: Secret,
    settings: HttpSettings,
    max_results: Option<u64>,
    options: NormalizeOptions,
}

/// One page of the search, jobs kept as raw JSON for `raw`.
#[derive(Debug, Deserialize)]
struct Page {
    total: Option<u64>,
    #[serde(default)]
    jobs: Vec<Box<RawValue>>,
    next_page: Option<u32>,
}

impl TemplateSource {
    /// A source of `search`'s results (the config builds it).
    pub fn new(
        search: Url,
        api_key: Secret,
        settings: HttpSettings,
        max_results: Option<u64>,
    ) -> Self {
        TemplateSource {
            search,
            api_key,
            settings,
            max_results,
            options: NormalizeOptions::default(),
        }
    }

    /// The same source mapping jobs with `options` (the build step leaves
    /// `raw` out when no sink of the run writes it).
    pub fn with_options(mut self, options: NormalizeOptions) -> Self {
        self.options = options;
        self
    }

    /// The search's URL, before the page parameters.
    pub fn search_url(&self) -> &Url {
        &self.search
    }

    /// The HTTP settings (rate, timeout, retries).
    pub fn http_settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The same source with other HTTP settings (tests shorten the delays).
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = settings;
        self
    }

    fn page_url(&self, page: u32) -> Url {
        let mut url = self.search.clone();
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &PAGE_SIZE.to_string());
        url
    }

    /// Fetches and reads page `page`.
    async fn fetch_page(&self, http: &HttpClient, page: u32) -> Result<Page> {
        let url = self.page_url(page);
        let what = format!("{TYPE} search, page {page}");
        let answer = http
            .fetch(&what, |client| {
                client
                    .get(url.clone())
                    .header("Authorization", format!("Token {}", self.api_key.expose()))
            })
            .await?;
        match answer.status.as_u16() {
            200..=299 => answer.json(&what),
            401 | 403 => Err(Error::new(
                ErrorKind::Auth,
                format!("{what}: the API key was refused; {KEY_HINT}"),
            )
            .with_context("url", &answer.url)),
            status => Err(Error::new(
                ErrorKind::BadRequest,
                format!(
                    "{what}: the board refused the request ({status}): {}",
                    answer.excerpt(200)
                ),
            )
            .with_context("url", &answer.url)),
        }
    }
}

#[async_trait]
impl Source for TemplateSource {
    fn capabilities(&self) -> Capabilities {
        TemplateConfig::capabilities()
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        let http = HttpClient::new(self.settings.clone(), cx.stats().clone(), None)?;
        let options = self.options;
        let mut left = self.max_results.unwrap_or(u64::MAX);
        let mut page = 1;
        loop {
            let answer = self.fetch_page(&http, page).await?;
            if let (1, Some(total)) = (page, answer.total) {
                cx.stats().set_total(total);
            }
            let mut records = answer
                .jobs
                .iter()
                .map(|raw| normalize(raw.get(), &options))
                .collect::<Result<Vec<_>>>()?;
            records.truncate(usize::try_from(left).unwrap_or(usize::MAX));
            left -= records.len() as u64;
            let flow = cx.emit(records).await?;
            match answer.next_page {
                Some(next) if flow == Flow::Continue && left > 0 && next > page => page = next,
                _ => break,
            }
        }
        tracing::debug!(source = %cx.name(), pages = page, "Harvested every page.");
        Ok(())
    }
}

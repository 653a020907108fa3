//! The live source: follows `links.next` from page 1 until it is `null`.
//!
//! An answer is `{data: [...], links: {next}, meta}`. The next page's URL
//! is taken from `links.next` when it points at the configured site, and
//! otherwise only its query string is kept (so a stand-in or a proxy in
//! `base_url` is never left for the public site). A page seen twice is an
//! error rather than an endless loop.
//!
//! Pacing and retries are not here: they live in the shared
//! [`HttpClient`].

use std::collections::HashSet;
use std::sync::Arc;

use jobharvest_core::http::{HttpClient, HttpSettings};
use jobharvest_core::{
    Capabilities, Error, ErrorKind, Flow, NormalizeOptions, Result, Source, SourceConfig,
    SourceContext, async_trait,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::config::ArbeitnowConfig;
use crate::normalize::normalize;

/// The built `arbeitnow` source.
#[derive(Debug)]
pub struct ArbeitnowSource {
    pub(crate) endpoint: Url,
    pub(crate) settings: HttpSettings,
    pub(crate) max_results: Option<u64>,
    pub(crate) max_pages: Option<u64>,
    pub(crate) options: NormalizeOptions,
}

/// One page of the API.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Box<RawValue>>,
    #[serde(default)]
    links: Links,
}

#[derive(Default, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

impl ArbeitnowSource {
    /// The API's URL.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Replaces the HTTP settings (tests use short retry delays).
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The URL of the next page, from `links.next`.
    fn next_url(&self, current: &Url, next: &str) -> Result<Url> {
        let url = current.join(next.trim()).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("Arbeitnow's `links.next` is not a URL ({e}): {next}"),
            )
        })?;
        if url.origin() == self.endpoint.origin() {
            return Ok(url);
        }
        let mut ours = self.endpoint.clone();
        ours.set_query(url.query());
        Ok(ours)
    }
}

#[async_trait]
impl Source for ArbeitnowSource {
    fn capabilities(&self) -> Capabilities {
        ArbeitnowConfig::capabilities()
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        let http = HttpClient::new(self.settings.clone(), Arc::clone(cx.stats()), None)?;
        let mut url = self.endpoint.clone();
        url.set_query(Some("page=1"));
        let mut seen = HashSet::new();
        let (mut pages, mut fetched) = (0u64, 0u64);
        loop {
            if !seen.insert(url.to_string()) {
                return Err(Error::new(
                    ErrorKind::Parse,
                    format!(
                        "Arbeitnow's `links.next` led back to a page already read ({url}); stopping instead of looping"
                    ),
                ));
            }
            let what = format!("page {}", pages + 1);
            let answer = http.fetch(&what, |c| c.get(url.clone())).await?;
            if !answer.status.is_success() {
                return Err(Error::new(
                    ErrorKind::Http,
                    format!(
                        "Arbeitnow answered {what} with {}: {}",
                        answer.status.as_u16(),
                        answer.excerpt(200)
                    ),
                )
                .set_temporary(false)
                .with_context("url", &answer.url));
            }
            let page: Page = answer.json(&what)?;
            pages += 1;
            let received = page.data.len() as u64;
            let records = page
                .data
                .iter()
                .map(|raw| normalize(raw.get(), &self.options))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.prefixed(&what))?;
            if cx.emit(records).await? == Flow::Stop {
                return Ok(());
            }
            fetched += received;
            let done = received == 0
                || self.max_results.is_some_and(|m| fetched >= m)
                || self.max_pages.is_some_and(|m| pages >= m);
            match page.links.next.filter(|n| !n.trim().is_empty()) {
                Some(next) if !done => url = self.next_url(&url, &next)?,
                _ => return Ok(()),
            }
        }
    }
}

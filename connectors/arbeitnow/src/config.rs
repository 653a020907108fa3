//! The `arbeitnow` source's config, as written in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: arbeitnow
//!     max_results: 500
//! ```
//!
//! The API takes no filter: the spec's filters are applied by the core.

use std::time::Duration;

use jobharvest_core::http::HttpSettings;
use jobharvest_core::{
    BuildContext, Capabilities, Error, FilterSupport, NormalizeOptions, Result, Source,
    SourceConfig,
};
use serde::Deserialize;
use url::Url;

use crate::TYPE;
use crate::source::ArbeitnowSource;

/// Config of the `arbeitnow` source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArbeitnowConfig {
    /// The site's base URL, before `/api/job-board-api`.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Requests per second (the API is free: be gentle).
    #[serde(default = "default_rate_limit_per_sec")]
    pub rate_limit_per_sec: f64,
    /// How long one request may take.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// How many times a temporary failure is retried.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Stop after this many offers (default: every offer). The command
    /// line's `--limit` applies on top.
    #[serde(default)]
    pub max_results: Option<u64>,
    /// Stop after this many pages (default: until `links.next` is null).
    #[serde(default)]
    pub max_pages: Option<u64>,
}

/// Arbeitnow's site.
pub fn default_base_url() -> String {
    "https://www.arbeitnow.com".to_string()
}

/// One request per second.
pub fn default_rate_limit_per_sec() -> f64 {
    1.0
}

/// 30 seconds per request.
pub fn default_timeout_secs() -> u64 {
    30
}

/// 5 retries of a temporary failure.
pub fn default_max_retries() -> u32 {
    5
}

/// The API's path under the base URL.
pub const API_PATH: &str = "api/job-board-api";

/// Offers per page the API serves.
pub const PAGE_SIZE: u32 = 100;

fn key_error(key: &str, problem: &str) -> Error {
    Error::config(format!("{key}: {problem}")).with_context("key", key)
}

/// `{base}/api/job-board-api`.
///
/// # Errors
/// A config error when `base_url` is not an http(s) URL without a query.
pub fn endpoint(base_url: &str) -> Result<Url> {
    Url::parse(base_url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .filter(|u| u.query().is_none())
        .and_then(|mut u| {
            if !u.path().ends_with('/') {
                let path = format!("{}/", u.path());
                u.set_path(&path);
            }
            u.join(API_PATH).ok()
        })
        .ok_or_else(|| {
            key_error(
                "base_url",
                &format!(
                    "`{base_url}` is not an http(s) URL without a query string, such as {}",
                    default_base_url()
                ),
            )
        })
}

impl ArbeitnowConfig {
    /// Checks the config and builds the source, without any I/O.
    ///
    /// # Errors
    /// A config error naming the key and the fix.
    pub fn build_source(self) -> Result<ArbeitnowSource> {
        let endpoint = endpoint(&self.base_url)?;
        let rate = self.rate_limit_per_sec;
        if !(rate.is_finite() && rate > 0.0 && rate <= 100.0) {
            return Err(key_error(
                "rate_limit_per_sec",
                &format!("{rate} is out of range; give a number above 0 and at most 100"),
            ));
        }
        if self.timeout_secs == 0 {
            return Err(key_error("timeout_secs", "must be at least 1 second"));
        }
        for (key, value) in [
            ("max_results", self.max_results),
            ("max_pages", self.max_pages),
        ] {
            if value == Some(0) {
                return Err(key_error(
                    key,
                    "0 fetches nothing; give a positive number or remove the key",
                ));
            }
        }
        let settings = HttpSettings::default()
            .with_rate_limit_per_sec(rate)
            .with_timeout(Duration::from_secs(self.timeout_secs))
            .with_max_retries(self.max_retries);
        Ok(ArbeitnowSource {
            endpoint,
            settings,
            max_results: self.max_results,
            max_pages: self.max_pages,
            options: NormalizeOptions::default(),
        })
    }
}

impl SourceConfig for ArbeitnowConfig {
    const TYPE: &'static str = TYPE;
    const DESCRIPTION: &'static str = "Arbeitnow's public job board (Europe, many remote jobs), every page until the last; no server-side filter, the spec's filters are applied client-side.";

    fn capabilities() -> Capabilities {
        Capabilities::network("none", FilterSupport::Client).with_page_size(PAGE_SIZE)
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let mut source = self.build_source()?;
        // `raw` is left out when no sink of the run writes it.
        source.options = source.options.leaving_out_raw(cx.leave_out_raw);
        Ok(Box::new(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_forms() {
        assert_eq!(
            endpoint(&default_base_url()).unwrap().as_str(),
            "https://www.arbeitnow.com/api/job-board-api"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8091/proxy").unwrap().as_str(),
            "http://127.0.0.1:8091/proxy/api/job-board-api"
        );
        for bad in ["ftp://x", "not a url", "https://x/?page=2"] {
            let err = endpoint(bad).unwrap_err();
            assert!(err.to_string().contains("base_url"), "{err}");
        }
    }
}

//! The HTTP keys every network source shares in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: jobtech
//!     base_url: http://127.0.0.1:8080   # a stand-in, a proxy
//!     rate_limit_per_sec: 2
//!     timeout_secs: 30
//!     max_retries: 5
//!     max_results: 1000
//!     max_body_mb: 64                 # the largest answer read
//! ```
//!
//! The registry takes these keys out of a source's entry before the source
//! reads the rest ([`crate::registry::Registry::build_source`]), checks
//! them, and hands them over in [`crate::BuildContext::http`], so that each
//! source type does not declare, default and check them again. A source
//! type opts in with [`crate::SourceConfig::SHARED_HTTP`]; its own defaults
//! (a board's polite rate) come in as an [`HttpSettings`].

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::error::{Error, Result};
use crate::http::HttpSettings;
use crate::http::body::MIB;
use crate::registry::from_value;

/// The spec's shared HTTP keys of one source, as written (all optional).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HttpConfig {
    /// The API's base URL (a stand-in's, a proxy's), replacing the board's.
    pub base_url: Option<String>,
    /// Requests per second, evenly spaced.
    pub rate_limit_per_sec: Option<f64>,
    /// How long one request may take, body included.
    pub timeout_secs: Option<u64>,
    /// How many times a temporary failure is retried.
    pub max_retries: Option<u32>,
    /// Stop after this many offers (the command line's `--limit` applies
    /// on top).
    pub max_results: Option<u64>,
    /// The largest answer read, in whole MiB (64 by default); a larger one
    /// fails the request at once, without retrying.
    pub max_body_mb: Option<u64>,
}

/// The keys of [`HttpConfig`], as a spec spells them.
pub const HTTP_KEYS: &[&str] = &[
    "base_url",
    "rate_limit_per_sec",
    "timeout_secs",
    "max_retries",
    "max_results",
    "max_body_mb",
];

fn key_error(at: &str, key: &str, problem: &str) -> Error {
    let path = if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    };
    Error::config(format!("{path}: {problem}")).with_context("key", path)
}

impl HttpConfig {
    /// Takes the shared keys out of a source's entry and checks them.
    ///
    /// # Errors
    /// A config error naming the key, for a value of the wrong type or out
    /// of range.
    pub fn take(entry: &mut Map<String, Value>, at: &str) -> Result<HttpConfig> {
        let mut taken = Map::new();
        for key in HTTP_KEYS {
            if let Some(v) = entry.remove(*key) {
                taken.insert((*key).to_string(), v);
            }
        }
        let config: HttpConfig = from_value(Value::Object(taken), at)?;
        config.check(at)?;
        Ok(config)
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        *self == HttpConfig::default()
    }

    fn check(&self, at: &str) -> Result<()> {
        if let Some(rate) = self.rate_limit_per_sec
            && !(rate.is_finite() && rate > 0.0 && rate <= 1000.0)
        {
            return Err(key_error(
                at,
                "rate_limit_per_sec",
                &format!("{rate} is out of range; give a number above 0 and at most 1000"),
            ));
        }
        if self.timeout_secs == Some(0) {
            return Err(key_error(at, "timeout_secs", "must be at least 1 second"));
        }
        if self.max_results == Some(0) {
            return Err(key_error(
                at,
                "max_results",
                "0 fetches nothing; give a positive number or remove the key",
            ));
        }
        if self.max_body_mb == Some(0) {
            return Err(key_error(
                at,
                "max_body_mb",
                "must be at least 1 (MB); remove the key for the default, 64",
            ));
        }
        if let Some(url) = &self.base_url {
            parse_base_url(url).map_err(|problem| key_error(at, "base_url", &problem))?;
        }
        Ok(())
    }

    /// The HTTP settings: `defaults` (the source type's), with what the
    /// spec sets.
    pub fn settings(&self, defaults: HttpSettings) -> HttpSettings {
        let mut settings = defaults;
        if let Some(rate) = self.rate_limit_per_sec {
            settings = settings.with_rate_limit_per_sec(rate);
        }
        if let Some(secs) = self.timeout_secs {
            settings = settings.with_timeout(Duration::from_secs(secs));
        }
        if let Some(retries) = self.max_retries {
            settings = settings.with_max_retries(retries);
        }
        if let Some(mb) = self.max_body_mb {
            let bytes = usize::try_from(mb).map_or(usize::MAX, |mb| mb.saturating_mul(MIB));
            settings = settings.with_max_body_bytes(bytes);
        }
        settings
    }

    /// The spec's `base_url`, or `default`, parsed; its path always ends
    /// with `/`, so that relative paths join under it.
    ///
    /// # Errors
    /// A config error naming `base_url` when it is not an http(s) URL
    /// without a query string.
    pub fn base_url(&self, default: &str) -> Result<Url> {
        let (text, key) = match &self.base_url {
            Some(url) => (url.as_str(), "base_url"),
            None => (default, "base_url (the board's default)"),
        };
        parse_base_url(text).map_err(|problem| key_error("", key, &problem))
    }
}

/// An http(s) URL without a query, its path ending with `/`.
fn parse_base_url(text: &str) -> std::result::Result<Url, String> {
    Url::parse(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .filter(|u| u.query().is_none() && u.fragment().is_none())
        .map(|mut u| {
            if !u.path().ends_with('/') {
                let path = format!("{}/", u.path());
                u.set_path(&path);
            }
            u
        })
        .ok_or_else(|| {
            format!(
                "`{text}` is not an http(s) URL without a query string, such as https://api.example.org/v1"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn takes_only_the_shared_keys_and_applies_them_over_defaults() {
        let mut e = entry(json!({
            "params": {"q": "rust"},
            "rate_limit_per_sec": 2.5,
            "max_retries": 0,
            "max_body_mb": 2,
            "base_url": "http://127.0.0.1:9/api",
        }));
        let http = HttpConfig::take(&mut e, "sources[0]").unwrap();
        assert_eq!(e.keys().collect::<Vec<_>>(), ["params"]);
        let s = http.settings(HttpSettings::default().with_timeout(Duration::from_secs(7)));
        assert_eq!(s.rate_limit_per_sec, 2.5);
        assert_eq!(s.max_retries, 0);
        assert_eq!(s.max_body_bytes, 2 << 20);
        assert_eq!(s.timeout, Duration::from_secs(7), "the default stays");
        let s = HttpConfig::default().settings(HttpSettings::default());
        assert_eq!(s.max_body_bytes, 64 << 20);
        assert_eq!(
            http.base_url("https://x.example").unwrap().as_str(),
            "http://127.0.0.1:9/api/"
        );
        assert_eq!(
            HttpConfig::default()
                .base_url("https://x.example/v2")
                .unwrap()
                .as_str(),
            "https://x.example/v2/"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        for (v, key) in [
            (
                json!({"rate_limit_per_sec": 0}),
                "sources[1].rate_limit_per_sec",
            ),
            (json!({"timeout_secs": 0}), "sources[1].timeout_secs"),
            (json!({"max_results": 0}), "sources[1].max_results"),
            (json!({"max_body_mb": 0}), "sources[1].max_body_mb"),
            (json!({"max_body_mb": -1}), "sources[1].max_body_mb"),
            (json!({"max_body_mb": 1.5}), "sources[1].max_body_mb"),
            (json!({"base_url": "ftp://x"}), "sources[1].base_url"),
            (json!({"base_url": "https://x/?a=1"}), "sources[1].base_url"),
            (json!({"max_retries": "many"}), "sources[1].max_retries"),
        ] {
            let err = HttpConfig::take(&mut entry(v.clone()), "sources[1]").unwrap_err();
            assert!(err.to_string().starts_with(key), "{v}: {err}");
        }
    }
}

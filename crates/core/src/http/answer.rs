//! [`Answer`], a response read inside the retry loop, and the helpers that
//! show what a server said without leaking a secret: [`redact_url`],
//! [`excerpt`], [`retry_after`].

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// A response whose body was read inside the retry loop.
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The URL that answered, without query string ([`redact_url`]).
    pub url: String,
    /// The whole body, at most [`super::HttpSettings::max_body_bytes`].
    pub body: Vec<u8>,
}

impl Answer {
    /// The value of `name` (case-insensitive), if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the body as JSON.
    ///
    /// # Errors
    /// [`ErrorKind::Parse`] naming `what`, the URL and serde's position.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!(
                    "{what}: the answer is not the JSON expected ({e}); it starts with: {}",
                    excerpt(&self.body, 120)
                ),
            )
            .with_context("url", &self.url)
        })
    }

    /// The body as text (invalid UTF-8 replaced), cut to `max_chars`.
    pub fn excerpt(&self, max_chars: usize) -> String {
        excerpt(&self.body, max_chars)
    }
}

/// `url` without user info, query string or fragment, safe for messages:
/// a query may carry an API key.
pub fn redact_url(url: &Url) -> String {
    let mut out = format!("{}://", url.scheme());
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path());
    out
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A body as one line of text, cut to `max_chars` characters.
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max_chars + 1)
        .collect();
    if out.chars().count() > max_chars {
        out = out.chars().take(max_chars).collect();
        out.push('…');
    }
    out
}

/// `429 Too Many Requests`, `503 Service Unavailable`, ...
pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A reqwest error and its causes, without any URL.
pub(super) fn describe(e: &reqwest::Error) -> String {
    // reqwest's own Display names the URL, which may carry a key: say what
    // kind of error it is instead, then list the causes.
    let mut out = kind_of(e).to_string();
    let mut current = std::error::Error::source(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        current = err.source();
    }
    out
}

fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection error"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else if e.is_builder() {
        "invalid request"
    } else if e.is_redirect() {
        "redirect error"
    } else {
        "request error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_query_and_user_info() {
        let url =
            Url::parse("https://user:pw@api.example.com:8443/v2/search?key=SECRET#x").unwrap();
        assert_eq!(redact_url(&url), "https://api.example.com:8443/v2/search");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(b"a\n  b\tc", 10), "a b c");
        assert_eq!(excerpt("éééé".as_bytes(), 2), "éé…");
    }
}

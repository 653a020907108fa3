//! [`HttpSettings`]: how one source's [`super::HttpClient`] behaves.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

use super::body::DEFAULT_MAX_BODY_BYTES;
use crate::error::{Error, Result};

/// How a source's [`super::HttpClient`] behaves.
///
/// Start from [`HttpSettings::default`] and change what the source's config
/// sets; the struct is `#[non_exhaustive]` so that settings can be added.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpSettings {
    /// Requests per second, evenly spaced (no burst). Must be positive.
    pub rate_limit_per_sec: f64,
    /// How long one request may take, body included.
    pub timeout: Duration,
    /// How many times a temporary failure is retried (0: never).
    pub max_retries: u32,
    /// The first backoff delay; later ones double, plus up to 100 % jitter.
    pub retry_min_delay: Duration,
    /// The longest backoff delay (before jitter).
    pub retry_max_delay: Duration,
    /// The longest `Retry-After` honoured; longer requests are cut to this.
    pub max_retry_after: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The largest body [`super::HttpClient::fetch`] reads (64 MiB by
    /// default); a larger one fails at once, without retrying
    /// ([`super::body`]). Must be positive.
    pub max_body_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            rate_limit_per_sec: 10.0,
            timeout: Duration::from_secs(30),
            max_retries: 5,
            retry_min_delay: Duration::from_secs(1),
            retry_max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            user_agent: concat!("jobharvest/", env!("CARGO_PKG_VERSION")).to_string(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl HttpSettings {
    /// Sets the rate limit, in requests per second.
    pub fn with_rate_limit_per_sec(mut self, rate: f64) -> Self {
        self.rate_limit_per_sec = rate;
        self
    }

    /// Sets the timeout of one request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many times a temporary failure is retried.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the first and the longest backoff delay.
    pub fn with_retry_delays(mut self, min: Duration, max: Duration) -> Self {
        self.retry_min_delay = min;
        self.retry_max_delay = max.max(min);
        self
    }

    /// Sets the longest `Retry-After` honoured.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets the `User-Agent` header.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the largest body read, in bytes (the spec's `max_body_mb`).
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The rate limiter's quota: one request every `1 / rate` seconds.
    pub(super) fn quota(&self) -> Result<Quota> {
        let rate = self.rate_limit_per_sec;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::config(format!(
                "rate_limit_per_sec: must be a positive number of requests per second, found {rate}"
            )));
        }
        Duration::try_from_secs_f64(1.0 / rate)
            .ok()
            .and_then(Quota::with_period)
            .map(|q| q.allow_burst(NonZeroU32::MIN))
            .ok_or_else(|| {
                Error::config(format!(
                    "rate_limit_per_sec: {rate} is out of range; use a value between 0.001 and 1000000"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::error::ErrorKind;
    use crate::http::HttpClient;
    use crate::source::SourceStats;

    #[test]
    fn bad_rates_are_config_errors() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = HttpClient::new(
                HttpSettings::default().with_rate_limit_per_sec(rate),
                Arc::new(SourceStats::new()),
                None,
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{rate}");
            assert!(err.to_string().contains("rate_limit_per_sec"), "{err}");
        }
        assert!(HttpSettings::default().quota().is_ok());
        assert!(
            HttpSettings::default()
                .with_rate_limit_per_sec(0.5)
                .quota()
                .is_ok()
        );
    }

    #[test]
    fn bodies_are_capped_at_64_mib_by_default() {
        assert_eq!(HttpSettings::default().max_body_bytes, 64 << 20);
        let err = HttpClient::new(
            HttpSettings::default().with_max_body_bytes(0),
            Arc::new(SourceStats::new()),
            None,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("max_body_mb"), "{err}");
    }
}

//! The one HTTP layer every connector shares: rate limiting, retry with
//! backoff, `Retry-After`, and bearer-token renewal.
//!
//! A connector builds one [`HttpClient`] per source run and sends every
//! request through [`HttpClient::send`] (or [`HttpClient::fetch`], which also
//! reads the body). Each attempt goes through these steps, in this order:
//!
//! 1. **Authentication.** An optional [`TokenProvider`] adds
//!    `Authorization: Bearer …`. Tokens are fetched once, shared by every
//!    task, and renewed ahead of expiry by one caller while the others keep
//!    using the current token. The token is taken *before* the rate-limit
//!    slot, so that waiting for a token never delays a request that already
//!    holds its slot (which would bunch requests together). A 401
//!    invalidates the stale token and the request is sent once more with a
//!    fresh one, inside the same attempt, so token expiry never eats into
//!    the retry budget; a second 401 is an [`ErrorKind::Auth`] error.
//! 2. **Rate limit.** A pacer spaces requests evenly at `rate_limit_per_sec`
//!    (no burst), and never lets more than `ceil(rate)` requests leave
//!    within 1.01 s, counted when they actually leave, so that a late timer
//!    cannot bunch requests into a server's sliding second. It sits *inside* the retry loop, so a retry waits its turn
//!    like any other request and a burst of retries cannot break the board's
//!    quota. A 429 slows every task down: nobody sends before its
//!    `Retry-After` (1 s when absent) is over, and the spacing widens by an
//!    eighth (up to twice the configured one) for the rest of the run.
//! 3. **Retry.** Temporary failures (429, 408, 5xx, timeouts, connection and
//!    body-read errors) are retried with exponential backoff and jitter
//!    (backon), at most `max_retries` times. A 429's `Retry-After` replaces the
//!    backoff delay, capped by `max_retry_after`. When the retries are spent
//!    the error stays temporary and says what was tried and how often.
//!
//! Every other status (2xx including 204, 3xx, 4xx) is handed back to the
//! connector, which alone knows what its board means by it (a 400's body, a
//! 204 "nothing found"). Nothing here knows any particular board.
//!
//! No secret reaches a log line or an error: URLs are shown without their
//! query string and user info ([`redact_url`]), tokens and client secrets are
//! [`Secret`]s, and reqwest errors are stripped of their URL.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use governor::Quota;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, LOCATION, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::{debug, warn};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::quota::Quotas;
use crate::secret::Secret;
use crate::source::SourceStats;

/// How a source's [`HttpClient`] behaves.
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

    /// The rate limiter's quota: one request every `1 / rate` seconds.
    fn quota(&self) -> Result<Quota> {
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

/// Installs rustls' `ring` crypto provider as the process default, once.
///
/// reqwest is built without a provider of its own; this must run before the
/// first `reqwest::Client` is built. [`HttpClient::new`] calls it, and
/// calling it again (or after someone else installed a provider) is harmless.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed: keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A source of bearer tokens, shared by every request of a source.
///
/// Implementations must be single-flight: many tasks asking at once cause one
/// token request, and the others wait for its answer.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A valid token, from the cache or freshly fetched with `client`.
    ///
    /// Bumps `stats.tokens` when it fetches one.
    ///
    /// # Errors
    /// [`ErrorKind::Auth`] when the credentials are refused, or a temporary
    /// error when the token endpoint is unreachable or failing.
    async fn token(&self, client: &reqwest::Client, stats: &SourceStats) -> Result<Secret>;

    /// Forgets `stale` (the server refused it), unless the cache already holds
    /// another token.
    fn invalidate(&self, stale: &Secret);

    /// Whether `token` was refused since it was handed out, so that a
    /// request still waiting for its slot takes a fresh one instead of
    /// sending it. The default knows of no refusal.
    fn is_refused(&self, token: &Secret) -> bool {
        let _ = token;
        false
    }
}

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
    /// The whole body.
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

/// Spaces requests evenly: each caller takes the next free slot, one
/// `period` after the previous one (a GCRA without burst), so slots are
/// handed out in call order.
///
/// Servers count requests in a sliding second (or a small bucket), and a
/// request that leaves late (a busy thread, a timer firing late) brings the
/// next ones closer to it. So the pacer also keeps the instants requests
/// actually left at, and holds a request back until at most
/// `ceil(rate)` of them fall within [`PACER_WINDOW`] (a second and a little
/// margin for network jitter).
///
/// Unlike a fixed quota, the pacer can slow down: after a 429 every caller
/// waits until the pause is over (callers already holding a slot inside the
/// pause take a new one), and the spacing widens.
#[derive(Debug)]
struct Pacer {
    state: std::sync::Mutex<PacerState>,
}

/// The sliding window the pacer checks actual departures against.
const PACER_WINDOW: Duration = Duration::from_millis(1010);

#[derive(Debug)]
struct PacerState {
    next: Instant,
    paused_until: Instant,
    period: Duration,
    base: Duration,
    /// When the last `per_window` requests left.
    sent: std::collections::VecDeque<Instant>,
    per_window: usize,
}

impl PacerState {
    fn reserve(&mut self) -> Instant {
        let at = self.next.max(Instant::now()).max(self.paused_until);
        self.next = at + self.period;
        at
    }
}

impl Pacer {
    fn new(period: Duration) -> Self {
        let now = Instant::now();
        let per_window = (Duration::from_secs(1).as_secs_f64() / period.as_secs_f64().max(1e-9))
            .ceil()
            .clamp(1.0, 1e6) as usize;
        Pacer {
            state: std::sync::Mutex::new(PacerState {
                next: now,
                paused_until: now,
                period,
                base: period,
                sent: std::collections::VecDeque::with_capacity(per_window + 1),
                per_window,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this caller's slot.
    async fn until_ready(&self) {
        let mut at = self.lock().reserve();
        loop {
            tokio::time::sleep_until(at).await;
            let mut s = self.lock();
            let now = Instant::now();
            if now < s.paused_until {
                // A 429 came in while this caller waited.
                at = s.reserve();
                continue;
            }
            if s.sent.len() >= s.per_window {
                let free = s.sent[s.sent.len() - s.per_window] + PACER_WINDOW;
                if now < free {
                    at = free;
                    continue;
                }
            }
            s.sent.push_back(now);
            while s.sent.len() > s.per_window {
                s.sent.pop_front();
            }
            return;
        }
    }

    /// A 429: nobody sends for `pause`, and the spacing widens by an eighth,
    /// up to twice the configured one.
    fn back_off(&self, pause: Duration) {
        let mut s = self.lock();
        let until = Instant::now() + pause;
        s.paused_until = s.paused_until.max(until);
        s.next = s.next.max(until);
        s.period = (s.period + s.period / 8).min(s.base * 2);
        debug!(
            pause_ms = pause.as_millis() as u64,
            period_ms = s.period.as_millis() as u64,
            "Slowing down after a 429."
        );
    }

    #[cfg(test)]
    fn period(&self) -> Duration {
        self.lock().period
    }
}

/// Why one attempt failed, and the status that said so.
struct Failure {
    error: Error,
    status: Option<StatusCode>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            status: None,
        }
    }
}

struct Inner {
    client: reqwest::Client,
    limiter: Pacer,
    stats: Arc<SourceStats>,
    auth: Option<Arc<dyn TokenProvider>>,
    settings: HttpSettings,
    /// The board's request quotas, counted for every request sent.
    quota: std::sync::OnceLock<Arc<Quotas>>,
}

/// A rate-limited, retrying, authenticating HTTP client for one source.
///
/// Cheap to clone: clones share the connection pool, the rate limiter, the
/// counters and the token cache.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("settings", &self.inner.settings)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client counting into `stats` and authenticating with `auth`, if any.
    ///
    /// # Errors
    /// A config error when the settings are out of range (a rate that is not
    /// positive), or when the TLS stack cannot be set up.
    pub fn new(
        settings: HttpSettings,
        stats: Arc<SourceStats>,
        auth: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Self> {
        let quota = settings.quota()?;
        if settings.timeout.is_zero() {
            return Err(Error::config(
                "timeout_secs: must be at least 1 second".to_string(),
            ));
        }
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .user_agent(settings.user_agent.clone())
            // A redirect is answered to the caller, which says which URL to
            // fix; following it could send a token or a form somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(format!(
                    "could not set up the HTTP client: {}",
                    describe(&e)
                ))
            })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                limiter: Pacer::new(quota.replenish_interval()),
                stats,
                auth,
                settings,
                quota: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Counts every request this client sends (retries included) against
    /// `quotas`: each waits for the paced windows, and fails with a
    /// permanent [`ErrorKind::RateLimited`] error once a budget is spent.
    ///
    /// Attach it before the first request; a client keeps the first quota
    /// attached (clones share it).
    pub fn with_quota(self, quotas: Arc<Quotas>) -> Self {
        if self.inner.quota.set(quotas).is_err() {
            warn!("This HTTP client already has a quota; keeping the first one.");
        }
        self
    }

    /// The underlying reqwest client (no rate limit, no retry, no token).
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The counters this client updates.
    pub fn stats(&self) -> &Arc<SourceStats> {
        &self.inner.stats
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &HttpSettings {
        &self.inner.settings
    }

    /// Sends the request `build` makes, with rate limiting, a bearer token
    /// and retries, and returns the response without reading its body.
    ///
    /// `build` is called once per attempt. `what` names the operation in
    /// logs and errors (`"search offers 0-149"`). The body of a successful
    /// response is read by the caller, outside the retry loop: prefer
    /// [`HttpClient::fetch`] when a cut connection should be retried too.
    ///
    /// # Errors
    /// - temporary [`ErrorKind::RateLimited`], [`ErrorKind::Http`] or
    ///   [`ErrorKind::Network`] errors once `max_retries` retries are spent;
    /// - [`ErrorKind::Auth`] when the token provider fails or a fresh token
    ///   is refused with 401 too.
    pub async fn send<B>(&self, what: &str, build: B) -> Result<reqwest::Response>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.execute(what, build, |response| async move { Ok(response) })
            .await
    }

    /// Like [`HttpClient::send`], and also reads the whole body inside the
    /// retry loop, so that a connection cut mid-body is retried.
    ///
    /// # Errors
    /// As [`HttpClient::send`].
    pub async fn fetch<B>(&self, what: &str, build: B) -> Result<Answer>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.execute(what, build, |response| async move {
            let status = response.status();
            let headers = response.headers().clone();
            let url = redact_url(response.url());
            match response.bytes().await {
                Ok(body) => Ok(Answer {
                    status,
                    headers,
                    url,
                    body: body.into(),
                }),
                Err(e) => Err(Failure {
                    error: Error::new(
                        ErrorKind::Network,
                        format!(
                            "{what}: the connection broke while reading the answer: {}",
                            describe(&e)
                        ),
                    )
                    .with_context("url", &url),
                    status: Some(status),
                }),
            }
        })
        .await
    }

    async fn execute<T, B, R, RF>(&self, what: &str, build: B, read: R) -> Result<T>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        R: Fn(reqwest::Response) -> RF,
        RF: Future<Output = std::result::Result<T, Failure>>,
    {
        let settings = &self.inner.settings;
        let renewed = AtomicBool::new(false);
        let attempts = AtomicU32::new(0);
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(settings.retry_min_delay)
            .with_max_delay(settings.retry_max_delay)
            .with_max_times(settings.max_retries as usize);
        let max_retry_after = settings.max_retry_after;
        let result = (|| {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(what, &build, &read, &renewed)
        })
        .retry(backoff)
        .when(|f: &Failure| f.error.is_temporary())
        .adjust(|f: &Failure, delay: Option<Duration>| {
            // `None` means the retries are spent: keep it that way.
            delay.map(|delay| match f.error.retry_after() {
                Some(after) if !after.is_zero() => after.min(max_retry_after),
                _ => delay,
            })
        })
        .notify(|f: &Failure, delay: Duration| {
            SourceStats::bump(&self.inner.stats.retries);
            let attempt = attempts.load(Ordering::Relaxed);
            let status = f.status.map(|s| s.as_u16());
            warn!(
                attempt,
                status,
                delay_ms = delay.as_millis() as u64,
                error = %f.error,
                "Retrying {what} after a temporary failure."
            );
        })
        .await;
        result.map_err(|f| {
            if f.error.is_temporary() {
                gave_up(f.error, attempts.load(Ordering::Relaxed))
            } else {
                f.error
            }
        })
    }

    /// One attempt: authenticate, wait for the pacer, send, classify. A
    /// 401 is answered here by one token renewal.
    async fn attempt<T, B, R, RF>(
        &self,
        what: &str,
        build: &B,
        read: &R,
        renewed: &AtomicBool,
    ) -> std::result::Result<T, Failure>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        R: Fn(reqwest::Response) -> RF,
        RF: Future<Output = std::result::Result<T, Failure>>,
    {
        let inner = &*self.inner;
        let retook = AtomicBool::new(false);
        loop {
            let token = match &inner.auth {
                Some(auth) => Some(auth.token(&inner.client, &inner.stats).await?),
                None => None,
            };
            inner.limiter.until_ready().await;
            if let (Some(auth), Some(held)) = (&inner.auth, &token)
                && !retook.swap(true, Ordering::Relaxed)
                && auth.is_refused(held)
            {
                // Another request met a 401 with this token while this one
                // waited for its slot: take the renewed token (once).
                continue;
            }
            let mut builder = build(&inner.client);
            if let Some(token) = &token {
                builder = builder.bearer_auth(token.expose());
            }
            let request = builder.build().map_err(|e| {
                Failure::from(Error::config(format!(
                    "{what}: could not build the request: {}",
                    describe(&e)
                )))
            })?;
            let url = redact_url(request.url());
            if let Some(quota) = inner.quota.get() {
                quota.acquire().await?;
            }
            SourceStats::bump(&inner.stats.requests);
            let response = match inner.client.execute(request).await {
                Ok(response) => response,
                Err(e) => return Err(network_failure(what, &url, &e, inner.settings.timeout)),
            };
            let status = response.status();
            if let (StatusCode::UNAUTHORIZED, Some(auth), Some(stale)) =
                (status, &inner.auth, &token)
            {
                if !renewed.swap(true, Ordering::Relaxed) {
                    debug!(url = %url, "Access token refused; renewing it once.");
                    auth.invalidate(stale);
                    continue;
                }
                return Err(Failure {
                    error: Error::new(
                        ErrorKind::Auth,
                        format!(
                            "{what}: the server refused a freshly issued access token (401 Unauthorized); check that the credentials belong to an application allowed to use this API"
                        ),
                    )
                    .with_context("url", &url),
                    status: Some(status),
                });
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                SourceStats::bump(&inner.stats.rate_limited);
                let after = retry_after(response.headers());
                let pause = after
                    .filter(|a| !a.is_zero())
                    .unwrap_or(Duration::from_secs(1))
                    .min(inner.settings.max_retry_after);
                inner.limiter.back_off(pause);
                return Err(Failure {
                    error: Error::new(
                        ErrorKind::RateLimited,
                        format!("{what}: the server asked to slow down (429 Too Many Requests)"),
                    )
                    .with_retry_after(after)
                    .with_context("url", &url),
                    status: Some(status),
                });
            }
            if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                let body = response.bytes().await.unwrap_or_default();
                let detail = excerpt(&body, 200);
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                };
                return Err(Failure {
                    error: Error::new(
                        ErrorKind::Http,
                        format!(
                            "{what}: the server answered {}{detail}",
                            status_text(status)
                        ),
                    )
                    .with_context("url", &url),
                    status: Some(status),
                });
            }
            return read(response).await;
        }
    }
}

/// The final error once retries are spent: same kind, still temporary, and
/// saying how many attempts were made.
fn gave_up(error: Error, attempts: u32) -> Error {
    let advice = match error.kind() {
        ErrorKind::RateLimited => "lower `rate_limit_per_sec` or try again later",
        ErrorKind::Network => "check the network and the URL, or raise `timeout_secs`",
        _ => "the service may be down; try again later",
    };
    let times = if attempts == 1 { "attempt" } else { "attempts" };
    let mut out = Error::new(
        error.kind(),
        format!(
            "{}; gave up after {attempts} {times}: {advice}",
            error.message()
        ),
    )
    .set_temporary(true)
    .with_retry_after(error.retry_after());
    for (key, value) in error.context() {
        out = out.with_context(key, value);
    }
    out.with_source(error)
}

fn network_failure(what: &str, url: &str, e: &reqwest::Error, timeout: Duration) -> Failure {
    let message = if e.is_timeout() {
        format!(
            "{what}: no answer within {} s (timeout)",
            timeout.as_secs_f64()
        )
    } else if e.is_connect() {
        format!("{what}: could not connect: {}", describe(e))
    } else {
        format!("{what}: the request failed: {}", describe(e))
    };
    Failure::from(Error::new(ErrorKind::Network, message).with_context("url", url))
}

/// `429 Too Many Requests`, `503 Service Unavailable`, ...
fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A reqwest error and its causes, without any URL.
fn describe(e: &reqwest::Error) -> String {
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

/// The OAuth2 client-credentials grant (RFC 6749 §4.4), as a
/// [`TokenProvider`].
///
/// `POST token_url` with a form body `grant_type=client_credentials`,
/// `client_id`, `client_secret` and `scope`. Query parameters of `token_url`
/// (such as `realm=/partenaire`) stay in the query, never in the body.
///
/// The token is renewed a minute before `expires_in` runs out (halfway for
/// lifetimes under two minutes). Renewal is single-flight and ahead of
/// expiry: one caller fetches the new token while the others keep using the
/// current one until shortly before it expires
/// ([`ClientCredentials::usable_for`]); only when no usable token is left do
/// callers wait, for one token request between them. When the server
/// refuses a token before its announced expiry (401), later tokens are
/// taken to live no longer than that one did, and are renewed in time.
pub struct ClientCredentials {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
    hint: String,
    cache: std::sync::Mutex<Option<CachedToken>>,
    /// Held while a token is being fetched, so that only one task fetches.
    renewal: tokio::sync::Mutex<()>,
    /// How long tokens really lived, when the server refused one earlier
    /// than its `expires_in` said.
    observed_lifetime: std::sync::Mutex<Option<Duration>>,
    /// The last token the server refused.
    refused: std::sync::Mutex<Option<Secret>>,
}

struct CachedToken {
    token: Secret,
    fetched_at: Instant,
    /// From then on, one caller renews the token…
    renew_at: Instant,
    /// …while the others keep using it until then.
    usable_until: Instant,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &redact_url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer; only `access_token` is required.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// An OAuth2 error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

/// Lifetime assumed when the token endpoint does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

impl ClientCredentials {
    /// Credentials for `token_url`.
    pub fn new(token_url: Url, client_id: impl Into<String>, client_secret: Secret) -> Self {
        ClientCredentials {
            token_url,
            client_id: client_id.into(),
            client_secret,
            scope: None,
            hint: "check the client id and secret".to_string(),
            cache: std::sync::Mutex::new(None),
            renewal: tokio::sync::Mutex::new(()),
            observed_lifetime: std::sync::Mutex::new(None),
            refused: std::sync::Mutex::new(None),
        }
    }

    /// Asks for `scope` (space-separated scopes).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        let scope = scope.into();
        self.scope = (!scope.trim().is_empty()).then_some(scope);
        self
    }

    /// Sets the advice appended to refused-credential errors, such as
    /// `"check FT_CLIENT_ID and FT_CLIENT_SECRET"`.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// When to renew a token that lives `lifetime`: a minute early, or
    /// halfway for lifetimes under two minutes.
    pub fn renewal_delay(lifetime: Duration) -> Duration {
        if lifetime >= Duration::from_secs(120) {
            lifetime - Duration::from_secs(60)
        } else {
            lifetime / 2
        }
    }

    /// How long a token that lives `lifetime` may still be sent once its
    /// renewal is due: until 30 s before it expires, or 60 % of its life for
    /// lifetimes under two minutes (a request may wait for its rate-limit
    /// slot after taking the token).
    pub fn usable_for(lifetime: Duration) -> Duration {
        if lifetime >= Duration::from_secs(120) {
            lifetime - Duration::from_secs(30)
        } else {
            lifetime.mul_f64(0.6)
        }
    }

    /// The cached token and whether it is due for renewal, unless it is no
    /// longer usable.
    fn cached(&self) -> Option<(Secret, bool)> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        cache
            .as_ref()
            .filter(|c| now < c.renew_at.max(c.usable_until))
            .map(|c| (c.token.clone(), now >= c.renew_at))
    }

    async fn renew(&self, client: &reqwest::Client, stats: &SourceStats) -> Result<Secret> {
        let (token, announced) = self.fetch(client).await?;
        // A server that expired tokens early will do it again: renew in time.
        let observed = *self
            .observed_lifetime
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let lifetime = observed.map_or(announced, |o| o.min(announced));
        {
            let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
            if refused.as_ref() == Some(&token) {
                // The server issued the same token again: it holds it valid.
                *refused = None;
            }
        }
        SourceStats::bump(&stats.tokens);
        debug!(
            lifetime_secs = lifetime.as_secs(),
            "Fetched an access token."
        );
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *cache = Some(CachedToken {
            token: token.clone(),
            fetched_at: now,
            renew_at: now + Self::renewal_delay(lifetime),
            usable_until: now + Self::usable_for(lifetime),
        });
        Ok(token)
    }

    fn host(&self) -> String {
        let host = self.token_url.host_str().unwrap_or("?");
        match self.token_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    async fn fetch(&self, client: &reqwest::Client) -> Result<(Secret, Duration)> {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.as_str()));
        }
        let url = redact_url(&self.token_url);
        let host = self.host();
        let response = client
            .post(self.token_url.clone())
            .header(ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                let cause = describe(&e);
                let message = if e.is_timeout() {
                    format!(
                        "the token endpoint at {host} did not answer in time; check `token_url` and the network"
                    )
                } else {
                    format!(
                        "could not reach the token endpoint at {host} ({cause}); check `token_url` and the network"
                    )
                };
                Error::new(ErrorKind::Network, message).with_context("token_url", &url)
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!(
                    "the connection to the token endpoint at {host} broke: {}",
                    describe(&e)
                ),
            )
            .with_context("token_url", &url)
        })?;
        if status.is_success() {
            return self.parse_token(&body, &url);
        }
        Err(self.refused(status, &headers, &body, &url, &host))
    }

    fn parse_token(&self, body: &[u8], url: &str) -> Result<(Secret, Duration)> {
        let parse_error = |detail: String| {
            Error::new(
                ErrorKind::Parse,
                format!("the token endpoint's answer is not an OAuth2 token: {detail}"),
            )
            .with_context("token_url", url)
        };
        let answer: TokenAnswer =
            serde_json::from_slice(body).map_err(|e| parse_error(e.to_string()))?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| parse_error("no `access_token`".to_string()))?;
        let lifetime = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .unwrap_or(DEFAULT_LIFETIME);
        Ok((Secret::new(token), lifetime))
    }

    fn refused(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        url: &str,
        host: &str,
    ) -> Error {
        let code = status_text(status);
        match status.as_u16() {
            400 | 401 | 403 => {
                let detail = match serde_json::from_slice::<OAuthError>(body) {
                    Ok(OAuthError {
                        error: Some(error),
                        error_description,
                    }) => match error_description.filter(|d| !d.is_empty()) {
                        Some(description) => format!("`{error}` ({description})"),
                        None => format!("`{error}`"),
                    },
                    _ => code.clone(),
                };
                Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the token endpoint at {host} refused the credentials: {detail}; {}",
                        self.hint
                    ),
                )
                .with_context("token_url", url)
            }
            429 => Error::new(
                ErrorKind::RateLimited,
                format!("the token endpoint at {host} asked to slow down ({code})"),
            )
            .with_retry_after(retry_after(headers))
            .with_context("token_url", url),
            408 | 500..=599 => Error::new(
                ErrorKind::Http,
                format!("the token endpoint at {host} failed ({code})"),
            )
            .with_context("token_url", url),
            300..=399 => {
                let to = headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| self.token_url.join(l).ok())
                    .map(|l| format!(" to {}", redact_url(&l)))
                    .unwrap_or_default();
                Error::config(format!(
                    "the token endpoint at {host} redirects ({code}){to}; check `token_url`"
                ))
                .with_context("token_url", url)
            }
            _ => Error::config(format!(
                "the token endpoint at {host} answered {code}; check `token_url`"
            ))
            .with_context("token_url", url),
        }
    }
}

#[async_trait]
impl TokenProvider for ClientCredentials {
    async fn token(&self, client: &reqwest::Client, stats: &SourceStats) -> Result<Secret> {
        match self.cached() {
            Some((token, false)) => return Ok(token),
            Some((token, true)) => {
                // Renewal is due but the token still works: one caller
                // renews, the others go on with the current token.
                let Ok(_renewal) = self.renewal.try_lock() else {
                    return Ok(token);
                };
                if let Some((fresh, false)) = self.cached() {
                    return Ok(fresh);
                }
                return match self.renew(client, stats).await {
                    Ok(fresh) => Ok(fresh),
                    Err(error) if error.is_temporary() => {
                        debug!(error = %error, "Token renewal failed; the current token is still valid.");
                        Ok(token)
                    }
                    Err(error) => Err(error),
                };
            }
            None => {}
        }
        // No usable token: one fetch at a time; whoever waited here finds
        // the fresh token.
        let _renewal = self.renewal.lock().await;
        if let Some((token, _)) = self.cached() {
            return Ok(token);
        }
        self.renew(client, stats).await
    }

    fn invalidate(&self, stale: &Secret) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(stale.clone());
        if let Some(cached) = cache.as_ref().filter(|c| &c.token == stale) {
            // A token refused within a second was not refused for its age.
            let lived = cached.fetched_at.elapsed();
            if lived >= Duration::from_secs(1) {
                let mut observed = self
                    .observed_lifetime
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                *observed = Some(observed.map_or(lived, |o| o.min(lived)));
            }
            *cache = None;
        }
    }

    fn is_refused(&self, token: &Secret) -> bool {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|r| r == token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant as StdInstant;
    use wiremock::matchers::{body_string_contains, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn fast() -> HttpSettings {
        HttpSettings::default()
            .with_rate_limit_per_sec(1000.0)
            .with_retry_delays(Duration::from_millis(5), Duration::from_millis(20))
            .with_timeout(Duration::from_secs(5))
    }

    fn client(settings: HttpSettings, auth: Option<Arc<dyn TokenProvider>>) -> HttpClient {
        HttpClient::new(settings, Arc::new(SourceStats::new()), auth).unwrap()
    }

    fn get(server: &MockServer, p: &str) -> impl Fn(&reqwest::Client) -> reqwest::RequestBuilder {
        let url = format!("{}{p}", server.uri());
        move |c: &reqwest::Client| c.get(&url)
    }

    fn credentials(server: &MockServer) -> ClientCredentials {
        let url = Url::parse(&format!("{}/token?realm=%2Fpartenaire", server.uri())).unwrap();
        ClientCredentials::new(url, "my-id", Secret::new("s3cr3t-value"))
            .with_scope("api_x")
            .with_hint("check MY_ID and MY_SECRET")
    }

    fn token_answer(token: &str, expires_in: u64) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "api_x"
        }))
    }

    #[tokio::test]
    async fn retry_after_is_honoured_then_success() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
        let http = client(fast(), None);
        let start = StdInstant::now();
        let answer = http.fetch("test", get(&server, "/r")).await.unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, b"ok");
        assert!(
            start.elapsed() >= Duration::from_millis(950),
            "waited only {:?}",
            start.elapsed()
        );
        let stats = http.stats();
        assert_eq!(SourceStats::get(&stats.requests), 2);
        assert_eq!(SourceStats::get(&stats.retries), 1);
        assert_eq!(SourceStats::get(&stats.rate_limited), 1);
    }

    #[tokio::test]
    async fn retry_after_is_capped() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let http = client(fast().with_max_retry_after(Duration::from_millis(50)), None);
        let start = StdInstant::now();
        http.send("test", get(&server, "/r")).await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn server_error_then_success() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(206).set_body_string("page"))
            .expect(1)
            .mount(&server)
            .await;
        let http = client(fast(), None);
        let response = http.send("test", get(&server, "/r")).await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(response.text().await.unwrap(), "page");
        assert_eq!(SourceStats::get(&http.stats().retries), 1);
    }

    #[tokio::test]
    async fn other_statuses_are_handed_back() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(400).set_body_string("{\"message\":\"bad\"}"))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/empty"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        let http = client(fast(), None);
        let answer = http.fetch("test", get(&server, "/r")).await.unwrap();
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        let answer = http.fetch("test", get(&server, "/empty")).await.unwrap();
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
        assert!(answer.body.is_empty());
    }

    #[tokio::test]
    async fn spent_retries_give_a_temporary_error_saying_so() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(502).set_body_string("upstream down"))
            .expect(3)
            .mount(&server)
            .await;
        let http = client(fast().with_max_retries(2), None);
        let url = format!("{}/r?api_key=SECRETKEY", server.uri());
        let err = http
            .send("search page 1", |c| c.get(&url))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Http);
        assert!(err.is_temporary());
        let msg = err.to_string();
        assert!(msg.contains("search page 1"), "{msg}");
        assert!(msg.contains("502 Bad Gateway"), "{msg}");
        assert!(msg.contains("upstream down"), "{msg}");
        assert!(msg.contains("gave up after 3 attempts"), "{msg}");
        assert!(msg.contains("/r"), "{msg}");
        assert!(!msg.contains("SECRETKEY"), "{msg}");
        assert_eq!(SourceStats::get(&http.stats().requests), 3);
        assert_eq!(SourceStats::get(&http.stats().retries), 2);
    }

    #[tokio::test]
    async fn spent_retries_on_429_are_rate_limited() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(429))
            .expect(2)
            .mount(&server)
            .await;
        let http = client(fast().with_max_retries(1), None);
        let err = http.send("test", get(&server, "/r")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.is_temporary());
        assert!(err.to_string().contains("rate_limit_per_sec"), "{err}");
        assert_eq!(SourceStats::get(&http.stats().rate_limited), 2);
    }

    #[tokio::test]
    async fn timeouts_are_retried_then_reported() {
        let server = MockServer::start().await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let http = client(
            fast()
                .with_timeout(Duration::from_millis(150))
                .with_max_retries(1),
            None,
        );
        let err = http.send("test", get(&server, "/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_temporary());
        assert!(err.to_string().contains("timeout"), "{err}");
        assert!(
            err.to_string().contains("gave up after 2 attempts"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn connection_errors_are_network_errors() {
        // Bind then drop a listener: nothing listens on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let http = client(fast().with_max_retries(1), None);
        let url = format!("http://127.0.0.1:{port}/x");
        let err = http.send("test", |c| c.get(&url)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.to_string().contains("could not connect"), "{err}");
        assert_eq!(SourceStats::get(&http.stats().requests), 2);
    }

    #[tokio::test]
    async fn a_401_renews_the_token_once() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(token_answer("first", 1500))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(token_answer("second", 1500))
            .mount(&server)
            .await;
        Mock::given(path("/api"))
            .and(header("authorization", "Bearer first"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/api"))
            .and(header("authorization", "Bearer second"))
            .respond_with(ResponseTemplate::new(200))
            .expect(2)
            .mount(&server)
            .await;
        let auth: Arc<dyn TokenProvider> = Arc::new(credentials(&server));
        let http = client(fast(), Some(auth));
        http.send("test", get(&server, "/api")).await.unwrap();
        // The renewed token is cached for the next request.
        http.send("test", get(&server, "/api")).await.unwrap();
        assert_eq!(SourceStats::get(&http.stats().tokens), 2);
        assert_eq!(SourceStats::get(&http.stats().retries), 0);
        let token_requests = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/token")
            .count();
        assert_eq!(token_requests, 2);
    }

    #[tokio::test]
    async fn a_second_401_is_an_auth_error() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("tok", 1500))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(path("/api"))
            .respond_with(ResponseTemplate::new(401))
            .expect(2)
            .mount(&server)
            .await;
        let auth: Arc<dyn TokenProvider> = Arc::new(credentials(&server));
        let http = client(fast(), Some(auth));
        let err = http.send("test", get(&server, "/api")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(!err.is_temporary());
    }

    #[tokio::test]
    async fn without_a_provider_a_401_is_handed_back() {
        let server = MockServer::start().await;
        Mock::given(path("/api"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        let http = client(fast(), None);
        let response = http.send("test", get(&server, "/api")).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_token_request() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(query_param("realm", "/partenaire"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=my-id"))
            .and(body_string_contains("client_secret=s3cr3t-value"))
            .and(body_string_contains("scope=api_x"))
            .respond_with(token_answer("shared", 1500).set_delay(Duration::from_millis(200)))
            .expect(1)
            .mount(&server)
            .await;
        let creds = Arc::new(credentials(&server));
        install_crypto_provider();
        let reqwest_client = reqwest::Client::new();
        let stats = Arc::new(SourceStats::new());
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (creds, c, stats) = (creds.clone(), reqwest_client.clone(), stats.clone());
                tokio::spawn(async move { creds.token(&c, &stats).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "shared");
        }
        assert_eq!(SourceStats::get(&stats.tokens), 1);
        // The realm stays in the query, never in the body.
        let requests = server.received_requests().await.unwrap();
        let body = String::from_utf8_lossy(&requests[0].body).to_string();
        assert!(!body.contains("realm"), "{body}");
    }

    #[tokio::test]
    async fn invalidate_only_forgets_the_stale_token() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("current", 1500))
            .expect(1)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        let token = creds.token(&c, &stats).await.unwrap();
        creds.invalidate(&Secret::new("an older one"));
        assert_eq!(creds.token(&c, &stats).await.unwrap(), token);
        assert_eq!(SourceStats::get(&stats.tokens), 1);
    }

    #[tokio::test]
    async fn short_lived_tokens_are_renewed() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("brief", 0))
            .expect(2)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        creds.token(&c, &stats).await.unwrap();
        creds.token(&c, &stats).await.unwrap();
        assert_eq!(SourceStats::get(&stats.tokens), 2);
    }

    #[tokio::test]
    async fn due_renewal_lets_other_callers_use_the_current_token() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("first", 2))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/token"))
            .respond_with(token_answer("second", 1500).set_delay(Duration::from_millis(400)))
            .mount(&server)
            .await;
        let creds = Arc::new(credentials(&server));
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = Arc::new(SourceStats::new());
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "first");
        // Renewal is due after 1 s; the token stays usable until 1.2 s.
        tokio::time::sleep(Duration::from_millis(1050)).await;
        let renewing = {
            let (creds, c, stats) = (creds.clone(), c.clone(), stats.clone());
            tokio::spawn(async move { creds.token(&c, &stats).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let start = StdInstant::now();
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "first");
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "did not wait for the renewal"
        );
        assert_eq!(renewing.await.unwrap().unwrap().expose(), "second");
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "second");
        assert_eq!(SourceStats::get(&stats.tokens), 2);
    }

    #[tokio::test]
    async fn a_429_pauses_every_caller_and_widens_the_spacing() {
        let pacer = Pacer::new(Duration::from_millis(10));
        pacer.until_ready().await;
        pacer.back_off(Duration::from_millis(300));
        assert_eq!(pacer.period(), Duration::from_micros(11_250));
        let start = StdInstant::now();
        pacer.until_ready().await;
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "{:?}",
            start.elapsed()
        );
        for _ in 0..20 {
            pacer.back_off(Duration::ZERO);
        }
        assert_eq!(
            pacer.period(),
            Duration::from_millis(20),
            "at most twice as slow"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_never_lets_more_than_the_rate_into_one_second() {
        // 20 per second, evenly: the 21st request would leave exactly one
        // second after the first; it waits for the window's margin.
        let pacer = Pacer::new(Duration::from_millis(50));
        let start = Instant::now();
        for _ in 0..20 {
            pacer.until_ready().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(950));
        pacer.until_ready().await;
        assert_eq!(start.elapsed(), PACER_WINDOW);
        // 2.5 per second: the window allows 3, the spacing rules.
        let pacer = Pacer::new(Duration::from_millis(400));
        let start = Instant::now();
        for _ in 0..4 {
            pacer.until_ready().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(1200));
    }

    #[tokio::test]
    async fn a_429_answer_slows_down_the_client() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let http = client(
            fast().with_max_retry_after(Duration::from_millis(300)),
            None,
        );
        let start = StdInstant::now();
        http.send("test", get(&server, "/r")).await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "{:?}",
            start.elapsed()
        );
        // 1000/s configured: the spacing is now an eighth wider.
        assert_eq!(http.inner.limiter.period(), Duration::from_micros(1125));
    }

    #[tokio::test]
    async fn a_token_refused_early_teaches_its_real_lifetime() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("long-announced", 1500))
            .expect(2)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        let token = creds.token(&c, &stats).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        // The server refused it after 1.2 s.
        creds.invalidate(&token);
        assert!(creds.is_refused(&token));
        let fresh = creds.token(&c, &stats).await.unwrap();
        assert!(!creds.is_refused(&fresh), "issued again, so valid again");
        let cache = creds.cache.lock().unwrap();
        let cached = cache.as_ref().unwrap();
        let renewal = cached.renew_at - cached.fetched_at;
        assert!(
            renewal <= Duration::from_millis(700),
            "renewed at half the observed life: {renewal:?}"
        );
    }

    #[test]
    fn tokens_stay_usable_a_little_past_their_renewal() {
        let u = ClientCredentials::usable_for;
        assert_eq!(u(Duration::from_secs(1499)), Duration::from_secs(1469));
        assert_eq!(u(Duration::from_secs(10)), Duration::from_secs(6));
        assert_eq!(u(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn renewal_is_a_minute_early_or_at_half_life() {
        let d = ClientCredentials::renewal_delay;
        assert_eq!(d(Duration::from_secs(1499)), Duration::from_secs(1439));
        assert_eq!(d(Duration::from_secs(120)), Duration::from_secs(60));
        assert_eq!(d(Duration::from_secs(100)), Duration::from_secs(50));
        assert_eq!(d(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn invalid_client_is_an_auth_error_without_the_secret() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/api"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        assert!(!format!("{creds:?}").contains("s3cr3t-value"));
        let auth: Arc<dyn TokenProvider> = Arc::new(creds);
        let http = client(fast(), Some(auth));
        assert!(!format!("{http:?}").contains("s3cr3t-value"));
        let err = http.send("test", get(&server, "/api")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(!err.is_temporary());
        let (shown, debug) = (err.to_string(), format!("{err:?}"));
        assert!(shown.contains("invalid_client"), "{shown}");
        assert!(shown.contains("check MY_ID and MY_SECRET"), "{shown}");
        for text in [&shown, &debug] {
            assert!(!text.contains("s3cr3t-value"), "{text}");
        }
    }

    #[tokio::test]
    async fn unreachable_token_endpoint_names_the_host() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/token?realm=x")).unwrap();
        let creds = ClientCredentials::new(url, "id", Secret::new("pw"));
        install_crypto_provider();
        let err = creds
            .token(&reqwest::Client::new(), &SourceStats::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_temporary());
        let msg = err.to_string();
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(msg.contains("token_url"), "{msg}");
    }

    #[tokio::test]
    async fn malformed_token_answer_is_a_parse_error() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let err = creds
            .token(&reqwest::Client::new(), &SourceStats::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert!(err.to_string().contains("not an OAuth2 token"), "{err}");
    }

    #[tokio::test]
    async fn rate_limiter_spaces_requests() {
        let server = MockServer::start().await;
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200))
            .expect(10)
            .mount(&server)
            .await;
        let http = client(fast().with_rate_limit_per_sec(20.0), None);
        let start = StdInstant::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let http = http.clone();
                let url = format!("{}/r", server.uri());
                tokio::spawn(async move { http.send("test", |c| c.get(&url)).await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        // Ten requests at 20/s, no burst: nine gaps of 50 ms.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(430), "{elapsed:?}");
    }

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

    #[tokio::test]
    async fn every_request_sent_counts_against_the_quota() {
        use crate::quota::{Period, Quotas};
        let server = MockServer::start().await;
        Mock::given(path("/q"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/q"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let quotas = Arc::new(Quotas::new("test/app").budget(3, Period::Day));
        let http = client(fast(), None).with_quota(Arc::clone(&quotas));
        // A 503 and its retry: two requests counted.
        http.send("test", get(&server, "/q")).await.unwrap();
        assert_eq!(quotas.tightest().unwrap().unwrap().left, 1);
        http.send("test", get(&server, "/q")).await.unwrap();
        let err = http.send("test", get(&server, "/q")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(!err.is_temporary(), "a spent budget is not retried");
        assert!(
            err.to_string().contains("0 of the daily budget of 3"),
            "{err}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }
}

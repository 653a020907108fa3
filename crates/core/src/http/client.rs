//! [`HttpClient`]: the retry loop around one attempt (token, pacer, send,
//! classify), and the capped read of each answer.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::StatusCode;
use tracing::{debug, warn};

use super::answer::{Answer, describe, excerpt, redact_url, retry_after, status_text};
use super::body::{self, BodyError, EXCERPT_BYTES};
use super::pacer::Pacer;
use super::settings::HttpSettings;
use super::token::TokenProvider;
use crate::error::{Error, ErrorKind, Result};
use crate::quota::Quotas;
use crate::source::SourceStats;

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
    quota: OnceLock<Arc<Quotas>>,
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
    /// positive, a zero timeout or body cap), or when the TLS stack cannot
    /// be set up.
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
        if settings.max_body_bytes == 0 {
            return Err(Error::config(
                "max_body_mb: must be at least 1 (MB)".to_string(),
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
                quota: OnceLock::new(),
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

    /// The underlying reqwest client (no rate limit, no retry, no token, no
    /// body cap).
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
    /// response is read by the caller, outside the retry loop, with
    /// [`HttpClient::read_answer`] so that it is capped too: prefer
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
    /// retry loop, so that a connection cut mid-body is retried. The body is
    /// read chunk by chunk and capped at
    /// [`HttpSettings::max_body_bytes`] ([`super::body`]).
    ///
    /// # Errors
    /// As [`HttpClient::send`], and a permanent [`ErrorKind::Http`] error,
    /// not retried, when the body is larger than the cap.
    pub async fn fetch<B>(&self, what: &str, build: B) -> Result<Answer>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let limit = self.inner.settings.max_body_bytes;
        self.execute(what, build, |response| read_answer(what, response, limit))
            .await
    }

    /// Reads the body of a response [`HttpClient::send`] returned, capped
    /// at [`HttpSettings::max_body_bytes`] like [`HttpClient::fetch`]'s.
    ///
    /// # Errors
    /// A permanent [`ErrorKind::Http`] error when the body is larger than
    /// the cap, an [`ErrorKind::Network`] error when the connection breaks.
    pub async fn read_answer(&self, what: &str, response: reqwest::Response) -> Result<Answer> {
        read_answer(what, response, self.inner.settings.max_body_bytes)
            .await
            .map_err(|f| f.error)
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
                // Only the start of the body, for the message: a failing
                // server may send anything, endlessly.
                let body = body::read_prefix(response, EXCERPT_BYTES).await;
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

/// Reads `response` into an [`Answer`], its body capped at `limit` bytes.
async fn read_answer(
    what: &str,
    response: reqwest::Response,
    limit: usize,
) -> std::result::Result<Answer, Failure> {
    let status = response.status();
    let headers = response.headers().clone();
    let url = redact_url(response.url());
    match body::read_capped(response, limit).await {
        Ok(body) => Ok(Answer {
            status,
            headers,
            url,
            body,
        }),
        Err(BodyError::TooLarge) => Err(Failure {
            error: body::too_large(what, &url, limit),
            status: Some(status),
        }),
        Err(BodyError::Read(e)) => Err(Failure {
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

#[cfg(test)]
mod tests {
    use std::time::Instant as StdInstant;

    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::http::test_support::{client, credentials, fast, get, token_answer};

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

//! The one HTTP layer every connector shares: rate limiting, retry with
//! backoff, `Retry-After`, bearer-token renewal and bounded bodies.
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
//!    cannot bunch requests into a server's sliding second. It sits *inside*
//!    the retry loop, so a retry waits its turn like any other request and
//!    a burst of retries cannot break the board's quota. A 429 slows every
//!    task down: nobody sends before its `Retry-After` (1 s when absent) is
//!    over, and the spacing widens by an eighth (up to twice the configured
//!    one) for the rest of the run.
//! 3. **Retry.** Temporary failures (429, 408, 5xx, timeouts, connection and
//!    body-read errors) are retried with exponential backoff and jitter
//!    (backon), at most `max_retries` times. A 429's `Retry-After` replaces the
//!    backoff delay, capped by `max_retry_after`. When the retries are spent
//!    the error stays temporary and says what was tried and how often.
//! 4. **Bounded bodies.** Every body is read chunk by chunk with a cap
//!    (`max_body_mb`, 64 MiB by default); past it the request fails at once,
//!    permanently, and is not retried. A 5xx's body is read for its first
//!    few KB only, a token answer for 1 MiB at most ([`body`]).
//!
//! Every other status (2xx including 204, 3xx, 4xx) is handed back to the
//! connector, which alone knows what its board means by it (a 400's body, a
//! 204 "nothing found"). Nothing here knows any particular board.
//!
//! No secret reaches a log line or an error: URLs are shown without their
//! query string and user info ([`redact_url`]), tokens and client secrets are
//! [`Secret`](crate::Secret)s, and reqwest errors are stripped of their URL.
//!
//! One file per concern:
//!
//! | file | what |
//! |---|---|
//! | `settings.rs` | [`HttpSettings`] |
//! | `client.rs` | [`HttpClient`]: the retry loop around one attempt |
//! | `pacer.rs` | the pacer (rate limit, slowing down after a 429) |
//! | `answer.rs` | [`Answer`], [`redact_url`], [`excerpt`], [`retry_after`] |
//! | `body.rs` | the body caps |
//! | `token.rs` | [`TokenProvider`] |
//! | `credentials.rs` | [`ClientCredentials`], the client-credentials grant on `oauth2` |
//! | `oauth.rs` | [`OAuthHttp`], `oauth2`'s HTTP client over ours (both OAuth2 flows) |
//!
//! The spec's shared HTTP keys that set [`HttpSettings`] are read by
//! [`crate::http_config`].
//!
//! [`ErrorKind::Auth`]: crate::ErrorKind::Auth

mod answer;
pub mod body;
mod client;
mod credentials;
mod oauth;
mod pacer;
mod settings;
#[cfg(test)]
mod test_support;
mod token;

pub use answer::{Answer, excerpt, redact_url, retry_after};
pub use body::DEFAULT_MAX_BODY_BYTES;
pub use client::{HttpClient, install_crypto_provider};
pub use credentials::ClientCredentials;
pub use oauth::{OAuthHttp, TransportError, TransportFailure};
pub use settings::HttpSettings;
pub use token::TokenProvider;

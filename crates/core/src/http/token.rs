//! [`TokenProvider`]: where [`super::HttpClient`] takes its bearer tokens.
//!
//! The core keeps the trait and one flow, the client-credentials grant
//! ([`super::ClientCredentials`]); `crates/auth` adds the user's token of
//! the authorization-code flow.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::secret::Secret;
use crate::source::SourceStats;

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
    /// [`crate::ErrorKind::Auth`] when the credentials are refused, or a
    /// temporary error when the token endpoint is unreachable or failing.
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

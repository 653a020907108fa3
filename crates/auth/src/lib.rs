//! OAuth2 for jobharvest connectors, both flows behind one interface.
//!
//! - **Client credentials**: the application acts for itself. The grant
//!   (on `oauth2`) and its single-flight renewal live in the core's HTTP
//!   layer ([`jobharvest_core::http::ClientCredentials`]); [`Credentials`]
//!   wraps it.
//! - **Authorization code** with OpenID Connect: the application acts for a
//!   user who consents in a browser (France Travail Connect).
//!   [`AuthorizationCodeFlow`] makes the login URL, then checks the
//!   redirect and the token answer (`state`, `nonce`, the `id_token`'s
//!   signature against the provider's JWKS, `iss`, `aud`, `exp`, PKCE S256)
//!   before it stores anything in the [`TokenStore`].
//!
//! The key design choice: the checks are those of the well-kept `oauth2` and
//! `openidconnect` crates, sending through the project's own reqwest client
//! (the core's [`OAuthHttp`]: no redirects, no retries, answers capped at
//! 1 MiB), the one OAuth2 stack of both flows, rather than a second HTTP
//! stack or hand-written JWT code. `state` is compared here, before any
//! network call, because the library leaves that to its caller.

pub mod code;
pub mod credentials;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod user_token;

pub use code::{
    AuthorizationCodeFlow, CodeFlowSettings, LoginStatus, LogoutEndpoint, LogoutOutcome, with_realm,
};
pub use credentials::{ClientCredentialsSettings, Credentials};
pub use jobharvest_core::http::{ClientCredentials, OAuthHttp};
pub use store::{ENV_TOKEN_STORE, PendingLogin, TokenStore, UserTokens, store_key};
pub use user_token::UserToken;

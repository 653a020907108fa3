//! The OAuth2 authorization-code flow with OpenID Connect, acting for a
//! user who consents in a browser.
//!
//! 1. [`AuthorizationCodeFlow::begin`] makes the authorization URL (a fresh
//!    `state` and `nonce`, and with PKCE a S256 `code_challenge`) and keeps
//!    them in the [`TokenStore`] as a pending login.
//! 2. The user opens it, consents, and the browser lands on the redirect
//!    URI with `code` and `state`.
//! 3. [`AuthorizationCodeFlow::complete`] takes that URL. Before any
//!    network call it finds the pending login (not used yet, not older than
//!    ten minutes), compares `state`, and reads an `error=` redirect. Then it
//!    exchanges the code (realm in the query string, never in the body),
//!    and checks what comes back: the `nonce` echoed in the answer, the
//!    `id_token`'s signature against the provider's keys (JWKS), its
//!    `iss`, `aud` (= client id), `exp` and `nonce`, and `at_hash` when
//!    present. Only then are the tokens stored.
//!
//! The checks themselves are `openidconnect`'s; this module decides their
//! order and turns each failure into a message naming the check.

use std::time::Duration;

use chrono::Utc;
use jobharvest_core::http::{OAuthHttp, redact_url};
use jobharvest_core::{Error, ErrorKind, Result, Secret};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthUrl, AuthenticationFlow, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims,
    EndpointNotSet, EndpointSet, ExtraTokenFields, IdTokenFields, IssuerUrl, JsonWebKeySetUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::store::{PendingLogin, TokenStore, UserTokens, store_key};

/// Lifetime assumed when the token answer has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

/// Where the user logs out, printed by `auth logout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutEndpoint {
    /// The provider's logout URL.
    pub url: Url,
    /// Whether to add `id_token_hint` (the stored `id_token`) and
    /// `redirect_uri`.
    pub id_token_hint: bool,
    /// Whether the provider wants a POST (then the URL is only shown).
    pub post: bool,
}

/// Everything the flow needs, resolved from a connector's spec.
#[derive(Debug, Clone)]
pub struct CodeFlowSettings {
    /// The application's client id (the `aud` an `id_token` must carry).
    pub client_id: String,
    /// The application's client secret.
    pub client_secret: Secret,
    /// The realm (`/individu`), added as a `realm` query parameter to the
    /// authorize and token URLs that have none.
    pub realm: Option<String>,
    /// The provider's authorization endpoint.
    pub authorize_url: Url,
    /// The provider's token endpoint.
    pub token_url: Url,
    /// The provider's published signing keys.
    pub jwks_url: Url,
    /// The `iss` an `id_token` must carry, exactly.
    pub issuer: String,
    /// Where the provider sends the browser back.
    pub redirect_uri: Url,
    /// The scopes asked for (`openid` is always asked for).
    pub scopes: Vec<String>,
    /// Whether to use PKCE (S256).
    pub pkce: bool,
    /// The provider's logout endpoint, if it has one.
    pub logout: Option<LogoutEndpoint>,
    /// Where pending logins and tokens are kept.
    pub store: TokenStore,
    /// How long one request to the provider may take.
    pub timeout: Duration,
    /// What to tell the user to run to log in again, such as
    /// ``"run `jobharvest auth login job.yaml`"``.
    pub login_hint: String,
}

/// The token answer's fields beyond OAuth2's: the `nonce` some providers
/// (France Travail) echo.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NonceEcho {
    /// The echoed nonce, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl ExtraTokenFields for NonceEcho {}

/// The token answer: OAuth2's fields, an `id_token` and the echoed nonce.
pub type TokenAnswer = StandardTokenResponse<
    IdTokenFields<
        EmptyAdditionalClaims,
        NonceEcho,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type OidcClient<HasAuthUrl = EndpointSet, HasTokenUrl = EndpointSet> = openidconnect::Client<
    EmptyAdditionalClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenAnswer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
    EndpointNotSet,
>;

/// What `auth logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// Whether tokens were stored (and are now forgotten).
    pub forgot_tokens: bool,
    /// The provider's logout URL, with `id_token_hint` where it takes one.
    pub url: Option<String>,
    /// Whether the provider wants that URL POSTed rather than opened.
    pub post: bool,
}

/// What `auth status` shows: never a token.
#[derive(Debug, Clone)]
pub struct LoginStatus {
    /// The stored user tokens, if any.
    pub tokens: Option<UserTokens>,
    /// When a login was started and not completed, if one is pending.
    pub pending_since: Option<chrono::DateTime<Utc>>,
}

/// The authorization-code flow of one application and realm.
#[derive(Debug, Clone)]
pub struct AuthorizationCodeFlow {
    settings: CodeFlowSettings,
}

/// `url` with `realm` in its query, unless it has one already.
pub fn with_realm(mut url: Url, realm: Option<&str>) -> Url {
    if let Some(realm) = realm
        && !url.query_pairs().any(|(k, _)| k == "realm")
    {
        url.query_pairs_mut().append_pair("realm", realm);
    }
    url
}

fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Auth, message)
}

impl AuthorizationCodeFlow {
    /// The flow for `settings`; the realm is added to the authorize and
    /// token URLs that have none.
    ///
    /// # Errors
    /// A config error when the scopes are empty or a URL cannot be used.
    pub fn new(mut settings: CodeFlowSettings) -> Result<Self> {
        let realm = settings.realm.as_deref();
        settings.authorize_url = with_realm(settings.authorize_url.clone(), realm);
        settings.token_url = with_realm(settings.token_url.clone(), realm);
        if settings.scopes.iter().all(|s| s.trim().is_empty()) {
            return Err(Error::config(
                "auth.scope: give the scopes to ask for, such as \"api_peconnect-individuv1 openid profile email\"",
            ));
        }
        IssuerUrl::new(settings.issuer.clone()).map_err(|e| {
            Error::config(format!(
                "auth.issuer: `{}` is not a URL ({e})",
                settings.issuer
            ))
        })?;
        Ok(AuthorizationCodeFlow { settings })
    }

    /// The resolved settings.
    pub fn settings(&self) -> &CodeFlowSettings {
        &self.settings
    }

    /// The key this application and realm are filed under in the store.
    pub fn store_key(&self) -> String {
        store_key(&self.settings.client_id, self.settings.realm.as_deref())
    }

    /// The token store.
    pub fn store(&self) -> &TokenStore {
        &self.settings.store
    }

    fn client(&self, jwks: CoreJsonWebKeySet) -> Result<OidcClient> {
        let s = &self.settings;
        let issuer = IssuerUrl::new(s.issuer.clone()).map_err(|e| {
            Error::config(format!("auth.issuer: `{}` is not a URL ({e})", s.issuer))
        })?;
        let auth_url = AuthUrl::from_url(s.authorize_url.clone());
        let token_url = TokenUrl::from_url(s.token_url.clone());
        Ok(OidcClient::<EndpointNotSet, EndpointNotSet>::new(
            ClientId::new(s.client_id.clone()),
            issuer,
            jwks,
        )
        .set_client_secret(ClientSecret::new(s.client_secret.expose().to_string()))
        // France Travail reads the client id and secret from the body.
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(RedirectUrl::from_url(s.redirect_uri.clone())))
    }

    /// Starts a login: the authorization URL to open in a browser. The
    /// `state`, `nonce` and PKCE verifier are kept in the store, replacing
    /// any login pending for the same application and realm.
    ///
    /// # Errors
    /// The store's errors.
    pub fn begin(&self) -> Result<Url> {
        let client = self.client(CoreJsonWebKeySet::new(Vec::new()))?;
        let mut request = client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        // `openid` comes first, from openidconnect itself.
        for scope in self
            .settings
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
        {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let verifier = if self.settings.pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            Some(Secret::new(verifier.secret().clone()))
        } else {
            None
        };
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: Secret::new(state.secret().clone()),
            nonce: Secret::new(nonce.secret().clone()),
            pkce_verifier: verifier,
            created_at: Utc::now(),
        };
        let key = self.store_key();
        self.store().update(|content| {
            content.pending.insert(key, pending);
            (true, ())
        })?;
        Ok(url)
    }

    /// Completes a login from the URL the browser was redirected to, and
    /// stores the tokens once every check passed.
    ///
    /// # Errors
    /// An [`ErrorKind::Auth`] error naming the failed check (no pending
    /// login, expired login, state, `error=` redirect, nonce, signature,
    /// issuer, audience, expiry), with nothing stored; a config error when
    /// the URL is not one; network errors from the provider.
    pub async fn complete(&self, redirected: &str) -> Result<UserTokens> {
        let callback = Callback::parse(redirected)?;
        let pending = self.take_pending(&callback)?;
        if let Some(error) = &callback.error {
            let detail = match &callback.error_description {
                Some(d) if !d.trim().is_empty() => format!("`{error}`: {d}"),
                _ => format!("`{error}`"),
            };
            return Err(auth_error(format!(
                "the provider refused the login ({detail}); nothing was stored: {} to try again",
                self.settings.login_hint
            )));
        }
        let code = callback.code.clone().ok_or_else(|| {
            auth_error(format!(
                "the redirect URL has no `code` (the user may have cancelled); nothing was stored: {} to try again",
                self.settings.login_hint
            ))
        })?;
        let http = OAuthHttp::new(self.settings.timeout)?;
        let jwks = self.fetch_keys(&http).await?;
        let client = self.client(jwks)?;
        let answer = self.exchange(&client, &http, code, &pending).await?;
        let tokens = self.check(&client, &answer, &pending)?;
        let key = self.store_key();
        let stored = tokens.clone();
        self.store().update(|content| {
            content.tokens.insert(key, stored);
            (true, ())
        })?;
        Ok(tokens)
    }

    /// Finds the pending login `callback` answers, checks its age and the
    /// `state`, and removes it from the store (a login completes once).
    fn take_pending(&self, callback: &Callback) -> Result<PendingLogin> {
        let key = self.store_key();
        let hint = &self.settings.login_hint;
        let now = Utc::now();
        let mut content = self.store().load()?;
        let Some(pending) = content.pending.get(&key).cloned() else {
            return Err(auth_error(format!(
                "no login is pending for client `{}`{}: it was already completed or never started; nothing was stored: {hint}, then open the URL it prints",
                self.settings.client_id,
                self.realm_label(),
            )));
        };
        if pending.is_expired(now) {
            content.pending.remove(&key);
            self.store().save(&content)?;
            return Err(auth_error(format!(
                "the pending login expired: it was started at {} and a login must be completed within 10 minutes; nothing was stored: {hint}",
                pending.created_at.format("%Y-%m-%d %H:%M:%S UTC")
            )));
        }
        match &callback.state {
            None => {
                return Err(auth_error(format!(
                    "state check failed: the redirect URL has no `state`; nothing was stored. Paste the whole URL the browser was sent to, or {hint}"
                )));
            }
            Some(state) if state != pending.state.expose() => {
                return Err(auth_error(format!(
                    "state check failed: the URL's `state` is not the one `auth login` sent (a stale or forged redirect); nothing was stored: {hint}"
                )));
            }
            Some(_) => {}
        }
        content.pending.remove(&key);
        self.store().save(&content)?;
        Ok(pending)
    }

    fn realm_label(&self) -> String {
        self.settings
            .realm
            .as_ref()
            .map(|r| format!(" in realm `{r}`"))
            .unwrap_or_default()
    }

    async fn fetch_keys(&self, http: &OAuthHttp) -> Result<CoreJsonWebKeySet> {
        let url = JsonWebKeySetUrl::from_url(self.settings.jwks_url.clone());
        let shown = redact_url(&self.settings.jwks_url);
        CoreJsonWebKeySet::fetch_async(&url, http)
            .await
            .map_err(|e| match e {
                openidconnect::DiscoveryError::Request(e) => {
                    e.to_error("fetching the provider's keys (jwks_url)")
                }
                other => auth_error(format!(
                    "could not read the provider's keys at {shown} ({other}); check `jwks_url`"
                )),
            })
    }

    async fn exchange(
        &self,
        client: &OidcClient,
        http: &OAuthHttp,
        code: String,
        pending: &PendingLogin,
    ) -> Result<TokenAnswer> {
        let mut request = client.exchange_code(AuthorizationCode::new(code));
        if let Some(verifier) = &pending.pkce_verifier {
            request =
                request.set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()));
        }
        let shown = redact_url(&self.settings.token_url);
        request.request_async(http).await.map_err(|e| match e {
            RequestTokenError::ServerResponse(answer) => {
                let detail = match answer.error_description() {
                    Some(d) => format!("`{}`: {d}", answer.error()),
                    None => format!("`{}`", answer.error()),
                };
                auth_error(format!(
                    "the token endpoint refused the code ({detail}); nothing was stored. Codes are good for one use and a few seconds: {} and complete it at once",
                    self.settings.login_hint
                ))
            }
            RequestTokenError::Request(e) => e.to_error("exchanging the code (token_url)"),
            RequestTokenError::Parse(e, _) => Error::new(
                ErrorKind::Parse,
                format!(
                    "the token endpoint's answer is not an OpenID Connect token answer ({}); nothing was stored",
                    e.inner()
                ),
            )
            .with_context("token_url", &shown),
            RequestTokenError::Other(e) => auth_error(format!(
                "the token endpoint answered unexpectedly ({e}); check `token_url`"
            ))
            .with_context("token_url", &shown),
        })
    }

    /// Every check of the answer; the tokens to store when all pass.
    fn check(
        &self,
        client: &OidcClient,
        answer: &TokenAnswer,
        pending: &PendingLogin,
    ) -> Result<UserTokens> {
        let stored_nothing = "nothing was stored";
        let hint = &self.settings.login_hint;
        let nonce = Nonce::new(pending.nonce.expose().to_string());
        if let Some(echoed) = &answer.extra_fields().extra_fields().nonce
            && echoed != pending.nonce.expose()
        {
            return Err(auth_error(format!(
                "nonce check failed: the token answer's `nonce` is not the one `auth login` sent (a replayed or forged answer); {stored_nothing}: {hint}"
            )));
        }
        let id_token = answer.id_token().ok_or_else(|| {
            auth_error(format!(
                "the token answer has no `id_token`, so the user cannot be checked; add `openid` to `auth.scope`; {stored_nothing}"
            ))
        })?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(|e| self.claims_error(e))?;
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|e| {
                auth_error(format!("signature check failed: {e}; {stored_nothing}"))
            })?;
            let key = id_token.signing_key(&verifier).map_err(|e| {
                auth_error(format!("signature check failed: {e}; {stored_nothing}"))
            })?;
            let actual =
                AccessTokenHash::from_token(answer.access_token(), alg, key).map_err(|e| {
                    auth_error(format!("access token check failed: {e}; {stored_nothing}"))
                })?;
            if &actual != expected {
                return Err(auth_error(format!(
                    "access token check failed: the `id_token`'s `at_hash` does not match the access token; {stored_nothing}: {hint}"
                )));
            }
        }
        let lifetime = answer.expires_in().unwrap_or(DEFAULT_LIFETIME);
        let now = Utc::now();
        let scopes = match answer.scopes() {
            Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
            None => self.settings.scopes.clone(),
        };
        Ok(UserTokens {
            realm: self.settings.realm.clone(),
            scopes,
            access_token: Secret::new(answer.access_token().secret().clone()),
            id_token: Some(Secret::new(id_token.to_string())),
            subject: Some(claims.subject().to_string()),
            expires_at: now
                + chrono::TimeDelta::from_std(lifetime).unwrap_or(chrono::TimeDelta::seconds(60)),
            stored_at: now,
        })
    }

    fn claims_error(&self, e: ClaimsVerificationError) -> Error {
        let hint = &self.settings.login_hint;
        let message = match e {
            ClaimsVerificationError::InvalidNonce(_) => format!(
                "nonce check failed: the `id_token`'s `nonce` is not the one `auth login` sent (a replayed or forged token); nothing was stored: {hint}"
            ),
            ClaimsVerificationError::SignatureVerification(e) => format!(
                "signature check failed: the `id_token` is not signed by a key the provider publishes at `jwks_url` ({e}); nothing was stored"
            ),
            ClaimsVerificationError::InvalidIssuer(e) => format!(
                "issuer check failed: {e}; expected `{}` (set `auth.issuer` if the provider's differs); nothing was stored",
                self.settings.issuer
            ),
            ClaimsVerificationError::InvalidAudience(e) => format!(
                "audience check failed: the `id_token` was issued for another application than client `{}` ({e}); nothing was stored",
                self.settings.client_id
            ),
            ClaimsVerificationError::Expired(e) => format!(
                "expiry check failed: the `id_token` has expired ({e}); nothing was stored. Check the computer's clock, then {hint}"
            ),
            other => format!("id_token check failed: {other}; nothing was stored"),
        };
        auth_error(message)
    }

    /// The stored tokens and pending login, if any.
    ///
    /// # Errors
    /// The store's errors.
    pub fn status(&self) -> Result<LoginStatus> {
        let content = self.store().load()?;
        let key = self.store_key();
        Ok(LoginStatus {
            tokens: content.tokens.get(&key).cloned(),
            pending_since: content.pending.get(&key).map(|p| p.created_at),
        })
    }

    /// Forgets the stored tokens and any pending login, and gives the
    /// provider's logout URL.
    ///
    /// # Errors
    /// The store's errors.
    pub fn logout(&self) -> Result<LogoutOutcome> {
        let key = self.store_key();
        let removed = self.store().update(|content| {
            let tokens = content.tokens.remove(&key);
            let pending = content.pending.remove(&key);
            let changed = tokens.is_some() || pending.is_some();
            (changed, tokens)
        })?;
        let url = self.settings.logout.as_ref().map(|logout| {
            let mut url = logout.url.clone();
            if logout.id_token_hint
                && let Some(id_token) = removed.as_ref().and_then(|t| t.id_token.as_ref())
            {
                url.query_pairs_mut()
                    .append_pair("id_token_hint", id_token.expose())
                    .append_pair("redirect_uri", self.settings.redirect_uri.as_str());
            }
            url.to_string()
        });
        Ok(LogoutOutcome {
            forgot_tokens: removed.is_some(),
            url,
            post: self.settings.logout.as_ref().is_some_and(|l| l.post),
        })
    }
}

/// The query of the URL the browser was redirected to.
#[derive(Debug, Default)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Callback {
    fn parse(redirected: &str) -> Result<Self> {
        let url = Url::parse(redirected.trim()).map_err(|e| {
            Error::config(format!(
                "the redirect URL is not a URL ({e}); paste the whole address the browser was sent to, quoted: jobharvest auth callback SPEC 'https://…?code=…&state=…'"
            ))
        })?;
        let mut callback = Callback::default();
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "code" => &mut callback.code,
                "state" => &mut callback.state,
                "error" => &mut callback.error,
                "error_description" => &mut callback.error_description,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        Ok(callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_realm_is_added_once() {
        let url = Url::parse("https://h.test/authorize").unwrap();
        let url = with_realm(url, Some("/individu"));
        assert_eq!(url.query(), Some("realm=%2Findividu"));
        assert_eq!(with_realm(url.clone(), Some("/agent")), url);
        let bare = Url::parse("https://h.test/a").unwrap();
        assert_eq!(with_realm(bare.clone(), None), bare);
    }

    #[test]
    fn callbacks_read_code_state_and_errors() {
        let c = Callback::parse("https://app.test/cb?code=abc&state=xyz&iss=x").unwrap();
        assert_eq!(c.code.as_deref(), Some("abc"));
        assert_eq!(c.state.as_deref(), Some("xyz"));
        let c = Callback::parse(
            "https://app.test/cb?error=access_denied&error_description=Refus%C3%A9&state=s",
        )
        .unwrap();
        assert_eq!(c.error.as_deref(), Some("access_denied"));
        assert_eq!(c.error_description.as_deref(), Some("Refusé"));
        assert_eq!(
            Callback::parse("code=abc").unwrap_err().kind(),
            ErrorKind::Config
        );
    }
}

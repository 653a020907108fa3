//! A stand-in OpenID provider for tests (feature `testkit`), shaped like
//! France Travail Connect: authorize, token (realm in the query) and JWKS
//! endpoints on a wiremock server at 127.0.0.1.
//!
//! It signs `id_token`s with a test RSA key (`testdata/provider-key.pem`,
//! see `testdata/README.md`) and publishes that key in its JWKS. A
//! [`Tamper`] makes it misbehave in one precise way, so that each check of
//! the flow can be shown to refuse it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{TimeDelta, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AccessToken, Audience, EmptyAdditionalClaims, IssuerUrl, JsonWebKeyId, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use url::Url;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The key the provider signs with and publishes (PKCS#1 PEM).
pub const PROVIDER_KEY: &str = include_str!("../testdata/provider-key.pem");
/// A key the provider never publishes; [`Tamper::Signature`] signs with it.
pub const IMPOSTOR_KEY: &str = include_str!("../testdata/impostor-key.pem");
/// The key id both keys are published or forged under.
pub const KEY_ID: &str = "jobharvest-test-key";
/// The access token the provider issues.
pub const USER_ACCESS_TOKEN: &str = "ft-connect-user-access-token";
/// The subject of the `id_token`s.
pub const SUBJECT: &str = "user-4242";

/// The paths of the provider's endpoints.
pub const AUTHORIZE_PATH: &str = "/connexion/oauth2/authorize";
/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/connexion/oauth2/access_token";
/// The JWKS endpoint's path.
pub const JWKS_PATH: &str = "/connexion/oauth2/connect/jwk_uri";

/// One way for the provider to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Behave.
    None,
    /// The `id_token` carries another nonce (the answer echoes the right
    /// one).
    IdTokenNonce,
    /// The token answer echoes another nonce (the `id_token` is right).
    AnswerNonce,
    /// The `id_token` is signed with a key the JWKS does not hold.
    Signature,
    /// The `id_token`'s `iss` is another provider's.
    Issuer,
    /// The `id_token`'s `aud` is another application's.
    Audience,
    /// The `id_token` expired an hour ago.
    Expired,
}

/// What the provider checks and issues.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// The realm it serves, without the slash (`individu`).
    pub realm: String,
    /// The client id it accepts.
    pub client_id: String,
    /// The client secret it accepts.
    pub client_secret: String,
    /// The access token's `expires_in`, in seconds.
    pub expires_in: i64,
    /// How it misbehaves.
    pub tamper: Tamper,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            realm: "individu".into(),
            client_id: "PAR_testapp_0123".into(),
            client_secret: "test-client-secret-s3cr3t".into(),
            expires_in: 59,
            tamper: Tamper::None,
        }
    }
}

/// What an authorize request asked for, kept for the token request.
#[derive(Debug, Clone)]
struct Grant {
    nonce: String,
    redirect_uri: String,
    code_challenge: Option<String>,
}

#[derive(Default)]
struct State {
    grants: HashMap<String, Grant>,
    next_code: u32,
}

/// The running stand-in provider.
pub struct OpenIdProvider {
    /// The wiremock server (read its `received_requests`).
    pub server: MockServer,
    options: ProviderOptions,
}

impl OpenIdProvider {
    /// Starts a provider on 127.0.0.1.
    pub async fn start(options: ProviderOptions) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let realm = format!("/{}", options.realm);
        let issuer = issuer_of(&server.uri(), &options.realm);
        Mock::given(method("GET"))
            .and(path(AUTHORIZE_PATH))
            .and(query_param("realm", realm.as_str()))
            .respond_with(Authorize {
                state: state.clone(),
                issuer: issuer.clone(),
            })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(query_param("realm", realm.as_str()))
            .respond_with(Token {
                state,
                issuer,
                options: options.clone(),
            })
            .mount(&server)
            .await;
        let key = signing_key(PROVIDER_KEY);
        let jwks = CoreJsonWebKeySet::new(vec![key.as_verification_key()]);
        Mock::given(method("GET"))
            .and(path(JWKS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(&jwks))
            .mount(&server)
            .await;
        OpenIdProvider { server, options }
    }

    /// The options it runs with.
    pub fn options(&self) -> &ProviderOptions {
        &self.options
    }

    /// Its authorize endpoint (without realm).
    pub fn authorize_url(&self) -> String {
        format!("{}{AUTHORIZE_PATH}", self.server.uri())
    }

    /// Its token endpoint (without realm).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.uri())
    }

    /// Its JWKS endpoint.
    pub fn jwks_url(&self) -> String {
        format!(
            "{}{JWKS_PATH}?realm=%2F{}",
            self.server.uri(),
            self.options.realm
        )
    }

    /// The `iss` of its `id_token`s.
    pub fn issuer(&self) -> String {
        issuer_of(&self.server.uri(), &self.options.realm)
    }

    /// Plays the user: opens `authorize_url`, consents, and returns the URL
    /// the browser is redirected to.
    ///
    /// # Panics
    /// When the provider does not redirect (a test failure).
    pub async fn consent(&self, authorize_url: &str) -> String {
        jobharvest_core::http::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let response = client
            .get(authorize_url)
            .send()
            .await
            .expect("authorize answers");
        assert_eq!(response.status().as_u16(), 302, "authorize must redirect");
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a Location header")
            .to_string()
    }

    /// The token requests received, in order.
    pub async fn token_requests(&self) -> Vec<Request> {
        let received = self.server.received_requests().await.unwrap_or_default();
        received
            .into_iter()
            .filter(|r| r.url.path() == TOKEN_PATH)
            .collect()
    }

    /// The bodies of the token requests received, as text.
    pub async fn token_request_bodies(&self) -> Vec<String> {
        let requests = self.token_requests().await;
        requests
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    }

    /// The URLs of the token requests received.
    pub async fn token_request_urls(&self) -> Vec<Url> {
        let requests = self.token_requests().await;
        requests.into_iter().map(|r| r.url).collect()
    }
}

fn issuer_of(uri: &str, realm: &str) -> String {
    format!("{uri}/connexion/oauth2/realms/root/realms/{realm}")
}

fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(KEY_ID.to_string())))
        .expect("the test key reads")
}

fn query(req: &Request) -> HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

/// The consent screen: every login is accepted at once.
struct Authorize {
    state: Arc<Mutex<State>>,
    issuer: String,
}

impl Respond for Authorize {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q = query(req);
        let (Some(redirect_uri), Some(state), Some(nonce)) =
            (q.get("redirect_uri"), q.get("state"), q.get("nonce"))
        else {
            return ResponseTemplate::new(400)
                .set_body_string("missing redirect_uri, state or nonce");
        };
        if q.get("response_type").map(String::as_str) != Some("code") {
            return ResponseTemplate::new(400).set_body_string("response_type must be code");
        }
        if q.contains_key("code_challenge")
            && q.get("code_challenge_method").map(String::as_str) != Some("S256")
        {
            return ResponseTemplate::new(400).set_body_string("only S256");
        }
        let mut s = self.state.lock().unwrap();
        s.next_code += 1;
        let code = format!("code-{}", s.next_code);
        s.grants.insert(
            code.clone(),
            Grant {
                nonce: nonce.clone(),
                redirect_uri: redirect_uri.clone(),
                code_challenge: q.get("code_challenge").cloned(),
            },
        );
        let mut to = Url::parse(redirect_uri).expect("a redirect URI");
        to.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", state)
            .append_pair("iss", &self.issuer)
            .append_pair("scope", q.get("scope").map(String::as_str).unwrap_or(""));
        ResponseTemplate::new(302).insert_header("Location", to.as_str())
    }
}

/// The token endpoint: checks the grant like the real one, then signs.
struct Token {
    state: Arc<Mutex<State>>,
    issuer: String,
    options: ProviderOptions,
}

fn oauth_error(error: &str, description: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .set_body_json(serde_json::json!({"error": error, "error_description": description}))
}

impl Respond for Token {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let field = |k: &str| form.get(k).map(String::as_str);
        if field("grant_type") != Some("authorization_code") {
            return oauth_error("unsupported_grant_type", "grant_type");
        }
        if field("client_id") != Some(self.options.client_id.as_str())
            || field("client_secret") != Some(self.options.client_secret.as_str())
        {
            return oauth_error("invalid_client", "Client authentication failed");
        }
        let Some(grant) = field("code").and_then(|c| self.state.lock().unwrap().grants.remove(c))
        else {
            return oauth_error("invalid_grant", "The code is unknown or already used");
        };
        if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return oauth_error("invalid_grant", "redirect_uri mismatch");
        }
        match (&grant.code_challenge, field("code_verifier")) {
            (None, None) => {}
            (Some(challenge), Some(verifier)) => {
                let computed = PkceCodeChallenge::from_code_verifier_sha256(
                    &PkceCodeVerifier::new(verifier.to_string()),
                );
                if computed.as_str() != challenge {
                    return oauth_error("invalid_grant", "PKCE verification failed");
                }
            }
            _ => return oauth_error("invalid_grant", "code_verifier missing or unexpected"),
        }
        let tamper = self.options.tamper;
        let other = |t: Tamper, right: &str, wrong: &str| {
            if tamper == t {
                wrong.to_string()
            } else {
                right.to_string()
            }
        };
        let now = Utc::now();
        let expires = if tamper == Tamper::Expired {
            now - TimeDelta::hours(1)
        } else {
            now + TimeDelta::minutes(5)
        };
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(other(
                Tamper::Issuer,
                &self.issuer,
                "https://impostor.test/",
            ))
            .expect("an issuer"),
            vec![Audience::new(other(
                Tamper::Audience,
                &self.options.client_id,
                "PAR_someoneelse_9999",
            ))],
            expires,
            now - TimeDelta::minutes(1),
            StandardClaims::new(SubjectIdentifier::new(SUBJECT.to_string())),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(other(
            Tamper::IdTokenNonce,
            &grant.nonce,
            "a-nonce-from-another-login",
        ))));
        let key = signing_key(if tamper == Tamper::Signature {
            IMPOSTOR_KEY
        } else {
            PROVIDER_KEY
        });
        let access_token = AccessToken::new(USER_ACCESS_TOKEN.to_string());
        let id_token = CoreIdToken::new(
            claims,
            &key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Some(&access_token),
            None,
        )
        .expect("signing works");
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": USER_ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": self.options.expires_in,
            "scope": "api_peconnect-individuv1 openid profile email",
            "refresh_token": "not-used-by-france-travail",
            "id_token": id_token.to_string(),
            "nonce": other(Tamper::AnswerNonce, &grant.nonce, "a-nonce-from-another-login"),
        }))
    }
}

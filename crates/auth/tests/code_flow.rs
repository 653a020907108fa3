//! The authorization-code flow against the stand-in OpenID provider: the
//! happy paths, and one test per check, each showing the bad case refused
//! with nothing stored and no secret in the message.

use std::collections::HashMap;
use std::time::Duration;

use jobharvest_auth::testkit::{OpenIdProvider, ProviderOptions, Tamper, USER_ACCESS_TOKEN};
use jobharvest_auth::{
    AuthorizationCodeFlow, CodeFlowSettings, Credentials, LogoutEndpoint, PendingLogin, TokenStore,
};
use jobharvest_core::source::SourceStats;
use jobharvest_core::{ErrorKind, Secret};
use url::Url;

const REDIRECT: &str = "https://app.example.fr/callback";

struct Setup {
    provider: OpenIdProvider,
    flow: AuthorizationCodeFlow,
    _dir: tempfile::TempDir,
}

async fn setup(tamper: Tamper, pkce: bool) -> Setup {
    let provider = OpenIdProvider::start(ProviderOptions {
        tamper,
        ..ProviderOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let o = provider.options();
    let flow = AuthorizationCodeFlow::new(CodeFlowSettings {
        client_id: o.client_id.clone(),
        client_secret: Secret::new(o.client_secret.clone()),
        realm: Some(format!("/{}", o.realm)),
        authorize_url: Url::parse(&provider.authorize_url()).unwrap(),
        token_url: Url::parse(&provider.token_url()).unwrap(),
        jwks_url: Url::parse(&provider.jwks_url()).unwrap(),
        issuer: provider.issuer(),
        redirect_uri: Url::parse(REDIRECT).unwrap(),
        scopes: "api_peconnect-individuv1 openid profile email"
            .split(' ')
            .map(String::from)
            .collect(),
        pkce,
        logout: Some(LogoutEndpoint {
            url: Url::parse("https://auth.test/compte/deconnexion").unwrap(),
            id_token_hint: true,
            post: false,
        }),
        store: TokenStore::at(dir.path().join("store/tokens.json")),
        timeout: Duration::from_secs(10),
        login_hint: "run `jobharvest auth login job.yaml`".into(),
    })
    .unwrap();
    Setup {
        provider,
        flow,
        _dir: dir,
    }
}

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn nothing_stored(s: &Setup) {
    let content = s.flow.store().load().unwrap();
    assert!(content.tokens.is_empty(), "tokens were stored");
}

fn no_secret_in(text: &str) {
    for secret in [USER_ACCESS_TOKEN, "test-client-secret-s3cr3t", "code-1"] {
        assert!(!text.contains(secret), "`{secret}` leaked: {text}");
    }
}

/// Logs in through the provider and completes with the redirect; the
/// error's text when refused.
async fn refused(s: &Setup) -> String {
    let url = s.flow.begin().unwrap();
    let back = s.provider.consent(url.as_str()).await;
    let err = s.flow.complete(&back).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let text = format!("{err} {err:?}");
    no_secret_in(&text);
    nothing_stored(s);
    text
}

#[tokio::test]
async fn happy_path_without_pkce() {
    let s = setup(Tamper::None, false).await;
    let url = s.flow.begin().unwrap();
    let q = query(url.as_str());
    assert_eq!(q["realm"], "/individu");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "PAR_testapp_0123");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid api_peconnect-individuv1 profile email");
    assert!(
        url.as_str()
            .contains("scope=openid+api_peconnect-individuv1+profile+email")
    );
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    assert!(!q.contains_key("code_challenge"));
    // The pending login holds what was sent.
    let pending = &s.flow.store().load().unwrap().pending[&s.flow.store_key()];
    assert_eq!(pending.state.expose(), q["state"]);
    assert_eq!(pending.nonce.expose(), q["nonce"]);
    assert!(pending.pkce_verifier.is_none());

    let back = s.provider.consent(url.as_str()).await;
    let tokens = s.flow.complete(&back).await.unwrap();
    assert_eq!(tokens.access_token.expose(), USER_ACCESS_TOKEN);
    // Nothing the flow holds prints a secret.
    let credentials = Credentials::AuthorizationCode(Box::new(s.flow.clone()));
    no_secret_in(&format!("{:?} {tokens:?} {credentials:?}", s.flow));
    no_secret_in(&format!("{:?}", credentials.token_provider()));
    assert_eq!(tokens.subject.as_deref(), Some("user-4242"));
    assert_eq!(tokens.realm.as_deref(), Some("/individu"));
    assert!(
        tokens
            .scopes
            .contains(&"api_peconnect-individuv1".to_string())
    );
    let lifetime = tokens.expires_at - tokens.stored_at;
    assert_eq!(lifetime.num_seconds(), 59);

    let content = s.flow.store().load().unwrap();
    assert!(content.pending.is_empty(), "the login is used up");
    assert_eq!(
        content.tokens[&s.flow.store_key()].access_token.expose(),
        USER_ACCESS_TOKEN
    );

    let bodies = s.provider.token_request_bodies().await;
    assert_eq!(bodies.len(), 1);
    let form: HashMap<String, String> = url::form_urlencoded::parse(bodies[0].as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "code-1");
    assert_eq!(form["client_id"], "PAR_testapp_0123");
    assert_eq!(form["client_secret"], "test-client-secret-s3cr3t");
    assert_eq!(form["redirect_uri"], REDIRECT);
    assert!(!form.contains_key("code_verifier"));
}

#[tokio::test]
async fn the_realm_goes_in_the_query_and_never_in_the_body() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    s.flow.complete(&back).await.unwrap();
    let urls = s.provider.token_request_urls().await;
    assert_eq!(urls[0].query(), Some("realm=%2Findividu"));
    let body = &s.provider.token_request_bodies().await[0];
    assert!(!body.contains("realm"), "{body}");
}

#[tokio::test]
async fn happy_path_with_pkce() {
    let s = setup(Tamper::None, true).await;
    let url = s.flow.begin().unwrap();
    let q = query(url.as_str());
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    let back = s.provider.consent(url.as_str()).await;
    s.flow.complete(&back).await.unwrap();
    let form: HashMap<String, String> =
        url::form_urlencoded::parse(s.provider.token_request_bodies().await[0].as_bytes())
            .into_owned()
            .collect();
    let verifier = &form["code_verifier"];
    assert!((43..=128).contains(&verifier.len()), "{verifier}");
    assert!(
        verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    );
    // The stand-in checked S256(verifier) == challenge, or it would refuse.
    assert!(!s.flow.store().load().unwrap().tokens.is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn the_token_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    s.flow.complete(&back).await.unwrap();
    let mode = std::fs::metadata(s.flow.store().path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_missing_state_is_refused_before_any_request() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    let mut url = Url::parse(&back).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "state")
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let err = s.flow.complete(url.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("state check failed"), "{err}");
    assert!(s.provider.token_request_bodies().await.is_empty());
    nothing_stored(&s);
}

#[tokio::test]
async fn a_different_state_is_refused_before_any_request() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    let state = query(&back)["state"].clone();
    let forged = back.replace(&state, "forged-state-from-elsewhere");
    let err = s.flow.complete(&forged).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("state check failed"), "{err}");
    assert!(s.provider.token_request_bodies().await.is_empty());
    nothing_stored(&s);
    // The real redirect still completes: a forged one does not burn it.
    s.flow.complete(&back).await.unwrap();
}

#[tokio::test]
async fn an_error_redirect_is_refused_with_its_description() {
    let s = setup(Tamper::None, false).await;
    let url = s.flow.begin().unwrap();
    let state = query(url.as_str())["state"].clone();
    let back = format!(
        "{REDIRECT}?error=access_denied&error_description=L%27utilisateur+a+refus%C3%A9&state={state}"
    );
    let err = s.flow.complete(&back).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("access_denied"), "{text}");
    assert!(text.contains("L'utilisateur a refusé"), "{text}");
    assert!(s.provider.token_request_bodies().await.is_empty());
    nothing_stored(&s);
}

#[tokio::test]
async fn a_wrong_nonce_in_the_id_token_is_refused() {
    let s = setup(Tamper::IdTokenNonce, false).await;
    let text = refused(&s).await;
    assert!(text.contains("nonce check failed"), "{text}");
}

#[tokio::test]
async fn a_wrong_nonce_in_the_answer_is_refused() {
    let s = setup(Tamper::AnswerNonce, false).await;
    let text = refused(&s).await;
    assert!(text.contains("nonce check failed"), "{text}");
    assert!(text.contains("token answer"), "{text}");
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let s = setup(Tamper::Signature, false).await;
    let text = refused(&s).await;
    assert!(text.contains("signature check failed"), "{text}");
}

#[tokio::test]
async fn a_wrong_issuer_is_refused() {
    let s = setup(Tamper::Issuer, false).await;
    let text = refused(&s).await;
    assert!(text.contains("issuer check failed"), "{text}");
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let s = setup(Tamper::Audience, false).await;
    let text = refused(&s).await;
    assert!(text.contains("audience check failed"), "{text}");
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let s = setup(Tamper::Expired, false).await;
    let text = refused(&s).await;
    assert!(text.contains("expiry check failed"), "{text}");
}

#[tokio::test]
async fn a_pending_login_completes_once() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    s.flow.complete(&back).await.unwrap();
    s.flow
        .store()
        .update(|c| {
            c.tokens.clear();
            (true, ())
        })
        .unwrap();
    let err = s.flow.complete(&back).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("no login is pending"), "{err}");
    assert_eq!(s.provider.token_request_bodies().await.len(), 1);
    nothing_stored(&s);
}

#[tokio::test]
async fn an_expired_pending_login_is_refused_and_forgotten() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    let key = s.flow.store_key();
    s.flow
        .store()
        .update(|c| {
            let p: &mut PendingLogin = c.pending.get_mut(&key).unwrap();
            p.created_at -= chrono::TimeDelta::minutes(11);
            (true, ())
        })
        .unwrap();
    let err = s.flow.complete(&back).await.unwrap_err();
    assert!(err.to_string().contains("pending login expired"), "{err}");
    assert!(s.provider.token_request_bodies().await.is_empty());
    let content = s.flow.store().load().unwrap();
    assert!(content.pending.is_empty() && content.tokens.is_empty());
}

#[tokio::test]
async fn the_stored_token_is_the_bearer_until_it_expires() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    s.flow.complete(&back).await.unwrap();
    let provider = Credentials::AuthorizationCode(Box::new(s.flow.clone())).token_provider();
    let client = reqwest::Client::new();
    let stats = SourceStats::new();
    let token = provider.token(&client, &stats).await.unwrap();
    assert_eq!(token.expose(), USER_ACCESS_TOKEN);
    // Refused by the API (401): no renewal, a message saying to log in.
    provider.invalidate(&token);
    let err = provider.token(&client, &stats).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().contains("jobharvest auth login job.yaml"),
        "{err}"
    );

    // Expired in the store: the same message, before any request.
    let key = s.flow.store_key();
    s.flow
        .store()
        .update(|c| {
            let t = c.tokens.get_mut(&key).unwrap();
            t.expires_at = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
            (true, ())
        })
        .unwrap();
    let fresh = Credentials::AuthorizationCode(Box::new(s.flow.clone())).token_provider();
    let err = fresh.token(&client, &stats).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("expired"), "{text}");
    assert!(text.contains("jobharvest auth login job.yaml"), "{text}");
    no_secret_in(&text);
}

#[tokio::test]
async fn logout_forgets_and_gives_the_url_with_the_id_token_hint() {
    let s = setup(Tamper::None, false).await;
    let back = s.provider.consent(s.flow.begin().unwrap().as_str()).await;
    let tokens = s.flow.complete(&back).await.unwrap();
    let status = s.flow.status().unwrap();
    assert!(status.tokens.is_some() && status.pending_since.is_none());
    let out = s.flow.logout().unwrap();
    assert!(out.forgot_tokens && !out.post);
    let q = query(out.url.as_deref().unwrap());
    assert_eq!(q["id_token_hint"], tokens.id_token.unwrap().expose());
    assert_eq!(q["redirect_uri"], REDIRECT);
    nothing_stored(&s);
    assert!(!s.flow.logout().unwrap().forgot_tokens);
}

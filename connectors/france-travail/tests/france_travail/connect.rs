//! A source acting for a user (France Travail Connect): it sends the token
//! `auth callback` stored, and stops with a re-login message once that token
//! has expired.

use jobharvest_auth::testkit::{OpenIdProvider, ProviderOptions, USER_ACCESS_TOKEN};
use jobharvest_core::ErrorKind;
use jobharvest_france_travail::{FranceTravailConfig, FranceTravailSource};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{header, method, path};

use crate::support::*;

fn config(provider: &OpenIdProvider, store: &std::path::Path) -> Value {
    let o = provider.options();
    json!({
        "params": {"motsCles": "data"},
        "api_url": format!("{}/partenaire/offresdemploi", provider.server.uri()),
        "client_id": o.client_id,
        "client_secret": o.client_secret,
        "auth": {
            "flow": "authorization_code",
            "realm": o.realm,
            "redirect_uri": "https://app.example.fr/callback",
            "scope": "api_peconnect-individuv1 openid profile email",
            "pkce": true,
            "authorize_url": provider.authorize_url(),
            "token_url": provider.token_url(),
            "jwks_url": provider.jwks_url(),
            "issuer": provider.issuer(),
            "token_store": store.join("tokens.json"),
        }
    })
}

/// Logs the user in through the provider, then builds the source.
async fn logged_in_source(
    provider: &OpenIdProvider,
    store: &std::path::Path,
) -> FranceTravailSource {
    let cfg =
        || -> FranceTravailConfig { serde_json::from_value(config(provider, store)).unwrap() };
    let flow = cfg()
        .login_flow(std::path::Path::new("."), &|_| None)
        .unwrap()
        .expect("acts for a user");
    let back = provider.consent(flow.begin().unwrap().as_str()).await;
    flow.complete(&back).await.unwrap();
    build(config(provider, store), &|_| None).unwrap()
}

async fn mount_search(provider: &OpenIdProvider, total: u64) {
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(header(
            "authorization",
            format!("Bearer {USER_ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(SearchApi::new(total))
        .mount(&provider.server)
        .await;
}

#[tokio::test]
async fn a_harvest_presents_the_users_token() {
    let provider = OpenIdProvider::start(ProviderOptions::default()).await;
    mount_search(&provider, 160).await;
    let dir = tempfile::tempdir().unwrap();
    let source = logged_in_source(&provider, dir.path()).await;
    let run = run(source, None).await;
    run.result.unwrap();
    assert_eq!(run.records.len(), 160);
    // No client-credentials token was asked for: one token request, the
    // code exchange.
    assert_eq!(provider.token_requests().await.len(), 1);
}

#[tokio::test]
async fn an_expired_user_token_stops_the_run_with_the_relogin_message() {
    let provider = OpenIdProvider::start(ProviderOptions {
        expires_in: 0,
        ..ProviderOptions::default()
    })
    .await;
    mount_search(&provider, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let source = logged_in_source(&provider, dir.path()).await;
    let run = run(source, None).await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = err.to_string();
    assert!(text.contains("expired"), "{text}");
    assert!(text.contains("jobharvest auth login"), "{text}");
    assert!(!text.contains(USER_ACCESS_TOKEN), "{text}");
    assert!(run.records.is_empty());
    let searches = provider
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == SEARCH_PATH)
        .count();
    assert_eq!(searches, 0, "an expired token is not sent");
}

#[tokio::test]
async fn without_a_login_the_run_says_how_to_log_in() {
    let provider = OpenIdProvider::start(ProviderOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let source = build(config(&provider, dir.path()), &|_| None).unwrap();
    let err = run(source, None).await.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("no user is logged in"), "{err}");
    assert!(err.to_string().contains("jobharvest auth login"), "{err}");
}

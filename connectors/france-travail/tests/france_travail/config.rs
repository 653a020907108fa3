//! Building the source from a spec.

use std::path::Path;

use jobharvest_core::{ErrorKind, Registry};
use serde_json::json;

use crate::support::build;

#[test]
fn missing_credentials_say_how_to_get_them() {
    let err = build(json!({}), &|_| None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let msg = err.to_string();
    for needle in [
        "FT_CLIENT_ID",
        "FT_CLIENT_SECRET",
        ".env",
        "client_id: ${MY_ID}",
        "francetravail.io",
        "Offres d'emploi v2",
    ] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
    // Only the secret missing: only it is named as missing.
    let err = build(json!({"client_id": "id"}), &|_| None).unwrap_err();
    assert!(
        err.to_string().contains("missing (FT_CLIENT_SECRET)"),
        "{err}"
    );
}

#[test]
fn credentials_and_scope_come_from_the_environment() {
    let env = |name: &str| match name {
        "FT_CLIENT_ID" => Some("env-id".to_string()),
        "FT_CLIENT_SECRET" => Some("env-secret".to_string()),
        _ => None,
    };
    let source = build(json!({"params": {"motsCles": "data"}}), &env).unwrap();
    let shown = format!("{source:?}");
    assert!(shown.contains("env-id"), "{shown}");
    assert!(!shown.contains("env-secret"), "{shown}");
    assert!(shown.contains("api_offresdemploiv2 o2dsoffre"), "{shown}");
    assert_eq!(source.params().get("motsCles"), Some("data"));
    assert_eq!(source.http_settings().rate_limit_per_sec, 10.0);
    assert_eq!(source.max_results(), None);
    assert_eq!(source.http_settings().max_retries, 5);
    assert_eq!(source.http_settings().timeout.as_secs(), 30);
    assert_eq!(
        source.endpoints().search.as_str(),
        "https://api.francetravail.io/partenaire/offresdemploi/v2/offres/search"
    );
}

#[test]
fn bad_parameters_fail_the_build() {
    let env = |_: &str| Some("x".to_string());
    let err = build(json!({"params": {"range": "0-149"}}), &env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().starts_with("params.range:"), "{err}");
    let err = build(json!({"rate_limit_per_sec": 0}), &env).unwrap_err();
    assert!(err.to_string().contains("rate_limit_per_sec"), "{err}");
    let err = build(json!({"max_results": 0}), &env).unwrap_err();
    assert!(err.to_string().starts_with("max_results:"), "{err}");
    let source = build(json!({"max_results": 5000}), &env).unwrap();
    assert_eq!(source.max_results(), Some(5000));
}

#[test]
fn registered_with_its_normalizer_and_strict_keys() {
    let mut registry = Registry::new();
    jobharvest_core::register(&mut registry);
    jobharvest_france_travail::register(&mut registry);
    let info = registry
        .sources()
        .find(|s| s.name == "france_travail")
        .expect("registered");
    let caps = info.capabilities.unwrap();
    assert!(caps.network && caps.date_window && caps.resumable);
    assert_eq!(caps.page_size, Some(150));
    assert_eq!(caps.result_window, Some(3150));
    assert!(caps.auth.contains("FT_CLIENT_ID"));

    let built = registry
        .build_source(
            json!({"type": "france_travail", "name": "ft", "client_id": "a", "client_secret": "b"}),
            "sources[0]",
            Path::new("."),
        )
        .unwrap();
    assert_eq!(built.name, "ft");

    let err = registry
        .build_source(
            json!({"type": "france_travail", "client_id": "a", "client_secret": "b", "param": {}}),
            "sources[0]",
            Path::new("."),
        )
        .unwrap_err();
    assert!(err.to_string().contains("sources[0].param"), "{err}");
}

#[test]
fn the_shared_http_keys_of_a_spec_entry_reach_the_source() {
    let mut registry = Registry::new();
    jobharvest_france_travail::register(&mut registry);
    let entry = |extra: serde_json::Value| {
        let mut entry = json!({"type": "france_travail", "client_id": "a", "client_secret": "b"});
        entry
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        entry
    };
    let built = registry
        .build_source(
            entry(json!({"rate_limit_per_sec": 50, "timeout_secs": 7, "max_results": 70})),
            "sources[0]",
            Path::new("."),
        )
        .unwrap();
    let shown = format!("{:?}", built.source);
    for want in [
        "rate_limit_per_sec: 50.0",
        "timeout: 7s",
        "max_retries: 5",
        "max_results: Some(70)",
    ] {
        assert!(shown.contains(want), "{want} not in {shown}");
    }
    for (extra, key) in [
        (
            json!({"rate_limit_per_sec": 0}),
            "sources[0].rate_limit_per_sec:",
        ),
        (json!({"timeout_secs": 0}), "sources[0].timeout_secs:"),
        (json!({"max_results": 0}), "sources[0].max_results:"),
        (json!({"max_retries": "many"}), "sources[0].max_retries:"),
    ] {
        let err = registry
            .build_source(entry(extra), "sources[0]", Path::new("."))
            .unwrap_err();
        assert!(err.to_string().starts_with(key), "{err}");
    }
    // France Travail's URLs are `api_url` and `token_url`: a `base_url`
    // would be ignored, so it is refused.
    let err = registry
        .build_source(
            entry(json!({"base_url": "http://127.0.0.1:9"})),
            "sources[0]",
            Path::new("."),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("base_url"), "{err}");
    assert!(err.to_string().contains("api_url"), "{err}");
}

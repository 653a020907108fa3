//! Paging and failures, against a wiremock stand-in of the API.

use std::collections::HashSet;

use jobharvest_core::{ErrorKind, SourceStats};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn pages_to_the_end_with_206_then_200() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(header("authorization", "Bearer tok"))
        .and(header("accept", "application/json"))
        .and(query_param("motsCles", "data,python"))
        .and(query_param("departement", "75,92"))
        .respond_with(SearchApi::new(400))
        .expect(3)
        .mount(&server)
        .await;
    let src = source(
        &server,
        json!({"motsCles": ["data", "python"], "departement": [75, 92]}),
        json!({}),
    );
    let run = run(src, None).await;
    run.result.unwrap();
    assert_eq!(
        search_ranges(&server).await,
        [(0, 149), (150, 299), (300, 399)]
    );
    assert_eq!(run.records.len(), 400);
    let ids: HashSet<_> = run.records.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(ids.len(), 400);
    assert!(ids.contains("GEN00000") && ids.contains("GEN00399"));
    assert_eq!(
        run.records[0].title.as_deref(),
        Some("Opérateur Régleur de Machine de Fonderie de Métal (h/f)")
    );
    assert_eq!(run.stats.total(), Some(400));
    assert_eq!(SourceStats::get(&run.stats.requests), 3);
    assert_eq!(SourceStats::get(&run.stats.tokens), 1);
    assert_eq!(SourceStats::get(&run.stats.offers), 400);
}

#[tokio::test]
async fn no_content_is_zero_offers() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(204).insert_header("Content-Range", "offres */0"))
        .expect(1)
        .mount(&server)
        .await;
    let run = run(
        source(&server, json!({"motsCles": "zzzz"}), json!({})),
        None,
    )
    .await;
    run.result.unwrap();
    assert!(run.records.is_empty());
    assert_eq!(run.stats.total(), Some(0));
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .insert_header("Content-Type", "text/plain")
                .set_body_string("Too Many Requests"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(5))
        .expect(1)
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    run.result.unwrap();
    assert_eq!(run.records.len(), 5);
    assert_eq!(SourceStats::get(&run.stats.rate_limited), 1);
    assert_eq!(SourceStats::get(&run.stats.retries), 1);
    assert_eq!(SourceStats::get(&run.stats.requests), 2);
}

#[tokio::test]
async fn a_503_is_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(160))
        .expect(2)
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    run.result.unwrap();
    assert_eq!(run.records.len(), 160);
    assert_eq!(SourceStats::get(&run.stats.retries), 1);
}

#[tokio::test]
async fn spent_retries_fail_the_run_with_a_temporary_error() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({"max_retries": 2})), None).await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(err.is_temporary());
    assert!(
        err.to_string().contains("gave up after 3 attempts"),
        "{err}"
    );
}

#[tokio::test]
async fn token_expiry_mid_run_renews_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer("tok-1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_answer("tok-2"))
        .mount(&server)
        .await;
    // The first page is served; then the first token "expires".
    Mock::given(path(SEARCH_PATH))
        .and(header("authorization", "Bearer tok-1"))
        .and(query_param("range", "0-149"))
        .respond_with(SearchApi::new(400))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1..=2)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(SearchApi::new(400))
        .expect(2)
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    run.result.unwrap();
    assert_eq!(run.records.len(), 400);
    // Both pages in flight met the expired token; one renewal served both.
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(SourceStats::get(&run.stats.tokens), 2);
    assert_eq!(SourceStats::get(&run.stats.retries), 0);
    let mut ranges = search_ranges(&server).await;
    ranges.sort();
    ranges.dedup();
    assert_eq!(ranges, [(0, 149), (150, 299), (300, 399)]);
}

#[tokio::test]
async fn refused_credentials_say_what_to_fix_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "Client authentication failed"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(1))
        .expect(0)
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_temporary());
    let msg = err.to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert!(msg.contains("FT_CLIENT_ID and FT_CLIENT_SECRET"), "{msg}");
    assert!(!msg.contains(SECRET), "{msg}");
    assert!(!format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn realm_goes_in_the_query_and_never_in_the_body() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(1))
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    run.result.unwrap();
    let token_requests = requests_to(&server, TOKEN_PATH).await;
    assert_eq!(token_requests.len(), 1);
    let request = &token_requests[0];
    assert_eq!(request.url.query(), Some("realm=%2Fpartenaire"));
    let body = String::from_utf8(request.body.clone()).unwrap();
    assert!(!body.contains("realm"), "{body}");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("grant_type"), Some("client_credentials"));
    assert_eq!(get("client_id"), Some("test-client"));
    assert_eq!(get("client_secret"), Some(SECRET));
    assert_eq!(get("scope"), Some("api_offresdemploiv2 o2dsoffre"));
}

#[tokio::test]
async fn a_400_surfaces_the_api_message_and_the_parameters() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "message": "Valeur du paramètre « typeContrat » incorrecte."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let run = run(
        source(&server, json!({"typeContrat": "XYZ"}), json!({})),
        None,
    )
    .await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(!err.is_temporary());
    let msg = err.to_string();
    assert!(
        msg.contains("Valeur du paramètre « typeContrat » incorrecte."),
        "{msg}"
    );
    assert!(msg.contains("typeContrat=XYZ"), "{msg}");
    assert!(msg.contains("range=0-149"), "{msg}");
}

#[tokio::test]
async fn malformed_json_is_a_parse_error_naming_the_page() {
    let server = MockServer::start().await;
    mount_token(&server, "secret-token").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header("Content-Range", "offres 0-149/1000")
                .set_body_string("{\"resultats\": [{\"id\": \"A\"}, oops"),
        )
        .mount(&server)
        .await;
    let run = run(
        source(&server, json!({"motsCles": "data"}), json!({})),
        None,
    )
    .await;
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    let msg = err.to_string();
    assert!(msg.contains("offers 0-149"), "{msg}");
    assert!(msg.contains(SEARCH_PATH), "{msg}");
    assert!(!msg.contains("secret-token"), "{msg}");
    let url = err.context().iter().find(|(k, _)| *k == "url").unwrap();
    assert!(!url.1.contains('?'), "the URL keeps no query: {msg}");
    assert!(
        msg.contains("slice: motsCles=data"),
        "the slice is named: {msg}"
    );
    assert!(run.records.is_empty());
}

#[tokio::test]
async fn a_postal_code_as_commune_gets_the_insee_code() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(COMMUNES_PATH))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"code": "78646", "libelle": "VERSAILLES", "codePostal": "78000", "codeDepartement": "78"},
            {"code": "75056", "libelle": "PARIS", "codePostal": "75001", "codeDepartement": "75"}
        ])))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH_PATH))
        .and(query_param("commune", "78646"))
        .respond_with(SearchApi::new(3))
        .expect(1)
        .mount(&server)
        .await;

    let run1 = run(source(&server, json!({"commune": 78000}), json!({})), None).await;
    let err = run1.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let msg = err.to_string();
    assert!(
        msg.contains("`78000` looks like a postal code; the API wants INSEE codes: use `commune: \"78646\"` (VERSAILLES)"),
        "{msg}"
    );

    let run2 = run(
        source(&server, json!({"commune": "78646"}), json!({})),
        None,
    )
    .await;
    run2.result.unwrap();
    assert_eq!(run2.records.len(), 3);
}

#[tokio::test]
async fn the_limit_asks_only_for_what_is_needed() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(1000))
        .mount(&server)
        .await;
    let run1 = run(source(&server, json!({}), json!({})), Some(20)).await;
    run1.result.unwrap();
    assert_eq!(run1.records.len(), 20);
    assert_eq!(search_ranges(&server).await, [(0, 19)]);

    server.reset().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi::new(1000))
        .mount(&server)
        .await;
    let run2 = run(source(&server, json!({}), json!({})), Some(200)).await;
    run2.result.unwrap();
    assert_eq!(run2.records.len(), 200);
    assert_eq!(search_ranges(&server).await, [(0, 149), (150, 199)]);
}

#[tokio::test]
async fn a_server_that_ignores_the_date_filter_fails_clearly() {
    // The stand-in here ignores every filter: cutting by date cannot work.
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(SearchApi {
            total: 5000,
            tiny: true,
        })
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    let err = run.result.unwrap_err();
    assert!(!err.is_temporary());
    let msg = err.to_string();
    assert!(
        msg.contains("does not seem to filter by minCreationDate/maxCreationDate"),
        "{msg}"
    );
    assert!(msg.contains("for 5000 in the whole"), "{msg}");
    // The root and one round of date windows, no more.
    let ranges = search_ranges(&server).await;
    assert!(ranges.len() < 10, "{ranges:?}");
    assert!(
        ranges.iter().all(|(p, _)| *p == 0),
        "only probes: {ranges:?}"
    );
}

#[tokio::test]
async fn an_offer_without_id_is_skipped_and_counted() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(path(SEARCH_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-range", "offres 0-1/2")
                .set_body_json(json!({"resultats": [{"intitule": "no id"}, {"id": "OK1"}]})),
        )
        .mount(&server)
        .await;
    let run = run(source(&server, json!({}), json!({})), None).await;
    run.result.unwrap();
    assert_eq!(run.records.len(), 1);
    assert_eq!(run.records[0].source_id, "OK1");
    assert_eq!(SourceStats::get(&run.stats.skipped), 1);
}

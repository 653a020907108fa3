//! Bad input: every case ends with a clear message, a non-zero exit, no
//! panic, no secret printed and no file at the output path.

use std::path::Path;

use crate::support::*;

const SECRET: &str = "s3cr3t-value-xyz";

/// Runs `spec` in a fresh folder and checks the invariants of a refusal;
/// returns stderr for case-specific checks.
fn refused(spec: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), spec).unwrap();
    let out = jobharvest(
        dir.path(),
        &["run", "job.yaml"],
        &[("FT_CLIENT_ID", "id"), ("FT_CLIENT_SECRET", SECRET)],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {spec}\n{err}");
    assert!(err.contains("error"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains(SECRET), "secret leaked: {err}");
    assert_no_outputs(dir.path());
    err
}

fn assert_no_outputs(dir: &Path) {
    let out = dir.join("out");
    if out.exists() {
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
    }
}

const SINKS: &str =
    "sinks:\n  - { type: csv, path: out/o.csv }\n  - { type: parquet, path: out/o.parquet }\n";

fn replay_source() -> String {
    let data = repo().join("config/demo/offres.jsonl");
    format!(
        "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\n",
        data.display()
    )
}

#[test]
fn typo_in_a_sink_key_names_the_key_path() {
    let err = refused(&format!(
        "{}sinks:\n  - {{ type: csv, path: out/o.csv, delimitr: \";\" }}\n",
        replay_source()
    ));
    assert!(
        err.contains("sinks[0]") && err.contains("delimitr"),
        "{err}"
    );
}

#[test]
fn typo_in_a_top_level_key_is_named() {
    let err = refused(&format!(
        "{}sink:\n  - {{ type: csv, path: out/o.csv }}\n",
        replay_source()
    ));
    assert!(err.contains("`sink`"), "{err}");
}

#[test]
fn missing_sink_path_is_named() {
    let err = refused(&format!("{}sinks:\n  - {{ type: csv }}\n", replay_source()));
    assert!(err.contains("sinks[0]") && err.contains("path"), "{err}");
}

#[test]
fn unknown_types_list_the_known_ones() {
    let err = refused(&format!(
        "{}sinks:\n  - {{ type: cvs, path: out/o.csv }}\n",
        replay_source()
    ));
    assert!(
        err.contains("`cvs`") && err.contains("parquet") && err.contains("Did you mean `csv`"),
        "{err}"
    );
    let err = refused(&format!(
        "sources:\n  - {{ type: france_travial }}\n{SINKS}"
    ));
    assert!(err.contains("france_travail"), "{err}");
}

#[test]
fn bad_dates_are_refused_before_any_request() {
    let err = refused(&format!(
        "sources:\n  - type: france_travail\n    api_url: http://127.0.0.1:9\n    params: {{ minCreationDate: \"2024-13-45\", maxCreationDate: \"2024-07-01T00:00:00Z\" }}\n{SINKS}"
    ));
    assert!(err.contains("minCreationDate"), "{err}");
    let err = refused(&format!(
        "sources:\n  - type: france_travail\n    api_url: http://127.0.0.1:9\n    params: {{ minCreationDate: \"2024-06-01T00:00:00Z\" }}\n{SINKS}"
    ));
    assert!(err.contains("maxCreationDate"), "{err}");
}

#[test]
fn missing_credentials_say_how_to_get_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("sources:\n  - type: france_travail\n{SINKS}"),
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("FT_CLIENT_ID") && err.contains("FT_CLIENT_SECRET"),
        "{err}"
    );
    assert_no_outputs(dir.path());
}

#[test]
fn unset_variable_reference_is_named() {
    let err = refused(&format!(
        "sources:\n  - type: france_travail\n    client_secret: ${{NOT_SET_ANYWHERE_42}}\n{SINKS}"
    ));
    assert!(
        err.contains("NOT_SET_ANYWHERE_42") && err.contains("sources[0].client_secret"),
        "{err}"
    );
}

#[test]
fn credentials_from_a_dotenv_file_next_to_the_spec() {
    // Same spec as above, but the variable comes from .env: the error moves on
    // to the (unreachable) API, which proves the variable was read.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "MY_FT_SECRET_FROM_DOTENV=abc\nFT_CLIENT_ID=x\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("sources:\n  - type: france_travail\n    client_secret: ${{MY_FT_SECRET_FROM_DOTENV}}\n    token_url: http://127.0.0.1:9/token\n    max_retries: 0\n{SINKS}"),
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["validate", "job.yaml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn unreachable_host_names_it() {
    let err = refused(&format!(
        "sources:\n  - type: france_travail\n    token_url: http://127.0.0.1:9/token\n    api_url: http://127.0.0.1:9/api\n    max_retries: 1\n{SINKS}"
    ));
    assert!(err.contains("127.0.0.1:9"), "{err}");
}

#[test]
fn malformed_replay_line_is_reported_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(repo().join("config/demo/offres.jsonl")).unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(&data, format!("{first}\n{{\"id\": \"X\", oops\n")).unwrap();
    let err = refused(&format!(
        "sources:\n  - {{ type: replay, connector: france_travail, path: {} }}\n{SINKS}",
        data.display()
    ));
    assert!(err.contains("bad.jsonl:2"), "{err}");
}

#[test]
fn output_path_that_is_a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("out/o.csv")).unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!("{}{SINKS}", replay_source()),
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml"], &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("directory"), "{err}");
    assert!(!dir.path().join("out/o.parquet").exists());
}

/// A token endpoint that quotes the client secret it received in its
/// `error_description` (seen in the wild) must not make the run print it:
/// every secret goes through the redactor on its way out.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_endpoint_echoing_the_secret_does_not_get_it_printed() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("Client authentication failed (client_secret={SECRET} is not valid for id)"),
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        format!(
            "sources:\n  - type: france_travail\n    api_url: {0}/partenaire/offresdemploi\n    token_url: {0}/connexion/oauth2/access_token?realm=/partenaire\n    max_retries: 0\nsinks:\n  - {{type: csv, path: out/offres.csv}}\n",
            server.uri()
        ),
    )
    .unwrap();
    let out = jobharvest_async(
        dir.path().to_path_buf(),
        vec!["-v".into(), "run".into(), "job.yaml".into()],
        vec![
            ("FT_CLIENT_ID".into(), "id".into()),
            ("FT_CLIENT_SECRET".into(), SECRET.into()),
        ],
    )
    .await;
    let (err, stdout) = (
        stderr(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    );
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("invalid_client"),
        "the server's words are shown: {err}"
    );
    assert!(
        !err.contains(SECRET) && !stdout.contains(SECRET),
        "secret leaked: {err}"
    );
    assert!(err.contains("***"), "redacted, not dropped: {err}");
    assert_no_outputs(dir.path());
}

/// Implausible values (coordinates off the globe, a creation date in 1970)
/// are left out of their typed columns, kept in `raw`, and counted in the
/// summary as data-quality warnings with the offers' ids.
#[test]
fn implausible_values_are_left_empty_kept_in_raw_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(repo().join("config/demo/offres.jsonl")).unwrap();
    let mut lines: Vec<serde_json::Value> = demo
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[0]["lieuTravail"]["latitude"] = serde_json::json!(95.5);
    lines[1]["dateCreation"] = serde_json::json!("1970-01-01T00:00:00.000Z");
    let bad_ids = [
        lines[0]["id"].as_str().unwrap().to_string(),
        lines[1]["id"].as_str().unwrap().to_string(),
    ];
    let text: Vec<String> = lines.iter().map(|v| v.to_string()).collect();
    std::fs::write(dir.path().join("in.jsonl"), text.join("\n")).unwrap();
    std::fs::write(
        dir.path().join("job.yaml"),
        "sources:\n  - { type: replay, connector: france_travail, path: in.jsonl }\nsinks:\n  - { type: parquet, path: out/o.parquet, include_raw: true }\n",
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml"], &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("data-quality warnings: 2"), "{err}");
    for id in &bad_ids {
        assert!(err.contains(id.as_str()), "{id} named: {err}");
    }
    let rows = read_parquet(&dir.path().join("out/o.parquet"));
    let row = |id: &str| rows.iter().find(|r| r["source_id"] == id).unwrap().clone();
    let first = row(&bad_ids[0]);
    assert!(first["latitude"].is_null() && !first["longitude"].is_null());
    assert!(
        first["raw"].as_str().unwrap().contains("95.5"),
        "the board's value stays in raw"
    );
    assert!(row(&bad_ids[1])["created_at"].is_null());
    assert_eq!(rows.len(), lines.len());
}

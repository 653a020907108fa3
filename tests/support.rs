//! Helpers: run the binary, play the France Travail API, read outputs back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::{Array, RecordBatch};
use serde_json::Value;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `jobharvest ARGS` in `cwd` with a clean credential environment.
pub fn jobharvest(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jobharvest"));
    cmd.current_dir(cwd).args(args);
    for var in [
        "FT_CLIENT_ID",
        "FT_CLIENT_SECRET",
        "FT_SCOPE",
        "RUST_LOG",
        "JOBHARVEST_TOKEN_STORE",
        "NAV_FEED_TOKEN",
        "JOBTECH_API_KEY",
        "USAJOBS_API_KEY",
        "USAJOBS_EMAIL",
        "REED_API_KEY",
        "JOOBLE_API_KEY",
        "THEMUSE_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}

/// Runs the binary off the async runtime.
pub async fn jobharvest_async(
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        jobharvest(&cwd, &args, &env)
    })
    .await
    .unwrap()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The recorded real offers.
pub fn sample_offers() -> Vec<Value> {
    let dir = repo().join("tests/fixtures");
    let search: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("search-2024-07-08-6-offers.json")).unwrap(),
    )
    .unwrap();
    let one: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("offer-167GHBR-2024-01-05.json")).unwrap(),
    )
    .unwrap();
    let mut offers = search["resultats"].as_array().unwrap().clone();
    offers.push(one);
    offers
}

/// `n` offers derived from the real ones: fresh ids, and every fourth one
/// stripped of nested objects the way real data sometimes is.
pub fn generated_offers(n: usize) -> Vec<Value> {
    let base = sample_offers();
    (0..n)
        .map(|i| {
            let mut o = base[i % base.len()].clone();
            let m = o.as_object_mut().unwrap();
            m.insert("id".into(), Value::String(format!("T{i:06}")));
            match i % 4 {
                1 => {
                    m.remove("lieuTravail");
                    m.insert("entreprise".into(), serde_json::json!({"entrepriseAdaptee": false}));
                }
                2 => {
                    m.remove("salaire");
                    m.insert("lieuTravail".into(), serde_json::json!({"libelle": "65 - Pyrénées (Hautes)"}));
                    m.insert(
                        "competences".into(),
                        serde_json::json!([{"libelle": "Sans code"}, {"code": "1", "libelle": "Avec code", "exigence": "E"}]),
                    );
                }
                3 => {
                    m.remove("competences");
                    m.insert("agence".into(), serde_json::json!({}));
                }
                _ => {}
            }
            o
        })
        .collect()
}

/// Answers searches by slicing `offers` by the `range` parameter, as the
/// real API does (206 while more remain, 200 at the end, 204 when empty).
pub struct Search {
    pub offers: Arc<Vec<Value>>,
    pub calls: Arc<AtomicUsize>,
}

impl Respond for Search {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let total = self.offers.len();
        if total == 0 {
            return ResponseTemplate::new(204).insert_header("Content-Range", "offres */0");
        }
        let range = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "range")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| "0-149".into());
        let (a, b) = range.split_once('-').unwrap();
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        if a >= total || b < a || b - a >= 150 {
            return ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"message": "La plage de résultats demandée est trop importante."}));
        }
        let end = b.min(total - 1);
        let body = serde_json::json!({"resultats": &self.offers[a..=end], "filtresPossibles": []});
        ResponseTemplate::new(if end + 1 < total { 206 } else { 200 })
            .insert_header(
                "Content-Range",
                format!("offres {a}-{end}/{total}").as_str(),
            )
            .set_body_json(body)
    }
}

/// A France Travail stand-in: token endpoint and search over `offers`.
pub struct StandIn {
    pub server: MockServer,
    pub search_calls: Arc<AtomicUsize>,
}

impl StandIn {
    pub async fn start(offers: Vec<Value>) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/connexion/oauth2/access_token"))
            .and(query_param("realm", "/partenaire"))
            .respond_with(move |req: &Request| {
                let body = String::from_utf8_lossy(&req.body);
                if body.contains("client_secret=right-secret") {
                    ResponseTemplate::new(200).set_body_json(serde_json::json!({
                        "access_token": "tok-1", "token_type": "Bearer", "expires_in": 1499,
                        "scope": "api_offresdemploiv2 o2dsoffre"
                    }))
                } else {
                    ResponseTemplate::new(400).set_body_json(serde_json::json!({
                        "error": "invalid_client", "error_description": "Client authentication failed"
                    }))
                }
            })
            .mount(&server)
            .await;
        let search_calls = Arc::new(AtomicUsize::new(0));
        Mock::given(method("GET"))
            .and(path("/partenaire/offresdemploi/v2/offres/search"))
            .and(header("authorization", "Bearer tok-1"))
            .respond_with(Search {
                offers: Arc::new(offers),
                calls: search_calls.clone(),
            })
            .mount(&server)
            .await;
        StandIn {
            server,
            search_calls,
        }
    }

    pub fn token_url(&self) -> String {
        format!(
            "{}/connexion/oauth2/access_token?realm=%2Fpartenaire",
            self.server.uri()
        )
    }

    pub fn api_url(&self) -> String {
        format!("{}/partenaire/offresdemploi", self.server.uri())
    }
}

/// Every row of a Parquet file as (column name → JSON value) maps.
pub fn read_parquet(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch: RecordBatch = batch.unwrap();
        for i in 0..batch.num_rows() {
            let mut row = serde_json::Map::new();
            for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                row.insert(f.name().clone(), cell_json(col.as_ref(), i));
            }
            rows.push(row);
        }
    }
    rows
}

fn cell_json(col: &dyn Array, i: usize) -> Value {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_schema::DataType;
    if col.is_null(i) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => Value::String(col.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::String(col.as_string::<i64>().value(i).to_string()),
        DataType::Float64 => serde_json::json!(col.as_primitive::<Float64Type>().value(i)),
        DataType::Int64 => serde_json::json!(col.as_primitive::<Int64Type>().value(i)),
        DataType::Boolean => Value::Bool(col.as_boolean().value(i)),
        DataType::Timestamp(_, _) => {
            serde_json::json!(col.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::List(_) => {
            let list = col.as_list::<i32>().value(i);
            Value::Array(
                (0..list.len())
                    .map(|j| cell_json(list.as_ref(), j))
                    .collect(),
            )
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// Every record of a CSV file as (header → text) maps.
pub fn read_csv(path: &Path, delimiter: u8) -> Vec<std::collections::HashMap<String, String>> {
    let mut bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(bytes.as_slice());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Every skill label of a raw offer.
pub fn skills_of(offer: &Value) -> Vec<String> {
    offer["competences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["libelle"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

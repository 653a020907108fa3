//! The `report` sink and `jobharvest report`, as a new user would use them:
//! a replay of the recorded offers with a report sink, the page's embedded
//! numbers against counts made here from the Parquet output, the page
//! rendered by headless Chromium with the network blocked, and the same
//! page made afterwards from the Parquet file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// A replay of the demo's recorded offers into a report and a Parquet file.
fn replay_spec(dir: &Path, sinks: &str) -> PathBuf {
    let spec = dir.join("job.yaml");
    let offers = repo().join("config/demo/offres.jsonl");
    std::fs::write(
        &spec,
        format!(
            "sources:\n  - {{ type: replay, name: demo, connector: france_travail, path: {} }}\nsinks:\n{sinks}",
            offers.display()
        ),
    )
    .unwrap();
    spec
}

/// The numbers the page embeds.
fn embedded(html: &str) -> Value {
    let open = r#"<script type="application/json" id="report-data">"#;
    let start = html.find(open).expect("the page embeds its numbers") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

fn counts<'a>(values: impl Iterator<Item = &'a Value>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for v in values.filter_map(Value::as_str) {
        *m.entry(v.to_string()).or_insert(0) += 1;
    }
    m
}

/// Chromium (Debian's `chromium`), when it is installed.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium with the network blocked (a proxy nobody listens on) and
/// nothing of its own fetched in the background.
fn offline_chromium(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--proxy-server=127.0.0.1:9",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn a_replay_with_a_report_sink_writes_a_page_that_renders_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (page, parquet) = (dir.path().join("report.html"), dir.path().join("o.parquet"));
    let spec = replay_spec(
        dir.path(),
        &format!(
            "  - {{ type: report, path: {} }}\n  - {{ type: parquet, path: {} }}\n",
            page.display(),
            parquet.display()
        ),
    );
    let out = jobharvest(dir.path(), &["run", spec.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("sink report"), "{}", stderr(&out));

    // The page's numbers against the Parquet output's rows.
    let html = std::fs::read_to_string(&page).unwrap();
    let data = embedded(&html);
    let rows = read_parquet(&parquet);
    assert_eq!(data["offers"], rows.len() as u64);
    assert_eq!(rows.len(), 7);
    let column = |name: &str| counts(rows.iter().filter_map(move |r| r.get(name)));
    for (key, name) in [
        ("by_contract_type", "contract_type"),
        ("by_department", "department_code"),
        ("by_source", "source"),
    ] {
        assert_eq!(
            serde_json::from_value::<BTreeMap<String, u64>>(data[key].clone()).unwrap(),
            column(name),
            "{key}"
        );
    }
    let skills = counts(rows.iter().flat_map(|r| r["skills"].as_array().unwrap()));
    let top: BTreeMap<String, u64> = data["top_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_u64().unwrap()))
        .collect();
    assert_eq!(top, skills);
    for name in [
        "title",
        "company_name",
        "salary_min",
        "skills",
        "contact_name",
    ] {
        let filled = rows
            .iter()
            .filter_map(|r| r.get(name))
            .filter(|v| !v.is_null() && **v != Value::Array(vec![]))
            .count();
        assert_eq!(
            data["fill_rate"][name].as_f64().unwrap(),
            filled as f64 / rows.len() as f64,
            "{name}"
        );
    }
    assert_eq!(data["run"]["mode"], "full");
    assert_eq!(data["sources"][0]["name"], "demo");

    // Five charts or more and the map, all inline, nothing to fetch.
    assert!(html.matches(r#"<svg id="chart-"#).count() >= 5);
    assert!(html.contains(r#"<svg id="departements-map""#));
    assert!(!html.contains("src="));
    assert!(!html.contains("<link"));
    for (i, _) in html.match_indices("href=") {
        assert!(html[i..].starts_with(r##"href="#"##));
    }

    let Some(chromium) = chromium() else {
        println!("SKIPPED the Chromium check: `chromium` is not on PATH (CI installs it)");
        return;
    };
    let profile = dir.path().join("chromium-profile");
    let dom = offline_chromium(&chromium, &profile)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(r#"id="offer-count" title="7">7</div>"#),
        "the rendered page shows the offer count: {}",
        &dom[..dom.len().min(2000)]
    );
    assert!(dom.contains("Rapport de collecte"));
    let shot = dir.path().join("report.png");
    let status = offline_chromium(&chromium, &profile)
        .arg("--window-size=1280,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
        .status;
    assert!(status.success());
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "{} bytes",
        png.len()
    );
    // Kept for a person to look at (CI prints where).
    let keep = repo().join("target/report-e2e.png");
    if std::fs::copy(&shot, &keep).is_ok() {
        println!("screenshot: {}", keep.display());
    }
}

#[test]
fn the_report_command_makes_the_same_page_from_the_parquet_output() {
    let dir = tempfile::tempdir().unwrap();
    let (page, parquet) = (dir.path().join("run.html"), dir.path().join("o.parquet"));
    let spec = replay_spec(
        dir.path(),
        &format!(
            "  - {{ type: report, path: {}, lang: en }}\n  - {{ type: parquet, path: {} }}\n",
            page.display(),
            parquet.display()
        ),
    );
    let out = jobharvest(dir.path(), &["run", spec.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let later = dir.path().join("later.html");
    let out = jobharvest(
        dir.path(),
        &[
            "report",
            parquet.to_str().unwrap(),
            "-o",
            later.to_str().unwrap(),
            "--lang",
            "en",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Report of 7 offers"),
        "{}",
        stderr(&out)
    );
    let (mut run, mut file) = (
        embedded(&std::fs::read_to_string(&page).unwrap()),
        embedded(&std::fs::read_to_string(&later).unwrap()),
    );
    // The run's own figures are only known to the run.
    assert!(file["run"].is_null() && !run["run"].is_null());
    for data in [&mut run, &mut file] {
        let m = data.as_object_mut().unwrap();
        m.remove("run");
        m.remove("sources");
    }
    assert_eq!(run, file);

    // A folder of Parquet parts (a dataset) reads as one.
    let dataset = dir.path().join("dataset/ingest_date=2026-11-20");
    std::fs::create_dir_all(&dataset).unwrap();
    for part in ["part-1.parquet", "part-2.parquet"] {
        std::fs::copy(&parquet, dataset.join(part)).unwrap();
    }
    let out = jobharvest(
        dir.path(),
        &["report", dir.path().join("dataset").to_str().unwrap()],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("dataset.html")).unwrap();
    assert_eq!(embedded(&html)["offers"], 14);
    assert!(html.contains("Rapport de collecte"), "French by default");
}

#[test]
fn zero_offers_and_an_unwritable_path_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let spec = dir.path().join("job.yaml");
    std::fs::write(
        &spec,
        "sources:\n  - { type: replay, connector: france_travail, path: empty.jsonl }\nsinks:\n  - { type: report, path: out/report.html }\n",
    )
    .unwrap();
    let out = jobharvest(dir.path(), &["run", "job.yaml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("Aucune offre dans cette collecte."));
    assert_eq!(embedded(&html)["offers"], 0);

    // A folder that cannot be made: refused before anything runs, with the
    // path, and no file left.
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    let out = jobharvest(
        dir.path(),
        &["run", "job.yaml", "-o", "blocker/report.html"],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("report sink") && err.contains("blocker"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

//! The report's numbers on recorded France Travail offers, checked against
//! counts made here independently, and the page's safety and shape.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use jobharvest_core::testkit::{self, Generator};
use jobharvest_core::{
    COLUMNS, Cell, ErrorKind, JobRecord, Mode, NormalizeOptions, Registry, RunSummary, SinkConfig,
    SinkContext, SourceRun,
};
use jobharvest_sink_report::{Aggregator, Lang, Page, ReportConfig, ReportData, render};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The seven recorded offers of the demo, through France Travail's mapping.
fn recorded_offers() -> Vec<JobRecord> {
    let text = std::fs::read_to_string(repo().join("config/demo/offres.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            jobharvest_france_travail::normalize::normalize(
                line,
                &NormalizeOptions::with_personal_data(false),
            )
            .unwrap()
        })
        .collect()
}

/// The recorded search page's six offers and the single recorded offer,
/// through the same mapping (the same seven offers as the demo).
fn fixture_offers() -> Vec<JobRecord> {
    let dir = repo().join("tests/fixtures");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let mut offers: Vec<Value> = read("search-2024-07-08-6-offers.json")["resultats"]
        .as_array()
        .unwrap()
        .clone();
    offers.push(read("offer-167GHBR-2024-01-05.json"));
    offers
        .iter()
        .map(|o| {
            jobharvest_france_travail::normalize::normalize(
                &o.to_string(),
                &NormalizeOptions::with_personal_data(false),
            )
            .unwrap()
        })
        .collect()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A report made on a fixed day, so the snapshot does not move.
fn aggregate(records: &[JobRecord], lang: Lang, run: Option<&RunSummary>) -> ReportData {
    let mut a = Aggregator::new(at("2024-07-09T00:00:00Z"));
    a.add_all(records);
    a.finish(lang, run)
}

/// The JSON the page embeds.
fn embedded(html: &str) -> Value {
    let open = r#"<script type="application/json" id="report-data">"#;
    let start = html.find(open).expect("the page embeds its numbers") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

fn count<'a>(items: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.to_string()).or_insert(0) += 1;
    }
    m
}

#[test]
fn recorded_offers_give_the_counts_made_independently() {
    let records = recorded_offers();
    assert_eq!(records.len(), 7);
    let data = aggregate(&records, Lang::Fr, None);

    assert_eq!(data.offers, 7);
    let contracts = count(records.iter().filter_map(|r| r.contract_type.as_deref()));
    assert_eq!(data.by_contract_type, contracts);
    assert_eq!(
        contracts,
        BTreeMap::from([("CDD".into(), 1), ("CDI".into(), 4), ("MIS".into(), 2)])
    );
    let departments = count(records.iter().filter_map(|r| r.department_code.as_deref()));
    assert_eq!(data.by_department, departments);
    assert_eq!(departments.len(), 7);
    assert_eq!(
        data.by_source,
        BTreeMap::from([("france_travail".into(), 7)])
    );

    // Skills: every element of every offer's list, most frequent first,
    // ties by label.
    let mut skills: Vec<(String, u64)> = count(
        records
            .iter()
            .flat_map(|r| r.skills.iter().map(String::as_str)),
    )
    .into_iter()
    .collect();
    skills.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(data.top_skills, skills);
    assert!(!skills.is_empty());

    // Fill rates: a value, or a non-empty list, in each column.
    for (i, column) in COLUMNS.iter().enumerate() {
        let filled = records
            .iter()
            .filter(|r| match r.cell(i) {
                Cell::Null => false,
                Cell::List(l) => !l.is_empty(),
                _ => true,
            })
            .count();
        assert_eq!(data.filled[column.name], filled as u64, "{}", column.name);
        assert_eq!(
            data.fill_rate[column.name],
            filled as f64 / 7.0,
            "{}",
            column.name
        );
    }
    assert_eq!(data.fill_rate["source_id"], 1.0);
    assert_eq!(
        data.fill_rate["contact_name"], 0.0,
        "personal data left out"
    );

    // Salaries, by hand from the labels: monthly 2275-3033 (2654), 1790,
    // 2000; hourly 11.65 and 12; yearly 25000-30000 (27500).
    let monthly = data.salary["monthly"];
    assert_eq!(
        (
            monthly.count,
            monthly.min,
            monthly.q1,
            monthly.median,
            monthly.q3,
            monthly.max
        ),
        (3, 1790.0, 1895.0, 2000.0, 2327.0, 2654.0)
    );
    assert_eq!(data.salary["hourly"].median, 11.825);
    assert_eq!(data.salary["yearly"].count, 1);
    let basis = data.salary_monthly.unwrap();
    assert_eq!(basis.count, 6);
    assert_eq!(basis.min, 11.65 * 151.67);
    assert_eq!(basis.max, 2654.0);

    // The same offers from the recorded API answers give the same numbers.
    assert_eq!(aggregate(&fixture_offers(), Lang::Fr, None), data);

    insta::assert_json_snapshot!("recorded_offers", data);
}

#[test]
fn the_page_embeds_the_same_numbers_and_draws_them() {
    let records = recorded_offers();
    let data = aggregate(&records, Lang::Fr, None);
    let mut page = Page::new(Lang::Fr);
    page.generated_at = at("2024-07-09T08:00:00Z");
    let html = render(&data, &page);
    assert_eq!(embedded(&html), serde_json::to_value(&data).unwrap());

    // At least five charts and the map, all inline.
    let charts = html.matches(r#"<svg id="chart-"#).count();
    assert!(charts >= 5, "{charts} charts");
    let map_start = html.find(r#"<svg id="departements-map""#).unwrap();
    let map = &html[map_start..map_start + html[map_start..].find("</svg>").unwrap()];
    assert_eq!(map.matches("<path ").count(), 96);
    assert!(map.contains(r#"<path id="dep-2A""#));
    assert!(map.contains("<title>92 Hauts-de-Seine : 1 offres</title>"));

    // The offer count, the contract types and the overseas table.
    assert!(html.contains(r#"id="offer-count" title="7">7</div>"#));
    assert!(html.contains("CDI — Contrat à durée indéterminée"));
    assert!(html.contains("La Réunion"));
    assert!(html.contains("Généré le 9 juillet 2024 à 08:00 UTC"));
    assert_loads_nothing(&html);
}

/// No reference that a browser would fetch: no `src=`, no `href=` but to
/// the page itself, no `url(` but to its own ids, no `@import`; web
/// addresses only as text in the credits.
fn assert_loads_nothing(html: &str) {
    assert!(!html.contains("src="), "a src attribute");
    for (i, _) in html.match_indices("href=") {
        assert!(
            html[i..].starts_with(r##"href="#"##),
            "{}",
            &html[i..i + 40]
        );
    }
    for (i, _) in html.match_indices("url(") {
        assert!(html[i..].starts_with("url(#"), "{}", &html[i..i + 40]);
    }
    assert!(!html.contains("@import") && !html.contains("@font-face"));
    let credits = html.find(r#"<footer id="credits">"#).unwrap();
    for scheme in ["http://", "https://"] {
        for (i, _) in html.match_indices(scheme) {
            assert!(
                i > credits,
                "a web address outside the credits: {}",
                &html[i..i + 60]
            );
            let before = &html[..i];
            assert!(
                !before.ends_with('"') && !before.ends_with('\''),
                "a web address in an attribute"
            );
        }
    }
    assert!(html.contains(r#"http-equiv="Content-Security-Policy" content="default-src 'none';"#));
}

#[test]
fn text_from_offers_is_escaped_and_never_runs() {
    let mut r = JobRecord::new("france_travail", "x1");
    r.title = Some(r#"<script>alert("title")</script>"#.into());
    r.company_name = Some("</script><img src=x onerror=alert(1)>".into());
    r.skills = vec!["<b>SQL</b> & \"Python\"".into()];
    r.contract_type = Some("<i>CDI</i>".into());
    r.contract_label = Some("'quoted' label".into());
    r.department_code = Some("75\"><svg onload=alert(1)>".into());
    r.occupation_code = Some("M1805".into());
    r.occupation_label = Some("Études <& développement>".into());
    let data = aggregate(&[r], Lang::En, None);
    let html = render(&data, &Page::new(Lang::En));

    assert_eq!(html.matches("<script").count(), 1, "only the data island");
    assert!(!html.contains("<img") && !html.contains("<b>") && !html.contains("<i>"));
    assert!(!html.contains("<svg onload"));
    assert!(html.contains("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;"));
    assert!(html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    // The island holds the text as it was, and nothing that ends it.
    let island = embedded(&html);
    assert_eq!(
        island["top_titles"][0][0],
        r#"<script>alert("title")</script>"#
    );
    assert_eq!(
        island["top_employers"][0][0],
        "</script><img src=x onerror=alert(1)>"
    );
    assert_eq!(island["top_skills"][0][0], "<b>SQL</b> & \"Python\"");
    assert_eq!(island["quality"]["checks"]["unknown_department"], 1);
}

#[test]
fn zero_offers_give_a_page_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    let registry = registry();
    let report = testkit::write_all(&registry, json!({"type": "report", "path": path}), &[], 1);
    assert_eq!(report.rows, 0);
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("Aucune offre dans cette collecte."), "{html}");
    assert!(!html.contains(r#"<svg id="chart-"#), "no empty charts");
    assert!(!html.contains("departements-map"));
    let data = embedded(&html);
    assert_eq!(data["offers"], 0);
    assert_eq!(data["fill_rate"], json!({}));
    assert_loads_nothing(&html);
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    jobharvest_sink_report::register(&mut registry);
    registry
}

#[test]
fn the_sink_follows_the_file_sinks_rules() {
    let registry = registry();
    testkit::check_drop_leaves_nothing(&registry, "report", json!({}));
    testkit::check_unknown_key_named(&registry, "report");
    assert_eq!(
        registry
            .sink_type_for_path(Path::new("out/report.html"))
            .unwrap(),
        "report"
    );
    for (extra, key) in [
        (json!({"lang": "de"}), "lang"),
        (json!({"top": 0}), "top"),
        (json!({"top": 101}), "top"),
    ] {
        let mut config = json!({"type": "report", "path": "r.html"});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let err = registry.prepare_sink(config, "sinks[0]").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn an_unwritable_path_fails_at_open_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let config = ReportConfig::new(file.join("report.html"));
    let err = config
        .open(&SinkContext::new(dir.path()))
        .err()
        .expect("a path under a file cannot be written");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[test]
fn the_run_summary_fills_the_headline_and_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.html");
    let config = ReportConfig::new(&path).with_lang(Lang::En);
    let mut sink = config.open(&SinkContext::new(dir.path())).unwrap();
    sink.write(&recorded_offers()).unwrap();
    let mut summary = RunSummary::new(Mode::Full, Duration::from_millis(1620));
    let mut ft = SourceRun::new("ft-78", "france_travail");
    (
        ft.offers,
        ft.requests,
        ft.retries,
        ft.duplicates,
        ft.skipped,
    ) = (7, 12, 3, 2, 1);
    ft.quality_warnings = 4;
    let mut failed = SourceRun::new("adzuna-fr", "adzuna");
    failed.failed = Some("server error 503".into());
    summary.sources = vec![ft, failed];
    sink.run_summary(&summary);
    let report = sink.finish().unwrap();
    assert_eq!(report.rows, 7);
    let html = std::fs::read_to_string(&path).unwrap();
    let data = embedded(&html);
    assert_eq!(
        data["run"],
        json!({"started_at": null, "elapsed_secs": 1.62, "mode": "full", "requests": 12,
               "retries": 3, "rate_limited": 0, "duplicates": 2, "filtered": 0, "skipped": 1,
               "quality_warnings": 4})
    );
    assert_eq!(data["sources"][1]["status"], "failed");
    assert_eq!(data["changes"], Value::Null, "a full run has no changes");
    for text in [
        "Harvest report",
        "1.6\u{a0}s",
        "ft-78",
        "failed : server error 503",
        r#"id="offer-count" title="7">7<"#,
    ] {
        assert!(html.contains(text), "{text}");
    }
}

#[test]
fn a_mirror_run_reports_what_changed_and_leaves_removed_offers_out() {
    let mut records = recorded_offers();
    for (r, change) in records.iter_mut().zip(["new", "new", "updated", "removed"]) {
        r.change = Some(change.into());
    }
    let summary = RunSummary::new(Mode::Mirror, Duration::from_secs(2));
    let data = aggregate(&records, Lang::Fr, Some(&summary));
    let c = data.changes.unwrap();
    assert_eq!(
        (c.mode, c.new, c.updated, c.unchanged, c.removed),
        (Some("mirror"), 2, 1, 3, 1)
    );
    assert_eq!((data.offers, data.rows), (6, 7));
    assert_eq!(data.by_contract_type.values().sum::<u64>(), 6);

    let mut summary = RunSummary::new(Mode::Incremental, Duration::from_secs(2));
    let mut s = SourceRun::new("ft", "france_travail");
    s.unchanged = 40;
    summary.sources = vec![s];
    let data = aggregate(&records[..3], Lang::Fr, Some(&summary));
    assert_eq!(data.changes.unwrap().unchanged, 40);
}

#[test]
fn memory_stays_bounded_on_many_distinct_values() {
    // 60,000 generated records, each with its own employer and title: the
    // counts switch to estimates rather than keeping every value.
    let mut a = Aggregator::new(Utc::now());
    let generator = Generator::new();
    let mut employers = HashMap::new();
    for chunk in 0..30 {
        let mut batch = generator.records(chunk * 2000, 2000);
        for (i, r) in batch.iter_mut().enumerate() {
            let n = chunk * 2000 + i;
            r.company_name = Some(format!("Employer {n}"));
            r.title = Some(format!("Title {}", n % 20_000));
            r.department_code = Some(["75", "2A", "971", "13"][n % 4].into());
            *employers.entry(n % 3).or_insert(0u64) += 1;
        }
        a.add_all(&batch);
    }
    let data = a.finish(Lang::En, None);
    assert_eq!(data.offers, 60_000);
    assert!(
        data.distinct_estimated
            .contains(&"company_name".to_string())
    );
    let employers = data.distinct["company_name"] as f64;
    assert!(
        (employers - 60_000.0).abs() / 60_000.0 < 0.05,
        "{employers}"
    );
    let titles = data.distinct["title"] as f64;
    assert!((titles - 20_000.0).abs() / 20_000.0 < 0.05, "{titles}");
    assert!(
        data.top_error["employers"] > 0,
        "the top list is an estimate"
    );
    assert_eq!(
        data.by_department["971"], 15_000,
        "small domains stay exact"
    );
    assert_eq!(data.top_employers.len(), 100);
}

//! The page: one HTML document with its style, charts, map and numbers
//! inline, and a Content-Security-Policy that forbids every load, so it
//! opens the same offline, from an e-mail or from an object store.
//!
//! Everything that comes from offers goes through [`escape`] (text and
//! attributes) or [`json_for_script`] (the embedded numbers).

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::config::Lang;
use crate::data::{ReportData, Shares};
use crate::i18n::Labels;
use crate::map;
use crate::sketch::Summary;
use crate::svg::{self, BLUE, Bar, BoxRow, Column, Layout, Segment};

/// Escapes text for HTML and SVG, in element content and in quoted
/// attributes: `&`, `<`, `>`, `"` and `'`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe inside `<script type="application/json">`: `<`, `>` and `&`
/// become `\u003c`, `\u003e` and `\u0026` (the same JSON once parsed), so
/// no `</script>` in an offer's text can end the element.
pub fn json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// How to present a [`ReportData`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page {
    /// The language of the labels and numbers.
    pub lang: Lang,
    /// The heading; the language's default when `None`.
    pub title: Option<String>,
    /// What the report was made from (a file), when not from a run.
    pub made_from: Option<String>,
    /// When the page was made.
    pub generated_at: DateTime<Utc>,
    /// How many entries the top lists show.
    pub top: usize,
}

impl Page {
    /// A page in `lang`, made now, with the default title and top lists of
    /// 15.
    pub fn new(lang: Lang) -> Self {
        Page {
            lang,
            title: None,
            made_from: None,
            generated_at: Utc::now(),
            top: 15,
        }
    }
}

const STYLE: &str = r#"
:root{--ink:#1d2430;--muted:#5b6575;--line:#dde2ea;--blue:#2f6db5;--bg:#f6f8fb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1120px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 10px}
.sub{color:var(--muted);margin:0 0 20px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:0 0 16px;break-inside:avoid}
.note{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card .k{color:var(--muted);font-size:12px}
.card .v{font-size:21px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .v.long{font-size:15px;white-space:normal;padding-top:4px}
.card.main .v{color:var(--blue);font-size:28px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.grid2>section{margin:0}
.grid2.plain{gap:24px}
.row{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
.row>.map{flex:1 1 480px;max-width:600px}
.row>.side{flex:1 1 300px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;font-weight:600;padding:8px 0 4px}
.empty{font-size:20px;font-weight:600;color:var(--blue);margin:4px 0 6px}
.failed{color:#b3261e}
svg.chart{width:100%;height:auto;display:block;font-size:12px}
svg text{fill:var(--ink)}
svg .axis{fill:var(--muted);font-size:11px}
svg .value{font-size:11.5px}
svg .strong{font-weight:700}
svg .on-bar{font-size:11.5px;font-weight:600}
svg .grid{stroke:#e8ecf1}
svg .baseline,svg .whisker{stroke:#55606e}
svg.map{width:100%;height:auto;display:block;font-size:11px}
svg.map .deps path{stroke:#fff;stroke-width:.6}
svg.map .inset use{stroke:#fff;stroke-width:.15}
svg.map .inset-label{font-size:10px;fill:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:20px}
@media (max-width:820px){.grid2{grid-template-columns:1fr}}
@media print{body{background:#fff}main{padding:0;max-width:none}section{border-color:#ccc}.grid2{grid-template-columns:1fr 1fr}}
@page{size:A4;margin:12mm}
"#;

/// The whole page.
pub fn render(data: &ReportData, page: &Page) -> String {
    let lang = page.lang;
    let l = lang.labels();
    let title = page.title.as_deref().unwrap_or(l.title);
    let mut html = String::with_capacity(160 * 1024);
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="jobharvest {version}">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p class="sub">{generated} {when}{from}</p>
"#,
        version = env!("CARGO_PKG_VERSION"),
        title = escape(title),
        generated = escape(l.generated),
        when = escape(&lang.instant(page.generated_at)),
        from = page
            .made_from
            .as_deref()
            .map(|f| format!(" · {} {}", escape(l.made_from), escape(f)))
            .unwrap_or_default(),
    );
    if data.offers == 0 {
        let _ = write!(
            html,
            r#"<section id="no-offers"><p class="empty">{}</p><p>{}</p></section>"#,
            escape(l.no_offers),
            escape(l.no_offers_hint)
        );
    }
    headline(&mut html, data, lang);
    per_source(&mut html, data, lang);
    if data.offers > 0 {
        per_day(&mut html, data, lang);
        contracts(&mut html, data, lang);
        departements(&mut html, data, lang);
        salaries(&mut html, data, lang);
        tops(&mut html, data, lang, page.top);
        shares(&mut html, data, lang);
        columns(&mut html, data, lang);
    }
    changes(&mut html, data, lang);
    if data.offers > 0 {
        quality(&mut html, data, lang);
    }
    credits(&mut html, data, l);
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    let _ = write!(
        html,
        "</main>\n<script type=\"application/json\" id=\"report-data\">{}</script>\n</body>\n</html>\n",
        json_for_script(&json)
    );
    html
}

fn section_open(html: &mut String, id: &str, title: &str) {
    let _ = write!(html, r#"<section id="{id}"><h2>{}</h2>"#, escape(title));
}

fn note(html: &mut String, text: &str) {
    let _ = write!(html, r#"<p class="note">{}</p>"#, escape(text));
}

fn date_of(rfc3339: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&Utc).date_naive())
}

fn headline(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    section_open(html, "headline", l.headline);
    html.push_str(r#"<div class="cards">"#);
    let mut card = |key: &str, value: String, id: Option<&str>| {
        let (class, id) = match id {
            Some(id) => (" main", format!(r#" id="{id}""#)),
            None => ("", String::new()),
        };
        let long = if value.chars().count() > 14 {
            " long"
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<div class="card{class}"><div class="k">{}</div><div class="v{long}"{id} title="{v}">{v}</div></div>"#,
            escape(key),
            v = escape(&value),
        );
    };
    card(l.offers, lang.int(data.offers), Some("offer-count"));
    card(l.sources, lang.int(data.sources.len() as u64), None);
    let span = data.created.as_ref().and_then(|s| {
        let (a, b) = (date_of(&s.first)?, date_of(&s.last)?);
        Some(if a == b {
            lang.short_date(a)
        } else {
            format!("{} – {}", lang.short_date(a), lang.short_date(b))
        })
    });
    card(
        l.created_span,
        span.unwrap_or_else(|| l.nothing.into()),
        None,
    );
    let run = data.run.as_ref();
    let known = |f: &dyn Fn(&crate::data::Run) -> u64| {
        run.map_or_else(|| l.not_known.to_string(), |r| lang.int(f(r)))
    };
    card(
        l.run_time,
        run.map_or_else(
            || l.not_known.to_string(),
            |r| lang.duration(r.elapsed_secs),
        ),
        None,
    );
    card(l.requests, known(&|r| r.requests), None);
    card(l.retries, known(&|r| r.retries), None);
    card(l.duplicates, known(&|r| r.duplicates), None);
    card(l.skipped, known(&|r| r.skipped), None);
    let source_warnings = run.map_or(0, |r| r.quality_warnings);
    card(
        l.quality_warnings,
        lang.int(data.quality.warnings + source_warnings),
        None,
    );
    html.push_str("</div></section>\n");
}

fn per_source(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    if data.sources.is_empty() {
        return;
    }
    section_open(html, "sources", l.per_source);
    let _ = write!(
        html,
        r#"<table><thead><tr><th>{}</th><th>{}</th><th class="n">{}</th><th class="n">{}</th><th>{}</th></tr></thead><tbody>"#,
        escape(l.source),
        escape(l.source_type),
        escape(l.offers),
        escape(l.requests),
        escape(l.status),
    );
    for s in &data.sources {
        let status = match (s.status, &s.reason) {
            (Some("failed"), Some(reason)) => format!(
                r#"<span class="failed">{} : {}</span>"#,
                escape(l.failed),
                escape(reason)
            ),
            (Some("failed"), None) => {
                format!(r#"<span class="failed">{}</span>"#, escape(l.failed))
            }
            (Some(_), _) => escape(l.ok),
            (None, _) => escape(l.nothing),
        };
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{status}</td></tr>"#,
            escape(&s.name),
            escape(&s.source_type),
            lang.int(s.offers),
            s.requests
                .map_or_else(|| l.nothing.to_string(), |n| lang.int(n)),
        );
    }
    html.push_str("</tbody></table></section>\n");
}

/// Days, weeks or months, whichever gives a readable number of columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Day,
    Week,
    Month,
}

/// The longest span the chart draws, back from the last creation date:
/// older dates (an offer created decades ago is a data problem) are left
/// out of the chart and counted in its note.
const CHART_YEARS: u32 = 30;

fn per_day(html: &mut String, data: &ReportData, lang: Lang) {
    use chrono::Datelike;
    let l = lang.labels();
    let days: Vec<(NaiveDate, u64)> = data
        .by_day
        .iter()
        .filter_map(|(d, &n)| Some((d.parse().ok()?, n)))
        .collect();
    let Some(&(last, _)) = days.last() else {
        return;
    };
    let floor = last
        .checked_sub_months(chrono::Months::new(12 * CHART_YEARS))
        .unwrap_or(NaiveDate::MIN);
    let left_out: u64 = days
        .iter()
        .filter(|(d, _)| *d < floor)
        .map(|(_, n)| n)
        .sum();
    let days: Vec<(NaiveDate, u64)> = days.into_iter().filter(|(d, _)| *d >= floor).collect();
    let first = days[0].0;
    let (bucket, heading) = match (last - first).num_days() {
        ..=92 => (Bucket::Day, l.per_day),
        93..=730 => (Bucket::Week, l.per_week),
        _ => (Bucket::Month, l.per_month),
    };
    let start = |d: NaiveDate| match bucket {
        Bucket::Day => d,
        Bucket::Week => d - TimeDelta::days(i64::from(d.weekday().num_days_from_monday())),
        Bucket::Month => d.with_day(1).unwrap_or(d),
    };
    let next = |d: NaiveDate| match bucket {
        Bucket::Day => d.checked_add_signed(TimeDelta::days(1)),
        Bucket::Week => d.checked_add_signed(TimeDelta::days(7)),
        Bucket::Month => d.checked_add_months(chrono::Months::new(1)),
    };
    let mut cols: Vec<(NaiveDate, u64)> = Vec::new();
    let mut at = Some(start(first));
    while let Some(d) = at.filter(|d| *d <= last) {
        cols.push((d, 0));
        at = next(d);
    }
    for (d, n) in days {
        let i = cols.partition_point(|(s, _)| *s <= d);
        cols[i.saturating_sub(1)].1 += n;
    }
    section_open(html, "per-day", heading);
    let columns: Vec<Column> = cols
        .iter()
        .map(|&(d, n)| Column {
            tooltip: format!(
                "{} : {} {}",
                lang.date(d),
                lang.int(n),
                l.offers.to_lowercase()
            ),
            label: match bucket {
                Bucket::Month => d.format("%m/%Y").to_string(),
                _ => lang.short_date(d),
            },
            value: n,
        })
        .collect();
    html.push_str(&svg::columns("chart-days", heading, &columns, &|n| {
        lang.int(n)
    }));
    note(html, l.per_day_note);
    if left_out > 0 {
        note(
            html,
            &format!("{} : {}", l.older_left_out, lang.int(left_out)),
        );
    }
    html.push_str("</section>\n");
}

fn share_text(lang: Lang, n: u64, total: u64) -> String {
    if total == 0 {
        return lang.int(n);
    }
    format!(
        "{} ({})",
        lang.int(n),
        lang.percent(n as f64 / total as f64)
    )
}

fn contracts(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    let mut items: Vec<(&String, &u64)> = data.by_contract_type.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let bars: Vec<Bar> = items
        .iter()
        .map(|&(code, &n)| {
            let name = l.contracts.iter().find(|(c, _)| c == code);
            let label = match (code.as_str(), name) {
                ("", _) => l.unknown.to_string(),
                (c, Some((_, name))) => format!("{c} — {name}"),
                (c, None) => c.to_string(),
            };
            Bar {
                tooltip: format!("{label} : {}", share_text(lang, n, data.offers)),
                text: share_text(lang, n, data.offers),
                label,
                value: n as f64,
                colour: BLUE,
            }
        })
        .collect();
    section_open(html, "contracts", l.contract_types);
    html.push_str(&svg::hbars(
        "chart-contracts",
        l.contract_types,
        &bars,
        None,
        Layout::full(),
    ));
    html.push_str("</section>\n");
}

fn departements(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    let count = |code: &str| data.by_department.get(code).copied().unwrap_or(0);
    section_open(html, "departements", l.map);
    html.push_str(r#"<div class="row"><div class="map">"#);
    html.push_str(&map::render(lang, &count));
    html.push_str(r#"</div><div class="side">"#);
    // The busiest départements.
    let mut top: Vec<(&String, &u64)> = data
        .by_department
        .iter()
        .filter(|(c, _)| map::is_known(c))
        .collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let row = |code: &str, name: &str, n: u64| {
        format!(
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td></tr>"#,
            escape(code),
            escape(name),
            share_text(lang, n, data.offers)
        )
    };
    let table_head = |caption: &str| {
        format!(
            r#"<table><caption>{}</caption><thead><tr><th></th><th>{}</th><th class="n">{}</th></tr></thead><tbody>"#,
            escape(caption),
            escape(l.department),
            escape(l.offers)
        )
    };
    html.push_str(&table_head(l.top_departments));
    for &(code, &n) in top.iter().take(10) {
        html.push_str(&row(code, map::name(code).unwrap_or(""), n));
    }
    html.push_str("</tbody></table>");
    html.push_str(&table_head(l.overseas));
    for (code, name) in map::OVERSEAS {
        html.push_str(&row(code, name, count(code)));
    }
    // Other French codes (collectivities) seen, after the six.
    for (code, &n) in &data.by_department {
        let metropolitan = map::metropolitan().any(|(c, _, _)| c == code);
        let listed = map::OVERSEAS.iter().any(|(c, _)| c == code);
        if !metropolitan && !listed && map::is_known(code) {
            html.push_str(&row(code, map::name(code).unwrap_or(""), n));
        }
    }
    html.push_str(&row("", l.no_department, data.without_department));
    let unknown: u64 = data.quality.unknown_departments.values().sum();
    if unknown > 0 {
        let codes: Vec<&str> = data
            .quality
            .unknown_departments
            .keys()
            .take(12)
            .map(String::as_str)
            .collect();
        html.push_str(&row(&codes.join(", "), l.other_codes, unknown));
    }
    html.push_str("</tbody></table></div></div>");
    note(html, l.map_note);
    html.push_str("</section>\n");
}

fn period_label(lang: Lang, key: &str) -> String {
    let l = lang.labels();
    match key.split_once(' ') {
        Some((period, currency)) => format!("{} ({currency})", lang.lookup(l.periods, period)),
        None => lang.lookup(l.periods, key),
    }
}

fn salaries(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    section_open(html, "salaries", l.salaries);
    if data.salary.is_empty() {
        let _ = writeln!(html, "<p>{}</p></section>", escape(l.no_salary));
        return;
    }
    let mut rows = Vec::new();
    if let Some(m) = data.salary_monthly {
        rows.push(BoxRow {
            label: l.monthly_basis.to_string(),
            stats: m,
            strong: true,
        });
    }
    // Periods from the shortest to the longest, other currencies after.
    let order = |k: &str| {
        let (period, other) = k.split_once(' ').map_or((k, false), |(p, _)| (p, true));
        let rank = l
            .periods
            .iter()
            .position(|(p, _)| *p == period)
            .unwrap_or(99);
        (other, rank, k.to_string())
    };
    let mut keys: Vec<&String> = data.salary.keys().collect();
    keys.sort_by_key(|k| order(k));
    for k in &keys {
        rows.push(BoxRow {
            label: period_label(lang, k),
            stats: data.salary[*k],
            strong: false,
        });
    }
    let tip = |r: &BoxRow| {
        let s = r.stats;
        format!(
            "{} — {} : {} ; {} : {} ; {} : {} ; {} : {} ; {} : {} ; {} : {}",
            r.label,
            l.count,
            lang.int(s.count),
            l.min,
            lang.amount(s.min),
            l.q1,
            lang.amount(s.q1),
            l.median,
            lang.amount(s.median),
            l.q3,
            lang.amount(s.q3),
            l.max,
            lang.amount(s.max)
        )
    };
    html.push_str(&svg::boxplots(
        "chart-salaries",
        l.salaries,
        &rows,
        &|v| lang.amount(v),
        &tip,
    ));
    let _ = write!(
        html,
        r#"<table><thead><tr><th>{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        escape(l.period),
        escape(l.count),
        escape(l.min),
        escape(l.q1),
        escape(l.median),
        escape(l.q3),
        escape(l.max)
    );
    for r in &rows {
        let s: Summary = r.stats;
        let mark = if s.exact {
            String::new()
        } else {
            format!(" ({})", escape(l.estimated))
        };
        let _ = write!(
            html,
            r#"<tr><td>{}{mark}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&r.label),
            lang.int(s.count),
            lang.amount(s.min),
            lang.amount(s.q1),
            lang.amount(s.median),
            lang.amount(s.q3),
            lang.amount(s.max)
        );
    }
    html.push_str("</tbody></table>");
    note(html, l.salary_note);
    html.push_str("</section>\n");
}

fn top_chart(
    html: &mut String,
    lang: Lang,
    id: &str,
    title: &str,
    items: &[(String, u64)],
    error: u64,
    offers: u64,
) {
    let l = lang.labels();
    let _ = write!(html, r#"<section id="{id}"><h2>{}</h2>"#, escape(title));
    if items.is_empty() {
        let _ = writeln!(html, "<p>{}</p></section>", escape(l.nothing));
        return;
    }
    let bars: Vec<Bar> = items
        .iter()
        .map(|(label, n)| Bar {
            tooltip: format!("{label} : {}", share_text(lang, *n, offers)),
            text: lang.int(*n),
            label: label.clone(),
            value: *n as f64,
            colour: BLUE,
        })
        .collect();
    html.push_str(&svg::hbars(
        &format!("chart-{id}"),
        title,
        &bars,
        None,
        Layout::half(),
    ));
    if error > 0 {
        note(html, &format!("± {}", lang.int(error)));
    }
    html.push_str("</section>\n");
}

fn tops(html: &mut String, data: &ReportData, lang: Lang, top: usize) {
    let l = lang.labels();
    let error = |k: &str| data.top_error.get(k).copied().unwrap_or(0);
    let cut = |list: &[(String, u64)]| list.iter().take(top).cloned().collect::<Vec<_>>();
    let occupations: Vec<(String, u64)> = data
        .top_occupations
        .iter()
        .take(top)
        .map(|(code, label, n)| {
            let text = match (code.is_empty(), label.is_empty()) {
                (false, false) => format!("{code} {label}"),
                (false, true) => code.clone(),
                _ => label.clone(),
            };
            (text, *n)
        })
        .collect();
    html.push_str(r#"<div class="grid2">"#);
    top_chart(
        html,
        lang,
        "top-skills",
        l.top_skills,
        &cut(&data.top_skills),
        error("skills"),
        data.offers,
    );
    top_chart(
        html,
        lang,
        "top-occupations",
        l.top_occupations,
        &occupations,
        error("occupations"),
        data.offers,
    );
    top_chart(
        html,
        lang,
        "top-employers",
        l.top_employers,
        &cut(&data.top_employers),
        error("employers"),
        data.offers,
    );
    top_chart(
        html,
        lang,
        "top-titles",
        l.top_titles,
        &cut(&data.top_titles),
        error("titles"),
        data.offers,
    );
    html.push_str("</div>");
    let _ = write!(html, r#"<p class="note">{}</p>"#, escape(l.top_note));
    html.push('\n');
}

fn segments(lang: Lang, s: &Shares) -> Vec<Segment> {
    let l = lang.labels();
    let total = s.yes + s.no + s.unknown;
    let pct = |n: u64| {
        if total == 0 {
            String::new()
        } else {
            lang.percent(n as f64 / total as f64)
        }
    };
    vec![
        Segment {
            value: s.yes,
            colour: BLUE,
            name: l.yes.into(),
            text: pct(s.yes),
            text_colour: "#fff",
        },
        Segment {
            value: s.no,
            colour: "#9bb8d9",
            name: l.no.into(),
            text: pct(s.no),
            text_colour: "#1d2430",
        },
        Segment {
            value: s.unknown,
            colour: "#c9ced6",
            name: l.unknown.into(),
            text: pct(s.unknown),
            text_colour: "#1d2430",
        },
    ]
}

fn shares(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    section_open(html, "shares", l.shares);
    let rows = vec![
        (l.remote.to_string(), segments(lang, &data.remote)),
        (l.alternance.to_string(), segments(lang, &data.alternance)),
    ];
    html.push_str(&svg::stacked("chart-shares", l.shares, &rows));
    html.push_str("</section>\n");
}

fn columns(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    section_open(html, "columns", l.columns);
    let bars: Vec<Bar> = jobharvest_core::COLUMNS
        .iter()
        .filter_map(|c| {
            let rate = *data.fill_rate.get(c.name)?;
            let distinct = data.distinct.get(c.name).copied().unwrap_or(0);
            let estimated = data.distinct_estimated.iter().any(|n| n == c.name);
            let distinct = format!(
                "{}{} {}",
                if estimated { "≈" } else { "" },
                lang.int(distinct),
                if distinct == 1 {
                    l.distinct_one
                } else {
                    l.distinct
                }
            );
            let colour = match rate {
                r if r >= 0.8 => "#2f8f5b",
                r if r >= 0.3 => "#d99a1e",
                r if r > 0.0 => "#d0643b",
                _ => "#c9ced6",
            };
            Some(Bar {
                tooltip: format!(
                    "{} : {} ; {distinct}",
                    c.name,
                    share_text(
                        lang,
                        data.filled.get(c.name).copied().unwrap_or(0),
                        data.offers
                    )
                ),
                text: format!("{} · {distinct}", lang.percent(rate)),
                label: c.name.to_string(),
                value: rate,
                colour,
            })
        })
        .collect();
    // Two charts side by side, half of the columns each.
    let layout = Layout {
        width: 480.0,
        label_w: 150.0,
        text_w: 150.0,
        label_chars: 22,
    };
    let half = bars.len().div_ceil(2);
    html.push_str(r#"<div class="grid2 plain">"#);
    for (i, part) in bars.chunks(half.max(1)).enumerate() {
        let id = format!("chart-columns-{}", i + 1);
        html.push_str("<div>");
        html.push_str(&svg::hbars(&id, l.columns, part, Some(1.0), layout));
        html.push_str("</div>");
    }
    html.push_str("</div>");
    note(html, l.columns_note);
    html.push_str("</section>\n");
}

fn changes(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    let Some(c) = data.changes else {
        return;
    };
    section_open(html, "changes", l.changes);
    html.push_str(r#"<div class="cards">"#);
    if let Some(mode) = c.mode {
        let _ = write!(
            html,
            r#"<div class="card"><div class="k">{}</div><div class="v">{}</div></div>"#,
            escape(l.mode),
            escape(mode)
        );
    }
    for (k, n) in [
        (l.new, c.new),
        (l.updated, c.updated),
        (l.unchanged, c.unchanged),
        (l.removed, c.removed),
    ] {
        let _ = write!(
            html,
            r#"<div class="card"><div class="k">{}</div><div class="v">{}</div></div>"#,
            escape(k),
            lang.int(n)
        );
    }
    html.push_str("</div></section>\n");
}

fn quality(html: &mut String, data: &ReportData, lang: Lang) {
    let l = lang.labels();
    section_open(html, "quality", l.quality);
    if data.quality.warnings + data.run.as_ref().map_or(0, |r| r.quality_warnings) == 0 {
        let _ = write!(html, "<p>{}</p>", escape(l.no_quality_warning));
    }
    let _ = write!(
        html,
        r#"<table><thead><tr><th>{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        escape(l.check),
        escape(l.offers)
    );
    for check in crate::aggregate::CHECKS {
        let n = data.quality.checks.get(check).copied().unwrap_or(0);
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td class="n">{}</td></tr>"#,
            escape(&lang.lookup(l.checks, check)),
            lang.int(n)
        );
    }
    if let Some(run) = &data.run {
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td class="n">{}</td></tr>"#,
            escape(l.source_quality),
            lang.int(run.quality_warnings)
        );
    }
    html.push_str("</tbody></table>");
    note(html, l.quality_note);
    html.push_str("</section>\n");
}

/// The boards' credit lines the footer shows at most.
const CREDIT_LINES: usize = 5;

fn credits(html: &mut String, data: &ReportData, l: &Labels) {
    let _ = write!(
        html,
        r#"<footer id="credits"><h2>{}</h2>"#,
        escape(l.credits)
    );
    // The boards' credit lines, the most frequent first (France Travail's
    // carry each offer's update date, so there can be many).
    let mut lines: Vec<(&String, &u64)> = data.attributions.iter().collect();
    lines.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (attribution, _) in lines.iter().take(CREDIT_LINES) {
        let _ = write!(html, "<p>{}</p>", escape(attribution));
    }
    if lines.len() > CREDIT_LINES {
        let _ = write!(html, "<p>(+ {})</p>", lines.len() - CREDIT_LINES);
    }
    let _ = writeln!(
        html,
        "<p>{}</p><p>jobharvest {}</p></footer>",
        escape(l.map_credit),
        env!("CARGO_PKG_VERSION")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Crème brûlée"), "Crème brûlée");
    }

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let json = serde_json::to_string(&serde_json::json!({"t": "</script><b>&"})).unwrap();
        let safe = json_for_script(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["t"], "</script><b>&");
    }
}

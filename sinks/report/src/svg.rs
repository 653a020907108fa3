//! The charts, as inline SVG written directly: horizontal bars, columns,
//! box plots and 100% stacked bars. Each is an `<svg class="chart">` with
//! a `viewBox`, so it scales with the page and prints sharp; every bar has
//! a `<title>` tooltip. Text from offers goes through [`escape`].

use std::fmt::Write;

use crate::html::escape;
use crate::sketch::Summary;

/// Width of a chart across the page, in its own units: about its width
/// in pixels on a laptop screen, so its text reads at its own size.
const WIDTH: f64 = 1040.0;
/// The bars' colour.
pub const BLUE: &str = "#2f6db5";

/// Cuts `text` to `max` characters, with an ellipsis.
fn truncate(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let cut: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        let mut cut: String = cut.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        cut
    }
}

fn open(svg: &mut String, id: &str, title: &str, width: f64, height: f64) {
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
}

/// The proportions of an [`hbars`] chart.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The chart's width.
    pub width: f64,
    /// The labels' column.
    pub label_w: f64,
    /// Room for the text after the longest bar.
    pub text_w: f64,
    /// Labels are cut to this many characters.
    pub label_chars: usize,
}

impl Layout {
    /// Across the page.
    pub fn full() -> Self {
        Layout {
            width: WIDTH,
            label_w: 300.0,
            text_w: 150.0,
            label_chars: 44,
        }
    }

    /// In half of the page.
    pub fn half() -> Self {
        Layout {
            width: 480.0,
            label_w: 230.0,
            text_w: 50.0,
            label_chars: 30,
        }
    }
}

/// One bar of [`hbars`].
#[derive(Debug, Clone)]
pub struct Bar {
    /// The label at the left.
    pub label: String,
    /// The bar's length, against the longest.
    pub value: f64,
    /// The text at the bar's end.
    pub text: String,
    /// The tooltip.
    pub tooltip: String,
    /// The bar's colour.
    pub colour: &'static str,
}

/// Horizontal bars, one row each, the longest bar `max` (or the largest
/// value).
pub fn hbars(id: &str, title: &str, bars: &[Bar], max: Option<f64>, layout: Layout) -> String {
    let row = 21.0;
    let Layout {
        width,
        label_w,
        text_w,
        label_chars,
    } = layout;
    let area = width - label_w - text_w;
    let top = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let max = max.unwrap_or(top).max(f64::MIN_POSITIVE);
    let height = row * bars.len() as f64 + 6.0;
    let mut svg = String::new();
    open(&mut svg, id, title, width, height);
    for (i, b) in bars.iter().enumerate() {
        let y = 3.0 + row * i as f64;
        let w = (b.value / max * area).max(if b.value > 0.0 { 1.5 } else { 0.0 });
        let _ = write!(
            svg,
            r#"<g><title>{tip}</title><text x="{lx}" y="{ty}" class="label" text-anchor="end">{label}</text><rect x="{label_w}" y="{by}" width="{w:.1}" height="{bh}" fill="{c}"/><text x="{vx:.1}" y="{ty}" class="value">{text}</text></g>"#,
            tip = escape(&b.tooltip),
            lx = label_w - 8.0,
            ty = y + 15.0,
            label = escape(&truncate(&b.label, label_chars)),
            by = y + 3.0,
            bh = row - 6.0,
            c = b.colour,
            vx = label_w + w + 6.0,
            text = escape(&b.text),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One column of [`columns`].
#[derive(Debug, Clone)]
pub struct Column {
    /// The axis label, shown for some columns only.
    pub label: String,
    /// The height.
    pub value: u64,
    /// The tooltip.
    pub tooltip: String,
}

/// Vertical columns over time, with a few labelled gridlines.
pub fn columns(id: &str, title: &str, cols: &[Column], fmt: &dyn Fn(u64) -> String) -> String {
    let (height, left, bottom, top) = (250.0, 56.0, 36.0, 12.0);
    let area_w = WIDTH - left - 10.0;
    let area_h = height - bottom - top;
    let max = cols.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    let step = nice_step(max);
    let mut svg = String::new();
    open(&mut svg, id, title, WIDTH, height);
    let mut tick = 0;
    while tick <= max {
        let y = top + area_h - tick as f64 / max as f64 * area_h;
        let _ = write!(
            svg,
            r#"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" class="axis" text-anchor="end">{v}</text>"#,
            x2 = WIDTH - 10.0,
            tx = left - 6.0,
            ty = y + 4.0,
            v = fmt(tick),
        );
        tick += step;
    }
    let n = cols.len().max(1);
    let slot = area_w / n as f64;
    let gap = if slot > 4.0 { slot * 0.15 } else { 0.0 };
    // About six labels along the axis, the last one always.
    let every = n.div_ceil(6).max(1);
    for (i, c) in cols.iter().enumerate() {
        let h = c.value as f64 / max as f64 * area_h;
        let x = left + slot * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{BLUE}"><title>{tip}</title></rect>"#,
            y = top + area_h - h,
            w = (slot - gap).max(0.5),
            tip = escape(&c.tooltip),
        );
        // A label every few columns, none too close to the last one's.
        let last = i + 1 == n;
        if last || (i % every == 0 && n - 1 - i >= every.div_ceil(2)) {
            let (anchor, lx) = match (last, n) {
                (true, 2..) => ("end", x + slot),
                _ => ("middle", x + slot / 2.0),
            };
            let _ = write!(
                svg,
                r#"<text x="{lx:.1}" y="{ly}" class="axis" text-anchor="{anchor}">{l}</text>"#,
                ly = height - bottom + 18.0,
                l = escape(&c.label),
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" x2="{x2}" y1="{y}" y2="{y}" class="baseline"/></svg>"#,
        x2 = WIDTH - 10.0,
        y = top + area_h,
    );
    svg
}

/// A step of 1, 2 or 5 times a power of ten giving 3 to 6 gridlines up
/// to `max`.
fn nice_step(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if max / (step * m) <= 5 {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// One row of [`boxplots`].
#[derive(Debug, Clone)]
pub struct BoxRow {
    /// The label at the left.
    pub label: String,
    /// The statistics.
    pub stats: Summary,
    /// Highlighted (the monthly basis).
    pub strong: bool,
}

/// Box plots, one row each on its own scale (periods differ by orders of
/// magnitude): whiskers from min to max, a box from the first to the third
/// quartile, a line at the median, and the three numbers written under.
pub fn boxplots(
    id: &str,
    title: &str,
    rows: &[BoxRow],
    fmt: &dyn Fn(f64) -> String,
    tooltip: &dyn Fn(&BoxRow) -> String,
) -> String {
    let row = 52.0;
    let (left, right) = (200.0, 40.0);
    let area = WIDTH - left - right;
    let mut svg = String::new();
    open(&mut svg, id, title, WIDTH, row * rows.len() as f64 + 4.0);
    for (i, r) in rows.iter().enumerate() {
        let s = r.stats;
        let y = 4.0 + row * i as f64;
        let mid = y + 16.0;
        let span = (s.max - s.min).max(f64::MIN_POSITIVE);
        let x = |v: f64| left + (v - s.min) / span * area;
        let (x1, xq1, xm, xq3, x2) = if s.max > s.min {
            (x(s.min), x(s.q1), x(s.median), x(s.q3), x(s.max))
        } else {
            let c = left + area / 2.0;
            (c, c, c, c, c)
        };
        let fill = if r.strong { "#9ec5ee" } else { "#cfe0f3" };
        let _ = write!(
            svg,
            r#"<g><title>{tip}</title><text x="{lx}" y="{ty}" class="label{cls}" text-anchor="end">{label}</text><line x1="{x1:.1}" x2="{x2:.1}" y1="{mid}" y2="{mid}" class="whisker"/><line x1="{x1:.1}" x2="{x1:.1}" y1="{a}" y2="{b}" class="whisker"/><line x1="{x2:.1}" x2="{x2:.1}" y1="{a}" y2="{b}" class="whisker"/><rect x="{xq1:.1}" y="{by}" width="{bw:.1}" height="20" fill="{fill}" stroke="{BLUE}"/><line x1="{xm:.1}" x2="{xm:.1}" y1="{by}" y2="{be}" stroke="{BLUE}" stroke-width="2.5"/>{ends}<text x="{xm:.1}" y="{ny}" class="axis strong" text-anchor="middle">{median}</text></g>"#,
            tip = escape(&tooltip(r)),
            lx = left - 12.0,
            ty = mid + 4.0,
            cls = if r.strong { " strong" } else { "" },
            label = escape(&truncate(&r.label, 24)),
            a = mid - 6.0,
            b = mid + 6.0,
            by = mid - 10.0,
            be = mid + 10.0,
            bw = (xq3 - xq1).max(1.0),
            ny = mid + 26.0,
            median = escape(&fmt(s.median)),
            ends = if s.max > s.min {
                format!(
                    r#"<text x="{x1:.1}" y="{ny}" class="axis" text-anchor="start">{}</text><text x="{x2:.1}" y="{ny}" class="axis" text-anchor="end">{}</text>"#,
                    escape(&fmt(s.min)),
                    escape(&fmt(s.max)),
                    ny = mid + 26.0,
                )
            } else {
                String::new()
            },
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One segment of a [`stacked`] bar.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its count.
    pub value: u64,
    /// Its colour.
    pub colour: &'static str,
    /// Its name (legend and tooltip).
    pub name: String,
    /// The text written on it when it is wide enough (its share).
    pub text: String,
    /// The colour of that text, readable on `colour`.
    pub text_colour: &'static str,
}

/// 100% stacked horizontal bars, one per row, with a legend.
pub fn stacked(id: &str, title: &str, rows: &[(String, Vec<Segment>)]) -> String {
    let row = 34.0;
    let left = 220.0;
    let area = WIDTH - left - 10.0;
    let legend = 26.0;
    let mut svg = String::new();
    open(
        &mut svg,
        id,
        title,
        WIDTH,
        row * rows.len() as f64 + legend + 4.0,
    );
    for (i, (label, segments)) in rows.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let total = segments.iter().map(|s| s.value).sum::<u64>().max(1) as f64;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" class="label" text-anchor="end">{label}</text>"#,
            lx = left - 10.0,
            ty = y + 18.0,
            label = escape(label),
        );
        let mut x = left;
        for s in segments {
            let w = s.value as f64 / total * area;
            if w <= 0.0 {
                continue;
            }
            let _ = write!(
                svg,
                r#"<g><title>{label} — {name} : {text}</title><rect x="{x:.1}" y="{y}" width="{w:.1}" height="24" fill="{c}"/>"#,
                label = escape(label),
                name = escape(&s.name),
                text = escape(&s.text),
                c = s.colour,
            );
            if w > 54.0 {
                let _ = write!(
                    svg,
                    r#"<text x="{tx:.1}" y="{ty}" class="on-bar" style="fill:{tc}" text-anchor="middle">{text}</text>"#,
                    tx = x + w / 2.0,
                    ty = y + 16.5,
                    tc = s.text_colour,
                    text = escape(&s.text),
                );
            }
            svg.push_str("</g>");
            x += w;
        }
    }
    if let Some((_, segments)) = rows.first() {
        let y = 4.0 + row * rows.len() as f64 + 4.0;
        let mut x = left;
        for s in segments {
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y}" width="12" height="12" fill="{c}"/><text x="{tx:.1}" y="{ty}" class="axis" text-anchor="start">{name}</text>"#,
                c = s.colour,
                tx = x + 17.0,
                ty = y + 10.5,
                name = escape(&s.name),
            );
            x += 30.0 + 7.0 * s.name.chars().count() as f64;
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_give_a_few_gridlines() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(30), 10);
        assert_eq!(nice_step(12_345), 5000);
        for max in [1, 3, 9, 10, 99, 101, 4_999, 1_000_000] {
            let lines = max / nice_step(max) + 1;
            assert!((2..=6).contains(&lines), "{max}: {lines}");
        }
    }

    #[test]
    fn labels_are_cut_and_escaped() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
        let svg = hbars(
            "x",
            "t",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                value: 2.0,
                text: "2".into(),
                tooltip: "a & b".into(),
                colour: BLUE,
            }],
            None,
            Layout::half(),
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(
            svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{svg}"
        );
        assert!(svg.contains("<title>a &amp; b</title>"));
    }
}

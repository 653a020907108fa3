//! Property tests: the normalizer on recorded offers with generated values
//! put in their fields, and the salary-label parser on generated labels.
//! `PROPTEST_CASES=5000` runs longer.

use jobharvest_core::{ErrorKind, NormalizeOptions};
use jobharvest_france_travail::normalize::normalize;
use jobharvest_france_travail::salary;
use proptest::prelude::*;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn recorded() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/search-2024-07-08-6-offers.json"
    );
    let page: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    page["resultats"].as_array().unwrap().clone()
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        ".{0,30}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"libelle": "x"}, null, 3])),
        Just(json!("2024-07-08T14:09:33.000Z")),
        Just(json!(
            "Mensuel de 1800.00 Euros à 1500.00 Euros sur 12 mois"
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// A recorded offer with any value in any of its fields maps or is a
    /// parse error; a mapped offer maps to the same record again from the
    /// payload it kept (the normalizer is idempotent on its own output).
    #[test]
    fn any_field_value_maps_or_is_a_parse_error(which in 0usize..6, field in 0usize..64, v in value()) {
        let mut offer = recorded()[which].clone();
        let keys: Vec<String> = offer.as_object().unwrap().keys().cloned().collect();
        let key = &keys[field % keys.len()];
        offer[key] = v;
        let raw = serde_json::to_string(&offer).unwrap();
        match normalize(&raw, &NormalizeOptions::default()) {
            Ok(record) => {
                let again = normalize(record.raw.as_deref().unwrap(), &NormalizeOptions::default()).unwrap();
                prop_assert_eq!(&again, &record);
                if let (Some(min), Some(max)) = (record.salary_min, record.salary_max) {
                    prop_assert!(min <= max, "{min} > {max}");
                }
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::Parse),
        }
    }

    /// The salary parser never gives a minimum above its maximum.
    #[test]
    fn a_salary_label_never_gives_a_minimum_above_its_maximum(
        period in prop::sample::select(vec!["Mensuel", "Annuel", "Horaire", "Mensuel brut", ""]),
        a in 0f64..1e7, b in 0f64..1e7,
        tail in prop::sample::select(vec![" sur 12 mois", " sur 13.5 mois", "", " + primes"]),
        single in any::<bool>(),
    ) {
        let label = if single {
            format!("{period} de {a:.2} Euros{tail}")
        } else {
            format!("{period} de {a:.2} Euros à {b:.2} Euros{tail}")
        };
        if let Some(s) = salary::parse(&label) {
            prop_assert!(s.min <= s.max, "{label}: {} > {}", s.min, s.max);
            prop_assert!(s.min.is_finite() && s.max.is_finite());
        }
    }
}

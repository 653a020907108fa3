//! Reads the amounts and the period out of `salaire.libelle`.
//!
//! France Travail gives the salary as free text built from a template:
//! `"Mensuel de 1833,00 Euros à 2250,00 Euros sur 12 mois"`,
//! `"Annuel de 40000.0 Euros sur 12.0 mois"`, `"Horaire de 11,07 Euros"`.
//! A small hand parser reads it: the period word, then the first one or two
//! amounts before `sur N mois`. Amounts may use a comma or a dot for
//! decimals and spaces (also non-breaking) between thousands. Anything else
//! (`"Selon profil"`, `"Cachet de …"`) yields no amount and no period: the
//! label itself is always kept by the caller.

/// What a salary label says, when it says it in a known form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Salary {
    /// The lowest amount.
    pub min: f64,
    /// The highest amount (equal to `min` for a single amount).
    pub max: f64,
    /// `hourly`, `daily`, `weekly`, `monthly` or `yearly`.
    pub period: &'static str,
}

/// Period words as they appear in labels, lower-cased, and the column value.
const PERIODS: &[(&str, &str)] = &[
    ("horaire", "hourly"),
    ("journalier", "daily"),
    ("hebdomadaire", "weekly"),
    ("mensuel", "monthly"),
    ("annuel", "yearly"),
];

/// Parses a salary label; `None` when it has no known period or no amount.
pub fn parse(label: &str) -> Option<Salary> {
    let lower = label.to_lowercase();
    let period = period_of(&lower)?;
    // `sur 12 mois` counts months, not money.
    let amounts_part = match lower.find(" sur ") {
        Some(i) => &lower[..i],
        None => &lower,
    };
    let mut amounts = Numbers::new(amounts_part);
    let first = amounts.next()?;
    let second = amounts.next().unwrap_or(first);
    let (min, max) = if first <= second {
        (first, second)
    } else {
        (second, first)
    };
    Some(Salary { min, max, period })
}

fn period_of(lower: &str) -> Option<&'static str> {
    lower
        .split(|c: char| !c.is_alphabetic())
        .find_map(|word| PERIODS.iter().find(|(w, _)| *w == word).map(|(_, p)| *p))
}

/// The numbers in a text, in order.
struct Numbers<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
}

impl<'a> Numbers<'a> {
    fn new(text: &'a str) -> Self {
        Numbers {
            chars: text.char_indices().peekable(),
            text,
        }
    }
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

impl Iterator for Numbers<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        // Skip to the next digit.
        let start = loop {
            let (i, c) = self.chars.next()?;
            if c.is_ascii_digit() {
                break i;
            }
        };
        let rest = &self.text[start..];
        let (number, used) = read_number(rest);
        // Move the iterator past the number.
        while self
            .chars
            .peek()
            .is_some_and(|(i, _)| *i < start + used.max(1))
        {
            self.chars.next();
        }
        number
    }
}

/// Reads the number at the start of `text` (which starts with a digit).
/// Returns the value and how many bytes it spans.
fn read_number(text: &str) -> (Option<f64>, usize) {
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut digits = String::new();
    // Separators seen between digits: (position in `digits`, separator).
    let mut marks: Vec<(usize, char)> = Vec::new();
    let mut end = 0;
    let mut k = 0;
    while k < bytes.len() {
        let (i, c) = bytes[k];
        if c.is_ascii_digit() {
            digits.push(c);
            end = i + 1;
            k += 1;
            continue;
        }
        let next_is_digit = bytes.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        if next_is_digit && (c == ',' || c == '.') {
            marks.push((digits.len(), c));
            k += 1;
            continue;
        }
        // A space groups thousands only when exactly three digits follow.
        if next_is_digit && is_group_space(c) {
            let run = bytes[k + 1..]
                .iter()
                .take_while(|(_, n)| n.is_ascii_digit())
                .count();
            if run == 3 {
                k += 1;
                continue;
            }
        }
        break;
    }
    (to_value(&digits, &marks), end)
}

/// Places the decimal point among the separators: the last one is decimal
/// when both kinds appear or when it appears once; a mark that repeats
/// (`1.833.000`) groups thousands.
fn to_value(digits: &str, marks: &[(usize, char)]) -> Option<f64> {
    let decimal_at = match marks.last() {
        None => None,
        Some(&(pos, last)) => {
            let same = marks.iter().filter(|(_, c)| *c == last).count();
            (same == 1).then_some(pos)
        }
    };
    let text = match decimal_at {
        Some(pos) => format!("{}.{}", &digits[..pos], &digits[pos..]),
        None => digits.to_string(),
    };
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(min: f64, max: f64, period: &'static str) -> Option<Salary> {
        Some(Salary { min, max, period })
    }

    #[test]
    fn reads_the_forms_france_travail_uses() {
        let cases = [
            (
                "Mensuel de 1833,00 Euros à 2250,00 Euros sur 12 mois",
                s(1833.0, 2250.0, "monthly"),
            ),
            (
                "Annuel de 40000.0 Euros sur 12.0 mois",
                s(40000.0, 40000.0, "yearly"),
            ),
            ("Horaire de 11,07 Euros", s(11.07, 11.07, "hourly")),
            (
                "Horaire de 11,07 Euros à 13,00 Euros sur 12 mois",
                s(11.07, 13.0, "hourly"),
            ),
            (
                "Horaire de 12,00 Euros sur 12 mois",
                s(12.0, 12.0, "hourly"),
            ),
            (
                "Mensuel de 2275.0 Euros à 3033.0 Euros sur 12.0 mois",
                s(2275.0, 3033.0, "monthly"),
            ),
            (
                "Mensuel de 2000.0 Euros sur 13.0 mois",
                s(2000.0, 2000.0, "monthly"),
            ),
            (
                "Annuel de 25000.0 Euros à 30000.0 Euros sur 12.0 mois",
                s(25000.0, 30000.0, "yearly"),
            ),
            ("Hebdomadaire de 450 Euros", s(450.0, 450.0, "weekly")),
            ("Journalier de 95,50 Euros", s(95.5, 95.5, "daily")),
        ];
        for (label, expected) in cases {
            assert_eq!(parse(label), expected, "{label}");
        }
    }

    #[test]
    fn reads_thousand_separators() {
        let cases = [
            ("Annuel de 40 000 Euros", 40000.0),
            ("Annuel de 40\u{a0}000,50 Euros", 40000.5),
            ("Annuel de 40\u{202f}000 Euros", 40000.0),
            ("Annuel de 1 250 000 Euros", 1_250_000.0),
            ("Annuel de 40.000,00 Euros", 40000.0),
            ("Annuel de 40,000.00 Euros", 40000.0),
            ("Annuel de 1.250.000 Euros", 1_250_000.0),
        ];
        for (label, amount) in cases {
            assert_eq!(parse(label), s(amount, amount, "yearly"), "{label}");
        }
    }

    #[test]
    fn a_space_before_a_short_group_ends_the_number() {
        // "12 mois" is not part of the amount, nor is "35 h".
        assert_eq!(
            parse("Mensuel de 1800 Euros à 2000 Euros sur 12 mois"),
            s(1800.0, 2000.0, "monthly")
        );
        assert_eq!(parse("Mensuel de 1800 2000"), s(1800.0, 2000.0, "monthly"));
    }

    #[test]
    fn reversed_bounds_are_ordered() {
        assert_eq!(
            parse("Mensuel de 2500 Euros à 2000 Euros"),
            s(2000.0, 2500.0, "monthly")
        );
    }

    #[test]
    fn is_case_insensitive() {
        assert_eq!(
            parse("MENSUEL DE 1 900,00 EUROS"),
            s(1900.0, 1900.0, "monthly")
        );
    }

    #[test]
    fn unknown_forms_give_nothing() {
        for label in [
            "",
            "Selon profil",
            "Autre",
            "A négocier",
            "Mensuel",
            "Cachet de 150 Euros",
            "de 1800 à 2000 Euros",
            "Mensuelle selon expérience",
        ] {
            assert_eq!(parse(label), None, "{label:?}");
        }
    }
}

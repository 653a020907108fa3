//! Turns one raw France Travail offer into a [`JobRecord`].
//!
//! The same [`FranceTravailNormalizer`] serves the live source and the
//! `replay` source, so a mapping change can be re-applied to archived raw
//! offers. Text fields are trimmed and empty ones become nulls; lists keep
//! every element in the API's order.
//!
//! Recruiter contact fields are personal data (GDPR). Unless
//! `include_personal_data` is set, `contact.nom`, `contact.telephone`,
//! `contact.courriel` (when it holds an e-mail address) and
//! `contact.coordonnees1..3` are left out of the record *and* removed from
//! `raw`.

use chrono::{DateTime, NaiveDateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Result};
use serde_json::value::RawValue;

use crate::TYPE;
use crate::offer::{Contact, Formation, Labelled, Members, Offer, Text};
use crate::salary;

/// The France Travail mapping, registered for replay under [`TYPE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FranceTravailNormalizer;

impl Normalizer for FranceTravailNormalizer {
    fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
        normalize(raw, options)
    }
}

/// Where an offer can be read on France Travail's site, from its id.
pub fn offer_page(id: &str) -> String {
    format!("https://candidat.francetravail.fr/offres/recherche/detail/{id}")
}

/// Normalizes one offer (the JSON text of one element of `resultats`).
///
/// # Errors
/// [`ErrorKind::Parse`] when the text is not a JSON object or has no `id`.
pub fn normalize(raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
    if !raw.trim_start().starts_with('{') {
        return Err(Error::new(
            ErrorKind::Parse,
            "not a France Travail offer: a JSON object was expected",
        ));
    }
    let offer: Offer = serde_json::from_str(raw).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("not a France Travail offer (a JSON object was expected): {e}"),
        )
    })?;
    let id = clean(offer.id.clone()).ok_or_else(|| {
        Error::new(
            ErrorKind::Parse,
            "a France Travail offer without `id`: every offer of the API has one",
        )
    })?;
    let mut record = JobRecord::new(TYPE, &id);
    let personal = options.include_personal_data;

    record.title = clean(offer.intitule);
    record.description = clean(offer.description);

    let place = offer.lieu_travail.unwrap_or_default();
    record.location_label = clean(place.libelle);
    record.postal_code = clean(place.code_postal);
    record.commune_code = clean(place.commune);
    record.department_code = department(
        record.commune_code.as_deref(),
        record.location_label.as_deref(),
    );
    record.latitude = place.latitude;
    record.longitude = place.longitude;

    record.contract_type = clean(offer.type_contrat);
    record.contract_label = clean(offer.type_contrat_libelle);
    record.contract_nature = clean(offer.nature_contrat);
    record.created_at = offer.date_creation.as_deref().and_then(timestamp);
    record.updated_at = offer.date_actualisation.as_deref().and_then(timestamp);

    let pay = offer.salaire.unwrap_or_default();
    record.salary_label = clean(pay.libelle);
    if let Some(parsed) = record.salary_label.as_deref().and_then(salary::parse) {
        record.salary_min = Some(parsed.min);
        record.salary_max = Some(parsed.max);
        record.salary_period = Some(parsed.period.to_string());
        // France Travail's amounts are posted by the employer, in euros.
        record.salary_currency = Some("EUR".to_string());
        record.salary_predicted = Some(false);
    }
    record.salary_comment = clean(pay.commentaire);
    let mut extras = Vec::new();
    for extra in [pay.complement1, pay.complement2]
        .into_iter()
        .chain(pay.liste_complements.into_iter().map(|c| c.libelle))
    {
        if let Some(extra) = clean(extra).filter(|e| !extras.contains(e)) {
            extras.push(extra);
        }
    }
    record.salary_extras = extras;

    record.skills = labels(offer.competences);
    record.soft_skills = labels(offer.qualites_professionnelles);
    record.education = offer.formations.into_iter().filter_map(education).collect();
    record.languages = labels(offer.langues);
    record.driving_licences = labels(offer.permis);

    record.experience_code = clean(offer.experience_exige);
    record.experience_label = clean(offer.experience_libelle);
    record.occupation_code = clean(offer.rome_code);
    record.occupation_label = clean(offer.rome_libelle);
    record.job_title_label = clean(offer.appellationlibelle);
    record.industry_code = clean(offer.code_naf);
    record.industry_label = clean(offer.secteur_activite_libelle);
    record.qualification_label = clean(offer.qualification_libelle);
    record.work_hours_label = clean(offer.duree_travail_libelle);
    record.work_time = clean(offer.duree_travail_libelle_converti);
    record.positions = offer.nombre_postes;
    record.alternance = offer.alternance;
    record.disability_friendly = offer.accessible_th;
    record.candidate_shortage = offer.offres_manque_candidats;

    let company = offer.entreprise.unwrap_or_default();
    record.company_name = clean(company.nom);
    record.company_description = clean(company.description);
    record.company_url = clean(company.url);
    record.company_adapted = company.entreprise_adaptee.or(offer.entreprise_adaptee);

    let origin = offer.origine_offre.unwrap_or_default();
    record.origin = clean(origin.origine).map(|o| match o.as_str() {
        "1" => "france_travail".to_string(),
        "2" => "partner".to_string(),
        _ => o,
    });
    record.partners = origin
        .partenaires
        .into_iter()
        .filter_map(|p| clean(p.nom))
        .collect();
    record.url = clean(origin.url_origine).or_else(|| Some(offer_page(&id)));
    // The offers licence asks reusers to name the source and the update date.
    record.attribution = Some(match record.updated_at {
        Some(at) => format!(
            "Source : France Travail, offre mise à jour le {}",
            // A date displays as YYYY-MM-DD without a format string to parse.
            at.date_naive()
        ),
        None => "Source : France Travail".to_string(),
    });
    record.licence = Some(LICENCE.to_string());

    let contact_raw = offer.contact;
    let contact: Contact = contact_raw
        .and_then(|c| serde_json::from_str(c.get()).ok())
        .unwrap_or_default();
    let agency_mail = offer.agence.and_then(|a| clean(a.courriel));
    record.apply_url = clean(contact.url_postulation.clone())
        .or_else(|| contact.courriel.as_deref().and_then(find_url))
        .or_else(|| agency_mail.as_deref().and_then(find_url));

    let removable = has_personal_data(&contact);
    if personal {
        fill_contact(&mut record, contact);
    }
    // When no sink writes `raw`, the copy would be thrown away.
    if !options.leave_out_raw {
        record.raw = Some(match contact_raw {
            Some(text) if removable && !personal => without_personal_data(raw, text)?,
            _ => raw.to_string(),
        });
    }
    Ok(record)
}

/// Copies the recruiter's details (personal data) into the record.
fn fill_contact(record: &mut JobRecord, contact: Contact<'_>) {
    record.contact_name = clean(contact.nom);
    record.contact_phone = clean(contact.telephone);
    let mut details = Vec::new();
    if let Some(mail) = clean(contact.courriel).filter(|m| is_email(m)) {
        details.push(mail);
    }
    for line in [
        contact.coordonnees1,
        contact.coordonnees2,
        contact.coordonnees3,
    ] {
        if let Some(line) = clean(line) {
            details.push(line);
        }
    }
    record.contact_details = (!details.is_empty()).then(|| details.join("\n"));
}

/// The `contact` keys that are personal data.
/// How the board names the licence its offers come under (see API.md, "Licence").
const LICENCE: &str = "France Travail, licence de réutilisation des offres d'emploi";

const PERSONAL_KEYS: &[&str] = &[
    "nom",
    "telephone",
    "coordonnees1",
    "coordonnees2",
    "coordonnees3",
];

fn has_personal_data(contact: &Contact<'_>) -> bool {
    [
        &contact.nom,
        &contact.telephone,
        &contact.coordonnees1,
        &contact.coordonnees2,
        &contact.coordonnees3,
    ]
    .iter()
    .any(|v| v.is_some())
        || contact.courriel.as_deref().is_some_and(is_email)
}

/// `raw` without the personal keys of `contact`, everything else byte for
/// byte as the API sent it.
///
/// Only the `contact` object is re-encoded and spliced back: `contact` is
/// the object's text borrowed from `raw` by the one parse of the offer, so
/// its place in `raw` is known without another pass. This runs for most
/// offers, so it must not re-serialize the whole payload.
fn without_personal_data(raw: &str, contact: &RawValue) -> Result<String> {
    let reserialize = |e: serde_json::Error| {
        Error::new(
            ErrorKind::Parse,
            format!("could not remove the recruiter's details from the offer: {e}"),
        )
    };
    let text = contact.get();
    let start = (text.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
    let end = start.wrapping_add(text.len());
    if end > raw.len() || raw.get(start..end) != Some(text) {
        return Err(Error::new(
            ErrorKind::Parse,
            "could not remove the recruiter's details from the offer: `contact` is not part of the payload",
        ));
    }
    let mut members: Members = serde_json::from_str(text).map_err(reserialize)?;
    members.0.retain(|(k, v)| {
        let personal = PERSONAL_KEYS.contains(&k.as_str())
            || (k == "courriel"
                && serde_json::from_str::<String>(v.get()).is_ok_and(|m| is_email(&m)));
        !personal
    });
    let cleaned = serde_json::to_string(&members).map_err(reserialize)?;
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..start]);
    out.push_str(&cleaned);
    out.push_str(&raw[end..]);
    Ok(out)
}

/// Trims; empty text becomes `None`. Allocates only for text the record
/// keeps and the parser lent (or that needed trimming).
fn clean(text: Text<'_>) -> Option<String> {
    let text = text?;
    let trimmed = text.trim();
    match trimmed.len() {
        0 => None,
        n if n == text.len() => Some(text.into_owned()),
        _ => Some(trimmed.to_string()),
    }
}

fn labels(items: Vec<Labelled>) -> Vec<String> {
    items.into_iter().filter_map(|i| clean(i.libelle)).collect()
}

/// `"Bac+5 et plus ou équivalents — Informatique — Master MIAGE (E)"`: level,
/// field and comment, then the requirement (`E` required, `S` desired).
fn education(f: Formation) -> Option<String> {
    let parts: Vec<String> = [f.niveau_libelle, f.domaine_libelle, f.commentaire]
        .into_iter()
        .filter_map(clean)
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut text = parts.join(" — ");
    if let Some(need) = clean(f.exigence) {
        text.push_str(&format!(" ({need})"));
    }
    Some(text)
}

/// An RFC 3339 instant, with or without milliseconds; a date-time without
/// offset is taken as UTC.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// The département: from the INSEE commune code (`2A004` → `2A`, `97411`
/// → `974`), else from the label's prefix (`"78 - Versailles"` → `78`).
pub(crate) fn department(commune: Option<&str>, label: Option<&str>) -> Option<String> {
    if let Some(code) = commune.filter(|c| c.len() == 5 && c.is_ascii()) {
        let candidate = if code.starts_with("97") || code.starts_with("98") {
            &code[..3]
        } else {
            &code[..2]
        };
        if is_department_code(candidate) {
            return Some(candidate.to_string());
        }
    }
    let (prefix, _) = label?.split_once(" - ")?;
    let prefix = prefix.trim();
    is_department_code(prefix).then(|| prefix.to_string())
}

/// `01`…`95`, `2A`, `2B`, `971`…`989`.
pub(crate) fn is_department_code(code: &str) -> bool {
    let b = code.as_bytes();
    match b {
        [b'2', b'A' | b'B'] => true,
        [a, b] => a.is_ascii_digit() && b.is_ascii_digit(),
        [b'9', b'7' | b'8', c] => c.is_ascii_digit(),
        _ => false,
    }
}

/// The first `http(s)://` link in a text such as "Pour postuler, utiliser
/// le lien suivant : https://…".
fn find_url(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"'))
        .collect();
    let url = url.trim_end_matches(['.', ',', ';', ')', ']']);
    (url.len() > "https://".len()).then(|| url.to_string())
}

/// Whether `text` is an e-mail address (not a sentence holding a link).
fn is_email(text: &str) -> bool {
    let text = text.trim();
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
                && !text.contains("://")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(personal: bool) -> NormalizeOptions {
        NormalizeOptions::with_personal_data(personal)
    }

    #[test]
    fn a_minimal_offer_has_nulls_everywhere_but_its_key() {
        let r = normalize(r#"{"id":"X1"}"#, &opts(false)).unwrap();
        assert_eq!(r.source, "france_travail");
        assert_eq!(r.source_id, "X1");
        assert_eq!(r.title, None);
        assert_eq!(r.company_name, None);
        assert_eq!(r.salary_period, None);
        assert!(r.skills.is_empty());
        assert_eq!(r.url.as_deref(), Some(offer_page("X1").as_str()));
        assert_eq!(r.raw.as_deref(), Some(r#"{"id":"X1"}"#));
    }

    #[test]
    fn odd_shapes_never_fail_the_offer() {
        let raw = r#"{
            "id": 123, "intitule": "", "lieuTravail": {"libelle": "65 - Pyrénées (Hautes)"},
            "entreprise": {}, "agence": {}, "contact": null, "salaire": {"libelle": "Selon profil"},
            "competences": [{"exigence": "E"}, "text", {"libelle": " SQL "}, {"libelle": null}],
            "langues": null, "permis": {}, "nombrePostes": "2", "alternance": "false",
            "accessibleTH": 1, "formations": [{}], "dateCreation": "yesterday",
            "origineOffre": {"origine": "2", "partenaires": [{"nom": "INDEED"}, {}]},
            "lieuTravail2": [1, 2]
        }"#;
        let r = normalize(raw, &opts(false)).unwrap();
        assert_eq!(r.source_id, "123");
        assert_eq!(r.title, None);
        assert_eq!(r.department_code.as_deref(), Some("65"));
        assert_eq!(r.salary_label.as_deref(), Some("Selon profil"));
        assert_eq!((r.salary_min, r.salary_period), (None, None));
        assert_eq!(r.skills, ["SQL"]);
        assert!(r.languages.is_empty() && r.driving_licences.is_empty());
        assert!(r.education.is_empty());
        assert_eq!(r.positions, Some(2));
        assert_eq!(r.alternance, Some(false));
        assert_eq!(r.disability_friendly, Some(true));
        assert_eq!(r.created_at, None);
        assert_eq!(r.origin.as_deref(), Some("partner"));
        assert_eq!(r.partners, ["INDEED"]);
    }

    #[test]
    fn an_offer_without_id_is_a_parse_error() {
        for raw in [r#"{"intitule":"x"}"#, r#"{"id":"  "}"#, "[1]", "{oops"] {
            let err = normalize(raw, &opts(false)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Parse, "{raw}");
        }
    }

    #[test]
    fn departments_come_from_the_commune_or_the_label() {
        let d = |c: Option<&str>, l: Option<&str>| department(c, l);
        assert_eq!(d(Some("78646"), None).as_deref(), Some("78"));
        assert_eq!(d(Some("2A004"), None).as_deref(), Some("2A"));
        assert_eq!(d(Some("2B033"), None).as_deref(), Some("2B"));
        assert_eq!(d(Some("97411"), None).as_deref(), Some("974"));
        assert_eq!(d(None, Some("78 - VERSAILLES")).as_deref(), Some("78"));
        assert_eq!(d(None, Some("2A - Ajaccio")).as_deref(), Some("2A"));
        assert_eq!(
            d(None, Some("971 - Pointe-à-Pitre")).as_deref(),
            Some("971")
        );
        assert_eq!(d(None, Some("Ile-de-France")), None);
        assert_eq!(d(None, Some("France - Metz")), None);
        assert_eq!(d(None, None), None);
    }

    #[test]
    fn dates_with_and_without_milliseconds() {
        let t = |s| timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2024-07-08T10:35:59.445Z").as_deref(),
            Some("2024-07-08T10:35:59.445+00:00")
        );
        assert_eq!(
            t("2024-01-05T19:15:07Z").as_deref(),
            Some("2024-01-05T19:15:07+00:00")
        );
        assert_eq!(
            t("2024-01-05T19:15:07").as_deref(),
            Some("2024-01-05T19:15:07+00:00")
        );
        assert_eq!(t("05/01/2024"), None);
    }

    #[test]
    fn urls_are_found_in_sentences() {
        assert_eq!(
            find_url("Pour postuler, utiliser le lien suivant : https://a.fr/x?y=1.").as_deref(),
            Some("https://a.fr/x?y=1")
        );
        assert_eq!(find_url("jean@example.com"), None);
        assert_eq!(find_url("https://"), None);
    }

    #[test]
    fn emails_are_told_from_sentences() {
        assert!(is_email("jean.dupont@example.com"));
        assert!(!is_email(
            "Pour postuler, utiliser le lien suivant : https://a.fr/x"
        ));
        assert!(!is_email("écrire à jean@example.com"));
        assert!(!is_email("@example.com"));
    }

    #[test]
    fn raw_is_left_out_when_asked_and_nothing_else_changes() {
        for personal in [false, true] {
            for line in include_str!("../../../config/demo/offres.jsonl").lines() {
                let mut kept = normalize(line, &opts(personal)).unwrap();
                let left = normalize(line, &opts(personal).leaving_out_raw(true)).unwrap();
                assert!(kept.raw.take().is_some());
                assert_eq!(kept, left, "personal={personal}");
            }
        }
    }

    #[test]
    fn personal_data_is_removed_from_raw_keeping_the_rest_in_order() {
        let raw = r#"{"id":"A","contact":{"nom":"Mme X","telephone":"0102030405","courriel":"x@y.fr","urlPostulation":"https://apply"},"z":1,"a":2}"#;
        let r = normalize(raw, &opts(false)).unwrap();
        assert_eq!(
            r.raw.as_deref(),
            Some(r#"{"id":"A","contact":{"urlPostulation":"https://apply"},"z":1,"a":2}"#)
        );
        assert_eq!(r.contact_name, None);
        assert_eq!(r.apply_url.as_deref(), Some("https://apply"));

        let r = normalize(raw, &opts(true)).unwrap();
        assert_eq!(r.raw.as_deref(), Some(raw));
        assert_eq!(r.contact_name.as_deref(), Some("Mme X"));
        assert_eq!(r.contact_phone.as_deref(), Some("0102030405"));
        assert_eq!(r.contact_details.as_deref(), Some("x@y.fr"));
    }

    #[test]
    fn a_courriel_holding_a_link_is_kept_and_used_to_apply() {
        let raw = r#"{"id":"A","contact":{"courriel":"Pour postuler, utiliser le lien suivant : https://candidat.francetravail.fr/offres/recherche/detail/A"}}"#;
        let r = normalize(raw, &opts(false)).unwrap();
        assert_eq!(r.raw.as_deref(), Some(raw));
        assert_eq!(
            r.apply_url.as_deref(),
            Some("https://candidat.francetravail.fr/offres/recherche/detail/A")
        );
        assert_eq!(r.contact_details, None);
    }

    #[test]
    fn escaped_text_is_unescaped_and_raw_keeps_the_escapes() {
        let raw = r#"{"id":"A","intitule":" Caf\u00e9 \"Le Z\" \ud83d\ude00 ","description":"a\\b\nc","contact":{"nom":"Mme \u00c9","urlPostulation":"https://a.fr/\u00e9?x=\"1\""},"tail":"\u00e9"}"#;
        let r = normalize(raw, &opts(false)).unwrap();
        assert_eq!(r.title.as_deref(), Some("Café \"Le Z\" 😀"));
        assert_eq!(r.description.as_deref(), Some("a\\b\nc"));
        assert_eq!(r.apply_url.as_deref(), Some("https://a.fr/é?x=\"1\""));
        assert_eq!(
            r.raw.as_deref(),
            Some(
                r#"{"id":"A","intitule":" Caf\u00e9 \"Le Z\" \ud83d\ude00 ","description":"a\\b\nc","contact":{"urlPostulation":"https://a.fr/\u00e9?x=\"1\""},"tail":"\u00e9"}"#
            )
        );
        let r = normalize(raw, &opts(true)).unwrap();
        assert_eq!(r.raw.as_deref(), Some(raw));
        assert_eq!(r.contact_name.as_deref(), Some("Mme É"));
    }

    #[test]
    fn the_contact_is_found_after_strings_and_objects_that_look_like_it() {
        let raw = concat!(
            "{\"description\": \"voir \\\"contact\\\": {\\\"nom\\\": 1} }\", ",
            "\"agence\": {\"contact\": {\"nom\": \"not this one\"}}, \"id\": \"A\",\n",
            "\"contact\" : {\"telephone\": \"01 02\", \"courriel\": \"x@y.fr\", \"fax\": [\"}\"]} , \"n\": 1}"
        );
        let r = normalize(raw, &opts(false)).unwrap();
        assert_eq!(
            r.raw.as_deref(),
            Some(concat!(
                "{\"description\": \"voir \\\"contact\\\": {\\\"nom\\\": 1} }\", ",
                "\"agence\": {\"contact\": {\"nom\": \"not this one\"}}, \"id\": \"A\",\n",
                "\"contact\" : {\"fax\":[\"}\"]} , \"n\": 1}"
            ))
        );
    }

    #[test]
    fn contact_absent_null_empty_or_not_an_object_leaves_raw_alone() {
        for raw in [
            r#"{"id":"A"}"#,
            r#"{"id":"A","contact":null}"#,
            r#"{"id":"A","contact":{}}"#,
            r#"{"id":"A","contact":"Mme X"}"#,
            r#"{"id":"A","contact":[{"nom":"Mme X"}]}"#,
        ] {
            let r = normalize(raw, &opts(false)).unwrap();
            assert_eq!(r.raw.as_deref(), Some(raw));
            assert_eq!(r.contact_name, None, "{raw}");
        }
    }

    #[test]
    fn numbers_beyond_64_bits_and_odd_scalars_do_not_fail_the_offer() {
        let raw = r#"{"id":12345678901234567890123,"nombrePostes":123456789012345678901234567890,"lieuTravail":{"latitude":"48,8","longitude":2.35e0},"alternance":"oui"}"#;
        let r = normalize(raw, &opts(false)).unwrap();
        // As serde_json read it before: a float, written out.
        let id: f64 = serde_json::from_str("12345678901234567890123").unwrap();
        assert_eq!(r.source_id, id.to_string());
        assert_eq!(r.positions, None);
        assert_eq!(r.latitude, Some(48.8));
        assert_eq!(r.longitude, Some(2.35));
        assert_eq!(r.alternance, Some(true));
    }

    #[test]
    fn text_after_the_offer_is_a_parse_error() {
        for raw in [r#"{"id":"A"} x"#, r#"{"id":"A"}{"id":"B"}"#, r#"{"id":"A""#] {
            let err = normalize(raw, &opts(false)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Parse, "{raw}");
        }
    }
}

//! The API's `Offre` schema as typed structs, every field optional.
//!
//! The OpenAPI file marks no field as required, and real answers confirm it:
//! nested objects come absent, `{}` or partial, and list items lack fields.
//! So every field here is an `Option` or a list that defaults to empty, and
//! scalars are read leniently (a number where text was expected becomes
//! text, a string holding a number becomes a number, anything unreadable
//! becomes `None`) rather than failing the whole offer. Unknown fields are
//! ignored; `raw` keeps them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A text field: borrowed from the payload when the parser can (no
/// allocation for text that is dropped or only inspected), owned when it
/// had to be unescaped into a new string.
pub type Text<'a> = Option<Cow<'a, str>>;

/// One offer (`Offre`), as far as the mapping needs it.
///
/// Text borrows from the payload unless it had to be unescaped. `contact`
/// is kept as the borrowed JSON text of the object: the mapping parses it,
/// and knows where it sits in the payload to remove personal data from
/// `raw` without re-encoding the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Offer<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub id: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub intitule: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub description: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub date_creation: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub date_actualisation: Text<'a>,
    #[serde(borrow, deserialize_with = "object")]
    pub lieu_travail: Option<LieuTravail<'a>>,
    #[serde(borrow, deserialize_with = "text")]
    pub rome_code: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub rome_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text", alias = "appellationLibelle")]
    pub appellationlibelle: Text<'a>,
    #[serde(borrow, deserialize_with = "object")]
    pub entreprise: Option<Entreprise<'a>>,
    #[serde(borrow, deserialize_with = "text")]
    pub type_contrat: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub type_contrat_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub nature_contrat: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub experience_exige: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub experience_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "list")]
    pub formations: Vec<Formation<'a>>,
    #[serde(borrow, deserialize_with = "list")]
    pub langues: Vec<Labelled<'a>>,
    #[serde(borrow, deserialize_with = "list")]
    pub permis: Vec<Labelled<'a>>,
    #[serde(borrow, deserialize_with = "list")]
    pub competences: Vec<Labelled<'a>>,
    #[serde(borrow, deserialize_with = "list")]
    pub qualites_professionnelles: Vec<Labelled<'a>>,
    #[serde(borrow, deserialize_with = "object")]
    pub salaire: Option<Salaire<'a>>,
    #[serde(borrow, deserialize_with = "text")]
    pub duree_travail_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub duree_travail_libelle_converti: Text<'a>,
    #[serde(deserialize_with = "boolean")]
    pub alternance: Option<bool>,
    #[serde(borrow, deserialize_with = "raw_object")]
    pub contact: Option<&'a RawValue>,
    #[serde(borrow, deserialize_with = "object")]
    pub agence: Option<Agence<'a>>,
    #[serde(deserialize_with = "integer")]
    pub nombre_postes: Option<i64>,
    /// The offer says `accessibleTH`; the search filter is named
    /// `accesTravailleurHandicape`.
    #[serde(
        rename = "accessibleTH",
        alias = "accesTravailleurHandicape",
        deserialize_with = "boolean"
    )]
    pub accessible_th: Option<bool>,
    #[serde(borrow, deserialize_with = "text")]
    pub qualification_libelle: Text<'a>,
    #[serde(rename = "codeNAF", borrow, deserialize_with = "text")]
    pub code_naf: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub secteur_activite_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "object")]
    pub origine_offre: Option<OrigineOffre<'a>>,
    #[serde(deserialize_with = "boolean")]
    pub offres_manque_candidats: Option<bool>,
    /// Also given at the top level by some answers.
    #[serde(deserialize_with = "boolean")]
    pub entreprise_adaptee: Option<bool>,
}

/// `lieuTravail`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LieuTravail<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub libelle: Text<'a>,
    #[serde(deserialize_with = "float")]
    pub latitude: Option<f64>,
    #[serde(deserialize_with = "float")]
    pub longitude: Option<f64>,
    #[serde(borrow, deserialize_with = "text")]
    pub code_postal: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub commune: Text<'a>,
}

/// `entreprise`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Entreprise<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub nom: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub description: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub url: Text<'a>,
    #[serde(deserialize_with = "boolean")]
    pub entreprise_adaptee: Option<bool>,
}

/// Any `{libelle, ...}` item: `competences`, `langues`, `permis`,
/// `qualitesProfessionnelles`, `listeComplements`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Labelled<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub libelle: Text<'a>,
}

/// `formations[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Formation<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub niveau_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub domaine_libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub commentaire: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub exigence: Text<'a>,
}

/// `salaire`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Salaire<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub libelle: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub commentaire: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub complement1: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub complement2: Text<'a>,
    #[serde(borrow, deserialize_with = "list")]
    pub liste_complements: Vec<Labelled<'a>>,
}

/// `contact`: recruiter details, partly personal data.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Contact<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub nom: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub coordonnees1: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub coordonnees2: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub coordonnees3: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub telephone: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub courriel: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub url_postulation: Text<'a>,
}

/// `agence`: the France Travail agency handling the offer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Agence<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub courriel: Text<'a>,
}

/// `origineOffre`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrigineOffre<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub origine: Text<'a>,
    #[serde(borrow, deserialize_with = "text")]
    pub url_origine: Text<'a>,
    #[serde(borrow, deserialize_with = "list")]
    pub partenaires: Vec<Partenaire<'a>>,
}

/// `origineOffre.partenaires[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Partenaire<'a> {
    #[serde(borrow, deserialize_with = "text")]
    pub nom: Text<'a>,
}

/// A JSON object read with its members in order, values untouched.
///
/// Used to drop personal keys from `raw` while keeping every other byte
/// of the payload, in its order (serde_json's own map would sort keys).
pub struct Members(pub Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

// Lenient readers. Each accepts any JSON value and keeps what makes sense.

/// Text: strings as they are (borrowed when the parser lends them),
/// numbers and booleans written out.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Text<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a text")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_map(map).map(|_| None)
        }
    }
    d.deserialize_any(V)
}

/// A number, also from a string such as `"48,8"`.
fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(scalar(d)?
        .and_then(|s| match s {
            Scalar::Number(n) => Some(n),
            Scalar::Text(t) => t.trim().replace(',', ".").parse().ok(),
            Scalar::Bool(_) => None,
        })
        .filter(|n: &f64| n.is_finite()))
}

/// A whole number, also from a string or an integral float.
fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(scalar(d)?.and_then(|s| match s {
        Scalar::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(n as i64),
        Scalar::Number(_) | Scalar::Bool(_) => None,
        Scalar::Text(t) => t.trim().parse().ok(),
    }))
}

/// A boolean, also from `"true"`/`"false"`, `"1"`/`"0"` or `1`/`0`.
fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(scalar(d)?.and_then(|s| match s {
        Scalar::Bool(b) => Some(b),
        Scalar::Number(n) if n == 0.0 || n == 1.0 => Some(n == 1.0),
        Scalar::Number(_) => None,
        Scalar::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "o" | "oui" => Some(true),
            "false" | "0" | "n" | "non" => Some(false),
            _ => None,
        },
    }))
}

enum Scalar {
    Number(f64),
    Text(String),
    Bool(bool),
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Scalar>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a scalar")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Scalar::Text(v.to_owned())))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Scalar::Number(v as f64)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Scalar::Number(v as f64)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Scalar::Number(v)))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Scalar::Bool(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_map(map).map(|_| None)
        }
    }
    d.deserialize_any(V)
}

/// Visitor methods that skip every scalar (and null) as `$empty`: the
/// lenient readers below accept only their own shape and ignore the rest.
macro_rules! skip_scalars {
    ($empty:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($empty)
        }
    };
}

/// A nested object; `null` or a non-object gives `None`.
///
/// One pass: the object's members are read straight into `T`, whose own
/// fields are lenient; anything else is skipped.
fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(Lenient::<T>(std::marker::PhantomData))
}

/// A nested object's JSON text, borrowed from the payload; `null` or a
/// non-object gives `None`.
fn raw_object<'de, D>(d: D) -> Result<Option<&'de RawValue>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = Option::<&'de RawValue>::deserialize(d)?;
    Ok(raw.filter(|r| r.get().starts_with('{')))
}

/// Reads an object into `Some(T)` and skips anything else as `None`.
struct Lenient<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Lenient<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| None)
    }
    skip_scalars!(None);
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Lenient<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A list of objects; `null`, a non-list, or items that are not objects
/// are left out. One pass, like [`object`].
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Items<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Items<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
            while let Some(item) = seq.next_element_seed(Lenient::<T>(std::marker::PhantomData))? {
                items.extend(item);
            }
            Ok(items)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_map(map).map(|_| Vec::new())
        }
        skip_scalars!(Vec::new());
    }
    d.deserialize_any(Items::<T>(std::marker::PhantomData))
}

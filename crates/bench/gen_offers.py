#!/usr/bin/env python3
"""Generate realistic raw France Travail offers as JSON lines, for benchmarks.

Usage: gen_offers.py N OUT.jsonl [--seed S]

Offers follow the shape of the real recorded answers in tests/fixtures/:
every nested object sometimes present, sometimes partial ({} or a subset),
sometimes missing; descriptions of realistic length (a few hundred to a few
thousand characters, accents included); 0 to 12 skills; salary labels in
every form the API uses. About 3.5 KB per offer, like real traffic, so
100,000 offers make about 350 MB. Deterministic for a given seed.
"""
import json
import random
import sys

WORDS = (
    "analyse données client équipe projet développement qualité production gestion "
    "commerciale logistique maintenance sécurité formation accueil entreprise poste "
    "mission horaires rémunération avantages évolution compétences rigueur autonomie "
    "réactivité organisation communication suivi reporting outils informatique "
    "travail véhicule permis déplacements région Île-de-France Provence-Alpes-Côte d'Azur"
).split()
SKILLS = [
    "Analyser des données", "Techniques d'usinage", "Utiliser un logiciel de CAO",
    "Gestion de projet", "Accueillir une clientèle", "Procédures d'entretien de locaux",
    "SQL", "Python", "Réaliser un inventaire", "Conduire un véhicule", "Règles d'hygiène",
    "Élaborer un budget", "Mettre en rayon", "Contrôler la conformité", "Comptabilité générale",
    "Piloter une équipe", "Rédiger un rapport", "Suivre un chantier", "Anglais technique",
]
QUALITIES = ["Autonomie", "Rigueur", "Travail en équipe", "Sens de l'organisation", "Réactivité", "Capacité d'adaptation"]
CONTRACTS = [("CDI", "Contrat à durée indéterminée"), ("CDD", "Contrat à durée déterminée - 6 Mois"),
             ("MIS", "Mission intérimaire - 3 Mois"), ("SAI", "Saisonnier - 2 Mois"), ("LIB", "Profession libérale")]
PLACES = [("75 - Paris 11e Arrondissement", "75111", "75011", 48.859, 2.38), ("69 - Lyon 3e", "69383", "69003", 45.76, 4.85),
          ("13 - Marseille", "13055", "13001", 43.3, 5.37), ("2A - AJACCIO", "2A004", "20000", 41.92, 8.74),
          ("971 - Pointe-à-Pitre", "97120", "97110", 16.24, -61.53), ("78 - Versailles", "78646", "78000", 48.80, 2.13)]
SALARIES = ["Mensuel de {a},00 Euros à {b},00 Euros sur 12 mois", "Annuel de {a}0.0 Euros sur 12.0 mois",
            "Horaire de 11,{c} Euros sur 12 mois", "Mensuel de {a}.0 Euros à {b}.0 Euros sur 13.0 mois", "Selon profil"]


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def offer(rng, i):
    code, label = rng.choice(CONTRACTS)
    o = {
        "id": f"{i:07X}",
        "intitule": f"{text(rng, 3).capitalize()} (H/F)",
        "description": "\n".join(text(rng, rng.randint(10, 40)) for _ in range(rng.randint(2, 9))),
        "dateCreation": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        + (".000Z" if rng.random() < 0.7 else "Z"),
        "dateActualisation": f"2024-12-{rng.randint(1, 28):02d}T10:00:00.{rng.randint(0, 999):03d}Z",
        "romeCode": f"M{rng.randint(1000, 1999)}",
        "romeLibelle": text(rng, 4),
        "appellationlibelle": text(rng, 3),
        "typeContrat": code,
        "typeContratLibelle": label,
        "natureContrat": "Contrat travail",
        "experienceExige": rng.choice("DSE"),
        "experienceLibelle": rng.choice(["Débutant accepté", "2 An(s)", "Expérience exigée de 3 An(s)"]),
        "dureeTravailLibelle": "35H Horaires normaux",
        "dureeTravailLibelleConverti": rng.choice(["Temps plein", "Temps partiel"]),
        "alternance": rng.random() < 0.1,
        "nombrePostes": rng.randint(1, 5),
        "accessibleTH": rng.random() < 0.3,
        "qualificationCode": str(rng.randint(1, 9)),
        "qualificationLibelle": "Employé qualifié",
        "codeNAF": f"{rng.randint(10, 96)}.{rng.randint(10, 99)}Z",
        "secteurActivite": str(rng.randint(10, 96)),
        "secteurActiviteLibelle": text(rng, 5),
        "offresManqueCandidats": rng.random() < 0.2,
        "origineOffre": {"origine": rng.choice("12"), "urlOrigine": f"https://candidat.francetravail.fr/offres/recherche/detail/{i:07X}"},
    }
    r = rng.random()
    if r < 0.75:
        libelle, commune, cp, lat, lon = rng.choice(PLACES)
        o["lieuTravail"] = {"libelle": libelle, "latitude": lat + rng.random() / 10, "longitude": lon + rng.random() / 10,
                            "codePostal": cp, "commune": commune}
    elif r < 0.9:
        o["lieuTravail"] = {"libelle": "65 - Pyrénées (Hautes)"}
    r = rng.random()
    if r < 0.7:
        o["entreprise"] = {"nom": text(rng, 2).upper(), "description": text(rng, rng.randint(10, 40)), "entrepriseAdaptee": False}
    elif r < 0.9:
        o["entreprise"] = {"entrepriseAdaptee": False}
    n = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12])
    if n:
        o["competences"] = [
            ({"code": str(rng.randint(100000, 400000))} if rng.random() < 0.8 else {})
            | {"libelle": rng.choice(SKILLS), "exigence": rng.choice("ES")}
            for _ in range(n)
        ]
    if rng.random() < 0.5:
        o["qualitesProfessionnelles"] = [{"libelle": q, "description": text(rng, 12)} for q in rng.sample(QUALITIES, 3)]
    if rng.random() < 0.4:
        o["formations"] = [{"codeFormation": "31054", "domaineLibelle": text(rng, 2), "niveauLibelle": "Bac+2 ou équivalents", "exigence": "S"}]
    if rng.random() < 0.3:
        o["langues"] = [{"libelle": "Anglais", "exigence": "S"}]
    if rng.random() < 0.3:
        o["permis"] = [{"libelle": "B - Véhicule léger", "exigence": "E"}]
    r = rng.random()
    if r < 0.8:
        o["salaire"] = {"libelle": rng.choice(SALARIES).format(a=rng.randint(1700, 3500), b=rng.randint(3500, 5000), c=rng.randint(10, 99))}
        if rng.random() < 0.3:
            o["salaire"]["complement1"] = "Tickets restaurant"
    elif r < 0.9:
        o["salaire"] = {"commentaire": "Selon expérience"}
    if rng.random() < 0.6:
        o["contact"] = {"nom": f"{text(rng, 2).upper()} - Mme X", "telephone": "0102030405",
                        "coordonnees1": f"Pour postuler, utiliser le lien suivant : https://candidat.francetravail.fr/offres/recherche/detail/{i:07X}"}
    else:
        o["contact"] = {}
    o["agence"] = {} if rng.random() < 0.5 else {"courriel": "Pour postuler, utiliser le lien suivant : https://x.example/"}
    return o


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 42
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(offer(rng, i), ensure_ascii=False))
            f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Read jobharvest's outputs back with the tools analysts use (pandas,
openpyxl, pyarrow) and compare them to the raw offers that went in.

Usage: crosscheck.py OUTPUT_DIR RAW_OFFERS.jsonl

OUTPUT_DIR holds offres.csv, offres.xlsx and offres.parquet. Exits non-zero,
naming the offer and the column, on the first mismatch.
"""
import json
import math
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq


def skills(offer):
    return [c["libelle"] for c in offer.get("competences", []) if "libelle" in c]


def fail(msg):
    print(f"crosscheck: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    out, raw_path = Path(sys.argv[1]), Path(sys.argv[2])
    offers = {o["id"]: o for o in map(json.loads, raw_path.read_text(encoding="utf-8").splitlines()) if o}

    table = pq.read_table(out / "offres.parquet")
    rows = table.to_pylist()
    ids = [r["source_id"] for r in rows]
    if sorted(ids) != sorted(offers) or len(set(ids)) != len(ids):
        fail(f"parquet ids {sorted(ids)} != input ids {sorted(offers)}")
    types = {f.name: str(f.type) for f in table.schema}
    for col, want in [("created_at", "timestamp[us, tz=UTC]"), ("latitude", "double"), ("skills", "list<")]:
        if not types[col].startswith(want.split("<")[0]):
            fail(f"parquet column {col} has type {types[col]}, expected {want}")
    for r in rows:
        o = offers[r["source_id"]]
        if r["skills"] != skills(o):
            fail(f"{o['id']}: parquet skills {r['skills']} != {skills(o)}")
        if r["title"] != o.get("intitule"):
            fail(f"{o['id']}: parquet title")
        lat = o.get("lieuTravail", {}).get("latitude")
        if r["latitude"] != lat:
            fail(f"{o['id']}: parquet latitude {r['latitude']} != {lat}")

    df = pd.read_csv(out / "offres.csv", dtype=str, keep_default_na=False)
    if sorted(df["source_id"]) != sorted(offers):
        fail("csv ids differ")
    if (df == "None").any().any():
        fail('csv holds the text "None"')
    for _, r in df.iterrows():
        o = offers[r["source_id"]]
        if r["skills"] != " | ".join(skills(o)):
            fail(f"{o['id']}: csv skills {r['skills']!r}")
        nom = o.get("entreprise", {}).get("nom", "")
        if r["company_name"] != nom:
            fail(f"{o['id']}: csv company_name {r['company_name']!r} != {nom!r}")

    wb = openpyxl.load_workbook(out / "offres.xlsx", read_only=True)
    ws = wb.worksheets[0]
    sheet = list(ws.iter_rows(values_only=True))
    header, body = list(sheet[0]), sheet[1:]
    if len(body) != len(offers):
        fail(f"xlsx has {len(body)} rows, expected {len(offers)}")
    col = {name: i for i, name in enumerate(header)}
    for row in body:
        o = offers[row[col["source_id"]]]
        lat = o.get("lieuTravail", {}).get("latitude")
        got = row[col["latitude"]]
        if lat is None and got is not None:
            fail(f"{o['id']}: xlsx latitude should be empty, is {got!r}")
        if lat is not None and (not isinstance(got, float) or not math.isclose(got, lat)):
            fail(f"{o['id']}: xlsx latitude {got!r} != {lat}")
        created = row[col["created_at"]]
        if not hasattr(created, "year"):
            fail(f"{o['id']}: xlsx created_at is not a date: {created!r}")
    print(f"crosscheck: {len(offers)} offers match in parquet, csv and xlsx")


if __name__ == "__main__":
    main()

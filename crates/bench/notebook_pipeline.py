#!/usr/bin/env python3
"""The pipeline jobharvest replaces, done the way the analysts' notebooks do
it, as the baseline of the end-to-end benchmark.

Usage: notebook_pipeline.py OFFERS.jsonl OUT_DIR [--excel | --raw]

With --excel it writes the same rows with pandas `to_excel` and openpyxl
instead. With --raw the Parquet file also gets each offer's payload
(`json.dumps`), like jobharvest's Parquet sink with `include_raw: true`.

Loads every offer with json.loads, flattens each into a dict one field at a
time (nested objects become `parent_child` keys, lists are joined so the
comparison is fair: the notebooks keep only the first element), builds a
pandas DataFrame, writes it with `to_csv` and with pyarrow's `write_table`
(zstd), without the raw payload, like jobharvest's defaults. Prints one
JSON line: offers, seconds, peak RSS in MB.
"""
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def flatten(offer, raw):
    row = {}
    for key, value in offer.items():
        if isinstance(value, dict):
            for k, v in value.items():
                row[f"{key}_{k}"] = json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
        elif isinstance(value, list):
            row[key] = " | ".join(
                v.get("libelle", "") if isinstance(v, dict) else str(v) for v in value
            )
        else:
            row[key] = value
    if raw:
        row["raw"] = json.dumps(offer, ensure_ascii=False)
    return row


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    raw = "--raw" in sys.argv
    start = time.perf_counter()
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(flatten(json.loads(line), raw))
    df = pd.DataFrame(rows)
    if "--excel" in sys.argv:
        df.to_excel(out / "notebook.xlsx", index=False, engine="openpyxl")
        report(len(rows), start, "notebook-excel")
        return
    # The raw payload, when asked for, goes to Parquet and not to CSV, as
    # with jobharvest's `include_raw: true` on the Parquet sink only.
    df.drop(columns=["raw"], errors="ignore").to_csv(out / "notebook.csv", index=False)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), out / "notebook.parquet", compression="zstd")
    report(len(rows), start, "notebook-raw" if raw else "notebook")


def report(n, start, tool):
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "offers": n, "seconds": round(elapsed, 3), "peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    main()

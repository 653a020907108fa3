#!/usr/bin/env python3
"""End-to-end benchmark: replay raw offers through `jobharvest run` into
Parquet + CSV, and separately into XLSX, and run the notebook pipeline on the
same offers, in one session. Prints a Markdown table for the README.

Usage (from the repository root, after `cargo build --release`):

    python3 crates/bench/e2e.py [--sizes 25000,100000,1000000] [--xlsx-sizes 25000,100000]
                                [--notebook-sizes 25000,100000] [--raw-sizes 100000]
                                [--report-sizes 100000] [--report-runs 5]
                                [--data DIR] [--bin PATH]

Both sides run with jobharvest's defaults (no raw payload in any output);
at --raw-sizes both also run with the payload in the Parquet file
(`include_raw: true`, the notebook's `--raw`). At --report-sizes the
Parquet + CSV replay runs --report-runs times without and with a `report`
sink, alternating, and the medians give the report's cost in wall time and
peak memory.

Offers are generated once per size by gen_offers.py (seed 42) into --data
(default target/bench-data). Each command runs as a child process; wall time
comes from a monotonic clock and peak RSS from the child's rusage (wait4).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = "parquet (with raw) + csv"
ROOT = HERE.parent.parent


def run(cmd, cwd=None):
    # Start every run with the disk's write-back done, so one run's output
    # does not slow the next (this disk is the bottleneck of a cold write).
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(map(str, cmd))}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out, err


def data_file(data_dir, n):
    path = data_dir / f"offers-{n}.jsonl"
    if not path.exists():
        print(f"generating {n} offers into {path} ...", file=sys.stderr)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, HERE / "gen_offers.py", str(n), tmp], check=True)
        tmp.rename(path)
    return path


def spec(dir_, data, sinks):
    text = "sources:\n  - { type: replay, connector: france_travail, path: %s }\nsinks:\n" % data
    for kind, name, *options in sinks:
        extra = "".join(f", {o}" for o in options)
        text += f"  - {{ type: {kind}, path: {dir_ / name}{extra} }}\n"
    path = dir_ / "bench.yaml"
    path.write_text(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="25000,100000,1000000")
    ap.add_argument("--xlsx-sizes", default="25000,100000")
    ap.add_argument("--notebook-sizes", default="25000,100000")
    ap.add_argument("--excel-notebook-sizes", default="25000")
    ap.add_argument("--raw-sizes", default="100000", help="sizes also run with the raw payload in Parquet, on both sides")
    ap.add_argument("--all-sizes", default="100000", help="sizes also run into Parquet + CSV + XLSX at once")
    ap.add_argument("--report-sizes", default="100000", help="sizes run into Parquet + CSV with and without a report sink")
    ap.add_argument("--report-runs", type=int, default=5, help="runs of each, alternating (the medians are compared)")
    ap.add_argument("--data", default=str(ROOT / "target" / "bench-data"))
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "jobharvest"))
    args = ap.parse_args()
    data_dir = Path(args.data)
    data_dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    xlsx_sizes = {int(s) for s in args.xlsx_sizes.split(",") if s}
    nb_sizes = {int(s) for s in args.notebook_sizes.split(",") if s}
    xnb_sizes = {int(s) for s in args.excel_notebook_sizes.split(",") if s}
    all_sizes = {int(s) for s in args.all_sizes.split(",") if s}
    raw_sizes = {int(s) for s in args.raw_sizes.split(",") if s}
    report_sizes = {int(s) for s in args.report_sizes.split(",") if s}
    report_lines = []

    rows = []
    for n in sizes:
        data = data_file(data_dir, n)
        mb = data.stat().st_size / 1e6
        work = Path(tempfile.mkdtemp(prefix="jh-bench-"))
        try:
            s = spec(work, data, [("parquet", "o.parquet"), ("csv", "o.csv")])
            t, rss, _, _ = run([args.bin, "-q", "run", s])
            rows.append(("jobharvest", "parquet + csv", n, mb, t, rss))
            if n in xlsx_sizes:
                s = spec(work, data, [("xlsx", "o.xlsx")])
                t, rss, _, _ = run([args.bin, "-q", "run", s])
                rows.append(("jobharvest", "xlsx", n, mb, t, rss))
            if n in all_sizes:
                s = spec(work, data, [("parquet", "o.parquet"), ("csv", "o.csv"), ("xlsx", "o.xlsx")])
                t, rss, _, _ = run([args.bin, "-q", "run", s])
                rows.append(("jobharvest", "parquet + csv + xlsx", n, mb, t, rss))
            if n in xnb_sizes:
                t, rss, _, _ = run([sys.executable, HERE / "notebook_pipeline.py", data, work / "nbx", "--excel"])
                rows.append(("notebook (pandas to_excel)", "xlsx", n, mb, t, rss))
            if n in nb_sizes:
                t, rss, _, _ = run([sys.executable, HERE / "notebook_pipeline.py", data, work / "nb"])
                rows.append(("notebook (pandas + pyarrow)", "parquet + csv", n, mb, t, rss))
            if n in raw_sizes:
                s = spec(work, data, [("parquet", "o.parquet", "include_raw: true"), ("csv", "o.csv")])
                t, rss, _, _ = run([args.bin, "-q", "run", s])
                rows.append(("jobharvest", RAW, n, mb, t, rss))
                t, rss, _, _ = run([sys.executable, HERE / "notebook_pipeline.py", data, work / "nbr", "--raw"])
                rows.append(("notebook (pandas + pyarrow)", RAW, n, mb, t, rss))
            if n in report_sizes:
                report_lines.append(report_cost(args, work, data, n, mb, rows))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print("| pipeline | outputs | offers | input MB | seconds | offers/s | MB/s | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for who, what, n, mb, t, rss in rows:
        print(f"| {who} | {what} | {n:,} | {mb:,.0f} | {t:.2f} | {n / t:,.0f} | {mb / t:,.0f} | {rss:,.0f} |")
    print()
    for what, sizes_run in [("parquet + csv", nb_sizes), (RAW, raw_sizes)]:
        for n in sorted(sizes_run & set(sizes)):
            jh = next(r for r in rows if r[0] == "jobharvest" and r[1] == what and r[2] == n)
            nb = next(r for r in rows if r[0] == "notebook (pandas + pyarrow)" and r[1] == what and r[2] == n)
            print(f"At {n:,} offers into {what}, jobharvest is {nb[4] / jh[4]:.1f}x faster than the notebook, in {jh[5] / nb[5]:.2f}x its memory.")
    for line in report_lines:
        print(line)
    pc = {r[2]: r for r in rows if r[0] == "jobharvest" and r[1] == "parquet + csv"}
    for small, big in [(25000, 100000), (100000, 1000000)]:
        if small in pc and big in pc:
            print(f"Peak memory at {big:,} offers is {pc[big][5] / pc[small][5]:.2f}x that at {small:,}.")
    for n in sorted(xnb_sizes & xlsx_sizes & set(sizes)):
        jh = next(r for r in rows if r[0] == "jobharvest" and r[1] == "xlsx" and r[2] == n)
        nb = next(r for r in rows if r[0].startswith("notebook (pandas to_excel)") and r[2] == n)
        print(f"At {n:,} offers jobharvest's xlsx is {nb[4] / jh[4]:.1f}x faster than pandas to_excel, in {jh[5] / nb[5]:.2f}x its memory.")


def report_cost(args, work, data, n, mb, rows):
    """Runs the Parquet + CSV replay without and with a report sink,
    alternating, and says what the report costs (medians)."""
    plain = spec(work, data, [("parquet", "o.parquet"), ("csv", "o.csv")])
    text = plain.read_text() + f"  - {{ type: report, path: {work / 'o.html'} }}\n"
    with_report = work / "bench-report.yaml"
    with_report.write_text(text)
    times = {"without": [], "with": []}
    for _ in range(args.report_runs):
        for key, s in [("without", plain), ("with", with_report)]:
            t, rss, _, _ = run([args.bin, "-q", "run", s])
            times[key].append((t, rss))
    med = {}
    for key, runs in times.items():
        ts = sorted(t for t, _ in runs)
        rs = sorted(r for _, r in runs)
        med[key] = (ts[len(ts) // 2], rs[len(rs) // 2])
        rows.append(("jobharvest", "parquet + csv" + (" + report" if key == "with" else ""), n, mb, med[key][0], med[key][1]))
    (t0, r0), (t1, r1) = med["without"], med["with"]
    every = ", ".join(f"{a:.2f}/{b:.2f}" for (a, _), (b, _) in zip(times["without"], times["with"]))
    return (f"At {n:,} offers the report sink costs {(t1 / t0 - 1) * 100:+.1f}% wall time "
            f"({t0:.2f} s -> {t1:.2f} s, medians of {args.report_runs}; each pair without/with: {every}) "
            f"and {r1 - r0:+.1f} MB of peak RSS ({r0:.0f} -> {r1:.0f} MB).")


if __name__ == "__main__":
    main()

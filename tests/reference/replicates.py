"""Redoes a run's reduction from its kept replicates, with pyarrow as the reader.

`telur run --keep-replicates` and `telur run --shard` write every replicate's results as
tidy Parquet tables under replicates/. This script reads them with pyarrow (not the
engine's reader), checks their schema, and recomputes every mean and type-7 quantile
(p05, p50, p95) of summary.csv and region_weekly.csv from the rows: a merge is a
reduction anyone can redo.

Usage: python3 replicates.py OUTPUT_DIR REPLICATES_DIR...
  OUTPUT_DIR       a run's output (summary.csv, region_weekly.csv, manifest.json)
  REPLICATES_DIR   folders holding replicates/*.parquet: the run itself if it kept its
                   replicates, or every shard of it
"""
import csv
import json
import math
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

TEXT = pa.dictionary(pa.uint16(), pa.string())
SCHEMAS = {
    "summary": ["placement", "replicate", "metric", "value"],
    "region_summary": ["placement", "replicate", "region", "metric", "value"],
    "region_weekly": ["placement", "replicate", "week", "region", "metric", "value"],
    "program_weekly": ["placement", "replicate", "week", "metric", "value"],
}
TYPES = {
    "placement": TEXT,
    "region": TEXT,
    "metric": TEXT,
    "replicate": pa.uint32(),
    "week": pa.uint32(),
    "value": pa.float64(),
}
# Statistics of the whole ensemble, not of one replicate: null in every row.
ACROSS_PLACEMENTS = {"win_share"}


def fail(message):
    print(f"replicates.py: {message}", file=sys.stderr)
    sys.exit(1)


def read(table, dirs):
    parts = []
    for d in dirs:
        path = os.path.join(d, "replicates", f"{table}.parquet")
        t = pq.read_table(path)
        if t.schema.names != SCHEMAS[table]:
            fail(f"{path}: columns {t.schema.names}, want {SCHEMAS[table]}")
        for field in t.schema:
            if field.type != TYPES[field.name]:
                fail(f"{path}: {field.name} is {field.type}, want {TYPES[field.name]}")
        parts.append(t)
    return pa.concat_tables(parts)


def type7(values, p):
    v = sorted(values)
    h = (len(v) - 1) * p
    k = math.floor(h)
    frac = h - k
    if frac == 0.0 or k + 1 >= len(v):
        return v[k]
    return v[k] + frac * (v[k + 1] - v[k])


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check(table, key_columns, out_dir, dirs, replicates):
    rows = read(table, dirs).to_pydict()
    groups = {}
    seen = {}
    for i in range(len(rows["value"])):
        key = tuple(str(rows[c][i]) for c in key_columns)
        seen.setdefault(key, set()).add(rows["replicate"][i])
        if rows["value"][i] is not None:
            groups.setdefault(key, []).append(rows["value"][i])
    for key, reps in seen.items():
        if reps != set(range(replicates)):
            fail(f"{table} {key}: replicates {sorted(reps)}, want 0..{replicates - 1}")
    cells = 0
    with open(os.path.join(out_dir, f"{table}.csv")) as f:
        for row in csv.DictReader(f):
            key = tuple(row[c] for c in key_columns)
            if row["metric"] in ACROSS_PLACEMENTS:
                continue
            if key not in seen:
                fail(f"{table}.csv has {key}, the Parquet rows do not")
            values = groups.get(key, [])
            want = {
                "mean": sum(values) / len(values) if values else None,
                "p05": type7(values, 0.05) if values else None,
                "p50": type7(values, 0.50) if values else None,
                "p95": type7(values, 0.95) if values else None,
            }
            for column, w in want.items():
                got = float(row[column]) if row[column] != "" else None
                if (got is None) != (w is None) or (w is not None and not close(got, w)):
                    fail(f"{table}.csv {key} {column}: {got}, the replicates give {w}")
            cells += 1
    checked = sum(1 for k in seen if k[-1] not in ACROSS_PLACEMENTS)
    if cells != checked:
        fail(f"{table}.csv has {cells} cells, the Parquet rows {len(seen)}")
    return cells


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    out_dir, dirs = sys.argv[1], sys.argv[2:]
    with open(os.path.join(out_dir, "manifest.json")) as f:
        replicates = json.load(f)["replicates"]
    for table in SCHEMAS:
        read(table, dirs)
    s = check("summary", ["placement", "metric"], out_dir, dirs, replicates)
    w = check("region_weekly", ["placement", "week", "region", "metric"], out_dir, dirs, replicates)
    print(f"replicates.py: {s} summary cells and {w} region_weekly cells match {len(dirs)} folder(s) of replicates")


main()

"""The pandas reference for the cleaning contract (README "Data contract": read_csv, drop_duplicates,
fillna with the column means, groupby(category).mean), and a comparer.

    pandas_reference.py compare IN.csv OUT_DIR SCHEMA_JSON   -> prints JSON {"ok": bool, "problems": [...]}
    pandas_reference.py run IN.csv SCHEMA_JSON               -> prints JSON summary (bench peer)

Reads with float_precision='round_trip': pandas' default C float parser is not correctly
rounded (it can be 1 ulp off), the round-trip one is. The schema's text columns (timestamp, ids,
category) are read as str so that pandas does not infer numbers from ids; every other column is
typed by pandas itself (an extra column of numbers is numeric: filled, compared as numbers and
averaged); default NA words stay missing, as in the core.
"""
import json
import sys

import numpy as np
import pandas as pd


def text_columns(schema):
    ts = [schema["timestamp"]] if schema.get("timestamp") else []
    return ts + list(schema.get("ids") or []) + [schema["category"]]


def read(path, schema, header=None):
    numeric = schema["features"] + [schema["target"]]
    dtype = {c: str for c in text_columns(schema)}
    dtype.update({c: "float64" for c in numeric})
    return pd.read_csv(path, dtype=dtype, float_precision="round_trip")


def numeric_columns(data, schema):
    text = set(text_columns(schema))
    return [c for c in data.columns if c not in text and pd.api.types.is_numeric_dtype(data[c])]


def reference(path, schema):
    data = read(path, schema)
    data = data.drop_duplicates()
    data = data.fillna(data.mean(numeric_only=True))
    groups = data.groupby(schema["category"]).mean(numeric_only=True)
    counts = data.groupby(schema["category"]).size()
    return data, groups, counts


def close(a, b, rtol=1e-12):
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    both_nan = np.isnan(a) & np.isnan(b)
    scale = np.maximum(np.abs(a), np.abs(b))
    ok = both_nan | (a == b) | (np.abs(a - b) <= rtol * scale)
    return ok


def compare(path, out_dir, schema):
    problems = []
    data, groups, counts = reference(path, schema)
    numeric = numeric_columns(data, schema)
    ours = read(f"{out_dir}/clean.csv", schema)
    if list(ours.columns) != list(data.columns):
        problems.append(f"clean.csv columns {list(ours.columns)} != {list(data.columns)}")
        return problems
    if len(ours) != len(data):
        problems.append(f"clean.csv has {len(ours)} rows, pandas {len(data)}")
        return problems
    for c in data.columns:
        if c in numeric:
            ok = close(ours[c].to_numpy(), data[c].to_numpy())
            if not ok.all():
                i = int(np.argmin(ok))
                problems.append(f"clean.csv {c} row {i}: {ours[c].iloc[i]!r} != pandas {data[c].iloc[i]!r}")
        else:
            a = ours[c].fillna("\0NA").tolist()
            b = data[c].fillna("\0NA").tolist()
            if a != b:
                i = next(k for k in range(len(a)) if a[k] != b[k])
                problems.append(f"clean.csv {c} row {i}: {a[i]!r} != pandas {b[i]!r}")
    g = pd.read_csv(f"{out_dir}/group_stats.csv", dtype={"category": str}, float_precision="round_trip",
                    keep_default_na=False, na_values=[""])
    if sorted(g.columns) != sorted(["category", "count"] + list(groups.columns)):
        problems.append(f"group_stats columns {list(g.columns)} != pandas {['category', 'count'] + list(groups.columns)}")
        return problems
    if [str(x) for x in g["category"].tolist()] != [str(x) for x in groups.index.tolist()]:
        problems.append(f"group_stats categories {g['category'].tolist()} != pandas {groups.index.tolist()}")
        return problems
    if g["count"].tolist() != counts.tolist():
        problems.append(f"group_stats counts {g['count'].tolist()} != pandas {counts.tolist()}")
    for c in numeric:
        ok = close(g[c].to_numpy(), groups[c].to_numpy())
        if not ok.all():
            i = int(np.argmin(ok))
            problems.append(f"group_stats {c} row {i}: {g[c].iloc[i]!r} != pandas {groups[c].iloc[i]!r}")
    return problems


def main():
    mode = sys.argv[1]
    if mode == "compare":
        path, out_dir, schema = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        problems = compare(path, out_dir, schema)
        print(json.dumps({"ok": not problems, "problems": problems}))
    elif mode == "run":
        path, schema = sys.argv[2], json.loads(sys.argv[3])
        data, groups, counts = reference(path, schema)
        out = sys.argv[4] if len(sys.argv) > 4 else None
        if out:
            data.to_csv(f"{out}/clean.csv", index=False)
            groups.insert(0, "count", counts)
            groups.to_csv(f"{out}/group_stats.csv")
        print(json.dumps({"rowsClean": len(data), "categories": len(groups)}))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()

"""The pandas reference for the cleaning contract (README "Data contract": read_csv, drop_duplicates,
fillna with the column means, groupby(category).mean), and a comparer.

    pandas_reference.py compare IN.csv OUT_DIR SCHEMA_JSON   -> prints JSON {"ok": bool, "problems": [...]}
    pandas_reference.py run IN.csv SCHEMA_JSON               -> prints JSON summary (bench peer)
    pandas_reference.py compare-jsonl IN.jsonl OUT_DIR SCHEMA_JSON -> as compare, for JSON Lines

JSON Lines (lambda/core/cleaning/json-lines.ts): the lines pandas keeps (strip(), empty ones
skipped) are classified one by one with Python's json (RFC 8259: NaN/Infinity refused), the bad
ones counted by reason, and the good ones read by pandas.read_json(lines=True, dtype=False,
convert_dates=False, precise_float=True), then typed by the schema (type_jsonl) and cleaned as
a CSV is.

Reads with float_precision='round_trip': pandas' default C float parser is not correctly
rounded (it can be 1 ulp off), the round-trip one is. The schema's text columns (timestamp, ids,
category) are read as str so that pandas does not infer numbers from ids; every other column is
typed by pandas itself (an extra column of numbers is numeric: filled, compared as numbers and
averaged); default NA words stay missing, as in the core.
"""
import datetime
import gzip
import io
import json
import re
import sys

import numpy as np
import pandas as pd
from pandas._libs.json import loads as ujson_loads


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


NA_WORDS = set(pd._libs.parsers.STR_NA_VALUES) | {""}
DECIMAL = re.compile(r"^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$")
INF_WORD = re.compile(r"^\s*[+-]?inf(inity)?\s*$", re.I)
ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$")


def iso_timestamp(text):
    m = ISO.match(text)
    if not m:
        return False
    try:
        datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    except ValueError:
        return False
    return (m[7] is None or int(m[7]) <= 23) and (m[8] is None or int(m[8]) <= 59)


def missing(v):
    return v is None or (isinstance(v, float) and np.isnan(v))


def typed(v, kind):
    """A value typed for its column: ("ok", value or None for missing) or ("bad", reason)."""
    if missing(v):
        return ("bad", "missing_key") if kind == "id" else ("ok", None)
    if kind == "numeric":
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            return ("bad", "wrong_type")
        if isinstance(v, str):
            if v in NA_WORDS:
                return ("ok", None)
            if INF_WORD.match(v):
                return ("bad", "non_finite")
            if not DECIMAL.match(v):
                return ("bad", "non_numeric")
        x = float(v)
        return ("ok", x) if np.isfinite(x) else ("bad", "non_finite")
    if kind == "timestamp":
        if not isinstance(v, str):
            return ("bad", "bad_timestamp")
        if v in NA_WORDS:
            return ("ok", None)
        return ("ok", v) if iso_timestamp(v) else ("bad", "bad_timestamp")
    if isinstance(v, str):
        text = v
    elif isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and abs(v) < 2**53:
        text = str(int(v))
    else:
        return ("bad", "wrong_type")
    if text in NA_WORDS:
        return ("bad", "missing_key") if kind == "id" else ("ok", None)
    return ("ok", text)


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def read_jsonl(path, schema):
    """The typed frame of the good records and {reason: count} of the bad ones."""
    kinds = {c: "text" for c in text_columns(schema)}
    if schema.get("timestamp"):
        kinds[schema["timestamp"]] = "timestamp"
    for c in schema.get("ids") or []:
        kinds[c] = "id"
    for c in schema["features"] + [schema["target"]]:
        kinds[c] = "numeric"
    columns = text_columns(schema) + schema["features"] + [schema["target"]]
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    good, bad = [], {}
    for line in raw.decode("utf-8").split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line, parse_constant=reject_constant)
        except ValueError:
            bad["not_json"] = bad.get("not_json", 0) + 1
            continue
        if not isinstance(value, dict):
            bad["not_object"] = bad.get("not_object", 0) + 1
            continue
        try:
            ujson_loads(line, precise_float=True)
        except ValueError:
            # JSON pandas' reader refuses as a whole (a number past the double range): its
            # feature or target is non_finite in the contract.
            bad["non_finite"] = bad.get("non_finite", 0) + 1
            continue
        good.append(line)
    frame = pd.read_json(io.StringIO("\n".join(good)), lines=True, dtype=False, convert_dates=False,
                         precise_float=True)
    rows = []
    for record in frame.to_dict("records"):
        row, reason = [], None
        for c in columns:
            verdict, v = typed(record.get(c), kinds[c])
            if verdict == "bad":
                reason = v
                break
            row.append(v)
        if reason is None:
            rows.append(row)
        else:
            bad[reason] = bad.get(reason, 0) + 1
    data = pd.DataFrame(rows, columns=columns)
    for c in columns:
        data[c] = data[c].astype("float64" if kinds[c] == "numeric" else object)
    return data, bad


def reference(path, schema, jsonl=False):
    data = read_jsonl(path, schema)[0] if jsonl else read(path, schema)
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


def compare(path, out_dir, schema, jsonl=False):
    problems = []
    data, groups, counts = reference(path, schema, jsonl)
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
    elif mode == "compare-jsonl":
        path, out_dir, schema = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        problems = compare(path, out_dir, schema, jsonl=True)
        print(json.dumps({"ok": not problems, "problems": problems, "quarantined": read_jsonl(path, schema)[1]}))
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

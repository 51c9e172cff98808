"""Benchmark peer: the pandas reference of the cleaning contract (pandas 1.5, Debian python).

    /usr/bin/python3 bench/peers/pandas_clean.py IN.csv OUT_DIR

Same semantics and reading options as test/support/pandas_reference.py (text columns as str,
float_precision='round_trip' so values are correctly rounded); writes clean.csv and group_stats.csv.
"""
import json
import sys
import time

import pandas as pd

NUMERIC = ["temperature", "pressure", "vibration", "speed", "humidity", "torque", "current", "voltage",
           "feed_rate", "tool_wear", "quality"]


def main():
    path, out = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    cols = pd.read_csv(path, nrows=0).columns
    dtype = {c: (("float64") if c in NUMERIC else str) for c in cols}
    data = pd.read_csv(path, dtype=dtype, float_precision="round_trip")
    rows_in = len(data)
    data = data.drop_duplicates()
    data = data.fillna(data.mean(numeric_only=True))
    groups = data.groupby("category").mean(numeric_only=True)
    groups.insert(0, "count", data.groupby("category").size())
    data.to_csv(f"{out}/clean.csv", index=False)
    groups.to_csv(f"{out}/group_stats.csv")
    print(json.dumps({"rowsIn": rows_in, "rowsClean": len(data), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()

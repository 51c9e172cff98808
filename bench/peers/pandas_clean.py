"""Benchmark peer: the pandas reference of the cleaning contract (pandas 1.5, Debian python),
as its users run it.

    /usr/bin/python3 bench/peers/pandas_clean.py IN.csv OUT_DIR [--round-trip]
    /usr/bin/python3 bench/peers/pandas_clean.py IN.jsonl OUT_DIR --json-lines

pd.read_csv with its defaults (the C parser's ordinary 'high' float converter, not always correctly
rounded); --round-trip passes float_precision='round_trip' (correctly rounded), the option
test/support/pandas_reference.py uses. --json-lines reads JSON Lines as the cleaning contract says
(pd.read_json(lines=True, dtype=False, convert_dates=False): ids stay text, timestamps are not
converted; pandas' default ujson number parser), as a pandas user would read a Firehose object.
Then exactly the reference code of the cleaning contract:
drop_duplicates, fillna with the means over the de-duplicated rows,
groupby(category).mean(numeric_only=True), with the group sizes as a count column. Writes
clean.csv and group_stats.csv.
"""
import json
import sys
import time

import pandas as pd

CATEGORY = "category"


def main():
    path, out = sys.argv[1], sys.argv[2]
    round_trip = "--round-trip" in sys.argv[3:]
    json_lines = "--json-lines" in sys.argv[3:]
    started = time.perf_counter()
    if json_lines:
        data = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
    elif round_trip:
        data = pd.read_csv(path, float_precision="round_trip")
    else:
        data = pd.read_csv(path)
    rows_in = len(data)
    data = data.drop_duplicates()
    data = data.fillna(data.mean(numeric_only=True))
    groups = data.groupby(CATEGORY).mean(numeric_only=True)
    groups.insert(0, "count", data.groupby(CATEGORY).size())
    data.to_csv(f"{out}/clean.csv", index=False)
    groups.to_csv(f"{out}/group_stats.csv")
    print(json.dumps({"rowsIn": rows_in, "rowsClean": len(data), "roundTrip": round_trip, "jsonLines": json_lines,
                      "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()

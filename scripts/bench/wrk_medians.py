"""Medians over rounds of wrk runs (scripts/bench-http): one line per endpoint.

Input: lines of `endpoint server-cpu-ticks wrk-output-file`, in round order; CLK_TCK.
Output: requests/s (median, range), mean/p50/p90/p99 latency in ms (medians), non-2xx
responses (total), server CPU ms per request (median).
"""
import re
import statistics
import sys

UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def ms(value):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", value)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else float("nan")


def figures(path, ticks, hz):
    text = open(path).read()
    f = {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1)),
        "mean": ms(re.search(r"Latency\s+(\S+)", text).group(1)),
        "n": int(re.search(r"(\d+) requests in", text).group(1)),
    }
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    f["bad"] = int(bad.group(1)) if bad else 0
    for q in ("50", "90", "99"):
        f["p" + q] = ms(re.search(rf"^\s+{q}%\s+(\S+)", text, re.M).group(1))
    f["server"] = 1000 * ticks / hz / max(f["n"], 1)
    return f


def main():
    results, hz = sys.argv[1], int(sys.argv[2])
    rows = {}
    for line in open(results):
        name, ticks, path = line.split()
        rows.setdefault(name, []).append(figures(path, int(ticks), hz))
    for name, runs in rows.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rps = [r["rps"] for r in runs]
        span = f"{min(rps):.0f}-{max(rps):.0f}"
        print(f"{name:<9} {med['rps']:>8.1f} {span:>11} {med['mean']:>8.1f} {med['p50']:>8.1f}"
              f" {med['p90']:>8.1f} {med['p99']:>8.1f} {sum(r['bad'] for r in runs):>8}"
              f" {med['server']:>9.2f}")


if __name__ == "__main__":
    main()

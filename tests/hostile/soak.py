"""Soak: DURATION seconds of mixed load (encode 30 %, decode 20 %, health 30 %, metrics 20 %)
against the served component, at the highest concurrency whose p99 stays under P99_MS (found by a
short ramp first). Reports errors (must be 0), throughput and latency per WINDOW seconds, and the
server's resident memory at start, over time and at the end (must be flat: end <= start + slack).

Environment: FSK_E2E_WASM, FSK_WASMTIME, PORT, KV_DIR, LOG, DURATION (600), P99_MS (100),
WINDOW (10), RAMP_SECONDS (6), MAX_WORKERS (32), RSS_SLACK_MB (64), WORKERS (skip the ramp)."""

import os
import sys
import threading
import time

from mixed import Mix
from served import Served, percentile

env = os.environ.get
DURATION = float(env("DURATION", "600"))
P99_MS = float(env("P99_MS", "100"))
WINDOW = float(env("WINDOW", "10"))
RAMP = float(env("RAMP_SECONDS", "6"))
MAX_WORKERS = int(env("MAX_WORKERS", "32"))
SLACK_MB = float(env("RSS_SLACK_MB", "64"))


def run(mix, workers, seconds, on_sample=None):
    """workers threads, closed loop, for `seconds`: list of (t_end, kind, ms, ok)."""
    out, lock = [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(w):
        i = w
        while time.monotonic() < stop_at:
            t = time.monotonic()
            try:
                kind, _, ok = mix.one(i)
            except Exception as e:  # connection errors count as errors
                kind, ok = f"error:{type(e).__name__}", False
            done = time.monotonic()
            with lock:
                out.append((done, kind, (done - t) * 1000, ok))
            i += workers

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(workers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if on_sample:
            on_sample()
        for t in threads:
            t.join(timeout=1.0)
    return out


def main():
    s = Served(env("FSK_E2E_WASM"), env("FSK_WASMTIME"), env("KV_DIR"), int(env("PORT")), env("LOG"))
    s.start()
    try:
        mix = Mix(s.port, seed=6)
        # Warm up (compilation caches, first instances), then the ramp.
        run(mix, 2, 2)
        workers = int(env("WORKERS", "0"))
        if not workers:
            workers, n = 1, 1
            while n <= MAX_WORKERS:
                r = run(mix, n, RAMP)
                p99 = percentile([ms for _, _, ms, _ in r], 0.99)
                print(f"ramp: {n:3d} workers  {len(r) / RAMP:7.1f} req/s  p99 {p99:6.1f} ms", flush=True)
                if p99 >= P99_MS or not all(ok for *_, ok in r):
                    break
                workers, n = n, n * 2
        print(f"soak: {workers} workers for {DURATION:.0f} s (p99 target {P99_MS:.0f} ms)", flush=True)
        rss = [(time.monotonic(), s.rss_kb())]
        last = [time.monotonic()]

        def sample():
            if time.monotonic() - last[0] >= WINDOW:
                last[0] = time.monotonic()
                rss.append((last[0], s.rss_kb()))

        t0 = time.monotonic()
        r = run(mix, workers, DURATION, on_sample=sample)
        rss.append((time.monotonic(), s.rss_kb()))
        errors = [x for x in r if not x[3]]
        print(f"{'window':>12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'rss MB':>8}")
        nwin = int(DURATION // WINDOW + 0.999)
        for w in range(nwin):
            a, b = t0 + w * WINDOW, t0 + (w + 1) * WINDOW
            in_w = [x for x in r if a <= x[0] < b]
            ms = [x[2] for x in in_w]
            mem = [kb for t, kb in rss if t < b]
            print(f"{w * WINDOW:5.0f}-{(w + 1) * WINDOW:<5.0f}s {len(in_w) / WINDOW:8.1f} {percentile(ms, .5):8.1f} "
                  f"{percentile(ms, .99):8.1f} {sum(1 for x in in_w if not x[3]):7d} {mem[-1] / 1024:8.1f}")
        ms = [x[2] for x in r]
        kinds = {}
        for x in r:
            kinds[x[1]] = kinds.get(x[1], 0) + 1
        start_mb, end_mb = rss[0][1] / 1024, rss[-1][1] / 1024
        peak_mb = max(kb for _, kb in rss) / 1024
        print(f"total: {len(r)} requests {kinds}, {len(r) / DURATION:.1f} req/s, p50 {percentile(ms, .5):.1f} ms, "
              f"p99 {percentile(ms, .99):.1f} ms, errors {len(errors)}")
        print(f"server RSS: start {start_mb:.1f} MB, end {end_mb:.1f} MB, peak {peak_mb:.1f} MB")
        alive = s.proc.poll() is None
        ok = not errors and alive and end_mb <= start_mb + SLACK_MB
        if errors:
            print(f"errors: {errors[:10]}")
        print("SOAK PASSED" if ok else "SOAK FAILED")
        return 0 if ok else 1
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())

"""Fault test: kill -9 the runtime (wasmtime serve) during mixed load, restart it on the same
port and key-value directory, CYCLES times. Checks: every failed request was in flight at a kill
or was sent while the server was down (connection refused); every request sent once the server
answered again succeeded; /metrics counters in the key-value store survive each restart (never go
backwards and count the requests served before the kill).

Environment: FSK_E2E_WASM, FSK_WASMTIME, PORT, KV_DIR, LOG, CYCLES (3), WORKERS (4),
UP_SECONDS (4): load time between kills."""

import os
import sys
import threading
import time

from mixed import Mix
from served import Served, metrics

env = os.environ.get
CYCLES = int(env("CYCLES", "3"))
WORKERS = int(env("WORKERS", "4"))
UP = float(env("UP_SECONDS", "4"))


def main():
    s = Served(env("FSK_E2E_WASM"), env("FSK_WASMTIME"), env("KV_DIR"), int(env("PORT")), env("LOG"))
    s.start()
    mix = Mix(s.port, seed=7)
    log, lock = [], threading.Lock()  # (t_start, t_end, kind, ok, error)
    stop = threading.Event()

    def loop(w):
        i = w
        while not stop.is_set():
            t = time.monotonic()
            try:
                kind, _, ok = mix.one(i, timeout=20)
                err = None
            except Exception as e:
                kind, ok, err = "error", False, type(e).__name__
            with lock:
                log.append((t, time.monotonic(), kind, ok, err))
            i += WORKERS
            if err:
                time.sleep(0.01)  # back off a little while the server is down (not synchronisation)

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(WORKERS)]
    for t in threads:
        t.start()
    outages, failures = [], []
    try:
        for c in range(CYCLES):
            deadline = time.monotonic() + UP
            while time.monotonic() < deadline:  # load for UP seconds
                time.sleep(0.05)
            before = metrics(s.port)["fskhttp_requests_total"]
            kill_at = time.monotonic()
            s.kill()
            up_at = s.start()
            after = metrics(s.port)["fskhttp_requests_total"]
            outages.append((kill_at, up_at))
            print(f"cycle {c + 1}: killed, back in {(up_at - kill_at) * 1000:.0f} ms; "
                  f"requests_total {before:.0f} before the kill, {after:.0f} after the restart", flush=True)
            if after < before:
                failures.append(f"cycle {c + 1}: requests_total went backwards {before} -> {after}")
        deadline = time.monotonic() + UP
        while time.monotonic() < deadline:
            time.sleep(0.05)
        # Then until every worker has finished a request sent after the last restart: a loaded
        # machine can take seconds per decode of the mix, so UP alone may see none (bounded).
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            with lock:
                done = sum(1 for r in log if r[0] > outages[-1][1])
            if done >= WORKERS:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    final = metrics(s.port)
    s.stop()

    def explained(t0, t1):
        """In flight at a kill, or sent while the server was down."""
        return any(t0 <= k <= t1 or k <= t0 <= u for k, u in outages)

    bad = [r for r in log if not r[3] and not explained(r[0], r[1])]
    failed = [r for r in log if not r[3]]
    after_up = [r for r in log if r[0] > outages[-1][1]]
    print(f"requests: {len(log)}, failed {len(failed)} (all in flight at a kill or sent while down: "
          f"{len(failed) - len(bad)}), unexplained failures {len(bad)}")
    print(f"after the last restart: {len(after_up)} requests, {sum(1 for r in after_up if not r[3])} failed")
    ok_served = sum(1 for r in log if r[3])
    print(f"final requests_total {final['fskhttp_requests_total']:.0f} >= successful client requests {ok_served}")
    if final["fskhttp_requests_total"] < ok_served:
        failures.append("counters lost: fewer requests counted than served")
    if bad:
        failures.append(f"unexplained failures: {bad[:5]}")
    if not after_up or any(not r[3] for r in after_up):
        failures.append("requests after the last restart failed")
    for f in failures:
        print("FAIL:", f)
    print("FAULT TEST PASSED" if not failures else "FAULT TEST FAILED")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

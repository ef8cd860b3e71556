"""scripts/bench-speed: ggwave (Python package, in process) vs ours (examples/bench_table.rs, in
process), same inputs, same machine, one run. Wall-clock medians, single-threaded."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "peer"))
from ggpeer import gg_decode, gg_encode, read_wav, write_wav  # noqa: E402

MIN_SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))

# ggwave's whole-process CLI CPU times (shared/ggwave/README.md), for reference.
CLI_MS = {
    "encode_140_p1_48k": 19.5,
    "encode_140_p1_44k": 452,
    "decode_hello_p1": 10.4,
    "decode_140_p1": 17.2,
    "decode_noise_60s": 20,
    "decode_hello_p1_44k": 418,
}
LABELS = {
    "encode_140_p1_48k": "encode 140 B, protocol 1, 48 kHz",
    "encode_140_p1_44k": "encode 140 B, protocol 1, 44.1 kHz",
    "decode_hello_p1": "decode \"Hello World\" (p1, 1.45 s)",
    "decode_140_p1": "decode 140 B (p1, 9.26 s)",
    "decode_noise_60s": "decode 60 s of white noise",
    "decode_hello_p1_44k": "decode \"Hello World\" at 44.1 kHz",
}


def bench(fn):
    times, found = [], None
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < MIN_SECONDS:
        t = time.perf_counter()
        found = fn()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return {"median_ms": times[len(times) // 2], "min_ms": times[0], "reps": len(times),
            "found": found}


def git_state():
    r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                       text=True)
    return r.stdout.strip() or "unknown"


def main():
    rng = np.random.default_rng(140)
    payload = rng.integers(0, 256, 140, dtype=np.uint8).tobytes()
    d = Path(tempfile.mkdtemp(prefix="fsk-bench-speed-"))
    (d / "payload.bin").write_bytes(payload)
    # The inputs, all made by ggwave itself, 16-bit like ggwave-to-file's.
    hello = gg_encode(b"Hello World", 1, 50)
    write_wav(d / "hello.wav", hello, 48000, float32=False)
    write_wav(d / "long.wav", gg_encode(payload, 1, 50), 48000, float32=False)
    noise = (np.random.default_rng(60).standard_normal(60 * 48000) * 0.1).astype(np.float32)
    write_wav(d / "noise.wav", noise, 48000, float32=False)
    write_wav(d / "hello44.wav", gg_encode(b"Hello World", 1, 50, rate=44100), 44100,
              float32=False)
    inputs = {n: read_wav((d / f"{n}.wav").read_bytes()) for n in
              ("hello", "long", "noise", "hello44")}

    # ggwave, in process. Decoding: the 16-bit samples as float32 (conversion not timed).
    gg = {}
    gg["encode_140_p1_48k"] = bench(lambda: len(gg_encode(payload, 1, 50)))
    gg["encode_140_p1_44k"] = bench(lambda: len(gg_encode(payload, 1, 50, rate=44100)))
    for op, name in [("decode_hello_p1", "hello"), ("decode_140_p1", "long"),
                     ("decode_noise_60s", "noise"), ("decode_hello_p1_44k", "hello44")]:
        rate, x = inputs[name]
        gg[op + "/1024"] = bench(lambda: len(gg_decode(x, rate=rate, chunk=1024)))
        gg[op + "/whole"] = bench(lambda: len(gg_decode(x, rate=rate, chunk=None)))

    # ours, in process, same files.
    exe = TARGET / "release" / "examples" / "bench_table"
    ours = json.loads(subprocess.run([str(exe), str(d), str(MIN_SECONDS)], check=True,
                                     capture_output=True, text=True).stdout)

    print(f"Speed, one run on {os.uname().nodename} ({os.cpu_count()} CPUs), "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, code at {git_state()}. Median wall time per operation, "
          "single-threaded, in process; 'msgs' = messages found.\n")
    print("| operation | ours ms (msgs) | ours from float32 ms | ggwave py ms, 1024-sample chunks "
          "(msgs) | ggwave py ms, whole buffer (msgs) | ggwave / ours | same, fastest runs | "
          "ggwave / ours, both from float32 | ggwave CLI process (README) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op, label in LABELS.items():
        o = ours[op]
        if op.startswith("encode"):
            g1, gw = gg[op], None
        else:
            g1, gw = gg[op + "/1024"], gg[op + "/whole"]
        best = min(g1["median_ms"], gw["median_ms"]) if gw else g1["median_ms"]
        ratio = best / o["median_ms"]
        best_min = min(g1["min_ms"], gw["min_ms"]) if gw else g1["min_ms"]
        ratio_min = best_min / o["min_ms"]
        msgs = "" if op.startswith("encode") else f" ({o['found']})"
        c1 = f"{g1['median_ms']:.2f}" + ("" if op.startswith("encode") else f" ({g1['found']})")
        cw = f"{gw['median_ms']:.2f} ({gw['found']})" if gw else "-"
        f32 = ours.get(op + "/samples")
        of = f"{f32['median_ms']:.2f}" if f32 else "-"
        rf = f"{best / f32['median_ms']:.1f}x" if f32 else "-"
        print(f"| {label} | {o['median_ms']:.2f}{msgs} | {of} | {c1} | {cw} | {ratio:.1f}x | "
              f"{ratio_min:.1f}x | {rf} | {CLI_MS[op]} ms |")
    print("\nggwave / ours = ggwave's faster feeding (1024-chunk or whole buffer) divided by ours, "
          "medians; 'fastest runs' = the same ratio of minimum times (less sensitive to a shared "
          "machine); goal >= 3x. 'ours' includes parsing the WAV file, while ggwave is handed float32 "
          "samples (conversion not timed); 'ours from float32' is our decoder given those same "
          "float32 samples (the like-for-like input), and the 'both from float32' ratio uses it. ggwave's decode of the 44.1 kHz file in 1024-sample chunks is its "
          "ggwave-from-file path (PROTOCOL.md section 10.6).")


if __name__ == "__main__":
    main()

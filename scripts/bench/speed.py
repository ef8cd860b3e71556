"""scripts/bench-speed: ggwave (Python package, in process) vs ours (tools/bench_table.rs, in
process), same inputs, same machine, one run. Wall-clock medians, single-threaded.

The two are measured in ROUNDS interleaved rounds (ours, then ggwave, then ours again...), each
operation for MIN_SECONDS / ROUNDS per round, and every ratio is taken within a round: a slow
spell of this shared VM then hits both sides of a ratio instead of one. The table gives the
median over the rounds, and the lowest round's ratio."""

import statistics

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
ROUNDS = int(os.environ.get("ROUNDS", "5"))
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))

# ggwave's whole-process CLI CPU times, with their tools, machine and inputs (ggwave-cli-ms.json).
CLI = json.loads((Path(__file__).parent / "ggwave-cli-ms.json").read_text())
CLI_MS = CLI["ms"]
LABELS = {
    "encode_140_p1_48k": "encode 140 B, protocol 1, 48 kHz",
    "encode_140_p1_44k": "encode 140 B, protocol 1, 44.1 kHz",
    "decode_hello_p1": "decode \"Hello World\" (p1, 1.45 s)",
    "decode_140_p1": "decode 140 B (p1, 9.26 s)",
    "decode_noise_60s": "decode 60 s of white noise",
    "decode_hello_p1_44k": "decode \"Hello World\" at 44.1 kHz",
}


def bench(fn, seconds):
    times, found = [], None
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
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

    exe = TARGET / "release" / "examples" / "bench_table"
    per = max(MIN_SECONDS / ROUNDS, 0.2)
    gg_rounds, our_rounds = [], []
    for _ in range(ROUNDS):
        # ours, in process, same files.
        our_rounds.append(json.loads(subprocess.run(
            [str(exe), str(d), str(per)], check=True, capture_output=True, text=True).stdout))
        # ggwave, in process. Decoding: the 16-bit samples as float32 (conversion not timed).
        gg = {}
        gg["encode_140_p1_48k"] = bench(lambda: len(gg_encode(payload, 1, 50)), per)
        gg["encode_140_p1_44k"] = bench(lambda: len(gg_encode(payload, 1, 50, rate=44100)), per)
        for op, name in [("decode_hello_p1", "hello"), ("decode_140_p1", "long"),
                         ("decode_noise_60s", "noise"), ("decode_hello_p1_44k", "hello44")]:
            rate, x = inputs[name]
            gg[op + "/1024"] = bench(lambda: len(gg_decode(x, rate=rate, chunk=1024)), per)
            gg[op + "/whole"] = bench(lambda: len(gg_decode(x, rate=rate, chunk=None)), per)
        gg_rounds.append(gg)

    def med(rounds, key, field="median_ms"):
        vals = [r[key][field] for r in rounds if key in r]
        return statistics.median(vals) if vals else None

    def gg_best(gg, op):
        if op.startswith("encode"):
            return gg[op]["median_ms"]
        return min(gg[op + "/1024"]["median_ms"], gg[op + "/whole"]["median_ms"])

    print(f"Speed, one run on {os.uname().nodename} ({os.cpu_count()} CPUs), "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, code at {git_state()}. Median wall time per operation, "
          f"single-threaded, in process, {ROUNDS} interleaved rounds; 'msgs' = messages found.\n")
    print("| operation | ours ms (msgs) | ours from float32 ms | ggwave py ms, 1024-sample chunks "
          "(msgs) | ggwave py ms, whole buffer (msgs) | ggwave / ours | lowest round | "
          "ggwave / ours, both from float32 | ggwave CLI process (ggwave-cli-ms.json) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op, label in LABELS.items():
        ratios = [gg_best(g, op) / o[op]["median_ms"] for g, o in zip(gg_rounds, our_rounds)]
        f32_ratios = [gg_best(g, op) / o[op + "/samples"]["median_ms"]
                      for g, o in zip(gg_rounds, our_rounds) if op + "/samples" in o]
        found = our_rounds[-1][op]["found"]
        msgs = "" if op.startswith("encode") else f" ({found})"
        if op.startswith("encode"):
            c1, cw = f"{med(gg_rounds, op):.2f}", "-"
        else:
            c1 = f"{med(gg_rounds, op + '/1024'):.2f} ({gg_rounds[-1][op + '/1024']['found']})"
            cw = f"{med(gg_rounds, op + '/whole'):.2f} ({gg_rounds[-1][op + '/whole']['found']})"
        of = med(our_rounds, op + "/samples")
        of = f"{of:.2f}" if of is not None else "-"
        rf = f"{statistics.median(f32_ratios):.1f}x" if f32_ratios else "-"
        print(f"| {label} | {med(our_rounds, op):.2f}{msgs} | {of} | {c1} | {cw} | "
              f"{statistics.median(ratios):.1f}x | {min(ratios):.1f}x | {rf} | {CLI_MS[op]} ms |")
    print("\nggwave / ours = ggwave's faster feeding (1024-chunk or whole buffer) divided by ours, "
          f"medians, measured within each of the {ROUNDS} interleaved rounds; the table shows the "
          "median over the rounds and the lowest round ('lowest round'); times are medians over "
          "the rounds. Goal >= 3x. 'ours' includes parsing the WAV file, while ggwave is handed float32 "
          "samples (conversion not timed); 'ours from float32' is our decoder given those same "
          "float32 samples (the like-for-like input), and the 'both from float32' ratio uses it. ggwave's decode of the 44.1 kHz file in 1024-sample chunks is its "
          "ggwave-from-file path (docs/protocol.md section 11.4).")


if __name__ == "__main__":
    main()

"""scripts/bench-channels: ggwave's decoder and ours on identical, seeded audio through the channels
people use: rooms, telephone lines, low-bitrate codecs, cheap speakers and microphones, drift in a
room, 44.1 kHz devices, and combinations of them with noise.

Every trial: "Hello World" made by ggwave.encode (volume 50, 48 kHz float), a seeded random lead-in
of 0.1-0.4 s and 1 s of silence after (room for a reverberation tail), then the condition's steps in
order (below), then both decoders on the very same samples at the channel's output rate: ggwave's
Python receiver fed 1024-sample chunks (sampleRateInp = that rate), ours examples/decode_many.rs
(decode_samples, default options). A trial succeeds when the payload is among the messages; "wrong"
counts trials that reported any other payload.

Steps (numpy unless said; every random draw comes from the trial's seeded generator):
  * room(size): convolution with a synthetic room impulse response drawn fresh for each trial:
    a direct path, 8 early reflections (random delays up to the mixing time, random signs, decaying)
    and a diffuse tail of exponentially decaying Gaussian noise (amplitude -60 dB at RT60; above
    6 kHz it decays 1.6x faster, as air and walls absorb high frequencies), scaled to a drawn
    direct-to-reverberant ratio. Sizes: small RT60 0.2-0.35 s, DRR +4..+10 dB; medium 0.4-0.7 s,
    0..+6 dB; large 0.8-1.1 s, -2..+4 dB; hall 1.2-1.5 s, -4..+2 dB. Output rescaled to the input's
    peak.
  * sox_reverb: sox's `reverb 90 20 100` (reverberance 90 %, HF damping 20 %, room scale 100 %: a
    large live room, dry + wet), as a second, independent room model.
  * noise(snr): white Gaussian noise over the whole band of the current rate, its variance set from
    the SNR and the mean power of the signal over the transmission span.
  * band(lo, hi, order): zero-phase Butterworth-magnitude band-pass (FFT mask).
  * drive(g): overdriven amplifier, tanh(g x)/tanh(g) on the signal normalised to peak 1.
  * clip(g): gain g on the signal normalised to peak 1, then hard clipping at +-1.
  * agc: a microphone's automatic gain control: envelope follower (5 ms attack, 400 ms release)
    driving gain toward a fixed level, at most +30 dB, so noise is pumped up in the pauses.
  * drift(d): the buffer played (1+d) times faster (4x FFT oversampling + linear interpolation).
  * rate(r): FFT resampling to r Hz (a device running at r).
  * phone(law): sox: 300-3400 Hz band (sinc), 8 kHz; then G.711 mu-law or A-law round trip (sox,
    8-bit) back to float; `compand` adds a speech compander (sox compand 0.01,0.25 6:-70,-60,-20 -5).
  * mp3(kbps): lame -b kbps (its default resampling/low-pass), decoded with lame --decode.
  * opus(kbps): opusenc --bitrate kbps, decoded with opusdec at 48 kHz.
Every sox call runs with -D (no dither), so a run repeats exactly. Protocols a channel cannot carry
(tones outside its band) are shown as n/a.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "peer"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ggpeer import gg_decode, gg_encode  # noqa: E402
from robustness import cell, drift, git_state, ours_decode, resample_fft, score  # noqa: E402

PAYLOAD = b"Hello World"
RATE = 48000
NAMES = ["Normal", "Fast", "Fastest", "[U] Normal", "[U] Fast", "[U] Fastest", "[DT] Normal",
         "[DT] Fast", "[DT] Fastest"]
# Lowest and highest tone (Hz) of each protocol's band (markers and data).
BAND_HZ = {0: (1875, 6328), 1: (1875, 6328), 2: (1875, 6328), 3: (15000, 19453),
           4: (15000, 19453), 5: (15000, 19453), 6: (1125, 2578), 7: (1125, 2578), 8: (1125, 2578)}
ROOMS = {  # RT60 range (s), DRR range (dB)
    "small": ((0.2, 0.35), (4, 10)),
    "medium": ((0.4, 0.7), (0, 6)),
    "large": ((0.8, 1.1), (-2, 4)),
    "hall": ((1.2, 1.5), (-4, 2)),
}

# (family, name, steps, passband (Hz) the channel carries)
FULL = (0, 24000)
CONDITIONS = [
    ("reverberation", "small room (RT60 0.2-0.35 s)", [("room", "small")], FULL),
    ("reverberation", "medium room (RT60 0.4-0.7 s)", [("room", "medium")], FULL),
    ("reverberation", "large room (RT60 0.8-1.1 s)", [("room", "large")], FULL),
    ("reverberation", "hall (RT60 1.2-1.5 s)", [("room", "hall")], FULL),
    ("reverberation", "sox reverb 90 20 100 (large live room)", [("sox_reverb",)], FULL),
    ("reverberation", "medium room + SNR 10 dB", [("room", "medium"), ("noise", 10)], FULL),
    ("reverberation", "large room + SNR 0 dB", [("room", "large"), ("noise", 0)], FULL),
    ("telephone", "G.711 mu-law, 300-3400 Hz, 8 kHz, SNR 30 dB",
     [("phone", "mu-law", False, 30)], (300, 3400)),
    ("telephone", "G.711 A-law + compander, SNR 15 dB", [("phone", "a-law", True, 15)],
     (300, 3400)),
    ("telephone", "mu-law in a medium room, SNR 20 dB",
     [("room", "medium"), ("phone", "mu-law", False, 20)], (300, 3400)),
    ("telephone", "wideband 16 kHz, 100-7000 Hz, SNR 20 dB",
     [("band", 100, 7000, 4), ("noise", 20), ("rate", 16000)], (100, 7000)),
    ("codec", "MP3 64 kbps (lame)", [("mp3", 64)], (0, 15000)),
    ("codec", "MP3 32 kbps (lame)", [("mp3", 32)], (0, 11000)),
    ("codec", "Opus 24 kbps", [("opus", 24)], (0, 12000)),
    ("codec", "Opus 16 kbps", [("opus", 16)], (0, 8000)),
    ("codec", "Opus 8 kbps", [("opus", 8)], (0, 4000)),
    ("codec", "MP3 32 kbps, medium room, SNR 10 dB",
     [("room", "medium"), ("noise", 10), ("mp3", 32)], (0, 11000)),
    ("device", "cheap speaker 500-6500 Hz, overdriven x4",
     [("band", 500, 6500, 2), ("drive", 4.0)], (500, 6500)),
    ("device", "hard clipping (gain x4)", [("clip", 4.0)], FULL),
    ("device", "phone mic AGC, SNR 10 dB", [("noise", 10), ("agc",)], FULL),
    ("device", "laptop: 300-8000 Hz, overdrive, medium room, AGC, SNR 10 dB",
     [("band", 300, 8000, 2), ("drive", 3.0), ("room", "medium"), ("noise", 10), ("agc",)],
     (300, 8000)),
    ("drift", "medium room, drift +0.3 %", [("room", "medium"), ("drift", 0.003)], FULL),
    ("drift", "large room, drift -0.2 %", [("room", "large"), ("drift", -0.002)], FULL),
    ("drift", "small room, drift +0.4 %", [("room", "small"), ("drift", 0.004)], FULL),
    ("44.1 kHz", "medium room, 44.1 kHz device", [("room", "medium"), ("rate", 44100)], FULL),
    ("44.1 kHz", "cheap mic at 44.1 kHz: 200-9000 Hz, AGC, SNR 10 dB",
     [("band", 200, 9000, 2), ("noise", 10), ("agc",), ("rate", 44100)], (200, 9000)),
]


# ---------------------------------------------------------------------------------------------
# channel steps


def butter_mask(n, rate, lo, hi, order):
    f = np.fft.rfftfreq(n, 1 / rate)
    g = np.ones_like(f)
    if lo > 0:
        with np.errstate(divide="ignore"):
            g *= 1 / np.sqrt(1 + (lo / np.maximum(f, 1e-9)) ** (2 * order))
    if hi < rate / 2:
        g *= 1 / np.sqrt(1 + (f / hi) ** (2 * order))
    return g


def band(x, rate, lo, hi, order):
    return np.fft.irfft(np.fft.rfft(x) * butter_mask(len(x), rate, lo, hi, order), len(x))


def room_ir(rng, size, rate=RATE):
    (r0, r1), (d0, d1) = ROOMS[size]
    rt60, drr = rng.uniform(r0, r1), rng.uniform(d0, d1)
    n = int(rate * (1.2 * rt60 + 0.05))
    t = np.arange(n) / rate
    h = np.zeros(n)
    h[0] = 1.0
    t_mix = 0.006 + 0.03 * rt60
    for _ in range(8):
        d = rng.uniform(0.002, t_mix + 0.01)
        h[int(d * rate)] += rng.choice([-1, 1]) * rng.uniform(0.3, 0.8) * np.exp(-6.9 * d / rt60)
    noise = rng.standard_normal(n)
    spec = np.fft.rfft(noise)
    f = np.fft.rfftfreq(n, 1 / rate)
    low = np.fft.irfft(spec * (f < 6000), n)
    high = noise - low
    tail = low * np.exp(-6.9 * t / rt60) + high * np.exp(-6.9 * 1.6 * t / rt60)
    onset = np.clip((t - 0.5 * t_mix) / (0.5 * t_mix), 0, 1)
    tail *= onset
    early = float(np.sum(h ** 2))
    tail *= np.sqrt(early / (np.sum(tail ** 2) * 10 ** (drr / 10)))
    return h + tail


def convolve(x, h):
    n = len(x) + len(h) - 1
    m = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, m) * np.fft.rfft(h, m), m)[:n]
    return y


def renorm(y, peak):
    m = float(np.max(np.abs(y))) or 1.0
    return y * (peak / m)


def add_noise(x, rate, span, snr, rng):
    a, b = int(span[0] * rate), int(span[1] * rate)
    p = float(np.mean(x[a:b] ** 2)) if b > a else float(np.mean(x ** 2))
    return x + rng.standard_normal(len(x)) * np.sqrt(p / 10 ** (snr / 10))


def agc(x, rate):
    env = np.abs(x)
    # Envelope follower at 1 ms blocks.
    blk = rate // 1000
    nb = len(x) // blk + 1
    pad = np.zeros(nb * blk)
    pad[: len(x)] = env
    peaks = pad.reshape(nb, blk).max(axis=1)
    att, rel = np.exp(-1 / 5.0), np.exp(-1 / 400.0)
    e, out = 1e-4, np.empty(nb)
    for i, v in enumerate(peaks):
        e = att * e + (1 - att) * v if v > e else rel * e + (1 - rel) * v
        out[i] = e
    gain = np.minimum(0.5 / np.maximum(out, 1e-6), 10 ** (30 / 20))
    g = np.interp(np.arange(len(x)), np.arange(nb) * blk, gain)
    return np.clip(x * g, -1, 1)


def run(cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def raw_in(path, rate):
    return ["-t", "raw", "-r", str(rate), "-e", "floating-point", "-b", "32", "-c", "1", "-L",
            str(path)]


def raw_out(path):
    return ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-L", str(path)]


def sox_rate(path):
    r = subprocess.run(["soxi", "-r", str(path)], check=True, capture_output=True, text=True)
    return int(float(r.stdout.strip()))


def through_files(x, rate, fn):
    """Write x as raw float, let fn(dir, in_path) produce a raw float file and its rate."""
    with tempfile.TemporaryDirectory(prefix="bench-ch-") as d:
        d = Path(d)
        src = d / "in.raw"
        np.clip(x, -1, 1).astype("<f4").tofile(src)
        out, r = fn(d, src)
        return r, np.fromfile(out, dtype="<f4").astype(np.float64)


def phone(x, rate, law, compand, snr, span, rng):
    def first(d, src):
        eff = ["sinc", "300-3400"] + (["compand", "0.01,0.25", "6:-70,-60,-20", "-5"]
                                      if compand else [])
        run(["sox", "-D", *raw_in(src, rate), *raw_out(d / "b.raw"), *eff, "rate", "8000"])
        return d / "b.raw", 8000

    r, y = through_files(x, rate, first)
    y = add_noise(y, r, span, snr, rng)
    y = renorm(y, 0.7)

    def second(d, src):
        run(["sox", "-D", *raw_in(src, r), "-t", "wav", "-e", law, "-b", "8", str(d / "g711.wav")])
        run(["sox", "-D", str(d / "g711.wav"), *raw_out(d / "c.raw")])
        return d / "c.raw", r

    return through_files(y, r, second)


def sox_reverb(x, rate):
    def fn(d, src):
        run(["sox", "-D", *raw_in(src, rate), *raw_out(d / "o.raw"), "gain", "-6", "reverb", "90", "20",
             "100", "pad", "0", "1.5"])
        return d / "o.raw", rate

    r, y = through_files(x, rate, fn)
    return r, renorm(y, float(np.max(np.abs(x))))


def mp3(x, rate, kbps):
    def fn(d, src):
        run(["sox", "-D", *raw_in(src, rate), "-b", "16", str(d / "a.wav")])
        run(["lame", "--quiet", "-b", str(kbps), str(d / "a.wav"), str(d / "a.mp3")])
        run(["lame", "--quiet", "--decode", str(d / "a.mp3"), str(d / "b.wav")])
        r = sox_rate(d / "b.wav")
        run(["sox", "-D", str(d / "b.wav"), *raw_out(d / "b.raw")])
        return d / "b.raw", r

    return through_files(x, rate, fn)


def opus(x, rate, kbps):
    def fn(d, src):
        run(["sox", "-D", *raw_in(src, rate), "-b", "16", str(d / "a.wav")])
        run(["opusenc", "--quiet", "--bitrate", str(kbps), str(d / "a.wav"), str(d / "a.opus")])
        run(["opusdec", "--quiet", "--rate", "48000", str(d / "a.opus"), str(d / "b.wav")])
        run(["sox", "-D", str(d / "b.wav"), *raw_out(d / "b.raw")])
        return d / "b.raw", 48000

    return through_files(x, rate, fn)


def make_signal(tx, steps, rng):
    lead = rng.uniform(0.1, 0.4)
    x = np.concatenate([np.zeros(int(lead * RATE)), tx.astype(np.float64), np.zeros(RATE)])
    rate = RATE
    span = (lead, lead + len(tx) / RATE)
    peak = float(np.max(np.abs(tx)))
    for st in steps:
        kind = st[0]
        if kind == "room":
            x = renorm(convolve(x, room_ir(rng, st[1], rate)), peak)
        elif kind == "sox_reverb":
            rate, x = sox_reverb(x, rate)
        elif kind == "noise":
            x = add_noise(x, rate, span, st[1], rng)
        elif kind == "band":
            x = band(x, rate, st[1], st[2], st[3])
        elif kind == "drive":
            x = np.tanh(st[1] * x / np.max(np.abs(x))) / np.tanh(st[1]) * 0.9
        elif kind == "clip":
            x = np.clip(st[1] * x / np.max(np.abs(x)), -1, 1) * 0.9
        elif kind == "agc":
            x = agc(x, rate)
        elif kind == "drift":
            x = drift(x, st[1]).astype(np.float64)
            span = (span[0] / (1 + st[1]), span[1] / (1 + st[1]))
        elif kind == "rate":
            x = resample_fft(x, st[1]).astype(np.float64) if rate == RATE else x
            rate = st[1]
        elif kind == "phone":
            rate, x = phone(x, rate, st[1], st[2], st[3], span, rng)
        elif kind == "mp3":
            rate, x = mp3(x, rate, st[1])
        elif kind == "opus":
            rate, x = opus(x, rate, st[1])
        else:
            raise ValueError(kind)
    return rate, np.clip(x, -1, 1).astype(np.float32)


def carried(proto, passband):
    lo, hi = BAND_HZ[proto]
    return lo >= passband[0] and hi <= passband[1]


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--quick", action="store_true", help="3 trials per cell (for tests)")
    ap.add_argument("--protocols", default="0,1,2,4,7")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", default="", help="conditions whose name contains this text")
    ap.add_argument("--family", default="", help="conditions of this family only")
    ap.add_argument("--json", help="write the raw table here")
    ap.add_argument("--dump", help="save signals ours failed on here (rate_proto_cond_trial.f32)")
    ap.add_argument("--write", action="store_true",
                    help="write the table into docs/robustness.md (its bench-channels section)")
    args = ap.parse_args()
    trials = 3 if args.quick else args.trials
    protos = [int(p) for p in args.protocols.split(",")]
    conds = [(i, c) for i, c in enumerate(CONDITIONS)
             if args.only in c[1] and args.family in c[0]]
    t0 = time.time()
    table = {}
    pool = ThreadPoolExecutor(2)
    txs = {p: gg_encode(PAYLOAD, p, 50) for p in protos}
    for ci, (fam, name, steps, passband) in conds:
        for proto in protos:
            if not carried(proto, passband):
                continue
            signals = list(pool.map(
                lambda t: make_signal(txs[proto], steps,
                                      np.random.default_rng([args.seed, ci, proto, t])),
                range(trials)))
            box = {}
            th = threading.Thread(target=lambda: box.update(r=ours_decode(signals)))
            th.start()
            theirs = [gg_decode(x, rate=r, chunk=1024) for r, x in signals]
            th.join()
            table[(ci, proto)] = (score(theirs), score(box["r"]))
            if args.dump:
                for t, ((r, x), res) in enumerate(zip(signals, box["r"])):
                    if PAYLOAD not in res:
                        Path(args.dump).mkdir(parents=True, exist_ok=True)
                        x.astype("<f4").tofile(Path(args.dump) / f"{r}_{proto}_{ci}_{t}.f32")
        print(f"{name} ({time.time() - t0:.0f} s)", file=sys.stderr)
    elapsed = time.time() - t0

    cmd = "scripts/bench-channels" + (" --quick" if args.quick else f" --trials {trials}") + \
        f" --protocols {args.protocols} --seed {args.seed}"
    if args.only:
        cmd += f" --only '{args.only}'"
    if args.family:
        cmd += f" --family '{args.family}'"
    lines = [
        f"Generated by `{cmd}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, code at "
        f"{git_state()} ({elapsed:.0f} s). \"Hello World\", volume 50, {trials} trials per cell "
        "(a fresh seeded room, noise and lead-in per trial), success % and, in bold, trials that "
        "reported a WRONG payload; n/a: the channel does not carry that protocol's band. Method: "
        "scripts/bench/channels.py (docstring).",
        "",
    ]
    head = "| family | condition | " + " | ".join(
        f"p{p} {NAMES[p]}: ggwave | p{p}: ours" for p in protos) + " |"
    lines += [head, "|---|---|" + "---|---|" * len(protos)]
    totals = [0, 0]
    for ci, (fam, name, _, _) in conds:
        cells = []
        for p in protos:
            if (ci, p) not in table:
                cells += ["n/a", "n/a"]
                continue
            (go, gw), (oo, ow) = table[(ci, p)]
            totals[0] += gw
            totals[1] += ow
            cells += [cell(go, gw, trials), cell(oo, ow, trials)]
        lines.append(f"| {fam} | {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Wrong payloads in the whole table: ggwave {totals[0]}, ours {totals[1]}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "trials": trials, "protocols": protos,
            "cells": [{"condition": CONDITIONS[ci][1], "family": CONDITIONS[ci][0],
                       "protocol": p, "ggwave": list(g), "ours": list(o)}
                      for (ci, p), (g, o) in table.items()]}, indent=1))
    if args.write:
        path = ROOT / "docs" / "robustness.md"
        doc = path.read_text()
        begin, end = "<!-- bench-channels:begin -->", "<!-- bench-channels:end -->"
        block = f"{begin}\n{text}{end}"
        if begin in doc and end in doc:
            doc = doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end):]
        else:
            doc = doc.rstrip("\n") + "\n\n## Channels: rooms, telephone, codecs, devices\n\n" + \
                block + "\n"
        path.write_text(doc)
        print("wrote docs/robustness.md", file=sys.stderr)


if __name__ == "__main__":
    main()

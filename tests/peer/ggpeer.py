"""The live peer: the real ggwave 0.4.3 Python package, plus helpers to drive our `fsk` CLI.

Everything here is deterministic: payloads and noise come from seeded numpy generators.
"""

import json
import os
import struct
import subprocess
from pathlib import Path

import ggwave
import numpy as np

ggwave.disableLog()

ROOT = Path(__file__).resolve().parents[2]
RATE = 48000
# ggwave's operating-mode flag that turns DSS on (its Python binding, 0.4.3).
MODE_USE_DSS = 16


def fsk_bin() -> Path:
    """The release CLI, built by scripts/test.d/20-peer.sh (override with FSK_BIN)."""
    env = os.environ.get("FSK_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "fsk"


# ---------------------------------------------------------------------------------------------
# ggwave side


def _params(rate=RATE, fixed=None, dss=False, out_rate=RATE):
    par = ggwave.getDefaultParameters()
    par["sampleRateInp"] = float(rate)
    par["sampleRateOut"] = float(out_rate)
    if fixed is not None:
        par["payloadLength"] = int(fixed)
    if dss:
        par["operatingMode"] = par["operatingMode"] | MODE_USE_DSS
    return par


def gg_encode(payload: bytes, protocol=1, volume=50, fixed=None, dss=False, rate=RATE):
    """ggwave's own waveform: float32 samples at `rate` (its own resampler when not 48 kHz)."""
    inst = ggwave.init(_params(fixed=fixed, dss=dss, out_rate=rate))
    try:
        raw = ggwave.encode(payload, protocolId=protocol, volume=volume, instance=inst)
    finally:
        ggwave.free(inst)
    assert raw is not None, "ggwave refused to encode"
    return np.frombuffer(raw, dtype=np.float32).copy()


def gg_decode(samples, rate=RATE, fixed=None, dss=False, chunk=1024) -> list:
    """Every message ggwave's receiver reports, feeding `chunk` samples a call (None = whole
    buffer in one call, which reports at most one message)."""
    buf = np.ascontiguousarray(samples, dtype=np.float32)
    inst = ggwave.init(_params(rate=rate, fixed=fixed, dss=dss))
    out = []
    try:
        step = len(buf) if chunk is None else chunk
        for i in range(0, len(buf), max(step, 1)):
            r = ggwave.decode(inst, buf[i : i + step].tobytes())
            if r is not None:
                out.append(bytes(r))
    finally:
        ggwave.free(inst)
    return out


# ---------------------------------------------------------------------------------------------
# WAV files


def read_wav(data: bytes):
    """(rate, float32 mono samples) of a mono 16-bit PCM or 32-bit float WAV (plain or extensible)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    at, fmt, samples = 12, None, None
    while at + 8 <= len(data):
        cid, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        body = data[at + 8 : at + 8 + size]
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the format is the sub-format GUID's first field
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            samples = body
            break
        at += 8 + size + (size & 1)
    tag, ch, rate, bits = fmt
    assert ch == 1
    if tag == 3 and bits == 32:
        x = np.frombuffer(samples, dtype="<f4").astype(np.float32)
    elif tag == 1 and bits == 16:
        x = np.frombuffer(samples, dtype="<i2").astype(np.float32) / 32768.0
    else:
        raise AssertionError(f"unexpected WAV format {fmt}")
    return rate, x


def write_wav(path, samples, rate=RATE, float32=True):
    """A standard mono WAV (IEEE float 32-bit, or 16-bit PCM)."""
    x = np.asarray(samples, dtype=np.float32)
    if float32:
        data, tag, bits = x.astype("<f4").tobytes(), 3, 32
    else:
        data, tag, bits = (np.clip(x, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes(), 1, 16
    ba = bits // 8
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, tag, 1, int(rate), int(rate) * ba, ba, bits)
    hdr += b"data" + struct.pack("<I", len(data))
    Path(path).write_bytes(hdr + data)


# ---------------------------------------------------------------------------------------------
# our side (the CLI)


def fsk(*args, input=None, check=True):
    r = subprocess.run(
        [str(fsk_bin()), *map(str, args)], input=input, capture_output=True, timeout=120
    )
    if check and r.returncode != 0:
        raise AssertionError(f"fsk {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr!r}")
    return r


def fsk_encode(tmp, payload: bytes, protocol=1, volume=50, rate=RATE, fixed=None, dss=False,
               fmt="f32", extra=()):
    """Our encoder through the CLI (payload as --hex); returns (rate, float32 samples). `extra`
    adds arguments (e.g. ["--framing", "none"])."""
    out = Path(tmp) / f"enc_{protocol}_{rate}_{len(payload)}.wav"
    args = ["encode", "--protocol", protocol, "--volume", volume, "--sample-rate", rate,
            "--format", fmt, "--hex", payload.hex(), "--output", out]
    if fixed is not None:
        args += ["--fixed-length", fixed]
    if dss:
        args.append("--dss")
    args += list(extra)
    fsk(*args)
    return read_wav(out.read_bytes())


def fsk_decode(path, fixed=None, dss=False) -> dict:
    """Our decoder through the CLI; the parsed --json document."""
    args = ["decode", "--json"]
    if fixed is not None:
        args += ["--fixed-length", fixed]
    if dss:
        args.append("--dss")
    r = fsk(*args, path)
    return json.loads(r.stdout)


def payloads_of(doc) -> list:
    return [bytes.fromhex(m["hex"]) for m in doc["messages"]]


# ---------------------------------------------------------------------------------------------
# seeded payloads


def random_payload(rng, n, text=False) -> bytes:
    if text:
        alphabet = np.frombuffer(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?-_/", np.uint8
        )
        return alphabet[rng.integers(0, len(alphabet), n)].tobytes()
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()

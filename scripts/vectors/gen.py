"""scripts/gen-vectors: the ggwave reference vectors, made by the pinned PyPI ggwave (0.4.3).

Every case is one call of ggwave's Python API, `ggwave.encode(payload, protocolId, volume,
instance=ggwave.init(params))` with params.sampleRateOut, .sampleFormatOut (I16 or F32),
.payloadLength (fixed length) and .operatingMode (| DSS); the samples it returns are written
unchanged into a mono WAV with a 44-byte header. Deterministic: same ggwave, same bytes.

File names: <header>_<payload>_p<protocol>_<rate>_v<volume>[_l<fixed>][_dss][_<fmt>].wav, where
header `cli` = the header ggwave-to-file writes (RIFF size field = 28 + data bytes) and `py` = the
standard one (36 + data bytes); payload `A`, `hello` ("Hello World") or `bin` (40 bytes with 0x00
and 0x0a). tests/data/ggwave/README.md says how these compare with ggwave-to-file's own files.

Usage: gen.py --out DIR [--set full|committed] [--cache]
  --set committed: only the cases committed under tests/data/ggwave (default: every case).
  --cache: DIR is a cache; skip when DIR/.stamp matches this script, the set and ggwave's version.
"""

import argparse
import hashlib
import json
import shutil
import struct
import sys
from importlib import metadata
from pathlib import Path

import ggwave

ggwave.disableLog()

GGWAVE_VERSION = "0.4.3"
# ggwave's enums (ggwave.h): sample formats and operating-mode flags.
FMT_I16, FMT_F32 = 4, 5
MODE_USE_DSS = 16
NAMES = ["Normal", "Fast", "Fastest", "[U] Normal", "[U] Fast", "[U] Fastest", "[DT] Normal",
         "[DT] Fast", "[DT] Fastest", "[MT] Normal", "[MT] Fast", "[MT] Fastest"]
PAYLOADS = {
    "A": b"A",
    "hello": b"Hello World",
    # Bytes a text line cannot carry (0x0a, 0x00), then 7, 14, ..., 252.
    "bin": b"\x0a\x00\x0d\x00" + bytes(7 * i for i in range(1, 37)),
}
CLI_HEADER = "ggwave-to-file style: RIFF size = 28 + data bytes"
STD_HEADER = "standard: RIFF size = 36 + data bytes"


def case(header, payload, protocol, rate, volume, fixed=None, dss=False, fmt="s16", name=None,
         committed=False, note=None):
    if name is None:
        name = f"{header}_{payload}_p{protocol:02d}_{rate}_v{volume}"
        name += f"_l{fixed}" if fixed else ""
        name += "_dss" if dss else ""
        name += f"_{fmt}" if header == "py" else ""
        name += ".wav"
    return dict(file=name, header=header, payload=payload, protocol=protocol, rate=rate,
                volume=volume, fixed=fixed, dss=dss, fmt=fmt, committed=committed, note=note)


def cases():
    c = [case("cli", "hello", 1, 48000, 50, name="cli_default_hello_p01_48000_v50.wav",
              committed=True, note="the case of ggwave-to-file with no flags (-p1 -v50 -s48000)")]
    # Every protocol at 48 kHz, one-byte and "Hello World" payloads.
    for p in range(9):
        c.append(case("cli", "A", p, 48000, 50, committed=p in (1, 6, 7)))
        c.append(case("cli", "hello", p, 48000, 50))
    # Volumes.
    for p in (0, 1, 6):
        for v in (10, 100):
            c.append(case("cli", "hello", p, 48000, v, committed=(p, v) == (0, 100)))
    # Rates ggwave resamples to (its own resampler).
    for p in range(9):
        c.append(case("cli", "hello", p, 44100, 50, committed=p == 1))
    c += [case("cli", "hello", 1, 44100, v) for v in (10, 100)]
    for p in range(9):
        c.append(case("cli", "hello", p, 16000, 50, committed=p == 1))
    c += [case("cli", "hello", 1, 16000, v) for v in (10, 100)]
    c += [case("cli", "A", 1, 22050, 50, committed=True),
          case("cli", "hello", 1, 96000, 50),
          case("cli", "hello", 1, 8000, 50, committed=True)]
    # Fixed length (no length byte, no end marker); the payload zero-padded to 16 in the _l16 cases.
    for p in range(12):
        c.append(case("cli", "hello", p, 48000, 50, fixed=11, committed=p in (2, 3, 4, 5, 8)))
    # Not among ggwave-to-file's reference files: short multi-tone messages, so that the committed
    # set carries every protocol within about 2 MB. (Fixed length 2: at length 1 the decoders cannot
    # tell some protocols apart.)
    c += [case("cli", "A", p, 48000, 50, fixed=2, committed=True,
               note="extra case, not in the ggwave-to-file reference set; payload zero-padded to 2")
          for p in (9, 10, 11)]
    c += [case("cli", "hello", p, 48000, 50, fixed=16, committed=p == 1,
               note="payload zero-padded to 16") for p in (1, 9)]
    # DSS.
    c += [case("cli", "hello", 1, 48000, 50, dss=True),
          case("cli", "hello", 1, 48000, 50, fixed=11, dss=True, committed=True),
          case("cli", "hello", 9, 48000, 50, fixed=11, dss=True),
          case("cli", "hello", 9, 44100, 50, fixed=11)]
    # Standard headers, float32 output, binary payloads.
    c += [case("py", "hello", 1, 48000, 50),
          case("py", "hello", 1, 48000, 10, fmt="f32", committed=True),
          case("py", "bin", 1, 48000, 50, committed=True),
          case("py", "bin", 6, 48000, 50),
          case("py", "bin", 1, 44100, 50),
          case("py", "hello", 10, 48000, 50, fixed=11)]
    return c


def encode(c) -> bytes:
    """ggwave.encode's output for a case: raw little-endian samples in the requested format."""
    par = ggwave.getDefaultParameters()
    par["sampleRateOut"] = float(c["rate"])
    par["sampleFormatOut"] = FMT_F32 if c["fmt"] == "f32" else FMT_I16
    par["payloadLength"] = c["fixed"] if c["fixed"] else -1
    if c["dss"]:
        par["operatingMode"] = par["operatingMode"] | MODE_USE_DSS
    inst = ggwave.init(par)
    try:
        raw = ggwave.encode(PAYLOADS[c["payload"]], protocolId=c["protocol"], volume=c["volume"],
                            instance=inst)
    finally:
        ggwave.free(inst)
    if raw is None:
        sys.exit(f"ggwave refused to encode {c['file']}")
    return bytes(raw)


def wav(data: bytes, rate: int, f32: bool, cli_header: bool) -> bytes:
    tag, bits = (3, 32) if f32 else (1, 16)
    ba = bits // 8
    riff = (28 if cli_header else 36) + len(data)
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, tag, 1, rate, rate * ba, ba, bits)
            + b"data" + struct.pack("<I", len(data)) + data)


def entry(c, blob: bytes) -> dict:
    payload = PAYLOADS[c["payload"]]
    f32 = c["fmt"] == "f32"
    n = (len(blob) - 44) // (4 if f32 else 2)
    expected = payload.ljust(c["fixed"], b"\0") if c["fixed"] else payload
    note = c["note"]
    if c["rate"] != 48000:
        extra = "ends with zero samples ggwave-to-file does not write (ggwave's size query " \
                "over-estimates when resampling); the samples before them are ggwave-to-file's"
        note = f"{note}; {extra}" if note else extra
    fmt_name = "F32" if f32 else "I16"
    return {
        "file": c["file"],
        "tool": f"python ggwave {GGWAVE_VERSION} ggwave.encode",
        "command": f"ggwave.encode(payload, protocolId={c['protocol']}, volume={c['volume']}, "
                   f"instance=ggwave.init({{..., sampleRateOut={c['rate']}, "
                   f"sampleFormatOut={fmt_name}, payloadLength={c['fixed'] or -1}"
                   f"{', operatingMode|=DSS' if c['dss'] else ''}}}))",
        "protocol_id": c["protocol"],
        "protocol_name": NAMES[c["protocol"]],
        "sample_rate": c["rate"],
        "volume": c["volume"],
        "payload_text": payload.decode() if c["payload"] != "bin" else None,
        "payload_hex": payload.hex(),
        "payload_len": len(payload),
        "fixed_payload_length": c["fixed"],
        "dss": c["dss"],
        "sample_format": "f32le" if f32 else "s16le",
        "num_samples": n,
        "duration_s": round(n / c["rate"], 4),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "note": note,
        "wav_riff_size_field": struct.unpack("<I", blob[4:8])[0],
        "wav_header": CLI_HEADER if c["header"] == "cli" else STD_HEADER,
        "expected_decoded_hex": expected.hex(),
    }


def generate(out: Path, which: str):
    installed = metadata.version("ggwave")
    if installed != GGWAVE_VERSION:
        sys.exit(f"ggwave {installed} installed; the vectors are made with {GGWAVE_VERSION}")
    entries = []
    out.mkdir(parents=True, exist_ok=True)
    for c in cases():
        if which == "committed" and not c["committed"]:
            continue
        blob = wav(encode(c), c["rate"], c["fmt"] == "f32", c["header"] == "cli")
        (out / c["file"]).write_bytes(blob)
        entries.append(entry(c, blob))
    manifest = {
        "set": which,
        "generator": "scripts/gen-vectors (scripts/vectors/gen.py)",
        "ggwave_version": f"{GGWAVE_VERSION} (PyPI package ggwave, MIT licence)",
        "entries": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return len(entries)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--set", choices=("full", "committed"), default="full")
    ap.add_argument("--cache", action="store_true")
    a = ap.parse_args()
    stamp = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    stamp += f" {a.set} ggwave {metadata.version('ggwave')}\n"
    if a.cache:
        sf = a.out / ".stamp"
        if (a.out / "manifest.json").is_file() and sf.is_file() and sf.read_text() == stamp:
            print(a.out)
            return
        # Regenerate from scratch next to the cache, then swap it in.
        tmp = a.out.with_name(a.out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        n = generate(tmp, a.set)
        (tmp / ".stamp").write_text(stamp)
        shutil.rmtree(a.out, ignore_errors=True)
        tmp.rename(a.out)
    else:
        for old in a.out.glob("*.wav"):
            old.unlink()
        n = generate(a.out, a.set)
    print(f"{n} vectors in {a.out}", file=sys.stderr)
    print(a.out)


if __name__ == "__main__":
    main()

"""Direction (b): our decoder (`fsk decode --json`) reads what the real ggwave 0.4.3 sends.

ggwave's side: `ggwave.encode` (float32 at 48 kHz unless a test asks its own resampler for another
rate), with silence around it, written to a standard WAV (float 32-bit or 16-bit PCM). Our side:
the release CLI. Every test asserts the exact payloads, in order, and nothing else: a wrong or an
extra message fails the test.
"""

import struct
import zlib

import numpy as np
import pytest

from ggpeer import RATE, fsk_decode, gg_encode, payloads_of, random_payload, write_wav

NAMES = ["Normal", "Fast", "Fastest", "[U] Normal", "[U] Fast", "[U] Fastest", "[DT] Normal",
         "[DT] Fast", "[DT] Fastest", "[MT] Normal", "[MT] Fast", "[MT] Fastest"]
LEAD, TAIL = 0.3, 0.3


def pad(samples, rate=RATE, lead=LEAD, tail=TAIL):
    z = np.zeros
    return np.concatenate([z(int(rate * lead), np.float32), samples, z(int(rate * tail), np.float32)])


VARIABLE_CASES = []
for proto in range(9):
    rng = np.random.default_rng(2000 + proto)
    VARIABLE_CASES += [
        (proto, 10, 1, False, True, 60_000 + proto),
        (proto, 50, int(rng.integers(2, 40)), True, False, 61_000 + proto),
        (proto, 50, int(rng.integers(40, 141)), False, True, 62_000 + proto),
        (proto, 100, 140, False, False, 63_000 + proto),
    ]


@pytest.mark.parametrize("proto,volume,length,text,f32,seed", VARIABLE_CASES)
def test_variable(tmp_path, proto, volume, length, text, f32, seed):
    payload = random_payload(np.random.default_rng(seed), length, text)
    tx = gg_encode(payload, proto, volume)
    audio = pad(tx)
    path = tmp_path / "gg.wav"
    write_wav(path, audio, RATE, float32=f32)
    doc = fsk_decode(path)
    info = doc["audio_info"]
    assert info["channels"] == 1 and info["sample_rate"] == RATE
    assert info["bits_per_sample"] == (32 if f32 else 16)
    assert info["total_samples"] == len(audio)
    assert payloads_of(doc) == [payload]
    m = doc["messages"][0]
    assert m["protocol"] == proto and m["protocol_name"] == NAMES[proto]
    if text:
        assert m["text"] == payload.decode()
    assert abs(m["start_seconds"] - LEAD) < 0.03, m
    assert abs(m["end_seconds"] - (LEAD + len(tx) / RATE)) < 0.05, m


FIXED_CASES = [(p, dss) for p in range(12) for dss in (False, True)]


@pytest.mark.parametrize("proto,dss", FIXED_CASES)
def test_fixed(tmp_path, proto, dss):
    rng = np.random.default_rng(3000 + 2 * proto + dss)
    fixed = int(rng.integers(1, 65))
    payload = random_payload(rng, int(rng.integers(1, fixed + 1)), text=not dss)
    path = tmp_path / "gg.wav"
    write_wav(path, pad(gg_encode(payload, proto, 50, fixed=fixed, dss=dss)))
    doc = fsk_decode(path, fixed=fixed, dss=dss)
    assert payloads_of(doc) == [payload + bytes(fixed - len(payload))]
    assert doc["messages"][0]["protocol"] == proto


@pytest.mark.parametrize("proto", [0, 1, 2, 3, 4, 5, 6, 7, 8])
def test_dss_variable(tmp_path, proto):
    rng = np.random.default_rng(4000 + proto)
    payload = random_payload(rng, int(rng.integers(1, 141)))
    path = tmp_path / "gg.wav"
    write_wav(path, pad(gg_encode(payload, proto, 50, dss=True)))
    assert payloads_of(fsk_decode(path, dss=True)) == [payload]


@pytest.mark.parametrize("rate,proto", [(44100, 1), (44100, 4), (44100, 7), (16000, 2), (16000, 8),
                                        (8000, 6), (96000, 5), (22050, 0)])
def test_ggwave_resampled_output(tmp_path, rate, proto):
    """ggwave's own output at other rates (its resampler), which its own decoder cannot read at
    44.1/22.05 kHz (docs/protocol.md §11.4)."""
    rng = np.random.default_rng(5000 + rate + proto)
    payload = random_payload(rng, int(rng.integers(1, 60)), text=True)
    path = tmp_path / "gg.wav"
    write_wav(path, pad(gg_encode(payload, proto, 50, rate=rate), rate), rate, float32=False)
    doc = fsk_decode(path)
    assert doc["audio_info"]["sample_rate"] == rate
    assert payloads_of(doc) == [payload]


def test_several_transmissions_in_one_file(tmp_path):
    rng = np.random.default_rng(6000)
    protos = [1, 4, 7, 2, 0, 5, 8]
    payloads = [random_payload(rng, int(rng.integers(1, 141))) for _ in protos]
    gap = np.zeros(int(0.4 * RATE), np.float32)
    parts = []
    for p, pl in zip(protos, payloads):
        parts += [gg_encode(pl, p, 50), gap]
    path = tmp_path / "gg.wav"
    write_wav(path, pad(np.concatenate(parts)))
    doc = fsk_decode(path)
    assert payloads_of(doc) == payloads
    assert [m["protocol"] for m in doc["messages"]] == protos
    starts = [m["start_seconds"] for m in doc["messages"]]
    assert starts == sorted(starts)


@pytest.mark.parametrize("fixed", [None, 8])
def test_noise_and_silence_give_nothing(tmp_path, fixed):
    rng = np.random.default_rng(7000 + (fixed or 0))
    noise = (rng.standard_normal(30 * RATE) * 0.1).astype(np.float32)
    audio = np.concatenate([np.zeros(5 * RATE, np.float32), noise, np.zeros(5 * RATE, np.float32)])
    path = tmp_path / "noise.wav"
    write_wav(path, audio)
    assert fsk_decode(path, fixed=fixed)["messages"] == []


@pytest.mark.parametrize("proto,trial", [(p, t) for p in range(9) for t in range(2)])
def test_noisy_ggwave_signal(tmp_path, proto, trial):
    """White Gaussian noise at +5 dB SNR (over the transmission, full band), where ggwave decodes
    its own signals every time (every protocol: 20 of 20 trials down to 0 dB SNR): ours must
    too, with no wrong payload."""
    rng = np.random.default_rng(8000 + 10 * proto + trial)
    payload = random_payload(rng, int(rng.integers(1, 41)), text=True)
    tx = gg_encode(payload, proto, 50)
    sigma = np.sqrt(np.mean(tx.astype(np.float64) ** 2) / 10 ** (5 / 10))
    audio = pad(tx)
    audio = (audio + rng.standard_normal(len(audio)) * sigma).astype(np.float32)
    path = tmp_path / "noisy.wav"
    write_wav(path, audio)
    assert payloads_of(fsk_decode(path)) == [payload]


def _crc8(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


def test_framed_payload_sent_by_plain_ggwave(tmp_path):
    """docs/framing.md implemented here from the text alone (no parity pieces): ggwave sends the
    pieces, one of them twice and out of order; our receiver assembles exactly one payload."""
    payload = random_payload(np.random.default_rng(6100), 333)
    k = -(-len(payload) // 127)
    size = -(-len(payload) // k)
    crc = zlib.crc32(payload)
    ident = (crc >> 16) ^ (crc & 0xFFFF)
    pieces = []
    for i in range(k):
        h = bytes([0xF5]) + struct.pack(">HBBBHI", ident, i, k, 0, len(payload), crc)
        pieces.append(h + bytes([_crc8(h)]) + payload[i * size : (i + 1) * size])
    gap = np.zeros(int(0.4 * RATE), np.float32)
    order = [2, 0, 0, 1]
    parts = []
    for i in order:
        parts += [gg_encode(pieces[i], 2, 50), gap]
    path = tmp_path / "framed.wav"
    write_wav(path, pad(np.concatenate(parts)))
    doc = fsk_decode(path)
    assert len(doc["messages"]) == len(order)
    assert len(doc["payloads"]) == 1
    p = doc["payloads"][0]
    assert p["complete"] is True
    assert bytes.fromhex(p["hex"]) == payload
    assert (p["pieces"], p["missing"], p["recovered"], p["received"]) == (k, [], [], k)

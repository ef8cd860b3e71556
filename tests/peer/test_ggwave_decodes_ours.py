"""Direction (a): the real ggwave 0.4.3 receiver decodes what our encoder (the `fsk` CLI) sends.

Our side: `fsk encode --format f32` (float WAV, so nothing is lost to 16-bit rounding). ggwave's
side: the Python package's receiver, fed float32 samples: 1024 samples a call at 48 kHz (as
ggwave-from-file does), and 4096 samples a call at other rates (its 1024-sample path drops samples
at 44.1 kHz, docs/protocol.md §11.4). A short tail of silence follows every signal (ggwave needs
one frame after the end marker).

The reference for every case is ggwave's own encoder with the same parameters: ggwave must decode
our signal whenever it decodes its own, and it must never report a payload we did not send
(variable-length mode; in fixed-length mode ggwave itself reports garbage around silence,
docs/protocol.md §11.3, so there our signal may produce no more wrong reports than its own).
"""

import struct
import zlib

import numpy as np
import pytest

from ggpeer import RATE, fsk_encode, gg_decode, gg_encode, random_payload

LEAD = 0.1  # seconds of silence before a transmission (ggwave checks for a start marker
# only every 4th frame while idle; without a lead-in it misses some of its own long signals)
TAIL = 0.25  # seconds of silence after it


def tail(samples, rate):
    z = np.zeros
    return np.concatenate([z(int(rate * LEAD), np.float32), samples, z(int(rate * TAIL), np.float32)])


def feed_chunk(rate):
    return 1024 if rate == RATE else 4096


# Variable length, 48 kHz: every protocol 0-8, volumes 10/50/100, seeded payloads of lengths
# 1..140, text and binary.
VARIABLE_CASES = []
for proto in range(9):
    rng = np.random.default_rng(1000 + proto)
    VARIABLE_CASES += [
        (proto, 10, 1, False, 10_000 + proto),
        (proto, 50, int(rng.integers(2, 40)), True, 20_000 + proto),
        (proto, 50, int(rng.integers(40, 140)), False, 30_000 + proto),
        (proto, 100, 140, False, 40_000 + proto),
        (proto, 100, int(rng.integers(2, 140)), True, 50_000 + proto),
    ]


@pytest.mark.parametrize("proto,volume,length,text,seed", VARIABLE_CASES)
def test_variable_48k(tmp_path, proto, volume, length, text, seed):
    payload = random_payload(np.random.default_rng(seed), length, text)
    rate, ours = fsk_encode(tmp_path, payload, proto, volume)
    assert rate == RATE
    theirs = gg_encode(payload, proto, volume)
    # Byte-exact at 48 kHz: the float WAV holds ggwave's own samples.
    assert np.array_equal(ours, theirs), "our 48 kHz waveform differs from ggwave's"
    got = gg_decode(tail(ours, rate))
    ref = gg_decode(tail(theirs, rate))
    assert got == ref
    assert all(m == payload for m in got), f"ggwave decoded a wrong payload: {got}"
    if proto != 6 or length <= 7:
        assert got == [payload]
    # ggwave's receiver fails on its own DT Normal signals beyond a few bytes (see
    # docs/codec.md); there "ours decodes exactly like its own" is the claim.


# Other rates: every protocol whose band fits below the rate's Nyquist frequency.
RATE_CASES = []
for rate in (8000, 16000, 44100, 96000):
    for proto in range(9):
        top = {0: 6329, 1: 6329, 2: 6329, 3: 19454, 4: 19454, 5: 19454}.get(proto, 2579)
        if top < 0.45 * rate:
            RATE_CASES.append((rate, proto))


@pytest.mark.parametrize("rate,proto", RATE_CASES)
def test_variable_other_rates(tmp_path, rate, proto):
    rng = np.random.default_rng(rate * 16 + proto)
    length = 5 if proto == 6 else int(rng.integers(1, 141))
    payload = random_payload(rng, length, text=bool(proto % 2))
    got_rate, ours = fsk_encode(tmp_path, payload, proto, 50, rate)
    assert got_rate == rate
    got = gg_decode(tail(ours, rate), rate=rate, chunk=feed_chunk(rate))
    assert got == [payload]


@pytest.mark.parametrize("rate,proto", [(8000, 1), (8000, 4), (16000, 4), (40000, 3)])
def test_rate_too_low_is_refused(tmp_path, rate, proto):
    with pytest.raises(AssertionError, match="exit 2"):
        fsk_encode(tmp_path, b"x", proto, 50, rate)


# Fixed length: every protocol 0-11 (mono-tone 9-11 only exist in this mode), DSS on and off.
FIXED_CASES = [(p, dss) for p in range(12) for dss in (False, True)]


@pytest.mark.parametrize("proto,dss", FIXED_CASES)
def test_fixed_48k(tmp_path, proto, dss):
    rng = np.random.default_rng(600 + 2 * proto + dss)
    fixed = int(rng.integers(1, 65))
    payload = random_payload(rng, int(rng.integers(1, fixed + 1)), text=not dss)
    want = payload + bytes(fixed - len(payload))
    _, ours = fsk_encode(tmp_path, payload, proto, 50, fixed=fixed, dss=dss)
    theirs = gg_encode(payload, proto, 50, fixed=fixed, dss=dss)
    assert np.array_equal(ours, theirs)
    got = gg_decode(tail(ours, RATE), fixed=fixed, dss=dss)
    ref = gg_decode(tail(theirs, RATE), fixed=fixed, dss=dss)
    assert want in got, f"ggwave did not receive the payload: {got}"
    assert sorted(got) == sorted(ref)


@pytest.mark.parametrize("rate,proto", [(8000, 9), (8000, 11), (16000, 10), (44100, 11), (96000, 9)])
def test_fixed_mono_tone_other_rates(tmp_path, rate, proto):
    rng = np.random.default_rng(700 + rate + proto)
    fixed = int(rng.integers(1, 33))
    payload = random_payload(rng, fixed)
    _, ours = fsk_encode(tmp_path, payload, proto, 50, rate, fixed=fixed)
    got = gg_decode(tail(ours, rate), rate=rate, fixed=fixed, chunk=feed_chunk(rate))
    assert payload in got, f"ggwave did not receive the payload: {got}"


@pytest.mark.parametrize("proto", [0, 1, 2, 3, 4, 5, 7, 8])
def test_dss_variable(tmp_path, proto):
    rng = np.random.default_rng(800 + proto)
    payload = random_payload(rng, int(rng.integers(1, 141)))
    _, ours = fsk_encode(tmp_path, payload, proto, 50, dss=True)
    assert gg_decode(tail(ours, RATE), dss=True) == [payload]
    # Without DSS on the receiving side the bytes come out scrambled: DSS really was applied.
    plain = gg_decode(tail(ours, RATE))
    assert plain != [payload] and len(plain) == 1


@pytest.mark.parametrize("proto,length", [(1, 300), (2, 141), (4, 420), (8, 150)])
def test_long_payload_splits_into_transmissions(tmp_path, proto, length):
    """More than 140 bytes with --framing none: consecutive plain standard transmissions, each
    received in order."""
    payload = random_payload(np.random.default_rng(900 + proto), length)
    _, ours = fsk_encode(tmp_path, payload, proto, 50, extra=["--framing", "none"])
    got = gg_decode(tail(ours, RATE))
    assert got == [payload[i : i + 140] for i in range(0, length, 140)]


@pytest.mark.parametrize("proto,length,parity", [(1, 300, 1), (2, 141, 0), (4, 420, 2), (8, 1000, 3)])
def test_every_piece_of_a_framed_payload_is_a_standard_transmission(tmp_path, proto, length, parity):
    """Framed (docs/framing.md): plain ggwave decodes every piece, data and parity; the pieces it
    hears carry the version byte, the header fields, and data bodies that join to the payload with
    the announced CRC-32 (checked with zlib, independently of our code)."""
    payload = random_payload(np.random.default_rng(950 + proto), length)
    _, ours = fsk_encode(tmp_path, payload, proto, 50, extra=["--parity", parity])
    got = gg_decode(tail(ours, RATE))
    k = -(-length // 127)
    assert len(got) == k + parity
    body = b""
    for i, piece in enumerate(got):
        assert len(piece) <= 140
        assert piece[0] == 0xF5
        index, data, par = piece[3], piece[4], piece[5]
        size = struct.unpack(">H", piece[6:8])[0]
        crc = struct.unpack(">I", piece[8:12])[0]
        assert (index, data, par, size) == (i, k, parity, length)
        assert crc == zlib.crc32(payload)
        assert struct.unpack(">H", piece[1:3])[0] == (crc >> 16) ^ (crc & 0xFFFF)
        if i < k:
            body += piece[13:]
    assert body == payload

"""Low-bitrate codecs (the channel family that needs external encoders): ggwave's own waveform
through lame (MP3) and opus-tools (Opus), decoded by our CLI. Seeded; asserts every trial decodes
and none reports a wrong payload. The channels come from scripts/bench/channels.py."""

import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from ggpeer import ROOT, fsk_decode, gg_encode, payloads_of, write_wav

sys.path.insert(0, str(ROOT / "scripts" / "bench"))
import channels  # noqa: E402

PAYLOAD = b"Hello World"


@pytest.mark.parametrize("codec,kbps,protocol", [("mp3", 32, 1), ("mp3", 32, 7), ("opus", 16, 1),
                                                  ("opus", 8, 7)])
def test_we_decode_through_low_bitrate_codecs(codec, kbps, protocol):
    tx = gg_encode(PAYLOAD, protocol, 50)
    ok = 0
    for t in range(3):
        rng = np.random.default_rng([77, protocol, kbps, t])
        rate, x = channels.make_signal(tx, [(codec, kbps)], rng)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "ch.wav"
            write_wav(path, x, rate=rate)
            got = payloads_of(fsk_decode(path))
        assert all(m == PAYLOAD for m in got), f"wrong payload {got}"
        ok += PAYLOAD in got
    assert ok == 3, f"{codec} {kbps} kbps, protocol {protocol}: {ok}/3"

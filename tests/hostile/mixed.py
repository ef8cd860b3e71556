"""The mixed request set of the soak and the fault test: encode, decode, health, metrics."""

import json
import random

from served import request

JSON = {"Content-Type": "application/json"}


class Mix:
    def __init__(self, port, seed):
        self.port = port
        self.rng = random.Random(seed)
        status, wav = request(port, "POST", "/encode", json.dumps({"text": "soak", "protocol": 2}), JSON)
        assert status == 200, status
        self.wav = wav

    def one(self, i, timeout=30):
        """Request number i: (kind, status, ok). ok checks the answer, not just the status."""
        k = i % 10
        if k < 3:
            text = f"soak {i} {self.rng.randrange(10**6)}"
            st, out = request(self.port, "POST", "/encode", json.dumps({"text": text, "protocol": 2}), JSON,
                              timeout=timeout)
            return "encode", st, st == 200 and out[:4] == b"RIFF"
        if k < 5:
            st, out = request(self.port, "POST", "/decode", self.wav, {"Content-Type": "audio/wav"}, timeout=timeout)
            return "decode", st, st == 200 and json.loads(out).get("decoded_text") == "soak"
        if k < 8:
            st, out = request(self.port, "GET", "/health", timeout=timeout)
            return "health", st, st == 200
        st, out = request(self.port, "GET", "/metrics", timeout=timeout)
        return "metrics", st, st == 200 and b"fskhttp_requests_total" in out

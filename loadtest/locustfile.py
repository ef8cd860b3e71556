"""Load test of fskhttp, equivalent to the old Flask service's locustfile, plus decode.

Each simulated user waits 1-3 s between tasks (as the old test did) and picks:
  weight 3  POST /encode   {"text": "Test message NNNN"}   -> 200 audio/wav (a RIFF/WAVE body)
  weight 1  GET  /health                                   -> 200 JSON, status "healthy"
  weight 1  POST /decode   multipart field `file`, a WAV this run encoded -> the same text back

A response that is not what the contract says counts as a failure, so a run with zero failures means
every answer was right, not merely fast.

  locust -f loadtest/locustfile.py --host http://127.0.0.1:3000                 # web UI
  scripts/load-locust                                                           # headless, local
  locust -f loadtest/locustfile.py --headless -u 100 -r 10 -t 300s --host URL   # the old stress run

FSK_WAIT_MIN / FSK_WAIT_MAX (seconds) change the think time, e.g. 0/0 to measure throughput.
"""
import os
import random

from locust import HttpUser, between, events, task

WAIT_MIN = float(os.environ.get("FSK_WAIT_MIN", "1"))
WAIT_MAX = float(os.environ.get("FSK_WAIT_MAX", "3"))
DECODE_TEXT = "ROBOTS talking to ROBOTS bots will speak to bots"

# One WAV per run, made by the service under test at start-up and decoded by every decode task.
_sample = {}


@events.test_start.add_listener
def _make_sample(environment, **_kwargs):
    import requests  # locust depends on it

    r = requests.post(environment.host.rstrip("/") + "/encode", json={"text": DECODE_TEXT}, timeout=30)
    if r.status_code != 200 or not r.content.startswith(b"RIFF"):
        raise RuntimeError(f"cannot prepare the decode sample: POST /encode answered {r.status_code}")
    _sample["wav"] = r.content


class FskhttpUser(HttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    @task(3)
    def encode(self):
        text = f"Test message {random.randint(0, 9999):04d}"
        with self.client.post("/encode", json={"text": text}, name="POST /encode",
                              catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif not r.headers.get("Content-Type", "").startswith("audio/wav"):
                r.failure(f"content type {r.headers.get('Content-Type')}")
            elif r.content[:4] != b"RIFF" or r.content[8:12] != b"WAVE":
                r.failure("body is not a WAV file")
            else:
                r.success()

    @task(1)
    def health(self):
        with self.client.get("/health", name="GET /health", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif r.json().get("status") != "healthy":
                r.failure(f"status field {r.json().get('status')!r}")
            else:
                r.success()

    @task(1)
    def decode(self):
        files = {"file": ("message.wav", _sample["wav"], "audio/wav")}
        with self.client.post("/decode", files=files, name="POST /decode", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            body = r.json()
            if body.get("success") is not True or body.get("decoded_text") != DECODE_TEXT:
                r.failure(f"decoded {body.get('decoded_text')!r}")
            else:
                r.success()

"""End-to-end fixtures: the exact fskhttp.wasm that spin.toml deploys, composed with the test-only
Spin host stub (tests/spin-host-stub), served by the real `wasmtime serve` on 127.0.0.1.

scripts/test.d/30-http.sh builds and composes the artifact and passes its path in FSK_E2E_WASM
and the wasmtime binary in FSK_WASMTIME.
"""

import http.client
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# wasmtime serve's pooling allocator allows 1000 core instances in total by default; the composed
# component (app + host stub + their WASI adapters) holds 48, so about 20 requests could run at
# once. Spin sizes its own pool; here the pool is sized for the 200-concurrent-request test.
SERVE_OPTS = os.environ.get(
    "FSK_SERVE_OPTS",
    "-O pooling-total-core-instances=20000,pooling-total-memories=2000,pooling-total-tables=20000",
).split()


def _env_path(name):
    v = os.environ.get(name)
    assert v, f"{name} is not set: run the suite with scripts/test http"
    p = Path(v)
    assert p.exists(), f"{p} missing"
    return p


class Server:
    """One `wasmtime serve` process. Each request still runs in a fresh component instance."""

    def __init__(self, wasm, kv_dir, variables=None, startup_deadline=60.0):
        self.kv_dir = Path(kv_dir)
        self.kv_dir.mkdir(parents=True, exist_ok=True)
        cmd = [str(_env_path("FSK_WASMTIME")), "serve", "-Scli", "--addr", "127.0.0.1:0",
               "--dir", f"{self.kv_dir}::/kv", *SERVE_OPTS]
        for k, v in (variables or {}).items():
            cmd += ["--env", f"SPIN_VARIABLE_{k.upper()}={v}"]
        cmd.append(str(wasm))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self._port = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        if not self._ready.wait(startup_deadline):
            self.stop()
            raise RuntimeError(f"wasmtime serve did not start: {self.lines[-20:]}")
        self.port = self._port
        # Poll /health until it answers (bounded).
        deadline = time.monotonic() + startup_deadline
        while True:
            try:
                status, _, _ = self.request("GET", "/health")
                if status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the component never answered /health")
            time.sleep(0.02)
        self.first_response_seconds = time.monotonic() - self.started

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            m = re.search(r"Serving HTTP on http://127\.0\.0\.1:(\d+)", line)
            if m and self._port is None:
                self._port = int(m.group(1))
                self._ready.set()

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="session")
def wasm():
    return _env_path("FSK_E2E_WASM")


@pytest.fixture(scope="session")
def server(wasm, tmp_path_factory):
    s = Server(wasm, tmp_path_factory.mktemp("kv"))
    print(f"\nstart to first response: {s.first_response_seconds:.3f} s")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def small_server(wasm, tmp_path_factory):
    """Configured through Spin variables (SPIN_VARIABLE_*): small limits, other defaults."""
    s = Server(wasm, tmp_path_factory.mktemp("kv-small"), variables={
        "log_level": "warn",
        "max_body_bytes": "100000",
        "max_audio_seconds": "20",
        "default_protocol": "fastest",
        "default_volume": "80",
        "max_payload_bytes": "140",
    })
    yield s
    s.stop()

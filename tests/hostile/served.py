"""The served component for the soak and fault scripts: `wasmtime serve` with the composed
component (as tests/e2e/conftest.py starts it) on a fixed 127.0.0.1 port, so that a restart
comes back where the clients look; plus a keep-alive-free HTTP client and /metrics parsing."""

import http.client
import os
import subprocess
import time

SERVE_OPTS = os.environ.get(
    "FSK_SERVE_OPTS",
    "-O pooling-total-core-instances=20000,pooling-total-memories=2000,pooling-total-tables=20000",
).split()


class Served:
    def __init__(self, wasm, wasmtime, kv_dir, port, log_path):
        self.cmd = [wasmtime, "serve", "-Scli", "--addr", f"127.0.0.1:{port}",
                    "--dir", f"{kv_dir}::/kv", *SERVE_OPTS,
                    "--env", "SPIN_VARIABLE_LOG_LEVEL=error", wasm]
        self.port = port
        self.log_path = log_path
        self.proc = None

    def start(self, deadline=60.0):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wasmtime serve exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if request(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return time.monotonic()
            except OSError:
                pass
            time.sleep(0.02)  # polling interval, bounded by the deadline
        raise RuntimeError("the component never answered /health")

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_kb(self):
        """Resident memory of the wasmtime process, in kB (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def request(port, method, path, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def metrics(port):
    status, out = request(port, "GET", "/metrics")
    assert status == 200, (status, out[:200])
    values = {}
    for line in out.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            values[k] = float(v)
    return values


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]

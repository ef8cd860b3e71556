"""The served component over HTTP: contract flows, old JSON fields, every protocol, the real
Python ggwave as a peer, the ggwave vectors, bad input, metrics, concurrency, variables."""

import base64
import concurrent.futures
import io
import json
import os
import re
import struct
import subprocess
import wave
from pathlib import Path

import ggwave
import numpy as np
import pytest

from conftest import ROOT, Server

ggwave.disableLog()

# Every vector (scripts/test.d/30-http.sh sets FSK_VECTORS_DIR), else the committed set.
VECTORS = Path(os.environ.get("FSK_VECTORS_DIR", ROOT / "tests" / "data" / "ggwave"))
MSG48 = "ROBOTS talking to ROBOTS bots will speak to bots"  # 48 characters, as the old benchmark
JSON = {"Content-Type": "application/json"}


def multipart(fields, boundary="fskhttp-e2e-0123456789"):
    """fields: list of (name, filename or None, bytes)."""
    out = io.BytesIO()
    for name, filename, data in fields:
        out.write(f"--{boundary}\r\n".encode())
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.write(f"Content-Disposition: {disp}\r\n".encode())
        if filename:
            out.write(b"Content-Type: application/octet-stream\r\n")
        out.write(b"\r\n" + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def wav_samples(data):
    """(rate, float32 mono) of a 16-bit PCM or 32-bit float WAV (the service writes both)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    tag, channels, rate, _, _, bits = fmt
    assert channels == 1
    if tag == 3 or (tag == 0xFFFE and bits == 32):
        return rate, np.frombuffer(samples, dtype="<f4").astype(np.float32)
    assert bits == 16
    return rate, np.frombuffer(samples, dtype="<i2").astype(np.float32) / 32768.0


def gg_decode(samples, fixed=None, dss=False):
    par = ggwave.getDefaultParameters()
    if fixed is not None:
        par["payloadLength"] = fixed
    if dss:
        par["operatingMode"] |= 16
    inst = ggwave.init(par)
    out = []
    try:
        buf = np.ascontiguousarray(samples, dtype=np.float32)
        for i in range(0, len(buf), 1024):
            r = ggwave.decode(inst, buf[i:i + 1024].tobytes())
            if r is not None:
                out.append(bytes(r))
    finally:
        ggwave.free(inst)
    return out


def encode(server, **body):
    status, headers, wav = server.request("POST", "/encode", json.dumps(body), JSON)
    assert status == 200, wav[:300]
    return headers, wav


def decode(server, wav, query=""):
    body, headers = multipart([("file", "upload.bin", wav)])
    status, _, out = server.request("POST", "/decode" + query, body, headers)
    assert status == 200, out[:300]
    return json.loads(out)


# ---------------------------------------------------------------------------------------------
# The contract's curl flows, with the real curl


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], check=True,
                          capture_output=True).stdout


def test_contract_curl_flows(server, tmp_path):
    out = tmp_path / "hello.wav"
    hdr = curl("-X", "POST", "-H", "Content-Type: application/json", "-d",
               '{"text": "Hello World"}', f"{server.url}/encode", "-o", str(out), "-D", "-")
    assert b"content-type: audio/wav" in hdr.lower()
    assert b"content-disposition: attachment; filename=encoded.wav" in hdr.lower()
    rate, samples = wav_samples(out.read_bytes())
    assert rate == 48000 and len(samples) == 69632  # ggwave-to-file's length for Hello World
    form = tmp_path / "form.wav"
    curl("-X", "POST", "-d", "text=Hello World", f"{server.url}/encode", "-o", str(form))
    assert form.read_bytes() == out.read_bytes()
    res = json.loads(curl("-X", "POST", "-F", f"file=@{out}", f"{server.url}/decode"))
    assert res["success"] is True
    assert res["decoded_text"] == "Hello World"
    assert res["message_length"] == 11
    # The ggwave-to-file web service's query interface.
    q = tmp_path / "q.wav"
    curl("-G", f"{server.url}/encode", "--data-urlencode", "m=Hello World", "-d", "p=1",
         "-d", "s=48000", "-d", "v=50", "-o", str(q))
    assert q.read_bytes() == out.read_bytes()


def test_output_is_byte_identical_to_ggwave_to_file(server):
    vec = (VECTORS / "cli_default_hello_p01_48000_v50.wav").read_bytes()
    _, ours = encode(server, text="Hello World")
    # Same samples (the header differs only in ggwave-to-file's RIFF-size quirk).
    assert wav_samples(ours)[1].tobytes() == wav_samples(vec)[1].tobytes()


def test_old_json_fields_and_types(server):
    _, wav = encode(server, text=MSG48)
    r = decode(server, wav)
    assert set(r) >= {"audio_info", "decoded_text", "message_length", "processing_time_seconds",
                      "success", "messages"}
    ai = r["audio_info"]
    assert ai == {"bps": 16, "channels": 1, "sample_rate": 48000, "total_samples": ai["total_samples"]}
    assert isinstance(ai["total_samples"], int) and ai["total_samples"] == (len(wav) - 44) // 2
    assert isinstance(r["processing_time_seconds"], float) and r["processing_time_seconds"] >= 0
    assert r["success"] is True
    assert r["decoded_text"] == MSG48 and r["message_length"] == 48
    m = r["messages"][0]
    assert base64.b64decode(m["data_base64"]) == MSG48.encode()
    assert m["text"] == MSG48 and m["protocol"] == 1 and m["protocol_name"] == "Fast"
    assert 0 <= m["start_seconds"] < m["end_seconds"] <= ai["total_samples"] / 48000 + 0.05
    # Quality figures of a clean encode, and no diagnosis when something decodes.
    assert m["snr_db"] > 30 and m["drift_ppm"] == 0 and m["corrected_bytes"] == 0
    assert r["diagnosis"] is None and r["diagnosis_kind"] is None


def pcm16_wav(samples, rate):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def test_nothing_decoded_says_why(server):
    # One second of digital silence, then a 440 Hz hum: nothing to decode, and the reason.
    silence = pcm16_wav(np.zeros(48000), 48000)
    r = decode(server, silence)
    assert r["messages"] == [] and r["diagnosis_kind"] == "silent"
    assert "silent" in r["diagnosis"]
    t = np.arange(48000) / 48000
    hum = pcm16_wav(0.5 * np.sin(2 * np.pi * 440 * t), 48000)
    r = decode(server, hum)
    assert r["messages"] == [] and r["diagnosis_kind"] == "out_of_band", r
    assert "outside every protocol band" in r["diagnosis"]


def test_long_text_and_newlines_round_trip(server):
    text = "first line\nsecond line\n" * 8 + "end"  # 187 bytes: two data pieces + one parity
    headers, wav = encode(server, text=text, protocol=2)
    assert headers["x-fsk-message-count"] == "3"
    assert headers["x-fsk-framed"] == "true"
    r = decode(server, wav)
    assert r["decoded_text"] == text
    assert len(r["messages"]) == 3
    assert len(r["payloads"]) == 1 and r["payloads"][0]["complete"] is True
    # framing=none: today's plain split, joined as heard.
    headers, wav = encode(server, text=text, protocol=2, framing="none")
    assert headers["x-fsk-message-count"] == "2"
    r = decode(server, wav)
    assert r["decoded_text"] == text and len(r["messages"]) == 2


def _cut(samples, rate, spans):
    """The samples without the (start, end) second spans (a door slams, a car passes)."""
    keep = np.ones(len(samples), bool)
    for a, b in spans:
        keep[int(a * rate):int(b * rate)] = False
    return samples[keep]


def _wav16(samples, rate):
    data = (np.clip(samples, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes()
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", len(data)) + data)


def test_framed_payload_survives_a_lost_transmission(server):
    text = "data over sound that must not lose a piece; " * 10  # 450 bytes: 4 data + 1 parity
    headers, wav = encode(server, text=text, protocol=2, parity=1)
    assert (headers["x-fsk-data-pieces"], headers["x-fsk-parity-pieces"]) == ("4", "1")
    rate, samples = wav_samples(wav)
    # Plain ggwave hears every piece as a standard message.
    pieces = gg_decode(samples)
    assert len(pieces) == 5 and all(p[0] == 0xF5 and len(p) <= 140 for p in pieces)
    spans = [(m["start_seconds"], m["end_seconds"]) for m in decode(server, wav)["messages"]]
    assert len(spans) == 5
    one = decode(server, _wav16(_cut(samples, rate, [spans[2]]), rate))
    assert one["success"] is True and one["decoded_text"] == text
    p = one["payloads"][0]
    assert (p["complete"], p["recovered"], p["missing"], p["pieces"]) == (True, [2], [], 4)
    assert base64.b64decode(p["data_base64"]) == text.encode()
    two = decode(server, _wav16(_cut(samples, rate, [spans[1], spans[3]]), rate))
    assert two["success"] is False and two["decoded_text"] == ""
    p = two["payloads"][0]
    assert (p["complete"], p["missing"], p["data_base64"]) == (False, [1, 3], None)
    assert "1, 3" in two["incomplete"][0]


# ---------------------------------------------------------------------------------------------
# Every protocol through the service, and the real ggwave as the receiver


PROTOCOLS = [(p, None) for p in range(9)] + [(p, 12) for p in (9, 10, 11)]


@pytest.mark.parametrize("protocol,fixed", PROTOCOLS)
def test_every_protocol_round_trips_through_the_service(server, protocol, fixed):
    text = f"p{protocol} round trip!"
    body = {"text": text, "protocol": protocol}
    if fixed:
        body["fixed_length"] = fixed
        text = text[:fixed]
        body["text"] = text
    headers, wav = encode(server, **body)
    assert headers["x-fsk-protocol"] == str(protocol)
    r = decode(server, wav, f"?fixed_length={fixed}" if fixed else "")
    assert r["decoded_text"] == text, r
    assert r["messages"][0]["protocol"] == protocol or fixed  # fixed mode cannot tell 9 from 10/11


@pytest.mark.parametrize("protocol,fixed,dss", [(p, None, False) for p in range(9)]
                         + [(1, None, True), (1, 16, False), (9, 11, False), (10, 11, True)])
def test_python_ggwave_decodes_what_encode_returns(server, protocol, fixed, dss):
    text = f"ggwave peer {protocol}"
    if fixed:
        text = (text * 3)[:fixed]
    body = {"text": text, "protocol": protocol, "dss": dss}
    if fixed:
        body["fixed_length"] = fixed
    _, wav = encode(server, **body)
    rate, samples = wav_samples(wav)
    assert rate == 48000
    got = gg_decode(samples, fixed=fixed, dss=dss)
    if fixed:
        # ggwave's fixed-length receiver reports a message at several consecutive offsets (and,
        # for mono-tone protocols, sometimes a garbage neighbour): most reports are the text.
        assert got.count(text.encode()) > len(got) / 2, got
    else:
        assert got == [text.encode()]


def test_python_ggwave_decodes_float_wav_and_get_query(server):
    status, _, wav = server.request("GET", "/encode?m=float%20me&p=4&v=80&f=wav32f")
    assert status == 200
    _, samples = wav_samples(wav)
    assert samples.dtype == np.float32 and np.abs(samples).max() > 0.5
    assert gg_decode(samples) == [b"float me"]


# ---------------------------------------------------------------------------------------------
# The ggwave vectors (tests/data/ggwave/README.md)


def _vectors():
    manifest = json.loads((VECTORS / "manifest.json").read_text())
    return manifest["entries"]


@pytest.mark.parametrize("entry", _vectors(), ids=lambda e: e["file"])
def test_decode_ggwave_vectors(server, entry):
    wav = (VECTORS / entry["file"]).read_bytes()
    q = []
    if entry.get("fixed_payload_length"):
        q.append(f"fixed_length={entry['fixed_payload_length']}")
    if entry.get("dss"):
        q.append("dss=true")
    r = decode(server, wav, "?" + "&".join(q) if q else "")
    assert r["audio_info"]["sample_rate"] == entry["sample_rate"]
    assert r["audio_info"]["total_samples"] == entry["num_samples"]
    payloads = [base64.b64decode(m["data_base64"]).hex() for m in r["messages"]]
    status, _, table = server.request("GET", "/protocols")
    max_hz = json.loads(table)["protocols"][entry["protocol_id"]]["max_hz"]
    if max_hz < 0.5 * entry["sample_rate"]:
        assert payloads == [entry["expected_decoded_hex"]]
    else:
        # Tones above the Nyquist frequency are not in the file: nothing (and nothing wrong).
        assert payloads == []


# ---------------------------------------------------------------------------------------------
# Bad input: every case a 4xx JSON error with the right status, never a 500 or a hang


def _bad_cases():
    wav = (VECTORS / "cli_A_p01_48000_v50.wav").read_bytes()
    mp_nofile, mp_nofile_h = multipart([("upload", "a.wav", wav)])
    mp_empty, mp_empty_h = multipart([("file", "a.wav", b"")])
    mp_text, mp_text_h = multipart([("file", "a.txt", b"just text")])
    mp_noname, mp_noname_h = multipart([("text", None, b"x")])
    mp_noname = mp_noname.replace(b'name="text"', b"")
    long_wav = bytearray(wav[:44])
    long_wav[24:28] = struct.pack("<I", 1000)  # 1 kHz: 69632 samples = 70 s ... then cap below
    f = "application/x-www-form-urlencoded"
    return [
        ("POST", "/encode", b"{}", JSON, 400, "No text provided"),
        ("POST", "/encode", b'{"text": ""}', JSON, 400, "No text provided"),
        ("POST", "/encode", b"", {"Content-Type": f}, 400, "No text provided"),
        ("POST", "/encode", b"txt=hello", {"Content-Type": f}, 400, "No text provided"),
        ("POST", "/encode", b"{bad json", JSON, 400, "Invalid JSON"),
        ("POST", "/encode", b'"just a string"', JSON, 400, "Invalid JSON"),
        ("POST", "/encode", b'{"text": ["a"]}', JSON, 400, "Invalid parameter"),
        ("POST", "/encode", b'{"data_base64": "%%%"}', JSON, 400, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "data_base64": "YQ=="}', JSON, 400, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "protocol": 42}', JSON, 422, "Invalid protocol"),
        ("POST", "/encode", b'{"text": "a", "protocol": "hyperspace"}', JSON, 422, "Invalid protocol"),
        ("POST", "/encode", b'{"text": "a", "protocol": {"id": 1}}', JSON, 400, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "volume": 0}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "volume": -5}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "volume": 1e400}', JSON, 400, "Invalid JSON"),
        ("POST", "/encode", b'{"text": "a", "sample_rate": 200000}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "protocol": 5, "sample_rate": 16000}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "protocol": 11}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "fixed_length": 100}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "dss": "sometimes"}', JSON, 400, "Invalid parameter"),
        ("POST", "/encode", b'{"text": "a", "format": "flac"}', JSON, 422, "Invalid parameter"),
        ("POST", "/encode", json.dumps({"text": "x" * 5000}).encode(), JSON, 413, "Payload too large"),
        ("POST", "/encode", json.dumps({"text": "x" * 2000, "protocol": 6}).encode(), JSON, 422, "Audio too long"),
        ("POST", "/encode", b"text", {"Content-Type": "application/xml"}, 415, "Unsupported media type"),
        ("POST", "/encode", mp_noname, mp_noname_h, 400, "Malformed multipart body"),
        ("POST", "/encode", b"--x\r\n\r\n", {"Content-Type": "multipart/form-data"}, 400, "Malformed multipart body"),
        ("GET", "/encode", None, {}, 400, "No text provided"),
        ("GET", "/encode?m=hi&p=99", None, {}, 422, "Invalid protocol"),
        ("GET", "/encode?m=hi&s=abc", None, {}, 400, "Invalid parameter"),
        ("GET", "/encode?m=hi&v=1000", None, {}, 422, "Invalid parameter"),
        ("DELETE", "/encode", None, {}, 405, "Method not allowed"),
        ("GET", "/decode", None, {}, 405, "Method not allowed"),
        ("PUT", "/decode", wav, {"Content-Type": "audio/wav"}, 405, "Method not allowed"),
        ("POST", "/decode", b"", {"Content-Type": "audio/wav"}, 400, "No file provided"),
        ("POST", "/decode", mp_nofile, mp_nofile_h, 400, "No file provided"),
        ("POST", "/decode", mp_empty, mp_empty_h, 400, "No file provided"),
        ("POST", "/decode", mp_text, mp_text_h, 400, "File must be a WAV file"),
        ("POST", "/decode", b"RIFF\x00\x00\x00\x00WAVEjunk", {"Content-Type": "audio/wav"}, 422, "Unreadable WAV file"),
        ("POST", "/decode", wav[:40], {"Content-Type": "audio/wav"}, 422, "Unreadable WAV file"),
        ("POST", "/decode", wav[:20] + b"\x55\x00" + wav[22:], {"Content-Type": "audio/wav"}, 422, "Unreadable WAV file"),
        ("POST", "/decode", wav[:22] + b"\x00\x01" + wav[24:], {"Content-Type": "audio/wav"}, 422, "Unsupported audio"),
        ("POST", "/decode", b'{"file": 1}', JSON, 415, "Unsupported media type"),
        ("POST", "/decode?fixed_length=100", wav, {"Content-Type": "audio/wav"}, 422, "Invalid parameter"),
        ("POST", "/decode?dss=2", wav, {"Content-Type": "audio/wav"}, 400, "Invalid parameter"),
        ("POST", "/decode", b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nRIFF",
         {"Content-Type": "multipart/form-data; boundary=b"}, 400, "Malformed multipart body"),
        ("POST", "/health", None, {}, 405, "Method not allowed"),
        ("PATCH", "/metrics", None, {}, 405, "Method not allowed"),
        ("GET", "/no/such/thing", None, {}, 404, "Not found"),
    ]


def test_bad_input_corpus(server):
    cases = _bad_cases()
    assert len(cases) >= 30
    failures = []
    for method, path, body, headers, status, error in cases:
        got, h, out = server.request(method, path, body, headers)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {"raw": out[:200]}
        ok = (got == status and h.get("content-type") == "application/json"
              and doc.get("error") == error and isinstance(doc.get("detail"), str) and doc["detail"])
        if not ok:
            failures.append((method, path, status, error, got, doc))
    assert not failures, "\n".join(map(str, failures))


def raw_exchange(server, head, body_part=b"", deadline=30.0):
    """Send a request head (and maybe part of a body) on a raw socket; return the status line and
    the JSON body of the answer, read until the server closes or the deadline passes."""
    import socket
    import time
    s = socket.create_connection(("127.0.0.1", server.port), timeout=deadline)
    try:
        s.sendall(head + body_part)
        data = b""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                hdr, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"content-length: *(\d+)", hdr, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
                if b"transfer-encoding: chunked" in hdr.lower() and rest.endswith(b"0\r\n\r\n"):
                    break
    finally:
        s.close()
    hdr, _, rest = data.partition(b"\r\n\r\n")
    status = int(hdr.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in hdr.lower():
        out, pos = b"", 0
        while True:
            line_end = rest.index(b"\r\n", pos)
            n = int(rest[pos:line_end], 16)
            if n == 0:
                break
            out += rest[line_end + 2:line_end + 2 + n]
            pos = line_end + 4 + n
        rest = out
    return status, json.loads(rest)


def test_body_over_the_limit_is_refused_without_reading_it(server):
    # The head announces 10 MB + 1; the answer comes without a single body byte sent.
    head = (b"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
            b"Content-Length: 10485761\r\n\r\n")
    status, doc = raw_exchange(server, head)
    assert status == 413 and doc["error"] == "Payload too large"
    assert "10485760" in doc["detail"]


def test_chunked_body_over_the_limit_is_refused(small_server):
    # No Content-Length: the component reads the stream and stops once it passes the limit
    # (100000 bytes here), without waiting for the rest (which is never sent).
    chunk = b"\1" * 8192
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(15))  # 122880 bytes
    head = (b"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    status, doc = raw_exchange(small_server, head, body)
    assert status == 413 and doc["error"] == "Payload too large"
    # And the server still serves.
    assert small_server.request("GET", "/health")[0] == 200


# ---------------------------------------------------------------------------------------------
# Metrics in the key-value store: counted across instances, exactly under concurrency


def metrics(server):
    status, h, out = server.request("GET", "/metrics")
    assert status == 200 and h["content-type"].startswith("text/plain; version=0.0.4")
    values = {}
    for line in out.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            values[k] = float(v)
    return values


def test_metrics_count_across_instances(server):
    before = metrics(server)
    _, wav = encode(server, text="count me")
    for _ in range(3):
        encode(server, text="count me")
    decode(server, wav)
    server.request("GET", "/encode")  # 400
    after = metrics(server)

    def d(key):
        return after.get(key, 0) - before.get(key, 0)

    # The first scrape is counted once it has answered, so it appears in the second.
    assert d("fskhttp_requests_total") == 7
    assert d("fskhttp_encode_requests_total") == 5
    assert d("fskhttp_decode_requests_total") == 1
    assert d("fskhttp_requests_failed_total") == 1
    assert d("fskhttp_requests_successful_total") == 6
    assert d('fskhttp_http_requests_total{endpoint="encode",status="200"}') == 4
    assert d('fskhttp_http_requests_total{endpoint="encode",status="400"}') == 1
    assert d('fskhttp_http_requests_total{endpoint="metrics",status="200"}') == 1
    assert d('fskhttp_request_duration_seconds_count{endpoint="encode"}') == 5
    assert after["fskhttp_requests_active"] >= 1
    assert after["fskhttp_uptime_seconds"] > 0
    for name in ["fskhttp_requests_per_second", 'fskhttp_request_duration_seconds_bucket{endpoint="encode",le="+Inf"}',
                 'fskhttp_request_duration_seconds_sum{endpoint="encode"}']:
        assert name in after


def test_200_concurrent_requests_all_succeed_and_are_counted(server):
    _, wav = encode(server, text=MSG48)
    before = metrics(server)
    mp, mp_h = multipart([("file", "x.wav", wav)])

    def one(i):
        if i % 4 == 0:
            return server.request("POST", "/decode", mp, mp_h, timeout=120)
        if i % 4 == 1:
            return server.request("GET", "/health", timeout=120)
        return server.request("POST", "/encode", json.dumps({"text": f"{MSG48[:40]} {i:04d}"}), JSON,
                              timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    statuses = [r[0] for r in results]
    assert statuses == [200] * 200
    for i, (_, _, body) in enumerate(results):
        if i % 4 == 0:
            assert json.loads(body)["decoded_text"] == MSG48
    after = metrics(server)
    # Atomic increments: exactly 200 more (plus the first scrape), none lost.
    assert after["fskhttp_requests_total"] - before["fskhttp_requests_total"] == 201
    assert after["fskhttp_decode_requests_total"] - before["fskhttp_decode_requests_total"] == 50
    assert after["fskhttp_encode_requests_total"] - before["fskhttp_encode_requests_total"] == 100


def test_counters_survive_a_runtime_restart(wasm, tmp_path):
    kv = tmp_path / "kv"
    a = Server(wasm, kv)
    try:
        for _ in range(3):
            a.request("GET", "/protocols")
    finally:
        a.stop()
    b = Server(wasm, kv)
    try:
        m = metrics(b)
        # 1 /health poll + 3 /protocols from the first run, the second run's /health poll.
        assert m['fskhttp_http_requests_total{endpoint="protocols",status="200"}'] == 3
        assert m["fskhttp_requests_total"] >= 5
    finally:
        b.stop()


# ---------------------------------------------------------------------------------------------
# Configuration through Spin variables; health, protocols, OpenAPI; logs


def test_spin_variables_configure_the_service(small_server):
    status, _, out = small_server.request("GET", "/health")
    cfg = json.loads(out)["configuration"]
    assert cfg == {"log_level": "warn", "max_body_bytes": 100000, "max_audio_seconds": 20.0,
                   "default_protocol": 2, "default_volume": 80, "max_payload_bytes": 140,
                   "warnings": []}
    status, h, _ = small_server.request("GET", "/encode?m=defaults")
    assert status == 200 and h["x-fsk-protocol"] == "2"
    status, _, out = small_server.request("GET", "/encode?m=" + "x" * 141)
    assert status == 413 and json.loads(out)["error"] == "Payload too large"
    status, _, out = small_server.request("POST", "/decode", b"\0" * 100_001, {"Content-Type": "audio/wav"})
    assert status == 413
    status, _, out = small_server.request("GET", "/encode?m=" + "x" * 100 + "&p=6")
    assert status == 422 and json.loads(out)["error"] == "Audio too long"
    # log_level=warn: 4xx lines only, one per request.
    warn = [l for l in small_server.lines if "level=warn method=" in l]
    info = [l for l in small_server.lines if "level=info method=" in l]
    assert info == [] and len(warn) >= 3


def test_one_log_line_per_request(server):
    import time

    def count():
        return sum('path="/protocols"' in l for l in server.lines)

    before = count()
    server.request("GET", "/protocols?log-test")
    deadline = time.monotonic() + 10
    while count() == before:
        assert time.monotonic() < deadline, server.lines[-5:]
        time.sleep(0.01)
    lines = [l for l in server.lines if 'path="/protocols"' in l]
    assert len(lines) == before + 1
    assert re.search(r'level=info method=GET path="/protocols" endpoint=protocols status=200 '
                     r'ms=[\d.]+ bytes=\d+$', lines[-1]), lines[-1]


def test_health_protocols_openapi(server):
    status, _, out = server.request("GET", "/health")
    h = json.loads(out)
    assert status == 200 and h["status"] == "healthy" and h["service"] == "fskhttp"
    assert h["version"] and h["runtime"] == "wasm32-wasip2"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", h["timestamp"])
    assert {"log_level", "max_body_bytes", "max_audio_seconds", "default_protocol",
            "default_volume", "max_payload_bytes"} <= set(h["configuration"])
    status, _, out = server.request("GET", "/protocols")
    protos = json.loads(out)["protocols"]
    assert [p["id"] for p in protos] == list(range(12))
    status, _, out = server.request("GET", "/openapi.json")
    doc = json.loads(out)
    assert doc == json.loads((ROOT / "src" / "http" / "openapi.json").read_text())
    assert set(doc["paths"]) >= {"/encode", "/decode", "/health", "/metrics", "/protocols", "/openapi.json"}
    status, h, out = server.request("GET", "/")
    assert status == 200 and h["content-type"].startswith("text/html")


def test_web_page_is_served_with_and_without_gzip(server):
    import gzip
    web = ROOT / "web"
    # The OpenAPI document is stored with the page (gzip-compressed) and served the same way.
    for name, ctype in [("index.html", "text/html"), ("style.css", "text/css"), ("app.js", "text/javascript"),
                        ("../src/http/openapi.json", "application/json")]:
        want = (web / name).read_bytes()
        path = "/" if name == "index.html" else "/" + name.rsplit("/", 1)[-1]
        status, h, body = server.request("GET", path)
        assert status == 200 and h["content-type"].startswith(ctype)
        assert "content-encoding" not in h and body == want, name
        status, h, body = server.request("GET", path, headers={"Accept-Encoding": "gzip, br"})
        assert status == 200 and h["content-encoding"] == "gzip" and h["vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == want and len(body) < len(want), name
    assert server.request("POST", "/app.js")[0] == 405

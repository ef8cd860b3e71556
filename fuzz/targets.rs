//! The bodies of the fuzz targets, shared by `fuzz_targets/*.rs` (libFuzzer, nightly) and the
//! corpus replay in `tests/properties.rs` (stable, part of `cargo test --release`). Each function
//! must return normally for every input: a panic, an abort or a hang is a finding.

#![allow(dead_code)]

use fskhttp::http::{handle, Config, Context, MemoryStore};
use fskhttp::{decode_samples, decode_wav, read_wav, DecodeOptions, Limits};

/// Limits small enough that one input cannot take seconds, large enough to reach every branch.
fn small_limits() -> Limits {
    Limits {
        max_seconds: 20.0,
        ..Limits::default()
    }
}

/// The WAV reader, then the whole WAV decoder, on arbitrary bytes. The limits must hold for
/// everything the reader accepts.
pub fn wav_reader(data: &[u8]) {
    let limits = small_limits();
    if let Ok(audio) = read_wav(data, &limits) {
        let info = &audio.info;
        assert!(info.channels >= 1 && u32::from(info.channels) <= u32::from(limits.max_channels));
        assert!(info.sample_rate >= limits.min_sample_rate);
        assert!(info.sample_rate <= limits.max_sample_rate);
        let seconds = info.frames as f64 / f64::from(info.sample_rate);
        assert!(seconds <= limits.max_seconds + 1e-9, "{seconds} s accepted");
        assert_eq!(audio.channels.len(), usize::from(info.channels));
        assert!(audio.channels.iter().all(|c| c.len() == info.frames));
    }
    let opts = DecodeOptions {
        limits,
        ..DecodeOptions::default()
    };
    let _ = decode_wav(data, &opts);
}

/// The decoder on arbitrary samples. Layout: byte 0 picks the rate and options, the rest are
/// little-endian i16 samples (so that the fuzzer can write tones) scaled to [-1, 1), with one
/// in 64 replaced by a special float (NaN, infinities, huge) when byte 1 asks for it.
pub fn decode_samples_target(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    const RATES: [u32; 8] = [0, 1, 999, 8000, 16_000, 48_000, 96_000, u32::MAX];
    let rate = RATES[usize::from(data[0] & 7)];
    let dss = data[0] & 8 != 0;
    let fixed_length = match data[0] >> 4 {
        0..=11 => None,
        n => Some(usize::from(n - 11) * 16), // 16, 32, 48, 64
    };
    let specials = data[1] & 1 != 0;
    // Non-finite, huge and tiny values (finding F1 in docs/reliability.md: NaN, infinities and
    // 1e30 crashed the resampler until 974966a).
    let special = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        1e30,
        -1e6,
        1e-45,
    ];
    let samples: Vec<f32> = data[2..]
        .chunks_exact(2)
        .enumerate()
        .map(|(i, c)| {
            if specials && i % 64 == 63 {
                special[usize::from(c[0]) % special.len()]
            } else {
                f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0
            }
        })
        .collect();
    decode_checked(&samples, rate, fixed_length, dss);
}

/// Finding F1 (fixed): the same decoder on samples holding NaN, infinities or huge values (byte 0:
/// rate index, then i16 samples, every 16th one replaced by NaN, +-inf, f32::MAX or 1e30).
pub fn decode_samples_extreme(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    const RATES: [u32; 4] = [8000, 16_000, 44_100, 96_000];
    let rate = RATES[usize::from(data[0] & 3)];
    let special = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 1e30];
    let samples: Vec<f32> = data[1..]
        .chunks_exact(2)
        .enumerate()
        .map(|(i, c)| {
            if i % 16 == 15 {
                special[usize::from(c[0]) % special.len()]
            } else {
                f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0
            }
        })
        .collect();
    decode_checked(&samples, rate, None, false);
}

fn decode_checked(samples: &[f32], rate: u32, fixed_length: Option<usize>, dss: bool) {
    let opts = DecodeOptions {
        fixed_length,
        dss,
        limits: small_limits(),
    };
    if let Ok(d) = decode_samples(samples, rate, &opts) {
        for m in &d {
            assert!(!m.payload.is_empty() || fixed_length.is_none());
        }
    }
}

fn config() -> Config {
    Config {
        log_level: fskhttp::http::LogLevel::Off,
        max_audio_seconds: 20.0,
        ..Config::default()
    }
}

/// One request through the service's `handle`, which must answer (never panic) with a status
/// below 500 (the in-memory store never fails).
fn serve(req: http::Request<Vec<u8>>) {
    let cfg = config();
    let store = MemoryStore::new();
    let ctx = Context {
        config: &cfg,
        store: &store,
        now_ms: 1_764_000_000_000,
    };
    let r = handle(req, &ctx);
    assert!(r.status().as_u16() < 500, "status {}", r.status());
}

const BOUNDARY: &str = "fz";

/// The body parsers of the HTTP layer: multipart (directly and through `/decode` and `/encode`),
/// urlencoded forms, JSON. Byte 0 picks the route and Content-Type; the rest is the body.
pub fn http_body(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let body = &data[1..];
    // The parsers directly, with a boundary taken from the body's first line when it has one.
    let _ = fskhttp::http::multipart::parse(body, BOUNDARY);
    if let Some(line) = body.split(|&b| b == b'\r' || b == b'\n').next() {
        if let Some(b) = line.strip_prefix(b"--") {
            if let Ok(b) = std::str::from_utf8(b) {
                if !b.is_empty() {
                    let _ = fskhttp::http::multipart::parse(body, b);
                }
            }
        }
    }
    let _ = fskhttp::http::params::from_json(body);
    let _ = fskhttp::http::form::parse_urlencoded(&String::from_utf8_lossy(body));
    let content_types = [
        "multipart/form-data; boundary=fz",
        "multipart/form-data; boundary=\"fz\"",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/json",
        "application/x-www-form-urlencoded",
        "audio/wav",
        "",
    ];
    let ct = content_types[usize::from(data[0] & 7)];
    let path = if data[0] & 8 != 0 {
        "/encode"
    } else {
        "/decode"
    };
    let mut b = http::Request::builder().method("POST").uri(path);
    if !ct.is_empty() {
        b = b.header("content-type", ct);
    }
    if let Ok(req) = b.body(body.to_vec()) {
        serve(req);
    }
}

/// The encoder's request parsing: `GET /encode?...` with an arbitrary query (the ggwave-to-file
/// parameters m, p, s, v, l, d, f), and `POST /encode` with arbitrary JSON/form/text bodies.
/// Byte 0 picks the form; payloads are capped by the service's limits.
pub fn encode_request(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let rest = &data[1..];
    let req = match data[0] % 4 {
        0 => {
            // The query string, percent-encoding whatever the URI grammar rejects.
            let mut q = String::new();
            for &c in rest {
                if c.is_ascii_alphanumeric() || b"=&%-._~+".contains(&c) {
                    q.push(char::from(c));
                } else {
                    q.push_str(&format!("%{c:02X}"));
                }
            }
            http::Request::builder()
                .method("GET")
                .uri(format!("/encode?{q}"))
                .body(Vec::new())
        }
        n => {
            let ct = [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
            ][usize::from(n - 1)];
            http::Request::builder()
                .method("POST")
                .uri("/encode")
                .header("content-type", ct)
                .body(rest.to_vec())
        }
    };
    if let Ok(req) = req {
        serve(req);
    }
}

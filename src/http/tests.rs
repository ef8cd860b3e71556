//! Native tests of the service: the same `handle` the Spin component calls.

use super::*;
use crate::{encode_wav, EncodeOptions, SampleFormat};
use http::{Method, Request, Response};
use serde_json::Value;

/// A store that always fails (tests of degraded behaviour).
struct FailingStore;

impl Store for FailingStore {
    fn increment(&self, _: &str, _: i64) -> std::result::Result<i64, StoreError> {
        Err(StoreError::Backend("store unavailable".into()))
    }
    fn keys(&self) -> std::result::Result<Vec<String>, StoreError> {
        Err(StoreError::Backend("store unavailable".into()))
    }
    fn init(&self, _: &str, _: i64) -> std::result::Result<i64, StoreError> {
        Err(StoreError::Backend("store unavailable".into()))
    }
}

fn ctx_with<'a>(config: &'a Config, store: &'a dyn Store) -> Context<'a> {
    Context {
        config,
        store,
        now_ms: 1_764_000_000_000,
    }
}

fn req(method: &str, uri: &str, ct: Option<&str>, body: &[u8]) -> Request<Vec<u8>> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    b.body(body.to_vec()).unwrap()
}

fn call(r: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let cfg = Config::default();
    let store = MemoryStore::new();
    handle(r, &ctx_with(&cfg, &store))
}

fn json_of(r: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(r.body()).unwrap()
}

fn header<'a>(r: &'a Response<Vec<u8>>, name: &str) -> &'a str {
    r.headers().get(name).unwrap().to_str().unwrap()
}

fn wav(text: &[u8], opts: EncodeOptions) -> Vec<u8> {
    encode_wav(text, &opts, SampleFormat::I16).unwrap()
}

fn multipart_body(boundary: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, filename, data) in fields {
        b.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: audio/wav\r\n\r\n").as_bytes(),
            ),
            None => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

#[test]
fn encode_json_is_the_codec_output_with_headers() {
    let r = call(req(
        "POST",
        "/encode",
        Some("application/json"),
        br#"{"text": "Hello World"}"#,
    ));
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "audio/wav");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=encoded.wav"
    );
    assert_eq!(header(&r, "x-fsk-protocol"), "1");
    assert_eq!(header(&r, "x-fsk-protocol-name"), "Fast");
    assert_eq!(header(&r, "x-fsk-message-count"), "1");
    assert_eq!(header(&r, "x-fsk-duration-seconds"), "1.451");
    assert_eq!(r.body(), &wav(b"Hello World", EncodeOptions::default()));
}

#[test]
fn encode_all_inputs_agree() {
    let want = wav(
        b"hi there",
        EncodeOptions {
            protocol: 4,
            volume: 30,
            sample_rate: 44100,
            ..Default::default()
        },
    );
    let json = call(req(
        "POST",
        "/encode",
        Some("application/json; charset=utf-8"),
        br#"{"text":"hi there","protocol":"[U] Fast","volume":30,"sample_rate":44100}"#,
    ));
    let form = call(req(
        "POST",
        "/encode",
        Some("application/x-www-form-urlencoded"),
        b"text=hi+there&protocol=4&volume=30&sample_rate=44100",
    ));
    let get = call(req(
        "GET",
        "/encode?m=hi%20there&p=4&v=30&s=44100",
        None,
        b"",
    ));
    let mp = call(req(
        "POST",
        "/encode",
        Some("multipart/form-data; boundary=b0"),
        &multipart_body(
            "b0",
            &[
                ("text", None, b"hi there"),
                ("protocol", None, b"ultrasound-fast"),
                ("volume", None, b"30"),
                ("sample_rate", None, b"44100"),
            ],
        ),
    ));
    let plain = call(req(
        "POST",
        "/encode?protocol=4&volume=30&sample_rate=44100",
        Some("text/plain"),
        b"hi there",
    ));
    for r in [json, form, get, mp, plain] {
        assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
        assert_eq!(r.body(), &want);
    }
}

#[test]
fn encode_fixed_length_dss_and_float() {
    let opts = EncodeOptions {
        protocol: 9,
        fixed_length: Some(11),
        dss: true,
        ..Default::default()
    };
    let want = encode_wav(b"Hello World", &opts, SampleFormat::F32).unwrap();
    let r = call(req(
        "POST",
        "/encode",
        Some("application/json"),
        br#"{"text":"Hello World","protocol":9,"fixed_length":11,"dss":true,"format":"wav32f"}"#,
    ));
    assert_eq!(r.status(), 200);
    assert_eq!(r.body(), &want);
    let g = call(req(
        "GET",
        "/encode?m=Hello%20World&p=9&l=11&d=1&f=wav32f",
        None,
        b"",
    ));
    assert_eq!(g.body(), &want);
    // ggwave-to-file: -l0 means variable length.
    let v = call(req("GET", "/encode?m=A&l=0&d=0", None, b""));
    assert_eq!(v.body(), &wav(b"A", EncodeOptions::default()));
}

#[test]
fn long_text_is_several_transmissions_and_newlines_are_kept() {
    let text = "line one\nline two\n".repeat(10); // 180 bytes
    let body = serde_json::json!({ "text": text }).to_string();
    let r = call(req(
        "POST",
        "/encode",
        Some("application/json"),
        body.as_bytes(),
    ));
    assert_eq!(r.status(), 200);
    // Framed by default: two data pieces and one parity piece.
    assert_eq!(header(&r, "x-fsk-message-count"), "3");
    assert_eq!(header(&r, "x-fsk-payload-bytes"), "180");
    assert_eq!(r.body(), &wav(text.as_bytes(), EncodeOptions::default()));
}

#[test]
fn encode_base64_data() {
    let r = call(req(
        "POST",
        "/encode",
        Some("application/json"),
        br#"{"data_base64":"AAEC/w=="}"#,
    ));
    assert_eq!(r.status(), 200);
    assert_eq!(r.body(), &wav(&[0, 1, 2, 255], EncodeOptions::default()));
}

#[test]
fn configured_defaults_apply() {
    let cfg = Config::from_lookup(|n| match n {
        "default_protocol" => Some("fastest".into()),
        "default_volume" => Some("80".into()),
        _ => None,
    });
    assert_eq!((cfg.default_protocol, cfg.default_volume), (2, 80));
    let store = MemoryStore::new();
    let r = handle(
        req("GET", "/encode?m=x", None, b""),
        &ctx_with(&cfg, &store),
    );
    let want = wav(
        b"x",
        EncodeOptions {
            protocol: 2,
            volume: 80,
            ..Default::default()
        },
    );
    assert_eq!(r.body(), &want);
}

#[test]
fn config_typos_fall_back_to_defaults_with_warnings() {
    let cfg = Config::from_lookup(|n| match n {
        "log_level" => Some("loud".into()),
        "max_body_bytes" => Some("ten".into()),
        "max_audio_seconds" => Some("-1".into()),
        "default_protocol" => Some("9".into()),
        "default_volume" => Some("0".into()),
        "max_payload_bytes" => Some("99999".into()),
        _ => None,
    });
    let d = Config::default();
    assert_eq!(cfg.log_level, d.log_level);
    assert_eq!(cfg.max_body_bytes, d.max_body_bytes);
    assert_eq!(cfg.default_protocol, d.default_protocol);
    assert_eq!(cfg.warnings.len(), 6, "{:?}", cfg.warnings);
    let ok = Config::from_lookup(|n| match n {
        "log_level" => Some("DEBUG".into()),
        "max_body_bytes" => Some("2048".into()),
        "max_audio_seconds" => Some("60".into()),
        "max_payload_bytes" => Some("140".into()),
        _ => None,
    });
    assert!(ok.warnings.is_empty());
    assert_eq!(ok.log_level, LogLevel::Debug);
    assert_eq!(ok.max_body_bytes, 2048);
    assert_eq!(ok.max_payload_bytes, 140);
}

#[test]
fn decode_multipart_and_raw_give_the_old_fields() {
    let w = wav(b"Hello World", EncodeOptions::default());
    let mp = call(req(
        "POST",
        "/decode",
        Some("multipart/form-data; boundary=XX"),
        &multipart_body("XX", &[("file", Some("recording.bin"), &w)]),
    ));
    let raw = call(req("POST", "/decode", Some("audio/wav"), &w));
    for r in [mp, raw] {
        assert_eq!(r.status(), 200);
        let v = json_of(&r);
        assert_eq!(v["audio_info"]["bps"], 16);
        assert_eq!(v["audio_info"]["channels"], 1);
        assert_eq!(v["audio_info"]["sample_rate"], 48000);
        assert_eq!(v["audio_info"]["total_samples"], 69632);
        assert!(v["processing_time_seconds"].is_f64());
        assert_eq!(v["success"], true);
        assert_eq!(v["decoded_text"], "Hello World");
        assert_eq!(v["message_length"], 11);
        assert_eq!(v["messages"][0]["text"], "Hello World");
        assert_eq!(v["messages"][0]["data_base64"], "SGVsbG8gV29ybGQ=");
        assert_eq!(v["messages"][0]["protocol"], 1);
        assert!(v["messages"][0]["start_seconds"].as_f64().unwrap() >= 0.0);
        // Quality figures of a clean encode; no diagnosis when something was decoded.
        assert!(v["messages"][0]["snr_db"].as_f64().unwrap() > 30.0, "{v}");
        assert_eq!(v["messages"][0]["drift_ppm"], 0.0);
        assert_eq!(v["messages"][0]["corrected_bytes"], 0);
        assert!(
            v["diagnosis"].is_null() && v["diagnosis_kind"].is_null(),
            "{v}"
        );
    }
}

#[test]
fn decode_says_why_nothing_was_found() {
    // Digital silence, a 440 Hz hum, seeded white noise.
    let hum: Vec<f32> = (0..48000)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48000.0).sin())
        .collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<f32> = (0..96000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            0.2 * ((seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        })
        .collect();
    for (samples, kind, words) in [
        (vec![0.0; 48000], "silent", "silent"),
        (hum, "out_of_band", "outside every protocol band"),
        (noise, "nothing_found", "nothing resembling a transmission"),
    ] {
        let w = crate::write_wav(&samples, 48000, SampleFormat::I16);
        let r = call(req("POST", "/decode", Some("audio/wav"), &w));
        assert_eq!(r.status(), 200);
        let v = json_of(&r);
        assert_eq!(v["messages"], serde_json::json!([]));
        assert_eq!(v["diagnosis_kind"], kind, "{v}");
        assert!(v["diagnosis"].as_str().unwrap().contains(words), "{v}");
    }
}

#[test]
fn decode_reads_g711_mu_law() {
    // "A" encoded at 8 kHz with [DT] Fast, stored as μ-law (G.711 code words: sign, segment and
    // step of each 16-bit sample, complemented).
    let o = EncodeOptions {
        protocol: 7,
        sample_rate: 8000,
        ..Default::default()
    };
    let samples = crate::encode(b"A", &o).unwrap();
    let codes: Vec<u8> = samples
        .iter()
        .map(|&v| {
            let x = (v * 32767.0) as i32;
            let sign = if x < 0 { 0x80u8 } else { 0 };
            let mag = (x.unsigned_abs().min(32635) + 132) as u16;
            let seg = (15 - mag.leading_zeros() as u16).saturating_sub(7).min(7);
            !(sign | (seg << 4) as u8 | ((mag >> (seg + 3)) & 0x0f) as u8)
        })
        .collect();
    let mut w = crate::write_wav(&[], 8000, SampleFormat::I16);
    w[20] = 7; // format tag: mu-law
    w[28..32].copy_from_slice(&8000u32.to_le_bytes()); // byte rate
    w[32] = 1; // block align
    w[34] = 8; // bits
    w[40..44].copy_from_slice(&(codes.len() as u32).to_le_bytes());
    w.extend_from_slice(&codes);
    let riff = w.len() as u32 - 8;
    w[4..8].copy_from_slice(&riff.to_le_bytes());
    let r = call(req("POST", "/decode", Some("audio/wav"), &w));
    assert_eq!(r.status(), 200);
    let v = json_of(&r);
    assert_eq!(v["decoded_text"], "A", "{v}");
    assert_eq!(v["audio_info"]["bps"], 8);
}

#[test]
fn decode_silence_is_200_with_nothing() {
    let silence = crate::write_wav(&vec![0.0; 48000], 48000, SampleFormat::I16);
    let r = call(req("POST", "/decode", Some("audio/wav"), &silence));
    assert_eq!(r.status(), 200);
    let v = json_of(&r);
    assert_eq!(v["decoded_text"], "");
    assert_eq!(v["message_length"], 0);
    assert_eq!(v["messages"], serde_json::json!([]));
    assert_eq!(v["diagnosis_kind"], "silent");
}

/// method, uri, content type, body, expected status, expected `error`.
type Case<'a> = (&'a str, String, Option<&'a str>, Vec<u8>, u16, &'a str);

#[test]
fn bad_input_corpus() {
    let w = wav(b"A", EncodeOptions::default());
    let mut truncated = w[..30].to_vec();
    truncated.truncate(30);
    let mut adpcm = w.clone();
    adpcm[20] = 2; // format tag 2 (MS ADPCM; G.711 tags 6 and 7 are read)
    let too_long_wav = crate::write_wav(&vec![0.0; 8000 * 301], 8000, SampleFormat::I16);
    let json = Some("application/json");
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/encode".into(),
            json,
            b"{}".to_vec(),
            400,
            "No text provided",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":""}"#.to_vec(),
            400,
            "No text provided",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            b"{not json".to_vec(),
            400,
            "Invalid JSON",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            b"[1,2]".to_vec(),
            400,
            "Invalid JSON",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":5}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","data_base64":"YQ=="}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"data_base64":"!!!"}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","protocol":99}"#.to_vec(),
            422,
            "Invalid protocol",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","protocol":"warp"}"#.to_vec(),
            422,
            "Invalid protocol",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","protocol":[1]}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","volume":0}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","volume":101}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","volume":"loud"}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","volume":5.5}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","sample_rate":4000}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","sample_rate":8000,"protocol":4}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","fixed_length":65}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","protocol":10}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","dss":"maybe"}"#.to_vec(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            br#"{"text":"a","format":"mp3"}"#.to_vec(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            format!("{{\"text\":\"{}\"}}", "x".repeat(4097)).into_bytes(),
            413,
            "Payload too large",
        ),
        (
            "POST",
            "/encode".into(),
            json,
            format!("{{\"text\":\"{}\",\"protocol\":6}}", "x".repeat(1200)).into_bytes(),
            422,
            "Audio too long",
        ),
        (
            "POST",
            "/encode".into(),
            Some("image/png"),
            b"\x89PNG".to_vec(),
            415,
            "Unsupported media type",
        ),
        (
            "POST",
            "/encode".into(),
            None,
            b"text".to_vec(),
            415,
            "Unsupported media type",
        ),
        (
            "POST",
            "/encode".into(),
            Some("multipart/form-data"),
            b"--x\r\n".to_vec(),
            400,
            "Malformed multipart body",
        ),
        (
            "PUT",
            "/encode".into(),
            json,
            b"{}".to_vec(),
            405,
            "Method not allowed",
        ),
        (
            "GET",
            "/encode".into(),
            None,
            vec![],
            400,
            "No text provided",
        ),
        (
            "GET",
            "/encode?m=a&p=12".into(),
            None,
            vec![],
            422,
            "Invalid protocol",
        ),
        (
            "GET",
            "/encode?m=a&v=abc".into(),
            None,
            vec![],
            400,
            "Invalid parameter",
        ),
        (
            "GET",
            "/encode?m=a&l=99".into(),
            None,
            vec![],
            422,
            "Invalid parameter",
        ),
        (
            "GET",
            "/decode".into(),
            None,
            vec![],
            405,
            "Method not allowed",
        ),
        (
            "POST",
            "/decode".into(),
            Some("audio/wav"),
            vec![],
            400,
            "No file provided",
        ),
        (
            "POST",
            "/decode".into(),
            Some("audio/wav"),
            b"hello, not a wav".to_vec(),
            400,
            "File must be a WAV file",
        ),
        (
            "POST",
            "/decode".into(),
            Some("audio/wav"),
            truncated,
            422,
            "Unreadable WAV file",
        ),
        (
            "POST",
            "/decode".into(),
            Some("audio/wav"),
            adpcm,
            422,
            "Unreadable WAV file",
        ),
        (
            "POST",
            "/decode".into(),
            Some("audio/wav"),
            too_long_wav,
            422,
            "Audio too long",
        ),
        (
            "POST",
            "/decode?fixed_length=65".into(),
            Some("audio/wav"),
            w.clone(),
            422,
            "Invalid parameter",
        ),
        (
            "POST",
            "/decode?dss=perhaps".into(),
            Some("audio/wav"),
            w.clone(),
            400,
            "Invalid parameter",
        ),
        (
            "POST",
            "/decode".into(),
            json,
            br#"{"file":"x"}"#.to_vec(),
            415,
            "Unsupported media type",
        ),
        (
            "POST",
            "/decode".into(),
            Some("multipart/form-data; boundary=q"),
            multipart_body("q", &[("upload", Some("a.wav"), &w)]),
            400,
            "No file provided",
        ),
        (
            "POST",
            "/decode".into(),
            Some("multipart/form-data; boundary=q"),
            multipart_body("q", &[("file", Some("a.wav"), b"")]),
            400,
            "No file provided",
        ),
        (
            "POST",
            "/decode".into(),
            Some("multipart/form-data; boundary=q"),
            b"--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nRIFF".to_vec(),
            400,
            "Malformed multipart body",
        ),
        (
            "POST",
            "/health".into(),
            None,
            vec![],
            405,
            "Method not allowed",
        ),
        (
            "DELETE",
            "/metrics".into(),
            None,
            vec![],
            405,
            "Method not allowed",
        ),
        ("GET", "/nope".into(), None, vec![], 404, "Not found"),
        (
            "GET",
            "/../etc/passwd".into(),
            None,
            vec![],
            404,
            "Not found",
        ),
    ];
    assert!(cases.len() >= 30);
    for (method, uri, ct, body, status, error) in cases {
        let r = call(req(method, &uri, ct, &body));
        assert_eq!(
            r.status().as_u16(),
            status,
            "{method} {uri} {ct:?}: {}",
            String::from_utf8_lossy(r.body())
        );
        assert_eq!(header(&r, "content-type"), "application/json");
        let v = json_of(&r);
        assert_eq!(v["error"], error, "{method} {uri}: {v}");
        assert!(!v["detail"].as_str().unwrap().is_empty());
        if status == 405 {
            assert!(r.headers().get("allow").is_some());
        }
    }
}

#[test]
fn body_over_the_limit_is_413() {
    let cfg = Config {
        max_body_bytes: 1024,
        ..Config::default()
    };
    let store = MemoryStore::new();
    let r = handle(
        req("POST", "/decode", Some("audio/wav"), &vec![0u8; 2000]),
        &ctx_with(&cfg, &store),
    );
    assert_eq!(r.status(), 413);
    assert_eq!(json_of(&r)["error"], "Payload too large");
    let r = reject(
        &Method::POST,
        "/decode",
        too_large(5_000_000, &cfg),
        &ctx_with(&cfg, &store),
    );
    assert_eq!(r.status(), 413);
    let (t, _) = metrics::totals(&store, 0).unwrap();
    assert_eq!((t.requests, t.failed, t.decode), (2, 2, 2));
}

#[test]
fn metrics_count_requests() {
    let cfg = Config::default();
    let store = MemoryStore::new();
    let ctx = ctx_with(&cfg, &store);
    for _ in 0..3 {
        handle(req("GET", "/encode?m=a", None, b""), &ctx);
    }
    handle(req("GET", "/encode", None, b""), &ctx);
    handle(req("GET", "/health", None, b""), &ctx);
    let r = handle(req("GET", "/metrics", None, b""), &ctx);
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(r.body().clone()).unwrap();
    for line in [
        "fskhttp_requests_total 5",
        "fskhttp_requests_active 1",
        "fskhttp_requests_successful_total 4",
        "fskhttp_requests_failed_total 1",
        "fskhttp_encode_requests_total 4",
        "fskhttp_decode_requests_total 0",
        "fskhttp_http_requests_total{endpoint=\"encode\",status=\"200\"} 3",
        "fskhttp_http_requests_total{endpoint=\"encode\",status=\"400\"} 1",
        "fskhttp_http_requests_total{endpoint=\"health\",status=\"200\"} 1",
        "fskhttp_request_duration_seconds_bucket{endpoint=\"encode\",le=\"+Inf\"} 4",
        "fskhttp_request_duration_seconds_count{endpoint=\"encode\"} 4",
        "# TYPE fskhttp_request_duration_seconds histogram",
        "# TYPE fskhttp_uptime_seconds gauge",
        "# TYPE fskhttp_requests_per_second gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // Buckets are cumulative and end at 30 s then +Inf.
    assert!(text.contains("le=\"30\""));
    let (t, _) = metrics::totals(&store, 0).unwrap();
    assert_eq!((t.active, t.requests), (0, 6));
}

#[test]
fn store_failure_degrades_health_but_not_encoding() {
    let cfg = Config::default();
    let store = FailingStore;
    let ctx = ctx_with(&cfg, &store);
    let h = handle(req("GET", "/health", None, b""), &ctx);
    assert_eq!(h.status(), 503);
    assert_eq!(json_of(&h)["status"], "degraded");
    let e = handle(req("GET", "/encode?m=a", None, b""), &ctx);
    assert_eq!(e.status(), 200);
    assert_eq!(
        handle(req("GET", "/metrics", None, b""), &ctx).status(),
        503
    );
}

#[test]
fn health_protocols_openapi() {
    let h = call(req("GET", "/health", None, b""));
    assert_eq!(h.status(), 200);
    let v = json_of(&h);
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["service"], "fskhttp");
    assert_eq!(v["version"], VERSION);
    assert_eq!(v["timestamp"], "2025-11-24T16:00:00.000Z");
    assert_eq!(v["configuration"]["log_level"], "info");
    assert_eq!(v["configuration"]["max_body_bytes"], 10_485_760);
    let p = json_of(&call(req("GET", "/protocols", None, b"")));
    assert_eq!(p["protocols"].as_array().unwrap().len(), 12);
    assert_eq!(p["protocols"][1]["name"], "Fast");
    let o = call(req("GET", "/openapi.json", None, b""));
    let doc = json_of(&o);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/encode",
        "/decode",
        "/health",
        "/metrics",
        "/protocols",
        "/openapi.json",
    ] {
        assert!(doc["paths"][path].is_object(), "openapi lacks {path}");
    }
    let root = call(req("GET", "/", None, b""));
    assert_eq!(root.status(), 200);
    assert!(header(&root, "content-type").starts_with("text/html"));
}

/// Seeded random requests (garbage bodies, truncated and bit-flipped WAVs and multipart bodies,
/// odd content types and query strings) never get a 5xx, and every 4xx is the JSON error shape.
#[test]
fn random_requests_never_fail_server_side() {
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let wav_ok = wav(b"fuzz", EncodeOptions::default());
    let mp = multipart_body(
        "zz",
        &[("file", Some("f.wav"), &wav_ok), ("dss", None, b"1")],
    );
    let types = [
        None,
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=zz"),
        Some("multipart/form-data"),
        Some("text/plain"),
        Some("audio/wav"),
        Some("application/octet-stream"),
        Some("image/gif"),
    ];
    let uris = [
        "/encode",
        "/encode?m=%ff%fe&p=x&v=&l=-3&d=maybe",
        "/encode?protocol=3&sample_rate=8000",
        "/decode",
        "/decode?fixed_length=abc&dss=",
        "/decode?fixed_length=64",
        "/health",
        "/metrics",
        "/%2e%2e/x",
    ];
    let methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];
    let cfg = Config {
        log_level: LogLevel::Off,
        ..Config::default()
    };
    let store = MemoryStore::new();
    let ctx = ctx_with(&cfg, &store);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..400 {
        let base: Vec<u8> = match next() % 4 {
            0 => (0..next() % 300).map(|_| next() as u8).collect(),
            1 => {
                let mut w = wav_ok[..(next() % wav_ok.len()).max(1)].to_vec();
                for _ in 0..next() % 8 {
                    let i = next() % w.len();
                    w[i] ^= 1 << (next() % 8);
                }
                w
            }
            2 => {
                let mut m = mp[..next() % mp.len()].to_vec();
                if !m.is_empty() && next() % 2 == 0 {
                    let i = next() % m.len();
                    m[i] = next() as u8;
                }
                m
            }
            _ => br#"{"text": "x", "protocol": "7", "volume": 99, "fixed_length": null}"#.to_vec(),
        };
        let r = handle(
            req(
                methods[next() % methods.len()],
                uris[next() % uris.len()],
                types[next() % types.len()],
                &base,
            ),
            &ctx,
        );
        let status = r.status().as_u16();
        *seen.entry(status).or_insert(0) += 1;
        assert!(
            status < 500,
            "{status}: {}",
            String::from_utf8_lossy(r.body())
        );
        if status >= 400 {
            let v = json_of(&r);
            assert!(v["error"].is_string() && v["detail"].is_string(), "{v}");
        }
    }
    // The mix reaches successes and every kind of refusal.
    for status in [200, 400, 404, 405, 415, 422] {
        assert!(seen.contains_key(&status), "no {status} in {seen:?}");
    }
}

/// A framed WAV (protocol 2, `parity` parity pieces) with the transmissions in `lost` cut out.
fn framed_wav_without(payload: &[u8], parity: u8, lost: &[usize]) -> Vec<u8> {
    let o = EncodeOptions {
        protocol: 2,
        parity,
        ..EncodeOptions::default()
    };
    let audio = crate::encode_48k(payload, &o).unwrap();
    let layout = crate::plan(payload.len(), &o).unwrap().framed.unwrap();
    let (mut at, mut kept) = (0usize, Vec::new());
    for i in 0..layout.pieces() {
        let n = crate::frame::transmission_frames(
            &crate::PROTOCOLS[2],
            layout.piece_len(i),
            crate::frame::Mode::Variable,
        ) * crate::protocol::FRAME;
        if !lost.contains(&i) {
            kept.extend_from_slice(&audio[at..at + n]);
        }
        at += n;
        kept.extend_from_slice(&audio[at..(at + crate::encoder::GAP_SAMPLES).min(audio.len())]);
        at += crate::encoder::GAP_SAMPLES;
    }
    crate::write_wav(&kept, 48000, SampleFormat::I16)
}

#[test]
fn encode_takes_parity_and_framing_everywhere() {
    let text = "x".repeat(300); // 3 data pieces of 100 bytes
    let json = serde_json::json!({ "text": text, "parity": 2 }).to_string();
    let j = call(req(
        "POST",
        "/encode",
        Some("application/json"),
        json.as_bytes(),
    ));
    assert_eq!(j.status(), 200);
    assert_eq!(header(&j, "x-fsk-message-count"), "5");
    assert_eq!(header(&j, "x-fsk-framed"), "true");
    assert_eq!(header(&j, "x-fsk-data-pieces"), "3");
    assert_eq!(header(&j, "x-fsk-parity-pieces"), "2");
    let form = format!("text={text}&parity=2&framing=auto");
    let f = call(req(
        "POST",
        "/encode",
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
    ));
    assert_eq!(f.body(), j.body());
    let q = call(req("GET", &format!("/encode?m={text}&parity=2"), None, b""));
    assert_eq!(q.body(), j.body());
    // framing=none: today's plain split; always: a short text framed too.
    let none = call(req(
        "POST",
        "/encode?framing=none",
        Some("text/plain"),
        text.as_bytes(),
    ));
    assert_eq!(header(&none, "x-fsk-message-count"), "3");
    assert_eq!(header(&none, "x-fsk-framed"), "false");
    let always = call(req(
        "GET",
        "/encode?m=hi&framing=always&parity=0",
        None,
        b"",
    ));
    assert_eq!(header(&always, "x-fsk-message-count"), "1");
    assert_eq!(header(&always, "x-fsk-framed"), "true");
    // A short text with auto is unchanged byte for byte.
    let short = call(req("GET", "/encode?m=hi&parity=3", None, b""));
    assert_eq!(short.body(), &wav(b"hi", EncodeOptions::default()));
    assert_eq!(header(&short, "x-fsk-framed"), "false");
}

#[test]
fn encode_refuses_bad_parity_and_framing() {
    for (uri, detail) in [
        ("/encode?m=hi&parity=9", "parity 9 outside 0-8"),
        ("/encode?m=hi&parity=-1", "`parity` is -1, outside 0-8"),
        ("/encode?m=hi&framing=sometimes", "use auto, always or none"),
        (
            "/encode?m=hi&l=8&framing=always",
            "framing needs transmissions",
        ),
    ] {
        let r = call(req("GET", uri, None, b""));
        assert_eq!(r.status(), 422, "{uri}");
        let v = json_of(&r);
        assert_eq!(v["error"], "Invalid parameter", "{uri}");
        assert!(v["detail"].as_str().unwrap().contains(detail), "{uri}: {v}");
    }
}

#[test]
fn decode_rebuilds_a_lost_piece_and_never_presents_an_incomplete_payload() {
    let text = "data over sound, framed: ".repeat(20); // 500 bytes, 4 data pieces
    let one = call(req(
        "POST",
        "/decode",
        Some("audio/wav"),
        &framed_wav_without(text.as_bytes(), 1, &[2]),
    ));
    assert_eq!(one.status(), 200);
    let v = json_of(&one);
    assert_eq!(v["success"], true);
    assert_eq!(v["decoded_text"], text.as_str());
    assert_eq!(v["messages"].as_array().unwrap().len(), 4);
    let p = &v["payloads"][0];
    assert_eq!(p["complete"], true);
    assert_eq!(p["pieces"], 4);
    assert_eq!(p["recovered"], serde_json::json!([2]));
    assert_eq!(p["missing"], serde_json::json!([]));
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    assert_eq!(p["data_base64"], b64.as_str());
    assert_eq!(v["incomplete"], serde_json::json!([]));

    let two = call(req(
        "POST",
        "/decode",
        Some("audio/wav"),
        &framed_wav_without(text.as_bytes(), 1, &[1, 3]),
    ));
    let v = json_of(&two);
    assert_eq!(v["success"], false);
    assert_eq!(v["decoded_text"], "");
    assert_eq!(v["message_length"], 0);
    let p = &v["payloads"][0];
    assert_eq!(p["complete"], false);
    assert_eq!(p["missing"], serde_json::json!([1, 3]));
    assert_eq!(p["data_base64"], Value::Null);
    assert_eq!(p["text"], Value::Null);
    let why = v["incomplete"][0].as_str().unwrap();
    assert!(why.contains("indices 1, 3"), "{why}");
}

//! The HTTP service: plain functions over the `http` crate's types, with no runtime. The Spin
//! component (`spin_component`) is a thin shell around [`handle`]; native tests call it directly.
//!
//! | route | method | what |
//! |---|---|---|
//! | `/encode` | POST | JSON `{"text"}`/`{"data_base64"}`, form or multipart field `text`, or a text/plain body: a WAV |
//! | `/encode` | GET | `?m=&p=&s=&v=&l=&d=` (ggwave-to-file web service): a WAV |
//! | `/decode` | POST | multipart field `file` or a raw WAV body: JSON |
//! | `/health`, `/metrics`, `/protocols`, `/openapi.json` | GET | status, Prometheus text, protocol table, OpenAPI 3 |
//! | `/`, `/<file>` | GET | the web page (feature `web-assets`) |

pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod metrics;
pub mod multipart;
pub mod params;
pub mod store;

pub use config::{Config, LogLevel};
pub use error::ApiError;
pub use store::{MemoryStore, Store};

use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use params::Params;
use serde_json::json;
use std::time::Instant;

/// The OpenAPI 3 document (kept in the repository next to this file).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Service version reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a request is served with.
pub struct Context<'a> {
    /// Settings.
    pub config: &'a Config,
    /// Counters.
    pub store: &'a dyn Store,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub now_ms: i64,
}

type Result<T> = std::result::Result<T, ApiError>;

/// The route label of a path (for metrics and logs).
pub fn endpoint_of(path: &str) -> &'static str {
    match path {
        "/encode" => "encode",
        "/decode" => "decode",
        "/health" => "health",
        "/metrics" => "metrics",
        "/protocols" => "protocols",
        "/openapi.json" => "openapi",
        p if p == "/" || assets::find(p.trim_start_matches('/')).is_some() => "web",
        _ => "other",
    }
}

/// Serve one request: route it, turn every error into a 4xx JSON answer, count it, log it.
pub fn handle(req: Request<Vec<u8>>, ctx: &Context) -> Response<Vec<u8>> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let store_ok = metrics::begin(ctx.store);
    let result = if req.body().len() > ctx.config.max_body_bytes {
        Err(too_large(req.body().len() as u64, ctx.config))
    } else {
        route(&req, ctx)
    };
    finish(&method, &path, result, start, store_ok, ctx)
}

/// Answer a request refused before its body was read (the Spin shell's body limit), counted and
/// logged like any other.
pub fn reject(method: &Method, path: &str, err: ApiError, ctx: &Context) -> Response<Vec<u8>> {
    let start = Instant::now();
    let store_ok = metrics::begin(ctx.store);
    finish(method, path, Err(err), start, store_ok, ctx)
}

/// The 413 for a body over the limit.
pub fn too_large(len: u64, cfg: &Config) -> ApiError {
    ApiError::TooLarge {
        detail: format!(
            "the request body is {len} bytes or more; the limit is {} bytes (max_body_bytes)",
            cfg.max_body_bytes
        ),
    }
}

fn finish(
    method: &Method,
    path: &str,
    result: Result<Response<Vec<u8>>>,
    start: Instant,
    store_ok: std::result::Result<(), String>,
    ctx: &Context,
) -> Response<Vec<u8>> {
    let endpoint = endpoint_of(path);
    let (resp, err) = match result {
        Ok(r) => (r, None),
        Err(e) => (error_response(&e), Some(e)),
    };
    let status = resp.status().as_u16();
    let seconds = start.elapsed().as_secs_f64();
    let store_result = store_ok.and_then(|_| metrics::finish(ctx.store, endpoint, status, seconds));
    let level = ctx.config.log_level;
    let line_level = if status >= 500 {
        LogLevel::Error
    } else if status >= 400 {
        LogLevel::Warn
    } else {
        LogLevel::Info
    };
    if level >= line_level {
        let mut line = format!(
            "level={} method={method} path={path:?} endpoint={endpoint} status={status} ms={:.2} bytes={}",
            line_level.name(),
            seconds * 1000.0,
            resp.body().len()
        );
        if let Some(e) = &err {
            line.push_str(&format!(" error={:?}", e.detail()));
        }
        if let Err(e) = &store_result {
            line.push_str(&format!(" store_error={e:?}"));
        }
        if !ctx.config.warnings.is_empty() {
            // Each request is a fresh instance: repeat bad settings on its one line.
            line.push_str(&format!(" config_warnings={:?}", ctx.config.warnings));
        }
        eprintln!("{line}");
    }
    resp
}

fn error_response(e: &ApiError) -> Response<Vec<u8>> {
    let mut r = json_response(e.status(), e.body());
    if let ApiError::MethodNotAllowed { allowed, .. } = e {
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
    }
    r
}

fn response(status: u16, content_type: &'static str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json_response(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    response(status, "application/json", body)
}

fn allow(method: &Method, allowed: &'static [Method], allow_header: &'static str) -> Result<()> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: allow_header,
        })
    }
}

fn route(req: &Request<Vec<u8>>, ctx: &Context) -> Result<Response<Vec<u8>>> {
    let m = req.method();
    match req.uri().path() {
        "/encode" => {
            allow(m, &[Method::GET, Method::POST], "GET, POST")?;
            if m == Method::GET {
                encode_get(req, ctx)
            } else {
                encode_post(req, ctx)
            }
        }
        "/decode" => {
            allow(m, &[Method::POST], "POST")?;
            decode_post(req, ctx)
        }
        "/health" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(health(ctx))
        }
        "/metrics" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(match metrics::render(ctx.store, ctx.now_ms) {
                Ok(text) => response(200, "text/plain; version=0.0.4; charset=utf-8", text.into_bytes()),
                Err(e) => json_response(
                    503,
                    json!({"error": "Metrics unavailable", "detail": format!("key-value store: {e}")})
                        .to_string()
                        .into_bytes(),
                ),
            })
        }
        "/protocols" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(protocols())
        }
        "/openapi.json" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(json_response(200, OPENAPI.as_bytes().to_vec()))
        }
        path => {
            let name = path.trim_start_matches('/');
            let name = if name.is_empty() { "index.html" } else { name };
            match assets::find(name) {
                Some((ct, gz)) => {
                    allow(m, &[Method::GET], "GET")?;
                    Ok(asset_response(req, ct, gz))
                }
                None if name == "index.html" => {
                    allow(m, &[Method::GET], "GET")?;
                    Ok(response(
                        200,
                        "text/html; charset=utf-8",
                        FALLBACK_INDEX.as_bytes().to_vec(),
                    ))
                }
                None => Err(ApiError::NotFound {
                    path: path.chars().take(200).collect(),
                }),
            }
        }
    }
}

/// An embedded file (stored gzip-compressed): as is to clients that accept gzip, inflated for
/// the others.
fn asset_response(req: &Request<Vec<u8>>, ct: &'static str, gz: &[u8]) -> Response<Vec<u8>> {
    let accepts_gzip = req
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .to_ascii_lowercase()
                .contains("gzip")
        });
    let plain = if accepts_gzip {
        None
    } else {
        assets::gunzip(gz)
    };
    let mut r = match plain {
        Some(bytes) => response(200, ct, bytes),
        None => {
            // Either the client takes gzip, or (impossible for what build.rs wrote) the data
            // would not inflate: send it compressed rather than nothing.
            let mut r = response(200, ct, gz.to_vec());
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
    };
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

const FALLBACK_INDEX: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>fskhttp</title></head><body><h1>fskhttp</h1><p>A ggwave-compatible data-over-sound modem.</p><ul><li><a href=\"/openapi.json\">/openapi.json</a>: the API</li><li><a href=\"/protocols\">/protocols</a></li><li><a href=\"/health\">/health</a></li><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/encode?m=Hello%20World\">/encode?m=Hello World</a></li></ul></body></html>\n";

/// The media type of a request, lowercased, without parameters.
fn media_type(req: &Request<Vec<u8>>) -> Option<String> {
    let v = req.headers().get(header::CONTENT_TYPE)?;
    let s = String::from_utf8_lossy(v.as_bytes());
    Some(
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

fn content_type_str(req: &Request<Vec<u8>>) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

fn query_params(req: &Request<Vec<u8>>) -> Params {
    let mut p = Params::default();
    p.extend_text(multipart::parse_urlencoded(req.uri().query().unwrap_or("")));
    p
}

fn multipart_params(req: &Request<Vec<u8>>) -> Result<(Params, Option<Vec<u8>>, bool)> {
    let b = multipart::boundary(&content_type_str(req))?;
    let parts = multipart::parse(req.body(), &b)?;
    let mut p = Params::default();
    let mut file = None;
    let mut has_file_field = false;
    for part in parts {
        if part.name == "file" {
            has_file_field = true;
            if file.is_none() {
                file = Some(part.data.to_vec());
            }
        } else {
            p.extend_text([(part.name.clone(), part.data.to_vec())]);
        }
    }
    Ok((p, file, has_file_field))
}

fn unsupported(got: &str, want: &str) -> ApiError {
    ApiError::UnsupportedMediaType {
        detail: format!("Content-Type {got:?} is not accepted here; send {want}"),
    }
}

fn encode_post(req: &Request<Vec<u8>>, ctx: &Context) -> Result<Response<Vec<u8>>> {
    const WANT: &str =
        "application/json, application/x-www-form-urlencoded, multipart/form-data or text/plain";
    let body = req.body();
    let mut params = match media_type(req).as_deref() {
        Some("application/json") => params::from_json(body)?,
        Some("application/x-www-form-urlencoded") => {
            let s = std::str::from_utf8(body).map_err(|_| {
                ApiError::bad(
                    "Invalid form",
                    "the urlencoded form body is not UTF-8/ASCII",
                )
            })?;
            let mut p = Params::default();
            p.extend_text(multipart::parse_urlencoded(s));
            p
        }
        Some("multipart/form-data") => multipart_params(req)?.0,
        Some("text/plain") => {
            let mut p = Params::default();
            p.extend_text([("text".to_string(), body.to_vec())]);
            p
        }
        None | Some("") if body.is_empty() => Params::default(),
        None | Some("") if body.first() == Some(&b'{') => params::from_json(body)?,
        Some(other) => return Err(unsupported(other, WANT)),
        None => return Err(unsupported("", WANT)),
    };
    // Options may also come in the query string (e.g. text/plain bodies).
    params.0.extend(query_params(req).0);
    let er = encode::parse(&params, encode::LONG, ctx.config)?;
    encoded_response(&er, ctx)
}

fn encode_get(req: &Request<Vec<u8>>, ctx: &Context) -> Result<Response<Vec<u8>>> {
    let mut params = query_params(req);
    // `format` is not one of ggwave-to-file's parameters; accept it too.
    if let Some(f) = params.string("f").ok().flatten() {
        params
            .0
            .push(("format".into(), params::Raw::Text(f.into_bytes())));
    }
    let er = encode::parse(&params, encode::SHORT, ctx.config)?;
    encoded_response(&er, ctx)
}

fn encoded_response(er: &encode::EncodeRequest, ctx: &Context) -> Result<Response<Vec<u8>>> {
    let mut out = encode::run(er, ctx.config)?;
    let mut r = response(200, "audio/wav", std::mem::take(&mut out.wav));
    let p = crate::Protocol::by_id(er.options.protocol);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=encoded.wav"),
    );
    let num = |v: String| HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("0"));
    h.insert("x-fsk-protocol", num(er.options.protocol.to_string()));
    if let Some(p) = p {
        h.insert("x-fsk-protocol-name", HeaderValue::from_static(p.name));
    }
    h.insert("x-fsk-duration-seconds", num(format!("{:.3}", out.seconds)));
    h.insert("x-fsk-message-count", num(out.transmissions.to_string()));
    h.insert("x-fsk-payload-bytes", num(er.payload.len().to_string()));
    h.insert("x-fsk-sample-rate", num(er.options.sample_rate.to_string()));
    for (name, v) in out.framing_headers() {
        h.insert(name, num(v));
    }
    Ok(r)
}

fn decode_post(req: &Request<Vec<u8>>, ctx: &Context) -> Result<Response<Vec<u8>>> {
    let start = Instant::now();
    let mut params = query_params(req);
    let wav = match media_type(req).as_deref() {
        Some("multipart/form-data") => {
            let (p, file, has_field) = multipart_params(req)?;
            params.0.extend(p.0);
            match file {
                Some(f) => f,
                None => {
                    return Err(ApiError::bad(
                        "No file provided",
                        if has_field {
                            "the `file` field is empty"
                        } else {
                            "the multipart body has no field named `file`"
                        },
                    ))
                }
            }
        }
        Some(
            "audio/wav"
            | "audio/x-wav"
            | "audio/wave"
            | "audio/vnd.wave"
            | "application/octet-stream",
        )
        | None
        | Some("") => req.body().clone(),
        Some(other) => {
            return Err(unsupported(
                other,
                "multipart/form-data with a field `file`, or an audio/wav body",
            ))
        }
    };
    if wav.is_empty() {
        return Err(ApiError::bad(
            "No file provided",
            "send the WAV as multipart field `file` (curl -F file=@x.wav) or as an audio/wav body",
        ));
    }
    let opts = decode::options(&params, ctx.config)?;
    let decoded = decode::run(&wav, &opts)?;
    let body = decode::response_json(&decoded, start.elapsed().as_secs_f64());
    Ok(json_response(200, body.to_string().into_bytes()))
}

fn protocols() -> Response<Vec<u8>> {
    let list: Vec<_> = crate::PROTOCOLS
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "slug": p.slug,
                "min_hz": p.min_hz(),
                "max_hz": p.max_hz(),
                "symbol_seconds": p.symbol_seconds(),
                "bytes_per_symbol": p.bytes_per_tx,
                "mono_tone": p.is_mono_tone(),
                "needs_fixed_length": p.is_mono_tone(),
                "default": p.id == crate::protocol::DEFAULT_PROTOCOL,
            })
        })
        .collect();
    json_response(200, json!({ "protocols": list }).to_string().into_bytes())
}

/// ISO 8601 UTC time of a Unix time in milliseconds.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, public domain facts).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

fn health(ctx: &Context) -> Response<Vec<u8>> {
    let c = ctx.config;
    let totals = metrics::totals(ctx.store, ctx.now_ms);
    let (status, code, service_metrics) = match &totals {
        Ok((t, _)) => (
            "healthy",
            200,
            json!({
                "requests_total": t.requests,
                "requests_successful": t.successful,
                "requests_failed": t.failed,
                "encode_requests": t.encode,
                "decode_requests": t.decode,
                "requests_active": t.active,
                "uptime_seconds": t.uptime_seconds,
            }),
        ),
        Err(e) => (
            "degraded",
            503,
            json!({ "error": format!("key-value store: {e}") }),
        ),
    };
    let body = json!({
        "status": status,
        "timestamp": iso8601(ctx.now_ms),
        "service": "fskhttp",
        "version": VERSION,
        "runtime": if cfg!(target_arch = "wasm32") { "wasm32-wasip2" } else { "native" },
        "service_metrics": service_metrics,
        "configuration": {
            "log_level": c.log_level.name(),
            "max_body_bytes": c.max_body_bytes,
            "max_audio_seconds": c.max_audio_seconds,
            "default_protocol": c.default_protocol,
            "default_volume": c.default_volume,
            "max_payload_bytes": c.max_payload_bytes,
            "warnings": c.warnings,
        },
    });
    json_response(code, body.to_string().into_bytes())
}

/// The embedded web page (feature `web-assets`; generated by build.rs from `web/`).
mod assets {
    #[cfg(feature = "web-assets")]
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
    /// (path, content type, gzip-compressed bytes) of every embedded file.
    #[cfg(not(feature = "web-assets"))]
    pub static ASSETS: &[(&str, &str, &[u8])] = &[];

    /// The contents of a gzip member as written by build.rs (10-byte header, raw deflate,
    /// 8-byte trailer).
    #[cfg(feature = "web-assets")]
    pub fn gunzip(gz: &[u8]) -> Option<Vec<u8>> {
        let body = gz.get(10..gz.len().checked_sub(8)?)?;
        miniz_oxide::inflate::decompress_to_vec(body).ok()
    }

    /// Without embedded files there is nothing to inflate.
    #[cfg(not(feature = "web-assets"))]
    pub fn gunzip(_: &[u8]) -> Option<Vec<u8>> {
        None
    }

    /// An embedded file by path (`index.html`, `pkg/fskhttp.js`).
    pub fn find(name: &str) -> Option<(&'static str, &'static [u8])> {
        ASSETS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, ct, b)| (*ct, *b))
    }
}

#[cfg(test)]
mod tests;

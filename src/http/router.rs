//! Routing and the request log: every request enters at [`handle`], every error leaves as a 4xx
//! JSON answer, and every answer is counted and logged once.

use super::assets;
use super::config::LogLevel;
use super::error::ApiError;
use super::response::{error_response, response};
use super::{decode, encode, info, metrics, Config, Context, Result};
use http::{Method, Request, Response, StatusCode};
use std::time::Instant;

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

/// The log level of a request's line: errors for 5xx, warnings for 4xx.
fn level_of(status: StatusCode) -> LogLevel {
    if status.is_server_error() {
        LogLevel::Error
    } else if status.is_client_error() {
        LogLevel::Warn
    } else {
        LogLevel::Info
    }
}

fn finish(
    method: &Method,
    path: &str,
    result: Result<Response<Vec<u8>>>,
    start: Instant,
    store_ok: std::result::Result<(), super::store::StoreError>,
    ctx: &Context,
) -> Response<Vec<u8>> {
    let endpoint = endpoint_of(path);
    let (resp, err) = match result {
        Ok(r) => (r, None),
        Err(e) => (error_response(&e), Some(e)),
    };
    let status = resp.status();
    let seconds = start.elapsed().as_secs_f64();
    let store_result = store_ok.and_then(|_| metrics::finish(ctx.store, endpoint, status, seconds));
    let line_level = level_of(status);
    if ctx.config.log_level >= line_level {
        let mut line = format!(
            "level={} method={method} path={path:?} endpoint={endpoint} status={} ms={:.2} bytes={}",
            line_level.name(),
            status.as_u16(),
            seconds * 1000.0,
            resp.body().len()
        );
        if let Some(e) = &err {
            line.push_str(&format!(" error={:?}", e.detail()));
        }
        if let Err(e) = &store_result {
            line.push_str(&format!(" store_error={:?}", e.to_string()));
        }
        if !ctx.config.warnings.is_empty() {
            // Each request is a fresh instance: repeat bad settings on its one line.
            line.push_str(&format!(" config_warnings={:?}", ctx.config.warnings));
        }
        eprintln!("{line}");
    }
    resp
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
                encode::handle_get(req, ctx)
            } else {
                encode::handle_post(req, ctx)
            }
        }
        "/decode" => {
            allow(m, &[Method::POST], "POST")?;
            decode::handle_post(req, ctx)
        }
        "/health" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(info::health(ctx))
        }
        "/metrics" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(info::metrics(ctx))
        }
        "/protocols" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(info::protocols())
        }
        "/openapi.json" => {
            allow(m, &[Method::GET], "GET")?;
            Ok(assets::openapi(req))
        }
        path => {
            let name = path.trim_start_matches('/');
            let name = if name.is_empty() { "index.html" } else { name };
            match assets::find(name) {
                Some((ct, gz)) => {
                    allow(m, &[Method::GET], "GET")?;
                    Ok(assets::response_for(req, ct, gz))
                }
                None if name == "index.html" => {
                    allow(m, &[Method::GET], "GET")?;
                    Ok(response(
                        StatusCode::OK,
                        "text/html; charset=utf-8",
                        assets::FALLBACK_INDEX.as_bytes().to_vec(),
                    ))
                }
                None => Err(ApiError::NotFound {
                    path: path.chars().take(200).collect(),
                }),
            }
        }
    }
}

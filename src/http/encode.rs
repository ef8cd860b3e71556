//! `POST /encode` (JSON, form, multipart, text) and `GET /encode?m=&p=&s=&v=&l=&d=` (the query
//! interface of ggwave's ggwave-to-file web service).

use super::config::{parse_protocol, Config};
use super::error::ApiError;
use super::negotiate::{media_type, multipart_fields, query_params, unsupported};
use super::params::{Params, Raw};
use super::response::response;
use super::{form, params, Context};
use crate::encoder::{plan, EncodeError, EncodeOptions};
use crate::limits::LimitError;
use crate::protocol::FIXED_LENGTH_RANGE;
use crate::wav::SampleFormat;
use base64::Engine;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::Value;

/// A validated encode request.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeRequest {
    /// Bytes to send.
    pub payload: Vec<u8>,
    /// Codec options.
    pub options: EncodeOptions,
    /// Sample format of the WAV.
    pub format: SampleFormat,
}

/// The encoded WAV and what it holds.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The WAV file.
    pub wav: Vec<u8>,
    /// Transmissions (messages) in it.
    pub transmissions: usize,
    /// Duration in seconds.
    pub seconds: f64,
    /// The framing layout when the payload was framed (docs/framing.md).
    pub framed: Option<crate::framing::Layout>,
}

impl Encoded {
    /// Response headers describing the framing: `x-fsk-framed` (`true`/`false`), and for a
    /// framed payload `x-fsk-data-pieces` and `x-fsk-parity-pieces`.
    pub fn framing_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("x-fsk-framed", self.framed.is_some().to_string())];
        if let Some(l) = self.framed {
            h.push(("x-fsk-data-pieces", l.data.to_string()));
            h.push(("x-fsk-parity-pieces", l.parity.to_string()));
        }
        h
    }
}

/// Parameter names: the long ones of `POST /encode`.
pub const LONG: Names = Names {
    text: "text",
    protocol: "protocol",
    volume: "volume",
    sample_rate: "sample_rate",
    fixed_length: "fixed_length",
    dss: "dss",
};

/// Parameter names: ggwave-to-file's web service (`GET /encode`). `parity` and `framing` (not
/// ggwave-to-file parameters) keep their long names on both interfaces.
pub const SHORT: Names = Names {
    text: "m",
    protocol: "p",
    volume: "v",
    sample_rate: "s",
    fixed_length: "l",
    dss: "d",
};

/// Parameter name of the parity piece count (docs/framing.md).
pub const PARITY: &str = "parity";
/// Parameter name of the framing mode: `auto`, `always` or `none`.
pub const FRAMING: &str = "framing";

/// The names under which a parameter set carries each option.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    text: &'static str,
    protocol: &'static str,
    volume: &'static str,
    sample_rate: &'static str,
    fixed_length: &'static str,
    dss: &'static str,
}

fn no_text() -> ApiError {
    ApiError::bad(
        "No text provided",
        "send {\"text\": \"...\"} or {\"data_base64\": \"...\"} as JSON, a form field `text`, or ?m=... on GET",
    )
}

fn decode_base64(s: &str) -> Result<Vec<u8>, ApiError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let s: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(v) = engine.decode(&s) {
            return Ok(v);
        }
    }
    Err(ApiError::bad(
        "Invalid parameter",
        "`data_base64` is not valid base64",
    ))
}

/// Validate parameters into an encode request.
pub fn parse(p: &Params, names: Names, cfg: &Config) -> Result<EncodeRequest, ApiError> {
    let text = p.bytes(names.text)?;
    let data = if names.text == LONG.text {
        p.string("data_base64")?
    } else {
        None
    };
    let payload = match (text, data) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad(
                "Invalid parameter",
                "give either `text` or `data_base64`, not both",
            ))
        }
        (Some(t), None) => t,
        (None, Some(d)) => decode_base64(&d)?,
        (None, None) => return Err(no_text()),
    };
    if payload.is_empty() {
        return Err(no_text());
    }
    if payload.len() > cfg.max_payload_bytes {
        return Err(ApiError::TooLarge {
            detail: format!(
                "the payload is {} bytes; this service encodes at most {} (max_payload_bytes)",
                payload.len(),
                cfg.max_payload_bytes
            ),
        });
    }
    let mut o = EncodeOptions {
        protocol: cfg.default_protocol,
        volume: cfg.default_volume,
        ..EncodeOptions::default()
    };
    let protocol = match p.raw(names.protocol) {
        None => None,
        Some(Raw::Json(Value::Number(n))) => Some(n.to_string()),
        Some(Raw::Json(Value::String(_))) | Some(Raw::Text(_)) => p.string(names.protocol)?,
        Some(Raw::Json(_)) => {
            return Err(ApiError::bad(
                "Invalid parameter",
                format!("`{}` must be a protocol id or name", names.protocol),
            ))
        }
    };
    if let Some(s) = protocol.filter(|s| !s.trim().is_empty()) {
        o.protocol = parse_protocol(&s)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "Invalid protocol",
                    format!("unknown protocol {s:?}; GET /protocols lists ids 0-11 and names"),
                )
            })?
            .id;
    }
    // The ranges are the codec's (`EncodeOptions::validate`, below); here a number only has to
    // fit the option's type.
    if let Some(v) = p.integer(names.volume)? {
        o.volume = fit(names.volume, v, &crate::encoder::VOLUME_RANGE)?;
    }
    if let Some(v) = p.integer(names.sample_rate)? {
        o.sample_rate = fit(names.sample_rate, v, &crate::encoder::SAMPLE_RATE_RANGE)?;
    }
    if let Some(v) = p.integer(names.fixed_length)? {
        // ggwave-to-file: -l0 (or negative) means variable length.
        let variable = v == 0 || (v < 0 && names.fixed_length == SHORT.fixed_length);
        o.fixed_length = if variable {
            None
        } else {
            Some(fit(names.fixed_length, v, &FIXED_LENGTH_RANGE)?)
        };
    }
    if let Some(d) = p.boolean(names.dss)? {
        o.dss = d;
    }
    if let Some(v) = p.integer(PARITY)? {
        o.parity = fit(PARITY, v, &(0..=crate::framing::MAX_PARITY))?;
    }
    if let Some(f) = p.string(FRAMING)? {
        o.framing = crate::framing::Framing::parse(&f).ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid parameter",
                format!("`framing` is {f:?}; use auto, always or none"),
            )
        })?;
    }
    o.validate().map_err(map_error)?;
    let format = match p.string("format")? {
        None => SampleFormat::I16,
        Some(f) => SampleFormat::parse(f.trim()).ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid parameter",
                format!("`format` is {f:?}; use wav16 (16-bit PCM) or wav32f (32-bit float)"),
            )
        })?,
    };
    Ok(EncodeRequest {
        payload,
        options: o,
        format,
    })
}

/// An integer parameter as the option's type; a number the type cannot hold is outside the
/// option's range (`range`, the codec's) and gets the same 422 the codec's check would give.
fn fit<T: TryFrom<i64> + std::fmt::Display>(
    name: &str,
    v: i64,
    range: &std::ops::RangeInclusive<T>,
) -> Result<T, ApiError> {
    T::try_from(v).map_err(|_| {
        ApiError::unprocessable(
            "Invalid parameter",
            format!("`{name}` is {v}, outside {}-{}", range.start(), range.end()),
        )
    })
}

/// Map a codec error to a client error.
pub fn map_error(e: EncodeError) -> ApiError {
    match e {
        EncodeError::EmptyPayload => no_text(),
        EncodeError::Limit(LimitError::PayloadTooLong { .. }) => ApiError::TooLarge {
            detail: e.to_string(),
        },
        EncodeError::UnknownProtocol(_) => {
            ApiError::unprocessable("Invalid protocol", e.to_string())
        }
        // Every other error is a combination of options the codec refuses (or, for a resampler
        // failure, one it could not honour): the request is well-formed but cannot be served.
        other => ApiError::unprocessable("Invalid parameter", other.to_string()),
    }
}

/// Encode a validated request, refusing audio longer than the configured limit before any
/// synthesis.
pub fn run(req: &EncodeRequest, cfg: &Config) -> Result<Encoded, ApiError> {
    let pl = plan(req.payload.len(), &req.options).map_err(map_error)?;
    if pl.seconds > cfg.max_audio_seconds {
        return Err(ApiError::unprocessable(
            "Audio too long",
            format!(
                "{} bytes with protocol {} make {:.1} s of audio, more than the limit of {} s (max_audio_seconds); use a faster protocol or a shorter payload",
                req.payload.len(),
                req.options.protocol,
                pl.seconds,
                cfg.max_audio_seconds
            ),
        ));
    }
    let wav =
        crate::encoder::encode_wav(&req.payload, &req.options, req.format).map_err(map_error)?;
    Ok(Encoded {
        wav,
        transmissions: pl.transmissions,
        seconds: pl.seconds,
        framed: pl.framed,
    })
}

/// `POST /encode`: parameters from a JSON, form, multipart or text body, plus the query string.
pub(crate) fn handle_post(
    req: &Request<Vec<u8>>,
    ctx: &Context,
) -> Result<Response<Vec<u8>>, ApiError> {
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
            p.extend_text(form::parse_urlencoded(s));
            p
        }
        Some("multipart/form-data") => multipart_fields(req)?.params,
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
    let er = parse(&params, LONG, ctx.config)?;
    encoded_response(&er, ctx)
}

/// `GET /encode?m=&p=&s=&v=&l=&d=`.
pub(crate) fn handle_get(
    req: &Request<Vec<u8>>,
    ctx: &Context,
) -> Result<Response<Vec<u8>>, ApiError> {
    let mut params = query_params(req);
    // `format` is not one of ggwave-to-file's parameters; accept it too.
    if let Some(f) = params.string("f").ok().flatten() {
        params.0.push(("format".into(), Raw::Text(f.into_bytes())));
    }
    let er = parse(&params, SHORT, ctx.config)?;
    encoded_response(&er, ctx)
}

/// The WAV with `x-fsk-*` headers describing it.
fn encoded_response(er: &EncodeRequest, ctx: &Context) -> Result<Response<Vec<u8>>, ApiError> {
    let mut out = run(er, ctx.config)?;
    let mut r = response(StatusCode::OK, "audio/wav", std::mem::take(&mut out.wav));
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

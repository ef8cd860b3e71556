//! `POST /encode` (JSON, form, multipart, text) and `GET /encode?m=&p=&s=&v=&l=&d=` (the query
//! interface of ggwave's ggwave-to-file web service).

use super::config::{parse_protocol, Config};
use super::error::ApiError;
use super::params::{Params, Raw};
use crate::encoder::{plan, EncodeError, EncodeOptions};
use crate::limits::LimitError;
use crate::wav::SampleFormat;
use base64::Engine;
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
    let range = |name: &str, v: i64, lo: i64, hi: i64| -> Result<i64, ApiError> {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(ApiError::unprocessable(
                "Invalid parameter",
                format!("`{name}` is {v}, outside {lo}-{hi}"),
            ))
        }
    };
    if let Some(v) = p.integer(names.volume)? {
        o.volume = range(names.volume, v, 1, 100)? as u8;
    }
    if let Some(v) = p.integer(names.sample_rate)? {
        o.sample_rate = range(names.sample_rate, v, 8000, 96_000)? as u32;
    }
    if let Some(v) = p.integer(names.fixed_length)? {
        // ggwave-to-file: -l0 (or negative) means variable length.
        let variable = v == 0 || (v < 0 && names.fixed_length == SHORT.fixed_length);
        o.fixed_length = if variable {
            None
        } else {
            Some(range(names.fixed_length, v, 1, 64)? as usize)
        };
    }
    if let Some(d) = p.boolean(names.dss)? {
        o.dss = d;
    }
    if let Some(v) = p.integer(PARITY)? {
        o.parity = range(PARITY, v, 0, i64::from(crate::framing::MAX_PARITY))? as u8;
    }
    if let Some(f) = p.string(FRAMING)? {
        o.framing = crate::framing::Framing::parse(&f).ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid parameter",
                format!("`framing` is {f:?}; use auto, always or none"),
            )
        })?;
    }
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

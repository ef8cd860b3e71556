//! `POST /decode`: a multipart field `file` (any file name) or a raw WAV body.

use super::config::Config;
use super::error::ApiError;
use super::negotiate::{media_type, multipart_fields, query_params, unsupported};
use super::params::Params;
use super::response::json_response;
use super::Context;
use crate::decoder::{decode_wav, DecodeError, DecodeOptions, Decoded};
use crate::framing::Payload;
use crate::limits::LimitError;
use crate::wav::WavError;
use base64::Engine;
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::time::Instant;

/// Decode options from parameters (query string and/or multipart fields).
pub fn options(p: &Params, cfg: &Config) -> Result<DecodeOptions, ApiError> {
    let mut o = DecodeOptions::default();
    o.limits.max_seconds = cfg.max_audio_seconds;
    // The range is the decoder's (`DecodeError::FixedLength`); 0 means variable length.
    if let Some(n) = p.integer("fixed_length")? {
        o.fixed_length = match usize::try_from(n) {
            Ok(0) => None,
            Ok(n) => Some(n),
            Err(_) => {
                let r = crate::protocol::FIXED_LENGTH_RANGE;
                return Err(ApiError::unprocessable(
                    "Invalid parameter",
                    format!(
                        "`fixed_length` is {n}, outside {}-{} (0 = variable length)",
                        r.start(),
                        r.end()
                    ),
                ));
            }
        };
    }
    if let Some(d) = p.boolean("dss")? {
        o.dss = d;
    }
    Ok(o)
}

/// The error for a body that is not a WAV at all (the old service's wording).
pub fn not_wav(detail: impl Into<String>) -> ApiError {
    ApiError::bad("File must be a WAV file", detail)
}

/// Map a codec error to a client error.
pub fn map_error(e: DecodeError) -> ApiError {
    match &e {
        DecodeError::Wav(WavError::NotWav) => not_wav(e.to_string()),
        DecodeError::Wav(_) => ApiError::unprocessable("Unreadable WAV file", e.to_string()),
        DecodeError::Limit(LimitError::TooLong { .. }) => {
            ApiError::unprocessable("Audio too long", format!("{e} (max_audio_seconds)"))
        }
        DecodeError::Limit(_) => ApiError::unprocessable("Unsupported audio", e.to_string()),
        DecodeError::FixedLength(_) => ApiError::unprocessable("Invalid parameter", e.to_string()),
        DecodeError::Resample(_) => ApiError::unprocessable("Unsupported audio", e.to_string()),
    }
}

/// Decode a WAV.
pub fn run(wav: &[u8], opts: &DecodeOptions) -> Result<Decoded, ApiError> {
    if wav.is_empty() {
        return Err(ApiError::bad(
            "No file provided",
            "the WAV is empty; send it as multipart field `file` or as an audio/wav body",
        ));
    }
    decode_wav(wav, opts).map_err(map_error)
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// One entry of `payloads[]` (docs/framing.md): an incomplete payload has no data.
pub fn payload_json(p: &Payload) -> Value {
    json!({
        "data_base64": p
            .complete
            .then(|| base64::engine::general_purpose::STANDARD.encode(&p.data)),
        "text": p.text(),
        "length": p.len,
        "complete": p.complete,
        "framed": p.framed,
        "id": p.id,
        "pieces": p.pieces,
        "parity": p.parity,
        "received": p.received,
        "missing": p.missing,
        "recovered": p.recovered,
        "problem": p.problem(),
        "start_seconds": round(p.start_seconds),
        "end_seconds": round(p.end_seconds),
    })
}

/// The JSON answer: the old service's fields plus `messages` (with their quality figures) and
/// `payloads`. `decoded_text` joins the complete payloads only, and `success` is false when any
/// payload is incomplete; `incomplete` then says which and what is missing. When nothing was
/// decoded, `diagnosis` (a sentence) and `diagnosis_kind` say why.
pub fn response_json(d: &Decoded, seconds: f64) -> Value {
    let mut text = Vec::new();
    for p in d.payloads.iter().filter(|p| p.complete) {
        text.extend_from_slice(&p.data);
    }
    let incomplete: Vec<String> = d
        .payloads
        .iter()
        .filter(|p| !p.complete)
        .map(|p| {
            format!(
                "payload id {} ({} bytes): {}",
                p.id.unwrap_or(0),
                p.len,
                p.problem().unwrap_or_default()
            )
        })
        .collect();
    let decoded_text = String::from_utf8_lossy(&text).into_owned();
    let messages: Vec<Value> = d
        .messages
        .iter()
        .map(|m| {
            json!({
                "data_base64": base64::engine::general_purpose::STANDARD.encode(&m.payload),
                "text": m.text(),
                "length": m.payload.len(),
                "protocol": m.protocol,
                "protocol_name": m.protocol_name(),
                "start_seconds": round(m.start_seconds),
                "end_seconds": round(m.end_seconds),
                "snr_db": (m.snr_db * 10.0).round() / 10.0,
                "drift_ppm": m.drift_ppm.round(),
                "corrected_bytes": m.corrected_bytes,
            })
        })
        .collect();
    json!({
        "audio_info": {
            "bps": d.info.bits_per_sample,
            "channels": d.info.channels,
            "sample_rate": d.info.sample_rate,
            "total_samples": d.info.frames,
        },
        "decoded_text": decoded_text,
        // Python's len() of the old service's str: characters, not bytes.
        "message_length": decoded_text.chars().count(),
        "processing_thread": "wasm-instance",
        "processing_time_seconds": round(seconds),
        "success": incomplete.is_empty(),
        "messages": messages,
        "payloads": d.payloads.iter().map(payload_json).collect::<Vec<_>>(),
        "incomplete": incomplete,
        // Why nothing was decoded (null when something was).
        "diagnosis": d.diagnosis.as_ref().map(|x| x.to_string()),
        "diagnosis_kind": d.diagnosis.as_ref().map(|x| x.kind()),
    })
}

/// `POST /decode`: the WAV from a multipart field `file` or the raw body; options from the query
/// string and multipart fields.
pub(crate) fn handle_post(
    req: &Request<Vec<u8>>,
    ctx: &Context,
) -> Result<Response<Vec<u8>>, ApiError> {
    let start = Instant::now();
    let mut params = query_params(req);
    let wav = match media_type(req).as_deref() {
        Some("multipart/form-data") => {
            let fields = multipart_fields(req)?;
            params.0.extend(fields.params.0);
            match fields.file {
                Some(f) => f,
                None => {
                    return Err(ApiError::bad(
                        "No file provided",
                        if fields.has_file_field {
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
    let opts = options(&params, ctx.config)?;
    let decoded = run(&wav, &opts)?;
    let body = response_json(&decoded, start.elapsed().as_secs_f64());
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

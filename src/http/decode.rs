//! `POST /decode`: a multipart field `file` (any file name) or a raw WAV body.

use super::config::Config;
use super::error::ApiError;
use super::params::Params;
use crate::decoder::{decode_wav, DecodeError, DecodeOptions, Decoded};
use crate::limits::LimitError;
use crate::wav::WavError;
use base64::Engine;
use serde_json::{json, Value};

/// Decode options from parameters (query string and/or multipart fields).
pub fn options(p: &Params, cfg: &Config) -> Result<DecodeOptions, ApiError> {
    let mut o = DecodeOptions::default();
    o.limits.max_seconds = cfg.max_audio_seconds;
    if let Some(n) = p.integer("fixed_length")? {
        o.fixed_length = match n {
            0 => None,
            1..=64 => Some(n as usize),
            _ => {
                return Err(ApiError::unprocessable(
                    "Invalid parameter",
                    format!("`fixed_length` is {n}, outside 1-64 (0 = variable length)"),
                ))
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

/// The JSON answer: the old service's fields plus `messages` (with their quality figures) and,
/// when there are none, `diagnosis` (a sentence) and `diagnosis_kind`.
pub fn response_json(d: &Decoded, seconds: f64) -> Value {
    let mut text = Vec::new();
    for m in &d.messages {
        text.extend_from_slice(&m.payload);
    }
    let decoded_text = String::from_utf8_lossy(&text).into_owned();
    let round = |v: f64| (v * 1e6).round() / 1e6;
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
        "success": true,
        "messages": messages,
        // Why nothing was decoded (null when something was).
        "diagnosis": d.diagnosis.as_ref().map(|x| x.to_string()),
        "diagnosis_kind": d.diagnosis.as_ref().map(|x| x.kind()),
    })
}

//! The codec as a WebAssembly library component: exports `fsk:codec/codec@0.1.0` (see
//! `wit/codec.wit` and docs/component.md). Build it with `scripts/build-component`.
//!
//! A thin shell: WIT records in, the library's types, WIT records out. Every error of the library
//! maps onto the WIT `error` variant; nothing here panics.

use crate::decoder::{DecodeError, DecodeOptions, Diagnosis, Message};
use crate::encoder::{EncodeError, EncodeOptions};
use crate::framing::{Framing, Payload};
use crate::limits::{LimitError, Limits};
use crate::protocol::PROTOCOLS;
use crate::wav::{SampleFormat, WavError};

wit_bindgen::generate!({
    path: "wit",
    world: "codec-component",
});

use exports::fsk::codec::codec as wit;

struct Codec;

export!(Codec);

/// `u32` from a `usize`, saturating (lengths here are far below `u32::MAX`).
fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `usize` from a `u32`, saturating (lossless on wasm32 and 64-bit hosts).
fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn encode_options(o: &wit::EncodeOptions) -> EncodeOptions {
    EncodeOptions {
        protocol: o.protocol,
        volume: o.volume,
        sample_rate: o.sample_rate,
        fixed_length: o.fixed_length.map(usize_of),
        dss: o.dss,
        framing: match o.framing {
            wit::FramingMode::Auto => Framing::Auto,
            wit::FramingMode::Always => Framing::Always,
            wit::FramingMode::None => Framing::None,
        },
        parity: o.parity,
    }
}

fn payload(p: Payload) -> wit::Payload {
    let list = |v: Vec<usize>| v.into_iter().map(u32_of).collect();
    wit::Payload {
        data: p.data,
        complete: p.complete,
        framed: p.framed,
        id: p.id,
        pieces: u32_of(p.pieces),
        parity: u32_of(p.parity),
        received: u32_of(p.received),
        missing: list(p.missing),
        recovered: list(p.recovered),
        length: u32_of(p.len),
        start_seconds: p.start_seconds,
        end_seconds: p.end_seconds,
    }
}

fn limits_to_wit(l: &Limits) -> wit::Limits {
    wit::Limits {
        max_seconds: l.max_seconds,
        max_channels: l.max_channels,
        min_sample_rate: l.min_sample_rate,
        max_sample_rate: l.max_sample_rate,
    }
}

fn decode_options(o: &wit::DecodeOptions) -> DecodeOptions {
    DecodeOptions {
        fixed_length: o.fixed_length.map(usize_of),
        dss: o.dss,
        limits: match &o.limits {
            Some(l) => Limits {
                max_seconds: l.max_seconds,
                max_channels: l.max_channels,
                min_sample_rate: l.min_sample_rate,
                max_sample_rate: l.max_sample_rate,
            },
            None => Limits::default(),
        },
    }
}

fn limit_error(e: &LimitError) -> wit::Error {
    wit::Error::LimitExceeded(e.to_string())
}

fn encode_error(e: EncodeError) -> wit::Error {
    match e {
        EncodeError::EmptyPayload => wit::Error::EmptyPayload,
        EncodeError::UnknownProtocol(p) => wit::Error::UnknownProtocol(p),
        EncodeError::MonoToneNeedsFixedLength(p) => wit::Error::MonoToneNeedsFixedLength(p),
        EncodeError::Volume(_)
        | EncodeError::SampleRate(_)
        | EncodeError::RateTooLowForProtocol { .. }
        | EncodeError::FixedLength(_)
        | EncodeError::Parity(_)
        | EncodeError::Framing(_) => wit::Error::InvalidOption(e.to_string()),
        EncodeError::Limit(l) => limit_error(&l),
        EncodeError::Resample(_) => wit::Error::Internal(e.to_string()),
    }
}

fn decode_error(e: DecodeError) -> wit::Error {
    match e {
        DecodeError::Wav(WavError::Limit(l)) | DecodeError::Limit(l) => limit_error(&l),
        DecodeError::Wav(w) => wit::Error::BadWav(w.to_string()),
        DecodeError::FixedLength(_) => wit::Error::InvalidOption(e.to_string()),
        DecodeError::Resample(_) => wit::Error::Internal(e.to_string()),
    }
}

fn message(m: Message) -> wit::Message {
    wit::Message {
        payload: m.payload,
        protocol: m.protocol,
        start_seconds: m.start_seconds,
        end_seconds: m.end_seconds,
        snr_db: m.snr_db,
        drift_ppm: m.drift_ppm,
        corrected_bytes: u32_of(m.corrected_bytes),
    }
}

fn diagnosis(d: &Diagnosis) -> wit::Diagnosis {
    let kind = match d {
        Diagnosis::Silent => wit::DiagnosisKind::Silent,
        Diagnosis::TooQuiet { .. } => wit::DiagnosisKind::TooQuiet,
        Diagnosis::Clipped { .. } => wit::DiagnosisKind::Clipped,
        Diagnosis::MarkerHeard { .. } => wit::DiagnosisKind::MarkerHeard,
        Diagnosis::AboveNyquist { .. } => wit::DiagnosisKind::AboveNyquist,
        Diagnosis::OutOfBand { .. } => wit::DiagnosisKind::OutOfBand,
        Diagnosis::NothingFound { .. } => wit::DiagnosisKind::NothingFound,
    };
    wit::Diagnosis {
        kind,
        text: d.to_string(),
    }
}

impl wit::Guest for Codec {
    fn protocols() -> Vec<wit::ProtocolInfo> {
        PROTOCOLS
            .iter()
            .map(|p| wit::ProtocolInfo {
                id: p.id,
                name: p.name.to_string(),
                slug: p.slug.to_string(),
                freq_start: u32_of(p.freq_start),
                frames_per_tx: u32_of(p.frames_per_tx),
                bytes_per_tx: u32_of(p.bytes_per_tx),
                mono_tone: p.is_mono_tone(),
                min_hz: p.min_hz(),
                max_hz: p.max_hz(),
                symbol_seconds: p.symbol_seconds(),
            })
            .collect()
    }

    fn default_encode_options() -> wit::EncodeOptions {
        let d = EncodeOptions::default();
        wit::EncodeOptions {
            protocol: d.protocol,
            volume: d.volume,
            sample_rate: d.sample_rate,
            fixed_length: d.fixed_length.map(u32_of),
            dss: d.dss,
            framing: match d.framing {
                Framing::Auto => wit::FramingMode::Auto,
                Framing::Always => wit::FramingMode::Always,
                Framing::None => wit::FramingMode::None,
            },
            parity: d.parity,
        }
    }

    fn default_limits() -> wit::Limits {
        limits_to_wit(&Limits::default())
    }

    fn plan(
        payload_length: u32,
        options: wit::EncodeOptions,
    ) -> Result<wit::EncodePlan, wit::Error> {
        let p = crate::encoder::plan(usize_of(payload_length), &encode_options(&options))
            .map_err(encode_error)?;
        Ok(wit::EncodePlan {
            transmissions: u32_of(p.transmissions),
            samples_48k: u64::try_from(p.samples_48k).unwrap_or(u64::MAX),
            seconds: p.seconds,
            framed: p.framed.is_some(),
            parity_pieces: u32_of(p.framed.map_or(0, |l| l.parity)),
        })
    }

    fn encode(
        payload: Vec<u8>,
        options: wit::EncodeOptions,
        format: wit::SampleFormat,
    ) -> Result<Vec<u8>, wit::Error> {
        let format = match format {
            wit::SampleFormat::Pcm16 => SampleFormat::I16,
            wit::SampleFormat::IeeeFloat32 => SampleFormat::F32,
        };
        crate::encoder::encode_wav(&payload, &encode_options(&options), format)
            .map_err(encode_error)
    }

    fn encode_samples(
        payload: Vec<u8>,
        options: wit::EncodeOptions,
    ) -> Result<Vec<f32>, wit::Error> {
        crate::encoder::encode(&payload, &encode_options(&options)).map_err(encode_error)
    }

    fn decode(wav: Vec<u8>, options: wit::DecodeOptions) -> Result<wit::Decoded, wit::Error> {
        let d =
            crate::decoder::decode_wav(&wav, &decode_options(&options)).map_err(decode_error)?;
        Ok(wit::Decoded {
            info: wit::AudioInfo {
                channels: d.info.channels,
                sample_rate: d.info.sample_rate,
                bits_per_sample: d.info.bits_per_sample,
                float: d.info.float,
                frames: u64::try_from(d.info.frames).unwrap_or(u64::MAX),
            },
            messages: d.messages.into_iter().map(message).collect(),
            payloads: d.payloads.into_iter().map(payload).collect(),
            diagnosis: d.diagnosis.as_ref().map(diagnosis),
        })
    }

    fn decode_samples(
        samples: Vec<f32>,
        sample_rate: u32,
        options: wit::DecodeOptions,
    ) -> Result<Vec<wit::Message>, wit::Error> {
        let m = crate::decoder::decode_samples(&samples, sample_rate, &decode_options(&options))
            .map_err(decode_error)?;
        Ok(m.into_iter().map(message).collect())
    }

    fn assemble(messages: Vec<wit::Message>) -> Vec<wit::Payload> {
        crate::framing::assemble(
            messages
                .iter()
                .map(|m| (m.payload.as_slice(), m.start_seconds, m.end_seconds)),
        )
        .into_iter()
        .map(payload)
        .collect()
    }
}

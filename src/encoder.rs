//! Bytes in, tones out.

use crate::frame;
use crate::framing::{self, Framing, FramingError, Layout};
use crate::limits::LimitError;
use crate::protocol::{Protocol, FIXED_LENGTH_RANGE, MAX_VARIABLE_PAYLOAD, SAMPLE_RATE};
use crate::resample::{self, ResampleError};
use crate::synth;
use crate::wav::{write_wav, SampleFormat};
use std::fmt;
use std::ops::RangeInclusive;

/// Default volume of ggwave-to-file (and of this crate): 50 %.
pub const DEFAULT_VOLUME: u8 = 50;
/// Silence between the transmissions of a payload longer than one transmission holds, in samples
/// at 48 kHz (12 frames, 0.256 s): long enough for every receiver to return to idle.
pub const GAP_SAMPLES: usize = 12 * crate::protocol::FRAME;
/// Largest payload the encoder accepts (a hard cap; services set lower limits).
pub const MAX_PAYLOAD: usize = 8192;
/// Lowest and highest output sample rate.
pub const MIN_OUTPUT_RATE: u32 = 8000;
/// Highest output sample rate.
pub const MAX_OUTPUT_RATE: u32 = 96_000;
/// Output sample rates the encoder accepts.
pub const SAMPLE_RATE_RANGE: RangeInclusive<u32> = MIN_OUTPUT_RATE..=MAX_OUTPUT_RATE;
/// Volumes the encoder accepts (percent of full scale).
pub const VOLUME_RANGE: RangeInclusive<u8> = 1..=100;

/// How to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Protocol id, 0..=11 (default 1, "Fast").
    pub protocol: u8,
    /// Volume, 1..=100 (default 50).
    pub volume: u8,
    /// Output sample rate, 8000..=96000 Hz (default 48000).
    pub sample_rate: u32,
    /// Fixed-length mode with this many bytes per transmission (1..=64); `None` = variable length.
    pub fixed_length: Option<usize>,
    /// XOR the payload with ggwave's DSS sequence.
    pub dss: bool,
    /// When to frame the payload (docs/framing.md): `Auto` frames payloads that need more than
    /// one transmission; shorter ones stay plain ggwave messages.
    pub framing: Framing,
    /// Parity pieces of a framed payload, 0..=8 (default 1): any that many lost pieces are rebuilt.
    pub parity: u8,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            protocol: crate::protocol::DEFAULT_PROTOCOL,
            volume: DEFAULT_VOLUME,
            sample_rate: SAMPLE_RATE,
            fixed_length: None,
            dss: false,
            framing: Framing::Auto,
            parity: framing::DEFAULT_PARITY,
        }
    }
}

/// Why a payload could not be encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodeError {
    /// Nothing to send.
    EmptyPayload,
    /// Protocol id outside 0..=11.
    UnknownProtocol(u8),
    /// Mono-tone protocols (9-11) need fixed-length mode.
    MonoToneNeedsFixedLength(u8),
    /// Volume outside 1..=100.
    Volume(u8),
    /// Output rate outside 8000..=96000 Hz.
    SampleRate(u32),
    /// The protocol's highest tone does not fit below the output rate's Nyquist frequency.
    RateTooLowForProtocol {
        rate: u32,
        protocol: u8,
        max_hz: f64,
    },
    /// Fixed length outside 1..=64.
    FixedLength(usize),
    /// A limit was exceeded.
    Limit(LimitError),
    /// Internal resampler failure.
    Resample(ResampleError),
    /// Parity outside 0..=8.
    Parity(u8),
    /// The payload cannot be framed as asked (`framing: always`).
    Framing(FramingError),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::EmptyPayload => write!(f, "the payload is empty"),
            EncodeError::UnknownProtocol(p) => write!(f, "unknown protocol {p} (valid: 0-11)"),
            EncodeError::MonoToneNeedsFixedLength(p) => {
                write!(f, "protocol {p} is mono-tone and needs fixed-length mode")
            }
            EncodeError::Volume(v) => write!(
                f,
                "volume {v} outside {}-{}",
                VOLUME_RANGE.start(),
                VOLUME_RANGE.end()
            ),
            EncodeError::SampleRate(r) => {
                write!(
                    f,
                    "sample rate {r} Hz outside {MIN_OUTPUT_RATE}-{MAX_OUTPUT_RATE} Hz"
                )
            }
            EncodeError::RateTooLowForProtocol {
                rate,
                protocol,
                max_hz,
            } => {
                write!(f, "protocol {protocol} uses tones up to {max_hz:.0} Hz, which {rate} Hz audio cannot carry")
            }
            EncodeError::FixedLength(n) => {
                write!(
                    f,
                    "fixed length {n} outside {}-{}",
                    FIXED_LENGTH_RANGE.start(),
                    FIXED_LENGTH_RANGE.end()
                )
            }
            EncodeError::Limit(e) => write!(f, "{e}"),
            EncodeError::Resample(e) => write!(f, "resampling failed: {e}"),
            EncodeError::Parity(p) => {
                write!(f, "parity {p} outside 0-{}", framing::MAX_PARITY)
            }
            EncodeError::Framing(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EncodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Both messages are part of this one's: pass on their causes, not them.
            EncodeError::Limit(e) => e.source(),
            EncodeError::Resample(e) => e.source(),
            _ => None,
        }
    }
}

/// What an encode will produce, computed without synthesising anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Number of standard transmissions the payload is split into (parity pieces included).
    pub transmissions: usize,
    /// The framing layout when the payload is framed (`None`: plain transmissions).
    pub framed: Option<Layout>,
    /// Samples at 48 kHz (gaps included).
    pub samples_48k: usize,
    /// Duration in seconds.
    pub seconds: f64,
}

impl EncodeOptions {
    /// Validate and return the protocol.
    pub fn validate(&self) -> Result<&'static Protocol, EncodeError> {
        let p =
            Protocol::by_id(self.protocol).ok_or(EncodeError::UnknownProtocol(self.protocol))?;
        if !VOLUME_RANGE.contains(&self.volume) {
            return Err(EncodeError::Volume(self.volume));
        }
        if !SAMPLE_RATE_RANGE.contains(&self.sample_rate) {
            return Err(EncodeError::SampleRate(self.sample_rate));
        }
        if p.max_hz() >= 0.45 * self.sample_rate as f64 {
            return Err(EncodeError::RateTooLowForProtocol {
                rate: self.sample_rate,
                protocol: p.id,
                max_hz: p.max_hz(),
            });
        }
        match self.fixed_length {
            Some(n) if !FIXED_LENGTH_RANGE.contains(&n) => return Err(EncodeError::FixedLength(n)),
            None if p.is_mono_tone() => return Err(EncodeError::MonoToneNeedsFixedLength(p.id)),
            _ => {}
        }
        if self.parity > framing::MAX_PARITY {
            return Err(EncodeError::Parity(self.parity));
        }
        Ok(p)
    }

    /// The framing layout of a payload of `len` bytes, `None` when it goes out plain.
    pub fn framing_layout(&self, len: usize) -> Result<Option<Layout>, EncodeError> {
        let chunk = self.chunk_len();
        match self.framing {
            Framing::None => Ok(None),
            Framing::Auto if len <= chunk => Ok(None),
            // Pieces too small for the header (short fixed lengths): plain, as documented.
            Framing::Auto => Ok(framing::layout(len, chunk, self.parity).ok()),
            Framing::Always => framing::layout(len, chunk, self.parity)
                .map(Some)
                .map_err(EncodeError::Framing),
        }
    }

    /// Payload bytes per transmission.
    pub fn chunk_len(&self) -> usize {
        self.fixed_length.unwrap_or(MAX_VARIABLE_PAYLOAD)
    }
}

/// Plan the encoding of `len` bytes.
pub fn plan(len: usize, opts: &EncodeOptions) -> Result<Plan, EncodeError> {
    let p = opts.validate()?;
    if len == 0 {
        return Err(EncodeError::EmptyPayload);
    }
    if len > MAX_PAYLOAD {
        return Err(EncodeError::Limit(LimitError::PayloadTooLong {
            len,
            max: MAX_PAYLOAD,
        }));
    }
    let chunk = opts.chunk_len();
    let fixed = opts.fixed_length.is_some();
    let framed = opts.framing_layout(len)?;
    let n = match framed {
        Some(l) => l.pieces(),
        None => len.div_ceil(chunk),
    };
    let mut samples = (n - 1) * GAP_SAMPLES;
    for i in 0..n {
        let this = if fixed {
            chunk
        } else {
            match framed {
                Some(l) => l.piece_len(i),
                None => (len - i * chunk).min(chunk),
            }
        };
        samples += frame::transmission_frames(p, this, frame::Mode::of(opts.fixed_length))
            * crate::protocol::FRAME;
    }
    Ok(Plan {
        transmissions: n,
        framed,
        samples_48k: samples,
        seconds: samples as f64 / SAMPLE_RATE as f64,
    })
}

/// Float samples at 48 kHz (no resampling): the exact ggwave waveform for payloads that fit one
/// transmission.
pub fn encode_48k(payload: &[u8], opts: &EncodeOptions) -> Result<Vec<f32>, EncodeError> {
    let mut out = Vec::new();
    synthesize_payload(&mut Sink::At48k(&mut out), payload, opts)?;
    Ok(out)
}

/// Where the transmissions go: 48 kHz samples, or the same waveform sampled directly at another
/// rate ([`synth::Direct`]).
enum Sink<'a> {
    At48k(&'a mut Vec<f32>),
    Direct(&'a mut synth::Direct),
}

impl Sink<'_> {
    fn reserve(&mut self, samples_48k: usize) {
        match self {
            Sink::At48k(out) => out.reserve(samples_48k),
            Sink::Direct(d) => d.reserve(samples_48k),
        }
    }

    fn gap(&mut self) {
        match self {
            Sink::At48k(out) => out.resize(out.len() + GAP_SAMPLES, 0.0),
            Sink::Direct(d) => d.silence(GAP_SAMPLES),
        }
    }

    fn transmission(&mut self, p: &Protocol, stream: &[u8], mode: frame::Mode, volume: u8) {
        match self {
            Sink::At48k(out) => synth::synthesize(out, p, stream, mode, volume),
            Sink::Direct(d) => synth::synthesize_direct(d, p, stream, mode, volume),
        }
    }
}

fn synthesize_payload(
    sink: &mut Sink,
    payload: &[u8],
    opts: &EncodeOptions,
) -> Result<(), EncodeError> {
    let plan = plan(payload.len(), opts)?;
    let p = opts.validate()?;
    let chunk = opts.chunk_len();
    sink.reserve(plan.samples_48k);
    if plan.framed.is_some() {
        let pieces = framing::split(payload, chunk, opts.parity).map_err(EncodeError::Framing)?;
        synthesize_all(sink, p, opts, pieces.iter().map(Vec::as_slice));
    } else {
        // The plain path, exactly as before framing existed.
        synthesize_all(sink, p, opts, payload.chunks(chunk));
    }
    Ok(())
}

/// Append the transmissions of `pieces`, 0.256 s apart.
fn synthesize_all<'a>(
    sink: &mut Sink,
    p: &Protocol,
    opts: &EncodeOptions,
    pieces: impl Iterator<Item = &'a [u8]>,
) {
    for (i, piece) in pieces.enumerate() {
        if i > 0 {
            sink.gap();
        }
        let stream = match opts.fixed_length {
            Some(n) => {
                let mut padded = piece.to_vec();
                padded.resize(n, 0);
                frame::build_stream(&padded, frame::Mode::Fixed, opts.dss)
            }
            None => frame::build_stream(piece, frame::Mode::Variable, opts.dss),
        };
        sink.transmission(p, &stream, frame::Mode::of(opts.fixed_length), opts.volume);
    }
}

/// Float samples at `opts.sample_rate`: at 48 kHz ggwave's exact waveform; at rates where every
/// tone repeats within a few thousand samples (44.1, 32, 22.05, 16, 8, 96 kHz...) the same
/// waveform sampled there directly ([`synth::Direct`]); at other rates the 48 kHz samples
/// resampled.
pub fn encode(payload: &[u8], opts: &EncodeOptions) -> Result<Vec<f32>, EncodeError> {
    if opts.sample_rate == SAMPLE_RATE {
        return encode_48k(payload, opts);
    }
    if let Some(mut direct) = synth::Direct::new(opts.sample_rate) {
        synthesize_payload(&mut Sink::Direct(&mut direct), payload, opts)?;
        return Ok(direct.out);
    }
    let samples = encode_48k(payload, opts)?;
    resample::resample(&samples, SAMPLE_RATE, opts.sample_rate).map_err(EncodeError::Resample)
}

/// A complete mono WAV file.
pub fn encode_wav(
    payload: &[u8],
    opts: &EncodeOptions,
    format: SampleFormat,
) -> Result<Vec<u8>, EncodeError> {
    let samples = encode(payload, opts)?;
    Ok(write_wav(&samples, opts.sample_rate, format))
}

//! wasm-bindgen bindings for the browser page (`web` feature, built for wasm32-unknown-unknown).
//!
//! A thin layer over the codec: every function validates through the codec's own options and
//! turns its typed errors into JavaScript `Error`s. Results are small exported structs with
//! getters (no serde), so the module stays small.

use crate::decoder::{self, DecodeOptions, Message, StreamDecoder};
use crate::encoder::{self, EncodeOptions};
use crate::framing::{Framing, Payload, Progress};
use crate::protocol::PROTOCOLS;
use crate::wav::SampleFormat;
use wasm_bindgen::prelude::*;

/// One of the twelve protocols, with the numbers the page shows.
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug, Clone)]
pub struct ProtocolInfo {
    /// Wire id, 0-11.
    pub id: u8,
    /// ggwave's name ("Fast", "[U] Normal", ...).
    pub name: String,
    /// Machine-friendly name ("audible-fast", ...).
    pub slug: String,
    /// Lowest tone, Hz.
    #[wasm_bindgen(js_name = minHz)]
    pub min_hz: f64,
    /// Highest tone, Hz.
    #[wasm_bindgen(js_name = maxHz)]
    pub max_hz: f64,
    /// Duration of one symbol, seconds.
    #[wasm_bindgen(js_name = symbolSeconds)]
    pub symbol_seconds: f64,
    /// Bytes per second on the air (Reed-Solomon parity included).
    #[wasm_bindgen(js_name = bytesPerSecond)]
    pub bytes_per_second: f64,
    /// Mono-tone protocols need fixed-length mode.
    #[wasm_bindgen(js_name = monoTone)]
    pub mono_tone: bool,
}

/// Every protocol, by id.
#[wasm_bindgen]
pub fn protocols() -> Vec<ProtocolInfo> {
    PROTOCOLS
        .iter()
        .map(|p| ProtocolInfo {
            id: p.id,
            name: p.name.to_string(),
            slug: p.slug.to_string(),
            min_hz: p.min_hz(),
            max_hz: p.max_hz(),
            symbol_seconds: p.symbol_seconds(),
            bytes_per_second: p.bytes_per_tx as f64 / (p.extra as f64 * p.symbol_seconds()),
            mono_tone: p.is_mono_tone(),
        })
        .collect()
}

/// The crate version (shown in the page footer).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Options from the page's arguments; `framing` (`auto`/`always`/`none`) and `parity` may be
/// left `undefined` for the defaults (docs/framing.md).
fn encode_options(
    protocol: u8,
    volume: u8,
    sample_rate: u32,
    fixed_length: Option<u32>,
    dss: bool,
    framing: Option<String>,
    parity: Option<u8>,
) -> Result<EncodeOptions, JsError> {
    let d = EncodeOptions::default();
    let framing = match framing {
        None => d.framing,
        Some(f) => Framing::parse(&f).ok_or_else(|| {
            JsError::new(&format!("unknown framing {f:?} (auto, always or none)"))
        })?,
    };
    Ok(EncodeOptions {
        protocol,
        volume,
        sample_rate,
        fixed_length: fixed_length.map(|n| n as usize),
        dss,
        framing,
        parity: parity.unwrap_or(d.parity),
    })
}

fn decode_options(fixed_length: Option<u32>, dss: bool) -> DecodeOptions {
    DecodeOptions {
        fixed_length: fixed_length.map(|n| n as usize),
        dss,
        ..DecodeOptions::default()
    }
}

/// What sending `len` bytes will take, computed without synthesising anything.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy)]
pub struct PlanInfo {
    /// Standard transmissions the payload is split into (parity pieces included).
    pub transmissions: u32,
    /// Duration in seconds.
    pub seconds: f64,
    /// Sent framed (docs/framing.md).
    pub framed: bool,
    /// Framed: data pieces (0 when not framed).
    #[wasm_bindgen(js_name = dataPieces)]
    pub data_pieces: u32,
    /// Framed: parity pieces.
    #[wasm_bindgen(js_name = parityPieces)]
    pub parity_pieces: u32,
}

/// Plan the encoding of `len` bytes with these options.
#[wasm_bindgen]
// JavaScript calls these positionally; the trailing `framing` and `parity` may be omitted.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    len: u32,
    protocol: u8,
    volume: u8,
    sample_rate: u32,
    fixed_length: Option<u32>,
    dss: bool,
    framing: Option<String>,
    parity: Option<u8>,
) -> Result<PlanInfo, JsError> {
    let opts = encode_options(
        protocol,
        volume,
        sample_rate,
        fixed_length,
        dss,
        framing,
        parity,
    )?;
    let p = encoder::plan(len as usize, &opts).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(PlanInfo {
        transmissions: p.transmissions as u32,
        seconds: p.seconds,
        framed: p.framed.is_some(),
        data_pieces: p.framed.map_or(0, |l| l.data as u32),
        parity_pieces: p.framed.map_or(0, |l| l.parity as u32),
    })
}

/// Encode `payload` into mono samples (a `Float32Array`) at `sample_rate`.
#[wasm_bindgen]
// JavaScript calls these positionally; the trailing `framing` and `parity` may be omitted.
#[allow(clippy::too_many_arguments)]
pub fn encode(
    payload: &[u8],
    protocol: u8,
    volume: u8,
    sample_rate: u32,
    fixed_length: Option<u32>,
    dss: bool,
    framing: Option<String>,
    parity: Option<u8>,
) -> Result<Vec<f32>, JsError> {
    let opts = encode_options(
        protocol,
        volume,
        sample_rate,
        fixed_length,
        dss,
        framing,
        parity,
    )?;
    encoder::encode(payload, &opts).map_err(|e| JsError::new(&e.to_string()))
}

/// Encode `payload` into a complete WAV file (a `Uint8Array`): 16-bit PCM, or 32-bit float when
/// `float` is true.
#[wasm_bindgen(js_name = encodeWav)]
// JavaScript calls these positionally; the trailing `framing` and `parity` may be omitted.
#[allow(clippy::too_many_arguments)]
pub fn encode_wav(
    payload: &[u8],
    protocol: u8,
    volume: u8,
    sample_rate: u32,
    fixed_length: Option<u32>,
    dss: bool,
    float: bool,
    framing: Option<String>,
    parity: Option<u8>,
) -> Result<Vec<u8>, JsError> {
    let opts = encode_options(
        protocol,
        volume,
        sample_rate,
        fixed_length,
        dss,
        framing,
        parity,
    )?;
    let format = if float {
        SampleFormat::F32
    } else {
        SampleFormat::I16
    };
    encoder::encode_wav(payload, &opts, format).map_err(|e| JsError::new(&e.to_string()))
}

/// One received message.
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug, Clone)]
pub struct DecodedMessage {
    /// The bytes sent (`Uint8Array`).
    pub payload: Vec<u8>,
    /// Protocol id.
    pub protocol: u8,
    /// ggwave's name of the protocol.
    #[wasm_bindgen(js_name = protocolName)]
    pub protocol_name: String,
    /// The payload as text when it is valid UTF-8, else `undefined`.
    pub text: Option<String>,
    /// The payload in lowercase hex.
    pub hex: String,
    /// Start of the transmission, seconds from the start of the input.
    #[wasm_bindgen(js_name = startSeconds)]
    pub start_seconds: f64,
    /// End of the transmission, seconds from the start of the input.
    #[wasm_bindgen(js_name = endSeconds)]
    pub end_seconds: f64,
    /// Signal-to-noise ratio in the protocol's band, dB.
    #[wasm_bindgen(js_name = snrDb)]
    pub snr_db: f64,
    /// The clock error locked to, parts per million.
    #[wasm_bindgen(js_name = driftPpm)]
    pub drift_ppm: f64,
    /// Bytes Reed-Solomon corrected.
    #[wasm_bindgen(js_name = correctedBytes)]
    pub corrected_bytes: u32,
}

impl From<Message> for DecodedMessage {
    fn from(m: Message) -> Self {
        DecodedMessage {
            protocol: m.protocol,
            protocol_name: m.protocol_name().to_string(),
            text: m.text().map(str::to_string),
            hex: m.hex(),
            start_seconds: m.start_seconds,
            end_seconds: m.end_seconds,
            snr_db: m.snr_db,
            drift_ppm: m.drift_ppm,
            corrected_bytes: u32::try_from(m.corrected_bytes).unwrap_or(u32::MAX),
            payload: m.payload,
        }
    }
}

fn convert(messages: Vec<Message>) -> Vec<DecodedMessage> {
    messages.into_iter().map(DecodedMessage::from).collect()
}

/// One payload (docs/framing.md): a plain message, or a framed payload complete or not.
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug, Clone)]
pub struct DecodedPayload {
    /// The payload (`Uint8Array`) when complete; empty otherwise.
    pub data: Vec<u8>,
    /// Every data piece received or rebuilt and the CRC-32 matched.
    pub complete: bool,
    /// Sent framed.
    pub framed: bool,
    /// Message id of a framed payload.
    pub id: Option<u16>,
    /// Data pieces expected.
    pub pieces: u32,
    /// Parity pieces sent.
    pub parity: u32,
    /// Pieces heard.
    pub received: u32,
    /// Indices (0-based) of data pieces missing.
    pub missing: Vec<u32>,
    /// Indices (0-based) of data pieces rebuilt from parity.
    pub recovered: Vec<u32>,
    /// The payload as text when complete and valid UTF-8.
    pub text: Option<String>,
    /// The payload in hex (empty when incomplete).
    pub hex: String,
    /// What is missing, for an incomplete payload.
    pub problem: Option<String>,
    /// Start of the first piece heard, seconds.
    #[wasm_bindgen(js_name = startSeconds)]
    pub start_seconds: f64,
    /// End of the last piece heard, seconds.
    #[wasm_bindgen(js_name = endSeconds)]
    pub end_seconds: f64,
}

impl From<Payload> for DecodedPayload {
    fn from(p: Payload) -> Self {
        let list = |v: &[usize]| v.iter().map(|&i| i as u32).collect();
        DecodedPayload {
            complete: p.complete,
            framed: p.framed,
            id: p.id,
            pieces: p.pieces as u32,
            parity: p.parity as u32,
            received: p.received as u32,
            missing: list(&p.missing),
            recovered: list(&p.recovered),
            text: p.text().map(str::to_string),
            hex: p.hex(),
            problem: p.problem(),
            start_seconds: p.start_seconds,
            end_seconds: p.end_seconds,
            data: p.data,
        }
    }
}

fn convert_payloads(payloads: Vec<Payload>) -> Vec<DecodedPayload> {
    payloads.into_iter().map(DecodedPayload::from).collect()
}

/// A framed payload being received: "piece `received` of `pieces + parity`".
#[wasm_bindgen]
#[derive(Debug, Clone, Copy)]
pub struct LiveProgress {
    /// Message id.
    pub id: u16,
    /// Pieces heard so far (data and parity).
    pub received: u32,
    /// Data pieces expected.
    pub pieces: u32,
    /// Parity pieces sent.
    pub parity: u32,
    /// Index (0-based) of the last piece heard.
    #[wasm_bindgen(js_name = lastIndex)]
    pub last_index: u32,
}

impl From<Progress> for LiveProgress {
    fn from(p: Progress) -> Self {
        LiveProgress {
            id: p.id,
            received: p.received as u32,
            pieces: p.pieces as u32,
            parity: p.parity as u32,
            last_index: p.last_index as u32,
        }
    }
}

/// A decoded WAV file: its header facts, its messages and, when there are none, why.
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug, Clone)]
pub struct DecodedWav {
    /// Channels in the file.
    pub channels: u16,
    /// Sample rate in Hz.
    #[wasm_bindgen(js_name = sampleRate)]
    pub sample_rate: u32,
    /// Bits per sample as stored.
    #[wasm_bindgen(js_name = bitsPerSample)]
    pub bits_per_sample: u16,
    /// True for IEEE float samples.
    pub float: bool,
    /// Duration in seconds.
    pub seconds: f64,
    /// When no message was found, a sentence saying why (else `undefined`).
    pub diagnosis: Option<String>,
    /// The diagnosis's machine name (`too_quiet`, `marker_heard`, ...), else `undefined`.
    #[wasm_bindgen(js_name = diagnosisKind)]
    pub diagnosis_kind: Option<String>,
    messages: Vec<DecodedMessage>,
    payloads: Vec<DecodedPayload>,
}

#[wasm_bindgen]
impl DecodedWav {
    /// The messages, in order of their start.
    #[wasm_bindgen(getter)]
    pub fn messages(&self) -> Vec<DecodedMessage> {
        self.messages.clone()
    }

    /// The messages assembled into payloads (docs/framing.md), in order of their start.
    #[wasm_bindgen(getter)]
    pub fn payloads(&self) -> Vec<DecodedPayload> {
        self.payloads.clone()
    }
}

/// Read and decode a WAV file (any format the codec reads).
#[wasm_bindgen(js_name = decodeWav)]
pub fn decode_wav(
    bytes: &[u8],
    fixed_length: Option<u32>,
    dss: bool,
) -> Result<DecodedWav, JsError> {
    let d = decoder::decode_wav(bytes, &decode_options(fixed_length, dss))
        .map_err(|e| JsError::new(&e.to_string()))?;
    let rate = d.info.sample_rate.max(1);
    Ok(DecodedWav {
        channels: d.info.channels,
        sample_rate: d.info.sample_rate,
        bits_per_sample: d.info.bits_per_sample,
        float: d.info.float,
        seconds: d.info.frames as f64 / rate as f64,
        diagnosis: d.diagnosis.as_ref().map(|x| x.to_string()),
        diagnosis_kind: d.diagnosis.as_ref().map(|x| x.kind().to_string()),
        messages: convert(d.messages),
        payloads: convert_payloads(d.payloads),
    })
}

/// Decode mono samples at any rate.
#[wasm_bindgen(js_name = decodeSamples)]
pub fn decode_samples(
    samples: &[f32],
    sample_rate: u32,
    fixed_length: Option<u32>,
    dss: bool,
) -> Result<Vec<DecodedMessage>, JsError> {
    decoder::decode_samples(samples, sample_rate, &decode_options(fixed_length, dss))
        .map(convert)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// A receiver for live audio: feed chunks of any size as they arrive; each message is reported
/// once, by the `push` that completes it (times are seconds since the first sample).
#[wasm_bindgen]
pub struct LiveDecoder {
    inner: StreamDecoder,
}

#[wasm_bindgen]
impl LiveDecoder {
    /// A receiver for mono samples at `sample_rate` Hz.
    #[wasm_bindgen(constructor)]
    pub fn new(
        sample_rate: u32,
        fixed_length: Option<u32>,
        dss: bool,
    ) -> Result<LiveDecoder, JsError> {
        StreamDecoder::new(sample_rate, decode_options(fixed_length, dss))
            .map(|inner| LiveDecoder { inner })
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Feed samples; returns the messages they complete.
    pub fn push(&mut self, samples: &[f32]) -> Vec<DecodedMessage> {
        convert(self.inner.push(samples))
    }

    /// Decode whatever is buffered (at the end of a stream).
    pub fn flush(&mut self) -> Vec<DecodedMessage> {
        convert(self.inner.flush())
    }

    /// Payloads finished since the last call: plain messages, framed payloads once complete or
    /// rebuilt, and framed payloads given up as incomplete.
    #[wasm_bindgen(js_name = takePayloads)]
    pub fn take_payloads(&mut self) -> Vec<DecodedPayload> {
        convert_payloads(self.inner.take_payloads())
    }

    /// At the end of a stream (after `flush`): the payloads not yet taken, and every framed
    /// payload still open, as incomplete.
    #[wasm_bindgen(js_name = finishPayloads)]
    pub fn finish_payloads(&mut self) -> Vec<DecodedPayload> {
        convert_payloads(self.inner.finish_payloads())
    }

    /// Framed payloads being received now.
    pub fn progress(&self) -> Vec<LiveProgress> {
        self.inner
            .progress()
            .into_iter()
            .map(LiveProgress::from)
            .collect()
    }

    /// Why the audio heard lately gave no message (as of the last receiver run), else
    /// `undefined`.
    #[wasm_bindgen(getter)]
    pub fn diagnosis(&self) -> Option<String> {
        self.inner.diagnosis().map(|d| d.to_string())
    }

    /// Seconds of audio received so far.
    #[wasm_bindgen(getter, js_name = elapsedSeconds)]
    pub fn elapsed_seconds(&self) -> f64 {
        self.inner.elapsed_seconds()
    }
}

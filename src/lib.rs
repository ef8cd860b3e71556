//! # fskhttp — a ggwave-compatible data-over-sound modem
//!
//! Bytes in, FSK tones out, and back, speaking ggwave's wire format for all twelve protocols:
//! every WAV this crate makes decodes in ggwave 0.4.x and every ggwave WAV decodes here.
//!
//! * **Encoder** ([`encode`], [`encode_wav`]): byte-exact with ggwave at 48 kHz (16-bit and
//!   float), any output rate from 8 to 96 kHz, variable-length (1-140 bytes a transmission) and
//!   fixed-length (1-64) modes, DSS. Payloads over 140 bytes (up to [`encoder::MAX_PAYLOAD`]) are
//!   sent as consecutive standard transmissions 0.256 s apart, each decodable by plain ggwave.
//! * **Decoder** ([`decode_wav`], [`decode_samples`], [`StreamDecoder`]): any WAV (8/16/24/32-bit
//!   PCM, 32/64-bit float, extensible, any channel count, 1-384 kHz), several messages a file,
//!   with start/end times; soft marker detection, erasure decoding and drift correction. Each
//!   message reports its band SNR, the drift locked to and the bytes corrected; a decode that finds
//!   nothing says why ([`Diagnosis`]). G.711 μ-law and A-law WAVs are read too.
//! * **Limits** ([`Limits`]): hostile input gets a typed error, never a panic; memory is bounded by
//!   a small multiple of the input.
//!
//! The codec is plain Rust with no I/O and no platform code. The HTTP layer (`http` feature), the
//! Spin component (`spin`), the browser bindings (`web`) and the CLI (`cli`) are thin shells.
//!
//! ```
//! use fskhttp::{decode_wav, encode_wav, DecodeOptions, EncodeOptions, SampleFormat};
//! let wav = encode_wav(b"Hello World", &EncodeOptions::default(), SampleFormat::I16).unwrap();
//! let decoded = decode_wav(&wav, &DecodeOptions::default()).unwrap();
//! assert_eq!(decoded.messages[0].text(), Some("Hello World"));
//! ```
#![cfg_attr(
    not(any(feature = "spin", feature = "web", feature = "component")),
    forbid(unsafe_code)
)]

#[cfg(feature = "component")]
mod component;
pub mod decoder;
pub mod encoder;
pub mod frame;
pub mod framing;
#[cfg(feature = "http")]
pub mod http;
pub mod limits;
pub mod protocol;
pub mod reed_solomon;
pub mod resample;
#[cfg(feature = "spin")]
mod spin_component;
pub mod synth;
pub mod wav;
#[cfg(feature = "web")]
pub mod web;

pub use decoder::{
    decode_samples, decode_samples_diagnosed, decode_wav, DecodeError, DecodeOptions, Decoded,
    Diagnosis, Message, Outcome, StreamDecoder,
};
pub use encoder::{encode, encode_48k, encode_wav, plan, EncodeError, EncodeOptions, Plan};
pub use framing::{Framing, Payload};
pub use limits::{LimitError, Limits};
pub use protocol::{Protocol, PROTOCOLS};
pub use wav::{read_wav, write_wav, Audio, AudioInfo, SampleFormat, WavError};

//! Explicit limits for hostile input. Every allocation the decoder makes is bounded by the size of
//! its input times a small constant, and by these limits.

use std::fmt;

/// Limits applied when reading and decoding audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest audio accepted, in seconds (per channel).
    pub max_seconds: f64,
    /// Most channels accepted.
    pub max_channels: u16,
    /// Lowest and highest sample rate accepted, in Hz.
    pub min_sample_rate: u32,
    /// Highest sample rate accepted, in Hz.
    pub max_sample_rate: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_seconds: 600.0,
            max_channels: 64,
            min_sample_rate: 1000,
            max_sample_rate: 384_000,
        }
    }
}

impl Limits {
    /// Whether audio at `rate` Hz is accepted (the one check the reader, the decoder and the
    /// stream decoder share).
    pub fn check_sample_rate(&self, rate: u32) -> Result<(), LimitError> {
        if (self.min_sample_rate..=self.max_sample_rate).contains(&rate) {
            Ok(())
        } else {
            Err(LimitError::SampleRate {
                rate,
                min: self.min_sample_rate,
                max: self.max_sample_rate,
            })
        }
    }
}

/// A sample made safe: samples are defined in -1..=1, anything louder is clipped, and NaN and
/// infinities (which hostile float files carry and the resampler must never see) become silence.
#[inline]
pub fn sanitize_sample(v: f32) -> f32 {
    if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// A limit that input exceeded.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitError {
    /// The audio lasts longer than allowed.
    TooLong { seconds: f64, max: f64 },
    /// More channels than allowed.
    TooManyChannels { channels: u32, max: u16 },
    /// Sample rate outside the accepted range.
    SampleRate { rate: u32, min: u32, max: u32 },
    /// Payload longer than allowed.
    PayloadTooLong { len: usize, max: usize },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::TooLong { seconds, max } => {
                write!(
                    f,
                    "audio lasts {seconds:.1} s, more than the limit of {max} s"
                )
            }
            LimitError::TooManyChannels { channels, max } => {
                write!(f, "{channels} channels, more than the limit of {max}")
            }
            LimitError::SampleRate { rate, min, max } => {
                write!(f, "sample rate {rate} Hz outside {min}..={max} Hz")
            }
            LimitError::PayloadTooLong { len, max } => {
                write!(f, "payload of {len} bytes, more than the limit of {max}")
            }
        }
    }
}

impl std::error::Error for LimitError {}

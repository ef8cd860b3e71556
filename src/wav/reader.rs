use crate::limits::{LimitError, Limits};
use std::fmt;

/// What the header says about the audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioInfo {
    /// Channels in the file.
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Bits per sample as stored.
    pub bits_per_sample: u16,
    /// True for IEEE float samples.
    pub float: bool,
    /// Sample frames (samples per channel) actually present.
    pub frames: usize,
}

impl AudioInfo {
    /// Duration in seconds.
    pub fn duration_seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames as f64 / self.sample_rate as f64
        }
    }
}

/// Decoded audio: every channel as float samples in -1..1.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Header facts.
    pub info: AudioInfo,
    /// One vector per channel, each `info.frames` long.
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// The channels averaged into one (borrowed when there is only one).
    pub fn mono(&self) -> std::borrow::Cow<'_, [f32]> {
        match self.channels.len() {
            0 => std::borrow::Cow::Borrowed(&[]),
            1 => std::borrow::Cow::Borrowed(&self.channels[0]),
            n => {
                let scale = 1.0 / n as f32;
                std::borrow::Cow::Owned(
                    (0..self.info.frames)
                        .map(|i| self.channels.iter().map(|c| c[i]).sum::<f32>() * scale)
                        .collect(),
                )
            }
        }
    }
}

/// Why a WAV could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum WavError {
    /// The input does not start with `RIFF....WAVE`.
    NotWav,
    /// The file ended inside a header.
    Truncated,
    /// No `fmt ` chunk before the data.
    MissingFormat,
    /// No `data` chunk.
    MissingData,
    /// A format tag other than PCM, IEEE float or extensible PCM/float.
    UnsupportedFormat(u16),
    /// A sample width this reader does not handle for the format.
    UnsupportedBits(u16),
    /// Zero channels.
    NoChannels,
    /// The block alignment disagrees with channels and bits.
    BadBlockAlign { block_align: u16, expected: u32 },
    /// A limit was exceeded.
    Limit(LimitError),
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotWav => write!(f, "not a WAV file (no RIFF/WAVE header)"),
            WavError::Truncated => write!(f, "the file ends inside a header"),
            WavError::MissingFormat => write!(f, "no 'fmt ' chunk before the audio data"),
            WavError::MissingData => write!(f, "no 'data' chunk"),
            WavError::UnsupportedFormat(t) => {
                write!(f, "unsupported WAV format tag 0x{t:04x} (PCM, IEEE float and extensible are supported)")
            }
            WavError::UnsupportedBits(b) => write!(f, "unsupported sample width: {b} bits"),
            WavError::NoChannels => write!(f, "the header declares zero channels"),
            WavError::BadBlockAlign {
                block_align,
                expected,
            } => {
                write!(
                    f,
                    "block align {block_align} does not match channels and bits ({expected})"
                )
            }
            WavError::Limit(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WavError {}

impl From<LimitError> for WavError {
    fn from(e: LimitError) -> Self {
        WavError::Limit(e)
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[derive(Clone, Copy)]
struct Format {
    float: bool,
    channels: u16,
    sample_rate: u32,
    bits: u16,
    block_align: u16,
}

fn parse_fmt(body: &[u8]) -> Result<Format, WavError> {
    if body.len() < 16 {
        return Err(WavError::Truncated);
    }
    let tag = u16_at(body, 0).ok_or(WavError::Truncated)?;
    let channels = u16_at(body, 2).ok_or(WavError::Truncated)?;
    let sample_rate = u32_at(body, 4).ok_or(WavError::Truncated)?;
    let block_align = u16_at(body, 12).ok_or(WavError::Truncated)?;
    let bits = u16_at(body, 14).ok_or(WavError::Truncated)?;
    let effective = if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag.
        u16_at(body, 24).ok_or(WavError::Truncated)?
    } else {
        tag
    };
    let float = match effective {
        1 => false,
        3 => true,
        other => return Err(WavError::UnsupportedFormat(other)),
    };
    Ok(Format {
        float,
        channels,
        sample_rate,
        bits,
        block_align,
    })
}

/// Read a WAV file held in memory.
pub fn read_wav(bytes: &[u8], limits: &Limits) -> Result<Audio, WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut at = 12usize;
    let mut format: Option<Format> = None;
    let mut data: Option<&[u8]> = None;
    // Each iteration advances by at least 8 bytes: bounded by the input size.
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4).ok_or(WavError::Truncated)? as usize;
        let body_start = at + 8;
        let available = bytes.len() - body_start;
        if id == b"fmt " {
            let body = &bytes[body_start..body_start + size.min(available)];
            format = Some(parse_fmt(body)?);
        } else if id == b"data" {
            // 0 and 0xFFFFFFFF mean "until the end" (streamed); a larger size means truncated.
            let len = if size == 0 || size == u32::MAX as usize {
                available
            } else {
                size.min(available)
            };
            data = Some(&bytes[body_start..body_start + len]);
            break;
        }
        at = body_start.saturating_add(size).saturating_add(size & 1);
    }
    let fmt = format.ok_or(if data.is_some() {
        WavError::MissingFormat
    } else {
        WavError::Truncated
    })?;
    let data = data.ok_or(WavError::MissingData)?;
    if fmt.channels == 0 {
        return Err(WavError::NoChannels);
    }
    if fmt.channels > limits.max_channels {
        return Err(LimitError::TooManyChannels {
            channels: fmt.channels as u32,
            max: limits.max_channels,
        }
        .into());
    }
    if fmt.sample_rate < limits.min_sample_rate || fmt.sample_rate > limits.max_sample_rate {
        return Err(LimitError::SampleRate {
            rate: fmt.sample_rate,
            min: limits.min_sample_rate,
            max: limits.max_sample_rate,
        }
        .into());
    }
    let width = match (fmt.float, fmt.bits) {
        (false, 8) => 1,
        (false, 16) => 2,
        (false, 24) => 3,
        (false, 32) => 4,
        (true, 32) => 4,
        (true, 64) => 8,
        (_, b) => return Err(WavError::UnsupportedBits(b)),
    };
    let expected = width as u32 * fmt.channels as u32;
    // Some writers put 0 or a per-channel value here; only reject values that could not be right.
    let stride = if fmt.block_align as u32 == expected || fmt.block_align == 0 {
        expected as usize
    } else if (fmt.block_align as u32) > expected
        && (fmt.block_align as u32).is_multiple_of(fmt.channels as u32)
    {
        // Container wider than the sample (e.g. 24 bits in 32-bit slots): honour the container.
        fmt.block_align as usize
    } else {
        return Err(WavError::BadBlockAlign {
            block_align: fmt.block_align,
            expected,
        });
    };
    let slot = stride / fmt.channels as usize;
    let frames = data.len() / stride;
    let seconds = frames as f64 / fmt.sample_rate as f64;
    if seconds > limits.max_seconds {
        return Err(LimitError::TooLong {
            seconds,
            max: limits.max_seconds,
        }
        .into());
    }
    let ch = fmt.channels as usize;
    let skip = slot - width; // samples are left-justified in wider containers
    let float = fmt.float;
    // One monomorphic pass per channel: no per-sample format dispatch, no per-sample push.
    let channels: Vec<Vec<f32>> = (0..ch)
        .map(|c| {
            let at = c * slot + skip;
            match (float, width) {
                (false, 1) => convert::<1>(data, stride, at, |s| (s[0] as f32 - 128.0) / 128.0),
                (false, 2) => {
                    convert::<2>(data, stride, at, |s| i16::from_le_bytes(s) as f32 / 32768.0)
                }
                (false, 3) => convert::<3>(data, stride, at, |s| {
                    (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as f32 / 8_388_608.0
                }),
                (false, _) => convert::<4>(data, stride, at, |s| {
                    i32::from_le_bytes(s) as f32 / 2_147_483_648.0
                }),
                (true, 4) => convert::<4>(data, stride, at, |s| finite(f32::from_le_bytes(s))),
                (true, _) => {
                    convert::<8>(data, stride, at, |s| finite(f64::from_le_bytes(s) as f32))
                }
            }
        })
        .collect();
    let info = AudioInfo {
        channels: fmt.channels,
        sample_rate: fmt.sample_rate,
        bits_per_sample: fmt.bits,
        float: fmt.float,
        frames,
    };
    Ok(Audio { info, channels })
}

/// The samples of one channel: `N` bytes at offset `at` of every `stride`-byte frame. Mono files
/// (`stride == N`, the common case) walk constant-size chunks. (Neither loop vectorises; the gain
/// over the old reader is one format decision per channel instead of per sample.)
fn convert<const N: usize>(
    data: &[u8],
    stride: usize,
    at: usize,
    f: impl Fn([u8; N]) -> f32,
) -> Vec<f32> {
    let bytes = |s: &[u8]| -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&s[..N]);
        b
    };
    if stride == N && at == 0 {
        data.chunks_exact(N).map(|s| f(bytes(s))).collect()
    } else {
        data.chunks_exact(stride)
            .map(|s| f(bytes(&s[at..at + N])))
            .collect()
    }
}

/// NaN and infinities from hostile float files become silence / full scale.
#[inline]
fn finite(v: f32) -> f32 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-1.0, 1.0)
    }
}

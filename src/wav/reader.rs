use crate::limits::{sanitize_sample, LimitError, Limits};
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
    /// A format tag other than PCM, IEEE float, G.711 μ-law/A-law or their extensible forms.
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
                write!(f, "unsupported WAV format tag 0x{t:04x} (PCM, IEEE float, G.711 mu-law/A-law and extensible are supported)")
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

/// How the samples are stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Integer PCM (tag 1).
    Pcm,
    /// IEEE float (tag 3).
    Float,
    /// G.711 A-law, 8 bits (tag 6).
    ALaw,
    /// G.711 μ-law, 8 bits (tag 7).
    MuLaw,
}

#[derive(Clone, Copy)]
struct Format {
    encoding: Encoding,
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
    let encoding = match effective {
        1 => Encoding::Pcm,
        3 => Encoding::Float,
        6 => Encoding::ALaw,
        7 => Encoding::MuLaw,
        other => return Err(WavError::UnsupportedFormat(other)),
    };
    Ok(Format {
        encoding,
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
    limits.check_sample_rate(fmt.sample_rate)?;
    let width = match (fmt.encoding, fmt.bits) {
        (Encoding::Pcm, 8) => 1,
        (Encoding::Pcm, 16) => 2,
        (Encoding::Pcm, 24) => 3,
        (Encoding::Pcm, 32) => 4,
        (Encoding::Float, 32) => 4,
        (Encoding::Float, 64) => 8,
        // G.711: one 8-bit code word a sample.
        (Encoding::ALaw | Encoding::MuLaw, 8) => 1,
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
    let encoding = fmt.encoding;
    let float = encoding == Encoding::Float;
    // One monomorphic pass per channel: no per-sample format dispatch, no per-sample push.
    let channels: Vec<Vec<f32>> = (0..ch)
        .map(|c| {
            let at = c * slot + skip;
            match (float, width) {
                (false, 1) if encoding == Encoding::MuLaw => {
                    convert::<1>(data, stride, at, |s| mu_law(s[0]) as f32 / 32768.0)
                }
                (false, 1) if encoding == Encoding::ALaw => {
                    convert::<1>(data, stride, at, |s| a_law(s[0]) as f32 / 32768.0)
                }
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
                (true, 4) => {
                    convert::<4>(data, stride, at, |s| sanitize_sample(f32::from_le_bytes(s)))
                }
                (true, _) => convert::<8>(data, stride, at, |s| {
                    sanitize_sample(f64::from_le_bytes(s) as f32)
                }),
            }
        })
        .collect();
    let info = AudioInfo {
        channels: fmt.channels,
        sample_rate: fmt.sample_rate,
        bits_per_sample: fmt.bits,
        float,
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

/// ITU-T G.711 μ-law expansion of one code word, on the 16-bit scale (±32124 at most).
///
/// The transmitted word is the complement of sign (1 = positive), 3-bit segment `e` and 4-bit step
/// `m`; segment `e` starts at `(33 << e) − 33` in the 14-bit domain with steps of `2 << e`, and the
/// decoder outputs the middle of each step: `((2m + 33) << e) − 33`, here times 4.
pub(crate) fn mu_law(code: u8) -> i16 {
    let u = !code;
    let e = (u >> 4) & 7;
    let m = i32::from(u & 0x0f);
    let magnitude = (((2 * m + 33) << e) - 33) * 4;
    (if u & 0x80 == 0 { magnitude } else { -magnitude }) as i16
}

/// ITU-T G.711 A-law expansion of one code word, on the 16-bit scale (±32256 at most).
///
/// The transmitted word has its even bits inverted (XOR 0x55); then sign (1 = positive), 3-bit
/// segment `e` and 4-bit step `m`. Segments 0 and 1 share a step of 2 in the 13-bit domain, each
/// later one doubles it: the decoder outputs `2m + 1` in segment 0 and `(2m + 33) << (e − 1)`
/// above, here times 8.
pub(crate) fn a_law(code: u8) -> i16 {
    let u = code ^ 0x55;
    let e = (u >> 4) & 7;
    let m = i32::from(u & 0x0f);
    let magnitude = if e == 0 {
        2 * m + 1
    } else {
        (2 * m + 33) << (e - 1)
    } * 8;
    (if u & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod g711_tests {
    use super::*;

    /// A G.711 WAV: `tag` 6 or 7, plain (16-byte `fmt `, or 18 with `cbSize` = 0) or extensible
    /// (subformat GUID `0000000t-0000-0010-8000-00aa00389b71`), `channels` interleaved.
    fn g711_wav(tag: u16, extensible: bool, channels: u16, codes: &[u8]) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&(if extensible { 0xFFFE } else { tag }).to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&8000u32.to_le_bytes());
        fmt.extend_from_slice(&(8000 * u32::from(channels)).to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&8u16.to_le_bytes());
        if extensible {
            fmt.extend_from_slice(&22u16.to_le_bytes());
            fmt.extend_from_slice(&8u16.to_le_bytes());
            fmt.extend_from_slice(&0u32.to_le_bytes());
            fmt.extend_from_slice(&tag.to_le_bytes());
            fmt.extend_from_slice(&[
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
            ]);
        } else {
            fmt.extend_from_slice(&0u16.to_le_bytes());
        }
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(4 + 8 + fmt.len() as u32 + 8 + codes.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        out.extend_from_slice(&fmt);
        // G.711 files from telephone systems usually carry a `fact` chunk: skipped.
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&(codes.len() as u32 / u32::from(channels)).to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(codes.len() as u32).to_le_bytes());
        out.extend_from_slice(codes);
        out
    }

    /// Code words and their G.711 decoder outputs (16-bit scale): both zeros, both ends of the
    /// first segment, the first step of the second segment, the largest magnitude, each sign.
    const MU: [(u8, i16); 12] = [
        (0xFF, 0),
        (0x7F, 0),
        (0xFE, 8),
        (0x7E, -8),
        (0xF0, 120),
        (0x70, -120),
        (0xEF, 132),
        (0x6F, -132),
        (0xDF, 396),
        (0x80, 32124),
        (0x00, -32124),
        (0x81, 31100),
    ];
    const A: [(u8, i16); 12] = [
        (0xD5, 8),
        (0x55, -8),
        (0xD4, 24),
        (0x54, -24),
        (0xDA, 248),
        (0x5A, -248),
        (0xC5, 264),
        (0x45, -264),
        (0xF5, 528),
        (0xAA, 32256),
        (0x2A, -32256),
        (0xAB, 31232),
    ];

    #[test]
    fn known_code_words_expand_exactly() {
        for (code, want) in MU {
            assert_eq!(mu_law(code), want, "mu-law 0x{code:02x}");
        }
        for (code, want) in A {
            assert_eq!(a_law(code), want, "A-law 0x{code:02x}");
        }
    }

    /// Both laws are odd (the sign bit flips the sign only), and each sign's 128 code words expand
    /// to 128 distinct magnitudes that follow the law's curve: μ-law `ln(1 + 255x)/ln 256`, A-law
    /// `(1 + ln(87.6x))/(1 + ln 87.6)` above `1/87.6` and linear below, within two steps (a wrong
    /// segment would be off by 16).
    #[test]
    fn every_code_word_is_odd_symmetric_and_on_the_law() {
        for c in 0..=255u8 {
            assert_eq!(mu_law(c), -mu_law(c ^ 0x80), "mu-law 0x{c:02x}");
            assert_eq!(a_law(c), -a_law(c ^ 0x80), "A-law 0x{c:02x}");
        }
        let curve = |law: fn(u8) -> i16, f: fn(f64) -> f64, max: f64| {
            let mut mags: Vec<i16> = (0..=255u8).map(law).filter(|&v| v >= 0).collect();
            mags.sort_unstable();
            mags.dedup();
            assert_eq!(mags.len(), 128);
            for (k, &v) in mags.iter().enumerate() {
                let y = 128.0 * f(f64::from(v) / max);
                // The segments approximate the curve: off by up to ~1.9 steps near segment ends.
                assert!((y - k as f64).abs() <= 2.0, "step {k}: {v} -> {y}");
            }
        };
        const A: f64 = 87.6;
        curve(mu_law, |x| (1.0 + 255.0 * x).ln() / 256f64.ln(), 32768.0);
        curve(
            a_law,
            |x| {
                if x < 1.0 / A {
                    A * x / (1.0 + A.ln())
                } else {
                    (1.0 + (A * x).ln()) / (1.0 + A.ln())
                }
            },
            32768.0,
        );
    }

    #[test]
    fn mu_law_and_a_law_files_plain_and_extensible() {
        let limits = Limits::default();
        let codes: Vec<u8> = MU.iter().map(|m| m.0).collect();
        for ext in [false, true] {
            let audio = read_wav(&g711_wav(7, ext, 1, &codes), &limits).expect("mu-law");
            assert_eq!(audio.info.bits_per_sample, 8);
            assert!(!audio.info.float);
            assert_eq!(audio.info.frames, MU.len());
            let want: Vec<f32> = MU.iter().map(|m| f32::from(m.1) / 32768.0).collect();
            assert_eq!(audio.channels[0], want, "extensible {ext}");
        }
        let codes: Vec<u8> = A.iter().map(|m| m.0).collect();
        for ext in [false, true] {
            let audio = read_wav(&g711_wav(6, ext, 1, &codes), &limits).expect("A-law");
            let want: Vec<f32> = A.iter().map(|m| f32::from(m.1) / 32768.0).collect();
            assert_eq!(audio.channels[0], want, "extensible {ext}");
        }
        // Stereo: interleaved code words.
        let audio = read_wav(&g711_wav(6, true, 2, &[0xAA, 0x2A, 0xD5, 0x55]), &limits).unwrap();
        assert_eq!(audio.info.channels, 2);
        assert_eq!(audio.channels[0], vec![32256.0 / 32768.0, 8.0 / 32768.0]);
        assert_eq!(audio.channels[1], vec![-32256.0 / 32768.0, -8.0 / 32768.0]);
    }

    #[test]
    fn truncated_and_malformed_g711_files_are_errors_or_partial() {
        let limits = Limits::default();
        let wav = g711_wav(7, true, 1, &[0x80; 100]);
        // A data chunk cut short: the code words present are read.
        let cut = read_wav(&wav[..wav.len() - 40], &limits).unwrap();
        assert_eq!(cut.info.frames, 60);
        // Cut inside the extensible `fmt ` chunk (before the subformat tag): a header error.
        assert_eq!(
            read_wav(&wav[..12 + 8 + 20], &limits).unwrap_err(),
            WavError::Truncated
        );
        assert_eq!(
            read_wav(&wav[..12 + 8 + 25], &limits).unwrap_err(),
            WavError::Truncated
        );
        // Cut right after the `fmt ` chunk: no data chunk.
        let plain = g711_wav(6, false, 1, &[0xD5; 10]);
        assert_eq!(
            read_wav(&plain[..12 + 8 + 18], &limits).unwrap_err(),
            WavError::MissingData
        );
        // Cut inside the data chunk's header.
        assert_eq!(
            read_wav(&plain[..plain.len() - 14], &limits).unwrap_err(),
            WavError::MissingData
        );
        // G.711 is 8 bits a sample: 16 is refused, as is a stereo block align of 3 bytes.
        let mut wide = plain.clone();
        wide[34] = 16;
        assert_eq!(
            read_wav(&wide, &limits).unwrap_err(),
            WavError::UnsupportedBits(16)
        );
        let mut align = g711_wav(7, false, 2, &[0xFF; 10]);
        align[32] = 3;
        assert!(matches!(
            read_wav(&align, &limits).unwrap_err(),
            WavError::BadBlockAlign { .. }
        ));
        // Other companded or compressed tags stay unsupported (0x0002 MS-ADPCM, 0x0055 MP3).
        for tag in [2u16, 0x55] {
            let mut other = plain.clone();
            other[20..22].copy_from_slice(&tag.to_le_bytes());
            assert_eq!(
                read_wav(&other, &limits).unwrap_err(),
                WavError::UnsupportedFormat(tag)
            );
        }
    }
}

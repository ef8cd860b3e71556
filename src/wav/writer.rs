/// Output sample formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleFormat {
    /// 16-bit PCM, as ggwave-to-file writes (`trunc(32768·y)`, wrapping +1.0 to -32768 like ggwave).
    #[default]
    I16,
    /// 32-bit IEEE float, as Python `ggwave.encode` returns.
    F32,
}

impl SampleFormat {
    /// Parse `i16`/`wav16`/`s16` or `f32`/`wav32f`/`float`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "i16" | "s16" | "wav16" | "pcm16" | "16" => Some(SampleFormat::I16),
            "f32" | "wav32f" | "float" | "float32" | "32f" => Some(SampleFormat::F32),
            _ => None,
        }
    }
}

/// ggwave's float-to-16-bit conversion: truncation toward zero through a 32-bit integer, so an
/// exact +1.0 wraps to -32768 (docs/protocol.md §7.4).
#[inline]
pub fn to_i16(y: f32) -> i16 {
    ((32768.0f32 * y) as i32) as i16
}

/// A mono WAV with a standard 44-byte header (RIFF size = 36 + data).
pub fn write_wav(samples: &[f32], sample_rate: u32, format: SampleFormat) -> Vec<u8> {
    let (tag, bytes_per_sample) = match format {
        SampleFormat::I16 => (1u16, 2u16),
        SampleFormat::F32 => (3u16, 4u16),
    };
    let data_len = samples.len().saturating_mul(bytes_per_sample as usize);
    let data_len32 = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36u32.saturating_add(data_len32)).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate.saturating_mul(bytes_per_sample as u32)).to_le_bytes());
    out.extend_from_slice(&bytes_per_sample.to_le_bytes());
    out.extend_from_slice(&(8 * bytes_per_sample).to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len32.to_le_bytes());
    match format {
        SampleFormat::I16 => put::<2>(&mut out, samples, |y| to_i16(y).to_le_bytes()),
        SampleFormat::F32 => put::<4>(&mut out, samples, f32::to_le_bytes),
    }
    out
}

/// Append `samples` encoded by `f`, 32 at a time through a stack buffer (one bounds check and one
/// copy per block instead of per sample; the block loop vectorises).
fn put<const N: usize>(out: &mut Vec<u8>, samples: &[f32], f: impl Fn(f32) -> [u8; N]) {
    const BLOCK: usize = 32;
    let blocks = samples.chunks_exact(BLOCK);
    let tail = blocks.remainder();
    let mut buf = [[0u8; N]; BLOCK];
    for block in blocks {
        for (b, &y) in buf.iter_mut().zip(block) {
            *b = f(y);
        }
        out.extend_from_slice(buf.as_flattened());
    }
    for &y in tail {
        out.extend_from_slice(&f(y));
    }
}

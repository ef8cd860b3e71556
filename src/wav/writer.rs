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

/// A mono WAV. hound writes it: 16-bit PCM with the standard 44-byte header (RIFF size = 36 +
/// data, byte-identical to ggwave's Python-side files) through its pre-sized 16-bit sample
/// writer; 32-bit float with hound's WAVE_FORMAT_EXTENSIBLE header (68 bytes, sub-format IEEE
/// float). The header is ours to choose; ggwave compatibility is about the samples, which are the
/// same either way.
///
/// hound's only float path is `write_sample`, one call per sample: 1.2 ms for a 9 s message where
/// appending the little-endian bytes in blocks takes 0.06 ms (synthesis itself takes ~0.8 ms). So
/// for float, hound writes the header (finalised for no samples), the samples are appended in
/// blocks, and the two sizes hound would have written (RIFF = length - 8, data = bytes) are set.
pub fn write_wav(samples: &[f32], sample_rate: u32, format: SampleFormat) -> Vec<u8> {
    let (bits, kind, header) = match format {
        SampleFormat::I16 => (16, hound::SampleFormat::Int, 44),
        SampleFormat::F32 => (32, hound::SampleFormat::Float, 68),
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: bits,
        sample_format: kind,
    };
    let bytes = usize::from(bits / 8);
    // A WAV's sizes are 32-bit: keep at most what fits (the encoder's longest output is seconds).
    let max = (u32::MAX as usize - header) / bytes;
    let samples = &samples[..samples.len().min(max)];
    let mut out = std::io::Cursor::new(Vec::with_capacity(header + bytes * samples.len()));
    // None of the three hound calls below can fail, whatever the input: hound's only errors here
    // are an unsupported bit depth (we ask for 16 or 32), an I/O error (the sink is a Vec, whose
    // writes and seeks never fail), a 32-bit size overflow (the samples were clamped above) and an
    // unfinished multi-channel frame (the file is mono).
    let mut w = hound::WavWriter::new(&mut out, spec).expect("16/32-bit spec into a Vec");
    if format == SampleFormat::I16 {
        // One pre-sized buffer, written once (hound's fast path for 16-bit).
        let mut w16 = w.get_i16_writer(samples.len() as u32);
        for &y in samples {
            w16.write_sample(to_i16(y));
        }
        // Exactly the reserved count was written, into a Vec (see above).
        w16.flush()
            .expect("in-memory write of the reserved samples");
    }
    // Header sizes of a clamped, mono, in-memory file (see above).
    w.finalize().expect("in-memory header update");
    let mut out = out.into_inner();
    if format == SampleFormat::F32 {
        debug_assert_eq!(out.len(), header);
        put::<4>(&mut out, samples, f32::to_le_bytes);
        let riff = (out.len() - 8) as u32;
        let data = (out.len() - header) as u32;
        out[4..8].copy_from_slice(&riff.to_le_bytes());
        out[header - 4..header].copy_from_slice(&data.to_le_bytes());
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

//! Sample-rate conversion on top of `rubato`: its synchronous FFT resampler for ratios of small
//! integers (44.1 kHz <-> 48 kHz is 147:160), its asynchronous sinc resampler for everything else
//! (odd rates, and the small stretch factors used to undo clock drift). Both have stop-band
//! rejection far beyond what an FSK receiver needs, at a few ms per minute of audio.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};
use std::fmt;

/// Why a conversion failed (none should happen for validated rates); rubato's own errors are
/// kept as the [`source`](std::error::Error::source), not repeated in the message.
#[derive(Debug, Clone, PartialEq)]
pub enum ResampleError {
    /// A sample rate of 0 Hz.
    ZeroRate,
    /// A stretch ratio outside 0.01..100 (or not finite).
    Ratio(f64),
    /// rubato refused the parameters.
    Construction(rubato::ResamplerConstructionError),
    /// rubato failed while converting.
    Process(rubato::ResampleError),
    /// The input could not be viewed as a buffer of this many frames.
    Buffer { frames: usize },
}

impl fmt::Display for ResampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResampleError::ZeroRate => write!(f, "sample rate 0"),
            ResampleError::Ratio(r) => write!(f, "ratio {r} out of range"),
            ResampleError::Construction(_) => write!(f, "the resampler refused its parameters"),
            ResampleError::Process(_) => write!(f, "the resampler failed"),
            ResampleError::Buffer { frames } => {
                write!(f, "{frames} frames do not make an audio buffer")
            }
        }
    }
}

impl std::error::Error for ResampleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResampleError::Construction(e) => Some(e),
            ResampleError::Process(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rubato::ResamplerConstructionError> for ResampleError {
    fn from(e: rubato::ResamplerConstructionError) -> Self {
        ResampleError::Construction(e)
    }
}

impl From<rubato::ResampleError> for ResampleError {
    fn from(e: rubato::ResampleError) -> Self {
        ResampleError::Process(e)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn run(resampler: &mut dyn Resampler<f32>, input: &[f32]) -> Result<Vec<f32>, ResampleError> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let adapter =
        InterleavedSlice::new(input, 1, input.len()).map_err(|_| ResampleError::Buffer {
            frames: input.len(),
        })?;
    let out = resampler.process_all(&adapter, input.len(), None)?;
    Ok(out.take_data())
}

/// Convert `input` from `from` Hz to `to` Hz.
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    if from == to || input.is_empty() {
        return Ok(input.to_vec());
    }
    if from == 0 || to == 0 {
        return Err(ResampleError::ZeroRate);
    }
    let g = gcd(from as u64, to as u64);
    if from as u64 / g <= 2048 && to as u64 / g <= 2048 {
        let mut r = Fft::<f32>::new(from as usize, to as usize, 2048, 1, FixedSync::Input)?;
        run(&mut r, input)
    } else {
        stretch(input, to as f64 / from as f64)
    }
}

/// Resample by an arbitrary ratio (output rate / input rate), e.g. 1.007 to undo a clock that ran
/// 0.7 % fast.
pub fn stretch(input: &[f32], ratio: f64) -> Result<Vec<f32>, ResampleError> {
    if !(ratio.is_finite() && ratio > 0.01 && ratio < 100.0) {
        return Err(ResampleError::Ratio(ratio));
    }
    let params = SincInterpolationParameters {
        sinc_len: 64,
        f_cutoff: None,
        oversampling_factor: 64,
        interpolation: SincInterpolationType::Linear,
        window: WindowFunction::BlackmanHarris2,
    };
    let mut r = Async::<f32>::new_sinc(ratio, 1.0, &params, 2048, 1, FixedAsync::Input)?;
    run(&mut r, input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_typed_and_keep_their_cause() {
        use std::error::Error;
        assert_eq!(resample(&[0.0; 4], 0, 48_000), Err(ResampleError::ZeroRate));
        assert!(matches!(
            stretch(&[0.0; 4], 1000.0),
            Err(ResampleError::Ratio(r)) if r == 1000.0
        ));
        let rubato = Fft::<f32>::new(0, 48_000, 2048, 1, FixedSync::Input).unwrap_err();
        let e = crate::DecodeError::Resample(rubato.into());
        assert_eq!(
            e.to_string(),
            "resampling failed: the resampler refused its parameters"
        );
        assert_eq!(e.source().unwrap().to_string(), rubato.to_string());
        assert!(ResampleError::ZeroRate.source().is_none());
    }

    fn tone(hz: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin() as f32 * 0.5)
            .collect()
    }

    fn peak_hz(x: &[f32], rate: u32) -> f64 {
        // Crude DFT peak search over 10 Hz steps, enough to check frequencies survive.
        let n = x.len().min(8192);
        let mut best = (0.0, 0.0);
        let mut f = 100.0;
        while f < rate as f64 / 2.0 {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, &v) in x[..n].iter().enumerate() {
                let a = 2.0 * std::f64::consts::PI * f * i as f64 / rate as f64;
                re += v as f64 * a.cos();
                im += v as f64 * a.sin();
            }
            let p = re * re + im * im;
            if p > best.1 {
                best = (f, p);
            }
            f += 10.0;
        }
        best.0
    }

    #[test]
    fn rational_and_odd_rates_keep_frequency_and_length() {
        for (from, to) in [
            (44100u32, 48000u32),
            (48000, 16000),
            (47999, 48000),
            (8000, 48000),
        ] {
            let x = tone(1000.0, from, from as usize / 2);
            let y = resample(&x, from, to).unwrap();
            let want = x.len() as f64 * to as f64 / from as f64;
            assert!(
                (y.len() as f64 - want).abs() <= 2.0,
                "{from}->{to}: {} vs {want}",
                y.len()
            );
            assert!(
                (peak_hz(&y[1000..], to) - 1000.0).abs() <= 10.0,
                "{from}->{to}"
            );
        }
    }
}

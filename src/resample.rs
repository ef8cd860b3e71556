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

/// The resampler refused its parameters (should not happen for validated rates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResampleError(pub String);

impl fmt::Display for ResampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resampling failed: {}", self.0)
    }
}

impl std::error::Error for ResampleError {}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn err<E: fmt::Display>(e: E) -> ResampleError {
    ResampleError(e.to_string())
}

fn run(resampler: &mut dyn Resampler<f32>, input: &[f32]) -> Result<Vec<f32>, ResampleError> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let adapter = InterleavedSlice::new(input, 1, input.len()).map_err(err)?;
    let out = resampler
        .process_all(&adapter, input.len(), None)
        .map_err(err)?;
    Ok(out.take_data())
}

/// Convert `input` from `from` Hz to `to` Hz.
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    if from == to || input.is_empty() {
        return Ok(input.to_vec());
    }
    if from == 0 || to == 0 {
        return Err(ResampleError("sample rate 0".into()));
    }
    let g = gcd(from as u64, to as u64);
    if from as u64 / g <= 2048 && to as u64 / g <= 2048 {
        let mut r =
            Fft::<f32>::new(from as usize, to as usize, 2048, 1, FixedSync::Input).map_err(err)?;
        run(&mut r, input)
    } else {
        stretch(input, to as f64 / from as f64)
    }
}

/// Resample by an arbitrary ratio (output rate / input rate), e.g. 1.007 to undo a clock that ran
/// 0.7 % fast.
pub fn stretch(input: &[f32], ratio: f64) -> Result<Vec<f32>, ResampleError> {
    if !(ratio.is_finite() && ratio > 0.01 && ratio < 100.0) {
        return Err(ResampleError(format!("ratio {ratio} out of range")));
    }
    let params = SincInterpolationParameters {
        sinc_len: 64,
        f_cutoff: None,
        oversampling_factor: 64,
        interpolation: SincInterpolationType::Linear,
        window: WindowFunction::BlackmanHarris2,
    };
    let mut r =
        Async::<f32>::new_sinc(ratio, 1.0, &params, 2048, 1, FixedAsync::Input).map_err(err)?;
    run(&mut r, input)
}

#[cfg(test)]
mod tests {
    use super::*;

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

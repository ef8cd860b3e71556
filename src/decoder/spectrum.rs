//! Power spectra of 1024-sample frames (real FFT, no window: every tone sits on a bin centre).

use crate::protocol::FRAME;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use std::sync::Arc;

/// Bins kept per spectrum (0..512).
pub const BINS: usize = FRAME / 2;

/// A reusable real FFT (1024 points unless made with [`Analyzer::with_size`]).
pub struct Analyzer {
    n: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// Plan a 1024-point FFT once.
    pub fn new() -> Self {
        Self::with_size(FRAME)
    }

    /// An FFT of `n` points.
    pub fn with_size(n: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let input = fft.make_input_vec();
        let output = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Analyzer {
            n,
            fft,
            input,
            output,
            scratch,
        }
    }

    /// Power of `frame` (`n` samples, or zero-padded) into `power` (up to `n/2` values).
    pub fn power(&mut self, frame: &[f32], power: &mut [f32]) {
        let spectrum = self.transform(frame);
        for (p, c) in power.iter_mut().zip(&spectrum[..spectrum.len() - 1]) {
            *p = c.re * c.re + c.im * c.im;
        }
    }

    /// The complex spectrum of `frame` (`n` samples, or zero-padded): `n/2 + 1` bins.
    pub fn transform(&mut self, frame: &[f32]) -> &[Complex<f32>] {
        let n = frame.len().min(self.n);
        self.input[..n].copy_from_slice(&frame[..n]);
        self.input[n..].iter_mut().for_each(|v| *v = 0.0);
        // Lengths come from the plan itself, so this cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        &self.output
    }

    /// Power of the coherent sum of `count` consecutive frames starting at `start` (samples past
    /// the end of `audio` count as silence).
    pub fn power_of_sum(&mut self, audio: &[f32], start: usize, count: usize, power: &mut [f32]) {
        let mut acc = [0f32; FRAME];
        for k in 0..count {
            let s = start + k * FRAME;
            if s >= audio.len() {
                break;
            }
            let e = (s + FRAME).min(audio.len());
            for (a, &v) in acc.iter_mut().zip(&audio[s..e]) {
                *a += v;
            }
        }
        self.power(&acc, power);
    }
}

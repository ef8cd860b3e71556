//! Power spectra of 1024-sample frames (real FFT, no window: every tone sits on a bin centre).

use crate::protocol::FRAME;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use std::sync::Arc;

/// Bins kept per spectrum (0..512).
pub const BINS: usize = FRAME / 2;

/// A reusable 1024-point real FFT with its scratch buffers.
pub struct Analyzer {
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
    /// Plan the FFT once.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FRAME);
        let input = fft.make_input_vec();
        let output = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Analyzer {
            fft,
            input,
            output,
            scratch,
        }
    }

    /// Power of `frame` (exactly 1024 samples, or zero-padded) into `power` (512 values).
    pub fn power(&mut self, frame: &[f32], power: &mut [f32]) {
        let n = frame.len().min(FRAME);
        self.input[..n].copy_from_slice(&frame[..n]);
        self.input[n..].iter_mut().for_each(|v| *v = 0.0);
        // Lengths come from the plan itself, so this cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        for (p, c) in power.iter_mut().zip(&self.output[..BINS]) {
            *p = c.re * c.re + c.im * c.im;
        }
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

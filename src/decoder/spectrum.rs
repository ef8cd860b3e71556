//! Power spectra of 1024-sample frames (real FFT, no window: every tone sits on a bin centre).
//!
//! FFT plans and window tables are made once per thread ([`real_plan`], [`complex_plan`],
//! [`hann`]) and shared by every decode on it: planning computes thousands of twiddle factors,
//! which cost about 15 % of a short decode natively, and more as WebAssembly, whose `sin`/`cos`
//! are software (callgrind, docs/benchmarks.md).

use crate::protocol::FRAME;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Bins kept per spectrum (0..512).
pub const BINS: usize = FRAME / 2;

struct Plans {
    complex: rustfft::FftPlanner<f32>,
    real: RealFftPlanner<f32>,
    hann: HashMap<usize, Rc<[f32]>>,
}

thread_local! {
    static PLANS: RefCell<Plans> = RefCell::new(Plans {
        complex: rustfft::FftPlanner::new(),
        real: RealFftPlanner::new(),
        hann: HashMap::new(),
    });
}

/// The forward complex FFT of `n` points, planned once per thread.
pub fn complex_plan(n: usize) -> Arc<dyn rustfft::Fft<f32>> {
    PLANS.with(|p| p.borrow_mut().complex.plan_fft_forward(n))
}

/// The forward real FFT of `n` points, planned once per thread.
pub fn real_plan(n: usize) -> Arc<dyn RealToComplex<f32>> {
    PLANS.with(|p| p.borrow_mut().real.plan_fft_forward(n))
}

/// The periodic Hann window of `n` points, `0.5 − 0.5·cos(2πi/n)` in `f32`, made once per thread.
pub fn hann(n: usize) -> Rc<[f32]> {
    PLANS.with(|p| {
        p.borrow_mut()
            .hann
            .entry(n)
            .or_insert_with(|| {
                // cos(2πi/n) by rotating a unit vector in f64 (error ~1e-13 after 8192 steps)
                // rather than n calls of `cos`, which are software in WebAssembly and were 1.4 %
                // of a served decode's CPU (every request's fresh instance makes the tables).
                let (step_sin, step_cos) = (2.0 * std::f64::consts::PI / n as f64).sin_cos();
                let (mut c, mut s) = (1.0f64, 0.0f64);
                (0..n)
                    .map(|_| {
                        let v = (0.5 - 0.5 * c) as f32;
                        (c, s) = (c * step_cos - s * step_sin, s * step_cos + c * step_sin);
                        v
                    })
                    .collect()
            })
            .clone()
    })
}

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
        let fft = real_plan(n);
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
        let n = frame.len().min(self.n);
        self.input[..n].copy_from_slice(&frame[..n]);
        self.input[n..].iter_mut().for_each(|v| *v = 0.0);
        self.transform(power);
    }

    fn transform(&mut self, power: &mut [f32]) {
        // Lengths come from the plan itself, so this cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        for (p, c) in power.iter_mut().zip(&self.output[..self.n / 2]) {
            *p = c.re * c.re + c.im * c.im;
        }
    }

    /// Power of the coherent sum of `count` consecutive frames starting at `start` (samples past
    /// the end of `audio` count as silence). The frames are summed straight into the FFT's input.
    pub fn power_of_sum(&mut self, audio: &[f32], start: usize, count: usize, power: &mut [f32]) {
        let n = self.n.min(FRAME);
        self.input.fill(0.0);
        for k in 0..count {
            let s = start + k * FRAME;
            if s >= audio.len() {
                break;
            }
            let e = (s + n).min(audio.len());
            for (a, &v) in self.input.iter_mut().zip(&audio[s..e]) {
                *a += v;
            }
        }
        self.transform(power);
    }
}

/// The power of a few bins of a real `n`-point FFT. The `n` real samples are packed as `n/2`
/// complex ones and transformed with one complex FFT; the usual split into the spectra of the even
/// and odd samples is then done only for the bins asked for. realfft does that split for all
/// `n/2` bins in scalar code, which cost more than the FFT itself in the marker scan (which keeps
/// 216 of 1024 bins): a 60 s decode of noise runs 26 % fewer instructions with this (callgrind).
pub struct BinPower {
    fft: Arc<dyn rustfft::Fft<f32>>,
    /// The packed frame (the FFT's input, used as its scratch) and the spectrum.
    buf: Vec<Complex<f32>>,
    spec: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Runs of consecutive requested bins: (first bin, count, index of its first output), so the
    /// split walks `k` up and `n/2 − k` down through contiguous memory (which vectorises).
    runs: Vec<(usize, usize, usize)>,
    /// The twiddle e^(−2πik/n) of each output.
    twiddles: Vec<Complex<f32>>,
}

impl BinPower {
    /// Plan for `n`-point frames (`n` even) and the given bins (each below `n/2`).
    pub fn new(n: usize, bins: impl IntoIterator<Item = usize>) -> Self {
        Self::with_plan(complex_plan(n / 2), bins)
    }

    /// The same frame size and FFT plan (planning is a good part of a short decode), other bins.
    pub fn sharing(&self, bins: impl IntoIterator<Item = usize>) -> Self {
        Self::with_plan(Arc::clone(&self.fft), bins)
    }

    fn with_plan(fft: Arc<dyn rustfft::Fft<f32>>, bins: impl IntoIterator<Item = usize>) -> Self {
        let m = fft.len();
        // Out of place: in place, rustfft's scalar kernels (the wasm builds) copy the result back
        // from their scratch, a tenth of a served decode's time.
        let scratch = vec![Complex::default(); fft.get_outofplace_scratch_len()];
        let mut out = BinPower {
            fft,
            buf: vec![Complex::default(); m],
            spec: vec![Complex::default(); m],
            scratch,
            runs: Vec::new(),
            twiddles: Vec::new(),
        };
        out.retarget(bins);
        out
    }

    /// Ask for other bins (each below `n/2`) from now on.
    pub fn retarget(&mut self, bins: impl IntoIterator<Item = usize>) {
        let m = self.buf.len();
        let n = 2 * m;
        self.runs.clear();
        self.twiddles.clear();
        for k in bins.into_iter().filter(|&k| k < m) {
            let angle = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
            self.twiddles
                .push(Complex::new(angle.cos() as f32, angle.sin() as f32));
            // Bin 0 pairs with itself (n/2 − 0 ≡ 0): a run of its own.
            match self.runs.last_mut() {
                Some((k0, len, _)) if *k0 > 0 && *k0 + *len == k => *len += 1,
                _ => self.runs.push((k, 1, self.twiddles.len() - 1)),
            }
        }
    }

    /// `|X[k]|²` of `frame` (zero-padded to `n`) for each requested bin, in the order given.
    pub fn power(&mut self, frame: &[f32], out: &mut [f32]) {
        let pairs = frame.chunks_exact(2).len().min(self.buf.len());
        for (z, p) in self.buf.iter_mut().zip(frame.chunks_exact(2)) {
            *z = Complex::new(p[0], p[1]);
        }
        self.buf[pairs..].fill(Complex::default());
        if let (Some(&last), Some(z)) = (
            frame.chunks_exact(2).remainder().first(),
            self.buf.get_mut(pairs),
        ) {
            *z = Complex::new(last, 0.0);
        }
        self.fft
            .process_outofplace_with_scratch(&mut self.buf, &mut self.spec, &mut self.scratch);
        let half_i = Complex::new(0.0f32, -0.5);
        // X[k] from Z[k] and conj(Z[n/2 − k]): the even samples' and the odd samples' spectra.
        let split = |a: Complex<f32>, b: Complex<f32>, w: Complex<f32>| -> f32 {
            let b = b.conj();
            let even = (a + b) * 0.5;
            let odd = (a - b) * half_i;
            let x = even + w * odd;
            x.re * x.re + x.im * x.im
        };
        let m = self.buf.len();
        for &(k0, len, o0) in &self.runs {
            let Some(out) = out.get_mut(o0..o0 + len) else {
                break;
            };
            let w = &self.twiddles[o0..o0 + len];
            if k0 == 0 {
                out[0] = split(self.spec[0], self.spec[0], w[0]);
                continue;
            }
            let up = &self.spec[k0..k0 + len];
            let down = &self.spec[m + 1 - k0 - len..m + 1 - k0];
            for (((o, &a), &b), &w) in out.iter_mut().zip(up).zip(down.iter().rev()).zip(w) {
                *o = split(a, b, w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contiguous runs of bins (the vectorised path) give exactly the bits of bins asked for one
    /// at a time, in any order.
    #[test]
    fn bin_runs_equal_single_bins_bit_for_bit() {
        let n = 2048;
        let mut runs = BinPower::new(n, 0..n / 2);
        let mut single = runs.sharing((0..n / 2).rev());
        let frame: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let (mut a, mut b) = (vec![0f32; n / 2], vec![0f32; n / 2]);
        runs.power(&frame, &mut a);
        single.power(&frame, &mut b);
        b.reverse();
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.to_bits(), y.to_bits(), "bin {k}");
        }
    }

    /// BinPower agrees with the full real FFT on every bin, for seeded random frames.
    #[test]
    fn bin_power_matches_the_full_real_fft() {
        let n = 2048;
        let mut full = Analyzer::with_size(n);
        let mut some = BinPower::new(n, 0..n / 2);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..8 {
            let frame: Vec<f32> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
                })
                .collect();
            let (mut a, mut b) = (vec![0f32; n / 2], vec![0f32; n / 2]);
            full.power(&frame, &mut a);
            some.power(&frame, &mut b);
            let peak = a.iter().cloned().fold(0f32, f32::max);
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!((x - y).abs() <= 1e-5 * peak, "bin {k}: {x} vs {y}");
            }
        }
    }

    /// The window made by rotation is the closed form to float precision.
    #[test]
    fn hann_by_rotation_is_exact_to_f32() {
        for n in [1024usize, 2048, 8192] {
            let w = hann(n);
            for (i, &v) in w.iter().enumerate() {
                let exact = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos();
                assert!(
                    (f64::from(v) - exact).abs() < 1e-7,
                    "n {n} i {i}: {v} vs {exact}"
                );
            }
        }
    }
}

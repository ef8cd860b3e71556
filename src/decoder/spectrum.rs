//! Power spectra of 1024-sample frames (real FFT, no window: every tone sits on a bin centre).
//!
//! FFT plans and window tables ([`hann`]) are made once per thread and shared by every decode on
//! it: planning computes thousands of twiddle factors, which cost about 15 % of a short decode
//! natively, and more as WebAssembly, whose `sin`/`cos` are software (callgrind,
//! docs/benchmarks.md).

use crate::protocol::FRAME;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Bins kept per spectrum (0..512).
pub const BINS: usize = FRAME / 2;

thread_local! {
    static HANN: RefCell<HashMap<usize, Rc<[f32]>>> = RefCell::new(HashMap::new());
}

/// The periodic Hann window of `n` points, `0.5 − 0.5·cos(2πi/n)` in `f32`, made once per thread.
pub fn hann(n: usize) -> Rc<[f32]> {
    HANN.with(|p| {
        p.borrow_mut()
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

// Which FFT computes the spectra. As WebAssembly with simd128 (the Spin component, the library
// component) the decoder's own ([`fft`]): rustfft's simd128 kernels are 4 lanes wide like it, but
// spend a third of their time in a bit-reversed transpose, and realfft untangles bins nobody
// reads. Natively rustfft's AVX kernels (8 lanes, FMA) are faster than 4-lane code; the
// feature `own-fft` uses the own FFT natively too, so the test suite can run it
// (docs/benchmarks.md, "Fifth pass").
#[cfg(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    feature = "own-fft"
))]
mod engine {
    //! The decoder's own FFT ([`fft`]): 4-lane SIMD, spectra left in digit-reversed order.
    use super::{sum_frames, FRAME};
    use crate::decoder::fft::{self, RealFft};
    use std::rc::Rc;

    /// A reusable real FFT (1024 points unless made with [`Analyzer::with_size`]).
    pub struct Analyzer {
        n: usize,
        fft: RealFft,
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

        /// An FFT of `n` points (a power of two, at least 32).
        pub fn with_size(n: usize) -> Self {
            Analyzer {
                n,
                fft: RealFft::new(fft::plan(n)),
            }
        }

        /// Power of `frame` (`n` samples, or zero-padded) into `power` (up to `n/2` values).
        pub fn power(&mut self, frame: &[f32], power: &mut [f32]) {
            self.fft.transform(frame);
            self.read(power);
        }

        fn read(&self, power: &mut [f32]) {
            let len = power.len().min(self.n / 2);
            self.fft.power(&mut power[..len]);
        }

        /// Power of the coherent sum of `count` consecutive frames starting at `start` (samples
        /// past the end of `audio` count as silence), for the bins in `band` alone (clamped to
        /// `power` and to `n/2`); the other values of `power` are left as they are.
        pub fn power_of_sum_band(
            &mut self,
            audio: &[f32],
            start: usize,
            count: usize,
            power: &mut [f32],
            band: std::ops::Range<usize>,
        ) {
            sum_frames(&mut self.fft.input, audio, start, count);
            self.fft.transform_input();
            let hi = band.end.min(power.len()).min(self.n / 2);
            self.fft.power_from(band.start.min(hi), &mut power[..hi]);
        }
    }

    /// The power of a few bins of a real `n`-point FFT: the transform ([`RealFft`]) leaves four
    /// consecutive bins' halves in each chunk, and only the chunks holding bins asked for are split
    /// into real bins (the marker scan keeps 216 of 1024 bins).
    pub struct BinPower {
        fft: RealFft,
        /// The groups of four bins (`4g..4g+4`) that hold a requested bin, ascending.
        groups: Vec<u32>,
        /// Per requested bin, where its power lands in `values`: 4 × its group's index + its lane.
        picks: Vec<u32>,
        /// The power of each group's bins.
        values: Vec<[f32; 4]>,
    }

    impl BinPower {
        /// Plan for `n`-point frames (`n` a power of two, at least 32) and the given bins (each
        /// below `n/2`; others are ignored).
        pub fn new(n: usize, bins: impl IntoIterator<Item = usize>) -> Self {
            Self::with_plan(fft::plan(n), bins)
        }

        /// The same frame size and FFT plan, other bins.
        pub fn sharing(&self, bins: impl IntoIterator<Item = usize>) -> Self {
            Self::with_plan(Rc::clone(self.fft.plan()), bins)
        }

        fn with_plan(plan: Rc<fft::Plan>, bins: impl IntoIterator<Item = usize>) -> Self {
            let mut out = BinPower {
                fft: RealFft::new(plan),
                groups: Vec::new(),
                picks: Vec::new(),
                values: Vec::new(),
            };
            out.retarget(bins);
            out
        }

        /// Ask for other bins (each below `n/2`) from now on.
        pub fn retarget(&mut self, bins: impl IntoIterator<Item = usize>) {
            let m = self.fft.input.len() / 2;
            let bins: Vec<usize> = bins.into_iter().filter(|&k| k < m).collect();
            self.groups.clear();
            self.groups.extend(bins.iter().map(|&k| (k / 4) as u32));
            self.groups.sort_unstable();
            self.groups.dedup();
            self.picks.clear();
            for &k in &bins {
                let at = self.groups.partition_point(|&g| (g as usize) < k / 4);
                self.picks.push((4 * at + k % 4) as u32);
            }
            self.values.resize(self.groups.len(), [0.0; 4]);
        }

        /// `|X[k]|²` of `frame` (zero-padded to `n`) for each requested bin, in the order given.
        pub fn power(&mut self, frame: &[f32], out: &mut [f32]) {
            self.fft.transform(frame);
            self.fft.power_groups(&self.groups, &mut self.values);
            let values = self.values.as_flattened();
            for (o, &p) in out.iter_mut().zip(&self.picks) {
                *o = values[p as usize];
            }
        }
    }
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    feature = "own-fft"
)))]
mod engine {
    //! rustfft and realfft, planned once per thread.
    use super::{sum_frames, FRAME};
    use realfft::{RealFftPlanner, RealToComplex};
    use rustfft::num_complex::Complex;
    use std::cell::RefCell;
    use std::sync::Arc;

    struct Plans {
        complex: rustfft::FftPlanner<f32>,
        real: RealFftPlanner<f32>,
    }

    thread_local! {
        static PLANS: RefCell<Plans> = RefCell::new(Plans {
            complex: rustfft::FftPlanner::new(),
            real: RealFftPlanner::new(),
        });
    }

    /// The forward complex FFT of `n` points, planned once per thread.
    fn complex_plan(n: usize) -> Arc<dyn rustfft::Fft<f32>> {
        PLANS.with(|p| p.borrow_mut().complex.plan_fft_forward(n))
    }

    /// The forward real FFT of `n` points, planned once per thread.
    fn real_plan(n: usize) -> Arc<dyn RealToComplex<f32>> {
        PLANS.with(|p| p.borrow_mut().real.plan_fft_forward(n))
    }

    /// A reusable real FFT (1024 points unless made with [`Analyzer::with_size`]).
    pub struct Analyzer {
        n: usize,
        fft: Arc<dyn RealToComplex<f32>>,
        input: Vec<f32>,
        output: Vec<Complex<f32>>,
        scratch: Vec<Complex<f32>>,
        /// A whole spectrum for [`Analyzer::power_of_sum_band`].
        band: Vec<f32>,
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
                band: Vec::new(),
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
            let _ =
                self.fft
                    .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
            for (p, c) in power.iter_mut().zip(&self.output[..self.n / 2]) {
                *p = c.re * c.re + c.im * c.im;
            }
        }

        /// Power of the coherent sum of `count` consecutive frames starting at `start` (samples
        /// past the end of `audio` count as silence), for the bins in `band` alone (clamped to
        /// `power` and to `n/2`); the other values of `power` are left as they are.
        pub fn power_of_sum_band(
            &mut self,
            audio: &[f32],
            start: usize,
            count: usize,
            power: &mut [f32],
            band: std::ops::Range<usize>,
        ) {
            let mut full = std::mem::take(&mut self.band);
            full.resize(self.n / 2, 0.0);
            sum_frames(&mut self.input, audio, start, count);
            self.transform(&mut full);
            let hi = band.end.min(power.len()).min(self.n / 2);
            let lo = band.start.min(hi);
            power[lo..hi].copy_from_slice(&full[lo..hi]);
            self.band = full;
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

        fn with_plan(
            fft: Arc<dyn rustfft::Fft<f32>>,
            bins: impl IntoIterator<Item = usize>,
        ) -> Self {
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
            self.fft.process_outofplace_with_scratch(
                &mut self.buf,
                &mut self.spec,
                &mut self.scratch,
            );
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
}

pub use engine::{Analyzer, BinPower};

/// The coherent sum of `count` consecutive frames of `audio` starting at `start`, each cut to
/// `input.len()` (and to [`FRAME`]) samples, into `input` (samples past the end of `audio` count
/// as silence).
fn sum_frames(input: &mut [f32], audio: &[f32], start: usize, count: usize) {
    let n = input.len().min(FRAME);
    input.fill(0.0);
    for k in 0..count {
        let s = start + k * FRAME;
        if s >= audio.len() {
            break;
        }
        let e = (s + n).min(audio.len());
        for (a, &v) in input.iter_mut().zip(&audio[s..e]) {
            *a += v;
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

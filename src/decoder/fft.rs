//! A real FFT for power spectra, written for 4-lane SIMD (WebAssembly `simd128`) in plain Rust.
//!
//! The decoder only ever reads the power `|X[k]|²` of chosen bins, so the spectrum may stay in
//! whatever order the transform leaves it, found through a table: no bit-reversal pass.
//!
//! The `n` real samples are packed as `m = n/2` complex ones `z[j] = x[2j] + i·x[2j+1]` and
//! transformed with one complex FFT; bin `k` of the real spectrum is then
//! `X[k] = ½(Z[k] + Z*[m−k]) − ½i·W_n^k·(Z[k] − Z*[m−k])` (`W_n = e^(−2πi/n)`).
//!
//! The complex FFT works on chunks of four complex values (four real lanes, four imaginary):
//! with `m = 4M` and `j = j₁ + M·j₂`, `k = k₂ + 4·k₁` (`j₂, k₂ < 4`),
//! `Z[k₂ + 4k₁] = Σ_{j₁} W_M^{j₁k₁} · W_m^{j₁k₂} · Σ_{j₂} W_4^{j₂k₂} z[j₁ + M·j₂]`.
//! The first pass does the inner 4-point DFTs for four consecutive `j₁` at once (one lane each),
//! twiddles them, and transposes each 4×4 block so that chunk `j₁` holds the four `k₂` in its
//! lanes. The remaining `M`-point DFT over `j₁` is the same for every lane: radix-4 (and one
//! radix-2) decimation-in-frequency passes over whole chunks, every operation four lanes wide. It
//! leaves chunk `k₁` at a digit-reversed slot ([`Plan::slot`]), each chunk holding four
//! consecutive bins, which the split into real bins reads in place.

// Natively without `own-fft` only the tests use it.
#![cfg_attr(
    not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        feature = "own-fft"
    )),
    allow(dead_code)
)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Add, Mul, Sub};
use std::rc::Rc;

use lanes::V4;

/// Four `f32` lanes, as WebAssembly `simd128` vectors where the build has them.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;
    use std::ops::{Add, Mul, Neg, Sub};

    #[derive(Clone, Copy, Debug)]
    pub struct V4(v128);

    impl Default for V4 {
        fn default() -> Self {
            V4::splat(0.0)
        }
    }

    impl V4 {
        #[inline(always)]
        pub fn new(a: [f32; 4]) -> V4 {
            V4(f32x4(a[0], a[1], a[2], a[3]))
        }

        #[inline(always)]
        pub fn splat(x: f32) -> V4 {
            V4(f32x4_splat(x))
        }

        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }

        /// The first four values of `s`.
        #[inline(always)]
        pub fn load(s: &[f32]) -> V4 {
            V4(f32x4(s[0], s[1], s[2], s[3]))
        }

        /// The even and the odd lanes of `a` then `b`.
        #[inline(always)]
        pub fn deinterleave(a: V4, b: V4) -> (V4, V4) {
            (
                V4(i32x4_shuffle::<0, 2, 4, 6>(a.0, b.0)),
                V4(i32x4_shuffle::<1, 3, 5, 7>(a.0, b.0)),
            )
        }

        /// `[p₀, q₃, q₂, q₁]`.
        #[inline(always)]
        pub fn partner(p: V4, q: V4) -> V4 {
            V4(i32x4_shuffle::<0, 7, 6, 5>(p.0, q.0))
        }

        /// The columns of a 4×4 block as rows.
        #[inline(always)]
        pub fn transpose([a, b, c, d]: [V4; 4]) -> [V4; 4] {
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(c.0, d.0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(c.0, d.0);
            [
                V4(i32x4_shuffle::<0, 1, 4, 5>(t0, t2)),
                V4(i32x4_shuffle::<2, 3, 6, 7>(t0, t2)),
                V4(i32x4_shuffle::<0, 1, 4, 5>(t1, t3)),
                V4(i32x4_shuffle::<2, 3, 6, 7>(t1, t3)),
            ]
        }
    }

    impl Add for V4 {
        type Output = V4;
        #[inline(always)]
        fn add(self, o: V4) -> V4 {
            V4(f32x4_add(self.0, o.0))
        }
    }

    impl Sub for V4 {
        type Output = V4;
        #[inline(always)]
        fn sub(self, o: V4) -> V4 {
            V4(f32x4_sub(self.0, o.0))
        }
    }

    impl Mul for V4 {
        type Output = V4;
        #[inline(always)]
        fn mul(self, o: V4) -> V4 {
            V4(f32x4_mul(self.0, o.0))
        }
    }

    impl Neg for V4 {
        type Output = V4;
        #[inline(always)]
        fn neg(self) -> V4 {
            V4(f32x4_neg(self.0))
        }
    }
}

/// Four `f32` lanes, written lane by lane for the compiler to vectorise: the same operations, in
/// the same order, as the `simd128` version.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    use std::ops::{Add, Mul, Neg, Sub};

    #[derive(Clone, Copy, Default, Debug)]
    pub struct V4([f32; 4]);

    impl V4 {
        #[inline(always)]
        pub fn new(a: [f32; 4]) -> V4 {
            V4(a)
        }

        #[inline(always)]
        pub fn splat(x: f32) -> V4 {
            V4([x; 4])
        }

        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }

        /// The first four values of `s`.
        #[inline(always)]
        pub fn load(s: &[f32]) -> V4 {
            V4([s[0], s[1], s[2], s[3]])
        }

        /// The even and the odd lanes of `a` then `b`.
        #[inline(always)]
        pub fn deinterleave(a: V4, b: V4) -> (V4, V4) {
            let (a, b) = (a.0, b.0);
            (V4([a[0], a[2], b[0], b[2]]), V4([a[1], a[3], b[1], b[3]]))
        }

        /// `[p₀, q₃, q₂, q₁]`.
        #[inline(always)]
        pub fn partner(p: V4, q: V4) -> V4 {
            V4([p.0[0], q.0[3], q.0[2], q.0[1]])
        }

        /// The columns of a 4×4 block as rows.
        #[inline(always)]
        pub fn transpose(r: [V4; 4]) -> [V4; 4] {
            let [a, b, c, d] = r.map(|v| v.0);
            [
                V4([a[0], b[0], c[0], d[0]]),
                V4([a[1], b[1], c[1], d[1]]),
                V4([a[2], b[2], c[2], d[2]]),
                V4([a[3], b[3], c[3], d[3]]),
            ]
        }
    }

    impl Add for V4 {
        type Output = V4;
        #[inline(always)]
        fn add(self, o: V4) -> V4 {
            let (a, b) = (self.0, o.0);
            V4([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]])
        }
    }

    impl Sub for V4 {
        type Output = V4;
        #[inline(always)]
        fn sub(self, o: V4) -> V4 {
            let (a, b) = (self.0, o.0);
            V4([a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]])
        }
    }

    impl Mul for V4 {
        type Output = V4;
        #[inline(always)]
        fn mul(self, o: V4) -> V4 {
            let (a, b) = (self.0, o.0);
            V4([a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]])
        }
    }

    impl Neg for V4 {
        type Output = V4;
        #[inline(always)]
        fn neg(self) -> V4 {
            let a = self.0;
            V4([-a[0], -a[1], -a[2], -a[3]])
        }
    }
}

/// Four complex values.
#[derive(Clone, Copy, Default, Debug)]
struct C4 {
    re: V4,
    im: V4,
}

impl Add for C4 {
    type Output = C4;
    #[inline(always)]
    fn add(self, o: C4) -> C4 {
        C4 {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
}

impl Sub for C4 {
    type Output = C4;
    #[inline(always)]
    fn sub(self, o: C4) -> C4 {
        C4 {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }
}

impl Mul for C4 {
    type Output = C4;
    #[inline(always)]
    fn mul(self, w: C4) -> C4 {
        C4 {
            re: self.re * w.re - self.im * w.im,
            im: self.re * w.im + self.im * w.re,
        }
    }
}

impl C4 {
    /// Times `−i`.
    #[inline(always)]
    fn neg_i(self) -> C4 {
        C4 {
            re: self.im,
            im: -self.re,
        }
    }
}

/// One pass of the `M`-point transform over chunks.
struct Stage {
    /// Distance between a butterfly's inputs, in chunks.
    span: usize,
    /// 2 or 4.
    radix: usize,
    /// Per butterfly position `j < span`: `W^j, W^2j, W^3j` of the pass's size (radix 4), or `W^j`
    /// (radix 2), in every lane (a vector load each, rather than a load and a splat).
    twiddles: Vec<[C4; 3]>,
}

/// Everything about a size that does not depend on the data: twiddles and the output order.
pub(crate) struct Plan {
    n: usize,
    /// The first pass's twiddles: per block of four chunks, `W_m^{j₁k₂}` for `k₂` = 1, 2, 3 with
    /// the four `j₁` in the lanes.
    first: Vec<[C4; 3]>,
    stages: Vec<Stage>,
    /// Per group `g` of four bins `4g..4g+4`: the chunks holding `Z[4g..]`, `Z[m − 4g]` (lane 0)
    /// and `Z[m − 4g − 4..]` (lanes 1-3, reversed), as slot indices.
    pairs: Vec<[u32; 3]>,
    /// Per group: `−½i·W_n^k` for its four bins.
    split: Vec<C4>,
}

impl Plan {
    /// A plan for `n` real points (a power of two, at least 32).
    fn new(n: usize) -> Plan {
        assert!(n.is_power_of_two() && n >= 32, "FFT size {n}");
        let m = n / 2;
        let chunks = m / 4;
        // W_n^k for every k < n, by rotating a unit vector in f64 (error ~1e-13 after 8192 steps):
        // software sin/cos as WebAssembly would cost more than a transform.
        let (s, c) = (-2.0 * std::f64::consts::PI / n as f64).sin_cos();
        let mut w = Vec::with_capacity(n);
        let (mut re, mut im) = (1.0f64, 0.0f64);
        for _ in 0..n {
            w.push([re, im]);
            (re, im) = (re * c - im * s, re * s + im * c);
        }
        // W_size^e.
        let tw = |size: usize, e: usize| -> [f64; 2] { w[(e * (n / size)) % n] };
        let lanes = |f: &dyn Fn(usize) -> [f64; 2]| C4 {
            re: V4::new(std::array::from_fn(|l| f(l)[0] as f32)),
            im: V4::new(std::array::from_fn(|l| f(l)[1] as f32)),
        };
        let first = (0..chunks / 4)
            .map(|b| std::array::from_fn(|k| lanes(&|l| tw(m, (4 * b + l) * (k + 1)))))
            .collect();
        let mut stages = Vec::new();
        let mut size = chunks;
        while size > 1 {
            let radix = if size.trailing_zeros() % 2 == 1 { 2 } else { 4 };
            let span = size / radix;
            let twiddles = (0..span)
                .map(|j| std::array::from_fn(|t| lanes(&|_| tw(size, j * (t + 1)))))
                .collect();
            stages.push(Stage {
                span,
                radix,
                twiddles,
            });
            size = span;
        }
        let mut plan = Plan {
            n,
            first,
            stages,
            pairs: Vec::new(),
            split: Vec::new(),
        };
        let slot = |k: usize| plan.slot(k) as u32;
        let pairs = (0..chunks)
            .map(|g| [slot(g), slot((chunks - g) % chunks), slot(chunks - 1 - g)])
            .collect();
        let half_i = |v: [f64; 2]| [0.5 * v[1], -0.5 * v[0]];
        let split = (0..chunks)
            .map(|g| lanes(&|l| half_i(tw(n, 4 * g + l))))
            .collect();
        plan.pairs = pairs;
        plan.split = split;
        plan
    }

    /// The slot of the chunk holding `Z[4k..4k+4]` after the transform: decimation in frequency
    /// leaves the outputs of a pass's butterfly `t` in its `t`-th part, which holds the
    /// frequencies `≡ t` modulo the radix.
    fn slot(&self, k: usize) -> usize {
        let (mut k, mut size, mut at) = (k, self.n / 8, 0);
        for s in &self.stages {
            size /= s.radix;
            at += (k % s.radix) * size;
            k /= s.radix;
        }
        at
    }
}

thread_local! {
    static PLANS: RefCell<HashMap<usize, Rc<Plan>>> = RefCell::new(HashMap::new());
}

/// The plan for `n` real points, made once per thread.
pub(crate) fn plan(n: usize) -> Rc<Plan> {
    PLANS.with(|p| {
        p.borrow_mut()
            .entry(n)
            .or_insert_with(|| Rc::new(Plan::new(n)))
            .clone()
    })
}

/// A real FFT of `n` points with its buffers.
pub(crate) struct RealFft {
    plan: Rc<Plan>,
    /// A frame built in place ([`RealFft::transform_input`]), or a short one zero-padded.
    pub input: Vec<f32>,
    chunks: Vec<C4>,
}

impl RealFft {
    pub fn new(plan: Rc<Plan>) -> Self {
        let n = plan.n;
        RealFft {
            plan,
            input: vec![0.0; n],
            chunks: vec![C4::default(); n / 8],
        }
    }

    pub fn plan(&self) -> &Rc<Plan> {
        &self.plan
    }

    /// Transform `frame` (`n` samples: a shorter one is zero-padded, a longer one cut); read the
    /// result with [`RealFft::power`] or [`RealFft::power_groups`].
    pub fn transform(&mut self, frame: &[f32]) {
        let n = self.input.len();
        if frame.len() >= n {
            run(&self.plan, &frame[..n], &mut self.chunks);
        } else {
            self.input[..frame.len()].copy_from_slice(frame);
            self.input[frame.len()..].fill(0.0);
            self.transform_input();
        }
    }

    /// Transform [`RealFft::input`].
    pub fn transform_input(&mut self) {
        run(&self.plan, &self.input, &mut self.chunks);
    }

    /// The power of the four bins of group `g`.
    #[inline(always)]
    fn group(&self, g: usize) -> [f32; 4] {
        let plan = &*self.plan;
        let [a, p, q] = plan.pairs[g];
        let a = self.chunks[a as usize];
        let (p, q) = (self.chunks[p as usize], self.chunks[q as usize]);
        // conj(Z[m − k]) for k = 4g + l.
        let b = C4 {
            re: V4::partner(p.re, q.re),
            im: -V4::partner(p.im, q.im),
        };
        let half = V4::splat(0.5);
        let even = a + b;
        let x = C4 {
            re: even.re * half,
            im: even.im * half,
        } + (a - b) * plan.split[g];
        (x.re * x.re + x.im * x.im).to_array()
    }

    /// `|X[k]|²` of the last transform for `k < out.len()` (at most `n/2`).
    pub fn power(&self, out: &mut [f32]) {
        let full = out.len() / 4;
        let mut it = out.chunks_exact_mut(4);
        for (g, o) in (&mut it).enumerate() {
            o.copy_from_slice(&self.group(g));
        }
        let rest = it.into_remainder();
        if !rest.is_empty() {
            let g = self.group(full);
            let len = rest.len();
            rest.copy_from_slice(&g[..len]);
        }
    }

    /// `|X[k]|²` of the last transform into `out[k]` for `lo <= k < out.len()` (at most `n/2`).
    pub fn power_from(&self, lo: usize, out: &mut [f32]) {
        let mut k = lo;
        while k < out.len() {
            let g = k / 4;
            let end = (4 * g + 4).min(out.len());
            out[k..end].copy_from_slice(&self.group(g)[k - 4 * g..end - 4 * g]);
            k = end;
        }
    }

    /// The power of the groups of bins `4g..4g+4` for each `g` given, into `out`.
    pub fn power_groups(&self, groups: &[u32], out: &mut [[f32; 4]]) {
        for (o, &g) in out.iter_mut().zip(groups) {
            *o = self.group(g as usize);
        }
    }
}

/// The transform of `x` (`n` samples) into `chunks` (see the module's notes).
fn run(plan: &Plan, x: &[f32], chunks: &mut [C4]) {
    let rows = 2 * chunks.len();
    let (x0, rest) = x.split_at(rows);
    let (x1, rest) = rest.split_at(rows);
    let (x2, x3) = rest.split_at(rows);
    // Eight values, (re, im) interleaved: the first pass's sums and differences are taken
    // before the lanes are sorted into real and imaginary parts (four shuffles fewer, and
    // whole-vector loads).
    let load = |s: &[f32]| (V4::load(&s[..4]), V4::load(&s[4..]));
    let add = |a: (V4, V4), b: (V4, V4)| (a.0 + b.0, a.1 + b.1);
    let sub = |a: (V4, V4), b: (V4, V4)| (a.0 - b.0, a.1 - b.1);
    let split = |v: (V4, V4)| {
        let (re, im) = V4::deinterleave(v.0, v.1);
        C4 { re, im }
    };
    for (((((out, r0), r1), r2), r3), w) in chunks
        .chunks_exact_mut(4)
        .zip(x0.chunks_exact(8))
        .zip(x1.chunks_exact(8))
        .zip(x2.chunks_exact(8))
        .zip(x3.chunks_exact(8))
        .zip(&plan.first)
    {
        let (r0, r1, r2, r3) = (load(r0), load(r1), load(r2), load(r3));
        let (a, b) = (split(add(r0, r2)), split(sub(r0, r2)));
        let (c, d) = (split(add(r1, r3)), split(sub(r1, r3)).neg_i());
        let d0 = a + c;
        let d1 = (b + d) * w[0];
        let d2 = (a - c) * w[1];
        let d3 = (b - d) * w[2];
        let re = V4::transpose([d0.re, d1.re, d2.re, d3.re]);
        let im = V4::transpose([d0.im, d1.im, d2.im, d3.im]);
        for ((o, re), im) in out.iter_mut().zip(re).zip(im) {
            *o = C4 { re, im };
        }
    }
    for s in &plan.stages {
        match (s.radix, s.span) {
            (4, 1) => {
                for g in chunks.chunks_exact_mut(4) {
                    let [y0, y1, y2, y3] = butterfly4(g[0], g[1], g[2], g[3]);
                    g[0] = y0;
                    g[1] = y1;
                    g[2] = y2;
                    g[3] = y3;
                }
            }
            (4, q) => {
                for g in chunks.chunks_exact_mut(4 * q) {
                    let (a, rest) = g.split_at_mut(q);
                    let (b, rest) = rest.split_at_mut(q);
                    let (c, d) = rest.split_at_mut(q);
                    for ((((a, b), c), d), w) in a
                        .iter_mut()
                        .zip(b.iter_mut())
                        .zip(c.iter_mut())
                        .zip(d.iter_mut())
                        .zip(&s.twiddles)
                    {
                        let [y0, y1, y2, y3] = butterfly4(*a, *b, *c, *d);
                        *a = y0;
                        *b = y1 * w[0];
                        *c = y2 * w[1];
                        *d = y3 * w[2];
                    }
                }
            }
            (_, h) => {
                for g in chunks.chunks_exact_mut(2 * h) {
                    let (a, b) = g.split_at_mut(h);
                    for ((a, b), w) in a.iter_mut().zip(b.iter_mut()).zip(&s.twiddles) {
                        let (x, y) = (*a, *b);
                        *a = x + y;
                        *b = (x - y) * w[0];
                    }
                }
            }
        }
    }
}

/// The four outputs of a radix-4 decimation-in-frequency butterfly, before twiddles.
#[inline(always)]
fn butterfly4(a0: C4, a1: C4, a2: C4, a3: C4) -> [C4; 4] {
    let (t0, t1) = (a0 + a2, a0 - a2);
    let (t2, t3) = (a1 + a3, (a1 - a3).neg_i());
    [t0 + t2, t1 + t3, t0 - t2, t1 - t3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::RealFftPlanner;

    fn frame(n: usize, seed: &mut u64) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Every bin's power agrees with realfft's for seeded random frames, at every size from 32 to
    /// 16384 points (both parities of the pass count).
    #[test]
    fn power_matches_realfft() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut planner = RealFftPlanner::<f32>::new();
        for bits in 5..=14 {
            let n = 1usize << bits;
            let r2c = planner.plan_fft_forward(n);
            let mut ours = RealFft::new(plan(n));
            for _ in 0..4 {
                let x = frame(n, &mut seed);
                let mut input = x.clone();
                let mut spec = r2c.make_output_vec();
                r2c.process(&mut input, &mut spec).expect("sizes");
                let want: Vec<f32> = spec[..n / 2].iter().map(|c| c.norm_sqr()).collect();
                ours.transform(&x);
                let mut got = vec![0f32; n / 2];
                ours.power(&mut got);
                let peak = want.iter().cloned().fold(0f32, f32::max);
                for (k, (a, b)) in want.iter().zip(&got).enumerate() {
                    assert!((a - b).abs() <= 2e-6 * peak, "n {n} bin {k}: {a} vs {b}");
                }
                // Groups read on their own give the same bits.
                let groups: Vec<u32> = (0..n as u32 / 8).rev().collect();
                let mut by_group = vec![[0f32; 4]; groups.len()];
                ours.power_groups(&groups, &mut by_group);
                for (&g, p) in groups.iter().zip(&by_group) {
                    assert_eq!(&got[4 * g as usize..4 * g as usize + 4], p);
                }
            }
        }
    }

    /// Partial outputs (fewer bins than `n/2`, not a multiple of four) are the leading bins, and a
    /// band from any bin is the same bins.
    #[test]
    fn partial_power_is_the_leading_bins() {
        let n = 1024;
        let mut ours = RealFft::new(plan(n));
        ours.transform(&frame(n, &mut 7));
        let mut all = vec![0f32; n / 2];
        ours.power(&mut all);
        let mut some = vec![0f32; 101];
        ours.power(&mut some);
        assert_eq!(&all[..101], &some[..]);
        // A band: only its bins written.
        let mut band = vec![-1f32; 101];
        ours.power_from(37, &mut band);
        assert!(band[..37].iter().all(|&v| v == -1.0));
        assert_eq!(&all[37..101], &band[37..]);
    }
}

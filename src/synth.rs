//! Waveform synthesis at 48 kHz, bit-exact with ggwave (docs/protocol.md §7): each tone restarts its
//! sine at every 1024-sample frame (phase-continuous, since every tone has an integer number of
//! cycles per frame), each symbol gets a trapezoidal envelope, tones are summed in float32 in
//! ascending bin order and divided by the number of tones.

use crate::frame::{self, Marker, Mode};
use crate::protocol::{Protocol, FRAME, MARKER_FRAMES, SAMPLE_RATE};
use std::collections::HashMap;

/// Sine tables for one protocol, one frame of samples per relative bin, computed on first use
/// (a message uses a fraction of the 96 bins; each table costs 1024 double-precision `sin`s).
pub struct ToneBank {
    freq_start: usize,
    bytes_per_tx: usize,
    tables: Vec<Option<Box<[f32; FRAME]>>>,
}

impl ToneBank {
    /// An empty bank for a protocol's bins (markers included).
    pub fn new(p: &Protocol) -> Self {
        let n_bins = (32 * p.bytes_per_tx).max(32);
        ToneBank {
            freq_start: p.freq_start,
            bytes_per_tx: p.bytes_per_tx,
            tables: vec![None; n_bins],
        }
    }

    /// Relative bin `r`'s cycles per 1024-sample frame and its starting phase, as ggwave
    /// computes them.
    fn tone(&self, r: usize) -> (f64, f64) {
        let hz = 46.875f32;
        let k = r / 2;
        let base = hz * self.freq_start as f32 + 93.75f32 * k as f32;
        let freq = if r % 2 == 1 {
            base as f64 + hz as f64
        } else {
            base as f64
        };
        let cycles = freq * (1.0 / 46.875f64);
        let phase = std::f64::consts::PI * k as f64 / (8 * self.bytes_per_tx) as f64;
        (cycles, phase)
    }

    fn compute(&self, r: usize) -> Box<[f32; FRAME]> {
        let inv_frame = 1.0f32 / FRAME as f32;
        let (cycles, phase) = self.tone(r);
        // ggwave's expression for sample n, evaluated in double precision and stored as float.
        let arg = |n: usize| {
            let x = (n as f32 * inv_frame) as f64;
            (2.0 * std::f64::consts::PI * x) * cycles + phase
        };
        // Fast path: a rotation re-anchored on `arg` every ANCHOR samples stays within ~1e-13 of
        // `arg(n).sin()`. Its float rounding is used only when the double value is at least
        // GUARD away from every rounding boundary of float, where an error that small cannot
        // change the stored bits; otherwise (about 1 sample in 10^4) the exact `sin` decides.
        // Bit-exact by construction, ~20x fewer `sin` calls.
        const ANCHOR: usize = 64;
        const LANES: usize = FRAME / ANCHOR;
        const GUARD: f64 = 1e-11;
        let step = 2.0 * std::f64::consts::PI * cycles / FRAME as f64;
        let (ws, wc) = step.sin_cos();
        // The LANES segments of ANCHOR samples rotate independently, side by side (vectorises).
        // Their anchors are the first one rotated by ANCHOR steps at a time: 16 products instead
        // of 16 `sin_cos` (software functions in WebAssembly), each off by a few ulps of its
        // argument, far inside GUARD.
        let (wa_s, wa_c) = (step * ANCHOR as f64).sin_cos();
        let mut s = [0f64; LANES];
        let mut c = [0f64; LANES];
        (s[0], c[0]) = arg(0).sin_cos();
        for q in 1..LANES {
            (s[q], c[q]) = (
                s[q - 1] * wa_c + c[q - 1] * wa_s,
                c[q - 1] * wa_c - s[q - 1] * wa_s,
            );
        }
        let mut lo = [0f32; FRAME]; // [j][q]: sample q·ANCHOR + j
        let mut hi = [0f32; FRAME];
        for j in 0..ANCHOR {
            for q in 0..LANES {
                // Rounding is monotone: if both ends of [s - GUARD, s + GUARD] round to the same
                // float, so does every value in between, the exact sine included.
                lo[j * LANES + q] = (s[q] - GUARD) as f32;
                hi[j * LANES + q] = (s[q] + GUARD) as f32;
                (s[q], c[q]) = (s[q] * wc + c[q] * ws, c[q] * wc - s[q] * ws);
            }
        }
        let mut t = Box::new([0f32; FRAME]);
        for (n, v) in t.iter_mut().enumerate() {
            let i = (n % ANCHOR) * LANES + n / ANCHOR;
            *v = if lo[i] == hi[i] {
                lo[i]
            } else {
                arg(n).sin() as f32
            };
        }
        t
    }

    /// Make sure the tables of `tones` exist.
    fn prepare(&mut self, tones: &[usize]) {
        for &r in tones {
            if self.tables.get(r).is_some_and(|t| t.is_none()) {
                let t = self.compute(r);
                self.tables[r] = Some(t);
            }
        }
    }

    fn table(&self, r: usize) -> &[f32; FRAME] {
        const SILENT: [f32; FRAME] = [0.0; FRAME];
        self.tables
            .get(r)
            .and_then(|t| t.as_deref())
            .unwrap_or(&SILENT)
    }
}

/// Append one symbol of `frames` frames with the given tones (relative bins, ascending).
pub fn push_symbol(
    out: &mut Vec<f32>,
    bank: &mut ToneBank,
    tones: &[usize],
    frames: usize,
    volume: f32,
) {
    bank.prepare(tones);
    let bank = &*bank;
    let m = FRAME * frames;
    let ds = 0.15f32 * m as f32;
    let inv_ds = 1.0f32 / ds;
    let n_begin = (0.15f32 * m as f32) as usize;
    let n_end = ((1.0f32 - 0.15f32) * m as f32) as usize;
    let scale = 1.0f32 / tones.len().max(1) as f32;
    // `volume · table` per tone, the first product of ggwave's per-sample expression.
    let scaled: Vec<[f32; FRAME]> = tones
        .iter()
        .map(|&t| bank.table(t).map(|v| volume * v))
        .collect();
    // The flat region's samples depend only on the position in the frame (same tones, same
    // summation order), so one frame of them serves every frame of the symbol.
    let mut flat = [0f32; FRAME];
    for t in &scaled {
        for (f, &v) in flat.iter_mut().zip(t) {
            *f += v;
        }
    }
    flat.iter_mut().for_each(|f| *f *= scale);
    // Ramps: tone by tone over all samples, which keeps each sample's order of operations (and so
    // its bits) while letting the compiler vectorise across samples.
    let ramp = |range: std::ops::Range<usize>, gain: &dyn Fn(usize) -> f32, out: &mut Vec<f32>| {
        let g: Vec<f32> = range.clone().map(gain).collect();
        let mut acc = vec![0f32; g.len()];
        for t in &scaled {
            for (k, n, len) in frame_pieces(range.clone()) {
                let i = k - range.start;
                let (a, gs) = (&mut acc[i..i + len], &g[i..i + len]);
                for ((a, &g), &v) in a.iter_mut().zip(gs).zip(&t[n..n + len]) {
                    *a += v * g;
                }
            }
        }
        out.extend(acc.iter().map(|a| a * scale));
    };
    out.reserve(m);
    let up_end = n_begin.min(m);
    let down_start = (n_end + 1).clamp(up_end, m);
    ramp(0..up_end, &|k| k as f32 * inv_ds, out);
    for (_, n, len) in frame_pieces(up_end..down_start) {
        out.extend_from_slice(&flat[n..n + len]);
    }
    ramp(down_start..m, &|k| (m - k) as f32 * inv_ds, out);
}

/// `range` (sample positions in a symbol) cut at frame boundaries: `(start, offset in its frame,
/// length)` per piece, so that each piece is one contiguous slice of a frame-long table.
fn frame_pieces(range: std::ops::Range<usize>) -> impl Iterator<Item = (usize, usize, usize)> {
    let mut k = range.start;
    std::iter::from_fn(move || {
        (k < range.end).then(|| {
            let n = k % FRAME;
            let len = (FRAME - n).min(range.end - k);
            let piece = (k, n, len);
            k += len;
            piece
        })
    })
}

/// One transmission's symbols in order, markers included: (tones, frames per symbol), and the
/// 48 kHz samples they span.
fn transmission(p: &Protocol, stream: &[u8], mode: Mode) -> (Vec<(Vec<usize>, usize)>, usize) {
    let mut symbols: Vec<(Vec<usize>, usize)> = frame::symbols(p, stream)
        .into_iter()
        .map(|s| (s, p.frames_per_tx))
        .collect();
    if mode == Mode::Variable {
        symbols.insert(
            0,
            (frame::marker_bins(Marker::Start).to_vec(), MARKER_FRAMES),
        );
        symbols.push((frame::marker_bins(Marker::End).to_vec(), MARKER_FRAMES));
    }
    let samples = FRAME * symbols.iter().map(|(_, frames)| frames).sum::<usize>();
    (symbols, samples)
}

/// Append the float32 samples at 48 kHz of one transmission of an already built stream to `out`.
pub fn synthesize(out: &mut Vec<f32>, p: &Protocol, stream: &[u8], mode: Mode, volume: u8) {
    let mut bank = ToneBank::new(p);
    let v = (volume as f64 / 100.0) as f32;
    let (symbols, samples) = transmission(p, stream, mode);
    out.reserve(samples);
    for (tones, frames) in &symbols {
        push_symbol(out, &mut bank, tones, *frames, v);
    }
}

/// The same waveform sampled directly at another rate, for output rates whose samples line up
/// with every tone's cycle after a short period (44.1 kHz: 4704 samples, 5 cycles of the 46.875 Hz
/// bin spacing; 8, 16, 22.05, 32 and 96 kHz too): each tone is a table of one period, each symbol
/// the sum of its tones' tables under the trapezoidal envelope evaluated at the sample's exact
/// position on the 48 kHz timeline. Tones are continuous sinusoids (a whole number of cycles per
/// frame), so this is the waveform the 48 kHz samples describe, without a resampler's filter:
/// a 140-byte encode at 44.1 kHz spent three quarters of its time resampling (docs/benchmarks.md).
pub struct Direct {
    rate: u64,
    period: usize,
    /// Samples written so far at `rate`.
    pub out: Vec<f32>,
    /// Where the 48 kHz timeline has got to.
    at_48k: u64,
    /// One period per (protocol band, bytes per symbol, relative bin).
    tables: HashMap<(usize, usize, usize), Box<[f32]>>,
}

/// The longest tone period [`Direct`] keeps tables for; rates with longer ones are resampled.
const MAX_DIRECT_PERIOD: usize = 8192;

impl Direct {
    /// A synthesizer at `rate` Hz, if every tone repeats within [`MAX_DIRECT_PERIOD`] samples
    /// there. Tone `c` (cycles per 1024 samples at 48 kHz) at sample `j` has phase
    /// `2π·c·j·375/(8·rate)`: all tones repeat after `8·rate / gcd(8·rate, 375)` samples.
    pub fn new(rate: u32) -> Option<Self> {
        fn gcd(a: u64, b: u64) -> u64 {
            if b == 0 {
                a
            } else {
                gcd(b, a % b)
            }
        }
        let r8 = 8 * rate as u64;
        let period = (r8 / gcd(r8, 375)) as usize;
        (rate > 0 && period <= MAX_DIRECT_PERIOD).then(|| Direct {
            rate: rate as u64,
            period,
            out: Vec::new(),
            at_48k: 0,
            tables: HashMap::new(),
        })
    }

    /// Reserve room for `samples_48k` samples of the 48 kHz timeline.
    pub fn reserve(&mut self, samples_48k: usize) {
        let n = (samples_48k as u64 * self.rate).div_ceil(SAMPLE_RATE as u64);
        self.out.reserve(n as usize);
    }

    /// The first output sample at or after 48 kHz sample `at`.
    fn first_at(&self, at: u64) -> usize {
        (at * self.rate).div_ceil(SAMPLE_RATE as u64) as usize
    }

    /// `samples_48k` samples of silence on the 48 kHz timeline.
    pub fn silence(&mut self, samples_48k: usize) {
        self.at_48k += samples_48k as u64;
        let end = self.first_at(self.at_48k);
        self.out.resize(end, 0.0);
    }

    /// Make sure relative bin `r` of `bank`'s protocol has its table.
    fn prepare(&mut self, bank: &ToneBank, r: usize) {
        let (period, rate) = (self.period, self.rate as f64);
        self.tables
            .entry((bank.freq_start, bank.bytes_per_tx, r))
            .or_insert_with(|| {
                let (cycles, phase) = bank.tone(r);
                let step = 2.0 * std::f64::consts::PI * cycles * SAMPLE_RATE as f64
                    / (FRAME as f64 * rate);
                // Unit vectors rotated by `LANES·step`: lane `q` makes the samples `j ≡ q (mod
                // LANES)`, so each step stores LANES neighbouring samples and the lanes vectorise
                // (one serial rotation was most of a 44.1 kHz encode). The lanes' starting points
                // are rotations of the exact phase by `step` (`sin`/`cos` are software in
                // WebAssembly). Within ~1e-13 of `sin` after the period's 294 steps at 44.1 kHz.
                const LANES: usize = 16;
                let rows = period.div_ceil(LANES);
                let (ws1, wc1) = step.sin_cos();
                let (ws, wc) = (step * LANES as f64).sin_cos();
                let mut s = [0f64; LANES];
                let mut c = [0f64; LANES];
                (s[0], c[0]) = phase.sin_cos();
                for q in 1..LANES {
                    (s[q], c[q]) = (
                        s[q - 1] * wc1 + c[q - 1] * ws1,
                        c[q - 1] * wc1 - s[q - 1] * ws1,
                    );
                }
                let mut table = vec![0f32; LANES * rows];
                for row in table.chunks_exact_mut(LANES) {
                    for q in 0..LANES {
                        row[q] = s[q] as f32;
                        (s[q], c[q]) = (s[q] * wc + c[q] * ws, c[q] * wc - s[q] * ws);
                    }
                }
                table.truncate(period);
                table.into_boxed_slice()
            });
    }

    /// One symbol of `frames` frames with the given tones (relative bins of `bank`'s protocol).
    pub fn symbol(&mut self, bank: &ToneBank, tones: &[usize], frames: usize, volume: f32) {
        let m = (FRAME * frames) as u64;
        let (from, to) = (self.first_at(self.at_48k), self.first_at(self.at_48k + m));
        for &r in tones {
            self.prepare(bank, r);
        }
        // Output samples (from `from`) before which the envelope still rises, and from which it
        // falls; between them it is 1.
        let ds = 0.15 * m as f64;
        let rise = self.first_at(self.at_48k + ds.ceil() as u64) - from;
        let fall = self.first_at(self.at_48k + (m as f64 - ds).floor() as u64) - from;
        let (tables, period) = (&self.tables, self.period);
        self.out.resize(to.max(self.out.len()), 0.0);
        let out = &mut self.out[from..to];
        for &r in tones {
            if let Some(table) = tables.get(&(bank.freq_start, bank.bytes_per_tx, r)) {
                // Contiguous pieces of the table, so the loop vectorises.
                let mut j = 0;
                while j < out.len() {
                    let at = (from + j) % period;
                    let len = (period - at).min(out.len() - j);
                    for (v, &t) in out[j..j + len].iter_mut().zip(&table[at..at + len]) {
                        *v += volume * t;
                    }
                    j += len;
                }
            }
        }
        // The envelope: ggwave's trapezoid (15 % of the symbol up, 15 % down) at each sample's
        // position on the 48 kHz timeline, and the division by the number of tones.
        let scale = 1.0 / tones.len().max(1) as f32;
        // Sample `j`'s position in the symbol on the 48 kHz timeline: k0 + j·dk.
        let dk = SAMPLE_RATE as f64 / self.rate as f64;
        let k0 = from as f64 * dk - self.at_48k as f64;
        let inv_ds = 1.0 / ds;
        let n = out.len();
        let (rise, fall) = (rise.min(n), fall.clamp(rise.min(n), n));
        // A branch rather than `f64::min`, a call of libm's `fmin` in WebAssembly (its NaN rule
        // differs from the instruction's); `clamp` is branches already.
        let gain = |j: usize| {
            let k = k0 + j as f64 * dk;
            let (up, down) = (k * inv_ds, (m as f64 - k) * inv_ds);
            (if up < down { up } else { down }).clamp(0.0, 1.0)
        };
        for (j, v) in out[..rise].iter_mut().enumerate() {
            *v = (*v as f64 * gain(j)) as f32 * scale;
        }
        out[rise..fall].iter_mut().for_each(|v| *v *= scale);
        for (j, v) in out[fall..].iter_mut().enumerate() {
            *v = (*v as f64 * gain(fall + j)) as f32 * scale;
        }
        self.at_48k += m;
    }
}

/// [`synthesize`] sampled directly at the rate of `out` (see [`Direct`]).
pub fn synthesize_direct(out: &mut Direct, p: &Protocol, stream: &[u8], mode: Mode, volume: u8) {
    let bank = ToneBank::new(p);
    let v = (volume as f64 / 100.0) as f32;
    let (symbols, samples) = transmission(p, stream, mode);
    out.reserve(samples);
    for (tones, frames) in &symbols {
        out.symbol(&bank, tones, *frames, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PROTOCOLS;

    /// Sampled directly at 48 kHz, the waveform is ggwave's 48 kHz one (to float rounding), for
    /// every protocol: the same tones, phases and envelope on the same timeline (the envelope is
    /// evaluated as a continuous trapezoid, ggwave steps it by sample: at most 0.2 % of full scale
    /// apart, measured 0.17 %).
    #[test]
    fn direct_synthesis_at_48_khz_is_the_48_khz_waveform() {
        for p in &PROTOCOLS {
            let stream = frame::build_stream(b"direct", Mode::Variable, false);
            let mut exact = Vec::new();
            synthesize(&mut exact, p, &stream, Mode::Variable, 50);
            let mut direct = Direct::new(SAMPLE_RATE).expect("48 kHz has a short period");
            synthesize_direct(&mut direct, p, &stream, Mode::Variable, 50);
            assert_eq!(direct.out.len(), exact.len(), "protocol {}", p.id);
            let worst = exact
                .iter()
                .zip(&direct.out)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-3, "protocol {}: {worst}", p.id);
        }
    }

    #[test]
    fn direct_synthesis_periods() {
        let period = |r| Direct::new(r).map(|d| d.period);
        assert_eq!(period(44_100), Some(4704));
        assert_eq!(period(48_000), Some(1024));
        assert_eq!(period(16_000), Some(1024));
        assert_eq!(period(22_050), Some(2352));
        assert_eq!(period(96_000), Some(2048));
        assert_eq!(period(47_999), None);
    }

    /// The rotation with its exactness guard must store exactly the bits of ggwave's direct
    /// expression, for every bin of every protocol.
    #[test]
    fn tone_tables_equal_the_direct_sine_bit_for_bit() {
        let inv_frame = 1.0f32 / FRAME as f32;
        for p in &PROTOCOLS {
            let bank = ToneBank::new(p);
            for r in 0..bank.tables.len() {
                let table = bank.compute(r);
                let hz = 46.875f32;
                let k = r / 2;
                let base = hz * p.freq_start as f32 + 93.75f32 * k as f32;
                let freq = base as f64 + if r % 2 == 1 { hz as f64 } else { 0.0 };
                let cycles = freq * (1.0 / 46.875f64);
                let phase = std::f64::consts::PI * k as f64 / (8 * p.bytes_per_tx) as f64;
                for (n, &v) in table.iter().enumerate() {
                    let x = (n as f32 * inv_frame) as f64;
                    let direct = ((2.0 * std::f64::consts::PI * x) * cycles + phase).sin() as f32;
                    assert_eq!(
                        v.to_bits(),
                        direct.to_bits(),
                        "protocol {} bin {r} sample {n}",
                        p.id
                    );
                }
            }
        }
    }
}

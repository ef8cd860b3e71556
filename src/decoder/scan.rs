//! The marker scan: cheap spectra of consecutive frames and a soft start/end marker score.
//!
//! The scan uses 2048-sample frames (hop 2048): at that resolution the two bins of a marker pair
//! are 2 bins apart, so a tone pushed half a 1024-bin off its centre by 1 % clock drift still
//! lands clearly in its own half of the pair.
//!
//! A start marker sounds, for each of its 16 bit pairs `(fs+2i, fs+2i+1)`, the lower bin for even
//! `i` and the upper bin for odd `i`; the end marker the opposite. For a window of `w` frames the
//! score is `Σ_i (Pc_i − Pw_i)/(Pc_i + Pw_i)` (Pc: summed power of the bin the start marker uses,
//! Pw: of the other), in −16..16: ≈ +16 on a clean start marker, ≈ −16 on an end marker, and
//! ≈ 0 ± 1 on noise, silence or data. Summing powers over frames (not amplitudes) keeps the score
//! valid when the tones are off their bin centres because of clock drift; the drift itself is
//! handled by evaluating the bins at `round(b·scale)` for a grid of scales.

use super::spectrum::BinPower;
use crate::protocol::FRAME;

/// Samples per scan frame (and hop).
pub const SCAN: usize = 2 * FRAME;
/// Scan bins per modem bin.
const K: usize = SCAN / FRAME;
/// Scan-bin ranges kept (half-open): the marker bands 24..56 and 40..72 (with room for ±1.5 %
/// drift), and the ultrasound band 320..352, in 2048-point bins.
const RANGES: [(usize, usize); 2] = [(K * 20, K * 80), (K * 312, K * 360)];

/// The power of the bins in [`RANGES`] of the frames `audio[k·2048 .. (k+1)·2048]`, computed
/// when first asked for and kept, so that the full pass reuses the first pass's frames.
pub struct Spectra<'a> {
    audio: &'a [f32],
    /// Whole frames in the audio.
    pub frames: usize,
    power: Vec<f32>,
    have: Vec<bool>,
    bins: BinPower,
}

impl<'a> Spectra<'a> {
    /// Nothing computed yet; `plan` is any 2048-point [`BinPower`] (its FFT plan is shared).
    pub fn new(audio: &'a [f32], plan: &BinPower) -> Self {
        let frames = audio.len() / SCAN;
        Spectra {
            audio,
            frames,
            power: vec![0f32; frames * SLOTS],
            have: vec![false; frames],
            bins: plan.sharing(RANGES.iter().flat_map(|&(lo, hi)| lo..hi)),
        }
    }

    /// Compute the given frames (those not computed yet; frames past the end are ignored).
    fn compute(&mut self, frames: impl IntoIterator<Item = usize>) {
        for k in frames {
            if k < self.frames && !self.have[k] {
                let out = &mut self.power[k * SLOTS..(k + 1) * SLOTS];
                self.bins.power(&self.audio[k * SCAN..(k + 1) * SCAN], out);
                self.have[k] = true;
            }
        }
    }

    fn get(&self, k: usize) -> Option<&[f32]> {
        (k < self.frames && self.have[k]).then(|| &self.power[k * SLOTS..(k + 1) * SLOTS])
    }
}

/// Prefix sums (over frames) of the power of the bins in [`RANGES`], frame-major, so that a
/// window's sums are one row minus another.
///
/// A scan may hold only some frames (a strided first pass, or the frames around candidates): each
/// run of consecutive held frames has its own rows (from zero), and a window that covers a frame
/// not held is never scored.
pub struct Scan {
    /// Frames scanned (hop = one frame).
    pub frames: usize,
    prefix: Vec<f64>,
    /// `row[f]`: the prefix row of the boundary before frame `f` (when a held frame touches it).
    row: Vec<u32>,
    /// `held[f]`: how many of the frames `0..f` are held.
    held: Vec<u32>,
}

/// Kept bins per frame.
const SLOTS: usize = (RANGES[0].1 - RANGES[0].0) + (RANGES[1].1 - RANGES[1].0);
/// The slot that stands for a bin outside [`RANGES`]: always zero power.
const NO_SLOT: usize = SLOTS;

fn slot(bin: usize) -> usize {
    let mut base = 0;
    for (lo, hi) in RANGES {
        if (lo..hi).contains(&bin) {
            return base + bin - lo;
        }
        base += hi - lo;
    }
    NO_SLOT
}

/// Slots of the lower and upper bin of each of a marker's 16 pairs.
type PairSlots = [(usize, usize); 16];

impl Scan {
    /// Every `stride`-th frame: frame `j` of this scan is the audio's frame `j·stride` (a first
    /// pass at a fraction of the cost).
    pub fn strided(spectra: &mut Spectra, stride: usize) -> Self {
        let stride = stride.max(1);
        spectra.compute((0..spectra.frames).step_by(stride));
        Self::build(spectra, spectra.frames.div_ceil(stride), |j| j * stride)
    }

    /// The frames in `spans` (half-open frame ranges); the others are not held.
    pub fn only(spectra: &mut Spectra, spans: &[(usize, usize)]) -> Self {
        let frames = spectra.frames;
        let mut keep = vec![false; frames];
        for &(a, b) in spans {
            keep[a.min(frames)..b.min(frames)].fill(true);
        }
        spectra.compute((0..frames).filter(|&f| keep[f]));
        Self::build(spectra, frames, |f| f)
    }

    /// `frames` scan frames; frame `j` is the audio frame `source(j)`, held when computed.
    fn build(spectra: &Spectra, frames: usize, source: impl Fn(usize) -> usize) -> Self {
        const NONE: u32 = u32::MAX;
        // At most a row per held frame and one per run of them (pages never touched cost nothing).
        let n = (0..frames)
            .filter(|&f| spectra.get(source(f)).is_some())
            .count();
        let mut prefix: Vec<f64> = Vec::with_capacity(2 * n * SLOTS);
        let mut row = vec![NONE; frames + 1];
        let mut held = vec![0u32; frames + 1];
        for f in 0..frames {
            let power = spectra.get(source(f));
            held[f + 1] = held[f] + u32::from(power.is_some());
            if let Some(power) = power {
                if row[f] == NONE {
                    row[f] = (prefix.len() / SLOTS) as u32;
                    prefix.resize(prefix.len() + SLOTS, 0.0);
                }
                let prev = row[f] as usize * SLOTS;
                prefix.extend_from_within(prev..prev + SLOTS);
                let next = prefix.len() - SLOTS;
                for (n, &p) in prefix[next..].iter_mut().zip(power) {
                    *n += p as f64;
                }
                row[f + 1] = (next / SLOTS) as u32;
            }
        }
        Scan {
            frames,
            prefix,
            row,
            held,
        }
    }

    /// Whether every frame of the window of `w` frames from `f` has a spectrum.
    fn complete(&self, f: usize, w: usize) -> bool {
        (self.held[f + w] - self.held[f]) as usize == w
    }

    /// The slots of the 16 pairs of band `fs` at drift `scale` (computed once per band and scale
    /// rather than once per frame).
    fn pair_slots(fs: usize, scale: f64) -> PairSlots {
        let mut out = [(NO_SLOT, NO_SLOT); 16];
        for (i, o) in out.iter_mut().enumerate() {
            let lo = ((K * (fs + 2 * i)) as f64 * scale).round() as usize;
            let hi = ((K * (fs + 2 * i + 1)) as f64 * scale).round() as usize;
            *o = (slot(lo), slot(hi));
        }
        out
    }

    /// Summed power of every kept bin over the `w` frames from `f` (`f + w <= frames`), with a
    /// trailing zero for [`NO_SLOT`].
    fn window(&self, f: usize, w: usize, out: &mut [f64; SLOTS + 1]) {
        let (ra, rb) = (self.row[f] as usize, self.row[f + w] as usize);
        let a = &self.prefix[ra * SLOTS..(ra + 1) * SLOTS];
        let b = &self.prefix[rb * SLOTS..(rb + 1) * SLOTS];
        for ((o, &x), &y) in out.iter_mut().zip(b).zip(a) {
            *o = x - y;
        }
        out[NO_SLOT] = 0.0;
    }
}

/// Soft marker score from summed bin powers: twice the weaker half (pairs 0-7 and 8-15), so that
/// a band that only half-overlaps another band's marker (DT 24..55 inside 40..71) scores ~0.
/// `k` is the number of spectrum bins per modem bin (1 for 1024-point spectra, 2 for 2048).
pub fn pair_score(power: impl Fn(usize) -> f64, fs: usize, scale: f64, k: usize) -> f32 {
    score_pairs(|i| {
        let lo = ((k * (fs + 2 * i)) as f64 * scale).round() as usize;
        let hi = ((k * (fs + 2 * i + 1)) as f64 * scale).round() as usize;
        (power(lo), power(hi))
    })
}

/// Half `h` (pairs `8h..8h+8`) of the score: `Σ ±(Plo − Phi)/(Plo + Phi)`, + for even pairs.
fn half_score(pair: impl Fn(usize) -> (f64, f64), h: usize) -> f64 {
    let floor = 1e-9;
    (8 * h..8 * h + 8).fold(0f64, |acc, i| {
        let (plo, phi) = pair(i);
        let (plo, phi) = (plo + floor, phi + floor);
        let t = (plo - phi) / (plo + phi);
        acc + if i % 2 == 0 { t } else { -t }
    })
}

/// The score from the summed powers `(lower bin, upper bin)` of each of the 16 pairs.
pub fn score_pairs(pair: impl Fn(usize) -> (f64, f64)) -> f32 {
    let (a, b) = (half_score(&pair, 0), half_score(&pair, 1));
    // Start marker: both halves positive; end marker: both negative.
    let v = if a >= 0.0 && b >= 0.0 {
        a.min(b)
    } else if a <= 0.0 && b <= 0.0 {
        a.max(b)
    } else {
        0.0
    };
    (2.0 * v) as f32
}

/// A run of windows that look like a marker.
#[derive(Debug, Clone, Copy)]
pub struct MarkerRun {
    /// Band (`freq_start`).
    pub band: usize,
    /// First and last window start (frames) at or above the threshold.
    pub first: usize,
    /// Last window start.
    pub last: usize,
    /// Best score in the run.
    pub score: f32,
    /// Drift scale of the best score.
    pub scale: f64,
}

impl MarkerRun {
    /// Rough first sample of the marker: the plateau of windows fully inside the marker (8 scan
    /// frames) spans `8 − w + 1` window starts; its middle is `(8 − w)/2` scan frames in.
    pub fn start_sample(&self, w: usize) -> f64 {
        let mid = (self.first + self.last) as f64 / 2.0;
        ((mid - (8 - w.min(8)) as f64 / 2.0) * SCAN as f64).max(0.0)
    }
}

/// Find start (`end = false`) or end marker runs for `band`, over the drift `scales`.
pub fn find_runs(
    scan: &Scan,
    band: usize,
    w: usize,
    threshold: f32,
    scales: &[f64],
    end: bool,
) -> Vec<MarkerRun> {
    let mut runs = Vec::new();
    if scan.frames < w {
        return runs;
    }
    let slots: Vec<(f64, PairSlots)> = scales
        .iter()
        .map(|&s| (s, Scan::pair_slots(band, s)))
        .collect();
    let mut current: Option<MarkerRun> = None;
    let mut sums = [0f64; SLOTS + 1];
    // A half is `Σ ±t` over 8 pairs and the score twice the weaker half, so a first half below
    // `threshold / 2` settles that this scale cannot reach the threshold: skip the second half
    // (on noise, nearly always).
    let half_needed = f64::from(threshold) / 2.0;
    let sign = if end { -1.0 } else { 1.0 };
    for f in 0..=scan.frames - w {
        if !scan.complete(f, w) {
            if let Some(r) = current.take() {
                runs.push(r);
            }
            continue;
        }
        scan.window(f, w, &mut sums);
        let mut best = (f32::MIN, 1.0);
        for (s, pairs) in &slots {
            let half = |h: usize| sign * half_score(|i| (sums[pairs[i].0], sums[pairs[i].1]), h);
            let a = half(0);
            if a < half_needed {
                continue;
            }
            let v = (2.0 * a.min(half(1))) as f32;
            if v > best.0 {
                best = (v, *s);
            }
        }
        if best.0 >= threshold {
            match current.as_mut() {
                Some(r) => {
                    r.last = f;
                    if best.0 > r.score {
                        r.score = best.0;
                        r.scale = best.1;
                    }
                }
                None => {
                    current = Some(MarkerRun {
                        band,
                        first: f,
                        last: f,
                        score: best.0,
                        scale: best.1,
                    })
                }
            }
        } else if let Some(r) = current.take() {
            runs.push(r);
        }
    }
    if let Some(r) = current {
        runs.push(r);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode, EncodeOptions};

    /// "Hello" in protocol `p` after 3 s of seeded noise, then 3 s more.
    fn signal(p: u8) -> Vec<f32> {
        let opts = EncodeOptions {
            protocol: p,
            ..Default::default()
        };
        let tx = encode(b"Hello", &opts).expect("encode");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut noise = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    0.05 * ((seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
                })
                .collect()
        };
        let mut audio = noise(3 * 48_000);
        audio.extend(tx.iter().map(|&v| v * 0.5));
        audio.extend(noise(3 * 48_000));
        audio
    }

    /// A strided scan holds exactly the full scan's spectra of its frames, and `only` the full
    /// scan's windows inside its spans (and never scores a window outside them).
    #[test]
    fn partial_scans_agree_with_the_full_scan() {
        let audio = signal(1);
        let plan = BinPower::new(SCAN, []);
        let mut spectra = Spectra::new(&audio, &plan);
        let all = Scan::only(&mut spectra, &[(0, usize::MAX)]);
        let half = Scan::strided(&mut Spectra::new(&audio, &plan), 2);
        assert_eq!(half.frames, all.frames.div_ceil(2));
        let (mut a, mut b) = ([0f64; SLOTS + 1], [0f64; SLOTS + 1]);
        // Window sums are differences of prefix sums: equal up to their rounding.
        let close = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
        };
        for j in 0..half.frames {
            half.window(j, 1, &mut a);
            all.window(2 * j, 1, &mut b);
            assert!(close(&a, &b), "frame {j}");
        }
        let some = Scan::only(&mut Spectra::new(&audio, &plan), &[(10, 30), (50, 60)]);
        for f in 0..=all.frames - 5 {
            let inside = (10..=25).contains(&f) || (50..=55).contains(&f);
            assert_eq!(some.complete(f, 5), inside, "window {f}");
            if inside {
                some.window(f, 5, &mut a);
                all.window(f, 5, &mut b);
                assert!(close(&a, &b), "window {f}");
            }
        }
    }

    /// The first pass finds the marker: the full scan's runs of this band lie inside its spans.
    #[test]
    fn the_strided_pass_sees_the_marker() {
        let plan = BinPower::new(SCAN, []);
        for p in [0u8, 1, 2, 7] {
            let audio = signal(p);
            let band = crate::protocol::Protocol::by_id(p)
                .expect("protocol")
                .freq_start;
            let all = Scan::only(&mut Spectra::new(&audio, &plan), &[(0, usize::MAX)]);
            let full = find_runs(&all, band, 5, 5.0, &[1.0], false);
            assert_eq!(full.len(), 1, "protocol {p}: {full:?}");
            // The receiver's first pass: windows of 4 strided frames (7 frames wide), threshold 3.
            let first = Scan::strided(&mut Spectra::new(&audio, &plan), 2);
            let coarse = find_runs(&first, band, 4, 3.0, &[1.0], false);
            assert!(
                coarse
                    .iter()
                    .any(|c| 2 * c.first <= full[0].last && full[0].first <= 2 * c.last + 7),
                "protocol {p}: {coarse:?} vs {full:?}"
            );
        }
    }
}

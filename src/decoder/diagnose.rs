//! How good a decoded message was, and why a recording gave none.
//!
//! **Band SNR** of a message: over its data symbols, the power of the bins that carry its tones
//! against the mean power of the other bins of its band that are not next to a tone (those hold
//! only noise, echo and distortion), scaled to "signal power in the band / noise power in the
//! band" of one 1024-sample frame. The receiver sums a symbol's frames coherently (variable length: tones add in
//! amplitude, noise in power, a gain of `frames_per_tx`) or in power (fixed length: no gain), and
//! the gain is divided out, so the figure does not depend on the protocol's speed.
//!
//! **Diagnosis** when nothing decodes: a cheap look at the input at its own rate — every
//! `stride`-th 1024-sample frame (at most [`LOOKED_AT`] of them) for the level, the loudest
//! [`LOUDEST`] of those for clipping and for where their energy lies in frequency — and the start
//! markers the receiver heard but could not read. Checked in this order: silence, too quiet,
//! clipped, a start marker heard, a sample rate too low for the protocols' tones, energy outside
//! every band, and else "nothing resembling a transmission".

use super::spectrum::Analyzer;
use crate::protocol::{Protocol, HZ_PER_BIN, PROTOCOLS};
use std::fmt;

/// Frames of the input looked at for the level (evenly spread).
pub const LOOKED_AT: usize = 256;
/// Loudest frames analysed for clipping and spectrum.
pub const LOUDEST: usize = 24;
/// Samples per analysed frame, at the input's own rate.
const N: usize = 1024;
/// Below this peak (−60 dBFS) a recording is too quiet.
const QUIET_PEAK: f32 = 1e-3;
/// Share of the loudest frames' samples sitting flat at the peak that makes a recording clipped.
const CLIPPED_SHARE: f64 = 0.005;
/// Below this share of the energy in the protocol bands, the sound is out of band.
const IN_BAND_MIN: f64 = 0.1;

/// Bins this close to a tone are left out of the noise estimate: a symbol's amplitude ramps
/// (15 % of it at each end) spread some of each tone's power into its neighbours, and a
/// fixed-length read a fraction of a hop off the symbol grid does too.
const GUARD: usize = 2;

/// Sums over a message's data symbols for its band SNR.
#[derive(Debug, Default)]
pub(crate) struct BandSums {
    tone: f64,
    noise: f64,
    tone_bins: usize,
    noise_bins: usize,
    band_bins: usize,
}

impl BandSums {
    /// Add one symbol: `band` the power of its band's bins, `tones` the bins (relative to the band)
    /// its tones were on.
    pub fn add(&mut self, band: &[f32], tones: &[usize]) {
        for (k, &v) in band.iter().enumerate() {
            let near = tones
                .iter()
                .map(|&t| t.abs_diff(k))
                .min()
                .unwrap_or(usize::MAX);
            if near == 0 {
                self.tone += f64::from(v);
                self.tone_bins += 1;
            } else if near > GUARD {
                self.noise += f64::from(v);
                self.noise_bins += 1;
            }
        }
        self.band_bins += band.len();
    }

    /// Band SNR in dB (see the module doc); `gain` is what summing a symbol's frames did to a
    /// tone's power relative to the noise's. Clamped to −30..100 dB.
    pub fn snr_db(&self, gain: f64) -> f64 {
        if self.tone_bins == 0 || self.noise_bins == 0 {
            return 0.0;
        }
        let t = self.tone / self.tone_bins as f64;
        let n = (self.noise / self.noise_bins as f64).max(t * 1e-13);
        let per_bin = (t - n) / (n * gain.max(1.0));
        let ratio = per_bin * self.tone_bins as f64 / self.band_bins as f64;
        (10.0 * ratio.max(1e-3).log10()).clamp(-30.0, 100.0)
    }
}

/// Bins of the band of `p` (1024-point bins at 48 kHz): 16 per nibble slot.
pub(crate) fn band_width(p: &Protocol) -> usize {
    16 * p.nibble_slots()
}

/// A start marker the variable-length receiver found but could not read a message after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Heard {
    /// The protocol whose header read best after it.
    pub protocol: u8,
    /// Where the marker starts, seconds.
    pub at_seconds: f64,
}

/// Why nothing was decoded: the library's answer to "it hears the sound but decodes nothing".
/// [`Diagnosis::kind`] is a stable machine name; `Display` gives a sentence for people.
#[derive(Debug, Clone, PartialEq)]
pub enum Diagnosis {
    /// Every sample is zero.
    Silent,
    /// The loudest sample is below −60 dBFS.
    TooQuiet {
        /// Peak level, dBFS.
        peak_dbfs: f64,
    },
    /// The waveform sits flat at its peak: overdriven somewhere between speaker and file.
    Clipped {
        /// Percentage of the loudest frames' samples that are flat at the peak.
        percent: f64,
    },
    /// A start marker was heard, but no header and payload that Reed-Solomon accepts followed.
    MarkerHeard {
        /// The protocol whose header read best after the marker.
        protocol: u8,
        /// Where the marker starts, seconds.
        at_seconds: f64,
    },
    /// The sample rate is too low for the audible and ultrasound protocols' tones.
    AboveNyquist {
        /// The recording's sample rate, Hz.
        sample_rate: u32,
    },
    /// Sound, but (almost) none of its energy in any protocol's band.
    OutOfBand {
        /// The strongest frequency, Hz.
        dominant_hz: f64,
        /// Percentage of the energy inside the protocol bands.
        in_band_percent: f64,
    },
    /// Sound in the protocol bands, but no start marker or fixed-length message in it.
    NothingFound {
        /// Percentage of the energy inside the protocol bands.
        in_band_percent: f64,
    },
}

impl Diagnosis {
    /// A stable machine name: `silent`, `too_quiet`, `clipped`, `marker_heard`, `above_nyquist`,
    /// `out_of_band` or `nothing_found`.
    pub fn kind(&self) -> &'static str {
        match self {
            Diagnosis::Silent => "silent",
            Diagnosis::TooQuiet { .. } => "too_quiet",
            Diagnosis::Clipped { .. } => "clipped",
            Diagnosis::MarkerHeard { .. } => "marker_heard",
            Diagnosis::AboveNyquist { .. } => "above_nyquist",
            Diagnosis::OutOfBand { .. } => "out_of_band",
            Diagnosis::NothingFound { .. } => "nothing_found",
        }
    }
}

/// Highest tone of the protocols in band `freq_start`, kHz.
fn band_top_khz(freq_start: usize) -> f64 {
    PROTOCOLS
        .iter()
        .filter(|p| p.freq_start == freq_start)
        .map(|p| p.max_hz())
        .fold(0.0, f64::max)
        / 1000.0
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::Silent => write!(f, "the recording is silent: every sample is zero"),
            Diagnosis::TooQuiet { peak_dbfs } => write!(
                f,
                "the recording is too quiet (peak {peak_dbfs:.0} dBFS): record closer to the \
                 speaker, louder, or with more input gain"
            ),
            Diagnosis::Clipped { percent } => write!(
                f,
                "the recording is clipped ({percent:.1} % of the loudest samples sit flat at the \
                 peak): lower the playback volume or the input gain"
            ),
            Diagnosis::MarkerHeard {
                protocol,
                at_seconds,
            } => {
                let name = Protocol::by_id(*protocol).map_or("unknown", |p| p.name);
                write!(
                    f,
                    "a start marker of protocol {name} ({protocol}) was heard at {at_seconds:.2} s, \
                     but its payload could not be recovered (too much noise, echo or distortion, \
                     or the recording stops early)"
                )
            }
            Diagnosis::AboveNyquist { sample_rate } => write!(
                f,
                "at {sample_rate} Hz the recording holds frequencies up to {} Hz only: the tones \
                 of the audible (up to {:.1} kHz) and ultrasound (up to {:.1} kHz) protocols lie \
                 above that, only [DT] and [MT] ones (up to {:.1} kHz) fit; record at 16 kHz or \
                 more (48 kHz for ultrasound)",
                sample_rate / 2,
                band_top_khz(40),
                band_top_khz(320),
                band_top_khz(24)
            ),
            Diagnosis::OutOfBand {
                dominant_hz,
                in_band_percent,
            } => write!(
                f,
                "the sound lies outside every protocol band: {in_band_percent:.0} % of its energy \
                 is within {:.1}-{:.1} kHz or {:.1}-{:.1} kHz, and it is strongest near \
                 {dominant_hz:.0} Hz",
                PROTOCOLS[6].min_hz() / 1000.0,
                band_top_khz(40),
                PROTOCOLS[3].min_hz() / 1000.0,
                band_top_khz(320)
            ),
            Diagnosis::NothingFound { in_band_percent } => write!(
                f,
                "nothing resembling a transmission: no start marker or message in any protocol \
                 band ({in_band_percent:.0} % of the sound's energy lies in the bands)"
            ),
        }
    }
}

/// Sum of squares and peak of a frame, in 8 lanes (a plain float sum does not vectorise). The
/// samples are finite (sanitized before), so the peak is a plain comparison: `f32::max`'s NaN rule
/// kept this loop scalar.
fn energy_and_peak(frame: &[f32]) -> (f64, f32) {
    let mut sq = [0f32; 8];
    let mut pk = [0f32; 8];
    let chunks = frame.chunks_exact(8);
    let rest = chunks.remainder();
    let larger = |m: f32, v: f32| if v > m { v } else { m };
    for c in chunks {
        for i in 0..8 {
            sq[i] += c[i] * c[i];
            pk[i] = larger(pk[i], c[i].abs());
        }
    }
    for (i, &v) in rest.iter().enumerate() {
        sq[i] += v * v;
        pk[i] = larger(pk[i], v.abs());
    }
    (
        sq.iter().map(|&v| f64::from(v)).sum(),
        pk.iter().fold(0f32, |m, &v| m.max(v)),
    )
}

/// Why `samples` (mono, finite, in −1..1, at `rate` Hz) gave no message; `heard` is the strongest
/// start marker the receiver could not read after.
pub(crate) fn diagnose(samples: &[f32], rate: u32, heard: Option<Heard>) -> Diagnosis {
    let frames: Vec<&[f32]> = if samples.len() < N {
        vec![samples]
    } else {
        let count = samples.len() / N;
        let stride = count.div_ceil(LOOKED_AT).max(1);
        (0..count)
            .step_by(stride)
            .map(|k| &samples[k * N..(k + 1) * N])
            .collect()
    };
    let mut looked: Vec<(f64, f32, usize)> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (e, p) = energy_and_peak(f);
            (e, p, i)
        })
        .collect();
    let peak = looked.iter().fold(0f32, |m, l| m.max(l.1));
    if peak == 0.0 {
        return Diagnosis::Silent;
    }
    if peak < QUIET_PEAK {
        return Diagnosis::TooQuiet {
            peak_dbfs: 20.0 * f64::from(peak).log10(),
        };
    }
    looked.sort_by(|a, b| b.0.total_cmp(&a.0));
    looked.truncate(LOUDEST);
    // Clipping: samples equal to their predecessor at (nearly) the peak. A sampled tone never
    // repeats a value at its crest; a clipped one does for as long as it is clipped.
    let (mut flat, mut total) = (0usize, 0usize);
    for &(_, _, i) in &looked {
        let f = frames[i];
        flat += f
            .windows(2)
            .filter(|w| w[1] == w[0] && w[1].abs() >= 0.99 * peak)
            .count();
        total += f.len();
    }
    let flat_share = flat as f64 / total.max(1) as f64;
    if flat_share >= CLIPPED_SHARE {
        return Diagnosis::Clipped {
            percent: 100.0 * flat_share,
        };
    }
    if let Some(h) = heard {
        return Diagnosis::MarkerHeard {
            protocol: h.protocol,
            at_seconds: h.at_seconds,
        };
    }
    let nyquist = f64::from(rate) / 2.0;
    if PROTOCOLS[0].max_hz() >= nyquist * 0.98 {
        return Diagnosis::AboveNyquist { sample_rate: rate };
    }
    // Where the loudest frames' energy lies (Hann-windowed spectra at the input's rate).
    let mut an = Analyzer::with_size(N);
    let mut windowed = [0f32; N];
    let mut power = [0f32; N / 2];
    let mut sum = [0f64; N / 2];
    let window = super::spectrum::hann(N);
    for &(_, _, i) in &looked {
        let f = frames[i];
        for (k, (w, &hann)) in windowed.iter_mut().zip(window.iter()).enumerate() {
            *w = f.get(k).copied().unwrap_or(0.0) * hann;
        }
        an.power(&windowed, &mut power);
        for (s, &p) in sum.iter_mut().zip(&power) {
            *s += f64::from(p);
        }
    }
    let hz = f64::from(rate) / N as f64;
    // The bands: [DT]/[MT] and audible (contiguous), ultrasound; half a bin of margin.
    let top = |start: usize| band_top_khz(start) * 1000.0 + HZ_PER_BIN / 2.0;
    let bands = [
        (24.0 * HZ_PER_BIN - HZ_PER_BIN / 2.0, top(40)),
        (320.0 * HZ_PER_BIN - HZ_PER_BIN / 2.0, top(320)),
    ];
    let in_band = |f: f64| bands.iter().any(|&(lo, hi)| f >= lo && f <= hi);
    let (mut inside, mut all, mut best) = (0f64, 0f64, (0f64, 0usize));
    // Bins below 20 Hz (DC offset, rumble) count for nothing.
    for (k, &p) in sum
        .iter()
        .enumerate()
        .filter(|(k, _)| *k as f64 * hz >= 20.0)
    {
        all += p;
        if in_band(k as f64 * hz) {
            inside += p;
        }
        if p > best.0 {
            best = (p, k);
        }
    }
    let share = if all > 0.0 { inside / all } else { 0.0 };
    if share < IN_BAND_MIN {
        return Diagnosis::OutOfBand {
            dominant_hz: best.1 as f64 * hz,
            in_band_percent: 100.0 * share,
        };
    }
    Diagnosis::NothingFound {
        in_band_percent: 100.0 * share,
    }
}

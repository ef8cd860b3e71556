//! Variable-length mode: find start markers, lock on drift and timing, read header and payload.

use super::diagnose::{band_width, BandSums, Heard};
use super::read::{
    correct_soft, correct_soft_strict, equalise, read_symbols_with, search_word, spectrum_array,
    symbol_spectra, Nibbles, Reading, Votes, JOINED, MAX_PASS_CHANCE, VOTES,
};
use super::scan::{find_runs, pair_score, MarkerRun, Scan, Spectra, SCAN};
use super::spectrum::{self, Analyzer, BinPower, BINS};
use super::Message;
use crate::frame::{self, ecc_len, HEADER_LEN};
use crate::protocol::{
    Protocol, FRAME, MARKER_FRAMES, MAX_VARIABLE_PAYLOAD, PROTOCOLS, SAMPLE_RATE,
};
use std::borrow::Cow;

/// Scan frames (2048 samples) summed for the marker score.
const WINDOW: usize = 5;
/// Marker score needed to consider a candidate (noise: 0 ± ~1; a clean marker: ~16).
const START_THRESHOLD: f32 = 5.0;
/// The first pass ([`candidate_spans`]): every other scan frame, windows of 4 of them (7 frames
/// wide, of which a marker's 8 hold at least one whole), a lower threshold (on 60 s of white noise
/// it keeps about 18 % of the frames for the full pass), and the frames kept either side of what
/// it finds. Chosen so that `scripts/bench-robustness --trials 20 --protocols 0,1,2,7 --seed 2026`
/// gives the same table as the full scan alone (windows of 3 at 3.5 lost a -10 dB trial).
const COARSE_STRIDE: usize = 2;
const COARSE_WINDOW: usize = 4;
const COARSE_THRESHOLD: f32 = 3.0;
const COARSE_MARGIN: usize = WINDOW;
/// End-marker score that confirms a transmission's length.
const END_THRESHOLD: f32 = 4.0;
/// Drift grid for the audible and DT bands (±1.2 % in 0.4 % steps) and for ultrasound (±0.3 % in
/// 0.1 % steps: a tone near 19 kHz moves by a whole 2048-point bin every 0.15 %; a marker drifted
/// 0.4 % still scores well at the grid's edge, and `refine_scale` measures the rest).
const AUDIBLE_SCALES: [f64; 7] = [1.0, 0.996, 1.004, 0.992, 1.008, 0.988, 1.012];
const ULTRA_SCALES: [f64; 7] = [1.0, 0.999, 1.001, 0.998, 1.002, 0.997, 1.003];
/// The first pass ([`candidate_spans`]) tries the ultrasound grid's inner points (the old ±0.2 %
/// grid) at its usual threshold and the outer ones at a higher one: at the lower threshold they
/// would find more false candidates in noise (each costs the full pass around it), and a marker
/// drifted 0.4 % scores well above it there.
const ULTRA_FAR: [f64; 2] = [0.997, 1.003];
const COARSE_FAR_THRESHOLD: f32 = 4.0;
/// Timing search around the estimated data start: ±1 frame in 1/16-frame steps.
const SEARCH: i64 = 1024;
const STEP: usize = 64;
/// Offsets of each protocol (by header confidence) given a full decode.
const TRIES_PER_PROTOCOL: usize = 3;
/// The readings tried in turn, each with how many offsets of each protocol it reads in full (best
/// header confidence first): the plain reading first (the best one in noise and on clean audio,
/// so those cost nothing more); when it fails, the reverberation-compensated readings at every
/// offset (in a room the header's confidence is a poor guide to the timing).
const READINGS: &[(Reading, usize)] = &[
    (Reading::Plain, TRIES_PER_PROTOCOL),
    (Reading::Dereverb, usize::MAX),
    (Reading::DereverbLate, usize::MAX),
    (Reading::Joined, usize::MAX),
];
/// The room readings also search around where the start marker's leading edge puts the data
/// when that is at least this many samples from the estimate (see [`start_edge`]); they always
/// search around 2 frames before it.
const EDGE_APART: f64 = 384.0;
/// The joined reading's search (see [`search_word`]): candidate words from the disagreements
/// alone, and in all, per (protocol, offset).
const JOINED_COMBOS: usize = 256;
const JOINED_WORDS: usize = 16384;
/// Where the room readings accept an end marker's leading edge (see [`end_marker_at`]): from
/// `.0` to `.1` frames after where the length puts it. The strict readings (one error corrected)
/// keep it tight; an exact code word of the joined reading is its own proof of the length.
/// `.2`: how many frames late the box locating the marker may start (0.75 without `edge`).
/// In a hall the end marker's pattern builds up over 3-4 frames (its first frames hold the last
/// symbols' tails), too slowly for the edge test, and its box starts up to 4-5 frames late: the
/// joined reading accepts that too.
const ROOM_EDGE: (f64, f64, f64) = (-1.75, 0.75, 0.75);
const JOINED_EDGE: Option<(f64, f64, f64)> = Some((-2.5, 2.5, 4.5));
/// Start markers per decode that get the room readings when their plain reading fails: those
/// cost some 650 M instructions (~70 ms) each (docs/robustness.md), so a hostile recording
/// full of markers followed by noise must not multiply it. Later failing markers get the plain
/// reading only.
const ROOM_MARKERS: usize = 8;
/// Of those, the markers whose room readings also search around the marker's leading edge (up to
/// three timing spans instead of one, so up to three times the work): a recording of drowned
/// markers (12 Fast transmissions, 18 s) decodes in 0.45 s natively with all 8 doing so, 0.35 s
/// with this cap.
const EDGE_MARKERS: usize = 3;
#[cfg(test)]
thread_local! {
    /// Start markers that got the room readings in this thread's decodes (the tests count them).
    static ROOM_READINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Of those, the ones whose room readings searched around the leading edge too.
    static EDGE_READINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
/// Bands of the variable-length protocols, searched in this order.
const BANDS: [usize; 3] = [40, 320, 24];

/// The two FFT sizes the receiver uses, planned once per decode.
struct Ffts {
    /// 1024 points: symbols and the end-marker score.
    frame: Analyzer,
    /// 2048 points, a few bins: marker location (its plan also serves the marker scan).
    wide: BinPower,
    /// Markers that may still get the room readings ([`ROOM_MARKERS`]).
    rooms_left: usize,
    /// Markers that may still get the leading-edge search ([`EDGE_MARKERS`]).
    edges_left: usize,
}

/// With `heard`, when no message is found, the strongest start marker not followed by one goes
/// there (its protocol identified by a second, fuller look: only then).
pub(crate) fn decode(
    audio: &[f32],
    dss: bool,
    nyquist: f64,
    heard: Option<&mut Vec<Heard>>,
) -> Vec<Message> {
    let mut ffts = Ffts {
        frame: Analyzer::new(),
        wide: BinPower::new(SCAN, []),
        rooms_left: ROOM_MARKERS,
        edges_left: EDGE_MARKERS,
    };
    let bands: Vec<(usize, &[f64])> = BANDS
        .into_iter()
        .filter(|&band| {
            PROTOCOLS
                .iter()
                .filter(|p| p.freq_start == band && !p.is_mono_tone())
                .all(|p| p.max_hz() < nyquist * 0.98)
        })
        .map(|band| {
            let scales: &[f64] = if band == 320 {
                &ULTRA_SCALES
            } else {
                &AUDIBLE_SCALES
            };
            (band, scales)
        })
        .collect();
    let mut spectra = Spectra::new(audio, &ffts.wide);
    let spans = candidate_spans(&mut spectra, &bands);
    let scan = Scan::only(&mut spectra, &spans);
    // Candidate markers of every band, strongest first, so that a marker seen faintly through an
    // overlapping band never pre-empts the real one.
    let mut runs: Vec<MarkerRun> = Vec::new();
    for &(band, scales) in &bands {
        runs.extend(find_runs(
            &scan,
            band,
            WINDOW,
            START_THRESHOLD,
            scales,
            false,
        ));
    }
    runs.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    // Sample spans already explained by a message.
    let mut taken: Vec<(f64, f64)> = Vec::new();
    // The strongest run that gave no message, for the diagnosis.
    let mut failed: Option<(MarkerRun, f64, Vec<&'static Protocol>)> = None;
    for run in runs {
        let rough = run.start_sample(WINDOW);
        if taken
            .iter()
            .any(|&(a, b)| rough + 8.0 * FRAME as f64 > a && rough < b - 4.0 * FRAME as f64)
        {
            continue;
        }
        let protos: Vec<&'static Protocol> = PROTOCOLS
            .iter()
            .filter(|p| p.freq_start == run.band && !p.is_mono_tone())
            .collect();
        let t0 = locate_marker(&mut ffts.wide, audio, &run);
        match decode_at(audio, &run, t0, &protos, dss, &mut ffts, false) {
            Ok((m, span)) => {
                taken.push(span);
                out.push(m);
            }
            Err(_) if failed.is_none() => failed = Some((run, t0, protos)),
            Err(_) => {}
        }
    }
    if let (Some(heard), Some((run, t0, protos)), true) = (heard, failed, out.is_empty()) {
        // The same attempt again (it fails the same way), this time naming the protocol.
        if let Err(Some(protocol)) = decode_at(audio, &run, t0, &protos, dss, &mut ffts, true) {
            heard.push(Heard {
                protocol,
                at_seconds: t0.max(0.0) / SAMPLE_RATE as f64,
            });
        }
    }
    out
}

/// The first pass: the marker score over every other scan frame, at a lower threshold. Only the
/// frames around what it finds get the full scan, so a long recording without messages costs
/// little more than half the spectra. Returns half-open frame spans.
fn candidate_spans(spectra: &mut Spectra, bands: &[(usize, &[f64])]) -> Vec<(usize, usize)> {
    let coarse = Scan::strided(spectra, COARSE_STRIDE);
    let mut spans = Vec::new();
    for &(band, scales) in bands {
        let grids: &[(&[f64], f32)] = if band == 320 {
            &[
                (&ULTRA_SCALES[..5], COARSE_THRESHOLD),
                (&ULTRA_FAR, COARSE_FAR_THRESHOLD),
            ]
        } else {
            &[(scales, COARSE_THRESHOLD)]
        };
        for &(grid, threshold) in grids {
            for r in find_runs(&coarse, band, COARSE_WINDOW, threshold, grid, false) {
                let (first, last) = (r.first * COARSE_STRIDE, r.last * COARSE_STRIDE);
                spans.push((
                    first.saturating_sub(COARSE_MARGIN),
                    last + WINDOW + COARSE_MARGIN,
                ));
            }
        }
    }
    spans
}

/// Measure the drift precisely from the marker tones: an 8192-point spectrum of 8 frames inside
/// the marker, each tone's peak interpolated, the median ratio to its nominal frequency.
fn refine_scale(audio: &[f32], t0: f64, band: usize, coarse: f64) -> f64 {
    const N: usize = 8192;
    let start = (t0 + 3.5 * FRAME as f64 / coarse) as usize;
    if start + N > audio.len() {
        return coarse;
    }
    // Only the 11 bins around each of the 16 tones are read: a packed complex FFT of 4096 points
    // and the split for those bins alone ([`BinPower`]) instead of the full real transform, whose
    // extra twiddles (software sin/cos as WebAssembly, made again by every request's fresh
    // instance) cost more than this whole measurement.
    let mut windowed = vec![0f32; N];
    for ((v, &w), &x) in windowed
        .iter_mut()
        .zip(spectrum::hann(N).iter())
        .zip(&audio[start..])
    {
        *v = x * w;
    }
    let tones: Vec<(f64, usize, usize)> = frame::marker_bins(frame::Marker::Start)
        .into_iter()
        .map(|b| {
            let nominal = 8.0 * (band + b) as f64;
            let centre = (nominal * coarse).round() as usize;
            (
                nominal,
                centre.saturating_sub(5),
                (centre + 5).min(N / 2 - 2),
            )
        })
        .collect();
    let mut bins: Vec<usize> = tones
        .iter()
        .flat_map(|&(_, lo, hi)| lo.saturating_sub(1)..=hi + 1)
        .collect();
    bins.sort_unstable();
    bins.dedup();
    let mut values = vec![0f32; bins.len()];
    BinPower::new(N, bins.iter().copied()).power(&windowed, &mut values);
    let power = |k: usize| -> f32 {
        bins.binary_search(&k)
            .map(|i| values[i] + 1e-20)
            .unwrap_or(1e-20)
    };
    let mut ratios = Vec::with_capacity(16);
    for &(nominal, lo, hi) in &tones {
        let centre = (nominal * coarse).round() as usize;
        if lo < 1 || lo >= hi {
            continue;
        }
        let k = (lo..=hi)
            .max_by(|&a, &b| power(a).total_cmp(&power(b)))
            .unwrap_or(centre);
        let (a, m, c) = (power(k - 1).ln(), power(k).ln(), power(k + 1).ln());
        let denom = a - 2.0 * m + c;
        let delta = if denom.abs() > 1e-9 {
            (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        ratios.push((k as f64 + delta as f64) / nominal);
    }
    if ratios.len() < 8 {
        return coarse;
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    let median = ratios[ratios.len() / 2];
    // Trust the measurement only when it agrees with the coarse grid point.
    if (median - coarse).abs() <= 0.006 {
        median
    } else {
        coarse
    }
}

/// End-marker score of the 10 frames starting 3 frames into where the end marker should be
/// (positive when the end marker is there).
fn end_marker_score(an: &mut Analyzer, audio: &[f32], at: usize, band: usize) -> f32 {
    let mut acc = [0f64; 32];
    let mut power = [0f32; BINS];
    let mut frames = 0;
    for k in 3..13 {
        let s = at + k * FRAME;
        if s + FRAME > audio.len() {
            break;
        }
        an.power(&audio[s..s + FRAME], &mut power);
        for (j, a) in acc.iter_mut().enumerate() {
            *a += power[band + j] as f64;
        }
        frames += 1;
    }
    if frames < 4 {
        return 0.0;
    }
    -pair_score(
        |bin| acc.get(bin - band).copied().unwrap_or(0.0),
        band,
        1.0,
        1,
    )
}

/// Is there an end marker starting at `at` (±0.75 frame; with `edge`, up to `edge.2` frames
/// late) with a clear pattern?
///
/// With `room`, an end marker whose leading edge is there also counts: in a reverberant room
/// the marker's own tail carries its pattern on for many frames after it ends, while the
/// previous symbols' tails blur its first frames, so the box of [`locate_pattern`] slides
/// frames late; the edge (see [`pattern_edge`]) stays put.
fn end_marker_at(
    ffts: &mut Ffts,
    seg: &[f32],
    at: usize,
    band: usize,
    edge: Option<(f64, f64, f64)>,
) -> bool {
    if end_marker_score(&mut ffts.frame, seg, at, band) < END_THRESHOLD {
        return false;
    }
    let lo = at.saturating_sub(4 * FRAME);
    let hi = at + (MARKER_FRAMES + 4) * FRAME;
    let late = edge.map_or(0.75, |e| e.2);
    let near = |start: f64| {
        let d = (start - at as f64) / FRAME as f64;
        (-0.75..=late).contains(&d)
    };
    match locate_pattern(&mut ffts.wide, seg, band, 1.0, lo, hi, true) {
        Some((start, strength)) if near(start) && strength > 0.15 => true,
        Some(_) if edge.is_some() => {
            let (early, late, _) = edge.unwrap_or_default();
            let lo = at.saturating_sub(8 * FRAME);
            let v = pattern_strength(&mut ffts.wide, seg, band, 1.0, lo, hi, true);
            pattern_edge(&v).is_some_and(|k| {
                let d = (lo + k * PATTERN_HOP) as f64 - at as f64;
                (early * FRAME as f64..=late * FRAME as f64).contains(&d)
            })
        }
        _ => false,
    }
}

/// Where a marker pattern starts in `v` (from [`pattern_strength`]), by its leading edge: the
/// hop that best splits 4 frames of weak pattern before from 4 frames of strong pattern after
/// (mean after at least 0.5, and at least 0.4 above the mean before), in hops from the start.
/// A window of 2048 samples rises through the edge over 8 hops: the split falls mid-rise, half a
/// window before the marker, which is added back.
fn pattern_edge(v: &[f64]) -> Option<usize> {
    const W: usize = 4 * FRAME / PATTERN_HOP;
    if v.len() < 2 * W {
        return None;
    }
    let mut best: Option<(f64, usize)> = None;
    for k in W..=v.len() - W {
        let before = v[k - W..k].iter().sum::<f64>() / W as f64;
        let after = v[k..k + W].iter().sum::<f64>() / W as f64;
        if after >= 0.5 && after - before >= 0.4 && best.is_none_or(|b| after - before > b.0) {
            best = Some((after - before, k));
        }
    }
    best.map(|(_, k)| k + SCAN / 2 / PATTERN_HOP)
}

/// Locate a marker near `[lo, hi)`: the marker-pattern strength of 2048-sample frames at a hop
/// of 256 samples, correlated with a box as long as the marker; the best box is the marker.
/// Silence before and data after both contribute ~0, so leading silence does not bias it. Returns
/// the marker's first sample and its mean strength (1 = a clean marker, ~0 = none).
fn locate_pattern(
    an: &mut BinPower,
    audio: &[f32],
    band: usize,
    scale: f64,
    lo: usize,
    hi: usize,
    end: bool,
) -> Option<(f64, f64)> {
    const HOP: usize = PATTERN_HOP;
    let v = pattern_strength(an, audio, band, scale, lo, hi, end);
    // 2048-sample windows lie fully inside the marker for 16384 − 2048 samples of starts.
    let box_len = (((MARKER_FRAMES * FRAME - SCAN) / HOP) as f64 / scale).round() as usize;
    if box_len == 0 || v.len() < box_len {
        return None;
    }
    let mut acc: f64 = v[..box_len].iter().sum();
    let (mut best, mut arg) = (acc, 0usize);
    for k in box_len..v.len() {
        acc += v[k] - v[k - box_len];
        if acc > best {
            best = acc;
            arg = k + 1 - box_len;
        }
    }
    Some(((lo + arg * HOP) as f64, best / box_len as f64))
}

/// Hop of [`pattern_strength`], in samples.
const PATTERN_HOP: usize = 256;

/// The marker-pattern strength of the 2048-sample frames from `lo` to `hi` at a hop of
/// [`PATTERN_HOP`] (see [`locate_pattern`]).
fn pattern_strength(
    an: &mut BinPower,
    audio: &[f32],
    band: usize,
    scale: f64,
    lo: usize,
    hi: usize,
    end: bool,
) -> Vec<f64> {
    const HOP: usize = PATTERN_HOP;
    let hi = hi.min(audio.len());
    // The 32 bins of the 16 pairs: (lower, upper) of pair i at 2i, 2i + 1.
    an.retarget((0..32).map(|j| ((2 * (band + j)) as f64 * scale).round() as usize));
    let mut power = [0f32; 32];
    // Pair powers of every frame first, to set a floor relative to the loudest pair.
    let mut pairs: Vec<[(f64, f64); 16]> = Vec::with_capacity(hi.saturating_sub(lo) / HOP);
    let mut s = lo;
    while s + SCAN <= hi {
        an.power(&audio[s..s + SCAN], &mut power);
        let mut row = [(0f64, 0f64); 16];
        for (i, r) in row.iter_mut().enumerate() {
            *r = (power[2 * i] as f64, power[2 * i + 1] as f64);
        }
        pairs.push(row);
        s += HOP;
    }
    let loudest = pairs.iter().flatten().fold(0f64, |m, &(a, b)| m.max(a + b));
    let floor = loudest * 1e-3 + 1e-20;
    // Mean over the 16 pairs of the normalised difference: a frame scores ~1 only when every pair
    // has the marker's pattern (a data symbol's 2-6 tones reach at most 6/16).
    pairs
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, &(p0, p1))| {
                    let d = if i % 2 == 0 { p0 - p1 } else { p1 - p0 };
                    (if end { -d } else { d }) / (p0 + p1 + floor)
                })
                .sum::<f64>()
                / 16.0
        })
        .collect()
}

/// Where the start marker found by `run` and located at `t0` begins by its leading edge (see
/// [`pattern_edge`]), searched from 8 frames before `t0` to 4 frames after the marker.
fn start_edge(an: &mut BinPower, audio: &[f32], run: &MarkerRun, t0: f64) -> Option<f64> {
    let lo = (t0.max(0.0) as usize).saturating_sub(8 * FRAME);
    let hi = t0.max(0.0) as usize + (MARKER_FRAMES + 4) * FRAME;
    let v = pattern_strength(an, audio, run.band, run.scale, lo, hi, false);
    pattern_edge(&v).map(|k| (lo + k * PATTERN_HOP) as f64)
}

/// Start of the marker found by `run`.
fn locate_marker(an: &mut BinPower, audio: &[f32], run: &MarkerRun) -> f64 {
    let lo = run.first.saturating_sub(WINDOW + 1) * SCAN;
    let hi = (run.last + WINDOW + 2) * SCAN + MARKER_FRAMES * FRAME;
    locate_pattern(an, audio, run.band, run.scale, lo, hi, false)
        .map(|l| l.0)
        .unwrap_or_else(|| run.start_sample(WINDOW))
}

struct Attempt {
    payload: Vec<u8>,
    frames: usize,
    /// Bytes Reed-Solomon changed, header and payload.
    corrected: usize,
    /// The corrected stream (header, payload before DSS, parity): the tones that were sent.
    stream: Vec<u8>,
}

/// The [`Votes`] of the first `count` symbols of `p` from `tau`, two per byte.
fn joined_votes(
    an: &mut Analyzer,
    seg: &[f32],
    p: &Protocol,
    tau: usize,
    count: usize,
) -> Vec<Votes> {
    let mut votes: Vec<Votes> = Vec::new();
    let slots = p.nibble_slots();
    // The soft sum of each nibble's 16 bins over the readings.
    let mut soft: Vec<[f32; 16]> = vec![[0.0; 16]; count * slots];
    // The last-third spectra, kept for the equalised reading (which equalises them).
    let mut last_third: Vec<[f32; BINS]> = Vec::new();
    for (r, &reading) in JOINED.iter().enumerate() {
        let mut nib = Nibbles::default();
        let mut runner = Vec::new();
        let mut t = 0;
        let keep = reading == Reading::DereverbLastThird;
        let mut kept = Vec::new();
        let mut take = |power: &[f32]| {
            if keep {
                kept.push(spectrum_array(power));
            }
            nib.push_spectrum_top2(p, power, &mut runner);
            for q in 0..slots {
                let base = p.freq_start + 16 * q;
                let bins = &power[base.min(BINS)..(base + 16).min(BINS)];
                let sum = bins.iter().sum::<f32>() + 1e-20;
                for (acc, &v) in soft[t * slots + q].iter_mut().zip(bins) {
                    *acc += v / sum;
                }
            }
            t += 1;
        };
        if reading == Reading::Equalised && last_third.len() == count {
            equalise(p, &mut last_third);
            last_third.iter().for_each(|s| take(s));
        } else {
            symbol_spectra(an, seg, p, tau, count, reading, &mut take);
        }
        if keep {
            last_third = kept;
        }
        votes.resize(nib.values.len(), Votes::default());
        for (i, v) in votes.iter_mut().enumerate() {
            v.best[r] = nib.values[i];
            v.runner[r] = runner[i];
            v.conf[r] = nib.conf[i];
        }
    }
    let last = VOTES - 1;
    for (v, bins) in votes.iter_mut().zip(&soft) {
        let mut order: [usize; 16] = std::array::from_fn(|k| k);
        order.sort_by(|&a, &b| bins[b].total_cmp(&bins[a]));
        v.best[last] = order[0] as u8;
        v.runner[last] = order[1] as u8;
        v.conf[last] = ((bins[order[0]] + 1e-6) / (bins[order[1]] + 1e-6)).ln();
    }
    votes
}

/// [`Reading::Joined`]: the header as any of the joined readings corrects it (one error at
/// most), then for each length it gives whose end marker is where it says, the payload word
/// searched among the readings' values ([`search_word`]: exact code words only).
fn read_joined(
    ffts: &mut Ffts,
    seg: &[f32],
    p: &Protocol,
    tau: usize,
    dss: bool,
) -> Option<Attempt> {
    let header_symbols = frame::symbol_count(p, HEADER_LEN);
    let head_votes = joined_votes(&mut ffts.frame, seg, p, tau, header_symbols);
    let mut heads: Vec<(Vec<u8>, usize)> = Vec::new();
    for r in 0..VOTES {
        let mut head: Vec<u8> = (0..HEADER_LEN)
            .map(|j| head_votes[2 * j].best[r] | (head_votes[2 * j + 1].best[r] << 4))
            .collect();
        let conf: Vec<f32> = (0..HEADER_LEN)
            .map(|j| head_votes[2 * j].conf[r].min(head_votes[2 * j + 1].conf[r]))
            .collect();
        if let Some(c) = correct_soft(&mut head, &conf, 2, 0, || false) {
            if !heads.iter().any(|h| h.0 == head) {
                heads.push((head, c));
            }
        }
    }
    for (head, head_changed) in heads {
        let len = head[0] as usize;
        if len == 0 || len > MAX_VARIABLE_PAYLOAD {
            continue;
        }
        let n = frame::stream_len(len, frame::Mode::Variable);
        let symbols = frame::symbol_count(p, n);
        let data_end = tau + symbols * p.frames_per_tx * FRAME;
        if data_end > seg.len() || !end_marker_at(ffts, seg, data_end, p.freq_start, JOINED_EDGE) {
            continue;
        }
        // Candidate words in proportion to the code's strength: 2^-18 of the words a random
        // word would have to hit (none for 2 parity bytes).
        let nsym = ecc_len(len);
        let words = JOINED_WORDS.min((1usize << (8 * nsym).min(40)) >> 18);
        if words == 0 {
            continue;
        }
        let votes = joined_votes(&mut ffts.frame, seg, p, tau, symbols);
        let Some((mut word, changed)) = search_word(
            &votes[2 * HEADER_LEN..2 * n],
            nsym,
            JOINED_COMBOS.min(words),
            words,
        ) else {
            continue;
        };
        let stream: Vec<u8> = head.iter().chain(word.iter()).copied().collect();
        word.truncate(len);
        if dss {
            frame::apply_dss(&mut word);
        }
        return Some(Attempt {
            payload: word,
            frames: 2 * MARKER_FRAMES + symbols * p.frames_per_tx,
            corrected: head_changed + changed,
            stream,
        });
    }
    None
}

/// Full decode of protocol `p` with data starting at `tau` in `seg`.
fn read_message(
    ffts: &mut Ffts,
    seg: &[f32],
    p: &Protocol,
    tau: usize,
    dss: bool,
    reading: Reading,
) -> Option<Attempt> {
    if reading == Reading::Joined {
        return read_joined(ffts, seg, p, tau, dss);
    }
    let header_symbols = frame::symbol_count(p, HEADER_LEN);
    let mut nib = Nibbles::default();
    read_symbols_with(
        &mut ffts.frame,
        seg,
        p,
        tau,
        header_symbols,
        reading,
        &mut nib,
    );
    let (mut head, conf) = nib.bytes();
    head.truncate(HEADER_LEN);
    let head_changed = correct_soft(&mut head, &conf[..HEADER_LEN], 2, 0, || false)?;
    let len = head[0] as usize;
    if len == 0 || len > MAX_VARIABLE_PAYLOAD {
        return None;
    }
    // The room readings make about 200 trials per start marker: with 2 parity bytes (payloads
    // under 4 bytes) one error corrected lets a random word through 1.6 % of the time each.
    if reading != Reading::Plain && ecc_len(len) < 4 {
        return None;
    }
    let n = frame::stream_len(len, frame::Mode::Variable);
    let symbols = frame::symbol_count(p, n);
    let data_end = tau + symbols * p.frames_per_tx * FRAME;
    if data_end > seg.len() {
        return None;
    }
    let mut nib = Nibbles::default();
    read_symbols_with(&mut ffts.frame, seg, p, tau, symbols, reading, &mut nib);
    let (bytes, conf) = nib.bytes();
    let mut word = bytes[HEADER_LEN..n].to_vec();
    // A clean read is its own proof for codes with ≥ 4 parity bytes; anything corrected, or a
    // short code, must also end with an end marker where the length says it ends. A word that
    // needs erasures is corrected if at all, so the marker is looked for before those trials:
    // a wrong (protocol, offset) candidate then fails without them.
    let mut marker: Option<bool> = None;
    // The room readings make many more erasure trials per marker: they may leave at most one
    // error beside their erasures (see `correct_soft_strict`).
    let room = reading != Reading::Plain;
    let edge = room.then_some(ROOM_EDGE);
    // Every reading refuses a correction that a random word would pass with probability over
    // `MAX_PASS_CHANCE`: a payload drowned in noise between an intact header and end marker is
    // such a word. With 2 parity bytes (payloads under 4 bytes: ggwave's code) correcting one
    // byte uses all the redundancy (a random word passes ~2 % of the time: 8 wrong payloads in
    // 480 drowned ones, tests/channels.rs), so those are accepted only exact; with 4 parity
    // bytes two corrected bytes are refused (1.6e-3 for "Hello World": a wrong payload at
    // `scripts/bench-channels --seed 7`, docs/robustness.md).
    let max_errors = if room { 1 } else { usize::MAX };
    let changed = correct_soft_strict(
        &mut word,
        &conf[HEADER_LEN..n],
        ecc_len(len),
        ecc_len(len).saturating_sub(4),
        max_errors,
        MAX_PASS_CHANCE,
        || *marker.insert(end_marker_at(ffts, seg, data_end, p.freq_start, edge)),
    )?;
    let clean = head_changed == 0 && changed == 0 && ecc_len(len) >= 4;
    if !clean && !marker.unwrap_or_else(|| end_marker_at(ffts, seg, data_end, p.freq_start, edge)) {
        return None;
    }
    let stream: Vec<u8> = head.iter().chain(word.iter()).copied().collect();
    word.truncate(len);
    if dss {
        frame::apply_dss(&mut word);
    }
    Some(Attempt {
        payload: word,
        frames: 2 * MARKER_FRAMES + symbols * p.frames_per_tx,
        corrected: head_changed + changed,
        stream,
    })
}

/// Band SNR of the data symbols from `tau` (at most `limit` of them, evenly spread), whose
/// corrected stream is `stream`.
fn data_snr_db(
    ffts: &mut Ffts,
    seg: &[f32],
    p: &Protocol,
    tau: usize,
    stream: &[u8],
    limit: usize,
) -> f64 {
    let width = band_width(p);
    let span = p.frames_per_tx * FRAME;
    let mut power = [0f32; BINS];
    let mut sums = BandSums::default();
    let symbols = frame::symbols(p, stream);
    let step = symbols.len().div_ceil(limit.max(1)).max(1);
    for (t, tones) in symbols.iter().enumerate().step_by(step) {
        let band = p.freq_start..p.freq_start + width;
        ffts.frame.power_of_sum_band(
            seg,
            tau + t * span,
            p.frames_per_tx,
            &mut power,
            band.clone(),
        );
        sums.add(&power[band], tones);
    }
    // Coherent sums: a tone's power grows with the square of the frames, the noise's linearly.
    sums.snr_db(p.frames_per_tx as f64)
}

fn decode_at(
    audio: &[f32],
    run: &MarkerRun,
    t0: f64,
    protos: &[&'static Protocol],
    dss: bool,
    ffts: &mut Ffts,
    identify_failure: bool,
) -> Result<(Message, (f64, f64)), Option<u8>> {
    let band = run.band;
    let scale = refine_scale(audio, t0, band, run.scale);
    let max_frames = protos
        .iter()
        .map(|p| frame::transmission_frames(p, MAX_VARIABLE_PAYLOAD, frame::Mode::Variable))
        .max()
        .unwrap_or(0)
        + 4;
    let a = (t0 - 2.0 * FRAME as f64).max(0.0) as usize;
    let b = (a + ((max_frames * FRAME) as f64 / scale) as usize + FRAME).min(audio.len());
    let seg: Cow<[f32]> = if (scale - 1.0).abs() < 3e-4 {
        Cow::Borrowed(&audio[a..b])
    } else {
        Cow::Owned(crate::resample::stretch(&audio[a..b], scale).map_err(|_| None)?)
    };
    let data_est = (t0 - a as f64) * scale + (MARKER_FRAMES * FRAME) as f64;
    // The timing tries of the plain reading, for naming the protocol of a failure.
    let mut plain_tries: Vec<Try> = Vec::new();
    let mut room_counted = false;
    let mut centres = vec![data_est];
    for &(reading, per_protocol) in READINGS {
        if reading != Reading::Plain && !room_counted {
            if ffts.rooms_left == 0 {
                break;
            }
            ffts.rooms_left -= 1;
            room_counted = true;
            // In a room the box that located the marker slides late (its tail carries the
            // pattern on): the room readings also search around its leading edge, and 2 frames
            // before it.
            if ffts.edges_left > 0 {
                ffts.edges_left -= 1;
                #[cfg(test)]
                EDGE_READINGS.with(|c| c.set(c.get() + 1));
                if let Some(t) = start_edge(&mut ffts.wide, audio, run, t0) {
                    let est = (t - a as f64) * scale + (MARKER_FRAMES * FRAME) as f64;
                    if (est - data_est).abs() >= EDGE_APART {
                        centres.push(est);
                    }
                    centres.push(est - 2.0 * FRAME as f64);
                }
            }
            #[cfg(test)]
            ROOM_READINGS.with(|c| c.set(c.get() + 1));
        }
        let (found, tries) = try_reading(&seg, &centres, protos, dss, ffts, reading, per_protocol);
        if reading == Reading::Plain {
            plain_tries = tries;
        }
        if let Some((p, tau, att)) = found {
            // The offset that reads the header most confidently can be a fraction of a frame
            // early or late (the reading tolerates it; the SNR would count the neighbouring
            // symbol's tones as noise): measure where the first symbols are cleanest among it
            // and the marker's estimate (located to 256 samples). 2 symbols per candidate and
            // 12 for the figure: 20 spectra instead of 40, which were a tenth of a short decode's
            // work (callgrind); the figure still orders clean and noisy audio as
            // tests/diagnostics.rs asks.
            let at = [tau as f64, data_est - 128.0, data_est, data_est + 128.0]
                .into_iter()
                .filter(|&t| t >= 0.0)
                .map(|t| t as usize)
                .map(|t| (data_snr_db(ffts, &seg, p, t, &att.stream, 2), t))
                .fold(
                    (f64::MIN, tau),
                    |best, c| if c.0 > best.0 { c } else { best },
                )
                .1;
            let snr_db = data_snr_db(ffts, &seg, p, at, &att.stream, 12);
            let start = a as f64 + (tau as f64 - (MARKER_FRAMES * FRAME) as f64) / scale;
            let end = start + (att.frames * FRAME) as f64 / scale;
            let sr = SAMPLE_RATE as f64;
            let msg = Message {
                payload: att.payload,
                protocol: p.id,
                start_seconds: start.max(0.0) / sr,
                end_seconds: end / sr,
                snr_db,
                drift_ppm: (scale - 1.0) * 1e6,
                corrected_bytes: att.corrected,
            };
            return Ok((msg, (start, end)));
        }
    }
    Err(if identify_failure {
        identify(ffts, &seg, protos, &plain_tries)
    } else {
        None
    })
}

/// Which protocol a start marker that led to no message belongs to, for the diagnosis: the first
/// of the `tries` (best header confidence first) whose header decodes and whose end marker is
/// where that header's length puts it; else the one whose header read most confidently (a
/// faster protocol's window inside a slower one's header symbol reads it as well, so this guess
/// can name a faster protocol of the right band).
fn identify(
    ffts: &mut Ffts,
    seg: &[f32],
    protos: &[&'static Protocol],
    tries: &[(f32, usize, usize)],
) -> Option<u8> {
    for &(_, pi, tau) in tries {
        let p = protos[pi];
        let mut nib = Nibbles::default();
        read_symbols_with(
            &mut ffts.frame,
            seg,
            p,
            tau,
            frame::symbol_count(p, HEADER_LEN),
            Reading::Plain,
            &mut nib,
        );
        let (mut head, conf) = nib.bytes();
        head.truncate(HEADER_LEN);
        if correct_soft(&mut head, &conf[..HEADER_LEN], 2, 0, || false).is_none() {
            continue;
        }
        let len = head[0] as usize;
        if len == 0 || len > MAX_VARIABLE_PAYLOAD {
            continue;
        }
        let symbols = frame::symbol_count(p, frame::stream_len(len, frame::Mode::Variable));
        let data_end = tau + symbols * p.frames_per_tx * FRAME;
        if end_marker_at(ffts, seg, data_end, p.freq_start, None) {
            return Some(p.id);
        }
    }
    tries.first().map(|t| protos[t.1].id)
}

/// A message read: its protocol, where its data starts, and what was read.
type Found = (&'static Protocol, usize, Attempt);
/// A timing try: (header confidence, protocol index, data start).
type Try = (f32, usize, usize);

/// One way of reading the data: rank (protocol, offset) pairs by the confidence of the header
/// symbols read that way, and read the best `per_protocol` offsets of each protocol in full.
fn try_reading(
    seg: &[f32],
    centres: &[f64],
    protos: &[&'static Protocol],
    dss: bool,
    ffts: &mut Ffts,
    reading: Reading,
    per_protocol: usize,
) -> (Option<Found>, Vec<Try>) {
    // The data starts tried: ±SEARCH around each centre, each once.
    let mut taus: Vec<usize> = Vec::new();
    for &c in centres {
        let mut off = -SEARCH;
        while off <= SEARCH {
            let tau = c + off as f64;
            off += STEP as i64;
            if tau >= 0.0
                && !taus
                    .iter()
                    .any(|&t| (t as f64 - tau).abs() < STEP as f64 / 2.0)
            {
                taus.push(tau as usize);
            }
        }
    }
    let mut ranked: Vec<(f32, usize, usize)> = Vec::new();
    for (pi, p) in protos.iter().enumerate() {
        let hs = frame::symbol_count(p, HEADER_LEN);
        for &tau in &taus {
            let mut nib = Nibbles::default();
            read_symbols_with(&mut ffts.frame, seg, p, tau, hs, reading, &mut nib);
            let conf: f32 = nib.conf.iter().take(2 * HEADER_LEN).sum();
            ranked.push((conf, pi, tau));
        }
    }
    // The best offsets of *each* protocol: a faster protocol's window inside a slower protocol's
    // header symbol reads the header just as confidently, so a global top list could hold only it.
    ranked.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut tries: Vec<(f32, usize, usize)> = Vec::new();
    for pi in 0..protos.len() {
        tries.extend(ranked.iter().filter(|r| r.1 == pi).take(per_protocol));
    }
    tries.sort_by(|x, y| y.0.total_cmp(&x.0));
    for &(_, pi, tau) in &tries {
        let p = protos[pi];
        if let Some(att) = read_message(ffts, seg, p, tau, dss, reading) {
            return (Some((p, tau, att)), tries);
        }
    }
    (None, tries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_48k, EncodeOptions};

    /// `count` Fast transmissions of 5 seeded bytes (4 parity bytes: the room readings read
    /// them), each payload drowned in noise between its intact header and end marker, 0.3 s of
    /// silence between them: every start marker is found and none leads to a message.
    fn drowned_markers(count: usize) -> Vec<f32> {
        let p = &PROTOCOLS[1];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut audio = vec![0f32; 14_400];
        for _ in 0..count {
            let payload: Vec<u8> = (0..5).map(|_| next() as u8).collect();
            let opts = EncodeOptions {
                protocol: p.id,
                ..Default::default()
            };
            let mut tx = encode_48k(&payload, &opts).expect("encode");
            let header = frame::symbol_count(p, HEADER_LEN);
            let from = MARKER_FRAMES * FRAME + header * p.frames_per_tx * FRAME;
            let to = tx.len() - MARKER_FRAMES * FRAME;
            for v in &mut tx[from..to] {
                *v = 0.4 * ((next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0);
            }
            audio.extend(&tx);
            audio.extend(std::iter::repeat_n(0.0, 14_400));
        }
        audio
    }

    /// Markers that got the room readings, and those that got the leading-edge search too, in
    /// one decode of `audio`.
    fn room_markers(audio: &[f32]) -> (usize, usize) {
        ROOM_READINGS.with(|c| c.set(0));
        EDGE_READINGS.with(|c| c.set(0));
        let messages = decode(audio, false, 24_000.0, None);
        assert!(
            messages.is_empty(),
            "a drowned payload decoded: {messages:?}"
        );
        (
            ROOM_READINGS.with(|c| c.get()),
            EDGE_READINGS.with(|c| c.get()),
        )
    }

    /// Every failing start marker gets the room readings, up to [`ROOM_MARKERS`] per decode, and
    /// the first [`EDGE_MARKERS`] of them the leading-edge search: a recording of 12 markers
    /// followed by noise costs 8 markers' room readings (3 with the wider search), not 12.
    #[test]
    fn at_most_room_markers_get_the_room_readings() {
        assert_eq!(room_markers(&drowned_markers(2)), (2, 2));
        assert_eq!(
            room_markers(&drowned_markers(12)),
            (ROOM_MARKERS, EDGE_MARKERS)
        );
    }
}

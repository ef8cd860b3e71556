//! Reading symbols: nibble arg-maxes with a confidence each, and Reed-Solomon with erasures of
//! the least confident bytes.

use super::spectrum::{Analyzer, BINS};
use crate::protocol::{Protocol, FRAME};
use crate::reed_solomon;

/// `x.max(floor)` for a `floor` that is not NaN (a NaN `x` gives `floor`), as a comparison:
/// `f32::max` is a libm call in WebAssembly (`fmaxf`, 2-3 % of a decode there).
#[inline(always)]
pub(crate) fn at_least(x: f32, floor: f32) -> f32 {
    if x > floor {
        x
    } else {
        floor
    }
}

/// Nibbles read from one or more symbols, with `ln(P_best / P_runner_up)` for each.
#[derive(Debug, Default, Clone)]
pub struct Nibbles {
    /// Values 0..16.
    pub values: Vec<u8>,
    /// Confidence of each value (0 = a tie).
    pub conf: Vec<f32>,
}

impl Nibbles {
    /// Pick the nibbles of one power spectrum for protocol `p`.
    pub fn push_spectrum(&mut self, p: &Protocol, power: &[f32]) {
        let slots = p.nibble_slots();
        // Confidence is measured against a floor relative to the strongest bin of the band, so
        // near-silent slots (numerical dust) do not look confident.
        let band =
            &power[p.freq_start.min(power.len())..(p.freq_start + 16 * slots).min(power.len())];
        let floor = band.iter().fold(0f32, |m, &v| at_least(v, m)) * 1e-4 + 1e-20;
        for q in 0..slots {
            let base = p.freq_start + 16 * q;
            let (mut best, mut second, mut arg) = (-1f32, -1f32, 0usize);
            for k in 0..16 {
                let v = power.get(base + k).copied().unwrap_or(0.0);
                if v > best {
                    second = best;
                    best = v;
                    arg = k;
                } else if v > second {
                    second = v;
                }
            }
            self.values.push(arg as u8);
            self.conf
                .push(((best + floor) / (at_least(second, 0.0) + floor)).ln());
        }
    }

    /// [`Nibbles::push_spectrum`] that also keeps each nibble's runner-up value (in `runner`).
    pub fn push_spectrum_top2(&mut self, p: &Protocol, power: &[f32], runner: &mut Vec<u8>) {
        let from = self.values.len();
        self.push_spectrum(p, power);
        for (i, &v) in self.values[from..].iter().enumerate() {
            let base = p.freq_start + 16 * i;
            let bin = |k: usize| power.get(base + k).copied().unwrap_or(0.0);
            let second = (0..16)
                .filter(|&k| k != v as usize)
                .fold(None, |m: Option<usize>, k| match m {
                    Some(j) if bin(j) >= bin(k) => Some(j),
                    _ => Some(k),
                })
                .unwrap_or(0);
            runner.push(second as u8);
        }
    }

    /// Assemble bytes (low nibble first) with the confidence of each byte (its weaker nibble).
    pub fn bytes(&self) -> (Vec<u8>, Vec<f32>) {
        let n = self.values.len() / 2;
        let mut bytes = Vec::with_capacity(n);
        let mut conf = Vec::with_capacity(n);
        for i in 0..n {
            bytes.push(self.values[2 * i] | (self.values[2 * i + 1] << 4));
            conf.push(self.conf[2 * i].min(self.conf[2 * i + 1]));
        }
        (bytes, conf)
    }
}

/// How symbols are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// Each symbol the power of the coherent sum of its frames.
    Plain,
    /// The same, minus `beta` times the power of the window just before it (the previous symbol,
    /// or the end of the start marker; negative results count as 0): what a room's reverberation
    /// carries over from the previous symbol (and, through it, from the ones before) is taken
    /// away bin by bin. `beta` is measured on the start marker: the median, over the marker's 16
    /// tones, of their power in the first data symbol's window over their power in the window
    /// before it (clamped to 0.1..0.95).
    Dereverb,
    /// [`Reading::Dereverb`] over the frames of each symbol after its first (where the previous
    /// symbol's tail has decayed most), for symbols of 3 frames or more.
    DereverbLate,
    /// [`Reading::Dereverb`] over the last third of each symbol's frames (at least its last
    /// frame): in a room the early reflections of the previous symbol's tones fill the first
    /// 1-2 frames of a symbol (a Fastest symbol is 3 frames), its last frames read cleaner.
    DereverbLastThird,
    /// [`Reading::Dereverb`] with 1.5 times the carry-over (at most 0.98).
    DereverbStrong,
    /// A tail model fed back from decisions: each symbol minus the modelled tail, whose next
    /// value is `β` times (this tail plus what is left in the bins just decided).
    Feedback,
    /// [`Reading::DereverbLastThird`] equalised bin by bin: each data bin divided by its "on"
    /// level, estimated from the symbols whose nibble picked it (see [`equalise`]), so that a
    /// tone in a notch of the room's response is weighed against its own level rather than
    /// against a loud bin's tail.
    Equalised,
    /// Each nibble slot's tones decided as a sequence under a model of the room's tails, over
    /// each symbol's frames after its first (see [`sequence`]).
    Sequence,
    /// The nibbles of the [`JOINED`] readings together: a word is searched among the values
    /// they read (see [`search_word`]); as a spectrum (for ranking offsets),
    /// [`Reading::Dereverb`]'s.
    Joined,
}

/// The readings [`Reading::Joined`] joins.
pub const JOINED: [Reading; 8] = [
    Reading::Dereverb,
    Reading::Plain,
    Reading::DereverbLate,
    Reading::DereverbLastThird,
    Reading::DereverbStrong,
    Reading::Feedback,
    Reading::Equalised,
    Reading::Sequence,
];

/// [`Reading::Sequence`]'s place among the [`JOINED`] votes.
pub const SEQUENCE_VOTE: usize = JOINED.len() - 1;
const _: () = assert!(matches!(JOINED[SEQUENCE_VOTE], Reading::Sequence));

/// The carry-over measured on the marker tones: `after / before` per marker bin, the median.
fn carry_over(p: &Protocol, before: &[f32], after: &[f32]) -> f32 {
    let mut r: Vec<f32> = crate::frame::marker_bins(crate::frame::Marker::Start)
        .iter()
        .filter_map(|&b| {
            let k = p.freq_start + b;
            let (x, y) = (before.get(k)?, after.get(k)?);
            (*x > 0.0).then(|| y / x)
        })
        .collect();
    if r.is_empty() {
        return 0.5;
    }
    r.sort_by(|a, b| a.total_cmp(b));
    r[r.len() / 2].clamp(0.1, 0.95)
}

/// Read `count` symbols of protocol `p` starting at sample `start`, judged the [`Reading`]'s way
/// (tones are phase-continuous across frames, so a coherent sum averages noise out, not tones).
pub fn read_symbols_with(
    an: &mut Analyzer,
    audio: &[f32],
    p: &Protocol,
    start: usize,
    count: usize,
    reading: Reading,
    out: &mut Nibbles,
) {
    symbol_spectra(an, audio, p, start, count, reading, |power| {
        out.push_spectrum(p, power)
    });
}

/// The spectrum each symbol is judged on, for `count` symbols from `start`, read `reading`'s way.
pub fn symbol_spectra(
    an: &mut Analyzer,
    audio: &[f32],
    p: &Protocol,
    start: usize,
    count: usize,
    reading: Reading,
    mut each: impl FnMut(&[f32]),
) {
    let mut power = [0f32; BINS];
    let span = p.frames_per_tx * FRAME;
    // Only the protocol's band is read (its data bins, and its 32-bin marker band for the
    // carry-over): the other bins stay 0.
    let band = p.freq_start..p.freq_start + (16 * p.nibble_slots()).max(32);
    match reading {
        Reading::Equalised => {
            let mut spectra: Vec<[f32; BINS]> = Vec::with_capacity(count);
            // (A `dyn` callback: a closure type here would instantiate this function without end.)
            let collect: &mut dyn FnMut(&[f32]) = &mut |s| spectra.push(spectrum_array(s));
            symbol_spectra(
                an,
                audio,
                p,
                start,
                count,
                Reading::DereverbLastThird,
                collect,
            );
            equalise(p, &mut spectra);
            spectra.iter().for_each(|s| each(s));
        }
        Reading::Sequence => {
            let skip = usize::from(p.frames_per_tx > 1);
            let (start, frames) = (start + skip * FRAME, p.frames_per_tx - skip);
            let mut prev = [0f32; BINS];
            if start >= span {
                an.power_of_sum_band(audio, start - span, frames, &mut prev, band.clone());
            }
            let mut spectra: Vec<[f32; BINS]> = Vec::with_capacity(count);
            for t in 0..count {
                an.power_of_sum_band(audio, start + t * span, frames, &mut power, band.clone());
                spectra.push(spectrum_array(&power));
            }
            sequence(p, &prev, &mut spectra);
            spectra.iter().for_each(|s| each(s));
        }
        Reading::Plain => {
            for t in 0..count {
                an.power_of_sum_band(
                    audio,
                    start + t * span,
                    p.frames_per_tx,
                    &mut power,
                    band.clone(),
                );
                each(&power);
            }
        }
        Reading::Feedback => {
            let slots = p.nibble_slots();
            let mut prev = [0f32; BINS];
            if start >= span {
                an.power_of_sum_band(
                    audio,
                    start - span,
                    p.frames_per_tx,
                    &mut prev,
                    band.clone(),
                );
            }
            let mut tail = [0f32; BINS];
            let mut diff = [0f32; BINS];
            let mut beta = -1.0;
            for t in 0..count {
                an.power_of_sum_band(
                    audio,
                    start + t * span,
                    p.frames_per_tx,
                    &mut power,
                    band.clone(),
                );
                if beta < 0.0 {
                    beta = carry_over(p, &prev, &power);
                    for (tl, &q) in tail.iter_mut().zip(&prev) {
                        *tl = beta * q;
                    }
                }
                for ((d, &c), &q) in diff.iter_mut().zip(&power).zip(&tail) {
                    *d = at_least(c - q, 0.0);
                }
                each(&diff);
                let mut decided = [false; BINS];
                for q in 0..slots {
                    let base = p.freq_start + 16 * q;
                    if base + 16 > BINS {
                        break;
                    }
                    let arg =
                        (base..base + 16).fold(base, |a, k| if diff[k] > diff[a] { k } else { a });
                    decided[arg] = true;
                }
                for k in 0..BINS {
                    let direct = if decided[k] { diff[k] } else { 0.0 };
                    tail[k] = beta * (tail[k] + direct);
                }
            }
        }
        Reading::Dereverb
        | Reading::DereverbLate
        | Reading::DereverbLastThird
        | Reading::DereverbStrong
        | Reading::Joined => {
            let skip = match reading {
                Reading::DereverbLate => usize::from(p.frames_per_tx > 2),
                Reading::DereverbLastThird => p.frames_per_tx - (p.frames_per_tx / 3).max(1),
                _ => 0,
            };
            let strong = reading == Reading::DereverbStrong;
            let (start, frames) = (start + skip * FRAME, p.frames_per_tx - skip);
            let mut prev = [0f32; BINS];
            if start >= span {
                an.power_of_sum_band(audio, start - span, frames, &mut prev, band.clone());
            }
            let mut diff = [0f32; BINS];
            let mut beta = -1.0;
            for t in 0..count {
                an.power_of_sum_band(audio, start + t * span, frames, &mut power, band.clone());
                if beta < 0.0 {
                    beta = carry_over(p, &prev, &power);
                    if strong {
                        beta = (1.5 * beta).min(0.98);
                    }
                }
                for ((d, &c), &q) in diff.iter_mut().zip(&power).zip(&prev) {
                    *d = at_least(c - beta * q, 0.0);
                }
                each(&diff);
                prev = power;
            }
        }
    }
}

/// [`Reading::Sequence`]'s model (measured on `scripts/bench-channels` rooms, seed 2026; see
/// docs/robustness.md): a new tone adds `SEQ_ON` times the marker tones' level to its bin, the
/// carry-over per symbol is `SEQ_CARRY` times the one measured on the marker for a bin just
/// decided and `SEQ_DECAY` times that for older tails, and every bin holds `SEQ_FLOOR` times
/// the new-tone level of noise and model error besides its tail.
const SEQ_ON: f32 = 3.0;
const SEQ_CARRY: f32 = 0.7;
const SEQ_DECAY: f32 = 1.2;
const SEQ_FLOOR: f32 = 0.02;
/// The log-likelihood margin given to a value the best path decided against its symbol's own
/// likelihood ratio.
const SEQ_OVERRULED: f64 = 0.1;

/// [`Reading::Sequence`]: the tones of each nibble slot decided as a sequence rather than one
/// symbol at a time. `spectra` are the symbols' powers (each over its frames after the first),
/// `prev` the window before the first (the start marker's end). A bin's power is taken as
/// exponentially distributed (a reverberant field: many reflections of random phase) around
/// its tail plus, when its tone is sent, the new tone's level `d`; the tail of a bin just
/// decided becomes `β` times (its tail + `d`), any other tail decays by `β·SEQ_DECAY`. The
/// most likely sequence is searched Viterbi-style, one survivor (with its own tails) per last
/// value, so a symbol decided wrongly (the previous tone's tail read as the tone) makes the
/// next symbols' tails unexplained and loses to the path that decided it right. Each spectrum's
/// data bins are replaced by the likelihood ratio of each value given the best path's tails
/// (normalised to 1 for the best), so the reading has a confidence and a runner-up as others;
/// where the path decided another value than that ratio's best, the path's value is put on top
/// by [`SEQ_OVERRULED`].
pub fn sequence(p: &Protocol, prev: &[f32; BINS], spectra: &mut [[f32; BINS]]) {
    let Some(first) = spectra.first() else {
        return;
    };
    let beta = (carry_over(p, prev, first) * SEQ_CARRY).min(0.98);
    let decay = (beta * SEQ_DECAY).min(0.98);
    let mut on: Vec<f32> = crate::frame::marker_bins(crate::frame::Marker::Start)
        .iter()
        .filter_map(|&b| prev.get(p.freq_start + b).copied())
        .collect();
    on.sort_by(|a, b| a.total_cmp(b));
    let d = on.get(on.len() / 2).copied().unwrap_or(1.0).max(1e-20) * SEQ_ON;
    let floor = d * SEQ_FLOOR;
    let d = d as f64;
    // −log-likelihood terms of a bin of power `y` whose mean is `m` without its tone, and the
    // log-likelihood ratio of its tone being sent.
    let llr = |m: f64, y: f64| -> (f64, f64) {
        let off = m.ln() + y / m;
        (off, off - (m + d).ln() - y / (m + d))
    };
    let count = spectra.len();
    for q in 0..p.nibble_slots() {
        let base = p.freq_start + 16 * q;
        if base + 16 > BINS {
            break;
        }
        let mut init = [0f32; 16];
        for (t, &v) in init.iter_mut().zip(&prev[base..base + 16]) {
            *t = beta * v;
        }
        // Survivors (metric, tails); `back[t][v]`: the survivor at `t` the best path to `v` came
        // from; `tails[t]`: the survivors' tails at `t`.
        let mut surv: Vec<(f64, [f32; 16])> = vec![(0.0, init)];
        let mut back: Vec<[usize; 16]> = Vec::with_capacity(count);
        let mut tails: Vec<Vec<[f32; 16]>> = Vec::with_capacity(count);
        for s in spectra.iter() {
            let y = &s[base..base + 16];
            let mut next = [(f64::INFINITY, 0usize); 16];
            for (ui, (mu, tail)) in surv.iter().enumerate() {
                let mut total = 0f64;
                let mut gain = [0f64; 16];
                for k in 0..16 {
                    let (off, g) = llr((tail[k] + floor) as f64, y[k] as f64);
                    total += off;
                    gain[k] = g;
                }
                for (v, n) in next.iter_mut().enumerate() {
                    let c = mu + total - gain[v];
                    if c < n.0 {
                        *n = (c, ui);
                    }
                }
            }
            let mut bp = [0usize; 16];
            let mut grown = Vec::with_capacity(16);
            for (v, &(c, ui)) in next.iter().enumerate() {
                let tail = &surv[ui].1;
                let mut nt = [0f32; 16];
                for (k, t) in nt.iter_mut().enumerate() {
                    *t = if k == v {
                        beta * (tail[k] + d as f32)
                    } else {
                        decay * tail[k]
                    };
                }
                grown.push((c, nt));
                bp[v] = ui;
            }
            tails.push(surv.iter().map(|x| x.1).collect());
            back.push(bp);
            surv = grown;
        }
        let mut v = (0..surv.len())
            .min_by(|&a, &b| surv[a].0.total_cmp(&surv[b].0))
            .unwrap_or(0);
        // `path[t]`: the survivor the best path leaves step `t` from, i.e. the value it decided
        // at `t − 1` (at 0, the one start); `chosen[t]`: the value it decides at `t`.
        let mut chosen = vec![v; count];
        let mut path = vec![0usize; count];
        for t in (0..count).rev() {
            chosen[t] = v;
            path[t] = back[t][v];
            v = path[t];
        }
        for (t, s) in spectra.iter_mut().enumerate() {
            let tail = &tails[t][path[t]];
            let mut gain = [0f64; 16];
            for k in 0..16 {
                gain[k] = llr((tail[k] + floor) as f64, s[base + k] as f64).1;
            }
            let mut top = gain.iter().fold(f64::MIN, |a, &b| a.max(b));
            // The path's decision wins even where this symbol alone would pick another value
            // (the symbols after it decided: that is the point of the search), by a small
            // margin, so that its confidence is low and the word search tries the other.
            let c = chosen[t];
            if gain[c] < top {
                top += SEQ_OVERRULED;
                gain[c] = top;
            }
            for k in 0..16 {
                s[base + k] = (gain[k] - top).max(-80.0).exp() as f32;
            }
        }
    }
}

/// A spectrum as a fixed array (bins past its end are 0).
pub fn spectrum_array(s: &[f32]) -> [f32; BINS] {
    let mut v = [0f32; BINS];
    let n = s.len().min(BINS);
    v[..n].copy_from_slice(&s[..n]);
    v
}

/// Weight of the fallback level in [`equalise`]'s estimate, in symbols.
const EQ_PRIOR: f64 = 0.5;

/// [`Reading::Equalised`]: divide each data bin of `spectra` (one per symbol) by its estimated
/// "on" level. Each nibble is first read as it is (the arg-max of its 16 bins); a bin's level is
/// the mean power of the symbols that picked it, shrunk towards the median level of the picked
/// bins of its 16 (`EQ_PRIOR` symbols' worth), which bins never picked take as is.
pub fn equalise(p: &Protocol, spectra: &mut [[f32; BINS]]) {
    let slots = p.nibble_slots();
    let lo = p.freq_start;
    let slots = slots.min(BINS.saturating_sub(lo) / 16);
    let mut sum = vec![0f64; 16 * slots];
    let mut n = vec![0u32; 16 * slots];
    for s in spectra.iter() {
        for q in 0..slots {
            let b = lo + 16 * q;
            let arg = (b..b + 16).fold(b, |a, k| if s[k] > s[a] { k } else { a });
            sum[arg - lo] += s[arg] as f64;
            n[arg - lo] += 1;
        }
    }
    let mut level = vec![0f32; 16 * slots];
    for q in 0..slots {
        let r = 16 * q..16 * q + 16;
        let mut picked: Vec<f64> = r
            .clone()
            .filter(|&k| n[k] > 0)
            .map(|k| sum[k] / n[k] as f64)
            .collect();
        if picked.is_empty() {
            level[r].fill(1.0);
            continue;
        }
        picked.sort_by(|a, b| a.total_cmp(b));
        let fallback = picked[picked.len() / 2];
        for k in r {
            let l = (sum[k] + EQ_PRIOR * fallback) / (n[k] as f64 + EQ_PRIOR);
            level[k] = (l as f32).max(1e-20);
        }
    }
    for s in spectra.iter_mut() {
        for (v, &l) in s[lo..lo + 16 * slots].iter_mut().zip(&level) {
            *v /= l;
        }
    }
}

/// Correct `word` (`nsym` parity bytes at the end): errors only first, then with the least
/// confident bytes erased, 2 at a time, up to `max_erasures`. Returns bytes changed.
///
/// Erasing all `nsym` positions always "succeeds" (it just recomputes them), and with only 2
/// check symbols left a random word passes about 5 % of the time, so both receivers keep at least
/// 4 check symbols unerased (a random word then passes with probability below 1e-3).
///
/// `worth_erasing` is asked once, before the first erasure trial: a caller that would reject any
/// corrected word without some other evidence (the variable-length receiver's end marker) checks
/// that evidence there, so a wrong candidate fails before its 2·⌊max_erasures/2⌋ trials.
pub fn correct_soft(
    word: &mut [u8],
    conf: &[f32],
    nsym: usize,
    max_erasures: usize,
    worth_erasing: impl FnOnce() -> bool,
) -> Option<usize> {
    correct_soft_strict(
        word,
        conf,
        nsym,
        max_erasures,
        usize::MAX,
        f64::INFINITY,
        worth_erasing,
    )
}

/// The payload readers accept a correction only when a random word would pass its trial with
/// at most this probability (see [`pass_chance`]).
pub const MAX_PASS_CHANCE: f64 = 1e-5;

/// The probability that a random word of `n` bytes with `nsym` parity bytes, `erased` of its
/// positions erased, is corrected with at most `errors` bytes changed outside the erasures.
///
/// Erasing `e` positions leaves the word as a word of the code punctured there: `n − e` bytes
/// with `nsym − e` checks, still maximum-distance separable, so its `256^(n − nsym)` code words
/// are spread over `256^(n − e)` words. The balls of radius `c` around them (`2c ≤ nsym − e`)
/// are disjoint and hold `Σ_{i≤c} C(n − e, i)·255^i` words each: a random word lands in one with
/// probability `Σ_{i≤c} C(n − e, i)·255^i / 256^(nsym − e)`. "Hello World" (11 bytes, 4 parity
/// bytes, no erasures): 1 byte 9e-7, 2 bytes 1.6e-3.
pub fn pass_chance(n: usize, nsym: usize, erased: usize, errors: usize) -> f64 {
    let (m, r) = (n.saturating_sub(erased), nsym.saturating_sub(erased));
    // Term i: C(m, i)·255^i·256^-r, each from the previous one.
    let mut term = 256f64.powi(-(r as i32));
    let mut sum = term;
    for i in 0..errors.min(m) {
        term *= (m - i) as f64 / (i + 1) as f64 * 255.0;
        sum += term;
    }
    sum
}

/// [`correct_soft`], except that a corrected word is only accepted when at most `max_errors` of
/// the bytes it changed lie outside the erased positions (with no erasures: at most `max_errors`
/// bytes changed), and when a random word would pass that trial with that many such changes with
/// probability at most `max_chance` ([`pass_chance`]; an exact word, or one whose changes are
/// all erasures, always passes: both receivers keep at least 4 checks unerased).
///
/// The room readings try every timing offset two more ways, many more trials per start marker
/// than the plain reading: with at most one error beside the erasures and 4 check symbols kept,
/// a random word passes a trial with probability about `n·255/256⁴` (≈ 5e-6) instead of
/// `C(n,2)·255²/256⁴`. The plain reading (and the fixed-length receiver) bound the chance alone
/// ([`MAX_PASS_CHANCE`]): with 4 parity bytes that also refuses 2 bytes corrected (1.6e-3 for
/// "Hello World"), with 6 (15-19 byte payloads) 3, with 2 (under 4 bytes) any; codes of 8 parity
/// bytes and more keep their full radius without erasures.
pub fn correct_soft_strict(
    word: &mut [u8],
    conf: &[f32],
    nsym: usize,
    max_erasures: usize,
    max_errors: usize,
    max_chance: f64,
    worth_erasing: impl FnOnce() -> bool,
) -> Option<usize> {
    let n = word.len();
    let accept = |errors: usize, erased: usize| {
        errors <= max_errors
            && (errors == 0
                || max_chance.is_infinite()
                || pass_chance(n, nsym, erased, errors) <= max_chance)
    };
    // The syndromes do not depend on the erasures: compute them once for every trial.
    let synd = reed_solomon::syndromes(word, nsym).ok()?;
    if max_errors == usize::MAX && max_chance.is_infinite() {
        if let Ok(c) = reed_solomon::correct_with_syndromes(word, nsym, &synd, &[]) {
            return Some(c.changed);
        }
    } else {
        let mut trial = word.to_vec();
        match reed_solomon::correct_with_syndromes(&mut trial, nsym, &synd, &[]) {
            Ok(c) if accept(c.changed, 0) => {
                word.copy_from_slice(&trial);
                return Some(c.changed);
            }
            _ => {}
        }
    }
    if nsym.min(max_erasures) < 2 || !worth_erasing() {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| conf[a].total_cmp(&conf[b]));
    let mut e = 2;
    while e <= nsym.min(max_erasures) {
        let mut trial = word.to_vec();
        let erased = &order[..e.min(order.len())];
        if let Ok(c) = reed_solomon::correct_with_syndromes(&mut trial, nsym, &synd, erased) {
            let errors = (0..n)
                .filter(|&i| trial[i] != word[i] && !erased.contains(&i))
                .count();
            if accept(errors, erased.len()) {
                word.copy_from_slice(&trial);
                return Some(c.changed);
            }
        }
        e += 2;
    }
    None
}

/// Votes per nibble: one per [`JOINED`] reading, and the last one their soft sum (each
/// reading's 16 bins of the nibble, normalised to sum 1, added up).
pub const VOTES: usize = JOINED.len() + 1;

/// One nibble as each of the [`JOINED`] readings read it, and their soft sum (see [`VOTES`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Votes {
    /// Each reading's value.
    pub best: [u8; VOTES],
    /// Each reading's runner-up value.
    pub runner: [u8; VOTES],
    /// Each reading's confidence (see [`Nibbles`]).
    pub conf: [f32; VOTES],
}

impl Votes {
    /// The value the word search starts from: [`Reading::Sequence`]'s (in the rooms of
    /// `scripts/bench-channels` it misreads about half as many nibbles as the best other reading
    /// at the best offset, and a weighted majority of all the votes twice as many as it does:
    /// docs/robustness.md). The other readings' values are the alternatives searched.
    pub(super) fn consensus(&self) -> u8 {
        self.best[SEQUENCE_VOTE]
    }

    /// How many different values the readings read.
    pub(super) fn distinct(&self) -> usize {
        let b = &self.best;
        (0..b.len()).filter(|&i| !b[..i].contains(&b[i])).count()
    }

    /// The confidence of the consensus: the least of the agreeing readings'.
    fn support(&self) -> f32 {
        let c = self.consensus();
        (0..VOTES)
            .filter(|&r| self.best[r] == c)
            .map(|r| self.conf[r])
            .fold(f32::INFINITY, f32::min)
            .min(1e9)
    }
}

/// Search the code word (`nsym` parity bytes at the end) that the joined readings `votes` (two
/// nibbles a byte, low first) read, among:
/// - the consensus word, with each nibble the readings disagree on set to any of their values
///   (the least supported first, at most `combos` such words),
/// - each of those with one more nibble changed to a value some reading read or ranked second
///   (the least supported nibbles first, at most `words` candidate words in all).
///
/// Only an exact code word is accepted (all syndromes zero: no correction), and only when the
/// search finds exactly one: a random word passes a trial with probability 2^(-8·nsym), so with
/// 4 parity bytes and 16384 candidates about 4e-6. Returns the word and the bytes changed from the
/// consensus.
pub fn search_word(
    votes: &[Votes],
    nsym: usize,
    combos: usize,
    words: usize,
) -> Option<(Vec<u8>, usize)> {
    let n = votes.len() / 2;
    let cons: Vec<u8> = votes.iter().map(Votes::consensus).collect();
    let base: Vec<u8> = (0..n)
        .map(|j| cons[2 * j] | (cons[2 * j + 1] << 4))
        .collect();
    let s0 = reed_solomon::syndromes(&base, nsym).ok()?;
    // A nibble change as a byte position, XOR mask and its syndromes (they add up: the code is
    // linear, so a word's syndromes are the consensus's plus its changes').
    let change = |i: usize, v: u8| -> (usize, u8, Vec<u8>) {
        let mask = (v ^ cons[i]) << (4 * (i % 2));
        let mut z = vec![0u8; n];
        z[i / 2] = mask;
        let s = reed_solomon::syndromes(&z, nsym).unwrap_or_default();
        (i / 2, mask, s)
    };
    let others = |i: usize| -> Vec<u8> {
        let mut v: Vec<u8> = votes[i]
            .best
            .iter()
            .copied()
            .filter(|&x| x != cons[i])
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Nibbles the readings disagree on, three-way first, then the least supported.
    let mut split: Vec<usize> = (0..votes.len())
        .filter(|&i| votes[i].distinct() > 1)
        .collect();
    split.sort_by(|&a, &b| {
        (votes[b].distinct(), votes[a].support())
            .partial_cmp(&(votes[a].distinct(), votes[b].support()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut choices: Vec<Vec<(usize, u8, Vec<u8>)>> = Vec::new();
    let mut count = 1usize;
    let mut chosen = vec![false; votes.len()];
    for i in split {
        let vals = others(i);
        if count * (vals.len() + 1) > combos {
            continue;
        }
        count *= vals.len() + 1;
        chosen[i] = true;
        choices.push(vals.into_iter().map(|v| change(i, v)).collect());
    }
    // Single changes, least supported nibbles first.
    let room = (words / count).saturating_sub(1);
    let mut order: Vec<usize> = (0..votes.len()).collect();
    order.sort_by(|&a, &b| votes[a].support().total_cmp(&votes[b].support()));
    let mut singles: std::collections::HashMap<Vec<u8>, (usize, u8)> =
        std::collections::HashMap::new();
    'fill: for i in order {
        let mut vals: Vec<u8> = votes[i].runner.to_vec();
        if !chosen[i] {
            vals.extend(others(i));
        }
        vals.sort_unstable();
        vals.dedup();
        for v in vals.into_iter().filter(|&v| v != cons[i]) {
            if singles.len() >= room {
                break 'fill;
            }
            let (j, mask, s) = change(i, v);
            singles.insert(s, (j, mask));
        }
    }
    let mut found: Option<Vec<u8>> = None;
    let mut digits = vec![0usize; choices.len()];
    for _ in 0..count {
        let mut s = s0.clone();
        let mut word = base.clone();
        for (c, &d) in choices.iter().zip(&digits) {
            if d > 0 {
                let (j, mask, ref cs) = c[d - 1];
                word[j] ^= mask;
                s.iter_mut().zip(cs).for_each(|(a, b)| *a ^= b);
            }
        }
        let hit = if s.iter().all(|&x| x == 0) {
            true
        } else if let Some(&(j, mask)) = singles.get(&s) {
            word[j] ^= mask;
            true
        } else {
            false
        };
        if hit {
            match &found {
                Some(w) if *w != word => return None,
                _ => found = Some(word),
            }
        }
        // Next combination (mixed radix).
        for (d, c) in digits.iter_mut().zip(&choices) {
            *d += 1;
            if *d <= c.len() {
                break;
            }
            *d = 0;
        }
    }
    let word = found?;
    let changed = word.iter().zip(&base).filter(|(a, b)| a != b).count();
    Some((word, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`pass_chance`] against counted random words: short codes with 2 checks left (so that a
    /// few thousand words show it), without and with 2 erasures.
    #[test]
    fn pass_chance_matches_random_words() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        };
        // (n, nsym, erased): 1 error beside the erasures, 2 checks left.
        for (n, nsym, erased) in [(5, 2, 0), (8, 4, 2)] {
            let trials = 40_000;
            let mut passed = 0;
            for _ in 0..trials {
                let mut word: Vec<u8> = (0..n).map(|_| next()).collect();
                let before = word.clone();
                let er: Vec<usize> = (0..erased).collect();
                if reed_solomon::correct(&mut word, nsym, &er).is_ok() {
                    let errors = (0..n)
                        .filter(|&i| word[i] != before[i] && !er.contains(&i))
                        .count();
                    passed += usize::from(errors <= 1);
                }
            }
            let want = pass_chance(n, nsym, erased, 1);
            let got = passed as f64 / trials as f64;
            assert!(
                (got - want).abs() < 0.15 * want,
                "n {n}, nsym {nsym}, erased {erased}: {got} passed, {want} expected"
            );
        }
        // "Hello World": 15 bytes, 4 parity bytes.
        assert!((pass_chance(15, 4, 0, 1) - 8.9e-7).abs() < 0.1e-7);
        assert!((pass_chance(15, 4, 0, 2) - 1.59e-3).abs() < 0.01e-3);
    }
}

//! Reading symbols: nibble arg-maxes with a confidence each, and Reed-Solomon with erasures of
//! the least confident bytes.

use super::spectrum::{Analyzer, BINS};
use crate::protocol::{Protocol, FRAME};
use crate::reed_solomon;

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
        let slots = if p.is_mono_tone() {
            1
        } else {
            2 * p.bytes_per_tx
        };
        // Confidence is measured against a floor relative to the strongest bin of the band, so
        // near-silent slots (numerical dust) do not look confident.
        let band =
            &power[p.freq_start.min(power.len())..(p.freq_start + 16 * slots).min(power.len())];
        let floor = band.iter().fold(0f32, |m, &v| m.max(v)) * 1e-4 + 1e-20;
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
                .push(((best + floor) / (second.max(0.0) + floor)).ln());
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

/// Read `count` symbols of protocol `p` starting at sample `start`, each the coherent sum of its
/// frames (tones are phase-continuous across frames, so noise averages out and tones do not).
pub fn read_symbols(
    an: &mut Analyzer,
    audio: &[f32],
    p: &Protocol,
    start: usize,
    count: usize,
    out: &mut Nibbles,
) {
    let mut power = [0f32; BINS];
    let span = p.frames_per_tx * FRAME;
    for t in 0..count {
        an.power_of_sum(audio, start + t * span, p.frames_per_tx, &mut power);
        out.push_spectrum(p, &power);
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
    // The syndromes do not depend on the erasures: compute them once for every trial.
    let synd = reed_solomon::syndromes(word, nsym).ok()?;
    if let Ok(c) = reed_solomon::correct_with_syndromes(word, nsym, &synd, &[]) {
        return Some(c.changed);
    }
    if nsym.min(max_erasures) < 2 || !worth_erasing() {
        return None;
    }
    let mut order: Vec<usize> = (0..word.len()).collect();
    order.sort_by(|&a, &b| conf[a].total_cmp(&conf[b]));
    let mut e = 2;
    while e <= nsym.min(max_erasures) {
        let mut trial = word.to_vec();
        if let Ok(c) = reed_solomon::correct_with_syndromes(
            &mut trial,
            nsym,
            &synd,
            &order[..e.min(order.len())],
        ) {
            word.copy_from_slice(&trial);
            return Some(c.changed);
        }
        e += 2;
    }
    None
}

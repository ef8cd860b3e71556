//! Fixed-length mode: no markers and no header, so every position and every protocol is a
//! candidate. Spectra at a hop of 1/4 frame; a symbol is the power summed over its frames; a
//! position is read only when its first symbol has clear tones; a read counts when Reed-Solomon
//! accepts it, and a message is reported once per transmission, when neighbouring positions
//! agree (or the read needed no correction at all with at least 4 parity bytes). Neighbouring
//! positions read nearly the same sound, so their agreement is weak evidence against a word the
//! sound itself structures: a mono-tone protocol reading a dual-tone transmission of twice its
//! symbol length hears each low tone twice. A mono-tone read of a 2-parity word (payloads under
//! 4 bytes) is therefore also refused when the upper half of its marker band, where a dual-tone
//! transmission's high tones sound, holds more than noise ([`MAX_UPPER`]). More generally a
//! 2-parity read must sound like its own protocol and no other's: a word whose symbols come in
//! runs (a faster protocol reading a slower one on its band) is refused when the slower
//! protocol's symbols hold tones after it or in the unused upper half
//! ([`Symbols::slower_explains`]), and both slots of a dual-tone read must carry tones
//! ([`MIN_SLOT_SHARE`]; one reading a mono-tone transmission hears noise in its upper slot).

use super::diagnose::{band_width, BandSums};
use super::read::{at_least, correct_soft_strict, Nibbles, MAX_PASS_CHANCE};
use super::spectrum::{Analyzer, BINS};
use super::Message;
use crate::frame::{self, ecc_len};
use crate::protocol::{Protocol, FRAME, PROTOCOLS, SAMPLE_RATE};

const HOP: usize = FRAME / 4;
/// Silence added at both ends, in samples.
const PAD: usize = 2 * FRAME;
/// Mean nibble confidence (ln of best/runner-up) the first symbol needs before a full read.
const GATE: f32 = 0.8;
/// Share of the band's power the decoded tones must hold.
const MIN_EXPLAINED: f32 = 0.25;
/// For a mono-tone read of a 2-parity word: the most power per bin the upper, unused half of the
/// marker band may hold, relative to the lower half's bins without a tone. Noise gives about 1
/// (99th percentile 1.03-1.11 in white noise at -17 dB); a dual-tone transmission read as
/// mono-tone gives at least about 1.25 wherever its tones explain a quarter of the lower half.
const MAX_UPPER: f32 = 1.2;
/// For a dual-tone 2-parity read: the least share of its own power the weaker 16-bin slot's tones
/// may hold, relative to the whole band's share. A dual-tone read of a mono-tone transmission
/// hears noise in its upper slots: 0.11-0.12 there against 0.38-0.61 in all ([MT] Fastest read
/// as [DT] Fast at -10 dB).
const MIN_SLOT_SHARE: f32 = 0.5;
/// [`Symbols::slower_explains`]: the share the strongest bins of a slower protocol's symbols
/// must hold, relative to the read's own share (0.19 against 0.26 for the rest of an [MT] Fast
/// transmission read as [MT] Fastest at -20 dB; 0.21-0.22 against 0.26-0.28 in the upper half
/// when a [DT] Fast one is), and at least this much (noise: median 0.12, 99th percentile 0.16).
const SLOWER_PEAKS: f32 = 0.6;
const PEAKS_FLOOR: f32 = 0.15;

struct Read {
    protocol: &'static Protocol,
    pos: usize,
    payload: Vec<u8>,
    changed: usize,
    conf: f32,
    snr_db: f64,
}

pub(crate) fn decode(audio: &[f32], len: usize, dss: bool, nyquist: f64) -> Vec<Message> {
    let (spectra, positions) = spectrogram(audio);
    let mut reads: Vec<Read> = Vec::new();
    for p in PROTOCOLS.iter().filter(|p| p.max_hz() < nyquist * 0.98) {
        read_protocol(p, &spectra, positions, len, &mut reads);
    }
    cluster(reads, len, dss)
}

/// Power spectra at every hop of the audio padded with silence, and how many there are.
fn spectrogram(audio: &[f32]) -> (Vec<f32>, usize) {
    // Transmissions may start or end exactly at the file's edges (ggwave writes no padding):
    // pad with silence so that every position near the edges can be read.
    let mut padded = vec![0f32; PAD];
    padded.extend_from_slice(audio);
    padded.resize(padded.len() + PAD, 0.0);
    let audio = &padded[..];
    let mut an = Analyzer::new();
    let positions = if audio.len() >= FRAME {
        (audio.len() - FRAME) / HOP + 1
    } else {
        0
    };
    let mut spectra = vec![0f32; positions * BINS];
    for (k, row) in spectra.chunks_exact_mut(BINS).enumerate() {
        an.power(&audio[k * HOP..k * HOP + FRAME], row);
    }
    (spectra, positions)
}

/// The spectra seen as one protocol's symbols.
struct Symbols<'a> {
    p: &'static Protocol,
    spectra: &'a [f32],
    hops_per_symbol: usize,
}

impl Symbols<'_> {
    /// The power of symbol `t` of a transmission starting at hop `pos`: summed over its frames.
    fn power(&self, pos: usize, t: usize, out: &mut [f32; BINS]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        for k in 0..self.p.frames_per_tx {
            let row = pos + t * self.hops_per_symbol + k * (FRAME / HOP);
            for (o, &v) in out
                .iter_mut()
                .zip(&self.spectra[row * BINS..(row + 1) * BINS])
            {
                *o += v;
            }
        }
    }

    /// How much of the band's power the code word's tones hold: ~1 for a clean transmission,
    /// ~0.3 at -10 dB, ~1/16 for noise that RS happened to accept; and the band SNR of the read.
    fn explained(&self, pos: usize, word: &[u8], power: &mut [f32; BINS]) -> Explained {
        let p = self.p;
        let slots = p.nibble_slots();
        // The band the protocol's markers span: 32 bins for the mono-tone protocols too, whose
        // data tones use only the lower 16.
        let wide = (16 * slots).max(32);
        let mut upper = 0f64;
        // Per 16-bin slot (at most 6: 3 bytes a symbol): the tones' power and all power.
        let (mut slot_hit, mut slot_all) = ([0f64; 6], [0f64; 6]);
        let mut sums = BandSums::default();
        for (t, tones) in frame::symbols(p, word).iter().enumerate() {
            self.power(pos, t, power);
            for (q, all) in slot_all.iter_mut().enumerate().take(slots) {
                let base = p.freq_start + 16 * q;
                *all += power[base..base + 16]
                    .iter()
                    .map(|&v| v as f64)
                    .sum::<f64>();
            }
            for &r in tones {
                slot_hit[r / 16] += power[p.freq_start + r] as f64;
            }
            upper += power[p.freq_start + 16 * slots..p.freq_start + wide]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>();
            sums.add(&power[p.freq_start..p.freq_start + band_width(p)], tones);
        }
        let (hit, all) = (slot_hit.iter().sum::<f64>(), slot_all.iter().sum::<f64>());
        // Symbols are sums of frame powers: no coherent gain to divide out.
        Explained {
            own: (hit / (all + 1e-30)) as f32,
            upper: ((upper / (wide - 16 * slots).max(1) as f64)
                / ((all - hit) / (16 * slots - 1) as f64 + 1e-30)) as f32,
            snr_db: sums.snr_db(1.0),
            slot_own: (0..slots)
                .map(|q| (slot_hit[q] / (slot_all[q] + 1e-30)) as f32)
                .fold(f32::INFINITY, f32::min),
        }
    }
}

/// The run length `r` (2 or 3) when a read's symbols come in runs of `r` equal symbols at some
/// alignment (at least two whole runs): what a protocol reads from a transmission on its band with
/// `r` times its symbol length.
fn runs(symbols: &[Vec<usize>]) -> Option<usize> {
    [2usize, 3].into_iter().find(|&r| {
        (0..r).any(|a| {
            let groups = symbols.len().saturating_sub(a) / r;
            groups >= 2
                && symbols[a..a + groups * r]
                    .chunks_exact(r)
                    .all(|run| run.iter().all(|s| s == &run[0]))
        })
    })
}

impl Symbols<'_> {
    /// Whether a slower protocol on the same band explains a read at `pos` of `symbols` symbols
    /// whose word comes in runs of `r`: its `r`-symbol groups hold tones after the read (the rest
    /// of a slower transmission) or, for a mono-tone read, in the upper half of the marker band
    /// (a dual-tone transmission's high tones). "Hold tones": the strongest bin of each 16 holds
    /// at least [`SLOWER_PEAKS`] of the read's own share, and at least [`PEAKS_FLOOR`].
    fn slower_explains(
        &self,
        pos: usize,
        symbols: usize,
        word: &[u8],
        own: f32,
        power: &mut [f32; BINS],
    ) -> bool {
        let Some(r) = runs(&frame::symbols(self.p, word)) else {
            return false;
        };
        let floor = (SLOWER_PEAKS * own).max(PEAKS_FLOOR);
        let slots = self.p.nibble_slots();
        let holds = |v: Option<f32>| v.is_some_and(|v| v >= floor);
        holds(self.peak_share(pos, symbols..(r * symbols), r, 0..slots, power))
            || (self.p.is_mono_tone() && holds(self.peak_share(pos, 0..symbols, r, 1..2, power)))
    }

    /// The share of the power of 16-bin slots `slots` that their strongest bins hold, over the
    /// groups of `group` symbols (summed) among symbols `range` of a read at `pos` that the audio
    /// holds; None when it holds none.
    fn peak_share(
        &self,
        pos: usize,
        range: std::ops::Range<usize>,
        group: usize,
        slots: std::ops::Range<usize>,
        power: &mut [f32; BINS],
    ) -> Option<f32> {
        let p = self.p;
        let rows = self.spectra.len() / BINS;
        // Symbol `t` reads up to row pos + t·hops + frames·(FRAME / HOP) − 1.
        let fits =
            |t: usize| pos + t * self.hops_per_symbol + p.frames_per_tx * (FRAME / HOP) <= rows;
        let (mut peaks, mut all) = (0f64, 0f64);
        let mut sum = [0f32; BINS];
        let mut t = range.start;
        while t + group <= range.end && fits(t + group - 1) {
            sum.fill(0.0);
            for k in 0..group {
                self.power(pos, t + k, power);
                sum.iter_mut().zip(power.iter()).for_each(|(a, &b)| *a += b);
            }
            for q in slots.clone() {
                let bins = &sum[p.freq_start + 16 * q..p.freq_start + 16 * (q + 1)];
                peaks += bins.iter().fold(0f32, |m, &v| at_least(v, m)) as f64;
                all += bins.iter().map(|&v| v as f64).sum::<f64>();
            }
            t += group;
        }
        (all > 0.0).then_some((peaks / all) as f32)
    }
}

/// The share of the data band's power the code word's tones hold (`own`); the power per bin in
/// the part of the marker band without data tones (the upper 16 bins of a mono-tone protocol)
/// relative to the data band's bins without a tone (`upper`: ~1 for noise, 0 where there is no
/// such part); and the band SNR.
struct Explained {
    own: f32,
    slot_own: f32,
    upper: f32,
    snr_db: f64,
}

/// Every position where protocol `p` reads as a fixed-length transmission of `len` bytes that
/// Reed-Solomon accepts and the tones explain: appended to `reads`.
fn read_protocol(
    p: &'static Protocol,
    spectra: &[f32],
    positions: usize,
    len: usize,
    reads: &mut Vec<Read>,
) {
    let n = frame::stream_len(len, frame::Mode::Fixed);
    let nsym = ecc_len(len);
    let symbols = frame::symbol_count(p, n);
    let hops_per_symbol = p.frames_per_tx * FRAME / HOP;
    let span = symbols * hops_per_symbol;
    // The last frame read starts at row `pos + span - FRAME / HOP`.
    let last_row = span - FRAME / HOP;
    if positions <= last_row {
        return;
    }
    let sym = Symbols {
        p,
        spectra,
        hops_per_symbol,
    };
    let mut power = [0f32; BINS];
    for pos in 0..positions - last_row {
        let mut nib = Nibbles::default();
        sym.power(pos, 0, &mut power);
        nib.push_spectrum(p, &power);
        let mean = nib.conf.iter().sum::<f32>() / nib.conf.len() as f32;
        if mean < GATE {
            continue;
        }
        for t in 1..symbols {
            sym.power(pos, t, &mut power);
            nib.push_spectrum(p, &power);
        }
        let (bytes, conf) = nib.bytes();
        let mut word = bytes[..n].to_vec();
        // Every position of every protocol is a trial: a correction a random word passes too
        // easily (2 bytes of a 4-parity word: 1.6e-3 for 11 bytes) is refused, as in the
        // variable-length receiver.
        let Some(changed) = correct_soft_strict(
            &mut word,
            &conf[..n],
            nsym,
            nsym.saturating_sub(4),
            usize::MAX,
            MAX_PASS_CHANCE,
            || true,
        ) else {
            continue;
        };
        let e = sym.explained(pos, &word, &mut power);
        // A 2-parity word (1 in 65536 random words passes) must also sound like this protocol's
        // transmission and no other's: for a mono-tone read, the upper half of the marker band
        // holds only noise (a dual-tone transmission read as mono-tone of half its symbol length,
        // e.g. [DT] Fast as [MT] Fastest, gives each low tone twice, while its high tones sound
        // there); both slots of a dual-tone read carry tones (one of a mono-tone transmission
        // hears noise in its upper slot; with 6 slots one symbol's weakest slot is too noisy a
        // measure: it cost 3 of 200 trials of 1-byte Fastest at -10 and -14 dB); and a word whose
        // symbols come in runs is not the start, or the lower half, of a slower transmission.
        let plausible = nsym >= 4
            || (e.upper <= MAX_UPPER
                && (p.nibble_slots() != 2 || e.slot_own >= MIN_SLOT_SHARE * e.own)
                && !sym.slower_explains(pos, symbols, &word, e.own, &mut power));
        if e.own >= MIN_EXPLAINED && plausible {
            word.truncate(len);
            let mean = conf[..n].iter().sum::<f32>() / n as f32;
            reads.push(Read {
                protocol: p,
                pos,
                payload: word,
                changed,
                conf: mean,
                snr_db: e.snr_db,
            });
        }
    }
}

struct Cluster {
    best: usize,
    count: usize,
    clean: bool,
    start: usize,
    end: usize,
}

fn cluster(mut reads: Vec<Read>, len: usize, dss: bool) -> Vec<Message> {
    reads.sort_by(|a, b| {
        (a.protocol.id, &a.payload, a.pos).cmp(&(b.protocol.id, &b.payload, b.pos))
    });
    let mut clusters: Vec<Cluster> = Vec::new();
    for (i, r) in reads.iter().enumerate() {
        let joins = i > 0 && {
            let prev = &reads[i - 1];
            prev.protocol.id == r.protocol.id && prev.payload == r.payload && r.pos <= prev.pos + 8
        };
        let span = frame::symbol_count(r.protocol, frame::stream_len(len, frame::Mode::Fixed))
            * r.protocol.frames_per_tx
            * FRAME
            / HOP;
        if joins {
            if let Some(c) = clusters.last_mut() {
                c.count += 1;
                c.clean |= r.changed == 0;

                c.end = r.pos + span;
                let b = &reads[c.best];
                if (r.changed, -r.conf) < (b.changed, -b.conf) {
                    c.best = i;
                }
                continue;
            }
        }
        clusters.push(Cluster {
            best: i,
            count: 1,
            clean: r.changed == 0,
            start: r.pos,
            end: r.pos + span,
        });
    }
    let strong_code = ecc_len(len) >= 4;
    clusters.retain(|c| c.count >= 2 || (c.clean && strong_code));
    // Overlapping clusters explain the same sound: keep the one whose best read needed the fewest
    // corrections (a wrong speed or offset needs corrections), then the one explaining the longer
    // stretch of sound (zero padding of a slow transmission also reads as a short all-zero message
    // of a faster protocol), then the most confident.
    let key = |c: &Cluster| {
        let r = &reads[c.best];
        (r.changed, std::cmp::Reverse(c.end - c.start), -r.conf)
    };
    clusters.sort_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut kept: Vec<&Cluster> = Vec::new();
    for c in &clusters {
        let band = reads[c.best].protocol.freq_start;
        let overlaps = kept.iter().any(|k| {
            let kb = reads[k.best].protocol.freq_start;
            let ultra = |b: usize| b == 320;
            ultra(kb) == ultra(band) && c.start < k.end && k.start < c.end
        });
        if !overlaps {
            kept.push(c);
        }
    }
    let sr = SAMPLE_RATE as f64;
    kept.iter()
        .map(|c| {
            let r = &reads[c.best];
            let mut payload = r.payload.clone();
            if dss {
                frame::apply_dss(&mut payload);
            }
            let span = frame::symbol_count(r.protocol, frame::stream_len(len, frame::Mode::Fixed))
                * r.protocol.frames_per_tx
                * FRAME;
            let start = ((r.pos * HOP) as f64 - PAD as f64).max(0.0) / sr;
            Message {
                payload,
                protocol: r.protocol.id,
                start_seconds: start,
                end_seconds: start + span as f64 / sr,
                snr_db: r.snr_db,
                drift_ppm: 0.0,
                corrected_bytes: r.changed,
            }
        })
        .collect()
}

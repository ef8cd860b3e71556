//! Waveform synthesis at 48 kHz, bit-exact with ggwave (PROTOCOL.md §7): each tone restarts its
//! sine at every 1024-sample frame (phase-continuous, since every tone has an integer number of
//! cycles per frame), each symbol gets a trapezoidal envelope, tones are summed in float32 in
//! ascending bin order and divided by the number of tones.

use crate::frame;
use crate::protocol::{Protocol, FRAME, MARKER_FRAMES};

/// Precomputed sine tables for one protocol: one frame of samples per relative bin.
pub struct ToneBank {
    tables: Vec<[f32; FRAME]>,
}

impl ToneBank {
    /// Tables for the bins a protocol uses (markers included).
    pub fn new(p: &Protocol) -> Self {
        let n_bins = (32 * p.bytes_per_tx).max(32);
        let inv_frame = 1.0f32 / FRAME as f32;
        let hz = 46.875f32;
        let tables = (0..n_bins)
            .map(|r| {
                let k = r / 2;
                let base = hz * p.freq_start as f32 + 93.75f32 * k as f32;
                let freq = if r % 2 == 1 {
                    base as f64 + hz as f64
                } else {
                    base as f64
                };
                let cycles = freq * (1.0 / 46.875f64);
                let phase = std::f64::consts::PI * k as f64 / (8 * p.bytes_per_tx) as f64;
                let mut t = [0f32; FRAME];
                for (n, v) in t.iter_mut().enumerate() {
                    let x = (n as f32 * inv_frame) as f64;
                    *v = ((2.0 * std::f64::consts::PI * x) * cycles + phase).sin() as f32;
                }
                t
            })
            .collect();
        ToneBank { tables }
    }
}

/// Append one symbol of `frames` frames with the given tones (relative bins, ascending).
pub fn push_symbol(
    out: &mut Vec<f32>,
    bank: &ToneBank,
    tones: &[usize],
    frames: usize,
    volume: f32,
) {
    let m = FRAME * frames;
    let ds = 0.15f32 * m as f32;
    let inv_ds = 1.0f32 / ds;
    let n_begin = (0.15f32 * m as f32) as usize;
    let n_end = ((1.0f32 - 0.15f32) * m as f32) as usize;
    let scale = 1.0f32 / tones.len().max(1) as f32;
    out.reserve(m);
    for k in 0..m {
        let n = k % FRAME;
        let mut acc = 0f32;
        if k < n_begin {
            let g = k as f32 * inv_ds;
            for &t in tones {
                acc += (volume * bank.tables[t][n]) * g;
            }
        } else if k > n_end {
            let g = (m - k) as f32 * inv_ds;
            for &t in tones {
                acc += (volume * bank.tables[t][n]) * g;
            }
        } else {
            for &t in tones {
                acc += volume * bank.tables[t][n];
            }
        }
        out.push(acc * scale);
    }
}

/// Float32 samples at 48 kHz of one transmission of an already built stream.
pub fn synthesize(p: &Protocol, stream: &[u8], fixed: bool, volume: u8) -> Vec<f32> {
    let bank = ToneBank::new(p);
    let v = (volume as f64 / 100.0) as f32;
    let symbols = frame::symbols(p, stream);
    let total =
        FRAME * (symbols.len() * p.frames_per_tx + if fixed { 0 } else { 2 * MARKER_FRAMES });
    let mut out = Vec::with_capacity(total);
    if !fixed {
        push_symbol(
            &mut out,
            &bank,
            &frame::marker_bins(false),
            MARKER_FRAMES,
            v,
        );
    }
    for s in &symbols {
        push_symbol(&mut out, &bank, s, p.frames_per_tx, v);
    }
    if !fixed {
        push_symbol(&mut out, &bank, &frame::marker_bins(true), MARKER_FRAMES, v);
    }
    out
}

//! Waveform synthesis at 48 kHz, bit-exact with ggwave (PROTOCOL.md §7): each tone restarts its
//! sine at every 1024-sample frame (phase-continuous, since every tone has an integer number of
//! cycles per frame), each symbol gets a trapezoidal envelope, tones are summed in float32 in
//! ascending bin order and divided by the number of tones.

use crate::frame;
use crate::protocol::{Protocol, FRAME, MARKER_FRAMES};

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

    fn compute(&self, r: usize) -> Box<[f32; FRAME]> {
        let inv_frame = 1.0f32 / FRAME as f32;
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
        let mut t = Box::new([0f32; FRAME]);
        for (n, v) in t.iter_mut().enumerate() {
            let x = (n as f32 * inv_frame) as f64;
            *v = ((2.0 * std::f64::consts::PI * x) * cycles + phase).sin() as f32;
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
    let tables: Vec<&[f32; FRAME]> = tones.iter().map(|&t| bank.table(t)).collect();
    // The flat region's samples depend only on the position in the frame (same tones, same
    // summation order), so one frame of them serves every frame of the symbol.
    let mut flat = [0f32; FRAME];
    for (n, f) in flat.iter_mut().enumerate() {
        let mut acc = 0f32;
        for t in &tables {
            acc += volume * t[n];
        }
        *f = acc * scale;
    }
    out.reserve(m);
    for k in 0..m {
        let n = k % FRAME;
        let g = if k < n_begin {
            k as f32 * inv_ds
        } else if k > n_end {
            (m - k) as f32 * inv_ds
        } else {
            out.push(flat[n]);
            continue;
        };
        let mut acc = 0f32;
        for t in &tables {
            acc += (volume * t[n]) * g;
        }
        out.push(acc * scale);
    }
}

/// Float32 samples at 48 kHz of one transmission of an already built stream.
pub fn synthesize(p: &Protocol, stream: &[u8], fixed: bool, volume: u8) -> Vec<f32> {
    let mut bank = ToneBank::new(p);
    let v = (volume as f64 / 100.0) as f32;
    let symbols = frame::symbols(p, stream);
    let total =
        FRAME * (symbols.len() * p.frames_per_tx + if fixed { 0 } else { 2 * MARKER_FRAMES });
    let mut out = Vec::with_capacity(total);
    if !fixed {
        push_symbol(
            &mut out,
            &mut bank,
            &frame::marker_bins(false),
            MARKER_FRAMES,
            v,
        );
    }
    for s in &symbols {
        push_symbol(&mut out, &mut bank, s, p.frames_per_tx, v);
    }
    if !fixed {
        push_symbol(
            &mut out,
            &mut bank,
            &frame::marker_bins(true),
            MARKER_FRAMES,
            v,
        );
    }
    out
}

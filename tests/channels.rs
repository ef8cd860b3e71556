//! Real channels, made in Rust with fixed seeds (no external tools): rooms (synthetic impulse
//! responses), a telephone line (300-3400 Hz, 8 kHz, G.711 mu-law), a cheap speaker and microphone
//! (band-limited, clipped, AGC), drift in a room and a 44.1 kHz device. Each asserts our success
//! count over seeded trials and that no trial ever reports a wrong payload. The codec family (MP3,
//! Opus) needs lame and opus-tools: tests/peer/test_channels.py.
use fskhttp::{decode_samples, encode_48k, DecodeOptions, EncodeOptions};
use realfft::RealFftPlanner;

const RATE: u32 = 48_000;
const PAYLOAD: &[u8] = b"Hello World";

/// xorshift64* with Box-Muller normals.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
    fn normal(&mut self) -> f64 {
        let u = self.uniform(1e-12, 1.0);
        let v = self.uniform(0.0, 1.0);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn rfft_len(n: usize) -> usize {
    n.next_power_of_two()
}

/// Linear convolution by FFT.
fn convolve(x: &[f64], h: &[f64]) -> Vec<f64> {
    let n = x.len() + h.len() - 1;
    let m = rfft_len(n);
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(m);
    let inv = planner.plan_fft_inverse(m);
    let spec = |v: &[f64]| {
        let mut buf = vec![0.0; m];
        buf[..v.len()].copy_from_slice(v);
        let mut out = fwd.make_output_vec();
        fwd.process(&mut buf, &mut out).unwrap();
        out
    };
    let (a, b) = (spec(x), spec(h));
    let mut prod: Vec<_> = a.iter().zip(&b).map(|(p, q)| p * q).collect();
    let mut y = vec![0.0; m];
    inv.process(&mut prod, &mut y).unwrap();
    y.truncate(n);
    y.iter_mut().for_each(|v| *v /= m as f64);
    y
}

/// Zero-phase band-pass with Butterworth magnitude of `order` (FFT mask over the whole signal).
fn band(x: &[f64], rate: f64, lo: f64, hi: f64, order: i32) -> Vec<f64> {
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut buf = x.to_vec();
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut buf, &mut spec).unwrap();
    for (k, c) in spec.iter_mut().enumerate() {
        let f = k as f64 * rate / n as f64;
        let mut g = 1.0 / (1.0 + (f / hi).powi(2 * order)).sqrt();
        if lo > 0.0 {
            g /= (1.0 + (lo / f.max(1e-9)).powi(2 * order)).sqrt();
        }
        *c *= g / n as f64;
    }
    // The DC and Nyquist bins of a real signal's spectrum must be real for the inverse.
    spec[0].im = 0.0;
    if let Some(last) = spec.last_mut() {
        last.im = 0.0;
    }
    let mut y = vec![0.0; n];
    inv.process(&mut spec, &mut y).unwrap();
    y
}

/// A room: direct path, 8 early reflections and an exponentially decaying noise tail (-60 dB at
/// `rt60`), scaled to a direct-to-reverberant ratio of `drr_db`.
fn room_ir(rng: &mut Rng, rt60: f64, drr_db: f64) -> Vec<f64> {
    let rate = RATE as f64;
    let n = (rate * (1.2 * rt60 + 0.05)) as usize;
    let mut h = vec![0.0; n];
    h[0] = 1.0;
    let t_mix = 0.006 + 0.03 * rt60;
    for _ in 0..8 {
        let d = rng.uniform(0.002, t_mix + 0.01);
        let sign = if rng.next() & 1 == 0 { 1.0 } else { -1.0 };
        h[(d * rate) as usize] += sign * rng.uniform(0.3, 0.8) * (-6.9 * d / rt60).exp();
    }
    let early: f64 = h.iter().map(|v| v * v).sum();
    let tail: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let onset = ((t - 0.5 * t_mix) / (0.5 * t_mix)).clamp(0.0, 1.0);
            rng.normal() * (-6.9 * t / rt60).exp() * onset
        })
        .collect();
    let energy: f64 = tail.iter().map(|v| v * v).sum();
    let g = (early / (energy * 10f64.powf(drr_db / 10.0))).sqrt();
    h.iter().zip(&tail).map(|(a, b)| a + g * b).collect()
}

fn peak(x: &[f64]) -> f64 {
    x.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-12)
}

/// White noise at `snr_db` relative to the mean power over `span` (samples).
fn add_noise(x: &mut [f64], span: (usize, usize), snr_db: f64, rng: &mut Rng) {
    let (a, b) = (span.0.min(x.len()), span.1.min(x.len()));
    let p = x[a..b].iter().map(|v| v * v).sum::<f64>() / (b - a).max(1) as f64;
    let sigma = (p / 10f64.powf(snr_db / 10.0)).sqrt();
    x.iter_mut().for_each(|v| *v += sigma * rng.normal());
}

/// G.711 mu-law encode and decode (the continuous companding law, 8-bit codes).
fn mu_law(x: &[f64]) -> Vec<f64> {
    let mu = 255.0f64;
    x.iter()
        .map(|&v| {
            let v = v.clamp(-1.0, 1.0);
            let c = v.signum() * (1.0 + mu * v.abs()).ln() / (1.0 + mu).ln();
            let q = (c * 127.0).round() / 127.0;
            q.signum() * ((1.0 + mu).powf(q.abs()) - 1.0) / mu
        })
        .collect()
}

/// A microphone's automatic gain control: envelope follower (5 ms attack, 400 ms release) driving
/// the gain toward a fixed level, at most +30 dB.
fn agc(x: &[f64], rate: f64) -> Vec<f64> {
    let blk = (rate / 1000.0) as usize;
    let (att, rel) = ((-1.0f64 / 5.0).exp(), (-1.0f64 / 400.0).exp());
    let mut e = 1e-4;
    let mut out = Vec::with_capacity(x.len());
    for chunk in x.chunks(blk) {
        let v = peak(chunk);
        e = if v > e {
            att * e + (1.0 - att) * v
        } else {
            rel * e + (1.0 - rel) * v
        };
        let g = (0.5 / e.max(1e-6)).min(10f64.powf(1.5));
        out.extend(chunk.iter().map(|s| (s * g).clamp(-1.0, 1.0)));
    }
    out
}

/// Our transmission of protocol `p` after a seeded lead-in, 1 s of silence after, through
/// `channel`: its output rate and samples (clipped to ±1).
fn channel_output(
    p: u8,
    seed: u64,
    channel: impl Fn(Vec<f64>, (usize, usize), &mut Rng) -> (u32, Vec<f64>),
) -> (u32, Vec<f32>) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let opts = EncodeOptions {
        protocol: p,
        ..Default::default()
    };
    let tx = encode_48k(PAYLOAD, &opts).unwrap();
    let lead = (rng.uniform(0.1, 0.4) * RATE as f64) as usize;
    let mut x = vec![0.0; lead];
    x.extend(tx.iter().map(|&v| v as f64));
    x.resize(x.len() + RATE as usize, 0.0);
    let (rate, y) = channel(x, (lead, lead + tx.len()), &mut rng);
    let samples: Vec<f32> = y.iter().map(|&v| v.clamp(-1.0, 1.0) as f32).collect();
    (rate, samples)
}

/// One trial: our transmission of protocol `p` after a seeded lead-in, 1 s of silence after,
/// through `channel`; returns (success, wrong payloads).
fn trial(
    p: u8,
    seed: u64,
    channel: impl Fn(Vec<f64>, (usize, usize), &mut Rng) -> (u32, Vec<f64>),
) -> (bool, usize) {
    let (rate, samples) = channel_output(p, seed, channel);
    let got = decode_samples(&samples, rate, &DecodeOptions::default()).unwrap();
    let ok = got.iter().any(|m| m.payload == PAYLOAD);
    let wrong = got.iter().filter(|m| m.payload != PAYLOAD).count();
    (ok, wrong)
}

/// [`trial`] through the live receiver ([`fskhttp::StreamDecoder`], fed 4096-sample chunks).
fn stream_trial(
    p: u8,
    seed: u64,
    channel: impl Fn(Vec<f64>, (usize, usize), &mut Rng) -> (u32, Vec<f64>),
) -> (bool, usize) {
    let (rate, samples) = channel_output(p, seed, channel);
    let mut rx = fskhttp::StreamDecoder::new(rate, DecodeOptions::default()).unwrap();
    let mut got = Vec::new();
    for chunk in samples.chunks(4096) {
        got.extend(rx.push(chunk));
    }
    got.extend(rx.flush());
    let ok = got.iter().any(|m| m.payload == PAYLOAD);
    let wrong = got.iter().filter(|m| m.payload != PAYLOAD).count();
    (ok, wrong)
}

/// Runs `trials` seeded trials; asserts at least `min_ok` successes and no wrong payload.
fn expect(
    name: &str,
    p: u8,
    trials: u64,
    min_ok: usize,
    channel: impl Fn(Vec<f64>, (usize, usize), &mut Rng) -> (u32, Vec<f64>) + Copy,
) {
    expect_with(name, p, trials, min_ok, channel, false)
}

/// [`expect`], through the live receiver when `live`.
fn expect_with(
    name: &str,
    p: u8,
    trials: u64,
    min_ok: usize,
    channel: impl Fn(Vec<f64>, (usize, usize), &mut Rng) -> (u32, Vec<f64>) + Copy,
    live: bool,
) {
    let mut ok = 0;
    let mut wrong = 0;
    for t in 0..trials {
        let seed = 1000 * p as u64 + t + 7;
        let (o, w) = if live {
            stream_trial(p, seed, channel)
        } else {
            trial(p, seed, channel)
        };
        ok += usize::from(o);
        wrong += w;
    }
    assert_eq!(wrong, 0, "{name}, protocol {p}: wrong payloads");
    assert!(
        ok >= min_ok,
        "{name}, protocol {p}: {ok}/{trials} decoded, expected at least {min_ok}"
    );
}

/// `x` played in a seeded room: RT60 and direct-to-reverberant ratio drawn from the ranges, the
/// output scaled to the input's peak.
fn in_room(x: Vec<f64>, rng: &mut Rng, rt60: (f64, f64), drr: (f64, f64)) -> Vec<f64> {
    let rt60 = rng.uniform(rt60.0, rt60.1);
    let drr = rng.uniform(drr.0, drr.1);
    let y = convolve(&x, &room_ir(rng, rt60, drr));
    let g = peak(&x) / peak(&y);
    y.iter().map(|v| v * g).collect()
}

fn medium_room(x: Vec<f64>, rng: &mut Rng) -> Vec<f64> {
    in_room(x, rng, (0.4, 0.7), (0.0, 6.0))
}

#[test]
fn medium_rooms() {
    let room = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| (RATE, medium_room(x, rng));
    expect("medium room", 0, 6, 6, room);
    expect("medium room", 1, 6, 5, room);
    expect("medium room", 7, 6, 5, room);
}

#[test]
fn small_room_with_noise() {
    let room = |x: Vec<f64>, span: (usize, usize), rng: &mut Rng| {
        let rt60 = rng.uniform(0.2, 0.35);
        let drr = rng.uniform(4.0, 10.0);
        let mut y = convolve(&x, &room_ir(rng, rt60, drr));
        add_noise(&mut y, span, 10.0, rng);
        let g = 0.5 / peak(&y);
        (RATE, y.iter().map(|v| v * g).collect())
    };
    expect("small room + 10 dB", 2, 6, 6, room);
    expect("small room + 10 dB", 4, 6, 6, room);
}

#[test]
fn telephone_mu_law() {
    // 300-3400 Hz, noise at 20 dB, 8 kHz, G.711 mu-law: only the dual-tone band fits.
    let phone = |x: Vec<f64>, span: (usize, usize), rng: &mut Rng| {
        let mut y = band(&x, RATE as f64, 300.0, 3400.0, 4);
        add_noise(&mut y, span, 20.0, rng);
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let narrow = fskhttp::resample::resample(&y32, RATE, 8000).unwrap();
        let narrow: Vec<f64> = narrow.iter().map(|&v| v as f64).collect();
        let g = 0.7 / peak(&narrow);
        let scaled: Vec<f64> = narrow.iter().map(|v| v * g).collect();
        (8000, mu_law(&scaled))
    };
    expect("telephone", 7, 6, 6, phone);
    expect("telephone", 8, 6, 6, phone);
}

#[test]
fn cheap_speaker_and_microphone() {
    // Speaker 500-6500 Hz, overdriven (x4 then hard-clipped), microphone noise 15 dB, AGC.
    let device = |x: Vec<f64>, span: (usize, usize), rng: &mut Rng| {
        let y = band(&x, RATE as f64, 500.0, 6500.0, 2);
        let g = 4.0 / peak(&y);
        let mut y: Vec<f64> = y.iter().map(|v| (v * g).clamp(-1.0, 1.0) * 0.9).collect();
        add_noise(&mut y, span, 15.0, rng);
        (RATE, agc(&y, RATE as f64))
    };
    expect("cheap speaker + mic", 0, 6, 6, device);
    expect("cheap speaker + mic", 2, 6, 6, device);
}

#[test]
fn drift_in_a_room_and_a_44k1_device() {
    // The medium room, played 0.3 % fast, recorded at 44.1 kHz.
    let chain = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| {
        let y = medium_room(x, rng);
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let fast = fskhttp::resample::stretch(&y32, 1.0 / 1.003).unwrap();
        let dev = fskhttp::resample::resample(&fast, RATE, 44_100).unwrap();
        (44_100, dev.iter().map(|&v| v as f64).collect())
    };
    expect("medium room, +0.3 %, 44.1 kHz", 1, 6, 4, chain);
    expect("medium room, +0.3 %, 44.1 kHz", 7, 6, 4, chain);
}

fn large_room(x: Vec<f64>, rng: &mut Rng) -> Vec<f64> {
    in_room(x, rng, (0.8, 1.1), (-2.0, 4.0))
}

/// Large rooms (RT60 0.8-1.1 s): the joined reading and the start and end markers found by
/// their leading edges (decoder module doc, step 5).
#[test]
fn large_rooms() {
    let room = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| (RATE, large_room(x, rng));
    expect("large room", 0, 8, 8, room);
    expect("large room", 1, 8, 8, room);
    expect("large room", 2, 8, 5, room);
    expect("large room", 7, 8, 8, room);
}

/// Halls (RT60 1.2-1.5 s, direct-to-reverberant ratio −4..+2 dB): Fastest's 64 ms symbols
/// lose under 4 dB each to the room, so most misread nibbles are the previous symbol's tone.
/// The sequence reading (each nibble slot decided as a sequence under a tail model) and the
/// joined reading's end marker found by a box up to 4.5 frames late (decoder module doc, step 5)
/// read them: 6 of these 10 Fastest trials and 10 of 10 [DT] Fast decode (before both, 2 and 6).
#[test]
fn halls() {
    let room = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| {
        (RATE, in_room(x, rng, (1.2, 1.5), (-4.0, 2.0)))
    };
    expect("hall", 2, 10, 5, room);
    expect("hall", 7, 10, 9, room);
}

/// The live receiver (the page's microphone) reads rooms the same way.
#[test]
fn large_room_live() {
    let room = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| (RATE, large_room(x, rng));
    expect_with("large room, live", 1, 8, 8, room, true);
}

/// Ultrasound played 0.4 % fast in a small room: the ultrasound drift grid reaches ±0.5 %
/// (it stopped at ±0.2 %).
#[test]
fn ultrasound_drift_in_a_room() {
    let chain = |x: Vec<f64>, _span: (usize, usize), rng: &mut Rng| {
        let rt60 = rng.uniform(0.2, 0.35);
        let drr = rng.uniform(4.0, 10.0);
        let y = convolve(&x, &room_ir(rng, rt60, drr));
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let fast = fskhttp::resample::stretch(&y32, 1.0 / 1.004).unwrap();
        let g = 0.5 / peak(&y);
        (RATE, fast.iter().map(|&v| v as f64 * g).collect())
    };
    expect("small room, +0.4 %", 4, 6, 6, chain);
    expect("small room, -0.4 %", 5, 6, 6, |x, _span, rng| {
        let rt60 = rng.uniform(0.2, 0.35);
        let drr = rng.uniform(4.0, 10.0);
        let y = convolve(&x, &room_ir(rng, rt60, drr));
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let slow = fskhttp::resample::stretch(&y32, 1.0 / 0.996).unwrap();
        let g = 0.5 / peak(&y);
        (RATE, slow.iter().map(|&v| v as f64 * g).collect())
    });
}

/// Payload lengths of [`drowned_payloads_never_decode_wrong`]: 2 and 3 bytes (2 parity bytes),
/// 5 and 11 (4 parity bytes).
const DROWNED_LENS: [usize; 4] = [2, 3, 5, 11];

/// A start marker, a header and an end marker around a payload drowned in noise, in a large
/// room or not: no reading may turn it into a payload. The room readings (the joined one tries
/// thousands of words at every offset) read payloads of 4 bytes and more, whose codes have 4
/// parity bytes from 4 to 14 bytes; payloads under 4 bytes have 2, and the plain reading takes
/// those only as exact code words (with one byte corrected, 8 of 480 of these came out wrong).
/// `DROWNED_TRIALS` sets the trials per case.
#[test]
fn drowned_payloads_never_decode_wrong() {
    let trials: u64 = std::env::var("DROWNED_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut wrong = 0;
    let mut runs = 0;
    for p in [1u8, 2, 7] {
        let proto = &fskhttp::PROTOCOLS[p as usize];
        for len in DROWNED_LENS.iter().copied() {
            for t in 0..trials {
                let mut rng = Rng((9000 + 100 * p as u64 + 10 * len as u64 + t) | 1);
                let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let opts = EncodeOptions {
                    protocol: p,
                    ..Default::default()
                };
                let mut tx = encode_48k(&payload, &opts).unwrap();
                let header_symbols = proto.extra * 3_usize.div_ceil(proto.bytes_per_tx);
                let from = 16 * 1024 + header_symbols * proto.frames_per_tx * 1024;
                let to = tx.len() - 16 * 1024;
                for v in &mut tx[from..to] {
                    *v = rng.normal() as f32 * 0.4;
                }
                let mut x = vec![0.0; 12_000];
                x.extend(tx.iter().map(|&v| v as f64));
                x.resize(x.len() + RATE as usize, 0.0);
                for room in [false, true] {
                    let y = if room {
                        large_room(x.clone(), &mut rng)
                    } else {
                        x.clone()
                    };
                    let samples: Vec<f32> = y.iter().map(|&v| v.clamp(-1.0, 1.0) as f32).collect();
                    let got = decode_samples(&samples, RATE, &DecodeOptions::default()).unwrap();
                    wrong += got.iter().filter(|m| m.payload != payload).count();
                    runs += 1;
                }
            }
        }
    }
    assert_eq!(
        wrong, 0,
        "{wrong} wrong payloads in {runs} drowned transmissions"
    );
}

/// Garbage payload words that happen to lie within two bytes of a code word, sent as clean
/// tones between an intact start marker, header (11 bytes) and end marker: no reading may
/// return a payload. "Hello World"'s code has 4 parity bytes; correcting 2 bytes uses them all,
/// and a random word passes that with probability about 1.6e-3 (a wrong payload at
/// `scripts/bench-channels --seed 7`, medium room + 10 dB), so every reader refuses it. The same
/// words as fixed-length transmissions of 11 bytes: the fixed-length receiver refuses them too.
#[test]
fn garbage_within_two_bytes_of_a_code_word_never_decodes() {
    use fskhttp::frame::{self, ecc_len, Mode};
    use fskhttp::reed_solomon;
    let len = 11;
    let nsym = ecc_len(len);
    let mut rng = Rng(0x5eed_0007);
    let mut found = Vec::new();
    for p in [1u8, 2, 7] {
        let proto = &fskhttp::PROTOCOLS[p as usize];
        for _ in 0..2 {
            // Random words until one is corrected with exactly two bytes changed (about 1 in 630).
            let word = loop {
                let w: Vec<u8> = (0..len + nsym).map(|_| rng.next() as u8).collect();
                let mut fixed = w.clone();
                if reed_solomon::correct(&mut fixed, nsym, &[]).is_ok_and(|c| c.changed == 2) {
                    break w;
                }
            };
            let mut stream = frame::build_stream(&[0u8; 11], Mode::Variable, false);
            stream.truncate(3);
            stream.extend(&word);
            let mut tx = Vec::new();
            fskhttp::synth::synthesize(&mut tx, proto, &stream, Mode::Variable, 50);
            let mut x = vec![0.0; 12_000];
            x.extend(tx.iter().map(|&v| v as f64));
            x.resize(x.len() + RATE as usize / 2, 0.0);
            for v in &mut x {
                *v += 0.001 * rng.normal();
            }
            let samples: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let got = decode_samples(&samples, RATE, &DecodeOptions::default()).unwrap();
            found.extend(got.into_iter().map(|m| (p, m.payload, m.corrected_bytes)));
            // The same word as a fixed-length transmission (no markers, no header).
            let mut tx = Vec::new();
            fskhttp::synth::synthesize(&mut tx, proto, &word, Mode::Fixed, 50);
            let mut x = vec![0.0; 12_000];
            x.extend(tx.iter().map(|&v| v as f64));
            x.resize(x.len() + 12_000, 0.0);
            let samples: Vec<f32> = x
                .iter()
                .map(|&v| (v + 0.001 * rng.normal()) as f32)
                .collect();
            let opts = DecodeOptions {
                fixed_length: Some(len),
                ..Default::default()
            };
            let got = decode_samples(&samples, RATE, &opts).unwrap();
            found.extend(got.into_iter().map(|m| (p, m.payload, m.corrected_bytes)));
        }
    }
    assert!(found.is_empty(), "payloads from garbage: {found:?}");
}

/// One seeded trial of the fixed-length probe: a random `len`-byte payload sent with protocol `p`
/// after 0.1-0.3 s of silence, 0.5 s after it, white noise at `snr` dB over the transmission.
fn fixed_length_trial(len: usize, p: u8, t: u64, snr: f64) -> (Vec<u8>, Vec<f32>) {
    // The probe's seed: the SNR term wraps around (-170).
    let seed = (77 + 1000 * len as u64 + 100 * p as u64 + t * 7919)
        .wrapping_add((snr * 10.0) as i64 as u64);
    let mut rng = Rng(seed | 1);
    let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    let opts = EncodeOptions {
        protocol: p,
        fixed_length: Some(len),
        ..Default::default()
    };
    let tx = encode_48k(&payload, &opts).unwrap();
    let pw = tx.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tx.len() as f64;
    let sigma = (pw / 10f64.powf(snr / 10.0)).sqrt();
    let lead = 4800 + (rng.next() % 9600) as usize;
    let mut x = vec![0f64; lead];
    x.extend(tx.iter().map(|&v| v as f64));
    x.resize(x.len() + 24000, 0.0);
    let samples = x
        .iter()
        .map(|&v| (v + sigma * rng.normal()) as f32)
        .collect();
    (payload, samples)
}

/// Fixed-length trials (of 1800-3000 seeded ones each) that gave a wrong payload: 2-parity words
/// (payloads under 4 bytes) read with another protocol of the same band, each an exact code word
/// at neighbouring positions.
/// - [DT] Fast, 3 bytes, -17 dB, read as [MT] Fastest (3 frames a symbol against 6): each
///   symbol's low tone heard twice, bytes of two equal nibbles. Refused since the upper half of
///   the marker band must hold only noise.
/// - [MT] Fast, 3 bytes, -20 dB, read as [MT] Fastest: the first half of the transmission, each
///   nibble heard twice. Refused since the rest of the transmission, read as the slower
///   protocol's symbols, holds tones.
/// - [DT] Fast, 2 bytes, -18 dB, read as [MT] Fastest: the upper half's mean power passed, but
///   read as the slower protocol's symbols it holds tones.
/// - [MT] Fastest, 1 byte, -10 dB, read as [DT] Fast: the upper slot of the dual-tone read holds
///   only noise.
#[test]
fn another_protocol_on_the_same_band_is_no_payload() {
    for (len, p, t, snr) in [
        (3usize, 7u8, 155u64, -17.0f64),
        (3, 10, 88, -20.0),
        (2, 7, 116, -18.0),
        (1, 11, 190, -10.0),
    ] {
        let (payload, samples) = fixed_length_trial(len, p, t, snr);
        let opts = DecodeOptions {
            fixed_length: Some(len),
            ..Default::default()
        };
        let got = decode_samples(&samples, RATE, &opts).unwrap();
        let wrong: Vec<_> = got
            .iter()
            .filter(|m| m.payload != payload)
            .map(|m| (m.protocol, &m.payload))
            .collect();
        assert!(
            wrong.is_empty(),
            "{len} B, p{p}, trial {t}: wrong payloads {wrong:?}"
        );
    }
}

/// Payloads whose symbols come in runs (bytes of two equal nibbles, zeros) are what a faster
/// protocol reads from a slower one; sent themselves in fixed-length mode, followed by noise, they
/// still decode, once, with every protocol of a shared band.
#[test]
fn payloads_of_repeated_nibbles_still_decode_in_fixed_length_mode() {
    let mut rng = Rng(0x5eed_2026);
    for payload in [&[0u8, 0, 0][..], b"333", &[0x44], &[0x11, 0x22]] {
        for p in [1u8, 2, 7, 8, 9, 10, 11] {
            let opts = EncodeOptions {
                protocol: p,
                fixed_length: Some(payload.len()),
                ..Default::default()
            };
            let tx = encode_48k(payload, &opts).unwrap();
            let pw = tx.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tx.len() as f64;
            // -6 dB over the transmission, and noise for twice its length after it.
            let sigma = (pw / 10f64.powf(-0.6)).sqrt();
            let mut x = vec![0f64; 9600];
            x.extend(tx.iter().map(|&v| v as f64));
            x.resize(x.len() + 2 * tx.len(), 0.0);
            let samples: Vec<f32> = x
                .iter()
                .map(|&v| (v + sigma * rng.normal()) as f32)
                .collect();
            let opts = DecodeOptions {
                fixed_length: Some(payload.len()),
                ..Default::default()
            };
            let got = decode_samples(&samples, RATE, &opts).unwrap();
            // (All-zero symbols sound the same in every protocol of a band: the one named may be
            // another, the payload is the same.)
            let got: Vec<_> = got.iter().map(|m| m.payload.clone()).collect();
            assert_eq!(got, vec![payload.to_vec()], "{payload:02x?} with p{p}");
        }
    }
}

//! The fixed-length probe of docs/robustness.md: seeded trials of random payloads sent in
//! fixed-length mode after 0.1-0.3 s of silence, 0.5 s of silence after them, white noise at a
//! given SNR over the transmission (the trial generator of `tests/channels.rs`
//! `fixed_length_trial`). Prints, per protocol and SNR, how many trials decoded and every wrong
//! payload.
//!   cargo run --release --example fixed_probe -- LEN PROTOCOLS SNRS TRIALS
//!   e.g. cargo run --release --example fixed_probe -- 3 9,10,11 -10,-14,-20 200
use fskhttp::{decode_samples, encode_48k, DecodeOptions, EncodeOptions};

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

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: fixed_probe LEN PROTOCOLS SNRS TRIALS   (e.g. 3 9,10,11 -10,-20 200)");
        std::process::exit(2);
    }
    let len: usize = args[1].parse().expect("LEN");
    let trials: u64 = args[4].parse().expect("TRIALS");
    for p in list::<u8>(&args[2]) {
        for snr in list::<f64>(&args[3]) {
            let (mut ok, mut wrong) = (0, 0);
            for t in 0..trials {
                // The SNR term wraps around for negative SNRs, as in the tests' replays.
                let seed = (77 + 1000 * len as u64 + 100 * p as u64 + t * 7919)
                    .wrapping_add((snr * 10.0) as i64 as u64);
                let mut rng = Rng(seed | 1);
                let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let opts = EncodeOptions {
                    protocol: p,
                    fixed_length: Some(len),
                    ..Default::default()
                };
                let tx = encode_48k(&payload, &opts).expect("encode");
                let pw = tx.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tx.len() as f64;
                let sigma = (pw / 10f64.powf(snr / 10.0)).sqrt();
                let lead = 4800 + (rng.next() % 9600) as usize;
                let mut x = vec![0f64; lead];
                x.extend(tx.iter().map(|&v| v as f64));
                x.resize(x.len() + 24000, 0.0);
                let samples: Vec<f32> = x
                    .iter()
                    .map(|&v| (v + sigma * rng.normal()) as f32)
                    .collect();
                let opts = DecodeOptions {
                    fixed_length: Some(len),
                    ..Default::default()
                };
                let got = decode_samples(&samples, 48000, &opts).expect("decode");
                ok += usize::from(got.iter().any(|m| m.payload == payload));
                for m in got.iter().filter(|m| m.payload != payload) {
                    wrong += 1;
                    println!(
                        "WRONG trial {t} p{p} {snr} dB: sent {payload:02x?}, read {:02x?} as p{} ({} corrected)",
                        m.payload, m.protocol, m.corrected_bytes
                    );
                }
            }
            println!("len {len} p{p} {snr} dB: {ok}/{trials} decoded, {wrong} wrong");
        }
    }
}

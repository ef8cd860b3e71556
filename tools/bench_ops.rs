//! The codec operations of `prof_op`, timed in process, for `scripts/bench-wasm`: the same program
//! built natively and for wasm32-wasip2 (run by wasmtime) on the same input files.
//!
//! * `bench_ops gen DIR` writes the inputs: `payload.bin` (140 seeded bytes), `msg48.wav` (the
//!   48-character message of `scripts/bench-http`, as `/encode` serves it: protocol 1, 48 kHz,
//!   16-bit), `long.wav` (the 140 bytes, the same way), `noise.wav` (60 s of seeded noise, 16-bit)
//!   and `msg44.wav` (the message at 44.1 kHz).
//! * `bench_ops run DIR SECONDS [OP...]` runs each operation (all by default) at least 3 times and
//!   for SECONDS, after one untimed call, and prints one JSON object: per operation the median and
//!   minimum wall time in ms, the repetitions, and a checksum of the result (equal natively and in
//!   wasm, or the builds disagree).
//! * `bench_ops count DIR N OP` prints the checksum of one call, then calls OP N times more, untimed
//!   (for CPU time and instruction counts measured from outside, `count 0` being the baseline).
use fskhttp::{decode_wav, encode, encode_wav, DecodeOptions, EncodeOptions, SampleFormat};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const MESSAGE: &str = "ROBOTS talking to ROBOTS bots will speak to bots";

/// The operations, in table order: (name, what it does).
const OPS: [(&str, &str); 7] = [
    ("encode_140", "encode 140 B, protocol 1, 48 kHz (samples)"),
    (
        "encode_msg48_wav",
        "encode the 48-character message to a WAV",
    ),
    ("encode_140_44k", "encode 140 B at 44.1 kHz (resampled)"),
    ("decode_msg48", "decode the 48-character message (WAV)"),
    ("decode_140", "decode 140 B (9.26 s WAV)"),
    ("decode_noise_60s", "decode 60 s of noise"),
    (
        "decode_msg48_44k",
        "decode the message at 44.1 kHz (resampled)",
    ),
];

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn gen(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut seed = 140u64;
    let payload: Vec<u8> = (0..140)
        .map(|_| (xorshift(&mut seed) >> 56) as u8)
        .collect();
    std::fs::write(dir.join("payload.bin"), &payload).unwrap();
    let wav = |data: &[u8], rate: u32| {
        let eo = EncodeOptions {
            sample_rate: rate,
            ..Default::default()
        };
        encode_wav(data, &eo, SampleFormat::I16).unwrap()
    };
    std::fs::write(dir.join("msg48.wav"), wav(MESSAGE.as_bytes(), 48000)).unwrap();
    std::fs::write(dir.join("msg44.wav"), wav(MESSAGE.as_bytes(), 44100)).unwrap();
    std::fs::write(dir.join("long.wav"), wav(&payload, 48000)).unwrap();
    // Roughly Gaussian (sum of four uniforms), standard deviation 0.1.
    let mut seed = 60u64;
    let noise: Vec<f32> = (0..60 * 48000)
        .map(|_| {
            let s: f32 = (0..4)
                .map(|_| (xorshift(&mut seed) >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
                .sum();
            s * 0.1 * 3f32.sqrt()
        })
        .collect();
    std::fs::write(
        dir.join("noise.wav"),
        fskhttp::write_wav(&noise, 48000, SampleFormat::I16),
    )
    .unwrap();
}

/// FNV-1a over bytes: a checksum both builds compute alike.
fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An operation: `f(true)` returns a checksum of the whole result, `f(false)` a cheap summary
/// (what the timed calls return, so that the timing is the codec's, not the checksum's).
type Op = Box<dyn FnMut(bool) -> u64>;

fn op(name: &str, dir: &Path) -> Op {
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let encoder = |data: Vec<u8>, rate: u32| -> Op {
        let eo = EncodeOptions {
            sample_rate: rate,
            ..Default::default()
        };
        Box::new(move |full| {
            let s = encode(black_box(&data), &eo).unwrap();
            if full {
                fnv(s.iter().flat_map(|v| v.to_le_bytes()))
            } else {
                s.len() as u64
            }
        })
    };
    let decoder = |wav: Vec<u8>| -> Op {
        let opts = DecodeOptions::default();
        Box::new(move |_| {
            let d = decode_wav(black_box(&wav), &opts).unwrap();
            fnv(d.messages.iter().flat_map(|m| m.payload.clone())) ^ d.messages.len() as u64
        })
    };
    match name {
        "encode_140" => encoder(read("payload.bin"), 48000),
        "encode_140_44k" => encoder(read("payload.bin"), 44100),
        "encode_msg48_wav" => Box::new(|full| {
            let w = encode_wav(
                black_box(MESSAGE.as_bytes()),
                &EncodeOptions::default(),
                SampleFormat::I16,
            )
            .unwrap();
            if full {
                fnv(w)
            } else {
                w.len() as u64
            }
        }),
        "decode_msg48" => decoder(read("msg48.wav")),
        "decode_140" => decoder(read("long.wav")),
        "decode_noise_60s" => decoder(read("noise.wav")),
        "decode_msg48_44k" => decoder(read("msg44.wav")),
        _ => panic!("unknown operation {name}"),
    }
}

fn run(dir: &Path, seconds: f64, names: &[String]) {
    let min = Duration::from_secs_f64(seconds);
    let mut rows = Vec::new();
    for (name, _) in OPS {
        if !names.is_empty() && !names.iter().any(|n| n == name) {
            continue;
        }
        let mut f = op(name, dir);
        let check = f(true);
        let summary = f(false);
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 3 || start.elapsed() < min {
            let t = Instant::now();
            assert_eq!(black_box(f(false)), summary);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        rows.push(format!(
            "\"{name}\":{{\"median_ms\":{:.4},\"min_ms\":{:.4},\"reps\":{},\"check\":\"{check:016x}\"}}",
            times[times.len() / 2],
            times[0],
            times.len()
        ));
    }
    println!("{{{}}}", rows.join(","));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => gen(Path::new(&args[1])),
        Some("run") => run(
            Path::new(&args[1]),
            args.get(2).map_or(1.0, |s| s.parse().unwrap()),
            &args[3.min(args.len())..],
        ),
        // For instruction counts (callgrind): N untimed calls of one operation.
        Some("count") => {
            let n: usize = args[2].parse().unwrap();
            let mut f = op(&args[3], Path::new(&args[1]));
            // The checksum of the whole result once (not counted: `count 0` pays it too).
            let check = f(true);
            let mut h = 0;
            for _ in 0..n {
                h ^= black_box(f(false));
            }
            println!("{check:016x} {h:016x}");
        }
        Some("list") => {
            for (name, what) in OPS {
                println!("{name}\t{what}");
            }
        }
        _ => {
            eprintln!("usage: bench_ops gen DIR | run DIR SECONDS [OP...] | count DIR N OP | list");
            std::process::exit(2);
        }
    }
}

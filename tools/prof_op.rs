//! Runs one operation of `bench_table` in a loop, for `perf record`: `prof_op OP DIR [REPS]` with
//! OP one of encode48, encode44, or a WAV file name in DIR to decode.
use fskhttp::{decode_wav, encode, DecodeOptions, EncodeOptions};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (op, dir) = (&args[0], std::path::Path::new(&args[1]));
    let reps: usize = args.get(2).map_or(50, |s| s.parse().unwrap());
    let mut n = 0;
    if let Some(rate) = match op.as_str() {
        "encode48" => Some(48000),
        "encode44" => Some(44100),
        _ => None,
    } {
        let payload = std::fs::read(dir.join("payload.bin")).unwrap();
        let eo = EncodeOptions {
            protocol: 1,
            sample_rate: rate,
            ..Default::default()
        };
        for _ in 0..reps {
            n += black_box(encode(black_box(&payload), &eo).unwrap().len());
        }
    } else {
        let bytes = std::fs::read(dir.join(op)).unwrap();
        for _ in 0..reps {
            n += decode_wav(black_box(&bytes), &DecodeOptions::default())
                .unwrap()
                .messages
                .len();
        }
    }
    println!("{n}");
}

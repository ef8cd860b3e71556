//! Runs one operation of `bench_table` in a loop, for `perf record`: `prof_op OP DIR [REPS]` with
//! OP one of encode48, encode44, or a WAV file name in DIR to decode.
use anyhow::Context;
use fskhttp::{decode_wav, encode, DecodeOptions, EncodeOptions};
use std::hint::black_box;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, dir, ..] = &args[..] else {
        anyhow::bail!("usage: prof_op OP DIR [REPS]");
    };
    let dir = std::path::Path::new(dir);
    let reps: usize = args.get(2).map_or(Ok(50), |s| s.parse().context("REPS"))?;
    let mut n = 0;
    if let Some(rate) = match op.as_str() {
        "encode48" => Some(48000),
        "encode44" => Some(44100),
        _ => None,
    } {
        let path = dir.join("payload.bin");
        let payload = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
        let eo = EncodeOptions {
            protocol: 1,
            sample_rate: rate,
            ..Default::default()
        };
        for _ in 0..reps {
            n += black_box(encode(black_box(&payload), &eo)?.len());
        }
    } else {
        let path = dir.join(op);
        let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
        for _ in 0..reps {
            n += decode_wav(black_box(&bytes), &DecodeOptions::default())?
                .messages
                .len();
        }
    }
    println!("{n}");
    Ok(())
}

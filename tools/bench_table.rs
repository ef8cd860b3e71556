//! In-process timings of our codec for `scripts/bench-speed`, on the same inputs the script gives
//! ggwave: `bench_table DIR [MIN_SECONDS]`. DIR holds `payload.bin` (140 bytes), `hello.wav`,
//! `long.wav`, `noise.wav` and `hello44.wav`. Each operation runs single-threaded, repeated until
//! MIN_SECONDS (default 2) have passed and at least 5 times; prints one JSON object with the median
//! and minimum wall time per operation in milliseconds and how many messages it found. Each decode
//! is timed twice: from the WAV file's bytes, and (`<op>/samples`) from its float32 samples, the
//! input ggwave's decoder is given.
use anyhow::Context;
use fskhttp::{decode_samples, decode_wav, encode, read_wav, DecodeOptions, EncodeOptions};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn time<F: FnMut() -> usize>(min: Duration, mut f: F) -> (f64, f64, usize, usize) {
    let mut times = Vec::new();
    let start = Instant::now();
    let mut found = 0;
    while times.len() < 5 || start.elapsed() < min {
        let t = Instant::now();
        found = black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if times.len() >= 100_000 {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times.len(), found)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .context("usage: bench_table DIR [MIN_SECONDS]")?,
    );
    let min = Duration::from_secs_f64(
        args.next()
            .map_or(Ok(2.0), |s| s.parse().context("MIN_SECONDS"))?,
    );
    let read = |name: &str| -> anyhow::Result<Vec<u8>> {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let payload = read("payload.bin")?;
    let opts = DecodeOptions::default();
    let mut rows = Vec::new();
    for (name, rate) in [("encode_140_p1_48k", 48000), ("encode_140_p1_44k", 44100)] {
        let eo = EncodeOptions {
            protocol: 1,
            sample_rate: rate,
            ..Default::default()
        };
        let r = time(min, || encode(black_box(&payload), &eo).unwrap().len());
        rows.push((name.to_string(), r));
    }
    for (name, file) in [
        ("decode_hello_p1", "hello.wav"),
        ("decode_140_p1", "long.wav"),
        ("decode_noise_60s", "noise.wav"),
        ("decode_hello_p1_44k", "hello44.wav"),
    ] {
        let bytes = read(file)?;
        let r = time(min, || {
            decode_wav(black_box(&bytes), &opts).unwrap().messages.len()
        });
        rows.push((name.to_string(), r));
        // The same decode from float32 samples, as ggwave is given them (parsing not timed).
        let audio = read_wav(&bytes, &opts.limits)?;
        let (samples, rate) = (audio.mono().into_owned(), audio.info.sample_rate);
        let r = time(min, || {
            decode_samples(black_box(&samples), rate, &opts)
                .unwrap()
                .len()
        });
        rows.push((format!("{name}/samples"), r));
    }
    let body: Vec<String> = rows
        .iter()
        .map(|(name, (median, min, reps, found))| {
            format!("\"{name}\":{{\"median_ms\":{median:.4},\"min_ms\":{min:.4},\"reps\":{reps},\"found\":{found}}}")
        })
        .collect();
    println!("{{{}}}", body.join(","));
    Ok(())
}

//! Criterion benchmarks of the codec: encoding 140 bytes, and decoding a short message, a long
//! one, 60 s of white noise and a 44.1 kHz file (the cases of ggwave's CLI figures in
//! scripts/bench/ggwave-cli-ms.json). `cargo bench --bench codec`.
use criterion::{criterion_group, criterion_main, Criterion};
use fskhttp::{
    decode_wav, encode, encode_wav, write_wav, DecodeOptions, EncodeOptions, SampleFormat,
};
use std::hint::black_box;
use std::time::Duration;

/// Seeded xorshift64* with Box-Muller, so every run benchmarks the same input.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn gauss(&mut self) -> f64 {
        let u1 = ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn payload_140() -> Vec<u8> {
    let mut rng = Rng(140);
    (0..140).map(|_| rng.next() as u8).collect()
}

fn p1(rate: u32) -> EncodeOptions {
    EncodeOptions {
        protocol: 1,
        sample_rate: rate,
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    let payload = payload_140();
    let mut g = c.benchmark_group("encode");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("140B_p1_48k", |b| {
        b.iter(|| encode(black_box(&payload), &p1(48000)).unwrap())
    });
    g.bench_function("140B_p1_44k1", |b| {
        b.iter(|| encode(black_box(&payload), &p1(44100)).unwrap())
    });
    // The whole WAV (synthesis + writer), 16-bit and float.
    g.bench_function("140B_p1_48k_wav16", |b| {
        b.iter(|| encode_wav(black_box(&payload), &p1(48000), SampleFormat::I16).unwrap())
    });
    g.bench_function("140B_p1_48k_wavf32", |b| {
        b.iter(|| encode_wav(black_box(&payload), &p1(48000), SampleFormat::F32).unwrap())
    });
    g.finish();

    let opts = DecodeOptions::default();
    let hello = encode_wav(b"Hello World", &p1(48000), SampleFormat::I16).unwrap();
    let long = encode_wav(&payload, &p1(48000), SampleFormat::I16).unwrap();
    let hello44 = encode_wav(b"Hello World", &p1(44100), SampleFormat::I16).unwrap();
    let mut rng = Rng(60);
    let noise: Vec<f32> = (0..60 * 48000)
        .map(|_| (0.1 * rng.gauss()) as f32)
        .collect();
    let noise = write_wav(&noise, 48000, SampleFormat::I16);

    let mut g = c.benchmark_group("decode");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, wav) in [
        ("hello_p1", &hello),
        ("140B_p1_9.26s", &long),
        ("noise_60s", &noise),
        ("hello_p1_44k1", &hello44),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| decode_wav(black_box(wav), &opts).unwrap())
        });
    }
    g.finish();
}

criterion_group!(codec, benches);
criterion_main!(codec);

//! Property tests (proptest, fixed seeds, modest case counts) and the fuzz corpus replay.
//!
//! - encode -> decode returns the payload for every protocol, random payloads, volumes and rates;
//! - the decoder and the WAV reader never panic on random bytes, and the limits hold;
//! - every committed fuzz input (`fuzz/corpus/*`, `fuzz/regressions/*`) runs through the same
//!   target body libFuzzer runs (`fuzz/targets.rs`) without a panic, each well under a second.

mod common;
#[path = "../fuzz/targets.rs"]
mod targets;

use common::{runner, Wav};

use fskhttp::{
    decode_samples, decode_wav, encode, encode_wav, read_wav, DecodeOptions, EncodeOptions, Limits,
    SampleFormat, PROTOCOLS,
};
use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Output rates to try: every rate the encoder accepts that can carry the protocol's band.
const RATES: [u32; 6] = [8000, 16_000, 22_050, 32_000, 44_100, 96_000];

#[test]
fn round_trip_every_protocol_random_payload_volume_rate() {
    for p in PROTOCOLS.iter() {
        let mut r = runner(6, p.id + 1);
        let max_len = if p.is_mono_tone() { 8 } else { 40 };
        let strategy = (
            proptest::collection::vec(any::<u8>(), 1..=max_len),
            1u8..=100,
            proptest::sample::select(RATES.to_vec()),
            any::<bool>(),
        );
        r.run(&strategy, |(payload, volume, rate, dss)| {
            let fixed_length = p.is_mono_tone().then_some(payload.len());
            let o = EncodeOptions {
                protocol: p.id,
                volume,
                sample_rate: rate,
                fixed_length,
                dss,
                ..Default::default()
            };
            let fits = p.max_hz() < f64::from(rate) * 0.45;
            let audio = match encode(&payload, &o) {
                Ok(a) => a,
                // Refusing a rate that cannot carry the band is fine; failing one that can is not.
                Err(e) => {
                    prop_assert!(!fits, "protocol {} rate {rate}: {e}", p.id);
                    return Ok(());
                }
            };
            if !fits {
                return Ok(());
            }
            let d = decode_samples(
                &audio,
                rate,
                &DecodeOptions {
                    fixed_length,
                    dss,
                    ..Default::default()
                },
            )
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let got: Vec<_> = d.iter().map(|m| m.payload.clone()).collect();
            prop_assert_eq!(
                got,
                vec![payload.clone()],
                "protocol {} rate {} volume {}",
                p.id,
                rate,
                volume
            );
            prop_assert_eq!(d[0].protocol, p.id);
            Ok(())
        })
        .unwrap();
    }
}

#[test]
fn wav_round_trip_every_format() {
    let mut r = runner(12, 42);
    let strategy = (
        proptest::collection::vec(any::<u8>(), 1..=60),
        prop_oneof![Just(SampleFormat::I16), Just(SampleFormat::F32)],
        proptest::sample::select(vec![22_050u32, 44_100, 48_000]),
    );
    r.run(&strategy, |(payload, format, rate)| {
        let o = EncodeOptions {
            sample_rate: rate,
            ..Default::default()
        };
        let wav = encode_wav(&payload, &o, format).unwrap();
        let d = decode_wav(&wav, &DecodeOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(d.info.sample_rate, rate);
        prop_assert_eq!(d.messages.len(), 1);
        prop_assert_eq!(&d.messages[0].payload, &payload);
        Ok(())
    })
    .unwrap();
}

/// A canonical 44-byte WAV header with arbitrary fields (RIFF size 36 + the claimed data size,
/// wrapping), then `body` however long it really is.
fn wav_claiming(
    format: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    data_len: u32,
    body: &[u8],
) -> Vec<u8> {
    Wav::new(format, channels, rate, bits)
        .data_size(data_len)
        .riff_size(36u32.wrapping_add(data_len))
        .bytes(body)
}

#[test]
fn limits_hold_for_any_header() {
    let mut r = runner(400, 7);
    let strategy = (
        prop_oneof![Just(1u16), Just(3u16), Just(0xFFFEu16), any::<u16>()],
        prop_oneof![1u16..=4, any::<u16>()],
        prop_oneof![
            Just(0u32),
            Just(u32::MAX),
            1u32..2000,
            7000u32..400_000,
            any::<u32>()
        ],
        prop_oneof![
            Just(8u16),
            Just(16u16),
            Just(24u16),
            Just(32u16),
            any::<u16>()
        ],
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..4096),
        1u16..=8,
        1.0f64..30.0,
    );
    r.run(
        &strategy,
        |(fmt, ch, rate, bits, claimed, body, max_ch, max_s)| {
            let wav = wav_claiming(fmt, ch, rate, bits, claimed, &body);
            let limits = Limits {
                max_seconds: max_s,
                max_channels: max_ch,
                min_sample_rate: 1000,
                max_sample_rate: 384_000,
            };
            let t = Instant::now();
            if let Ok(a) = read_wav(&wav, &limits) {
                prop_assert!(a.info.channels >= 1 && a.info.channels <= max_ch);
                prop_assert!((1000..=384_000).contains(&a.info.sample_rate));
                prop_assert!(a.info.frames as f64 / f64::from(a.info.sample_rate) <= max_s + 1e-9);
                // No sample was invented: the frames present fit in the bytes sent.
                prop_assert!(a.info.frames * usize::from(a.info.channels) <= body.len());
            }
            let _ = decode_wav(
                &wav,
                &DecodeOptions {
                    limits,
                    ..Default::default()
                },
            );
            prop_assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
            Ok(())
        },
    )
    .unwrap();
}

#[test]
fn decode_never_panics_on_random_bytes() {
    let mut r = runner(300, 9);
    let strategy = proptest::collection::vec(any::<u8>(), 0..8192);
    r.run(&strategy, |bytes| {
        let _ = decode_wav(&bytes, &DecodeOptions::default());
        // The same bytes behind a valid header, so that the decoder proper runs on them.
        let wav = Wav::pcm(16, 1, 48_000).bytes(&bytes);
        let _ = decode_wav(&wav, &DecodeOptions::default());
        targets::decode_samples_target(&bytes);
        Ok(())
    })
    .unwrap();
}

#[test]
fn decode_samples_never_panics_on_bounded_floats() {
    let mut r = runner(60, 10);
    let strategy = (
        proptest::collection::vec(
            prop_oneof![-1.0f32..1.0, -1e6f32..1e6, Just(0.0f32), Just(1e-45f32)],
            0..20_000,
        ),
        prop_oneof![Just(0u32), Just(1), Just(u32::MAX), 1000u32..200_000],
    );
    r.run(&strategy, |(samples, rate)| {
        let _ = decode_samples(&samples, rate, &DecodeOptions::default());
        Ok(())
    })
    .unwrap();
}

/// Finding F1 (docs/reliability.md), fixed in 974966a: NaN, infinite or huge (1e30) samples at
/// a rate other than 48 kHz panicked inside rubato (synchro.rs:185, "Imaginary part of first
/// value was non-zero"). The inputs are replayed from fuzz/regressions/decode_samples_extreme.
#[test]
fn decode_samples_never_panics_on_any_floats() {
    let mut r = runner(60, 10);
    let strategy = (
        proptest::collection::vec(any::<f32>(), 0..20_000),
        prop_oneof![Just(0u32), Just(1), Just(u32::MAX), 1000u32..200_000],
    );
    r.run(&strategy, |(samples, rate)| {
        let _ = decode_samples(&samples, rate, &DecodeOptions::default());
        Ok(())
    })
    .unwrap();
}

/// Every file under `dir/<target>/`, through that target's body, each in bounded time.
fn replay(dir: &Path) -> usize {
    let mut n = 0;
    let Ok(targets_dirs) = std::fs::read_dir(dir) else {
        return 0;
    };
    for t in targets_dirs {
        let t = t.unwrap().path();
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        let f: fn(&[u8]) = match name.as_str() {
            "wav_reader" => targets::wav_reader,
            "decode_samples" => targets::decode_samples_target,
            "http_body" => targets::http_body,
            "encode_request" => targets::encode_request,
            "decode_samples_extreme" => targets::decode_samples_extreme,
            _ => continue,
        };
        let mut files: Vec<_> = std::fs::read_dir(&t)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for p in files {
            let data = std::fs::read(&p).unwrap();
            let start = Instant::now();
            f(&data);
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(5),
                "{} took {took:?}",
                p.display()
            );
            n += 1;
        }
    }
    n
}

#[test]
fn fuzz_corpus_and_regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = replay(&root.join("corpus"));
    let regressions = replay(&root.join("regressions"));
    eprintln!("replayed {corpus} corpus inputs and {regressions} regressions");
    assert!(corpus > 0, "no committed fuzz corpus under fuzz/corpus");
    assert!(regressions >= 2, "the F1 regressions are missing");
}

#[test]
fn stream_decoder_never_panics_and_finds_what_was_sent() {
    let mut r = runner(12, 12);
    let strategy = (
        proptest::collection::vec(any::<u8>(), 1..=20),
        proptest::sample::select(vec![16_000u32, 44_100, 48_000]),
        proptest::collection::vec(1usize..5000, 1..40),
        proptest::collection::vec(any::<f32>(), 0..2000),
    );
    r.run(&strategy, |(payload, rate, chunks, junk)| {
        let o = EncodeOptions {
            protocol: 2,
            sample_rate: rate,
            ..Default::default()
        };
        let audio = encode(&payload, &o).unwrap();
        let mut s = fskhttp::StreamDecoder::new(rate, DecodeOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // Arbitrary floats (NaN, infinities, huge) first, then the transmission in random chunks.
        let mut got = s.push(&junk);
        let mut pos = 0;
        for c in chunks.iter().cycle() {
            if pos >= audio.len() {
                break;
            }
            let end = (pos + c).min(audio.len());
            got.extend(s.push(&audio[pos..end]));
            pos = end;
        }
        got.extend(s.push(&vec![0.0; rate as usize]));
        got.extend(s.flush());
        prop_assert!(
            got.iter().any(|m| m.payload == payload),
            "{:?} not found in {:?}",
            payload,
            got.iter().map(|m| &m.payload).collect::<Vec<_>>()
        );
        Ok(())
    })
    .unwrap();
}

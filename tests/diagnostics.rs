//! Diagnostics: each message's `snr_db`, `drift_ppm` and `corrected_bytes` are plausible, and a
//! decode that finds nothing says why, for each class of [`Diagnosis`] (fixed seeds throughout).
mod common;
use common::Rng;
use fskhttp::resample::{resample, stretch};
use fskhttp::{
    decode_samples_diagnosed, decode_wav, encode_48k, write_wav, DecodeOptions, Diagnosis,
    EncodeOptions, Message, SampleFormat,
};

fn opts(protocol: u8) -> EncodeOptions {
    EncodeOptions {
        protocol,
        ..Default::default()
    }
}

/// `samples` at `rate` through the WAV path (16-bit), as a user's file.
fn decode(samples: &[f32], rate: u32, fixed: Option<usize>) -> (Vec<Message>, Option<Diagnosis>) {
    let wav = write_wav(samples, rate, SampleFormat::F32);
    let d = decode_wav(
        &wav,
        &DecodeOptions {
            fixed_length: fixed,
            ..Default::default()
        },
    )
    .expect("decode");
    (d.messages, d.diagnosis)
}

fn noise(rng: &mut Rng, n: usize, rms: f32) -> Vec<f32> {
    (0..n).map(|_| rng.gauss() as f32 * rms).collect()
}

fn padded(samples: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; 12_000];
    out.extend_from_slice(samples);
    out.extend(vec![0f32; 12_000]);
    out
}

fn rms(s: &[f32]) -> f32 {
    (s.iter().map(|v| v * v).sum::<f32>() / s.len() as f32).sqrt()
}

#[test]
fn snr_is_higher_for_a_clean_encode_than_with_noise() {
    let mut rng = Rng(1201);
    for p in [1u8, 2, 4, 7] {
        let tx = padded(&encode_48k(b"signal to noise", &opts(p)).unwrap());
        let (clean, _) = decode(&tx, 48000, None);
        assert_eq!(clean.len(), 1, "protocol {p}");
        let level = rms(&tx);
        let mut last = clean[0].snr_db;
        assert!(last > 30.0, "protocol {p}: clean {last} dB");
        assert_eq!(clean[0].corrected_bytes, 0);
        // Louder noise, lower SNR: white noise at 0, −5 and −10 dB against the whole signal.
        for snr in [0.0f32, -5.0, -10.0] {
            let n = noise(&mut rng, tx.len(), level * 10f32.powf(-snr / 20.0));
            let noisy: Vec<f32> = tx.iter().zip(&n).map(|(a, b)| a + b).collect();
            let (got, _) = decode(&noisy, 48000, None);
            assert_eq!(got.len(), 1, "protocol {p} at {snr} dB");
            assert_eq!(got[0].payload, b"signal to noise");
            let s = got[0].snr_db;
            assert!(
                s < last - 2.0,
                "protocol {p}: {s} dB at {snr} dB, {last} before"
            );
            last = s;
        }
    }
}

#[test]
fn snr_in_fixed_length_mode() {
    let mut rng = Rng(1202);
    let o = EncodeOptions {
        protocol: 10,
        fixed_length: Some(8),
        ..Default::default()
    };
    let tx = padded(&encode_48k(b"fixed 08", &o).unwrap());
    let (clean, _) = decode(&tx, 48000, Some(8));
    assert_eq!(clean.len(), 1);
    // Fixed-length reads sit on a quarter-frame grid: some of each tone leaks next door.
    assert!(clean[0].snr_db > 15.0, "{}", clean[0].snr_db);
    assert_eq!(clean[0].drift_ppm, 0.0);
    // −10 dB over the whole 24 kHz: about +5 dB in the 16 bins of an [MT] band.
    let n = noise(&mut rng, tx.len(), 3.16 * rms(&tx));
    let noisy: Vec<f32> = tx.iter().zip(&n).map(|(a, b)| a + b).collect();
    let (got, _) = decode(&noisy, 48000, Some(8));
    assert_eq!(got.len(), 1);
    assert!(got[0].snr_db < clean[0].snr_db - 10.0, "{}", got[0].snr_db);
}

#[test]
fn drift_ppm_is_the_resampling_drift() {
    for p in [0u8, 1, 2] {
        let tx = padded(&encode_48k(b"drifting", &opts(p)).unwrap());
        let (clean, _) = decode(&tx, 48000, None);
        assert!(clean[0].drift_ppm.abs() <= 200.0, "{}", clean[0].drift_ppm);
        // Played 0.5 % fast (the sender's clock fast, or the recorder's slow): every tone 0.5 %
        // higher, +5000 ppm; and 0.5 % slow: −5000 ppm (1/1.005 − 1 = −4975).
        for (ratio, want) in [(1.0 / 1.005, 5000.0), (1.005, -4975.0)] {
            let drifted = stretch(&tx, ratio).unwrap();
            let (got, _) = decode(&drifted, 48000, None);
            assert_eq!(got.len(), 1, "protocol {p} ratio {ratio}");
            assert_eq!(got[0].payload, b"drifting");
            let ppm = got[0].drift_ppm;
            assert!(
                (ppm - want).abs() <= 200.0,
                "protocol {p}: {ppm} ppm, want {want}"
            );
        }
    }
}

#[test]
fn corrected_bytes_counts_the_bytes_reed_solomon_repaired() {
    // Two 40-byte payloads that differ in bytes 3..6: the same header, and data symbol 2 (stream
    // bytes 6..9) differs. Symbol 2 of the second spliced into the first is 3 wrong bytes.
    let a: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
    let mut b = a.clone();
    b[3..6].copy_from_slice(b"XYZ");
    for p in [0u8, 1, 2] {
        let (ta, tb) = (
            encode_48k(&a, &opts(p)).unwrap(),
            encode_48k(&b, &opts(p)).unwrap(),
        );
        let span = fskhttp::PROTOCOLS[p as usize].frames_per_tx * 1024;
        let at = 16 * 1024 + 2 * span;
        let mut spliced = ta.clone();
        spliced[at..at + span].copy_from_slice(&tb[at..at + span]);
        let (got, _) = decode(&padded(&spliced), 48000, None);
        assert_eq!(got.len(), 1, "protocol {p}");
        assert_eq!(got[0].payload, a, "protocol {p}");
        assert_eq!(got[0].corrected_bytes, 3, "protocol {p}");
        let (clean, _) = decode(&padded(&ta), 48000, None);
        assert_eq!(clean[0].corrected_bytes, 0);
    }
}

#[test]
fn every_message_has_no_diagnosis_and_an_empty_decode_has_one() {
    let tx = padded(&encode_48k(b"fine", &opts(1)).unwrap());
    let (m, d) = decode(&tx, 48000, None);
    assert_eq!((m.len(), d), (1, None));
    let out = decode_samples_diagnosed(&vec![0f32; 48_000], 48000, &DecodeOptions::default());
    let out = out.unwrap();
    assert!(out.messages.is_empty());
    assert_eq!(out.diagnosis, Some(Diagnosis::Silent));
}

/// The diagnosis of `samples` at `rate` (nothing may decode).
fn diagnosis(samples: &[f32], rate: u32, fixed: Option<usize>) -> Diagnosis {
    let (m, d) = decode(samples, rate, fixed);
    assert!(m.is_empty(), "{m:?}");
    let d = d.expect("a diagnosis");
    // Every diagnosis is a sentence.
    let text = d.to_string();
    assert!(text.len() > 20 && !text.contains('\n'), "{text}");
    d
}

#[test]
fn silence_and_too_quiet() {
    assert_eq!(
        diagnosis(&vec![0f32; 96_000], 48000, None),
        Diagnosis::Silent
    );
    assert_eq!(
        diagnosis(&vec![0f32; 96_000], 48000, Some(8)),
        Diagnosis::Silent
    );
    let faint = noise(&mut Rng(1203), 96_000, 1e-4);
    match diagnosis(&faint, 48000, None) {
        Diagnosis::TooQuiet { peak_dbfs } => {
            assert!((-80.0..-60.0).contains(&peak_dbfs), "{peak_dbfs}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clipped() {
    // Loud noise overdriven 10x: flat tops at full scale.
    let loud: Vec<f32> = noise(&mut Rng(1204), 96_000, 1.0)
        .iter()
        .map(|v| (10.0 * v).clamp(-1.0, 1.0))
        .collect();
    match diagnosis(&loud, 48000, None) {
        Diagnosis::Clipped { percent } => assert!(percent > 10.0, "{percent}"),
        other => panic!("{other:?}"),
    }
    // The same noise unclipped is not.
    let soft = noise(&mut Rng(1204), 96_000, 0.2);
    assert_eq!(diagnosis(&soft, 48000, None).kind(), "nothing_found");
}

#[test]
fn an_ultrasound_message_in_an_8_khz_file_is_above_nyquist() {
    let mut rng = Rng(1205);
    let tx = padded(&encode_48k(b"ultrasound", &opts(4)).unwrap());
    let mut low = resample(&tx, 48000, 8000).unwrap();
    for (v, n) in low.iter_mut().zip(noise(&mut rng, tx.len(), 0.01)) {
        *v += n;
    }
    let d = diagnosis(&low, 8000, None);
    assert_eq!(d, Diagnosis::AboveNyquist { sample_rate: 8000 });
    assert!(d.to_string().contains("4000 Hz"), "{d}");
}

#[test]
fn energy_outside_every_band() {
    // A 440 Hz hum and a 10 kHz whistle (between the audible and the ultrasound bands).
    for hz in [440.0f32, 10_000.0] {
        let tone: Vec<f32> = (0..96_000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / 48_000.0).sin())
            .collect();
        match diagnosis(&tone, 48000, None) {
            Diagnosis::OutOfBand {
                dominant_hz,
                in_band_percent,
            } => {
                assert!((dominant_hz - hz as f64).abs() < 60.0, "{dominant_hz}");
                assert!(in_band_percent < 1.0, "{in_band_percent}");
            }
            other => panic!("{hz} Hz: {other:?}"),
        }
    }
}

#[test]
fn a_start_marker_without_a_readable_payload_names_its_protocol() {
    let mut rng = Rng(1206);
    for p in [1u8, 2, 7] {
        let proto = &fskhttp::PROTOCOLS[p as usize];
        let payload: Vec<u8> = (0..60u8).collect();
        let mut tx = encode_48k(&payload, &opts(p)).unwrap();
        // Keep the start marker and the header's symbols; drown the payload in loud noise.
        let header_symbols = proto.extra * 3_usize.div_ceil(proto.bytes_per_tx);
        let from = 16 * 1024 + header_symbols * proto.frames_per_tx * 1024;
        let to = tx.len() - 16 * 1024;
        for v in &mut tx[from..to] {
            *v = rng.gauss() as f32 * 0.4;
        }
        let d = diagnosis(&padded(&tx), 48000, None);
        match d {
            Diagnosis::MarkerHeard {
                protocol,
                at_seconds,
            } => {
                assert_eq!(protocol, p, "{d}");
                assert!((at_seconds - 0.25).abs() < 0.03, "{at_seconds}");
                assert!(d.to_string().contains(proto.name), "{d}");
            }
            other => panic!("protocol {p}: {other:?}"),
        }
    }
}

#[test]
fn nothing_resembling_a_transmission() {
    let mut rng = Rng(1207);
    let n = noise(&mut rng, 5 * 48_000, 0.1);
    for fixed in [None, Some(8)] {
        match diagnosis(&n, 48000, fixed) {
            Diagnosis::NothingFound { in_band_percent } => {
                // White noise: the bands hold 208 of the 512 bins (~40 %).
                assert!((30.0..50.0).contains(&in_band_percent), "{in_band_percent}")
            }
            other => panic!("{other:?}"),
        }
    }
}

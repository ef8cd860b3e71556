//! Round trips through our own encoder and decoder: every protocol, random payloads of every
//! length (fixed seeds), long payloads split in several transmissions, several messages a file,
//! WAV formats, noise and clock drift.
mod common;
use common::{u16_at, u32_at, wav_fields, Rng, Wav};
use fskhttp::{
    decode_samples, decode_wav, encode, encode_48k, read_wav, write_wav, DecodeOptions,
    EncodeOptions, Limits, SampleFormat, PROTOCOLS,
};

fn opts(protocol: u8) -> EncodeOptions {
    EncodeOptions {
        protocol,
        ..Default::default()
    }
}

fn decode48(samples: &[f32], fixed: Option<usize>) -> Vec<fskhttp::Message> {
    decode_samples(
        samples,
        48000,
        &DecodeOptions {
            fixed_length: fixed,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn every_variable_protocol_every_length_class() {
    let mut rng = Rng(0x00f5_c0de);
    for p in PROTOCOLS.iter().filter(|p| !p.is_mono_tone()) {
        for len in [1usize, 2, 3, 4, 5, 14, 15, 33, 64, 99, 139, 140] {
            let payload = rng.bytes(len);
            let audio = encode_48k(&payload, &opts(p.id)).unwrap();
            let got = decode48(&audio, None);
            assert_eq!(got.len(), 1, "protocol {} len {len}", p.id);
            assert_eq!(got[0].payload, payload, "protocol {} len {len}", p.id);
            assert_eq!(got[0].protocol, p.id);
        }
    }
}

#[test]
fn random_lengths_one_to_140_protocol_2() {
    let mut rng = Rng(7);
    for len in 1..=140 {
        let payload = rng.bytes(len);
        let audio = encode_48k(&payload, &opts(2)).unwrap();
        let got = decode48(&audio, None);
        assert_eq!(
            got.iter().map(|m| m.payload.clone()).collect::<Vec<_>>(),
            vec![payload],
            "len {len}"
        );
    }
}

#[test]
fn fixed_length_every_protocol_with_and_without_dss() {
    let mut rng = Rng(11);
    for p in PROTOCOLS.iter() {
        for (len, dss) in [(1usize, false), (5, true), (16, false), (64, false)] {
            if p.is_mono_tone() && len == 64 && p.frames_per_tx == 9 {
                continue; // 34 s; covered by the 16-byte case
            }
            let payload = rng.bytes(len);
            let o = EncodeOptions {
                protocol: p.id,
                fixed_length: Some(len),
                dss,
                ..Default::default()
            };
            let audio = encode_48k(&payload, &o).unwrap();
            let got = decode_samples(
                &audio,
                48000,
                &DecodeOptions {
                    fixed_length: Some(len),
                    dss,
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(
                got.len(),
                1,
                "protocol {} len {len} dss {dss}: {got:?}",
                p.id
            );
            assert_eq!(got[0].payload, payload, "protocol {} len {len}", p.id);
        }
    }
}

#[test]
fn dss_variable_round_trip_and_needs_the_flag() {
    let payload = b"spread me".to_vec();
    let o = EncodeOptions {
        dss: true,
        ..Default::default()
    };
    let audio = encode_48k(&payload, &o).unwrap();
    let with = decode_samples(
        &audio,
        48000,
        &DecodeOptions {
            dss: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(with[0].payload, payload);
    let without = decode48(&audio, None);
    assert_ne!(without.first().map(|m| m.payload.clone()), Some(payload));
}

#[test]
fn long_payload_is_split_and_reassembled_in_order() {
    let mut rng = Rng(99);
    let payload = rng.bytes(500);
    // framing=none: today's plain split (tests/framing.rs covers the framed default).
    let o = EncodeOptions {
        framing: fskhttp::Framing::None,
        ..opts(2)
    };
    let audio = encode_48k(&payload, &o).unwrap();
    let got = decode48(&audio, None);
    assert_eq!(got.len(), 4);
    let joined: Vec<u8> = got.iter().flat_map(|m| m.payload.clone()).collect();
    assert_eq!(joined, payload);
    assert!(got
        .windows(2)
        .all(|w| w[0].end_seconds <= w[1].start_seconds));
}

#[test]
fn several_messages_with_silence_and_times() {
    let mut audio = vec![0f32; 24000];
    let mut want = Vec::new();
    for (i, p) in [1u8, 4, 7, 2].iter().enumerate() {
        let text = format!("message {i} on {p}");
        want.push((audio.len() as f64 / 48000.0, text.clone(), *p));
        audio.extend(encode_48k(text.as_bytes(), &opts(*p)).unwrap());
        audio.extend(vec![0f32; 10000 + 3000 * i]);
    }
    let got = decode48(&audio, None);
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (m, (start, text, p)) in got.iter().zip(&want) {
        assert_eq!(m.text(), Some(text.as_str()));
        assert_eq!(m.protocol, *p);
        assert!(
            (m.start_seconds - start).abs() < 0.02,
            "start {} vs {start}",
            m.start_seconds
        );
    }
}

#[test]
fn output_rates_decode() {
    for (p, rate) in [
        (1u8, 8000u32),
        (6, 8000),
        (1, 16000),
        (1, 22050),
        (1, 44100),
        (4, 44100),
        (1, 96000),
        (5, 96000),
        (0, 32000),
    ] {
        let o = EncodeOptions {
            protocol: p,
            sample_rate: rate,
            ..Default::default()
        };
        let enc = encode(b"rates", &o);
        if fskhttp::Protocol::by_id(p).unwrap().max_hz() >= 0.45 * rate as f64 {
            assert!(enc.is_err(), "protocol {p} at {rate} Hz must be refused");
            continue;
        }
        let audio = enc.unwrap();
        let got = decode_samples(&audio, rate, &DecodeOptions::default()).unwrap();
        assert_eq!(got.len(), 1, "protocol {p} at {rate}");
        assert_eq!(got[0].text(), Some("rates"), "protocol {p} at {rate}");
    }
}

/// `samples` in any format: channel 1 carries -0.5 of the signal, every other channel the signal;
/// an odd-sized chunk the reader must skip (with its pad byte) sits before the data.
fn wav_with(
    samples: &[f32],
    channels: u16,
    bits: u16,
    float: bool,
    extensible: bool,
    rate: u32,
) -> Vec<u8> {
    let mut wav = if float {
        Wav::float(bits, channels, rate)
    } else {
        Wav::pcm(bits, channels, rate)
    };
    if extensible {
        wav = wav.extensible();
    }
    let interleaved: Vec<f32> = samples
        .iter()
        .flat_map(|&s| (0..channels).map(move |c| if c == 1 { -s * 0.5 } else { s }))
        .collect();
    wav.chunk(b"LIST", &[1, 2, 3]).samples(&interleaved)
}

#[test]
fn any_wav_format_decodes() {
    let audio = encode(
        b"formats",
        &EncodeOptions {
            sample_rate: 44100,
            ..Default::default()
        },
    )
    .unwrap();
    for (ch, bits, float, ext) in [
        (1u16, 8u16, false, false),
        (1, 16, false, false),
        (2, 16, false, false),
        (1, 24, false, false),
        (2, 24, false, true),
        (1, 32, false, false),
        (1, 32, true, false),
        (6, 32, true, true),
        (1, 64, true, false),
    ] {
        let wav = wav_with(&audio, ch, bits, float, ext, 44100);
        let d = decode_wav(&wav, &DecodeOptions::default()).unwrap();
        assert_eq!(d.info.channels, ch);
        assert_eq!(d.info.bits_per_sample, bits);
        assert_eq!(
            d.messages.len(),
            1,
            "{ch} ch {bits} bit float={float} ext={ext}"
        );
        assert_eq!(d.messages[0].text(), Some("formats"));
    }
}

#[test]
fn tones_on_one_channel_out_of_phase_mix_still_decode() {
    let audio = encode_48k(b"left only", &opts(1)).unwrap();
    // Stereo where the right channel is the exact inverse: the plain mix is silence.
    let mut data = Vec::new();
    for &s in &audio {
        data.extend_from_slice(&((s * 32767.0) as i16).to_le_bytes());
        data.extend_from_slice(&(-((s * 32767.0) as i16)).to_le_bytes());
    }
    let wav = Wav::pcm(16, 2, 48000).bytes(&data);
    let d = decode_wav(&wav, &DecodeOptions::default()).unwrap();
    assert_eq!(d.messages.first().and_then(|m| m.text()), Some("left only"));
}

fn add_noise(signal: &[f32], snr_db: f64, rng: &mut Rng) -> Vec<f32> {
    let p: f64 = signal.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / signal.len() as f64;
    let sigma = (p / 10f64.powf(snr_db / 10.0)).sqrt();
    signal
        .iter()
        .map(|&v| (v as f64 + sigma * rng.gauss()) as f32)
        .collect()
}

#[test]
fn decodes_at_minus_10_db_snr_and_never_reports_a_wrong_payload() {
    let mut rng = Rng(2024);
    for p in [1u8, 2] {
        let clean = encode_48k(b"Hello World", &opts(p)).unwrap();
        let mut ok = 0;
        for _ in 0..10 {
            let mut audio = vec![0f32; 12000];
            audio.extend(&clean);
            audio.extend(vec![0f32; 12000]);
            let noisy = add_noise(
                &audio,
                -10.0 + 10.0 * (audio.len() as f64 / clean.len() as f64).log10(),
                &mut rng,
            );
            let got = decode48(&noisy, None);
            assert!(
                got.iter().all(|m| m.payload == b"Hello World"),
                "wrong payload: {got:?}"
            );
            ok += usize::from(!got.is_empty());
        }
        assert!(ok >= 9, "protocol {p}: {ok}/10 at -10 dB");
    }
}

#[test]
fn no_messages_in_noise_or_silence() {
    let mut rng = Rng(5);
    let noise: Vec<f32> = (0..48000 * 20)
        .map(|_| (0.3 * rng.gauss()) as f32)
        .collect();
    assert!(decode48(&noise, None).is_empty());
    for len in [1usize, 11] {
        assert!(decode48(&noise, Some(len)).is_empty(), "fixed {len}");
    }
    assert!(decode48(&vec![0f32; 48000 * 5], None).is_empty());
    assert!(decode48(&vec![0f32; 48000 * 5], Some(4)).is_empty());
}

#[test]
fn clock_drift_of_one_percent() {
    for p in [1u8, 2, 7] {
        let clean = encode_48k(b"drifting clocks", &opts(p)).unwrap();
        for drift in [-0.01f64, -0.005, 0.005, 0.01] {
            // A receiver whose clock runs fast by `drift` hears every frequency lower by it and
            // the transmission longer.
            let stretched = fskhttp::resample::stretch(&clean, 1.0 + drift).unwrap();
            let got = decode48(&stretched, None);
            assert_eq!(
                got.first().and_then(|m| m.text()),
                Some("drifting clocks"),
                "protocol {p} drift {drift}"
            );
        }
    }
}

#[test]
fn stream_decoder_reports_each_message_once_as_it_completes() {
    let mut audio = vec![0f32; 44100 / 2];
    for text in ["first", "second"] {
        audio.extend(
            encode(
                text.as_bytes(),
                &EncodeOptions {
                    sample_rate: 44100,
                    ..Default::default()
                },
            )
            .unwrap(),
        );
        audio.extend(vec![0f32; 44100]);
    }
    let mut live = fskhttp::StreamDecoder::new(44100, DecodeOptions::default()).unwrap();
    let mut got = Vec::new();
    // Chunks of 128 samples, as an AudioWorklet delivers them.
    for (i, chunk) in audio.chunks(128).enumerate() {
        for m in live.push(chunk) {
            // Reported no later than 0.6 s after the transmission ended.
            let now = (i * 128 + chunk.len()) as f64 / 44100.0;
            assert!(now - m.end_seconds < 0.6, "late by {}", now - m.end_seconds);
            got.push(m.text().unwrap_or_default().to_string());
        }
    }
    got.extend(
        live.flush()
            .into_iter()
            .map(|m| m.text().unwrap_or_default().to_string()),
    );
    assert_eq!(got, vec!["first", "second"]);
}

#[test]
fn any_lead_in_offset_decodes() {
    // Regression: at some offsets a faster protocol's window inside the header symbol out-ranked
    // the real protocol's timing.
    for p in [0u8, 1, 7] {
        let clean = encode_48k(b"Hello World", &opts(p)).unwrap();
        for lead in (4800..11000).step_by(97) {
            let mut audio = vec![0f32; lead];
            audio.extend(&clean);
            audio.extend(vec![0f32; 12000]);
            let got = decode48(&audio, None);
            assert_eq!(got.len(), 1, "protocol {p} lead {lead}");
            assert_eq!(
                got[0].text(),
                Some("Hello World"),
                "protocol {p} lead {lead}"
            );
        }
    }
}

#[test]
fn non_finite_and_huge_samples_are_sanitised_not_a_panic() {
    let mut audio = encode(
        b"still here",
        &EncodeOptions {
            sample_rate: 44100,
            ..Default::default()
        },
    )
    .unwrap();
    audio[100] = f32::NAN;
    audio[200] = f32::INFINITY;
    audio[300] = -1e30;
    audio[400] = f32::MAX;
    for rate in [44100u32, 48000, 8000] {
        let got = decode_samples(&audio, rate, &DecodeOptions::default()).unwrap();
        if rate == 44100 {
            assert_eq!(got.first().and_then(|m| m.text()), Some("still here"));
        }
    }
    let junk = vec![f32::NAN; 48000];
    assert!(decode_samples(&junk, 44100, &DecodeOptions::default())
        .unwrap()
        .is_empty());
}

/// Our float WAV is hound's WAVE_FORMAT_EXTENSIBLE file (sub-format IEEE float) with consistent
/// sizes, and our reader gets every sample back bit for bit; the 16-bit one keeps the plain
/// 44-byte header.
#[test]
fn our_float_wav_is_extensible_and_reads_back_exactly() {
    let audio = encode_48k(b"float file", &opts(1)).unwrap();
    let wav = write_wav(&audio, 48000, SampleFormat::F32);
    assert_eq!(u16_at(&wav, 20), 0xFFFE);
    let f = wav_fields(&wav);
    assert_eq!(
        (f.format, f.channels, f.rate, f.byte_rate, f.align, f.bits),
        (3, 1, 48000, 192_000, 4, 32)
    );
    assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
    assert_eq!(f.data.len(), audio.len() * 4);
    assert_eq!(wav.len(), 68 + audio.len() * 4);
    let a = read_wav(&wav, &Limits::default()).unwrap();
    assert!(a.info.float && a.info.bits_per_sample == 32 && a.info.frames == audio.len());
    assert!(a.channels[0]
        .iter()
        .zip(&audio)
        .all(|(x, y)| x.to_bits() == y.to_bits()));

    let wav16 = write_wav(&audio, 48000, SampleFormat::I16);
    let f = wav_fields(&wav16);
    assert_eq!(u16_at(&wav16, 20), 1);
    assert_eq!(wav16.len(), 44 + 2 * audio.len());
    assert_eq!((f.format, f.bits, f.align), (1, 16, 2));
}

//! The `fsk:codec` component, loaded in wasmtime, against the native library: every protocol
//! round-trips through the WIT interface, bad input gets the right typed error, and the shared
//! ggwave vectors give the same answers in both (byte-identical encodes, identical decodes).

use fsk_component_host::{
    component_path, Codec, DecodeOptions, DiagnosisKind, EncodeOptions, Error, FramingMode, Host,
    Limits, Message, Payload, SampleFormat,
};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Compiling the component takes a moment: once per test binary.
fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| match Host::load(&component_path()) {
        Ok(h) => h,
        Err(e) => panic!("{e:#}"),
    })
}

fn codec() -> Codec {
    host().instantiate().unwrap()
}

fn wit_opts(o: &fskhttp::EncodeOptions) -> EncodeOptions {
    EncodeOptions {
        protocol: o.protocol,
        volume: o.volume,
        sample_rate: o.sample_rate,
        fixed_length: o.fixed_length.map(|n| n as u32),
        dss: o.dss,
        framing: match o.framing {
            fskhttp::Framing::Auto => FramingMode::Auto,
            fskhttp::Framing::Always => FramingMode::Always,
            fskhttp::Framing::None => FramingMode::None,
        },
        parity: o.parity,
    }
}

/// The component's payloads equal the native ones (times to within a microsecond).
fn assert_same_payloads(what: &str, wasm: &[Payload], native: &[fskhttp::Payload]) {
    assert_eq!(wasm.len(), native.len(), "{what}: payload count");
    for (w, n) in wasm.iter().zip(native) {
        assert_eq!(w.data, n.data, "{what}");
        assert_eq!((w.complete, w.framed, w.id), (n.complete, n.framed, n.id));
        assert_eq!(
            (w.pieces, w.parity, w.received, w.length),
            (
                n.pieces as u32,
                n.parity as u32,
                n.received as u32,
                n.len as u32
            )
        );
        let idx = |v: &[usize]| v.iter().map(|&i| i as u32).collect::<Vec<_>>();
        assert_eq!(w.missing, idx(&n.missing), "{what}");
        assert_eq!(w.recovered, idx(&n.recovered), "{what}");
        assert!((w.start_seconds - n.start_seconds).abs() < 1e-6, "{what}");
    }
}

fn wit_decode_opts(o: &fskhttp::DecodeOptions) -> DecodeOptions {
    DecodeOptions {
        fixed_length: o.fixed_length.map(|n| n as u32),
        dss: o.dss,
        limits: Some(Limits {
            max_seconds: o.limits.max_seconds,
            max_channels: o.limits.max_channels,
            min_sample_rate: o.limits.min_sample_rate,
            max_sample_rate: o.limits.max_sample_rate,
        }),
    }
}

fn default_decode() -> DecodeOptions {
    DecodeOptions {
        fixed_length: None,
        dss: false,
        limits: None,
    }
}

/// The component's messages equal the native ones (times to within a microsecond).
fn assert_same_messages(what: &str, wasm: &[Message], native: &[fskhttp::Message]) {
    let w: Vec<_> = wasm
        .iter()
        .map(|m| (m.protocol, m.payload.clone()))
        .collect();
    let n: Vec<_> = native
        .iter()
        .map(|m| (m.protocol, m.payload.clone()))
        .collect();
    assert_eq!(w, n, "{what}: messages differ between component and native");
    for (a, b) in wasm.iter().zip(native) {
        // The quality figures cross the interface unchanged (the same code computes them; the
        // float maths of wasm and native may differ in the last bits).
        assert_eq!(a.corrected_bytes as usize, b.corrected_bytes, "{what}");
        assert!(
            (a.snr_db - b.snr_db).abs() < 0.01,
            "{what}: {} vs {}",
            a.snr_db,
            b.snr_db
        );
        assert!((a.drift_ppm - b.drift_ppm).abs() < 1.0, "{what}");
        assert!(
            (a.start_seconds - b.start_seconds).abs() < 1e-6
                && (a.end_seconds - b.end_seconds).abs() < 1e-6,
            "{what}: times differ: {}-{} vs {}-{}",
            a.start_seconds,
            a.end_seconds,
            b.start_seconds,
            b.end_seconds
        );
    }
}

/// Where the samples start in one of our WAVs: after the plain 44-byte header (16-bit PCM) or
/// hound's 68-byte WAVE_FORMAT_EXTENSIBLE one (32-bit float).
fn data_at(wav: &[u8]) -> usize {
    if wav[20..22] == [0xFE, 0xFF] {
        68
    } else {
        44
    }
}

/// Two WAVs from the component and the native library: identical at 48 kHz (no resampling);
/// through the resampler the FFT's rounding differs between wasm32 and native SIMD, so at other
/// rates the samples must agree to within one 16-bit step (or 2^-15 for float files).
fn assert_same_wav(what: &str, wasm: &[u8], native: &[u8], rate: u32) {
    assert_eq!(wasm.len(), native.len(), "{what}: WAV length");
    if rate == 48000 {
        assert!(wasm == native, "{what}: WAV differs from the native one");
        return;
    }
    let at = data_at(wasm);
    assert_eq!(wasm[..at], native[..at], "{what}: WAV header");
    let float = at == 68;
    let samples = |b: &[u8]| -> Vec<f64> {
        if float {
            b[at..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect()
        } else {
            b[at..]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f64 / 32768.0)
                .collect()
        }
    };
    let worst = samples(wasm)
        .iter()
        .zip(samples(native))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1.0 / 32768.0 + 1e-9,
        "{what}: samples differ by up to {worst}"
    );
}

/// The WIT error the component must give for a native encode error (the mapping, restated).
fn expected_error(e: &fskhttp::EncodeError) -> Error {
    use fskhttp::EncodeError as E;
    match e {
        E::EmptyPayload => Error::EmptyPayload,
        E::UnknownProtocol(p) => Error::UnknownProtocol(*p),
        E::MonoToneNeedsFixedLength(p) => Error::MonoToneNeedsFixedLength(*p),
        E::Volume(_)
        | E::SampleRate(_)
        | E::RateTooLowForProtocol { .. }
        | E::FixedLength(_)
        | E::Parity(_)
        | E::Framing(_) => Error::InvalidOption(e.to_string()),
        E::Limit(_) => Error::LimitExceeded(e.to_string()),
        E::Resample(_) => Error::Internal(e.to_string()),
    }
}

/// Deterministic payload bytes (xorshift64*, fixed seed).
fn payload(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn protocols_and_defaults_match_the_library() {
    let mut c = codec();
    let ps = c.protocols().unwrap();
    assert_eq!(ps.len(), fskhttp::PROTOCOLS.len());
    assert_eq!(ps.len(), 12);
    for (w, n) in ps.iter().zip(fskhttp::PROTOCOLS.iter()) {
        assert_eq!(w.id, n.id);
        assert_eq!(w.name, n.name);
        assert_eq!(w.slug, n.slug);
        assert_eq!(w.freq_start as usize, n.freq_start);
        assert_eq!(w.frames_per_tx as usize, n.frames_per_tx);
        assert_eq!(w.bytes_per_tx as usize, n.bytes_per_tx);
        assert_eq!(w.mono_tone, n.is_mono_tone());
        assert_eq!(w.min_hz, n.min_hz());
        assert_eq!(w.max_hz, n.max_hz());
        assert_eq!(w.symbol_seconds, n.symbol_seconds());
    }
    assert_eq!(ps[1].name, "Fast");
    assert!(ps[9].mono_tone && !ps[1].mono_tone);

    let d = c.default_encode_options().unwrap();
    assert_eq!(d, wit_opts(&fskhttp::EncodeOptions::default()));
    assert_eq!((d.protocol, d.volume, d.sample_rate), (1, 50, 48000));
    assert_eq!((d.fixed_length, d.dss), (None, false));
    assert_eq!((d.framing, d.parity), (FramingMode::Auto, 1));
    let l = c.default_limits().unwrap();
    assert_eq!(
        Some(l),
        wit_decode_opts(&fskhttp::DecodeOptions::default()).limits
    );
}

#[test]
fn every_protocol_round_trips_through_the_interface() {
    let mut c = codec();
    for p in fskhttp::PROTOCOLS.iter() {
        // Mono-tone protocols need fixed-length mode; a payload of exactly that length.
        let (fixed, len) = if p.is_mono_tone() {
            (Some(12), 12)
        } else {
            (None, 24)
        };
        let data = payload(0xc0de + p.id as u64, len);
        let native_opts = fskhttp::EncodeOptions {
            protocol: p.id,
            fixed_length: fixed,
            ..Default::default()
        };
        let opts = wit_opts(&native_opts);
        let what = format!("protocol {} ({})", p.id, p.name);

        let wav = c.encode(&data, opts, SampleFormat::Pcm16).unwrap().unwrap();
        let native_wav =
            fskhttp::encode_wav(&data, &native_opts, fskhttp::SampleFormat::I16).unwrap();
        assert!(wav == native_wav, "{what}: WAV differs from the native one");

        let plan = c.plan(len as u32, opts).unwrap().unwrap();
        let native_plan = fskhttp::plan(len, &native_opts).unwrap();
        assert_eq!(plan.samples_48k as usize, native_plan.samples_48k, "{what}");
        assert_eq!(plan.transmissions as usize, native_plan.transmissions);
        assert_eq!(wav.len(), 44 + 2 * native_plan.samples_48k, "{what}");

        let dopts = DecodeOptions {
            fixed_length: fixed.map(|n| n as u32),
            ..default_decode()
        };
        let decoded = c.decode(&wav, &dopts).unwrap().unwrap();
        assert_eq!(decoded.info.sample_rate, 48000);
        assert_eq!(decoded.info.channels, 1);
        assert_eq!(decoded.info.bits_per_sample, 16);
        assert!(!decoded.info.float);
        assert_eq!(decoded.info.frames as usize, native_plan.samples_48k);
        let got: Vec<_> = decoded
            .messages
            .iter()
            .map(|m| (m.protocol, m.payload.clone()))
            .collect();
        assert_eq!(got, vec![(p.id, data.clone())], "{what}: decode");
        let m = &decoded.messages[0];
        assert!(
            m.start_seconds >= 0.0
                && m.end_seconds > m.start_seconds
                && m.end_seconds <= native_plan.seconds + 1e-9,
            "{what}: times {}..{}",
            m.start_seconds,
            m.end_seconds
        );
        let native_dopts = fskhttp::DecodeOptions {
            fixed_length: fixed,
            ..Default::default()
        };
        let native = fskhttp::decode_wav(&wav, &native_dopts).unwrap();
        assert_same_messages(&what, &decoded.messages, &native.messages);

        // Samples out, samples in.
        let samples = c.encode_samples(&data, opts).unwrap().unwrap();
        let native_samples = fskhttp::encode(&data, &native_opts).unwrap();
        assert_eq!(samples.len(), native_samples.len(), "{what}");
        let worst = samples
            .iter()
            .zip(&native_samples)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "{what}: samples differ by {worst}");
        let msgs = c.decode_samples(&samples, 48000, &dopts).unwrap().unwrap();
        let got: Vec<_> = msgs
            .iter()
            .map(|m| (m.protocol, m.payload.clone()))
            .collect();
        assert_eq!(got, vec![(p.id, data)], "{what}: decode-samples");
    }
}

#[test]
fn float_wavs_other_rates_dss_and_long_payloads_round_trip() {
    let mut c = codec();
    let cases = [
        // (protocol, rate, fixed, dss, len, format)
        (
            1u8,
            48000u32,
            None,
            false,
            40usize,
            SampleFormat::IeeeFloat32,
        ),
        (2, 44100, None, false, 16, SampleFormat::Pcm16),
        (0, 16000, None, true, 11, SampleFormat::Pcm16),
        (4, 96000, Some(16), true, 16, SampleFormat::IeeeFloat32),
        (1, 48000, None, false, 300, SampleFormat::Pcm16),
    ];
    for (protocol, rate, fixed, dss, len, format) in cases {
        let what =
            format!("protocol {protocol} at {rate} Hz, fixed {fixed:?}, dss {dss}, {len} bytes");
        let data = payload(rate as u64 + len as u64, len);
        let native_opts = fskhttp::EncodeOptions {
            protocol,
            sample_rate: rate,
            fixed_length: fixed,
            dss,
            ..Default::default()
        };
        let wav = c
            .encode(&data, wit_opts(&native_opts), format)
            .unwrap()
            .unwrap();
        let native_format = match format {
            SampleFormat::Pcm16 => fskhttp::SampleFormat::I16,
            SampleFormat::IeeeFloat32 => fskhttp::SampleFormat::F32,
        };
        let native_wav = fskhttp::encode_wav(&data, &native_opts, native_format).unwrap();
        assert_same_wav(&what, &wav, &native_wav, rate);
        let native_dopts = fskhttp::DecodeOptions {
            fixed_length: fixed,
            dss,
            ..Default::default()
        };
        let d = c
            .decode(&wav, &wit_decode_opts(&native_dopts))
            .unwrap()
            .unwrap();
        assert_eq!(d.info.sample_rate, rate, "{what}");
        assert_eq!(d.info.float, format == SampleFormat::IeeeFloat32);
        // Payloads: the plain message, or the framed 300 bytes joined (docs/framing.md).
        assert_eq!(d.payloads.len(), 1, "{what}");
        assert!(d.payloads[0].complete, "{what}");
        assert_eq!(d.payloads[0].data, data, "{what}: decode");
        assert!(d.messages.iter().all(|m| m.protocol == protocol), "{what}");
        let native = fskhttp::decode_wav(&wav, &native_dopts).unwrap();
        assert_same_messages(&what, &d.messages, &native.messages);
        assert_same_payloads(&what, &d.payloads, &native.payloads);
        assert_eq!(
            c.assemble(&d.messages).unwrap(),
            d.payloads,
            "{what}: assemble"
        );
    }
}

#[test]
fn bad_input_gets_typed_errors_and_the_instance_survives() {
    let mut c = codec();
    let ok = c.default_encode_options().unwrap();
    let enc = |c: &mut Codec, data: &[u8], o: EncodeOptions| {
        c.encode(data, o, SampleFormat::Pcm16).unwrap().unwrap_err()
    };
    assert_eq!(enc(&mut c, b"", ok), Error::EmptyPayload);
    assert_eq!(
        enc(&mut c, b"x", EncodeOptions { protocol: 12, ..ok }),
        Error::UnknownProtocol(12)
    );
    assert_eq!(
        enc(
            &mut c,
            b"x",
            EncodeOptions {
                protocol: 255,
                ..ok
            }
        ),
        Error::UnknownProtocol(255)
    );
    assert_eq!(
        enc(&mut c, b"x", EncodeOptions { protocol: 9, ..ok }),
        Error::MonoToneNeedsFixedLength(9)
    );
    for bad in [
        EncodeOptions { volume: 0, ..ok },
        EncodeOptions { volume: 101, ..ok },
        EncodeOptions {
            sample_rate: 7999,
            ..ok
        },
        EncodeOptions {
            sample_rate: 96001,
            ..ok
        },
        // Ultrasound tones cannot be carried by 16 kHz audio.
        EncodeOptions {
            protocol: 3,
            sample_rate: 16000,
            ..ok
        },
        EncodeOptions {
            fixed_length: Some(0),
            ..ok
        },
        EncodeOptions {
            fixed_length: Some(65),
            ..ok
        },
        EncodeOptions {
            fixed_length: Some(u32::MAX),
            ..ok
        },
        EncodeOptions { parity: 9, ..ok },
        // Pieces of 8 bytes cannot carry the framing header.
        EncodeOptions {
            fixed_length: Some(8),
            framing: FramingMode::Always,
            ..ok
        },
    ] {
        let e = enc(&mut c, b"hello", bad);
        let native = fskhttp::encode_wav(
            b"hello",
            &fskhttp::EncodeOptions {
                protocol: bad.protocol,
                volume: bad.volume,
                sample_rate: bad.sample_rate,
                fixed_length: bad.fixed_length.map(|n| n as usize),
                dss: bad.dss,
                parity: bad.parity,
                framing: match bad.framing {
                    FramingMode::Auto => fskhttp::Framing::Auto,
                    FramingMode::Always => fskhttp::Framing::Always,
                    FramingMode::None => fskhttp::Framing::None,
                },
            },
            fskhttp::SampleFormat::I16,
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidOption(_)), "{bad:?}: {e:?}");
        assert_eq!(e, expected_error(&native), "{bad:?}");
    }
    let long = vec![7u8; 8193];
    assert!(
        matches!(enc(&mut c, &long, ok), Error::LimitExceeded(ref s) if s.contains("8193")),
        "payload over the cap"
    );
    assert!(matches!(
        c.encode_samples(b"", ok).unwrap(),
        Err(Error::EmptyPayload)
    ));
    assert!(matches!(c.plan(0, ok).unwrap(), Err(Error::EmptyPayload)));
    assert!(matches!(
        c.plan(9000, ok).unwrap(),
        Err(Error::LimitExceeded(_))
    ));

    // Decoding.
    let dec = |c: &mut Codec, wav: &[u8], o: &DecodeOptions| c.decode(wav, o).unwrap().unwrap_err();
    let d = default_decode();
    for junk in [
        &b""[..],
        b"not a wav at all",
        b"RIFF\x10\0\0\0WAVE",
        &[0u8; 100],
    ] {
        let e = dec(&mut c, junk, &d);
        let native = fskhttp::decode_wav(junk, &fskhttp::DecodeOptions::default()).unwrap_err();
        assert_eq!(e, Error::BadWav(native.to_string()), "{junk:?}");
    }
    let wav = c
        .encode(b"Hello World", ok, SampleFormat::Pcm16)
        .unwrap()
        .unwrap();
    // Header cut short.
    assert!(matches!(dec(&mut c, &wav[..30], &d), Error::BadWav(_)));
    for n in [0, 65, u32::MAX] {
        let o = DecodeOptions {
            fixed_length: Some(n),
            ..d
        };
        assert!(
            matches!(dec(&mut c, &wav, &o), Error::InvalidOption(_)),
            "fixed length {n}"
        );
    }
    let mut tight = c.default_limits().unwrap();
    tight.max_seconds = 0.5;
    let o = DecodeOptions {
        limits: Some(tight),
        ..d
    };
    assert!(matches!(dec(&mut c, &wav, &o), Error::LimitExceeded(ref s) if s.contains("0.5")));
    let mut rates = c.default_limits().unwrap();
    rates.max_sample_rate = 44100;
    let o = DecodeOptions {
        limits: Some(rates),
        ..d
    };
    assert!(matches!(dec(&mut c, &wav, &o), Error::LimitExceeded(_)));
    assert!(matches!(
        c.decode_samples(&[0.0; 100], 10, &d).unwrap(),
        Err(Error::LimitExceeded(_))
    ));

    // Silence and noise are not errors: no messages.
    let silence = vec![0.0f32; 48000];
    assert_eq!(
        c.decode_samples(&silence, 48000, &d).unwrap().unwrap(),
        vec![]
    );
    let noise: Vec<f32> = payload(42, 48000)
        .iter()
        .map(|b| (*b as f32 - 127.5) / 256.0)
        .collect();
    assert_eq!(
        c.decode_samples(&noise, 48000, &d).unwrap().unwrap(),
        vec![]
    );

    // A WAV with nothing in it says why; one with a message has no diagnosis.
    let quiet = fskhttp::write_wav(&silence, 48000, fskhttp::SampleFormat::I16);
    let why = c.decode(&quiet, &d).unwrap().unwrap();
    assert!(why.messages.is_empty());
    let why = why.diagnosis.expect("a diagnosis");
    assert_eq!(why.kind, DiagnosisKind::Silent);
    assert!(why.text.contains("silent"), "{}", why.text);

    // After all of that the same instance still works.
    let again = c.decode(&wav, &d).unwrap().unwrap();
    assert_eq!(again.messages.len(), 1);
    assert_eq!(again.messages[0].payload, b"Hello World");
    assert!(again.diagnosis.is_none());
    assert!(
        again.messages[0].snr_db > 30.0,
        "{}",
        again.messages[0].snr_db
    );
}

struct Vector {
    file: String,
    bytes: Vec<u8>,
    protocol: u8,
    rate: u32,
    volume: u8,
    payload: Vec<u8>,
    fixed: Option<usize>,
    dss: bool,
    float: bool,
}

/// The ggwave vectors: `FSK_VECTORS_DIR` (scripts/test.d/60-component.sh points it at every case
/// generated by scripts/gen-vectors), else the set committed under tests/data/ggwave.
fn vectors_dir() -> PathBuf {
    match std::env::var_os("FSK_VECTORS_DIR") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/ggwave"),
    }
}

/// The set's name (`full` or `committed`) and its vectors.
fn vectors() -> (String, Vec<Vector>) {
    let dir = vectors_dir();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let set = manifest["set"].as_str().unwrap().to_string();
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let list = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap().to_string();
            Vector {
                bytes: std::fs::read(dir.join(&file)).unwrap(),
                file,
                protocol: e["protocol_id"].as_u64().unwrap() as u8,
                rate: e["sample_rate"].as_u64().unwrap() as u32,
                volume: e["volume"].as_u64().unwrap() as u8,
                payload: hex(e["payload_hex"].as_str().unwrap()),
                fixed: e["fixed_payload_length"].as_u64().map(|n| n as usize),
                dss: e["dss"].as_bool().unwrap(),
                float: e["sample_format"].as_str().unwrap() == "f32le",
            }
        })
        .collect();
    (set, list)
}

#[test]
fn ggwave_vectors_give_the_same_answers_as_the_native_library() {
    let (set, vs) = vectors();
    // (entries, encoded, refused, carried) of each set scripts/gen-vectors makes. The encoder
    // refuses the rates too low for a protocol's tones: ultrasound at 16 kHz and audible at 8 kHz
    // in the full set (4 files), audible at 8 kHz in the committed one.
    let expected = match set.as_str() {
        "full" => (77, 73, 4, 73),
        "committed" => (21, 20, 1, 20),
        other => panic!("unknown vector set {other:?}"),
    };
    assert_eq!(vs.len(), expected.0, "the {set} set's manifest");
    let mut c = codec();
    let (mut encoded, mut refused, mut carried) = (0, 0, 0);
    let mut failures = Vec::new();
    for v in &vs {
        // Encoding: byte-identical to the native encoder, and (at 48 kHz) to ggwave's samples.
        let native_opts = fskhttp::EncodeOptions {
            protocol: v.protocol,
            volume: v.volume,
            sample_rate: v.rate,
            fixed_length: v.fixed,
            dss: v.dss,
            ..Default::default()
        };
        let (format, native_format) = if v.float {
            (SampleFormat::IeeeFloat32, fskhttp::SampleFormat::F32)
        } else {
            (SampleFormat::Pcm16, fskhttp::SampleFormat::I16)
        };
        let wav = c
            .encode(&v.payload, wit_opts(&native_opts), format)
            .unwrap();
        let native_wav = fskhttp::encode_wav(&v.payload, &native_opts, native_format);
        match (&wav, &native_wav) {
            (Ok(w), Ok(n)) => {
                assert_same_wav(&v.file, w, n, v.rate);
                if v.rate == 48000 {
                    assert!(
                        w[data_at(w)..] == v.bytes[44..],
                        "{}: samples differ from ggwave's",
                        v.file
                    );
                }
                encoded += 1;
            }
            (Err(w), Err(n)) => {
                assert_eq!(w, &expected_error(n), "{}", v.file);
                refused += 1;
            }
            _ => panic!("{}: component {wav:?} vs native {native_wav:?}", v.file),
        }

        // Decoding: same messages as the native decoder, which finds exactly the payload
        // (zero-padded in fixed-length mode) whenever the tones fit below Nyquist.
        let native_dopts = fskhttp::DecodeOptions {
            fixed_length: v.fixed,
            dss: v.dss,
            ..Default::default()
        };
        let d = c
            .decode(&v.bytes, &wit_decode_opts(&native_dopts))
            .unwrap()
            .unwrap();
        let n = fskhttp::decode_wav(&v.bytes, &native_dopts).unwrap();
        assert_eq!(d.info.sample_rate, n.info.sample_rate, "{}", v.file);
        assert_eq!(d.info.channels, n.info.channels, "{}", v.file);
        assert_eq!(d.info.bits_per_sample, n.info.bits_per_sample, "{}", v.file);
        assert_eq!(d.info.float, n.info.float, "{}", v.file);
        assert_eq!(d.info.frames as usize, n.info.frames, "{}", v.file);
        assert_same_messages(&v.file, &d.messages, &n.messages);
        let p = fskhttp::Protocol::by_id(v.protocol).unwrap();
        let mut want = v.payload.clone();
        if let Some(len) = v.fixed {
            want.resize(len, 0);
        }
        let got: Vec<_> = d
            .messages
            .iter()
            .map(|m| (m.protocol, m.payload.clone()))
            .collect();
        if p.max_hz() < v.rate as f64 / 2.0 {
            carried += 1;
            if got != vec![(v.protocol, want)] {
                failures.push(format!("{}: decoded {got:?}", v.file));
            }
        } else if !got.is_empty() {
            failures.push(format!("{}: tones above Nyquist, yet {got:?}", v.file));
        }
    }
    assert_eq!(
        (encoded, refused, carried),
        (expected.1, expected.2, expected.3)
    );
    assert!(
        failures.is_empty(),
        "{} of {} vectors decode wrongly through the component:\n{}",
        failures.len(),
        vs.len(),
        failures.join("\n")
    );
}

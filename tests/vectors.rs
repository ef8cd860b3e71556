//! The ggwave reference vectors (made by the pinned PyPI ggwave, see tests/data/ggwave/README.md):
//! byte-exact encoding at 48 kHz, and decoding of every file.
mod common;
use common::{u16_at, u32_at, vector_set, vectors, wav_fields};
use fskhttp::{decode_wav, encode_wav, DecodeOptions, EncodeOptions, SampleFormat};

/// (entries, entries at 48 kHz) of each set scripts/gen-vectors makes.
fn expected_counts() -> (usize, usize) {
    match vector_set().as_str() {
        "full" => (77, 50),
        "committed" => (21, 17),
        other => panic!("unknown vector set {other:?}"),
    }
}

#[test]
fn the_manifest_lists_the_whole_set() {
    assert_eq!(vectors().len(), expected_counts().0, "{} set", vector_set());
}

#[test]
fn encoding_is_byte_exact_at_48k() {
    let (mut checked, mut whole_files) = (0, 0);
    for v in vectors().iter().filter(|v| v.sample_rate == 48000) {
        let opts = EncodeOptions {
            protocol: v.protocol,
            volume: v.volume,
            sample_rate: 48000,
            fixed_length: v.fixed,
            dss: v.dss,
            ..Default::default()
        };
        let fmt = if v.float {
            SampleFormat::F32
        } else {
            SampleFormat::I16
        };
        let ours = encode_wav(&v.payload, &opts, fmt).unwrap();
        // Compare the header fields and the sample data. Our 16-bit header is the standard one
        // (RIFF size 36 + data); our float header is hound's WAVE_FORMAT_EXTENSIBLE one (68
        // bytes), where ggwave's float files carry a plain IEEE-float one: headers are ours to
        // choose, the samples must be ggwave's. The `cli_` files carry ggwave-to-file's RIFF
        // size (28 + data), the `py_` files the standard one.
        let (o, t) = (wav_fields(&ours), wav_fields(&v.bytes));
        assert_eq!(o.data.len(), t.data.len(), "{}: length", v.file);
        if let Some(i) = o.data.iter().zip(t.data).position(|(a, b)| a != b) {
            panic!(
                "{}: first difference at data byte {i} of {}",
                v.file,
                t.data.len()
            );
        }
        assert_eq!(
            (o.format, o.channels, o.rate, o.byte_rate, o.align, o.bits),
            (t.format, t.channels, t.rate, t.byte_rate, t.align, t.bits),
            "{}: header fields",
            v.file
        );
        assert_eq!(u32_at(&ours, 4) as usize, ours.len() - 8);
        if v.file.starts_with("py_") {
            if v.float {
                // hound's extensible header; the sample data was compared above.
                assert_eq!(u16_at(&ours, 20), 0xFFFE, "{}", v.file);
                assert_eq!(ours.len(), 68 + t.data.len(), "{}", v.file);
            } else {
                assert!(ours == v.bytes, "{}: header differs", v.file);
            }
            whole_files += 1;
        } else {
            assert_eq!(
                u32_at(&v.bytes, 4) as usize,
                v.bytes.len() - 16,
                "ggwave-to-file's RIFF size of {}",
                v.file
            );
        }
        checked += 1;
    }
    assert_eq!(checked, expected_counts().1, "every 48 kHz vector");
    assert!(whole_files >= 2, "whole files compared: {whole_files}");
}

#[test]
fn every_vector_decodes_to_its_payload() {
    let mut failures = Vec::new();
    for v in vectors() {
        let opts = DecodeOptions {
            fixed_length: v.fixed,
            dss: v.dss,
            ..Default::default()
        };
        let d = decode_wav(&v.bytes, &opts).unwrap();
        let p = fskhttp::Protocol::by_id(v.protocol).unwrap();
        let carried = p.max_hz() < v.sample_rate as f64 / 2.0;
        let mut want = v.payload.clone();
        if let Some(n) = v.fixed {
            want.resize(n, 0);
        }
        if carried {
            if d.messages.len() != 1
                || d.messages[0].payload != want
                || d.messages[0].protocol != v.protocol
            {
                failures.push(format!(
                    "{}: got {:?}",
                    v.file,
                    d.messages
                        .iter()
                        .map(|m| (m.protocol, m.hex()))
                        .collect::<Vec<_>>()
                ));
            }
        } else if !d.messages.is_empty() {
            failures.push(format!(
                "{}: tones above Nyquist, yet decoded {:?}",
                v.file, d.messages
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

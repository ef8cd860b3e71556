//! The ggwave reference vectors (made by the pinned PyPI ggwave, see tests/data/ggwave/README.md):
//! byte-exact encoding at 48 kHz, and decoding of every file.
mod common;
use common::{vector_set, vectors};
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
        // Compare the sample data; our header is the standard one (RIFF size 36 + data), the
        // `cli_` files carry ggwave-to-file's (28 + data), the `py_` files the standard one.
        let theirs = &v.bytes[44..];
        assert_eq!(ours.len() - 44, theirs.len(), "{}: length", v.file);
        if let Some(i) = ours[44..].iter().zip(theirs).position(|(a, b)| a != b) {
            panic!(
                "{}: first difference at data byte {i} of {}",
                v.file,
                theirs.len()
            );
        }
        assert_eq!(
            u32::from_le_bytes(ours[4..8].try_into().unwrap()) as usize,
            ours.len() - 8
        );
        if v.file.starts_with("py_") {
            assert!(ours == v.bytes, "{}: header differs", v.file);
            whole_files += 1;
        } else {
            assert_eq!(
                u32::from_le_bytes(v.bytes[4..8].try_into().unwrap()) as usize,
                v.bytes.len() - 16,
                "{}: ggwave-to-file's RIFF size",
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

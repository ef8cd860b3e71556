//! The ggwave reference vectors: byte-exact encoding at 48 kHz, and decoding of every file.
mod common;
use common::vectors;
use fskhttp::{decode_wav, encode_wav, DecodeOptions, EncodeOptions, SampleFormat};

#[test]
fn encoding_is_byte_exact_at_48k() {
    let mut checked = 0;
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
        // Compare the sample data; our header is the standard one (RIFF size 36 + data).
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
        checked += 1;
    }
    assert_eq!(checked, 47, "every 48 kHz vector");
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

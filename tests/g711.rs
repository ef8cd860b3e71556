//! G.711 WAVs (telephone systems, call recorders): a message encoded to PCM, companded to μ-law
//! and A-law by the small G.711 encoder below (plain and `WAVE_FORMAT_EXTENSIBLE` files), decodes
//! exactly like the 16-bit PCM original: the same payloads, protocols and times.
mod common;

use common::Wav;
use fskhttp::{decode_wav, encode, write_wav, DecodeOptions, EncodeOptions, SampleFormat};

/// G.711 μ-law encoding of a 16-bit sample: bias 132, segment = position of the highest set bit
/// of the biased magnitude above bit 7, 4 bits of step below it, sign (1 = negative), all
/// complemented.
fn mu_law(x: i16) -> u8 {
    let sign = if x < 0 { 0x80 } else { 0 };
    let mag = (i32::from(x).unsigned_abs().min(32635) + 132) as u16;
    let seg = (15 - mag.leading_zeros() as u16).saturating_sub(7).min(7);
    let step = (mag >> (seg + 3)) & 0x0f;
    !(sign | (seg << 4) as u8 | step as u8)
}

/// G.711 A-law encoding of a 16-bit sample: 13-bit magnitude, segment 0 for magnitudes below 32
/// (steps of 2), else the highest set bit's position minus 4 (steps doubling), sign (1 =
/// positive), even bits inverted.
fn a_law(x: i16) -> u8 {
    let sign = if x < 0 { 0 } else { 0x80 };
    let mag = (i32::from(x).unsigned_abs() >> 3).min(4095) as u16;
    let (seg, step) = if mag < 32 {
        (0, mag >> 1)
    } else {
        let seg = 11 - mag.leading_zeros() as u16; // bit length − 5
        (seg, (mag >> seg) & 0x0f)
    };
    (sign | (seg << 4) as u8 | step as u8) ^ 0x55
}

/// A G.711 WAV of `codes` (mono): tag 7 (μ-law) or 6 (A-law), plain or extensible, with the
/// `fact` chunk telephone systems write.
fn g711_wav(tag: u16, extensible: bool, rate: u32, codes: &[u8]) -> Vec<u8> {
    let wav = Wav::new(tag, 1, rate, 8).chunk(b"fact", &(codes.len() as u32).to_le_bytes());
    if extensible { wav.extensible() } else { wav }.bytes(codes)
}

/// (protocol, payload, start, end) of every message.
fn summary(wav: &[u8]) -> Vec<(u8, Vec<u8>, f64, f64)> {
    decode_wav(wav, &DecodeOptions::default())
        .expect("decode")
        .messages
        .into_iter()
        .map(|m| (m.protocol, m.payload, m.start_seconds, m.end_seconds))
        .collect()
}

#[test]
fn the_compander_round_trips_every_code_word_through_the_reader() {
    // Each code word read by the library's expansion and companded again is itself.
    for (tag, law) in [(7u16, mu_law as fn(i16) -> u8), (6, a_law)] {
        let codes: Vec<u8> = (0..=255).collect();
        let audio = fskhttp::read_wav(&g711_wav(tag, false, 8000, &codes), &Default::default())
            .expect("read");
        for (&c, &v) in codes.iter().zip(&audio.channels[0]) {
            let again = law((v * 32768.0) as i16);
            // μ-law has two zeros (0xFF, 0x7F): both expand to 0, which compands to 0xFF.
            if !(tag == 7 && c == 0x7f) {
                assert_eq!(again, c, "tag {tag}: 0x{c:02x} -> {v}");
            }
        }
    }
}

#[test]
fn mu_law_and_a_law_wavs_decode_like_their_pcm_originals() {
    // Telephone rate with the [DT] protocols (the only ones below 4 kHz), wideband and 48 kHz
    // with audible ones, and 48 kHz ultrasound.
    for (rate, protocol, text) in [
        (8000u32, 7u8, "call me back"),
        (8000, 6, "PIN 0451"),
        (16000, 1, "wideband voice"),
        (48000, 2, "fastest"),
        (48000, 4, "ultrasound over G.711"),
    ] {
        let opts = EncodeOptions {
            protocol,
            sample_rate: rate,
            volume: 60,
            ..Default::default()
        };
        let mut samples = vec![0f32; rate as usize / 4];
        samples.extend(encode(text.as_bytes(), &opts).expect("encode"));
        samples.extend(vec![0f32; rate as usize / 4]);
        let pcm = write_wav(&samples, rate, SampleFormat::I16);
        let want = summary(&pcm);
        assert_eq!(want.len(), 1, "PCM original, protocol {protocol} at {rate}");
        assert_eq!(want[0].0, protocol);
        assert_eq!(want[0].1, text.as_bytes());
        let linear: Vec<i16> = samples
            .iter()
            .map(|&v| (v * 32767.0).round() as i16)
            .collect();
        for (tag, name, law) in [
            (7u16, "mu-law", mu_law as fn(i16) -> u8),
            (6, "A-law", a_law),
        ] {
            let codes: Vec<u8> = linear.iter().map(|&v| law(v)).collect();
            for extensible in [false, true] {
                let got = summary(&g711_wav(tag, extensible, rate, &codes));
                let what =
                    format!("{name} (extensible {extensible}) protocol {protocol} at {rate}");
                assert_eq!(got.len(), 1, "{what}: {got:?}");
                assert_eq!((got[0].0, &got[0].1), (want[0].0, &want[0].1), "{what}");
                // Same position to within a few milliseconds (companding noise can move the
                // lock by a fraction of a frame).
                assert!(
                    (got[0].2 - want[0].2).abs() < 0.01,
                    "{what}: {got:?} vs {want:?}"
                );
                assert!(
                    (got[0].3 - want[0].3).abs() < 0.01,
                    "{what}: {got:?} vs {want:?}"
                );
            }
        }
    }
}

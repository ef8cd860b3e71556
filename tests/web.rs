//! wasm-bindgen-test tests of the browser bindings (src/web.rs), run in headless Chromium:
//! `scripts/test.d/40-web.sh` (wasm-bindgen-test-runner + Debian chromium-driver).
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use fskhttp::web::{self, LiveDecoder};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn lists_twelve_protocols() {
    let ps = web::protocols();
    assert_eq!(ps.len(), 12);
    assert_eq!(ps[1].name, "Fast");
    assert_eq!(ps[4].slug, "ultrasound-fast");
    assert!(ps[9].mono_tone && !ps[1].mono_tone);
    assert!((ps[1].min_hz - 1875.0).abs() < 1e-9);
    assert!(ps[2].bytes_per_second > ps[1].bytes_per_second);
}

#[wasm_bindgen_test]
fn encode_matches_plan_and_codec() {
    let payload = b"hello wasm";
    let plan = web::plan(payload.len() as u32, 1, 50, 48000, None, false, None, None).unwrap();
    assert_eq!(plan.transmissions, 1);
    let samples = web::encode(payload, 1, 50, 48000, None, false, None, None).unwrap();
    assert_eq!(samples.len() as f64, (plan.seconds * 48000.0).round());
    // The binding is a thin shell: the very same samples as the codec.
    let native = fskhttp::encode(payload, &fskhttp::EncodeOptions::default()).unwrap();
    assert_eq!(samples, native);
    assert!(samples.iter().all(|v| v.abs() <= 1.0));
}

#[wasm_bindgen_test]
fn encode_wav_writes_a_16_bit_or_float_wav() {
    let wav = web::encode_wav(b"abc", 2, 30, 16000, None, false, false, None, None).unwrap();
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
        16000
    );
    assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16);
    let f = web::encode_wav(b"abc", 2, 30, 16000, None, false, true, None, None).unwrap();
    assert_eq!(u16::from_le_bytes([f[34], f[35]]), 32);
}

#[wasm_bindgen_test]
fn bad_options_are_errors_not_panics() {
    assert!(web::encode(b"x", 12, 50, 48000, None, false, None, None).is_err());
    assert!(web::encode(b"", 1, 50, 48000, None, false, None, None).is_err());
    assert!(web::encode(b"x", 9, 50, 48000, None, false, None, None).is_err()); // mono-tone needs fixed length
    assert!(web::encode(b"x", 4, 50, 16000, None, false, None, None).is_err()); // ultrasound above Nyquist
    assert!(web::plan(0, 1, 50, 48000, None, false, None, None).is_err());
    assert!(web::decode_wav(b"not a wav", None, false).is_err());
    assert!(LiveDecoder::new(48000, Some(0), false).is_err());
}

#[wasm_bindgen_test]
fn decode_wav_round_trip() {
    for (protocol, fixed) in [
        (0u8, None),
        (1, None),
        (2, None),
        (5, None),
        (8, None),
        (10, Some(10u32)),
    ] {
        let wav = web::encode_wav(
            b"round trip",
            protocol,
            50,
            48000,
            fixed,
            false,
            false,
            None,
            None,
        )
        .unwrap();
        let d = web::decode_wav(&wav, fixed, false).unwrap();
        assert_eq!(d.sample_rate, 48000);
        assert_eq!(d.channels, 1);
        let msgs = d.messages();
        assert_eq!(msgs.len(), 1, "protocol {protocol}");
        assert_eq!(msgs[0].text.as_deref(), Some("round trip"));
        assert_eq!(msgs[0].payload, b"round trip");
        assert_eq!(msgs[0].protocol, protocol);
        assert!(msgs[0].end_seconds > msgs[0].start_seconds);
    }
}

#[wasm_bindgen_test]
fn binary_payloads_come_back_as_hex() {
    let bytes = [0u8, 0xff, 0x10, 0x80, 0x7f];
    let samples = web::encode(&bytes, 1, 50, 44100, None, false, None, None).unwrap();
    let msgs = web::decode_samples(&samples, 44100, None, false).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].payload, bytes);
    assert_eq!(msgs[0].hex, "00ff10807f");
    assert!(msgs[0].text.is_none());
}

#[wasm_bindgen_test]
fn live_decoder_reports_each_message_once_as_it_completes() {
    let rate = 44100;
    let mut audio = vec![0.0f32; rate as usize / 2];
    audio.extend(web::encode(b"live one", 2, 50, rate, None, false, None, None).unwrap());
    let end_first = audio.len() as f64 / rate as f64;
    audio.extend(vec![0.0f32; rate as usize]);
    audio.extend(web::encode(b"live two", 1, 50, rate, None, false, None, None).unwrap());
    audio.extend(vec![0.0f32; rate as usize]);

    let mut live = LiveDecoder::new(rate, None, false).unwrap();
    let mut got = Vec::new();
    for chunk in audio.chunks(128 * 16) {
        for m in live.push(chunk) {
            got.push((m.text.clone(), live.elapsed_seconds(), m.end_seconds));
        }
    }
    for m in live.flush() {
        got.push((m.text.clone(), live.elapsed_seconds(), m.end_seconds));
    }
    let texts: Vec<_> = got
        .iter()
        .map(|g| g.0.clone().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["live one", "live two"]);
    // The first message is reported well before the audio ends: within 1.5 s of its own end.
    assert!(
        (got[0].2 - end_first).abs() < 0.1,
        "end {} vs {end_first}",
        got[0].2
    );
    assert!(
        got[0].1 - got[0].2 < 1.5,
        "reported at {} for an end at {}",
        got[0].1,
        got[0].2
    );
}

#[wasm_bindgen_test]
fn framed_payload_plan_and_live_progress() {
    let text = "a framed payload heard piece by piece; ".repeat(8); // 312 bytes
    let plan = web::plan(text.len() as u32, 2, 50, 48000, None, false, None, Some(1)).unwrap();
    assert!(plan.framed);
    assert_eq!(
        (plan.data_pieces, plan.parity_pieces, plan.transmissions),
        (3, 1, 4)
    );
    assert!(web::plan(10, 2, 50, 48000, None, false, Some("maybe".into()), None).is_err());
    let mut audio = web::encode(text.as_bytes(), 2, 50, 48000, None, false, None, None).unwrap();
    audio.extend(vec![0.0f32; 48000]);
    let mut live = LiveDecoder::new(48000, None, false).unwrap();
    let (mut most, mut done) = (0, Vec::new());
    for chunk in audio.chunks(4096) {
        live.push(chunk);
        for p in live.progress() {
            assert_eq!((p.pieces, p.parity), (3, 1));
            most = most.max(p.received);
        }
        done.extend(live.take_payloads());
    }
    live.flush();
    done.extend(live.finish_payloads());
    assert_eq!(most, 2, "progress seen after the first and second pieces");
    assert_eq!(done.len(), 1);
    assert!(done[0].complete && done[0].framed);
    assert_eq!(done[0].text.as_deref(), Some(text.as_str()));
}

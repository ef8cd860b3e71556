//! Framing of long payloads (docs/framing.md): pieces, parity, the receiver's report, and the same
//! through audio.
mod common;
use common::{runner, Rng};
use fskhttp::encoder::GAP_SAMPLES;
use fskhttp::frame::transmission_frames;
use fskhttp::framing::{self, assemble, split, Header, Payload, HEADER_LEN};
use fskhttp::protocol::{FRAME, PROTOCOLS};
use fskhttp::{
    decode_samples, decode_wav, encode_48k, encode_wav, DecodeOptions, EncodeOptions, Framing,
    SampleFormat, StreamDecoder,
};
use proptest::prelude::*;

/// Receive `pieces` (in this order, with times from their position) and assemble.
fn receive(pieces: &[&[u8]]) -> Vec<Payload> {
    assemble(
        pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i as f64, i as f64 + 0.9)),
    )
}

fn without<'a>(pieces: &'a [Vec<u8>], lost: &[usize]) -> Vec<&'a [u8]> {
    pieces
        .iter()
        .enumerate()
        .filter(|(i, _)| !lost.contains(i))
        .map(|(_, p)| p.as_slice())
        .collect()
}

#[test]
fn every_piece_fits_a_transmission_and_says_what_it_is() {
    let payload = Rng(1).bytes(1000);
    let pieces = split(&payload, 140, 2).unwrap();
    assert_eq!(pieces.len(), 8 + 2);
    for (i, p) in pieces.iter().enumerate() {
        assert!(p.len() <= 140);
        assert_eq!(p[0], framing::MAGIC_V1);
        let (h, body) = Header::parse(p).unwrap();
        assert_eq!(h.index as usize, i);
        assert_eq!((h.data, h.parity, h.len), (8, 2, 1000));
        assert_eq!(h.crc, framing::crc32(&payload));
        assert_eq!(body.len(), p.len() - HEADER_LEN);
    }
}

#[test]
fn any_one_piece_lost_with_parity_1_is_rebuilt_exactly() {
    let payload = Rng(2).bytes(777);
    let pieces = split(&payload, 140, 1).unwrap();
    let k = pieces.len() - 1;
    for lost in 0..pieces.len() {
        let got = receive(&without(&pieces, &[lost]));
        assert_eq!(got.len(), 1);
        let p = &got[0];
        assert!(p.complete, "lost {lost}");
        assert_eq!(p.data, payload, "lost {lost}");
        assert_eq!(p.pieces, k);
        assert!(p.missing.is_empty());
        // Losing the parity piece rebuilds nothing.
        let want: Vec<usize> = if lost < k { vec![lost] } else { vec![] };
        assert_eq!(p.recovered, want);
    }
}

#[test]
fn two_lost_with_parity_1_is_incomplete_and_names_both() {
    let payload = Rng(3).bytes(600);
    let pieces = split(&payload, 140, 1).unwrap();
    let got = receive(&without(&pieces, &[1, 3]));
    assert_eq!(got.len(), 1);
    let p = &got[0];
    assert!(!p.complete);
    assert_eq!(p.missing, vec![1, 3]);
    assert!(p.recovered.is_empty());
    assert!(p.data.is_empty(), "never presented whole");
    assert_eq!(p.text(), None);
    assert_eq!(p.pieces, 5);
    assert!(p.problem().unwrap().contains("1, 3"));
}

#[test]
fn duplicates_are_ignored() {
    let payload = b"a text long enough to need three pieces, ".repeat(7);
    let pieces = split(&payload, 140, 1).unwrap();
    let mut heard: Vec<&[u8]> = Vec::new();
    for p in &pieces {
        heard.push(p);
        heard.push(p); // every piece twice
    }
    heard.push(&pieces[0]); // and the first again at the end
    let got = receive(&heard);
    assert_eq!(got.len(), 1);
    assert!(got[0].complete);
    assert_eq!(got[0].data, payload);
    assert_eq!(got[0].received, pieces.len());

    // A duplicate of a piece that was received does not stand in for a lost one.
    let mut heard = without(&pieces, &[0, 1]);
    heard.push(&pieces[2]);
    let got = receive(&heard);
    assert!(!got[0].complete);
    assert_eq!(got[0].missing, vec![0, 1]);
}

#[test]
fn interleaved_messages_are_kept_apart() {
    let a = Rng(4).bytes(500);
    let b = Rng(5).bytes(300);
    let pa = split(&a, 140, 1).unwrap();
    let pb = split(&b, 140, 1).unwrap();
    let mut heard: Vec<&[u8]> = Vec::new();
    for i in 0..pa.len().max(pb.len()) {
        if let Some(p) = pa.get(i) {
            if i != 2 {
                heard.push(p);
            }
        }
        if let Some(p) = pb.get(i) {
            heard.push(p);
        }
    }
    heard.insert(3, b"a plain message in between");
    let got = receive(&heard);
    assert_eq!(got.len(), 3);
    let find = |data: &[u8]| got.iter().find(|p| p.data == data).unwrap();
    assert_eq!(find(&a).recovered, vec![2]);
    assert!(find(&b).recovered.is_empty());
    assert_ne!(find(&a).id, find(&b).id);
    let plain = find(b"a plain message in between");
    assert!(plain.complete && !plain.framed && plain.id.is_none());
}

#[test]
fn same_id_but_different_payloads_are_kept_apart() {
    // Ids are 16 bits; the receiver also keys on length, piece counts and CRC-32.
    let a = Rng(6).bytes(300);
    let b = Rng(7).bytes(301);
    let mut pa = split(&a, 140, 0).unwrap();
    let mut pb = split(&b, 140, 0).unwrap();
    for p in pa.iter_mut().chain(pb.iter_mut()) {
        let (mut h, body) = Header::parse(p).unwrap();
        h.id = 42;
        let mut q = h.to_bytes().to_vec();
        q.extend_from_slice(body);
        *p = q;
    }
    let heard: Vec<&[u8]> = pa
        .iter()
        .zip(&pb)
        .flat_map(|(x, y)| [x.as_slice(), y.as_slice()])
        .chain(pa.iter().skip(pb.len()).map(Vec::as_slice))
        .collect();
    let got = receive(&heard);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|p| p.complete && p.id == Some(42)));
    assert!(got.iter().any(|p| p.data == a) && got.iter().any(|p| p.data == b));
}

#[test]
fn a_wrong_piece_is_caught_by_the_checksum_or_corrected() {
    let payload = Rng(8).bytes(400);
    // No parity: a corrupted body can only be caught.
    let mut pieces = split(&payload, 140, 0).unwrap();
    pieces[1][HEADER_LEN + 5] ^= 0x40;
    let got = receive(&without(&pieces, &[]));
    assert!(!got[0].complete);
    assert!(got[0].missing.is_empty());
    assert!(got[0].data.is_empty());
    assert!(got[0].problem().unwrap().contains("checksum"));
    // Two parity pieces and nothing lost: one wrong piece is corrected.
    let mut pieces = split(&payload, 140, 2).unwrap();
    pieces[1][HEADER_LEN + 5] ^= 0x40;
    let got = receive(&without(&pieces, &[]));
    assert!(got[0].complete);
    assert_eq!(got[0].data, payload);
}

/// Encode with the default options but this protocol and framing.
fn opts(protocol: u8, framing: Framing, parity: u8) -> EncodeOptions {
    EncodeOptions {
        protocol,
        framing,
        parity,
        ..Default::default()
    }
}

#[test]
fn short_payloads_with_auto_and_framing_none_are_unchanged_byte_for_byte() {
    let mut rng = Rng(9);
    for len in [1usize, 11, 64, 139, 140] {
        let payload = rng.bytes(len);
        let auto = encode_wav(&payload, &opts(1, Framing::Auto, 3), SampleFormat::I16).unwrap();
        let none = encode_wav(&payload, &opts(1, Framing::None, 0), SampleFormat::I16).unwrap();
        assert_eq!(auto, none, "len {len}");
    }
    // framing=none on a long payload: consecutive plain transmissions, each exactly the
    // transmission of its 140-byte chunk, separated by the usual gap.
    let payload = rng.bytes(400);
    let none = encode_48k(&payload, &opts(2, Framing::None, 1)).unwrap();
    let mut want = Vec::new();
    for (i, chunk) in payload.chunks(140).enumerate() {
        if i > 0 {
            want.resize(want.len() + GAP_SAMPLES, 0.0);
        }
        want.extend(encode_48k(chunk, &opts(2, Framing::None, 0)).unwrap());
    }
    assert_eq!(none, want);
    // The default frames it: 4 data pieces of 100 bytes (+13 header) and one parity piece.
    let plan = fskhttp::plan(400, &EncodeOptions::default()).unwrap();
    assert_eq!(plan.transmissions, 5);
    assert_eq!(plan.framed.unwrap().size, 100);
    // And framing=always frames a short one too: one data piece and one parity piece.
    let plan = fskhttp::plan(5, &opts(1, Framing::Always, 1)).unwrap();
    assert_eq!(plan.transmissions, 2);
}

#[test]
fn options_are_validated() {
    let o = opts(1, Framing::Auto, 9);
    assert!(matches!(
        fskhttp::plan(500, &o),
        Err(fskhttp::EncodeError::Parity(9))
    ));
    let small = EncodeOptions {
        fixed_length: Some(8),
        framing: Framing::Always,
        ..Default::default()
    };
    assert!(matches!(
        fskhttp::plan(100, &small),
        Err(fskhttp::EncodeError::Framing(_))
    ));
    // auto with pieces too small for the header stays plain.
    let auto = EncodeOptions {
        framing: Framing::Auto,
        ..small
    };
    assert_eq!(fskhttp::plan(100, &auto).unwrap().framed, None);
    assert_eq!(Framing::parse("ALWAYS"), Some(Framing::Always));
    assert_eq!(Framing::parse("sometimes"), None);
}

#[test]
fn the_report_is_always_exactly_right() {
    let strategy = (
        141usize..=8192,
        0u8..=3,
        any::<u64>(),
        0usize..=5,
        any::<bool>(),
    );
    runner(400, 13)
        .run(&strategy, |(len, parity, seed, n_lost, shuffle)| {
            let mut rng = Rng(seed | 1);
            let payload = rng.bytes(len);
            let pieces = split(&payload, 140, parity).unwrap();
            let total = pieces.len();
            let k = total - parity as usize;
            let mut lost: Vec<usize> = Vec::new();
            while lost.len() < n_lost.min(total) {
                let i = rng.below(total);
                if !lost.contains(&i) {
                    lost.push(i);
                }
            }
            lost.sort_unstable();
            let mut heard = without(&pieces, &lost);
            // Some duplicates, and maybe out of order.
            for _ in 0..rng.below(3) {
                if !heard.is_empty() {
                    heard.push(heard[rng.below(heard.len())]);
                }
            }
            if shuffle {
                for i in (1..heard.len()).rev() {
                    heard.swap(i, rng.below(i + 1));
                }
            }
            let got = receive(&heard);
            let lost_data: Vec<usize> = lost.iter().copied().filter(|&i| i < k).collect();
            if heard.is_empty() {
                prop_assert!(got.is_empty());
                return Ok(());
            }
            prop_assert_eq!(got.len(), 1);
            let p = &got[0];
            prop_assert_eq!(p.pieces, k);
            prop_assert_eq!(p.parity, parity as usize);
            let rebuildable = lost_data.is_empty() || lost.len() <= parity as usize;
            prop_assert_eq!(p.complete, rebuildable);
            prop_assert_eq!(p.received, total - lost.len());
            if rebuildable {
                prop_assert_eq!(&p.data, &payload);
                prop_assert!(p.missing.is_empty());
                prop_assert_eq!(&p.recovered, &lost_data);
            } else {
                prop_assert!(p.data.is_empty());
                prop_assert_eq!(&p.missing, &lost_data);
                prop_assert!(p.recovered.is_empty());
            }
            Ok(())
        })
        .unwrap();
}

/// Where each transmission of a framed encode lies, in samples at 48 kHz.
fn spans(len: usize, o: &EncodeOptions) -> Vec<(usize, usize)> {
    let layout = fskhttp::plan(len, o).unwrap().framed.unwrap();
    let p = &PROTOCOLS[o.protocol as usize];
    let mut at = 0;
    (0..layout.pieces())
        .map(|i| {
            if i > 0 {
                at += GAP_SAMPLES;
            }
            let n =
                transmission_frames(p, layout.piece_len(i), fskhttp::frame::Mode::Variable) * FRAME;
            at += n;
            (at - n, at)
        })
        .collect()
}

#[test]
fn audio_with_a_piece_cut_out_is_rebuilt() {
    let payload = b"Framed over the air: a payload of several hundred bytes, so it goes out as several standard ggwave transmissions plus one parity transmission. ".repeat(3);
    let o = opts(2, Framing::Auto, 1);
    let audio = encode_48k(&payload, &o).unwrap();
    let sp = spans(payload.len(), &o);
    assert_eq!(sp.last().unwrap().1, audio.len());
    let (a, b) = sp[1];
    let mut cut = audio[..a].to_vec();
    cut.extend_from_slice(&audio[b..]);
    let wav = fskhttp::write_wav(&cut, 48000, SampleFormat::I16);
    let d = decode_wav(&wav, &DecodeOptions::default()).unwrap();
    assert_eq!(d.messages.len(), sp.len() - 1);
    assert_eq!(d.payloads.len(), 1);
    let p = &d.payloads[0];
    assert!(p.complete);
    assert_eq!(p.recovered, vec![1]);
    assert_eq!(p.data, payload);
    assert_eq!(p.text(), std::str::from_utf8(&payload).ok());

    // Cut a second piece: nothing is presented as whole.
    let (c, e) = sp[3];
    let mut cut2 = audio[..a].to_vec();
    cut2.extend_from_slice(&audio[b..c]);
    cut2.extend_from_slice(&audio[e..]);
    let got = decode_samples(&cut2, 48000, &DecodeOptions::default()).unwrap();
    let payloads = fskhttp::decoder::payloads(&got);
    assert_eq!(payloads.len(), 1);
    assert!(!payloads[0].complete);
    assert_eq!(payloads[0].missing, vec![1, 3]);
}

#[test]
fn short_messages_are_single_plain_payloads() {
    let wav = encode_wav(b"Hello World", &EncodeOptions::default(), SampleFormat::I16).unwrap();
    let d = decode_wav(&wav, &DecodeOptions::default()).unwrap();
    assert_eq!(d.payloads.len(), 1);
    let p = &d.payloads[0];
    assert!(p.complete && !p.framed);
    assert_eq!((p.pieces, p.text()), (1, Some("Hello World")));
}

#[test]
fn fixed_length_framing_round_trips() {
    let payload = Rng(10).bytes(150);
    let o = EncodeOptions {
        protocol: 2,
        fixed_length: Some(64),
        ..Default::default()
    };
    let plan = fskhttp::plan(payload.len(), &o).unwrap();
    assert_eq!(plan.transmissions, 3 + 1);
    let audio = encode_48k(&payload, &o).unwrap();
    let d = DecodeOptions {
        fixed_length: Some(64),
        ..Default::default()
    };
    let got = decode_samples(&audio, 48000, &d).unwrap();
    let payloads = fskhttp::decoder::payloads(&got);
    assert_eq!(payloads.len(), 1);
    assert!(payloads[0].complete);
    assert_eq!(payloads[0].data, payload, "padding dropped");
}

#[test]
fn stream_decoder_assembles_across_its_window() {
    // Protocol 2 with enough pieces that the whole is longer than the stream window would be
    // needed for if it held everything: the decoder only ever holds about one transmission.
    let payload = Rng(11).bytes(2000);
    let o = opts(2, Framing::Auto, 1);
    let audio = encode_48k(&payload, &o).unwrap();
    let sp = spans(payload.len(), &o);
    let (a, b) = sp[4];
    let mut cut = audio[..a].to_vec();
    cut.extend_from_slice(&audio[b..]);
    cut.extend(vec![0.0; 48000]);
    let mut s = StreamDecoder::new(48000, DecodeOptions::default()).unwrap();
    let mut done: Vec<Payload> = Vec::new();
    let mut saw_progress = false;
    for chunk in cut.chunks(4800) {
        s.push(chunk);
        saw_progress |= s.progress().iter().any(|p| p.received >= 3);
        done.extend(s.take_payloads());
    }
    s.flush();
    done.extend(s.finish_payloads());
    assert!(saw_progress);
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(done[0].complete);
    assert_eq!(done[0].recovered, vec![4]);
    assert_eq!(done[0].data, payload);
}

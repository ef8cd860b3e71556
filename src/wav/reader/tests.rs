//! The reader on its own: every sample format it reads and every error it reports, on WAVs
//! built byte by byte here.

use super::*;

/// A `fmt ` body: tag, channels, rate, block align, bits (byte rate derived), and for
/// `0xFFFE` the extensible tail whose GUID starts with `sub`.
fn fmt_body(tag: u16, channels: u16, rate: u32, align: u16, bits: u16, sub: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&tag.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * align as u32).to_le_bytes());
    b.extend_from_slice(&align.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    if tag == 0xFFFE {
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        b.extend_from_slice(&bits.to_le_bytes()); // valid bits
        b.extend_from_slice(&0u32.to_le_bytes()); // channel mask
        b.extend_from_slice(&sub.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    }
    b
}

/// A RIFF/WAVE file of the given chunks.
fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, data) in chunks {
        body.extend_from_slice(*id);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

fn wav(tag: u16, channels: u16, bits: u16, sub: u16, data: &[u8]) -> Vec<u8> {
    let align = channels * bits.div_ceil(8);
    riff(&[
        (b"fmt ", &fmt_body(tag, channels, 8000, align, bits, sub)),
        (b"data", data),
    ])
}

fn read(bytes: &[u8]) -> Result<Audio, WavError> {
    read_wav(bytes, &Limits::default())
}

#[test]
fn reads_every_integer_width() {
    let a = read(&wav(1, 1, 8, 0, &[0, 128, 255])).unwrap();
    assert_eq!(a.channels[0], vec![-1.0, 0.0, 127.0 / 128.0]);
    let a = read(&wav(1, 1, 16, 0, &[0x00, 0x80, 0xff, 0x7f])).unwrap();
    assert_eq!(a.channels[0], vec![-1.0, 32767.0 / 32768.0]);
    let a = read(&wav(1, 1, 24, 0, &[0, 0, 0x80, 0, 0, 0x40])).unwrap();
    assert_eq!(a.channels[0], vec![-1.0, 0.5]);
    let a = read(&wav(1, 1, 32, 0, &i32::MIN.to_le_bytes())).unwrap();
    assert_eq!(a.channels[0], vec![-1.0]);
    assert_eq!((a.info.bits_per_sample, a.info.float), (32, false));
}

#[test]
fn reads_floats_and_sanitises_them() {
    let mut data = Vec::new();
    for v in [0.25f32, 2.0, f32::NAN, f32::NEG_INFINITY] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    let a = read(&wav(3, 1, 32, 0, &data)).unwrap();
    assert_eq!(a.channels[0], vec![0.25, 1.0, 0.0, 0.0]);
    assert!(a.info.float);
    let a = read(&wav(3, 1, 64, 0, &(-0.5f64).to_le_bytes())).unwrap();
    assert_eq!(a.channels[0], vec![-0.5]);
}

#[test]
fn reads_extensible_pcm_and_float() {
    let a = read(&wav(0xFFFE, 1, 16, 1, &16384i16.to_le_bytes())).unwrap();
    assert_eq!(a.channels[0], vec![0.5]);
    let a = read(&wav(0xFFFE, 1, 32, 3, &0.75f32.to_le_bytes())).unwrap();
    assert_eq!(a.channels[0], vec![0.75]);
}

#[test]
fn stereo_is_split_and_mixed() {
    let mut data = Vec::new();
    for v in [16384i16, -16384, 8192, 8192] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    let a = read(&wav(1, 2, 16, 0, &data)).unwrap();
    assert_eq!(a.info.frames, 2);
    assert_eq!(a.channels, vec![vec![0.5, 0.25], vec![-0.5, 0.25]]);
    assert_eq!(a.mono().into_owned(), vec![0.0, 0.25]);
}

#[test]
fn wider_containers_and_streamed_sizes() {
    // 24-bit samples left-justified in 32-bit slots (block align 4).
    let body = fmt_body(1, 1, 8000, 4, 24, 0);
    let a = read(&riff(&[(b"fmt ", &body), (b"data", &[0xAA, 0, 0, 0x40])])).unwrap();
    assert_eq!(a.channels[0], vec![0.5]);
    // A data size of 0 (streamed) means "until the end".
    let mut w = wav(1, 1, 16, 0, &[0, 0x40, 0, 0x40]);
    let at = w.len() - 8;
    w[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(read(&w).unwrap().info.frames, 2);
    // Unknown chunks before the data are skipped.
    let body = fmt_body(1, 1, 8000, 2, 16, 0);
    let w = riff(&[(b"LIST", b"abc"), (b"fmt ", &body), (b"data", &[0, 0x40])]);
    assert_eq!(read(&w).unwrap().channels[0], vec![0.5]);
}

#[test]
fn each_error() {
    let fmt16 = fmt_body(1, 1, 8000, 2, 16, 0);
    assert_eq!(read(b"RIFX\0\0\0\0WAVE").unwrap_err(), WavError::NotWav);
    assert_eq!(read(b"RIFF").unwrap_err(), WavError::NotWav);
    assert_eq!(
        read(&riff(&[(b"fmt ", &fmt16[..10])])).unwrap_err(),
        WavError::Truncated
    );
    assert_eq!(
        read(&riff(&[(b"data", &[0, 0])])).unwrap_err(),
        WavError::MissingFormat
    );
    assert_eq!(
        read(&riff(&[(b"fmt ", &fmt16)])).unwrap_err(),
        WavError::MissingData
    );
    assert_eq!(
        read(&wav(2, 1, 4, 0, &[0])).unwrap_err(),
        WavError::UnsupportedFormat(2)
    );
    assert_eq!(
        read(&wav(0xFFFE, 1, 16, 0x55, &[0, 0])).unwrap_err(),
        WavError::UnsupportedFormat(0x55)
    );
    assert_eq!(
        read(&wav(1, 1, 12, 0, &[0, 0])).unwrap_err(),
        WavError::UnsupportedBits(12)
    );
    assert_eq!(
        read(&wav(3, 1, 16, 0, &[0, 0])).unwrap_err(),
        WavError::UnsupportedBits(16)
    );
    assert_eq!(
        read(&wav(1, 0, 16, 0, &[0, 0])).unwrap_err(),
        WavError::NoChannels
    );
    let odd = fmt_body(1, 2, 8000, 3, 16, 0);
    assert_eq!(
        read(&riff(&[(b"fmt ", &odd), (b"data", &[0; 6])])).unwrap_err(),
        WavError::BadBlockAlign {
            block_align: 3,
            expected: 4
        }
    );
}

#[test]
fn each_limit() {
    let limits = Limits {
        max_seconds: 0.001,
        max_channels: 2,
        ..Limits::default()
    };
    let three = wav(1, 3, 16, 0, &[0; 6]);
    assert!(matches!(
        read_wav(&three, &limits),
        Err(WavError::Limit(LimitError::TooManyChannels {
            channels: 3,
            max: 2
        }))
    ));
    let body = fmt_body(1, 1, 500, 2, 16, 0);
    let slow = riff(&[(b"fmt ", &body), (b"data", &[0, 0])]);
    assert!(matches!(
        read_wav(&slow, &limits),
        Err(WavError::Limit(LimitError::SampleRate { rate: 500, .. }))
    ));
    let long = wav(1, 1, 16, 0, &[0; 40]); // 20 frames at 8 kHz = 2.5 ms
    assert!(matches!(
        read_wav(&long, &limits),
        Err(WavError::Limit(LimitError::TooLong { .. }))
    ));
}

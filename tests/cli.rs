//! The `fsk` command-line interface: arguments, payload sources, output shapes, exit codes
//! (0 decoded-or-not, 2 usage, 3 unreadable input) and a corpus of malformed WAV files that must
//! all be refused with exit 3 and a one-line reason, never a crash.
mod common;

use common::{riff, u16_at, u32_at, Rng, Wav};
use fskhttp::{encode_wav, EncodeOptions, SampleFormat};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const FSK: &str = env!("CARGO_BIN_EXE_fsk");

/// A scratch directory unique to this test process and test name.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fsk-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(FSK)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fsk");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().expect("wait fsk")
}

fn code(o: &Output) -> i32 {
    // A signal (abort, segfault) has no exit code: that is a crash, never acceptable.
    o.status
        .code()
        .unwrap_or_else(|| panic!("fsk was killed by a signal: {:?}", o.status))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn encode_file(dir: &Path, name: &str, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let out = dir.join(name);
    let out_s = out.to_str().unwrap();
    let mut full = vec!["encode"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--output", out_s]);
    let o = run(&full, stdin);
    assert_eq!(code(&o), 0, "fsk {full:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty());
    std::fs::read(&out).unwrap()
}

// ------------------------------------------------------------------------------------------------
// encode

#[test]
fn encode_text_writes_the_library_wav() {
    let dir = scratch("encode_text");
    let wav = encode_file(&dir, "hw.wav", &["Hello World"], None);
    let lib = encode_wav(b"Hello World", &EncodeOptions::default(), SampleFormat::I16).unwrap();
    assert_eq!(wav, lib);
    // Standard header: mono 16-bit PCM at 48 kHz, 68 frames of 1024 samples (docs/protocol.md §7.1).
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u16_at(&wav, 20), 1);
    assert_eq!(u16_at(&wav, 22), 1);
    assert_eq!(u32_at(&wav, 24), 48000);
    assert_eq!(u16_at(&wav, 34), 16);
    assert_eq!(&wav[36..40], b"data");
    assert_eq!(u32_at(&wav, 40) as usize, 68 * 1024 * 2);
    assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
}

#[test]
fn hex_stdin_and_text_payloads_are_the_same_bytes() {
    let dir = scratch("payload_sources");
    let text = encode_file(&dir, "t.wav", &["Hello World"], None);
    let hexed = encode_file(&dir, "h.wav", &["--hex", "48656c6c6f20576f726c64"], None);
    let upper = encode_file(&dir, "u.wav", &["--hex", "0x48656C6C6F20576F726C64"], None);
    let stdin = encode_file(&dir, "s.wav", &[], Some(b"Hello World"));
    assert_eq!(text, hexed);
    assert_eq!(text, upper);
    assert_eq!(text, stdin);

    // stdin is taken byte for byte: NUL, newline and invalid UTF-8 survive, nothing is trimmed.
    let mut rng = Rng(0x5eed_0c11);
    let mut bin = rng.bytes(37);
    bin.extend_from_slice(b"\0\n\r\xff");
    let from_stdin = encode_file(&dir, "b1.wav", &["-p", "2"], Some(&bin));
    let from_hex = encode_file(&dir, "b2.wav", &["-p", "2", "--hex", &hex(&bin)], None);
    let lib = encode_wav(
        &bin,
        &EncodeOptions {
            protocol: 2,
            ..Default::default()
        },
        SampleFormat::I16,
    )
    .unwrap();
    assert_eq!(from_stdin, lib);
    assert_eq!(from_hex, lib);
}

#[test]
fn output_dash_writes_the_wav_to_stdout() {
    let dir = scratch("stdout");
    let file = encode_file(&dir, "a.wav", &["-p", "4", "abc"], None);
    let o = run(&["encode", "-p", "4", "abc", "--output", "-"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(o.stdout, file);
}

#[test]
fn options_reach_the_encoder() {
    let dir = scratch("options");
    let cases: &[(&[&str], EncodeOptions, SampleFormat)] = &[
        (
            &["--protocol", "5", "--volume", "100"],
            EncodeOptions {
                protocol: 5,
                volume: 100,
                ..Default::default()
            },
            SampleFormat::I16,
        ),
        (
            &["-p", "7", "-v", "10", "--format", "f32"],
            EncodeOptions {
                protocol: 7,
                volume: 10,
                ..Default::default()
            },
            SampleFormat::F32,
        ),
        (
            &["-p", "10", "--fixed-length", "16", "--dss"],
            EncodeOptions {
                protocol: 10,
                fixed_length: Some(16),
                dss: true,
                ..Default::default()
            },
            SampleFormat::I16,
        ),
        (
            &["-p", "1", "--sample-rate", "44100"],
            EncodeOptions {
                sample_rate: 44100,
                ..Default::default()
            },
            SampleFormat::I16,
        ),
        (
            &[
                "-p", "8", "-s", "8000", "-l", "5", "-d", "--format", "float",
            ],
            EncodeOptions {
                protocol: 8,
                sample_rate: 8000,
                fixed_length: Some(5),
                dss: true,
                ..Default::default()
            },
            SampleFormat::F32,
        ),
    ];
    for (i, (args, opts, fmt)) in cases.iter().enumerate() {
        let mut a = args.to_vec();
        a.push("fsk payload");
        let wav = encode_file(&dir, &format!("{i}.wav"), &a, None);
        assert_eq!(
            wav,
            encode_wav(b"fsk payload", opts, *fmt).unwrap(),
            "{args:?}"
        );
        assert_eq!(u32_at(&wav, 24), opts.sample_rate, "{args:?}");
        // 16-bit: plain PCM; float: hound's WAVE_FORMAT_EXTENSIBLE with the IEEE-float sub-format.
        let (tag, bits) = match fmt {
            SampleFormat::F32 => (0xFFFE, 32),
            _ => (1, 16),
        };
        assert_eq!(
            (u16_at(&wav, 20), u16_at(&wav, 34)),
            (tag, bits),
            "{args:?}"
        );
        if *fmt == SampleFormat::F32 {
            assert_eq!(u16_at(&wav, 44), 3, "{args:?}");
        }
    }
}

#[test]
fn protocol_names_are_accepted() {
    let dir = scratch("names");
    for (name, id) in [
        ("Fastest", "2"),
        ("[U] Fast", "4"),
        ("ultrasound-normal", "3"),
        ("dt-normal", "6"),
        ("[DT] Fastest", "8"),
    ] {
        let a = encode_file(&dir, "a.wav", &["--protocol", name, "x"], None);
        let b = encode_file(&dir, "b.wav", &["--protocol", id, "x"], None);
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = scratch("usage");
    let out = dir.join("never.wav");
    let o = out.to_str().unwrap();
    let valid = dir.join("valid.wav");
    std::fs::write(
        &valid,
        encode_wav(b"x", &EncodeOptions::default(), SampleFormat::I16).unwrap(),
    )
    .unwrap();
    let v = valid.to_str().unwrap();
    type Case<'a> = (&'a [&'a str], Option<&'a [u8]>, &'a str);
    let cases: &[Case] = &[
        (&[], None, "usage"),
        (&["frobnicate"], None, "frobnicate"),
        (&["encode", "x"], None, "--output"),
        (
            &["encode", "--protocol", "12", "x", "-o", o],
            None,
            "protocol",
        ),
        (
            &["encode", "--protocol", "warp", "x", "-o", o],
            None,
            "warp",
        ),
        (&["encode", "--volume", "0", "x", "-o", o], None, "volume"),
        (&["encode", "--volume", "101", "x", "-o", o], None, "volume"),
        (&["encode", "--volume", "-3", "x", "-o", o], None, ""),
        (&["encode", "-s", "7999", "x", "-o", o], None, "7999"),
        (&["encode", "-s", "96001", "x", "-o", o], None, "96001"),
        (
            &["encode", "-p", "4", "-s", "16000", "x", "-o", o],
            None,
            "16000",
        ),
        (&["encode", "-l", "0", "x", "-o", o], None, "fixed length"),
        (&["encode", "-l", "65", "x", "-o", o], None, "fixed length"),
        (&["encode", "-p", "9", "x", "-o", o], None, "fixed-length"),
        (&["encode", "--format", "i24", "x", "-o", o], None, "i24"),
        (&["encode", "--hex", "abc", "-o", o], None, "hex"),
        (&["encode", "--hex", "zz", "-o", o], None, "hex"),
        (&["encode", "--hex", "41", "text", "-o", o], None, ""),
        (&["encode", "-o", o], Some(b""), "empty"),
        (&["encode", "", "-o", o], None, "empty"),
        (&["decode"], None, "FILE"),
        (&["decode", "--fixed-length", "65", v], None, "fixed length"),
        (&["decode", "--fixed-length", "0", v], None, "fixed length"),
        (&["decode", "--bogus", "x.wav"], None, "bogus"),
    ];
    for (args, stdin, needle) in cases {
        let r = run(args, *stdin);
        let err = stderr(&r);
        assert_eq!(code(&r), 2, "fsk {args:?}: stderr {err}");
        assert!(r.stdout.is_empty(), "fsk {args:?} wrote to stdout");
        assert!(!err.trim().is_empty(), "fsk {args:?}: no message");
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "fsk {args:?}: {err:?} does not mention {needle:?}"
        );
        assert!(!out.exists(), "fsk {args:?} wrote an output file");
    }
    // A payload over the 8192-byte cap is a usage error too.
    let big = vec![b'a'; 8193];
    let r = run(&["encode", "-o", o], Some(&big));
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    assert!(stderr(&r).contains("8192"), "{}", stderr(&r));
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["encode", "--help"],
        &["decode", "--help"],
    ] {
        let r = run(args, None);
        assert_eq!(code(&r), 0, "{args:?}");
        assert!(!r.stdout.is_empty(), "{args:?}");
    }
    let v = run(&["--version"], None);
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unwritable_output_exits_3() {
    let r = run(
        &["encode", "x", "--output", "/nonexistent-dir/sub/out.wav"],
        None,
    );
    assert_eq!(code(&r), 3, "{}", stderr(&r));
    let err = stderr(&r);
    assert!(
        err.contains("/nonexistent-dir/sub/out.wav"),
        "reason names the path: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one-line reason: {err}");
}

// ------------------------------------------------------------------------------------------------
// decode

#[test]
fn decode_plain_prints_one_line_per_message() {
    let dir = scratch("decode_plain");
    let path = dir.join("hw.wav");
    std::fs::write(
        &path,
        encode_wav(b"Hello World", &EncodeOptions::default(), SampleFormat::I16).unwrap(),
    )
    .unwrap();
    let r = run(&["decode", path.to_str().unwrap()], None);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert_eq!(String::from_utf8_lossy(&r.stdout), "Hello World\n");
}

#[test]
fn decode_json_shape() {
    let wav = encode_wav(
        b"Hello World",
        &EncodeOptions {
            protocol: 2,
            ..Default::default()
        },
        SampleFormat::F32,
    )
    .unwrap();
    let r = run(&["decode", "--json", "-"], Some(&wav));
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let doc = json(&r);
    let keys: Vec<_> = doc.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 5, "{doc}");
    // The plain message is also the one complete payload (docs/framing.md).
    let p = &doc["payloads"][0];
    assert_eq!(p["text"], "Hello World");
    assert_eq!(
        (p["complete"].clone(), p["framed"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(p["pieces"], 1);
    assert!(
        doc["diagnosis"].is_null() && doc["diagnosis_kind"].is_null(),
        "{doc}"
    );
    let info = &doc["audio_info"];
    assert_eq!(info["channels"], 1);
    assert_eq!(info["sample_rate"], 48000);
    assert_eq!(info["bits_per_sample"], 32);
    let frames = 50 * 1024; // protocol 2, 11 bytes (docs/protocol.md §2)
    assert_eq!(info["total_samples"], frames);
    let dur = info["duration_seconds"].as_f64().unwrap();
    assert!((dur - frames as f64 / 48000.0).abs() < 1e-9, "{dur}");
    assert_eq!(info.as_object().unwrap().len(), 5, "{info}");
    let msgs = doc["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{doc}");
    let m = &msgs[0];
    assert_eq!(m.as_object().unwrap().len(), 9, "{m}");
    assert!(m["snr_db"].as_f64().unwrap() > 30.0, "{m}");
    assert_eq!(m["drift_ppm"], 0.0);
    assert_eq!(m["corrected_bytes"], 0);
    assert_eq!(m["hex"], "48656c6c6f20576f726c64");
    assert_eq!(m["text"], "Hello World");
    assert_eq!(m["protocol"], 2);
    assert_eq!(m["protocol_name"], "Fastest");
    let start = m["start_seconds"].as_f64().unwrap();
    let end = m["end_seconds"].as_f64().unwrap();
    assert!(start.abs() < 0.03, "{m}");
    assert!((end - frames as f64 / 48000.0).abs() < 0.05, "{m}");
}

#[test]
fn decode_binary_payload_has_null_text_and_hex() {
    let mut rng = Rng(77);
    let mut payload = rng.bytes(20);
    payload[0] = 0xff; // never valid UTF-8
    let wav = encode_wav(
        &payload,
        &EncodeOptions {
            protocol: 4,
            ..Default::default()
        },
        SampleFormat::I16,
    )
    .unwrap();
    let r = run(&["decode", "--json", "-"], Some(&wav));
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let doc = json(&r);
    let m = &doc["messages"][0];
    assert_eq!(m["hex"], hex(&payload), "{doc}");
    assert!(m["text"].is_null(), "{doc}");
    assert_eq!(m["protocol_name"], "[U] Fast");
    // Without --json, a binary payload is printed as hex.
    let r = run(&["decode", "-"], Some(&wav));
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        format!("{}\n", hex(&payload))
    );
}

#[test]
fn cli_round_trips_with_every_option() {
    let dir = scratch("round_trip");
    let mut rng = Rng(0xc11_2024);
    for proto in 0..12u8 {
        let fixed = proto >= 9 || proto % 4 == 1;
        let len = if fixed {
            1 + rng.below(64)
        } else {
            1 + rng.below(140)
        };
        let payload = rng.bytes(len);
        let dss = rng.below(2) == 1;
        let rate = ["48000", "44100", "96000"][rng.below(3)];
        let fmt = ["i16", "f32"][rng.below(2)];
        let p = proto.to_string();
        let l = len.to_string();
        let h = hex(&payload);
        let mut args = vec!["-p", &p, "-s", rate, "--format", fmt, "--hex", &h];
        let mut dargs = vec!["decode", "--json"];
        if fixed {
            args.extend_from_slice(&["-l", &l]);
            dargs.extend_from_slice(&["-l", &l]);
        }
        if dss {
            args.push("--dss");
            dargs.push("--dss");
        }
        let name = format!("p{proto}.wav");
        encode_file(&dir, &name, &args, None);
        let path = dir.join(&name);
        dargs.push(path.to_str().unwrap());
        let r = run(&dargs, None);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let doc = json(&r);
        let got: Vec<_> = doc["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["protocol"].as_u64().unwrap(),
                    m["hex"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(proto as u64, h.clone())],
            "protocol {proto} rate {rate} {fmt} fixed {fixed} dss {dss}"
        );
    }
}

#[test]
fn long_payload_decodes_as_consecutive_messages() {
    let mut rng = Rng(300);
    let payload = rng.bytes(300);
    let wav = encode_wav(
        &payload,
        &EncodeOptions {
            protocol: 2,
            framing: fskhttp::Framing::None,
            ..Default::default()
        },
        SampleFormat::I16,
    )
    .unwrap();
    let r = run(&["decode", "--json", "-"], Some(&wav));
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let doc = json(&r);
    let hexes: Vec<_> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["hex"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<_> = payload.chunks(140).map(hex).collect();
    assert_eq!(hexes, want);
}

#[test]
fn silence_decodes_to_nothing_with_exit_0() {
    let wav = Wav::pcm(16, 1, 48000).bytes(&vec![0u8; 48000 * 2]);
    let r = run(&["decode", "-"], Some(&wav));
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(r.stdout.is_empty());
    // Why, on stderr.
    assert!(
        stderr(&r).contains("no message: the recording is silent"),
        "{}",
        stderr(&r)
    );
    let r = run(&["decode", "--json", "-"], Some(&wav));
    assert_eq!(json(&r)["messages"], serde_json::json!([]));
    assert_eq!(json(&r)["diagnosis_kind"], "silent");
    assert!(json(&r)["diagnosis"].as_str().unwrap().contains("silent"));
}

#[test]
fn missing_file_exits_3_with_a_reason() {
    let r = run(&["decode", "/nonexistent/nothing-here.wav"], None);
    assert_eq!(code(&r), 3);
    let err = stderr(&r);
    assert!(err.contains("nothing-here.wav"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let dir = scratch("dir_as_file");
    let r = run(&["decode", dir.to_str().unwrap()], None);
    assert_eq!(code(&r), 3, "{}", stderr(&r));
}

// ------------------------------------------------------------------------------------------------
// malformed WAV corpus: built here, deterministic, all small

/// A 16-byte PCM/float `fmt ` with a consistent block align and byte rate.
fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Wav {
    Wav::new(tag, channels, rate, bits)
}

/// The same with any block align.
fn fmt_raw(tag: u16, channels: u16, rate: u32, bits: u16, align: u16) -> Wav {
    Wav::new(tag, channels, rate, bits).align(align)
}

/// `fmt `, then a data chunk claiming `data_size` bytes holding `data`.
fn wav_with(fmt: Wav, data_size: u32, data: &[u8]) -> Vec<u8> {
    fmt.data_size(data_size).bytes(data)
}

/// Files the decoder must refuse (exit 3), with a word the reason must contain.
fn malformed_corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut rng = Rng(0xbad_0a7);
    let pcm = |n: usize| vec![0u8; n];
    let ok_fmt = || fmt_body(1, 1, 48000, 16);
    let valid = wav_with(ok_fmt(), 2048, &pcm(2048));
    let mut c: Vec<(&'static str, Vec<u8>, &'static str)> = vec![
        ("empty", vec![], "wav"),
        ("random-bytes", rng.bytes(4096), "wav"),
        (
            "riff-then-random",
            {
                let mut v = b"RIFF\x10\x00\x00\x00WAVE".to_vec();
                v.extend(rng.bytes(3));
                v
            },
            "",
        ),
        ("text-file", b"this is not audio at all\n".to_vec(), "wav"),
        (
            "riff-not-wave",
            riff(&[], None)
                .iter()
                .map(|&b| if b == b'V' { b'X' } else { b })
                .collect(),
            "wav",
        ),
        ("header-only-12-bytes", riff(&[], None), ""),
        ("truncated-in-fmt", valid[..30].to_vec(), ""),
        ("truncated-at-20", valid[..20].to_vec(), ""),
        (
            "fmt-body-too-short",
            {
                let mut c = b"fmt \x08\x00\x00\x00".to_vec();
                c.extend_from_slice(&[1, 0, 1, 0, 0x80, 0xbb, 0, 0]);
                c.extend_from_slice(b"data\x04\x00\x00\x00\0\0\0\0");
                riff(&c, None)
            },
            "",
        ),
        (
            "data-before-fmt",
            {
                let mut c = b"data\x04\x00\x00\x00\0\0\0\0".to_vec();
                c.extend_from_slice(b"fmt ");
                c.extend_from_slice(&ok_fmt().fmt_chunk());
                riff(&c, None)
            },
            "fmt",
        ),
        (
            "no-data-chunk",
            {
                let mut c = b"fmt ".to_vec();
                c.extend_from_slice(&ok_fmt().fmt_chunk());
                riff(&c, None)
            },
            "data",
        ),
        (
            "huge-junk-chunk-hides-data",
            {
                let mut c = b"fmt ".to_vec();
                c.extend_from_slice(&ok_fmt().fmt_chunk());
                c.extend_from_slice(b"LIST\xf0\xff\xff\xff");
                c.extend_from_slice(b"data\x04\x00\x00\x00\0\0\0\0");
                riff(&c, None)
            },
            "data",
        ),
        (
            "zero-channels",
            wav_with(fmt_raw(1, 0, 48000, 16, 0), 64, &pcm(64)),
            "channel",
        ),
        (
            "65535-channels",
            wav_with(fmt_raw(1, 65535, 48000, 16, 65534), 64, &pcm(64)),
            "channel",
        ),
        // 100000 channels do not fit the 16-bit field: this is what a writer that tried would store.
        (
            "100000-channels-wrapped",
            wav_with(
                fmt_raw(1, (100_000u32 & 0xffff) as u16, 48000, 16, 3392),
                64,
                &pcm(64),
            ),
            "channel",
        ),
        (
            "rate-zero",
            wav_with(fmt_body(1, 1, 0, 16), 64, &pcm(64)),
            "rate",
        ),
        (
            "rate-1-hz",
            wav_with(fmt_body(1, 1, 1, 16), 64, &pcm(64)),
            "rate",
        ),
        (
            "rate-10-mhz",
            wav_with(fmt_body(1, 1, 10_000_000, 16), 64, &pcm(64)),
            "rate",
        ),
        (
            "rate-u32-max",
            wav_with(fmt_body(1, 1, u32::MAX, 16), 64, &pcm(64)),
            "rate",
        ),
        (
            "bits-zero",
            wav_with(fmt_raw(1, 1, 48000, 0, 2), 64, &pcm(64)),
            "bits",
        ),
        (
            "bits-12",
            wav_with(fmt_raw(1, 1, 48000, 12, 2), 64, &pcm(64)),
            "12",
        ),
        (
            "bits-65535",
            wav_with(fmt_raw(1, 1, 48000, 65535, 2), 64, &pcm(64)),
            "bits",
        ),
        (
            "float-16-bit",
            wav_with(fmt_body(3, 1, 48000, 16), 64, &pcm(64)),
            "bits",
        ),
        (
            "mp3-format-tag",
            wav_with(fmt_body(0x55, 1, 48000, 16), 64, &pcm(64)),
            "format",
        ),
        (
            "extensible-unknown-subformat",
            {
                // WAVE_FORMAT_EXTENSIBLE with sub-format tag 0x0099.
                let f = fmt_body(1, 1, 48000, 16).sub_format(0x99);
                wav_with(f, 64, &pcm(64))
            },
            "format",
        ),
        (
            "block-align-1-for-16-bit",
            wav_with(fmt_raw(1, 1, 48000, 16, 1), 64, &pcm(64)),
            "align",
        ),
        (
            "block-align-1-for-stereo-16",
            wav_with(fmt_raw(1, 2, 48000, 16, 1), 64, &pcm(64)),
            "align",
        ),
        (
            "4gb-data-and-zero-channels",
            wav_with(fmt_raw(1, 0, 48000, 16, 0), 0xffff_fff0, &pcm(64)),
            "channel",
        ),
        (
            "4gb-data-and-absurd-rate",
            wav_with(fmt_body(1, 1, 4_000_000_000, 16), 0xffff_fff0, &pcm(64)),
            "rate",
        ),
    ];
    // Random garbage after a valid RIFF/WAVE/fmt prefix, and a valid file with random bytes
    // spliced over its header: each seeded.
    for i in 0..4 {
        let mut v = valid.clone();
        let at = 12 + rng.below(24);
        for b in &mut v[at..at + 8] {
            *b = rng.next() as u8;
        }
        // Keep only corruptions that make the header invalid for sure: break the "fmt " id.
        v[12] = b'X';
        c.push((
            ["spliced-0", "spliced-1", "spliced-2", "spliced-3"][i],
            v,
            "",
        ));
    }
    c
}

#[test]
fn malformed_wavs_exit_3_with_a_reason_never_a_crash() {
    let dir = scratch("malformed");
    let mut failures = Vec::new();
    for (name, bytes, needle) in malformed_corpus() {
        assert!(bytes.len() <= 8192, "{name} is small");
        let path = dir.join(format!("{name}.wav"));
        std::fs::write(&path, &bytes).unwrap();
        for via_stdin in [false, true] {
            let t = Instant::now();
            let r = if via_stdin {
                run(&["decode", "--json", "-"], Some(&bytes))
            } else {
                run(&["decode", "--json", path.to_str().unwrap()], None)
            };
            let took = t.elapsed();
            let err = stderr(&r);
            let ok = r.status.code() == Some(3)
                && r.stdout.is_empty()
                && err.starts_with("fsk: ")
                && err.trim().lines().count() == 1
                && err.to_lowercase().contains(needle)
                && took < Duration::from_secs(5);
            if !ok {
                failures.push(format!(
                    "{name} (stdin {via_stdin}): status {:?}, {took:?}, stderr {err:?}, stdout {:?}",
                    r.status,
                    String::from_utf8_lossy(&r.stdout)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lying sizes that real writers produce are tolerated: the audio present is decoded.
#[test]
fn lying_sizes_are_tolerated_and_decoded() {
    let good = encode_wav(
        b"Hello World",
        &EncodeOptions {
            protocol: 2,
            ..Default::default()
        },
        SampleFormat::I16,
    )
    .unwrap();
    let data = &good[44..];
    let fmt = fmt_body(1, 1, 48000, 16);
    let with_data_size = |size: u32| wav_with(fmt.clone(), size, data);
    let mut odd = with_data_size(data.len() as u32 + 1);
    odd.push(0x7f); // one stray byte: half a sample
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("ggwave-to-file riff size 28+D", {
            let mut v = good.clone();
            v[4..8].copy_from_slice(&(28 + data.len() as u32).to_le_bytes());
            v
        }),
        ("riff size 0", {
            let mut v = good.clone();
            v[4..8].copy_from_slice(&0u32.to_le_bytes());
            v
        }),
        ("riff size u32::MAX", {
            let mut v = good.clone();
            v[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
            v
        }),
        ("streamed data size 0", with_data_size(0)),
        ("streamed data size 0xFFFFFFFF", with_data_size(u32::MAX)),
        ("4 GB data size claim", with_data_size(0xffff_fff0)),
        ("odd trailing byte", odd),
    ];
    for (name, bytes) in cases {
        let r = run(&["decode", "--json", "-"], Some(&bytes));
        assert_eq!(code(&r), 0, "{name}: {}", stderr(&r));
        let doc = json(&r);
        assert_eq!(
            doc["audio_info"]["total_samples"],
            data.len() / 2,
            "{name}: {doc}"
        );
        assert_eq!(
            doc["messages"].as_array().map(|m| m.len()),
            Some(1),
            "{name}: {doc}"
        );
        assert_eq!(doc["messages"][0]["text"], "Hello World", "{name}");
    }
}

/// Fixed-length mode pads a short payload with zero bytes; the receiver returns exactly the
/// padded payload, once, and never a window of the zero padding read as an all-zero message.
#[test]
fn fixed_length_short_payload_comes_back_zero_padded_once() {
    let dir = scratch("fixed_pad");
    for (proto, fixed, text) in [
        ("0", "50", "sxbEZn5uxmqSq.N4LF5v87"),
        ("1", "16", "Hi"),
        ("9", "8", "a"),
    ] {
        encode_file(&dir, "f.wav", &["-p", proto, "-l", fixed, text], None);
        let path = dir.join("f.wav");
        let r = run(
            &["decode", "--json", "-l", fixed, path.to_str().unwrap()],
            None,
        );
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let doc = json(&r);
        let mut want = text.as_bytes().to_vec();
        want.resize(fixed.parse().unwrap(), 0);
        let got: Vec<_> = doc["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["hex"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, vec![hex(&want)], "protocol {proto}, fixed {fixed}");
    }
}

#[test]
fn framed_payload_with_parity_decodes_to_one_payload() {
    let text = "framed over the air, ".repeat(20); // 420 bytes
    let enc = run(
        &[
            "encode",
            "-p",
            "2",
            "--parity",
            "2",
            "--framing",
            "auto",
            "-o",
            "-",
            &text,
        ],
        None,
    );
    assert_eq!(code(&enc), 0, "{}", stderr(&enc));
    let r = run(&["decode", "--json", "-"], Some(&enc.stdout));
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let doc = json(&r);
    // 4 data pieces + 2 parity pieces, each a plain ggwave message.
    assert_eq!(doc["messages"].as_array().unwrap().len(), 6);
    let payloads = doc["payloads"].as_array().unwrap();
    assert_eq!(payloads.len(), 1);
    let p = &payloads[0];
    assert_eq!(p["complete"], true);
    assert_eq!(p["text"], text.as_str());
    assert_eq!(p["hex"], hex(text.as_bytes()));
    assert_eq!(p["pieces"], 4);
    assert_eq!(p["missing"], serde_json::json!([]));
    assert_eq!(p["recovered"], serde_json::json!([]));
    // Plain output: the joined payload on one line.
    let plain = run(&["decode", "-"], Some(&enc.stdout));
    assert_eq!(String::from_utf8_lossy(&plain.stdout), format!("{text}\n"));
}

#[test]
fn framing_options_are_checked() {
    let bad = run(&["encode", "--framing", "maybe", "-o", "-", "x"], None);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("framing"), "{}", stderr(&bad));
    let bad = run(&["encode", "--parity", "9", "-o", "-", "x"], None);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("parity"), "{}", stderr(&bad));
    // framing=always frames a short payload too; plain decoding shows it unchanged.
    let enc = run(&["encode", "--framing", "always", "-o", "-", "hi"], None);
    assert_eq!(code(&enc), 0, "{}", stderr(&enc));
    let r = run(&["decode", "--json", "-"], Some(&enc.stdout));
    let doc = json(&r);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 2);
    assert_eq!(doc["payloads"][0]["text"], "hi");
    assert_eq!(doc["payloads"][0]["framed"], true);
}

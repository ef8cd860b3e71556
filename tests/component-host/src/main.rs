//! `fsk-codec-host`: the smallest useful wasmtime host of the `fsk:codec` component.
//!
//! ```text
//! fsk-codec-host encode TEXT OUT.wav [PROTOCOL]   # WAV bytes from the component
//! fsk-codec-host decode IN.wav                    # messages, one a line
//! fsk-codec-host bench                            # load time and call latency
//! ```
//! The component is `FSK_COMPONENT` or target/fsk-codec.wasm.

use fsk_component_host::{component_path, DecodeOptions, Host, SampleFormat};
use std::time::{Duration, Instant};
use wasmtime::{bail, format_err, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let host = Host::load(&component_path())?;
    let load = t.elapsed();
    let mut codec = host.instantiate()?;
    let decode_opts = DecodeOptions {
        fixed_length: None,
        dss: false,
        limits: None,
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["encode", text, out, ref rest @ ..] => {
            let mut opts = codec.default_encode_options()?;
            if let Some(p) = rest.first() {
                opts.protocol = p.parse()?;
            }
            match codec.encode(text.as_bytes(), opts, SampleFormat::Pcm16)? {
                Ok(wav) => std::fs::write(out, wav)?,
                Err(e) => bail!("encode failed: {e:?}"),
            }
        }
        ["decode", input] => match codec.decode(&std::fs::read(input)?, &decode_opts)? {
            Ok(d) => {
                for m in d.messages {
                    println!(
                        "{:.3}-{:.3}s protocol {}: {}",
                        m.start_seconds,
                        m.end_seconds,
                        m.protocol,
                        String::from_utf8_lossy(&m.payload)
                    );
                }
            }
            Err(e) => bail!("decode failed: {e:?}"),
        },
        ["bench"] => {
            let t = Instant::now();
            let mut fresh = host.instantiate()?;
            let inst = t.elapsed();
            let opts = fresh.default_encode_options()?;
            let per_call = |n: u32, f: &mut dyn FnMut() -> Result<()>| -> Result<Duration> {
                f()?; // warm-up
                let t = Instant::now();
                for _ in 0..n {
                    f()?;
                }
                Ok(t.elapsed() / n)
            };
            let protocols = per_call(200, &mut || codec.protocols().map(|_| ()))?;
            let hello = b"Hello World";
            let enc = per_call(20, &mut || {
                codec
                    .encode(hello, opts, SampleFormat::Pcm16)?
                    .map(|_| ())
                    .map_err(|e| format_err!("{e:?}"))
            })?;
            let wav = match codec.encode(hello, opts, SampleFormat::Pcm16)? {
                Ok(w) => w,
                Err(e) => bail!("{e:?}"),
            };
            let dec = per_call(20, &mut || {
                codec
                    .decode(&wav, &decode_opts)?
                    .map(|_| ())
                    .map_err(|e| format_err!("{e:?}"))
            })?;
            let long: Vec<u8> = (0..140u8).collect();
            let enc140 = per_call(10, &mut || {
                codec
                    .encode(&long, opts, SampleFormat::Pcm16)?
                    .map(|_| ())
                    .map_err(|e| format_err!("{e:?}"))
            })?;
            // The same calls on the native library (optimised in this crate's profile too).
            let nopts = fskhttp::EncodeOptions::default();
            let fmt = fskhttp::SampleFormat::I16;
            let native = |r: Result<(), String>| r.map_err(|e| format_err!("{e}"));
            let n_enc = per_call(20, &mut || {
                native(
                    fskhttp::encode_wav(hello, &nopts, fmt)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                )
            })?;
            let n_enc140 = per_call(10, &mut || {
                native(
                    fskhttp::encode_wav(&long, &nopts, fmt)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                )
            })?;
            let dopts = fskhttp::DecodeOptions::default();
            let n_dec = per_call(20, &mut || {
                native(
                    fskhttp::decode_wav(&wav, &dopts)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                )
            })?;
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!("component: {}", component_path().display());
            println!(
                "load+compile {:.0} ms, instantiate {:.2} ms",
                ms(load),
                ms(inst)
            );
            println!("protocols() {:.3} ms", ms(protocols));
            println!("per call         component    native");
            println!(
                "encode 11 B      {:6.2} ms  {:6.2} ms   ({} B WAV, p1, 48 kHz)",
                ms(enc),
                ms(n_enc),
                wav.len()
            );
            println!(
                "encode 140 B     {:6.2} ms  {:6.2} ms",
                ms(enc140),
                ms(n_enc140)
            );
            println!(
                "decode 11 B WAV  {:6.2} ms  {:6.2} ms   ({:.2} s of audio)",
                ms(dec),
                ms(n_dec),
                (wav.len() - 44) as f64 / 96000.0
            );
        }
        _ => bail!("usage: fsk-codec-host encode TEXT OUT.wav [PROTOCOL] | decode IN.wav | bench"),
    }
    Ok(())
}

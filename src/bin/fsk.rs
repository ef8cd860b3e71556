//! `fsk`: encode bytes to a ggwave-compatible WAV, decode WAVs to bytes.
//!
//! ```text
//! fsk encode [--protocol ID] [--volume V] [--sample-rate HZ] [--fixed-length N] [--dss]
//!            [--format i16|f32] [--hex HEX | TEXT] --output FILE.wav
//! fsk decode [--fixed-length N] [--dss] [--json] FILE.wav|-
//! ```
//! Exit codes: 0 success (decoded or not), 2 usage error, 3 unreadable input.

use clap::{Parser, Subcommand};
use fskhttp::{decode_wav, encode_wav, DecodeOptions, EncodeOptions, Protocol, SampleFormat};
use std::io::{Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fsk",
    version,
    about = "ggwave-compatible data-over-sound modem"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encode TEXT, --hex bytes or stdin into a WAV file.
    Encode {
        /// Protocol id (0-11) or name ("Fast", "[U] Fastest", "dt-normal").
        #[arg(long, short = 'p', default_value = "1")]
        protocol: String,
        /// Volume 1-100.
        #[arg(long, short = 'v', default_value_t = 50)]
        volume: u8,
        /// Output sample rate, 8000-96000 Hz.
        #[arg(long, short = 's', default_value_t = 48000)]
        sample_rate: u32,
        /// Fixed-length mode: bytes per transmission (1-64).
        #[arg(long, short = 'l')]
        fixed_length: Option<usize>,
        /// XOR the payload with ggwave's DSS sequence.
        #[arg(long, short = 'd')]
        dss: bool,
        /// Sample format of the WAV.
        #[arg(long, default_value = "i16")]
        format: String,
        /// Payload as hexadecimal bytes.
        #[arg(long, conflicts_with = "text")]
        hex: Option<String>,
        /// Output WAV file ("-" for stdout).
        #[arg(long, short = 'o')]
        output: String,
        /// Payload text (without it and without --hex, stdin bytes are sent).
        text: Option<String>,
    },
    /// Decode every message in a WAV file ("-" reads stdin).
    Decode {
        /// Fixed-length mode: bytes per transmission (1-64).
        #[arg(long, short = 'l')]
        fixed_length: Option<usize>,
        /// The sender used DSS.
        #[arg(long, short = 'd')]
        dss: bool,
        /// Print one JSON object with audio info, every message (with its snr_db, drift_ppm and
        /// corrected_bytes) and, when there is none, a `diagnosis` of why.
        #[arg(long)]
        json: bool,
        /// Input WAV file or "-".
        file: String,
    },
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("fsk: {msg}");
    ExitCode::from(2)
}

fn unreadable(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("fsk: {msg}");
    ExitCode::from(3)
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_prefix("0x").unwrap_or(&s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Encode {
            protocol,
            volume,
            sample_rate,
            fixed_length,
            dss,
            format,
            hex,
            output,
            text,
        } => {
            let Some(p) = Protocol::by_name(&protocol) else {
                return usage(format!("unknown protocol '{protocol}' (0-11 or a name)"));
            };
            let Some(format) = SampleFormat::parse(&format) else {
                return usage(format!("unknown format '{format}' (i16 or f32)"));
            };
            let payload = match (hex, text) {
                (Some(h), _) => match parse_hex(&h) {
                    Some(b) => b,
                    None => return usage("--hex needs an even number of hex digits"),
                },
                (None, Some(t)) => t.into_bytes(),
                (None, None) => {
                    let mut b = Vec::new();
                    if let Err(e) = std::io::stdin().read_to_end(&mut b) {
                        return unreadable(format!("cannot read stdin: {e}"));
                    }
                    b
                }
            };
            let opts = EncodeOptions {
                protocol: p.id,
                volume,
                sample_rate,
                fixed_length,
                dss,
            };
            let wav = match encode_wav(&payload, &opts, format) {
                Ok(w) => w,
                Err(e) => return usage(e),
            };
            let written = if output == "-" {
                std::io::stdout().write_all(&wav)
            } else {
                std::fs::write(&output, &wav)
            };
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => unreadable(format!("cannot write {output}: {e}")),
            }
        }
        Command::Decode {
            fixed_length,
            dss,
            json,
            file,
        } => {
            let bytes = if file == "-" {
                let mut b = Vec::new();
                std::io::stdin().read_to_end(&mut b).map(|_| b)
            } else {
                std::fs::read(&file)
            };
            let bytes = match bytes {
                Ok(b) => b,
                Err(e) => return unreadable(format!("cannot read {file}: {e}")),
            };
            let opts = DecodeOptions {
                fixed_length,
                dss,
                ..Default::default()
            };
            let decoded = match decode_wav(&bytes, &opts) {
                Ok(d) => d,
                Err(fskhttp::DecodeError::FixedLength(n)) => {
                    return usage(format!("fixed length {n} outside 1-64"))
                }
                Err(e) => return unreadable(format!("{file}: {e}")),
            };
            let mut out = std::io::stdout().lock();
            if json {
                let i = decoded.info;
                let messages: Vec<_> = decoded
                    .messages
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "hex": m.hex(),
                            "text": m.text(),
                            "protocol": m.protocol,
                            "protocol_name": m.protocol_name(),
                            "start_seconds": m.start_seconds,
                            "end_seconds": m.end_seconds,
                            "snr_db": (m.snr_db * 10.0).round() / 10.0,
                            "drift_ppm": m.drift_ppm.round(),
                            "corrected_bytes": m.corrected_bytes,
                        })
                    })
                    .collect();
                let doc = serde_json::json!({
                    "audio_info": {
                        "channels": i.channels,
                        "sample_rate": i.sample_rate,
                        "bits_per_sample": i.bits_per_sample,
                        "total_samples": i.frames,
                        "duration_seconds": i.duration_seconds(),
                    },
                    "messages": messages,
                    "diagnosis": decoded.diagnosis.as_ref().map(|d| d.to_string()),
                    "diagnosis_kind": decoded.diagnosis.as_ref().map(|d| d.kind()),
                });
                let _ = writeln!(out, "{doc}");
            } else {
                for m in &decoded.messages {
                    let _ = match m.text() {
                        Some(t) => writeln!(out, "{t}"),
                        None => writeln!(out, "{}", m.hex()),
                    };
                }
                // Why nothing came out goes to stderr: stdout stays the payloads only.
                if let Some(d) = &decoded.diagnosis {
                    eprintln!("fsk: no message: {d}");
                }
            }
            ExitCode::SUCCESS
        }
    }
}

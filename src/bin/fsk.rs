//! `fsk`: encode bytes to a ggwave-compatible WAV, decode WAVs to bytes.
//!
//! ```text
//! fsk encode [--protocol ID] [--volume V] [--sample-rate HZ] [--fixed-length N] [--dss]
//!            [--parity K] [--framing auto|always|none]
//!            [--format i16|f32] [--hex HEX | TEXT] --output FILE.wav
//! fsk decode [--fixed-length N] [--dss] [--json] FILE.wav|-
//! ```
//! Exit codes: 0 success (decoded or not), 2 usage error, 3 unreadable input.
//!
//! Arguments are parsed by clap's value parsers; every range (volume, rate, fixed length) is the
//! codec's, reported through its errors.

use anyhow::Context;
use clap::{Parser, Subcommand};
use fskhttp::{
    decode_wav, encode_wav, DecodeError, DecodeOptions, Decoded, EncodeOptions, Framing, Payload,
    Protocol, SampleFormat,
};
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
        #[arg(long, short = 'p', default_value = "1", value_parser = parse_protocol)]
        protocol: &'static Protocol,
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
        /// Parity pieces of a framed payload (0-8): any that many lost transmissions are rebuilt.
        #[arg(long, default_value_t = fskhttp::framing::DEFAULT_PARITY)]
        parity: u8,
        /// Framing (docs/framing.md): auto (payloads over one transmission), always, or none
        /// (plain consecutive transmissions).
        #[arg(long, default_value = "auto", value_parser = parse_framing)]
        framing: Framing,
        /// Sample format of the WAV.
        #[arg(long, default_value = "i16", value_parser = parse_format)]
        format: SampleFormat,
        /// Payload as hexadecimal bytes.
        #[arg(long, conflicts_with = "text", value_parser = parse_hex)]
        hex: Option<Hex>,
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

/// Bytes given as hexadecimal on the command line.
#[derive(Clone)]
struct Hex(Vec<u8>);

fn parse_protocol(s: &str) -> Result<&'static Protocol, String> {
    Protocol::by_name(s).ok_or_else(|| format!("unknown protocol '{s}' (0-11 or a name)"))
}

fn parse_format(s: &str) -> Result<SampleFormat, String> {
    SampleFormat::parse(s).ok_or_else(|| format!("unknown format '{s}' (i16 or f32)"))
}

fn parse_framing(s: &str) -> Result<Framing, String> {
    Framing::parse(s).ok_or_else(|| format!("unknown framing '{s}' (auto, always or none)"))
}

fn parse_hex(s: &str) -> Result<Hex, String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_prefix("0x").unwrap_or(&s);
    let bytes = if s.len().is_multiple_of(2) {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    } else {
        None
    };
    bytes
        .map(Hex)
        .ok_or_else(|| "--hex needs an even number of hex digits".into())
}

/// How a failed command ends the process.
#[derive(Debug, Clone, Copy)]
enum Exit {
    /// Bad arguments or options the codec refuses: 2.
    Usage = 2,
    /// Input that cannot be read, output that cannot be written: 3.
    Unreadable = 3,
}

/// A failed command: its exit code and what went wrong (with context).
struct Failure(Exit, anyhow::Error);

trait OrExit<T> {
    fn or_exit(self, exit: Exit) -> Result<T, Failure>;
}

impl<T, E: Into<anyhow::Error>> OrExit<T> for Result<T, E> {
    fn or_exit(self, exit: Exit) -> Result<T, Failure> {
        self.map_err(|e| Failure(exit, e.into()))
    }
}

fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut b = Vec::new();
    std::io::stdin().read_to_end(&mut b).map(|_| b)
}

fn encode(
    options: EncodeOptions,
    format: SampleFormat,
    payload: Option<Vec<u8>>,
    output: &str,
) -> Result<(), Failure> {
    let payload = match payload {
        Some(p) => p,
        None => read_stdin()
            .context("cannot read stdin")
            .or_exit(Exit::Unreadable)?,
    };
    let wav = encode_wav(&payload, &options, format).or_exit(Exit::Usage)?;
    if output == "-" {
        std::io::stdout().write_all(&wav)
    } else {
        std::fs::write(output, &wav)
    }
    .with_context(|| format!("cannot write {output}"))
    .or_exit(Exit::Unreadable)
}

fn decode(options: DecodeOptions, json: bool, file: &str) -> Result<(), Failure> {
    let bytes = if file == "-" {
        read_stdin()
    } else {
        std::fs::read(file)
    }
    .with_context(|| format!("cannot read {file}"))
    .or_exit(Exit::Unreadable)?;
    let decoded = match decode_wav(&bytes, &options) {
        Err(e @ DecodeError::FixedLength(_)) => return Err(Failure(Exit::Usage, e.into())),
        other => other
            .with_context(|| file.to_string())
            .or_exit(Exit::Unreadable)?,
    };
    let mut out = std::io::stdout().lock();
    // A closed stdout (`fsk decode x.wav | head -0`) is not an error worth reporting.
    let _ = if json {
        writeln!(out, "{}", decoded_json(&decoded))
    } else {
        // One line a payload: a plain message as it was, a framed payload joined. An incomplete
        // payload is never printed; stderr says what is missing.
        decoded
            .payloads
            .iter()
            .try_for_each(|p| match (p.complete, p.text()) {
                (true, Some(t)) => writeln!(out, "{t}"),
                (true, None) => writeln!(out, "{}", p.hex()),
                (false, _) => {
                    eprintln!(
                        "fsk: incomplete payload (id {}): {}",
                        p.id.unwrap_or(0),
                        p.problem().unwrap_or_default()
                    );
                    Ok(())
                }
            })
    };
    // Why nothing came out goes to stderr: stdout stays the payloads only.
    if let (false, Some(d)) = (json, &decoded.diagnosis) {
        eprintln!("fsk: no message: {d}");
    }
    Ok(())
}

/// One payload in `decode --json`.
fn payload_json(p: &Payload) -> serde_json::Value {
    serde_json::json!({
        "hex": p.complete.then(|| p.hex()),
        "text": p.text(),
        "complete": p.complete,
        "pieces": p.pieces,
        "missing": p.missing,
        "recovered": p.recovered,
        "framed": p.framed,
        "id": p.id,
        "parity": p.parity,
        "received": p.received,
        "length": p.len,
        "start_seconds": p.start_seconds,
        "end_seconds": p.end_seconds,
    })
}

/// `decode --json`: audio info, every message and every payload.
fn decoded_json(decoded: &Decoded) -> serde_json::Value {
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
    serde_json::json!({
        "audio_info": {
            "channels": i.channels,
            "sample_rate": i.sample_rate,
            "bits_per_sample": i.bits_per_sample,
            "total_samples": i.frames,
            "duration_seconds": i.duration_seconds(),
        },
        "messages": messages,
        "payloads": decoded.payloads.iter().map(payload_json).collect::<Vec<_>>(),
        "diagnosis": decoded.diagnosis.as_ref().map(|d| d.to_string()),
        "diagnosis_kind": decoded.diagnosis.as_ref().map(|d| d.kind()),
    })
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Encode {
            protocol,
            volume,
            sample_rate,
            fixed_length,
            dss,
            parity,
            framing,
            format,
            hex,
            output,
            text,
        } => {
            let options = EncodeOptions {
                protocol: protocol.id,
                volume,
                sample_rate,
                fixed_length,
                dss,
                framing,
                parity,
            };
            let payload = hex.map(|h| h.0).or(text.map(String::into_bytes));
            encode(options, format, payload, &output)
        }
        Command::Decode {
            fixed_length,
            dss,
            json,
            file,
        } => {
            let options = DecodeOptions {
                fixed_length,
                dss,
                ..Default::default()
            };
            decode(options, json, &file)
        }
    }
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
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(exit, error)) => {
            eprintln!("fsk: {error:#}");
            ExitCode::from(exit as u8)
        }
    }
}

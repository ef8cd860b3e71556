//! Decode every message in a WAV file (any rate, channel count and sample format).
//!
//! `cargo run --example decode -- hello.wav`
use fskhttp::{decode_wav, DecodeOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "hello.wav".into());
    let decoded = decode_wav(&std::fs::read(&path)?, &DecodeOptions::default())?;
    for m in &decoded.messages {
        let text = m.text().map_or_else(|| m.hex(), str::to_owned);
        println!(
            "{:.2}-{:.2} s, protocol {}: {text}",
            m.start_seconds, m.end_seconds, m.protocol
        );
    }
    Ok(())
}

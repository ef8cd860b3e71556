//! Encode text into a WAV that ggwave (or `cargo run --example decode`) can read.
//!
//! `cargo run --example encode -- "Hello World" hello.wav`
use fskhttp::{encode_wav, EncodeOptions, SampleFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let text = args.next().unwrap_or_else(|| "Hello World".into());
    let path = args.next().unwrap_or_else(|| "hello.wav".into());
    // Protocol 1 ("Fast"), volume 50, 48 kHz, variable length: ggwave's defaults.
    let options = EncodeOptions::default();
    let wav = encode_wav(text.as_bytes(), &options, SampleFormat::I16)?;
    std::fs::write(&path, wav)?;
    println!("wrote {path}");
    Ok(())
}

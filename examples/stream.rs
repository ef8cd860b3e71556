//! Receive messages from audio arriving in chunks (a microphone, a socket), as they complete.
//!
//! `cargo run --example stream`
use fskhttp::{encode, DecodeOptions, EncodeOptions, StreamDecoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Stand-in for a live source: two messages as 48 kHz float samples.
    let mut audio = encode(b"first", &EncodeOptions::default())?;
    audio.extend(encode(b"second", &EncodeOptions::default())?);
    let mut receiver = StreamDecoder::new(48_000, DecodeOptions::default())?;
    for chunk in audio.chunks(1024) {
        for m in receiver.push(chunk) {
            println!("{:.2} s: {:?}", m.start_seconds, m.text());
        }
    }
    for m in receiver.flush() {
        println!("{:.2} s: {:?}", m.start_seconds, m.text());
    }
    Ok(())
}

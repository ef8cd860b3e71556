//! A WASI command that uses the codec only through its WIT import `fsk:codec/codec@0.1.0`.
//! Composed with the library component (`wasm-tools compose`, what Spin does for a component
//! dependency), it encodes its argument with every protocol, decodes it back and prints one line
//! per protocol.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "codec-user",
});

use fsk::codec::codec::{self as codec, DecodeOptions, Error, SampleFormat};

fn round_trip(text: &[u8], p: &codec::ProtocolInfo) -> Result<Vec<u8>, Error> {
    let mut opts = codec::default_encode_options();
    opts.protocol = p.id;
    let fixed = p.mono_tone.then_some(text.len() as u32);
    opts.fixed_length = fixed;
    let wav = codec::encode(text, opts, SampleFormat::Pcm16)?;
    let decoded = codec::decode(
        &wav,
        DecodeOptions {
            fixed_length: fixed,
            dss: false,
            limits: None,
        },
    )?;
    Ok(decoded
        .messages
        .into_iter()
        .flat_map(|m| m.payload)
        .collect())
}

fn main() {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Hello World".into());
    let mut failed = false;
    for p in codec::protocols() {
        match round_trip(text.as_bytes(), &p) {
            Ok(back) if back == text.as_bytes() => println!("{} {}: ok", p.id, p.name),
            Ok(back) => {
                failed = true;
                println!(
                    "{} {}: got {:?}",
                    p.id,
                    p.name,
                    String::from_utf8_lossy(&back)
                );
            }
            Err(e) => {
                failed = true;
                println!("{} {}: error {e:?}", p.id, p.name);
            }
        }
    }
    // A typed error crosses the component boundary too.
    println!(
        "empty payload: {:?}",
        codec::encode(b"", codec::default_encode_options(), SampleFormat::Pcm16)
    );
    std::process::exit(i32::from(failed));
}

//! Decode WAV files given on the command line and print what was found (a debugging aid).
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let opts = fskhttp::DecodeOptions {
            fixed_length: std::env::var("FIXED").ok().and_then(|v| v.parse().ok()),
            dss: std::env::var("DSS").is_ok(),
            ..Default::default()
        };
        match fskhttp::decode_wav(&bytes, &opts) {
            Ok(d) => {
                for m in &d.messages {
                    println!(
                        "{path}: p{} {:.3}-{:.3}s {}",
                        m.protocol,
                        m.start_seconds,
                        m.end_seconds,
                        m.hex()
                    );
                }
                if d.messages.is_empty() {
                    println!("{path}: nothing");
                }
            }
            Err(e) => println!("{path}: error {e}"),
        }
    }
}

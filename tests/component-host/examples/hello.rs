//! The host of docs/component.md, compiled with the tests so the guide stays true:
//! `cargo run --example hello` (from tests/component-host, after scripts/build-component).

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Result, Store};

wasmtime::component::bindgen!({ path: "../../wit", world: "codec-component" });
use exports::fsk::codec::codec::{DecodeOptions, SampleFormat};

fn main() -> Result<()> {
    let engine = Engine::new(&Config::new())?;
    let component = Component::from_file(&engine, fsk_component_host::component_path())?;
    let mut linker = Linker::<()>::new(&engine);
    // No WASI needed: a fixed hash-map seed, and traps for the stdio the codec never uses.
    linker
        .instance("wasi:random/insecure-seed@0.2.6")?
        .func_wrap("insecure-seed", |_, (): ()| Ok(((1u64, 2u64),)))?;
    linker.define_unknown_imports_as_traps(&component)?;

    let mut store = Store::new(&engine, ());
    let fsk = CodecComponent::instantiate(&mut store, &component, &linker)?;
    let codec = fsk.fsk_codec_codec();
    let opts = codec.call_default_encode_options(&mut store)?;
    // Outer Result: a trap. Inner Result: the codec's typed error.
    let wav = codec
        .call_encode(&mut store, b"Hello World", opts, SampleFormat::Pcm16)?
        .map_err(|e| wasmtime::format_err!("{e:?}"))?;
    let opts = DecodeOptions {
        fixed_length: None,
        dss: false,
        limits: None,
    };
    let decoded = codec
        .call_decode(&mut store, &wav, opts)?
        .map_err(|e| wasmtime::format_err!("{e:?}"))?;
    assert_eq!(decoded.messages[0].payload, b"Hello World");
    println!(
        "{} B WAV, decoded {:?}",
        wav.len(),
        String::from_utf8_lossy(&decoded.messages[0].payload)
    );
    Ok(())
}

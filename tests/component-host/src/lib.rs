//! A minimal wasmtime host for the `fsk:codec` library component (`scripts/build-component`).
//!
//! The codec needs nothing from its host: the only WASI function it calls is
//! `wasi:random/insecure-seed` (the Rust standard library seeds `HashMap`s with it), which gets a
//! fixed seed here; every other import that the standard library links in (stdio, environment,
//! exit) becomes a trap, which the tests would notice. docs/component.md shows the same host.

use std::path::{Path, PathBuf};
use wasmtime::component::{Component, Linker};
use wasmtime::error::Context;
use wasmtime::{Config, Engine, Result, Store};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "codec-component",
    additional_derives: [PartialEq],
});

pub use exports::fsk::codec::codec::{
    AudioInfo, DecodeOptions, Decoded, Diagnosis, DiagnosisKind, EncodeOptions, EncodePlan, Error,
    FramingMode, Limits, Message, Payload, ProtocolInfo, SampleFormat,
};

/// The built component: `FSK_COMPONENT`, or `target/fsk-codec.wasm` of the repository.
pub fn component_path() -> PathBuf {
    match std::env::var_os("FSK_COMPONENT") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fsk-codec.wasm"),
    }
}

/// A compiled component, ready to instantiate.
pub struct Host {
    engine: Engine,
    component: Component,
    linker: Linker<()>,
}

/// One instance of the component with its store.
pub struct Codec {
    store: Store<()>,
    bindings: CodecComponent,
}

impl Host {
    /// Compile the component at `path`.
    pub fn load(path: &Path) -> Result<Host> {
        let engine = Engine::new(&Config::new())?;
        let component = Component::from_file(&engine, path)
            .with_context(|| format!("loading {} (run scripts/build-component)", path.display()))?;
        let mut linker = Linker::<()>::new(&engine);
        // Fixed seed: reproducible runs.
        let mut random = linker.instance("wasi:random/insecure-seed@0.2.6")?;
        random.func_wrap("insecure-seed", |_, (): ()| {
            Ok(((0x5eed_f5c0_dec0_0001_u64, 0x5eed_f5c0_dec0_0002_u64),))
        })?;
        linker.define_unknown_imports_as_traps(&component)?;
        Ok(Host {
            engine,
            component,
            linker,
        })
    }

    /// A fresh instance.
    pub fn instantiate(&self) -> Result<Codec> {
        let mut store = Store::new(&self.engine, ());
        let bindings = CodecComponent::instantiate(&mut store, &self.component, &self.linker)?;
        Ok(Codec { store, bindings })
    }
}

/// Typed calls; the outer `Result` is a trap (a bug), the inner one the codec's answer.
impl Codec {
    pub fn protocols(&mut self) -> Result<Vec<ProtocolInfo>> {
        self.bindings
            .fsk_codec_codec()
            .call_protocols(&mut self.store)
    }

    pub fn default_encode_options(&mut self) -> Result<EncodeOptions> {
        self.bindings
            .fsk_codec_codec()
            .call_default_encode_options(&mut self.store)
    }

    pub fn default_limits(&mut self) -> Result<Limits> {
        self.bindings
            .fsk_codec_codec()
            .call_default_limits(&mut self.store)
    }

    pub fn plan(
        &mut self,
        len: u32,
        opts: EncodeOptions,
    ) -> Result<std::result::Result<EncodePlan, Error>> {
        self.bindings
            .fsk_codec_codec()
            .call_plan(&mut self.store, len, opts)
    }

    pub fn encode(
        &mut self,
        payload: &[u8],
        opts: EncodeOptions,
        format: SampleFormat,
    ) -> Result<std::result::Result<Vec<u8>, Error>> {
        self.bindings
            .fsk_codec_codec()
            .call_encode(&mut self.store, payload, opts, format)
    }

    pub fn encode_samples(
        &mut self,
        payload: &[u8],
        opts: EncodeOptions,
    ) -> Result<std::result::Result<Vec<f32>, Error>> {
        self.bindings
            .fsk_codec_codec()
            .call_encode_samples(&mut self.store, payload, opts)
    }

    pub fn decode(
        &mut self,
        wav: &[u8],
        opts: &DecodeOptions,
    ) -> Result<std::result::Result<Decoded, Error>> {
        self.bindings
            .fsk_codec_codec()
            .call_decode(&mut self.store, wav, *opts)
    }

    pub fn decode_samples(
        &mut self,
        samples: &[f32],
        sample_rate: u32,
        opts: &DecodeOptions,
    ) -> Result<std::result::Result<Vec<Message>, Error>> {
        self.bindings.fsk_codec_codec().call_decode_samples(
            &mut self.store,
            samples,
            sample_rate,
            *opts,
        )
    }

    pub fn assemble(&mut self, messages: &[Message]) -> Result<Vec<Payload>> {
        self.bindings
            .fsk_codec_codec()
            .call_assemble(&mut self.store, messages)
    }
}

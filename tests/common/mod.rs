//! Shared helpers for the integration tests: the ggwave reference vectors.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/ggwave` next to the repository (CI lays `shared/` beside the clone).
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("FSK_SHARED_DIR") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for cand in [
        root.join("../shared"),
        root.join("../../shared"),
        PathBuf::from("/work/shared"),
    ] {
        if cand.join("ggwave/vectors/manifest.json").exists() {
            return cand;
        }
    }
    panic!("shared/ggwave not found next to the repository; set FSK_SHARED_DIR");
}

pub struct Vector {
    pub file: String,
    pub bytes: Vec<u8>,
    pub protocol: u8,
    pub sample_rate: u32,
    pub volume: u8,
    pub payload: Vec<u8>,
    pub fixed: Option<usize>,
    pub dss: bool,
    pub float: bool,
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn vectors() -> Vec<Vector> {
    let dir = shared_dir().join("ggwave/vectors");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Vector {
            file: e["file"].as_str().unwrap().to_string(),
            bytes: std::fs::read(dir.join(e["file"].as_str().unwrap())).unwrap(),
            protocol: e["protocol_id"].as_u64().unwrap() as u8,
            sample_rate: e["sample_rate"].as_u64().unwrap() as u32,
            volume: e["volume"].as_u64().unwrap() as u8,
            payload: hex(e["payload_hex"].as_str().unwrap()),
            fixed: e["fixed_payload_length"].as_u64().map(|n| n as usize),
            dss: e["dss"].as_bool().unwrap(),
            float: e["sample_format"].as_str().unwrap() == "f32le",
        })
        .collect()
}

/// Deterministic xorshift64* for repeatable random payloads.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Standard normal sample (Box-Muller).
    pub fn gauss(&mut self) -> f64 {
        let u1 = ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

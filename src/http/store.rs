//! Where the service keeps state between requests. Every request runs in a fresh instance (Spin
//! and `wasmtime serve` both instantiate per request), so counters live outside it: in Spin's
//! key-value store through `wasi:keyvalue/atomics` in the component, in memory in native tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A key-value store of integer counters.
pub trait Store {
    /// Add `delta` to the counter `key` (a missing key counts as 0) and return the new value.
    /// Must be atomic: concurrent instances increment the same keys.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, String>;
    /// The counter `key` (0 when missing).
    fn get(&self, key: &str) -> Result<i64, String> {
        self.increment(key, 0)
    }
    /// Every key in the store.
    fn keys(&self) -> Result<Vec<String>, String>;
    /// Store `value` under `key` unless the key exists; return the stored value. Used once per
    /// store for the start time; two first requests racing may both write (values milliseconds
    /// apart), which is harmless.
    fn init(&self, key: &str, value: i64) -> Result<i64, String>;
    /// false for a store that keeps nothing (`metrics_store = "off"`): `/metrics` then says so
    /// instead of serving counters that stay at zero.
    fn counting(&self) -> bool {
        true
    }
}

/// An in-memory store (native tests, the CLI).
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<BTreeMap<String, i64>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, i64>>, String> {
        self.map
            .lock()
            .map_err(|_| "store lock poisoned".to_string())
    }
}

impl Store for MemoryStore {
    fn increment(&self, key: &str, delta: i64) -> Result<i64, String> {
        let mut m = self.lock()?;
        let v = m.entry(key.to_string()).or_insert(0);
        *v = v.wrapping_add(delta);
        Ok(*v)
    }

    fn keys(&self) -> Result<Vec<String>, String> {
        Ok(self.lock()?.keys().cloned().collect())
    }

    fn init(&self, key: &str, value: i64) -> Result<i64, String> {
        let mut m = self.lock()?;
        Ok(*m.entry(key.to_string()).or_insert(value))
    }
}

/// A store that always fails (tests of degraded behaviour).
#[derive(Debug, Default)]
pub struct FailingStore;

impl Store for FailingStore {
    fn increment(&self, _: &str, _: i64) -> Result<i64, String> {
        Err("store unavailable".into())
    }
    fn keys(&self) -> Result<Vec<String>, String> {
        Err("store unavailable".into())
    }
    fn init(&self, _: &str, _: i64) -> Result<i64, String> {
        Err("store unavailable".into())
    }
}

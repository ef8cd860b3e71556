//! Where the service keeps state between requests. Every request runs in a fresh instance (Spin
//! and `wasmtime serve` both instantiate per request), so counters live outside it: in Spin's
//! key-value store through `wasi:keyvalue/atomics` in the component, in memory in native tests.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// Why the store could not be used (the cases of `wasi:keyvalue/store`'s error, plus the
/// in-memory store's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No store of that name is configured for this component.
    NoSuchStore,
    /// The host refused access to the store.
    AccessDenied,
    /// A thread panicked while holding the in-memory store's lock.
    Poisoned,
    /// Any other failure, in the backend's words.
    Backend(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NoSuchStore => {
                write!(
                    f,
                    "no such store (is key_value_stores = [\"default\"] set?)"
                )
            }
            StoreError::AccessDenied => write!(f, "access denied"),
            StoreError::Poisoned => write!(f, "store lock poisoned"),
            StoreError::Backend(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A key-value store of integer counters.
pub trait Store {
    /// Add `delta` to the counter `key` (a missing key counts as 0) and return the new value.
    /// Must be atomic: concurrent instances increment the same keys.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// The counter `key` (0 when missing).
    fn get(&self, key: &str) -> Result<i64, StoreError> {
        self.increment(key, 0)
    }
    /// Every key in the store.
    fn keys(&self) -> Result<Vec<String>, StoreError>;
    /// Store `value` under `key` unless the key exists; return the stored value. Used once per
    /// store for the start time; two first requests racing may both write (values milliseconds
    /// apart), which is harmless.
    fn init(&self, key: &str, value: i64) -> Result<i64, StoreError>;
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

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, i64>>, StoreError> {
        self.map.lock().map_err(|_| StoreError::Poisoned)
    }
}

impl Store for MemoryStore {
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let mut m = self.lock()?;
        let v = m.entry(key.to_string()).or_insert(0);
        *v = v.wrapping_add(delta);
        Ok(*v)
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.lock()?.keys().cloned().collect())
    }

    fn init(&self, key: &str, value: i64) -> Result<i64, StoreError> {
        let mut m = self.lock()?;
        Ok(*m.entry(key.to_string()).or_insert(value))
    }
}

//! Test-only host stub for fskhttp's Spin imports, for `wasmtime serve`:
//!
//! * `fermyon:spin/variables@2.0.0`: a variable `name` is the environment variable
//!   `SPIN_VARIABLE_<NAME>` (Spin's own environment-provider convention), passed with
//!   `wasmtime serve --env`; unset = `undefined`, which makes the app use its default.
//! * `wasi:keyvalue/store` + `atomics@0.2.0-draft2`: store `<label>` is the folder `/kv/<label>`
//!   (preopen it: `--dir HOST::/kv`), one file per key (hex of the key); `set` writes a temporary
//!   file and renames it. `increment` and `swap` hold a per-key lock file (created exclusively), so
//!   concurrent instances count exactly; a lock older than 10 s (an instance killed while holding
//!   it) is broken. A counter is one fixed-width record, `+000000000000000000042 <fnv64 hex>\n`,
//!   rewritten in place under the lock; reads (`get`, `increment` by 0) take no lock: they accept a
//!   record whose checksum matches (a read that overlapped a rewrite does not, and is read again)
//!   and fall back to the locked read for anything else (a missing key, a counter from an older
//!   stub in plain decimal). Reads are most of a `/health` or `/metrics` request's store work, and
//!   lock-free they neither wait for nor delay the requests that count.

wit_bindgen::generate!({ world: "stub", path: "wit", generate_all });

use exports::fermyon::spin::variables::{Error as VarError, Guest as VariablesGuest};
use exports::wasi::keyvalue::atomics::{Cas, CasError, Guest as AtomicsGuest, GuestCas};
use exports::wasi::keyvalue::store::{
    Bucket, BucketBorrow, Error, Guest as StoreGuest, GuestBucket, KeyResponse,
};
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

struct Stub;

fn other(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

impl VariablesGuest for Stub {
    fn get(name: String) -> Result<String, VarError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(VarError::InvalidName(name));
        }
        std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()))
            .map_err(|_| VarError::Undefined(name))
    }
}

/// A store: a folder.
pub struct FsBucket {
    dir: PathBuf,
}

fn hex(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(name: &str) -> Option<String> {
    if !name.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..name.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(name.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

fn random_suffix() -> u64 {
    // RandomState is seeded from the WASI random source: unique enough for temporary names.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

impl FsBucket {
    /// Lock and temporary files live in a subfolder, so that listing the values never meets a
    /// file that vanishes while it is being listed.
    fn work(&self) -> PathBuf {
        self.dir.join(".work")
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.v", hex(key)))
    }

    fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match fs::File::open(self.path(key)) {
            Ok(mut f) => read_small(&mut f).map(Some),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(other(e)),
        }
    }

    fn write(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        use std::io::Write;
        // A temporary name no other instance holds: created exclusively (the random source of a
        // fresh instance may repeat, so uniqueness comes from create_new, not from the name).
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut attempt = 0u64;
        let (tmp, mut file) = loop {
            let tmp = self.work().join(format!(
                "{}.{stamp:x}.{:x}.{attempt}.tmp",
                hex(key),
                random_suffix()
            ));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
                Err(e) => return Err(other(e)),
            }
        };
        file.write_all(value).map_err(other)?;
        drop(file);
        fs::rename(&tmp, self.path(key)).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            other(e)
        })
    }

    /// Run `f` holding the key's lock file.
    fn locked<T>(&self, key: &str, f: impl FnOnce() -> T) -> Result<T, Error> {
        let lock = self.work().join(format!("{}.lock", hex(key)));
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut attempts = 0u32;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    attempts += 1;
                    // Locks are held for a few file operations: retry a few times at once (each
                    // attempt is a host call) before checking for a stale lock and backing off
                    // for a host timer tick (about 1 ms). Spinning longer starves the holder on
                    // small machines.
                    if !attempts.is_multiple_of(8) {
                        continue;
                    }
                    let stale = fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .is_some_and(|age| age > Duration::from_secs(10));
                    if stale {
                        let _ = fs::remove_file(&lock);
                    } else if Instant::now() > deadline {
                        return Err(other("timed out waiting for a key lock"));
                    } else {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                Err(e) => return Err(other(e)),
            }
        }
        let out = f();
        let _ = fs::remove_file(&lock);
        Ok(out)
    }
}

/// The whole of a file that is usually a few bytes (a counter): one read host call for such a
/// file, where `fs::read`/`read_to_string` make three (a `stat` for the size hint, the read, and a
/// read that meets the end). A read of a regular file that returns less than asked has met its end.
fn read_small(f: &mut fs::File) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = f.read(&mut buf).map_err(other)?;
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            return Ok(out);
        }
    }
}

/// What a value file holds.
#[derive(Debug, PartialEq)]
enum Record {
    /// A counter record whose checksum matches.
    Counter(i64),
    /// Shaped like a counter record, but its checksum does not match: a read that overlapped the
    /// record's rewrite.
    Torn,
    /// Anything else: a `set` value, an empty file, a counter in an older stub's plain decimal.
    Other,
}

/// Bytes of a counter record: sign and 20 digits, a space, 16 hex digits of the checksum, `\n`.
const RECORD_LEN: usize = 39;

fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Record {
    fn write(n: i64) -> String {
        let digits = format!("{n:+021}");
        format!("{digits} {:016x}\n", fnv64(digits.as_bytes()))
    }

    fn parse(v: &[u8]) -> Record {
        if v.len() != RECORD_LEN || v[21] != b' ' || v[38] != b'\n' || !matches!(v[0], b'+' | b'-')
        {
            return Record::Other;
        }
        let check = std::str::from_utf8(&v[22..38])
            .ok()
            .and_then(|h| u64::from_str_radix(h, 16).ok());
        let value = std::str::from_utf8(&v[..21])
            .ok()
            .and_then(|d| d.parse::<i64>().ok());
        match (value, check) {
            (Some(n), Some(c)) if c == fnv64(&v[..21]) => Record::Counter(n),
            _ => Record::Torn,
        }
    }
}

fn decode_i64(v: &[u8]) -> Result<i64, Error> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| other("the value is not an integer"))
}

impl GuestBucket for FsBucket {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        // A counter's record reads as its decimal value; a `set` value (renamed into place, so
        // never seen half-written) as itself. Only an empty file (a counter being created) or a
        // record that fails its checksum several times is read again under the lock.
        for _ in 0..4 {
            match self.read(&key)? {
                None => return Ok(None),
                Some(v) => match Record::parse(&v) {
                    Record::Counter(n) => return Ok(Some(n.to_string().into_bytes())),
                    Record::Torn => continue,
                    Record::Other if v.is_empty() => break,
                    Record::Other => return Ok(Some(v)),
                },
            }
        }
        self.locked(&key, || {
            self.read(&key).map(|v| {
                v.map(|v| match Record::parse(&v) {
                    Record::Counter(n) => n.to_string().into_bytes(),
                    _ => v,
                })
            })
        })?
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.locked(&key, || self.write(&key, &value))?
    }

    fn delete(&self, key: String) -> Result<(), Error> {
        match fs::remove_file(self.path(&key)) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(other(e)),
            _ => Ok(()),
        }
    }

    fn exists(&self, key: String) -> Result<bool, Error> {
        Ok(self.path(&key).exists())
    }

    fn list_keys(&self, _cursor: Option<String>) -> Result<KeyResponse, Error> {
        let mut keys = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(other)?.flatten() {
            if let Some(k) = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".v"))
                .and_then(unhex)
            {
                keys.push(k);
            }
        }
        keys.sort();
        Ok(KeyResponse { keys, cursor: None })
    }
}

impl StoreGuest for Stub {
    type Bucket = FsBucket;

    fn open(identifier: String) -> Result<Bucket, Error> {
        let valid = !identifier.is_empty()
            && identifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(Error::NoSuchStore);
        }
        let dir = Path::new("/kv").join(&identifier);
        // Every request opens the store: one `stat` when it exists (create_dir_all would first
        // try to create it and then stat it).
        let work = dir.join(".work");
        if !fs::metadata(&work).is_ok_and(|m| m.is_dir()) {
            fs::create_dir_all(&work).map_err(|_| Error::NoSuchStore)?;
        }
        Ok(Bucket::new(FsBucket { dir }))
    }
}

/// A compare-and-swap handle: the value seen when it was made.
pub struct FsCas {
    dir: PathBuf,
    key: String,
    seen: Option<Vec<u8>>,
}

impl GuestCas for FsCas {
    fn new(bucket: BucketBorrow<'_>, key: String) -> Result<Cas, Error> {
        let b: &FsBucket = bucket.get();
        let seen = b.read(&key)?;
        Ok(Cas::new(FsCas {
            dir: b.dir.clone(),
            key,
            seen,
        }))
    }

    fn current(&self) -> Result<Option<Vec<u8>>, Error> {
        // As `get` reads it: a counter's record as its decimal value.
        Ok(self.seen.clone().map(|v| match Record::parse(&v) {
            Record::Counter(n) => n.to_string().into_bytes(),
            _ => v,
        }))
    }
}

impl AtomicsGuest for Stub {
    type Cas = FsCas;

    fn increment(bucket: BucketBorrow<'_>, key: String, delta: i64) -> Result<i64, Error> {
        use std::io::{Seek, SeekFrom, Write};
        let b: &FsBucket = bucket.get();
        if delta == 0 {
            // A read: no lock (see the module doc); a missing key or an older stub's plain
            // counter goes through the locked path below, which also creates the key.
            for _ in 0..4 {
                match b.read(&key)?.as_deref().map(Record::parse) {
                    Some(Record::Counter(n)) => return Ok(n),
                    Some(Record::Torn) => continue,
                    _ => break,
                }
            }
        }
        b.locked(&key, || {
            // Under the key's lock: read, add and rewrite the value in place through one handle
            // (the value is a few bytes written at once; fewer host calls keep the lock short).
            let mut f = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(b.path(&key))
                .map_err(other)?;
            let text = read_small(&mut f)?;
            let (now, is_record) = match Record::parse(&text) {
                Record::Counter(n) => (n, true),
                // Under the lock nothing rewrites it: a bad checksum is a damaged file.
                Record::Torn => return Err(other("the counter's record is damaged")),
                Record::Other if text.is_empty() => (0, false),
                Record::Other => (decode_i64(&text)?, false),
            };
            let next = now.wrapping_add(delta);
            if delta != 0 || !is_record {
                // One write of the fixed-width record at offset 0 (seeking is local to the
                // guest): longer than any plain decimal counter, so nothing needs truncating.
                f.seek(SeekFrom::Start(0)).map_err(other)?;
                f.write_all(Record::write(next).as_bytes()).map_err(other)?;
            }
            Ok(next)
        })?
    }

    fn swap(cas: Cas, value: Vec<u8>) -> Result<(), CasError> {
        let c: &FsCas = cas.get();
        let b = FsBucket { dir: c.dir.clone() };
        let key = c.key.clone();
        let seen = c.seen.clone();
        let swapped = b
            .locked(&key, || -> Result<bool, Error> {
                if b.read(&key)? != seen {
                    return Ok(false);
                }
                b.write(&key, &value)?;
                Ok(true)
            })
            .and_then(|r| r)
            .map_err(CasError::StoreError)?;
        if swapped {
            Ok(())
        } else {
            Err(CasError::CasFailed(cas))
        }
    }
}

export!(Stub);

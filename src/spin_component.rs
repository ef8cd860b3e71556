//! The Spin component: a thin shell over [`crate::http::handle`].
//!
//! * Configuration: Spin application variables (`spin_sdk::variables`).
//! * State: `wasi:keyvalue/store` + `atomics` (`increment` is atomic in Spin 3+), store `default`,
//!   only with `metrics_store = "kv"` (the default). With `"off"` no store is opened. Built with
//!   feature `no-kv-atomics` (Akamai Functions, whose key-value API has no `atomics`), the component
//!   does not import `wasi:keyvalue/atomics` at all and the counters are always off.
//! * Body limit: `Content-Length` over the limit is refused before reading; otherwise the body is
//!   read in chunks and refused as soon as it passes the limit, so it is never buffered whole.

use crate::http::config::MetricsStore;
#[cfg(not(feature = "no-kv-atomics"))]
use crate::http::StoreError;
use crate::http::{handle as serve, reject, too_large, ApiError, Config, Context, Store};
use spin_sdk::http::{
    Fields, IncomingRequest, Method as SpinMethod, OutgoingResponse, ResponseOutparam,
};
#[cfg(not(feature = "no-kv-atomics"))]
use spin_sdk::wit::wasi::keyvalue::{atomics, store};
use wasi::io::streams::StreamError;

/// Counters in Spin's key-value store `default`.
#[cfg(not(feature = "no-kv-atomics"))]
struct SpinStore {
    bucket: Result<store::Bucket, StoreError>,
}

#[cfg(not(feature = "no-kv-atomics"))]
fn kv_err(e: store::Error) -> StoreError {
    match e {
        store::Error::NoSuchStore => StoreError::NoSuchStore,
        store::Error::AccessDenied => StoreError::AccessDenied,
        store::Error::Other(s) => StoreError::Backend(s),
    }
}

#[cfg(not(feature = "no-kv-atomics"))]
impl SpinStore {
    fn open() -> Self {
        SpinStore {
            bucket: store::open("default").map_err(kv_err),
        }
    }
    fn bucket(&self) -> Result<&store::Bucket, StoreError> {
        self.bucket.as_ref().map_err(Clone::clone)
    }
}

#[cfg(not(feature = "no-kv-atomics"))]
impl Store for SpinStore {
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        atomics::increment(self.bucket()?, key, delta).map_err(kv_err)
    }

    fn keys(&self) -> Result<Vec<String>, StoreError> {
        let b = self.bucket()?;
        let mut keys = Vec::new();
        let mut cursor = None;
        // Bounded: a store with more than 100 pages of keys is not ours to list.
        for _ in 0..100 {
            let page = b.list_keys(cursor.as_deref()).map_err(kv_err)?;
            keys.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(keys)
    }

    fn init(&self, key: &str, value: i64) -> Result<i64, StoreError> {
        let b = self.bucket()?;
        if let Some(v) = b.get(key).map_err(kv_err)? {
            if let Some(n) = std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()) {
                return Ok(n);
            }
        }
        b.set(key, value.to_string().as_bytes()).map_err(kv_err)?;
        Ok(value)
    }
}

fn method_of(m: &SpinMethod) -> ::http::Method {
    let s = m.to_string();
    ::http::Method::from_bytes(s.as_bytes()).unwrap_or(::http::Method::GET)
}

/// Read the request, refusing bodies over `limit` without buffering them.
fn read_request(
    req: IncomingRequest,
    limit: usize,
) -> Result<::http::Request<Vec<u8>>, (::http::Method, String, ApiError)> {
    let method = method_of(&req.method());
    let path_query = req.path_with_query().unwrap_or_else(|| "/".into());
    let path = path_query.split('?').next().unwrap_or("/").to_string();
    let fail = |e: ApiError| (method.clone(), path.clone(), e);
    let mut builder = ::http::Request::builder().method(method.clone());
    builder = match path_query.parse::<::http::Uri>() {
        Ok(u) => builder.uri(u),
        Err(e) => {
            return Err(fail(ApiError::bad(
                "Invalid request",
                format!("the request target is not a valid URI: {e}"),
            )))
        }
    };
    let cfg = Config {
        max_body_bytes: limit,
        ..Config::default()
    };
    // The declared length (already checked against the limit) sizes the buffer once.
    let mut expected = 0usize;
    for (name, value) in req.headers().entries() {
        if name.eq_ignore_ascii_case("content-length") {
            let declared = std::str::from_utf8(&value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok());
            if let Some(n) = declared.filter(|&n| n > limit as u64) {
                return Err(fail(too_large(n, &cfg)));
            }
            expected = declared.map_or(0, |n| n as usize);
        }
        if let (Ok(n), Ok(v)) = (
            ::http::HeaderName::from_bytes(name.as_bytes()),
            ::http::HeaderValue::from_bytes(&value),
        ) {
            builder = builder.header(n, v);
        }
    }
    let mut body = Vec::with_capacity(expected);
    let incoming = req
        .consume()
        .map_err(|_| fail(ApiError::bad("Invalid request", "the body cannot be read")))?;
    let stream = incoming
        .stream()
        .map_err(|_| fail(ApiError::bad("Invalid request", "the body cannot be read")))?;
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > limit {
                    return Err(fail(too_large(body.len() as u64, &cfg)));
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(fail(ApiError::bad(
                    "Invalid request",
                    // The runtime's message may carry a backtrace: its first line is enough.
                    format!(
                        "reading the body failed: {}",
                        e.to_debug_string().lines().next().unwrap_or("stream error")
                    ),
                )));
            }
        }
    }
    drop(stream);
    drop(incoming);
    builder.body(body).map_err(|e| {
        fail(ApiError::bad(
            "Invalid request",
            format!("the request is malformed: {e}"),
        ))
    })
}

#[spin_sdk::http_component]
async fn handle_fskhttp(req: IncomingRequest, out: ResponseOutparam) {
    #[allow(unused_mut)]
    let mut config = Config::from_lookup(|name| spin_sdk::variables::get(name).ok());
    #[cfg(feature = "no-kv-atomics")]
    if config.metrics_store == MetricsStore::Kv {
        config.warnings.push(
            "metrics_store: \"kv\" needs wasi:keyvalue/atomics, which this build (feature no-kv-atomics) leaves out; counters are off".into(),
        );
        config.metrics_store = MetricsStore::Off;
    }
    let off = crate::http::metrics::Off;
    #[cfg(not(feature = "no-kv-atomics"))]
    let kv;
    let store: &dyn Store = match config.metrics_store {
        MetricsStore::Off => &off,
        #[cfg(not(feature = "no-kv-atomics"))]
        MetricsStore::Kv => {
            kv = SpinStore::open();
            &kv
        }
        #[cfg(feature = "no-kv-atomics")]
        MetricsStore::Kv => &off,
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let ctx = Context {
        config: &config,
        store,
        now_ms,
    };
    let resp = match read_request(req, config.max_body_bytes) {
        Ok(r) => serve(r, &ctx),
        Err((method, path, err)) => reject(&method, &path, err, &ctx),
    };
    let (parts, body) = resp.into_parts();
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    // Every status the service produces is a valid HTTP status.
    let _ = response.set_status_code(parts.status.as_u16());
    if let Err(e) = out.set_with_body(response, body).await {
        eprintln!("level=error writing the response failed: {e:?}");
    }
}

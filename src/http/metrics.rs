//! Prometheus metrics kept in the key-value store.
//!
//! Written by hand rather than with `prometheus-client`: that crate keeps metric objects in the
//! process and renders them, but here every value lives in the key-value store (each request is
//! a fresh instance), so rendering is a loop over stored counters; the exposition format is a few
//! lines of text.
//!
//! What is exact and what is approximate under concurrency:
//! * every counter is one atomic `increment` per request: exact;
//! * `fskhttp_requests_active` is +1 on arrival and -1 on completion: exact while instances end
//!   normally; an instance killed mid-request (host timeout, trap) leaves it one too high;
//! * a scrape reads the keys one by one while other requests run, so one scrape may show, say,
//!   `requests_total` already incremented but the matching histogram bucket not yet: the values
//!   are each exact, not a snapshot of one instant;
//! * `fskhttp_uptime_seconds` counts from the first request that reached this store, and
//!   `fskhttp_requests_per_second` is the average since then (use `rate()` for the current rate).

use super::store::Store;

/// Upper bounds of the request-duration histogram buckets, in seconds (then +Inf).
pub const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Route labels (bounded cardinality: raw paths are never labels).
pub const ENDPOINTS: [&str; 8] = [
    "encode",
    "decode",
    "health",
    "metrics",
    "protocols",
    "openapi",
    "web",
    "other",
];

const STARTED: &str = "started_at_ms";

/// Note a request's arrival (the active gauge).
pub fn begin(store: &dyn Store, now_ms: i64) -> Result<(), String> {
    store.init(STARTED, now_ms)?;
    store.increment("requests_active", 1)?;
    Ok(())
}

/// Note a finished request.
pub fn finish(store: &dyn Store, endpoint: &str, status: u16, seconds: f64) -> Result<(), String> {
    store.increment("requests_active", -1)?;
    store.increment("requests_total", 1)?;
    if status < 400 {
        store.increment("requests_successful_total", 1)?;
    } else {
        store.increment("requests_failed_total", 1)?;
    }
    match endpoint {
        "encode" => {
            store.increment("encode_requests_total", 1)?;
        }
        "decode" => {
            store.increment("decode_requests_total", 1)?;
        }
        _ => {}
    }
    store.increment(&format!("http|{endpoint}|{status}"), 1)?;
    let bucket = BUCKETS
        .iter()
        .position(|&b| seconds <= b)
        .unwrap_or(BUCKETS.len());
    store.increment(&format!("dur|{endpoint}|{bucket}"), 1)?;
    let micros = (seconds.max(0.0) * 1e6).round() as i64;
    store.increment(&format!("dursum|{endpoint}"), micros)?;
    Ok(())
}

/// Totals used by `/health`.
pub struct Totals {
    /// `fskhttp_requests_total`.
    pub requests: i64,
    /// `fskhttp_requests_successful_total`.
    pub successful: i64,
    /// `fskhttp_requests_failed_total`.
    pub failed: i64,
    /// `fskhttp_encode_requests_total`.
    pub encode: i64,
    /// `fskhttp_decode_requests_total`.
    pub decode: i64,
    /// `fskhttp_requests_active`.
    pub active: i64,
    /// `fskhttp_uptime_seconds`.
    pub uptime_seconds: f64,
}

/// Read the totals.
pub fn totals(store: &dyn Store, now_ms: i64) -> Result<Totals, String> {
    let started = store.init(STARTED, now_ms)?;
    Ok(Totals {
        requests: store.get("requests_total")?,
        successful: store.get("requests_successful_total")?,
        failed: store.get("requests_failed_total")?,
        encode: store.get("encode_requests_total")?,
        decode: store.get("decode_requests_total")?,
        active: store.get("requests_active")?,
        uptime_seconds: ((now_ms - started).max(0) as f64) / 1000.0,
    })
}

fn fmt_f(v: f64) -> String {
    if v.is_infinite() {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

/// The Prometheus text exposition (format 0.0.4).
pub fn render(store: &dyn Store, now_ms: i64) -> Result<String, String> {
    use std::fmt::Write;
    let t = totals(store, now_ms)?;
    let mut o = String::with_capacity(4096);
    let mut simple = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(o, "# HELP {name} {help}");
        let _ = writeln!(o, "# TYPE {name} {kind}");
        let _ = writeln!(o, "{name} {value}");
    };
    simple(
        "fskhttp_requests_total",
        "counter",
        "Requests answered, all endpoints.",
        t.requests.to_string(),
    );
    simple(
        "fskhttp_requests_active",
        "gauge",
        "Requests in progress (all instances).",
        t.active.max(0).to_string(),
    );
    simple(
        "fskhttp_requests_successful_total",
        "counter",
        "Requests answered with a status below 400.",
        t.successful.to_string(),
    );
    simple(
        "fskhttp_requests_failed_total",
        "counter",
        "Requests answered with a status of 400 or more.",
        t.failed.to_string(),
    );
    simple(
        "fskhttp_encode_requests_total",
        "counter",
        "Requests to /encode.",
        t.encode.to_string(),
    );
    simple(
        "fskhttp_decode_requests_total",
        "counter",
        "Requests to /decode.",
        t.decode.to_string(),
    );
    simple(
        "fskhttp_uptime_seconds",
        "gauge",
        "Seconds since the first request that reached this key-value store.",
        format!("{:.3}", t.uptime_seconds),
    );
    let rps = if t.uptime_seconds > 0.0 {
        t.requests as f64 / t.uptime_seconds
    } else {
        0.0
    };
    simple(
        "fskhttp_requests_per_second",
        "gauge",
        "Average requests per second since uptime began (use rate() for the current rate).",
        format!("{rps:.3}"),
    );

    let mut keys = store.keys()?;
    keys.sort();
    let _ = writeln!(
        o,
        "# HELP fskhttp_http_requests_total Requests by endpoint and status code."
    );
    let _ = writeln!(o, "# TYPE fskhttp_http_requests_total counter");
    for k in &keys {
        let mut parts = k.split('|');
        if let (Some("http"), Some(ep), Some(status), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            let v = store.get(k)?;
            let _ = writeln!(
                o,
                "fskhttp_http_requests_total{{endpoint=\"{ep}\",status=\"{status}\"}} {v}"
            );
        }
    }
    let _ = writeln!(
        o,
        "# HELP fskhttp_request_duration_seconds Time from request to response, by endpoint."
    );
    let _ = writeln!(o, "# TYPE fskhttp_request_duration_seconds histogram");
    for ep in ENDPOINTS {
        let prefix = format!("dur|{ep}|");
        if !keys.iter().any(|k| k.starts_with(&prefix)) {
            continue;
        }
        let mut cumulative = 0i64;
        for (i, le) in BUCKETS.iter().copied().chain([f64::INFINITY]).enumerate() {
            let key = format!("{prefix}{i}");
            if keys.binary_search(&key).is_ok() {
                cumulative += store.get(&key)?;
            }
            let _ = writeln!(
                o,
                "fskhttp_request_duration_seconds_bucket{{endpoint=\"{ep}\",le=\"{}\"}} {cumulative}",
                fmt_f(le)
            );
        }
        let sum = store.get(&format!("dursum|{ep}"))? as f64 / 1e6;
        let _ = writeln!(
            o,
            "fskhttp_request_duration_seconds_sum{{endpoint=\"{ep}\"}} {sum}"
        );
        let _ = writeln!(
            o,
            "fskhttp_request_duration_seconds_count{{endpoint=\"{ep}\"}} {cumulative}"
        );
    }
    Ok(o)
}

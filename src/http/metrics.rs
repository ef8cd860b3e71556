//! Prometheus metrics kept in the key-value store.
//!
//! Written by hand rather than with `prometheus-client`: that crate keeps metric objects in the
//! process and renders them, but here every value lives in the key-value store (each request is
//! a fresh instance), so rendering is a loop over stored counters; the exposition format is a few
//! lines of text.
//!
//! A request costs three atomic increments: `arrivals` when it starts; when it ends
//! `req|<endpoint>|<status>|<bucket>` (its endpoint, status and duration bucket at once) and
//! `dursum|<endpoint>` (microseconds). Everything else is derived when rendering: the old totals
//! (requests, successful, failed, encode, decode) and `fskhttp_http_requests_total` are sums of the
//! `req|...` counters, the histogram's buckets are their cumulative sums, and the active gauge is
//! arrivals minus finished requests. Few round trips keep the store (Redis on SpinKube) off the
//! request path's critical cost.
//!
//! What is exact and what is approximate under concurrency:
//! * every counter is an atomic `increment`: exact, none lost;
//! * a scrape reads the keys one by one while other requests run, so its values are each exact
//!   but not a snapshot of one instant; `fskhttp_requests_active` (arrivals read first, then the
//!   finished counters) can be off by the requests that started or ended during the scrape, and an
//!   instance killed mid-request (host timeout) leaves it one too high for good;
//! * `fskhttp_uptime_seconds` counts from the first `/health` or `/metrics` request that reached
//!   this store (the store outlives restarts; Kubernetes probes hit `/health` from the start), and
//!   `fskhttp_requests_per_second` is the average over that time (use `rate()` for the current rate).
//!
//! `metrics_store = "off"` ([`Off`]): no key-value operation per request, `/metrics` serves only
//! `fskhttp_metrics_store_enabled 0`, and `/health` reports zero counts. Request rates, errors and
//! latency then come from the runtime's own OpenTelemetry metrics (docs/OPERATIONS.md), which cost
//! the store nothing and scale with any number of instances.

use super::store::{Store, StoreError};
use http::StatusCode;

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

/// The store behind `metrics_store = "off"`: keeps nothing, reads as empty, never fails.
#[derive(Debug, Default, Clone, Copy)]
pub struct Off;

impl Store for Off {
    fn increment(&self, _: &str, _: i64) -> Result<i64, StoreError> {
        Ok(0)
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    fn init(&self, _: &str, value: i64) -> Result<i64, StoreError> {
        Ok(value)
    }
    fn counting(&self) -> bool {
        false
    }
}

const ENABLED_HELP: &str = "# HELP fskhttp_metrics_store_enabled 1 when per-request counters are kept in the key-value store (metrics_store = kv), 0 when off (use the runtime's OpenTelemetry metrics).\n# TYPE fskhttp_metrics_store_enabled gauge\n";

const STARTED: &str = "started_at_ms";
const ARRIVALS: &str = "arrivals";

/// Note a request's arrival.
pub fn begin(store: &dyn Store) -> Result<(), StoreError> {
    store.increment(ARRIVALS, 1).map(|_| ())
}

/// Note a finished request.
pub fn finish(
    store: &dyn Store,
    endpoint: &str,
    status: StatusCode,
    seconds: f64,
) -> Result<(), StoreError> {
    let bucket = BUCKETS
        .iter()
        .position(|&b| seconds <= b)
        .unwrap_or(BUCKETS.len());
    let status = status.as_u16();
    store.increment(&format!("req|{endpoint}|{status}|{bucket}"), 1)?;
    let micros = (seconds.max(0.0) * 1e6).round() as i64;
    store.increment(&format!("dursum|{endpoint}"), micros)?;
    Ok(())
}

/// One finished-request counter: endpoint, status, duration bucket index, count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    /// Route label.
    pub endpoint: String,
    /// HTTP status.
    pub status: u16,
    /// Index into [`BUCKETS`] (`BUCKETS.len()` = +Inf).
    pub bucket: usize,
    /// Requests.
    pub n: i64,
}

/// Every finished-request counter in the store.
pub fn counts(store: &dyn Store) -> Result<Vec<Count>, StoreError> {
    let mut out = Vec::new();
    for k in store.keys()? {
        let mut parts = k.split('|');
        if let (Some("req"), Some(ep), Some(status), Some(bucket), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            if let (Ok(status), Ok(bucket)) = (status.parse::<u16>(), bucket.parse::<usize>()) {
                out.push(Count {
                    endpoint: ep.to_string(),
                    status,
                    bucket: bucket.min(BUCKETS.len()),
                    n: 0,
                });
            }
        }
    }
    for c in &mut out {
        c.n = store.get(&format!("req|{}|{}|{}", c.endpoint, c.status, c.bucket))?;
    }
    out.sort();
    Ok(out)
}

/// Totals used by `/health` and `/metrics`.
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

/// Read the totals (and the counters they come from).
pub fn totals(store: &dyn Store, now_ms: i64) -> Result<(Totals, Vec<Count>), StoreError> {
    let started = store.init(STARTED, now_ms)?;
    let arrivals = store.get(ARRIVALS)?;
    let counts = counts(store)?;
    let sum =
        |f: &dyn Fn(&Count) -> bool| -> i64 { counts.iter().filter(|c| f(c)).map(|c| c.n).sum() };
    let requests = sum(&|_| true);
    let t = Totals {
        requests,
        successful: sum(&|c| c.status < 400),
        failed: sum(&|c| c.status >= 400),
        encode: sum(&|c| c.endpoint == "encode"),
        decode: sum(&|c| c.endpoint == "decode"),
        active: (arrivals - requests).max(0),
        uptime_seconds: ((now_ms - started).max(0) as f64) / 1000.0,
    };
    Ok((t, counts))
}

fn fmt_f(v: f64) -> String {
    if v.is_infinite() {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

/// The Prometheus text exposition (format 0.0.4).
pub fn render(store: &dyn Store, now_ms: i64) -> Result<String, StoreError> {
    use std::fmt::Write;
    if !store.counting() {
        return Ok(format!("{ENABLED_HELP}fskhttp_metrics_store_enabled 0\n"));
    }
    let (t, counts) = totals(store, now_ms)?;
    let mut o = String::with_capacity(4096);
    o.push_str(ENABLED_HELP);
    o.push_str("fskhttp_metrics_store_enabled 1\n");
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
        t.active.to_string(),
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
        "Seconds since the first /health or /metrics request that reached this key-value store.",
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

    let _ = writeln!(
        o,
        "# HELP fskhttp_http_requests_total Requests by endpoint and status code."
    );
    let _ = writeln!(o, "# TYPE fskhttp_http_requests_total counter");
    let mut by_status: Vec<((&str, u16), i64)> = Vec::new();
    for c in &counts {
        match by_status.last_mut() {
            Some(((ep, st), n)) if *ep == c.endpoint && *st == c.status => *n += c.n,
            _ => by_status.push(((&c.endpoint, c.status), c.n)),
        }
    }
    for ((ep, status), n) in by_status {
        let _ = writeln!(
            o,
            "fskhttp_http_requests_total{{endpoint=\"{ep}\",status=\"{status}\"}} {n}"
        );
    }
    let _ = writeln!(
        o,
        "# HELP fskhttp_request_duration_seconds Time from request to response, by endpoint."
    );
    let _ = writeln!(o, "# TYPE fskhttp_request_duration_seconds histogram");
    for ep in ENDPOINTS {
        if !counts.iter().any(|c| c.endpoint == ep) {
            continue;
        }
        let mut cumulative = 0i64;
        for (i, le) in BUCKETS.iter().copied().chain([f64::INFINITY]).enumerate() {
            cumulative += counts
                .iter()
                .filter(|c| c.endpoint == ep && c.bucket == i)
                .map(|c| c.n)
                .sum::<i64>();
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

#[cfg(test)]
mod off_tests {
    use super::*;
    use crate::http::MemoryStore;

    #[test]
    fn off_keeps_nothing_and_says_so() {
        let off = Off;
        begin(&off).unwrap();
        finish(&off, "encode", StatusCode::OK, 0.02).unwrap();
        assert_eq!(
            render(&off, 5_000).unwrap(),
            format!("{ENABLED_HELP}fskhttp_metrics_store_enabled 0\n")
        );
        let (t, counts) = totals(&off, 5_000).unwrap();
        assert!(counts.is_empty());
        assert_eq!((t.requests, t.active, t.uptime_seconds), (0, 0, 0.0));
    }

    #[test]
    fn kv_serves_the_enabled_gauge_and_counts() {
        let kv = MemoryStore::new();
        begin(&kv).unwrap();
        finish(&kv, "encode", StatusCode::OK, 0.02).unwrap();
        // Three keys written per request: arrivals, the request counter, the duration sum.
        assert_eq!(kv.keys().unwrap().len(), 3);
        let text = render(&kv, 5_000).unwrap();
        assert!(
            text.contains("\nfskhttp_metrics_store_enabled 1\n"),
            "{text}"
        );
        assert!(text.contains("\nfskhttp_requests_total 1\n"), "{text}");
    }
}

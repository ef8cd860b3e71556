//! Service configuration. In Spin it comes from application variables (`spin.toml`
//! `[variables]`, overridden by `SPIN_VARIABLE_<NAME>` or SpinKube's `spec.variables`); natively
//! from any lookup function. A value that does not parse falls back to its default and is
//! reported in [`Config::warnings`], so a typo in a deployment never turns into failed requests.

use crate::protocol::Protocol;

/// Log verbosity, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Only server-side failures (there should be none).
    Error,
    /// Also client errors (4xx).
    Warn,
    /// One line per request.
    Info,
    /// As `Info` (accepted for compatibility with the old LOG_LEVEL=DEBUG).
    Debug,
}

impl LogLevel {
    /// Parse `off|error|warn|warning|info|debug|trace` (any case).
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Some(LogLevel::Off),
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" | "trace" => Some(LogLevel::Debug),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// Where the per-request counters behind `/metrics` and `/health` are kept (`metrics_store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsStore {
    /// In the key-value store `default`: three atomic increments per request, app-wide counts when
    /// the store is shared (Redis on SpinKube, the platform's store on Fermyon Cloud).
    Kv,
    /// Not kept: no key-value operation per request. For platforms whose store cannot take a write
    /// rate proportional to traffic (Akamai Functions: no atomics, about 50 writes/s per app); use
    /// the runtime's own OpenTelemetry request metrics instead (docs/OPERATIONS.md).
    Off,
}

impl MetricsStore {
    /// Parse `kv|off` (any case).
    pub fn parse(s: &str) -> Option<MetricsStore> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kv" => Some(MetricsStore::Kv),
            "off" => Some(MetricsStore::Off),
            _ => None,
        }
    }

    /// Lowercase name, as written in `spin.toml`.
    pub fn name(self) -> &'static str {
        match self {
            MetricsStore::Kv => "kv",
            MetricsStore::Off => "off",
        }
    }
}

/// Every setting of the service, with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `log_level` (info).
    pub log_level: LogLevel,
    /// `max_body_bytes` (10485760, Fermyon Cloud's request limit).
    pub max_body_bytes: usize,
    /// `max_audio_seconds` (300): longest audio decoded or produced.
    pub max_audio_seconds: f64,
    /// `default_protocol` (1): used when a request names none.
    pub default_protocol: u8,
    /// `default_volume` (50).
    pub default_volume: u8,
    /// `max_payload_bytes` (4096): longest text/data a request may encode.
    pub max_payload_bytes: usize,
    /// `metrics_store` (kv): per-request counters in the key-value store, or off.
    pub metrics_store: MetricsStore,
    /// Values that did not parse, as `name: problem` (defaults were used instead).
    pub warnings: Vec<String>,
}

/// Names of the variables, as written in `spin.toml`.
pub const VARIABLES: [&str; 7] = [
    "log_level",
    "max_body_bytes",
    "max_audio_seconds",
    "default_protocol",
    "default_volume",
    "max_payload_bytes",
    "metrics_store",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            log_level: LogLevel::Info,
            max_body_bytes: 10 * 1024 * 1024,
            max_audio_seconds: 300.0,
            default_protocol: crate::protocol::DEFAULT_PROTOCOL,
            default_volume: crate::encoder::DEFAULT_VOLUME,
            max_payload_bytes: 4096,
            metrics_store: MetricsStore::Kv,
            warnings: Vec::new(),
        }
    }
}

impl Config {
    /// Build from a lookup (`None` = not set: default).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let mut c = Config::default();
        let warn = |name: &str, v: &str, why: &str| format!("{name}: {v:?} {why}");
        let mut warnings = Vec::new();
        if let Some(v) = lookup("log_level") {
            match LogLevel::parse(&v) {
                Some(l) => c.log_level = l,
                None => warnings.push(warn("log_level", &v, "is not off|error|warn|info|debug")),
            }
        }
        if let Some(v) = lookup("max_body_bytes") {
            match v.trim().parse::<usize>() {
                Ok(n) if n >= 1024 => c.max_body_bytes = n,
                _ => warnings.push(warn("max_body_bytes", &v, "is not an integer >= 1024")),
            }
        }
        if let Some(v) = lookup("max_audio_seconds") {
            match v.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 1.0 => c.max_audio_seconds = s,
                _ => warnings.push(warn("max_audio_seconds", &v, "is not a number >= 1")),
            }
        }
        if let Some(v) = lookup("default_protocol") {
            match parse_protocol(&v) {
                Some(p) if !p.is_mono_tone() => c.default_protocol = p.id,
                _ => warnings.push(warn(
                    "default_protocol",
                    &v,
                    "is not a variable-length protocol (0-8 or a name)",
                )),
            }
        }
        if let Some(v) = lookup("default_volume") {
            match v.trim().parse::<u8>() {
                Ok(n) if crate::encoder::VOLUME_RANGE.contains(&n) => c.default_volume = n,
                _ => warnings.push(warn("default_volume", &v, "is not an integer 1-100")),
            }
        }
        if let Some(v) = lookup("max_payload_bytes") {
            match v.trim().parse::<usize>() {
                Ok(n) if (1..=crate::encoder::MAX_PAYLOAD).contains(&n) => c.max_payload_bytes = n,
                _ => warnings.push(warn("max_payload_bytes", &v, "is not an integer 1-8192")),
            }
        }
        if let Some(v) = lookup("metrics_store") {
            match MetricsStore::parse(&v) {
                Some(m) => c.metrics_store = m,
                None => warnings.push(warn("metrics_store", &v, "is not kv|off")),
            }
        }
        c.warnings = warnings;
        c
    }
}

/// A protocol by id (`"4"`) or by name/slug (`"Fast"`, `"[U] Fast"`, `"dt-normal"`).
pub fn parse_protocol(s: &str) -> Option<&'static Protocol> {
    Protocol::by_name(s)
}

#[cfg(test)]
mod metrics_store_tests {
    use super::*;

    #[test]
    fn metrics_store_is_kv_by_default_and_can_be_turned_off() {
        assert_eq!(Config::default().metrics_store, MetricsStore::Kv);
        for (v, want) in [
            ("off", MetricsStore::Off),
            (" OFF ", MetricsStore::Off),
            ("kv", MetricsStore::Kv),
        ] {
            let c = Config::from_lookup(|n| (n == "metrics_store").then(|| v.to_string()));
            assert_eq!(c.metrics_store, want, "{v:?}");
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
            assert_eq!(MetricsStore::parse(want.name()), Some(want));
        }
        // A typo keeps the default and says so.
        let c = Config::from_lookup(|n| (n == "metrics_store").then(|| "redis".to_string()));
        assert_eq!(c.metrics_store, MetricsStore::Kv);
        assert_eq!(
            c.warnings,
            vec!["metrics_store: \"redis\" is not kv|off".to_string()]
        );
        assert!(VARIABLES.contains(&"metrics_store"));
    }
}

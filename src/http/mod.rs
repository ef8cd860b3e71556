//! The HTTP service: plain functions over the `http` crate's types, with no runtime. The Spin
//! component (`spin_component`) is a thin shell around [`handle`]; native tests call it directly.
//!
//! | route | method | what |
//! |---|---|---|
//! | `/encode` | POST | JSON `{"text"}`/`{"data_base64"}`, form or multipart field `text`, or a text/plain body: a WAV |
//! | `/encode` | GET | `?m=&p=&s=&v=&l=&d=` (ggwave-to-file web service): a WAV |
//! | `/decode` | POST | multipart field `file` or a raw WAV body: JSON |
//! | `/health`, `/metrics`, `/protocols`, `/openapi.json` | GET | status, Prometheus text, protocol table, OpenAPI 3 |
//! | `/`, `/<file>` | GET | the web page (feature `web-assets`) |
//!
//! One file per job: `router` (routes, the request log), `negotiate` (content types and where
//! parameters come from), `encode`/`decode` (the two codec endpoints), `info` (health, protocols,
//! metrics), `assets` (the embedded page), `response`, `date`, and the parsers `params`, `form`,
//! `multipart`.

mod assets;
pub mod config;
mod date;
pub mod decode;
pub mod encode;
pub mod error;
pub mod form;
mod info;
pub mod metrics;
pub mod multipart;
mod negotiate;
pub mod params;
mod response;
mod router;
pub mod store;

pub use config::{Config, LogLevel};
pub use date::iso8601;
pub use error::ApiError;
pub use router::{endpoint_of, handle, reject, too_large};
pub use store::{MemoryStore, Store, StoreError};

/// The OpenAPI 3 document (kept in the repository next to this file).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Service version reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a request is served with.
pub struct Context<'a> {
    /// Settings.
    pub config: &'a Config,
    /// Counters.
    pub store: &'a dyn Store,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub now_ms: i64,
}

type Result<T> = std::result::Result<T, ApiError>;

#[cfg(test)]
mod tests;

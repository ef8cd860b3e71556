//! Content negotiation: what a request's headers say about its body and what it accepts, and its
//! parameters gathered from the query string and form fields.

use super::error::ApiError;
use super::params::Params;
use super::{form, multipart, Result};
use http::{header, Request};

/// The media type of a request, lowercased, without parameters.
pub(crate) fn media_type(req: &Request<Vec<u8>>) -> Option<String> {
    let v = req.headers().get(header::CONTENT_TYPE)?;
    let s = String::from_utf8_lossy(v.as_bytes());
    Some(
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// The whole `Content-Type` header (empty when absent).
fn content_type_str(req: &Request<Vec<u8>>) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Whether the client takes a gzip-encoded answer.
pub(crate) fn accepts_gzip(req: &Request<Vec<u8>>) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .to_ascii_lowercase()
                .contains("gzip")
        })
}

/// The parameters of the query string.
pub(crate) fn query_params(req: &Request<Vec<u8>>) -> Params {
    let mut p = Params::default();
    p.extend_text(form::parse_urlencoded(req.uri().query().unwrap_or("")));
    p
}

/// A multipart body's fields.
pub(crate) struct MultipartFields {
    /// Every text field (all but `file`).
    pub params: Params,
    /// The first `file` field's bytes.
    pub file: Option<Vec<u8>>,
    /// Whether a `file` field was there at all (even empty).
    pub has_file_field: bool,
}

/// The fields of a `multipart/form-data` body.
pub(crate) fn multipart_fields(req: &Request<Vec<u8>>) -> Result<MultipartFields> {
    let b = multipart::boundary(&content_type_str(req))?;
    let parts = multipart::parse(req.body(), &b)?;
    let mut out = MultipartFields {
        params: Params::default(),
        file: None,
        has_file_field: false,
    };
    for part in parts {
        if part.name == "file" {
            out.has_file_field = true;
            if out.file.is_none() {
                out.file = Some(part.data.to_vec());
            }
        } else {
            out.params
                .extend_text([(part.name.clone(), part.data.to_vec())]);
        }
    }
    Ok(out)
}

/// The 415 for a content type an endpoint does not read.
pub(crate) fn unsupported(got: &str, want: &str) -> ApiError {
    ApiError::UnsupportedMediaType {
        detail: format!("Content-Type {got:?} is not accepted here; send {want}"),
    }
}

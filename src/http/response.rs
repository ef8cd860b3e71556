//! Building answers: a status, a content type and a body.

use super::error::ApiError;
use http::{header, HeaderValue, Response, StatusCode};

/// An answer with a body of one content type.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Vec<u8>> {
    response(status, "application/json", body)
}

/// The 4xx JSON answer of an error (with `Allow` for a 405).
pub(crate) fn error_response(e: &ApiError) -> Response<Vec<u8>> {
    let mut r = json_response(e.status(), e.body());
    if let ApiError::MethodNotAllowed { allowed, .. } = e {
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
    }
    r
}

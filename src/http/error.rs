//! Client errors: every malformed request ends here, as a 4xx JSON body `{"error", "detail"}`.

use http::StatusCode;
use std::fmt;

/// What was wrong with a request. Each variant has one HTTP status and a short, stable `error`
/// string (clients of the old service match on "No text provided", "No file provided" and
/// "File must be a WAV file"); `detail` says exactly what to fix.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the request cannot be parsed (bad JSON, wrong field type, bad base64, bad multipart).
    BadRequest { error: &'static str, detail: String },
    /// 404: no such route.
    NotFound { path: String },
    /// 405: the route exists, the method does not.
    MethodNotAllowed {
        method: String,
        allowed: &'static str,
    },
    /// 413: the body or the payload is larger than the configured limit.
    TooLarge { detail: String },
    /// 415: a content type this endpoint does not read.
    UnsupportedMediaType { detail: String },
    /// 422: well-formed but impossible (unknown protocol, volume 0, unreadable WAV, too long).
    Unprocessable { error: &'static str, detail: String },
}

impl ApiError {
    /// 400 with a detail.
    pub fn bad(error: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            error,
            detail: detail.into(),
        }
    }

    /// 422 with a detail.
    pub fn unprocessable(error: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            error,
            detail: detail.into(),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The short, stable `error` string.
    pub fn error(&self) -> &'static str {
        match self {
            ApiError::BadRequest { error, .. } | ApiError::Unprocessable { error, .. } => error,
            ApiError::NotFound { .. } => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::TooLarge { .. } => "Payload too large",
            ApiError::UnsupportedMediaType { .. } => "Unsupported media type",
        }
    }

    /// The human-readable detail.
    pub fn detail(&self) -> String {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::Unprocessable { detail, .. }
            | ApiError::TooLarge { detail }
            | ApiError::UnsupportedMediaType { detail } => detail.clone(),
            ApiError::NotFound { path } => {
                format!("no route for {path}; see GET /openapi.json for the API")
            }
            ApiError::MethodNotAllowed { method, allowed } => {
                format!("{method} is not allowed here; allowed: {allowed}")
            }
        }
    }

    /// The JSON body `{"error": ..., "detail": ...}`.
    pub fn body(&self) -> Vec<u8> {
        let v = serde_json::json!({ "error": self.error(), "detail": self.detail() });
        v.to_string().into_bytes()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status().as_u16(),
            self.error(),
            self.detail()
        )
    }
}

impl std::error::Error for ApiError {}

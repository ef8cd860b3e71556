//! Request parameters from any source (JSON object, form fields, query string, multipart fields)
//! read with one set of typed getters, so every endpoint validates the same way.

use super::error::ApiError;
use serde_json::Value;

/// One parameter value as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// From a JSON body: typed.
    Json(Value),
    /// From a form, query string or multipart field: bytes.
    Text(Vec<u8>),
}

/// Named parameters (later entries do not override earlier ones: the first wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Vec<(String, Raw)>);

fn invalid(name: &str, want: &str) -> ApiError {
    ApiError::bad("Invalid parameter", format!("`{name}` must be {want}"))
}

impl Params {
    /// Add text pairs.
    pub fn extend_text(&mut self, pairs: impl IntoIterator<Item = (String, Vec<u8>)>) {
        self.0
            .extend(pairs.into_iter().map(|(k, v)| (k, Raw::Text(v))));
    }

    /// The first value named `name` (JSON `null` counts as absent).
    pub fn raw(&self, name: &str) -> Option<&Raw> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Raw::Json(Value::Null)))
    }

    /// Whether `name` is present (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A string parameter.
    pub fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Json(Value::String(s))) => Ok(Some(s.clone())),
            Some(Raw::Json(_)) => Err(invalid(name, "a string")),
            Some(Raw::Text(b)) => String::from_utf8(b.clone())
                .map(Some)
                .map_err(|_| invalid(name, "UTF-8 text")),
        }
    }

    /// Raw bytes of a text parameter (form fields may carry any bytes).
    pub fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, ApiError> {
        match self.raw(name) {
            Some(Raw::Text(b)) => Ok(Some(b.clone())),
            _ => Ok(self.string(name)?.map(String::into_bytes)),
        }
    }

    /// A non-negative integer parameter (JSON number or decimal text). Empty text = absent.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let want = "an integer";
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Json(Value::Number(n))) => match n.as_i64() {
                Some(v) => Ok(Some(v)),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
                    _ => Err(invalid(name, want)),
                },
            },
            Some(Raw::Json(Value::String(s))) => parse_int(s.trim(), name),
            Some(Raw::Json(_)) => Err(invalid(name, want)),
            Some(Raw::Text(b)) => {
                let s = std::str::from_utf8(b).map_err(|_| invalid(name, want))?;
                parse_int(s.trim(), name)
            }
        }
    }

    /// A boolean parameter: JSON true/false/0/1, or text `1/true/yes/on` and `0/false/no/off`;
    /// a name given without a value (`?d` or `d=`) means true, as a flag.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let want = "a boolean (true/false, 1/0)";
        let text = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
            "" | "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(invalid(name, want)),
        };
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Json(Value::Bool(b))) => Ok(Some(*b)),
            Some(Raw::Json(Value::Number(n))) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(invalid(name, want)),
            },
            Some(Raw::Json(Value::String(s))) if !s.trim().is_empty() => text(s),
            Some(Raw::Json(_)) => Err(invalid(name, want)),
            Some(Raw::Text(b)) => text(&String::from_utf8_lossy(b)),
        }
    }
}

fn parse_int(s: &str, name: &str) -> Result<Option<i64>, ApiError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| invalid(name, "an integer"))
}

/// Parse a JSON object body into parameters.
pub fn from_json(body: &[u8]) -> Result<Params, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("Invalid JSON", format!("the body is not valid JSON: {e}")))?;
    match v {
        Value::Object(map) => Ok(Params(
            map.into_iter().map(|(k, v)| (k, Raw::Json(v))).collect(),
        )),
        _ => Err(ApiError::bad(
            "Invalid JSON",
            "the body must be a JSON object such as {\"text\": \"hello\"}",
        )),
    }
}

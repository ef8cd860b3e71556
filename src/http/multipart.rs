//! `multipart/form-data` (RFC 7578) parsing (urlencoded forms are in `form`).
//!
//! Hand-written rather than `multer`: multer parses an async byte stream (it needs an async
//! runtime plus `futures`, `bytes`, `encoding_rs`, `httparse`...), while here the body is already
//! in memory and bounded by the body limit, so a slice parser is shorter, synchronous and easy to
//! bound. Bounds: at most [`MAX_PARTS`] parts and [`MAX_HEADER_BYTES`] of headers per part; the
//! parts borrow from the body (no copies), so memory stays at the body's size.

use super::error::ApiError;

/// Most parts accepted in one body.
pub const MAX_PARTS: usize = 64;
/// Most header bytes accepted per part.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<'a> {
    /// The `name` of its Content-Disposition.
    pub name: String,
    /// The `filename`, when it is a file.
    pub filename: Option<String>,
    /// Its Content-Type, when given.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: &'a [u8],
}

impl Part<'_> {
    /// The data as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.data).into_owned()
    }
}

fn malformed(detail: impl Into<String>) -> ApiError {
    ApiError::bad("Malformed multipart body", detail)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|at| from + at)
}

/// A parameter (`boundary`, `name`, `charset`...) of a header value like
/// `multipart/form-data; boundary="xyz"`; names compare case-insensitively, quotes are removed.
pub fn header_param(value: &str, param: &str) -> Option<String> {
    let mut rest = value;
    // Skip the main value.
    let semi = split_unquoted(rest)?;
    rest = &rest[semi + 1..];
    loop {
        let end = split_unquoted(rest).unwrap_or(rest.len());
        let item = rest[..end].trim();
        if let Some((k, v)) = item.split_once('=') {
            if k.trim().eq_ignore_ascii_case(param) {
                let v = v.trim();
                let v = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                    v[1..v.len() - 1]
                        .replace("\\\"", "\"")
                        .replace("\\\\", "\\")
                } else {
                    v.to_string()
                };
                return Some(v);
            }
        }
        if end >= rest.len() {
            return None;
        }
        rest = &rest[end + 1..];
    }
}

/// Index of the first `;` outside double quotes.
fn split_unquoted(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Result<String, ApiError> {
    let b = header_param(content_type, "boundary")
        .ok_or_else(|| malformed("the Content-Type has no boundary parameter"))?;
    if b.is_empty() || b.len() > 200 {
        return Err(malformed("the boundary must be 1-200 characters"));
    }
    Ok(b)
}

/// Parse a multipart body.
pub fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, ApiError> {
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    // The first delimiter: at the very start or after a preamble line.
    let mut pos = if body.starts_with(&delim) {
        0
    } else {
        find(body, &next_delim, 0)
            .map(|p| p + 2)
            .ok_or_else(|| malformed("the boundary from the Content-Type never occurs"))?
    };
    let mut parts = Vec::new();
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then the line break.
        while pos < body.len() && (body[pos] == b' ' || body[pos] == b'\t') {
            pos += 1;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if body[pos..].starts_with(b"\n") {
            pos += 1;
        } else {
            return Err(malformed(if pos >= body.len() {
                "the body ends without the closing boundary"
            } else {
                "a boundary is not followed by a line break"
            }));
        }
        if parts.len() == MAX_PARTS {
            return Err(malformed(format!("more than {MAX_PARTS} parts")));
        }
        let window_end = body.len().min(pos + MAX_HEADER_BYTES + 4);
        let head_end = find(&body[..window_end], b"\r\n\r\n", pos)
            .map(|p| (p, p + 4))
            .or_else(|| {
                // A part with no headers at all starts with the blank line itself.
                body[pos..].starts_with(b"\r\n").then_some((pos, pos + 2))
            })
            .ok_or_else(|| {
                malformed(format!(
                    "a part's headers do not end with a blank line within {MAX_HEADER_BYTES} bytes"
                ))
            })?;
        let head = std::str::from_utf8(&body[pos..head_end.0])
            .map_err(|_| malformed("a part's headers are not UTF-8"))?;
        let data_start = head_end.1;
        let data_end = find(body, &next_delim, data_start)
            .ok_or_else(|| malformed("the body ends without the closing boundary"))?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| malformed(format!("bad part header line {line:?}")))?;
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-disposition") {
                name = header_param(v, "name");
                filename = header_param(v, "filename");
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        let name = name.ok_or_else(|| malformed("a part has no Content-Disposition name"))?;
        parts.push(Part {
            name,
            filename,
            content_type,
            data: &body[data_start..data_end],
        });
        pos = data_end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_curl_style_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--\r\n--XyZ\r\nContent-Disposition: form-data; name=\"dss\"\r\n\r\ntrue\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("a b.wav"));
        assert_eq!(parts[0].content_type.as_deref(), Some("audio/wav"));
        assert_eq!(parts[0].data, b"RIFF\r\n--");
        assert_eq!(parts[1].text(), "true");
    }

    #[test]
    fn preamble_and_quoted_boundary() {
        let ct = "multipart/form-data; charset=utf-8; boundary=\"a;b\"";
        let b = boundary(ct).unwrap();
        assert_eq!(b, "a;b");
        let body =
            b"ignored\r\n--a;b\r\nContent-Disposition: form-data; name=text\r\n\r\nhi\r\n--a;b--";
        let parts = parse(body, &b).unwrap();
        assert_eq!(parts[0].name, "text");
        assert_eq!(parts[0].data, b"hi");
    }

    #[test]
    fn malformed_bodies_are_400() {
        for (body, b) in [
            (&b""[..], "x"),
            (
                b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
                "x",
            ),
            (b"--x\r\nno blank line", "x"),
            (b"--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", "x"),
            (b"--xgarbage", "x"),
            (b"--x", "x"),
        ] {
            let e = parse(body, b).unwrap_err();
            assert_eq!(e.status(), http::StatusCode::BAD_REQUEST, "{body:?}");
        }
        assert!(boundary("multipart/form-data").is_err());
    }
}

//! `application/x-www-form-urlencoded`: query strings and form bodies.

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode (with `+` as space, as forms and query strings use it). Invalid escapes are
/// kept literally, as browsers do.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Parse `a=1&b=two` (a query string or a urlencoded form body) into (name, bytes) pairs.
pub fn parse_urlencoded(s: &str) -> Vec<(String, Vec<u8>)> {
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                String::from_utf8_lossy(&percent_decode(k)).into_owned(),
                percent_decode(v),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded() {
        let v = parse_urlencoded("m=Hello+World%21&p=1&d&x=%zz%4");
        assert_eq!(v[0], ("m".into(), b"Hello World!".to_vec()));
        assert_eq!(v[1], ("p".into(), b"1".to_vec()));
        assert_eq!(v[2], ("d".into(), b"".to_vec()));
        assert_eq!(v[3], ("x".into(), b"%zz%4".to_vec()));
    }
}

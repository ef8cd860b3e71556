//! Build script: with feature `web-assets`, embed the web page (`web/*.html|js|css|svg|ico|json`
//! and `web/pkg/*.js|wasm`) in the Spin component as a table of `include_bytes!`, each file
//! gzip-compressed (the page's wasm and scripts shrink about 2.5x, which keeps the component
//! under 1 MB; browsers take them as `Content-Encoding: gzip`). Without the feature it does
//! nothing (the table is not compiled in).

use std::fmt::Write;
use std::path::Path;

fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?;
    Some(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "png" => "image/png",
        _ => return None,
    })
}

/// CRC-32 (IEEE), bitwise: the gzip trailer's checksum.
#[cfg(feature = "web-assets")]
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip member (RFC 1952): fixed 10-byte header (no name, mtime 0), raw deflate, CRC, size.
#[cfg(feature = "web-assets")]
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 9));
    out.extend(crc32(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

#[cfg(not(feature = "web-assets"))]
fn gzip(data: &[u8]) -> Vec<u8> {
    data.to_vec()
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_WEB_ASSETS").is_none() {
        return;
    }
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let web = Path::new(&root).join("web");
    let mut files = Vec::new();
    for (dir, prefix, exts) in [
        (
            web.clone(),
            "",
            &["html", "js", "css", "svg", "ico", "json", "png"][..],
        ),
        (web.join("pkg"), "pkg/", &["js", "wasm"][..]),
    ] {
        // Only existing folders: a missing path would make Cargo rerun this script every build.
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", dir.display());
        for e in entries.flatten() {
            let path = e.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let ext = name.rsplit('.').next().unwrap_or("");
            if !path.is_file()
                || !exts.contains(&ext)
                || name == "package.json"
                || name == "package-lock.json"
            {
                continue;
            }
            if let Some(ct) = content_type(name) {
                println!("cargo:rerun-if-changed={}", path.display());
                files.push((format!("{prefix}{name}"), ct, path));
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// (path, content type, gzip-compressed bytes) of every embedded file.\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n",
    );
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    for (i, (name, ct, path)) in files.iter().enumerate() {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        let gz = Path::new(&out_dir).join(format!("asset{i}.gz"));
        if let Err(e) = std::fs::write(&gz, gzip(&data)) {
            panic!("cannot write {}: {e}", gz.display());
        }
        let _ = writeln!(
            out,
            "    ({name:?}, {ct:?}, include_bytes!({:?})),",
            gz.display().to_string()
        );
    }
    out.push_str("];\n");
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("web_assets.rs"), out) {
        panic!("cannot write web_assets.rs: {e}");
    }
}

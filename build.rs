//! Build script: with feature `web-assets`, embed the web page (`web/*.html|js|css|svg|ico|json`
//! and `web/pkg/*.js|wasm`) in the Spin component as a table of `include_bytes!`, each file
//! gzip-compressed (the page's wasm and scripts shrink about 2.7x; browsers take them as
//! `Content-Encoding: gzip`), and `src/http/openapi.json` the same way (`OPENAPI_GZ`). Without the
//! feature it does nothing (the table is not compiled in).

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

/// A gzip member (RFC 1952) made by zopfli: a 10-byte header (no name, mtime 0), deflate, CRC
/// and size, as src/http/assets.rs reads it. Zopfli's deflate is standard (browsers and
/// miniz_oxide inflate it) and about 4 % smaller than miniz_oxide's level 9: the page's wasm
/// 221,286 -> 211,742 bytes (docs/benchmarks.md, Sizes), for about 5 s of build time.
#[cfg(feature = "web-assets")]
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if let Err(e) = zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        data,
        &mut out,
    ) {
        panic!("zopfli: {e}");
    }
    out
}

#[cfg(not(feature = "web-assets"))]
fn gzip(data: &[u8]) -> Vec<u8> {
    data.to_vec()
}

/// Gzips the file at `path` into `out_dir/name`; returns that path for `include_bytes!`.
fn store_gzipped(path: &Path, out_dir: &str, name: &str) -> String {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let gz = Path::new(out_dir).join(name);
    if let Err(e) = std::fs::write(&gz, gzip(&data)) {
        panic!("cannot write {}: {e}", gz.display());
    }
    gz.display().to_string()
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
        let gz = store_gzipped(path, &out_dir, &format!("asset{i}.gz"));
        let _ = writeln!(out, "    ({name:?}, {ct:?}, include_bytes!({gz:?})),");
    }
    out.push_str("];\n");
    // The OpenAPI document, stored the same way: 19 kB of text is 3.4 kB gzipped.
    let openapi = Path::new(&root).join("src/http/openapi.json");
    println!("cargo:rerun-if-changed={}", openapi.display());
    let gz = store_gzipped(&openapi, &out_dir, "openapi.json.gz");
    let _ = writeln!(
        out,
        "/// src/http/openapi.json, gzip-compressed.\npub static OPENAPI_GZ: &[u8] = include_bytes!({gz:?});"
    );
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("web_assets.rs"), out) {
        panic!("cannot write web_assets.rs: {e}");
    }
}

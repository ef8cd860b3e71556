//! Build script: with feature `web-assets`, embed the web page (`web/*.html|js|css|svg|ico|json`
//! and `web/pkg/*.js|wasm`) in the Spin component as a table of `include_bytes!`. Without the
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
        "/// (path, content type, bytes) of every embedded file.\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n",
    );
    for (name, ct, path) in &files {
        let _ = writeln!(
            out,
            "    ({name:?}, {ct:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("web_assets.rs"), out) {
        panic!("cannot write web_assets.rs: {e}");
    }
}

//! Times the HTTP layer natively (no runtime): `http_native WAV [REPS]` runs POST /encode with a
//! 48-character JSON body and POST /decode of WAV (raw audio/wav) REPS times each, for comparing
//! with the served component's per-request cost.
use anyhow::{ensure, Context as _};
use fskhttp::http::{handle, Config, Context, LogLevel, MemoryStore};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().context("usage: http_native WAV [REPS]")?;
    let wav = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
    let reps: u32 = args.get(1).map_or(Ok(200), |s| s.parse().context("REPS"))?;
    let config = Config {
        log_level: LogLevel::Error,
        ..Config::default()
    };
    let store = MemoryStore::new();
    let ctx = Context {
        config: &config,
        store: &store,
        now_ms: 0,
    };
    let body = br#"{"text": "ROBOTS talking to ROBOTS bots will speak to bots"}"#.to_vec();
    for (name, ct, body) in [
        ("encode", "application/json", body),
        ("decode", "audio/wav", wav),
    ] {
        let t = Instant::now();
        for _ in 0..reps {
            let req = ::http::Request::post(format!("/{name}"))
                .header("content-type", ct)
                .body(body.clone())?;
            let r = handle(req, &ctx);
            ensure!(r.status() == 200, "{name}: status {}", r.status());
        }
        println!(
            "{name}: {:.3} ms/request",
            t.elapsed().as_secs_f64() * 1e3 / reps as f64
        );
    }
    Ok(())
}

//! The service's own JSON and text: `/health`, `/protocols`, `/metrics`.

use super::date::iso8601;
use super::response::{json_response, response};
use super::{metrics, Context, VERSION};
use http::{Response, StatusCode};
use serde_json::json;

/// `GET /health`: status, counters and settings (503 when the store is unreachable).
pub(crate) fn health(ctx: &Context) -> Response<Vec<u8>> {
    let c = ctx.config;
    let totals = metrics::totals(ctx.store, ctx.now_ms);
    let (status, code, service_metrics) = match &totals {
        Ok((t, _)) => (
            "healthy",
            StatusCode::OK,
            json!({
                "requests_total": t.requests,
                "requests_successful": t.successful,
                "requests_failed": t.failed,
                "encode_requests": t.encode,
                "decode_requests": t.decode,
                "requests_active": t.active,
                "uptime_seconds": t.uptime_seconds,
            }),
        ),
        Err(e) => (
            "degraded",
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": format!("key-value store: {e}") }),
        ),
    };
    let body = json!({
        "status": status,
        "timestamp": iso8601(ctx.now_ms),
        "service": "fskhttp",
        "version": VERSION,
        "runtime": if cfg!(target_arch = "wasm32") { "wasm32-wasip2" } else { "native" },
        "service_metrics": service_metrics,
        "configuration": {
            "log_level": c.log_level.name(),
            "max_body_bytes": c.max_body_bytes,
            "max_audio_seconds": c.max_audio_seconds,
            "default_protocol": c.default_protocol,
            "default_volume": c.default_volume,
            "max_payload_bytes": c.max_payload_bytes,
            "warnings": c.warnings,
        },
    });
    json_response(code, body.to_string().into_bytes())
}

/// `GET /metrics`: Prometheus text (503 JSON when the store is unreachable).
pub(crate) fn metrics(ctx: &Context) -> Response<Vec<u8>> {
    match metrics::render(ctx.store, ctx.now_ms) {
        Ok(text) => response(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            text.into_bytes(),
        ),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "Metrics unavailable", "detail": format!("key-value store: {e}")})
                .to_string()
                .into_bytes(),
        ),
    }
}

/// `GET /protocols`: the protocol table.
pub(crate) fn protocols() -> Response<Vec<u8>> {
    let list: Vec<_> = crate::PROTOCOLS
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "slug": p.slug,
                "min_hz": p.min_hz(),
                "max_hz": p.max_hz(),
                "symbol_seconds": p.symbol_seconds(),
                "bytes_per_symbol": p.bytes_per_tx,
                "mono_tone": p.is_mono_tone(),
                "needs_fixed_length": p.is_mono_tone(),
                "default": p.id == crate::protocol::DEFAULT_PROTOCOL,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({ "protocols": list }).to_string().into_bytes(),
    )
}

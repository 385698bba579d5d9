//! HubSpot's error responses (reference/hubdb-api.md §10) and the JSON response helper.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub const CORRELATION_HEADER: &str = "x-hubspot-correlation-id";

/// HubSpot sends this content type, parameter included (§10.1).
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// A response with HubSpot's `Error` body: `status`, `message`, `correlationId`, `category`
/// and, per error kind, `errors`, `links`, `context`, `errorType`, `policyName`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub category: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, category: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            category,
            message: message.into(),
            extra: Map::new(),
            headers: Vec::new(),
        }
    }

    /// 400 for a bad parameter, filter or body (§10.2: category `VALIDATION_ERROR`).
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    /// 404 for an unknown, unpublished or archived table, or an unknown row (§10.2).
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", message)
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let correlation_id = new_correlation_id();
        let mut body = Map::new();
        body.insert("status".into(), json!("error"));
        body.insert("message".into(), json!(self.message));
        body.insert("correlationId".into(), json!(correlation_id));
        body.insert("category".into(), json!(self.category));
        body.extend(self.extra);
        let mut response = json_response(self.status, &Value::Object(body));
        set_header(
            &mut response,
            HeaderName::from_static(CORRELATION_HEADER),
            &correlation_id,
        );
        for (name, value) in self.headers {
            set_header(&mut response, name, &value);
        }
        response
    }
}

/// A JSON response with HubSpot's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    set_header(&mut response, header::CONTENT_TYPE, JSON_CONTENT_TYPE);
    response
}

pub fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// A fresh UUID (version-4 layout) for `correlationId`, which the spec types as `uuid`.
/// Made from a counter mixed by SplitMix64: unique per process, no random source needed.
pub fn new_correlation_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0x5eed_0000_0000_0001);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = splitmix64(n);
    let low = splitmix64(high ^ n);
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_distinct_version_4_uuids() {
        let first = new_correlation_id();
        let second = new_correlation_id();
        assert_ne!(first, second);
        let parts: Vec<&str> = first.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4'));
        assert!(matches!(
            parts[3].chars().next(),
            Some('8'..='9' | 'a'..='b')
        ));
    }
}

//! Helpers shared by the sandbox's integration tests: a started sandbox and an HTTP client.

#![allow(dead_code)]

use std::time::Duration;

use hubdb_sandbox::{DEMO_TOKEN, RunningSandbox, SandboxConfig, start};
use serde_json::Value;

pub const HUBDB: &str = "/cms/v3/hubdb";

/// An HTTP client for plain-http tests. reqwest is built without a default rustls provider,
/// so the `ring` one is installed first (a second install in the same process is refused,
/// which is fine).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// A sandbox with the demo seed and no rate limit, unless the test says otherwise.
pub async fn sandbox_with(config: SandboxConfig) -> RunningSandbox {
    start(config).await.expect("sandbox starts")
}

pub async fn sandbox() -> RunningSandbox {
    sandbox_with(SandboxConfig {
        rate_limit: 0,
        ..SandboxConfig::default()
    })
    .await
}

/// A response's status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// GET `url` with the given bearer token (none when `None`).
pub async fn get_as(client: &reqwest::Client, url: &str, token: Option<&str>) -> Reply {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// GET `path_and_query` on the sandbox with the demo token.
pub async fn get(sandbox: &RunningSandbox, path_and_query: &str) -> Reply {
    let url = format!("{}{path_and_query}", sandbox.base_url());
    get_as(&client(), &url, Some(DEMO_TOKEN)).await
}

/// Asserts HubSpot's error body: `status: "error"`, the category, a correlation id equal to
/// the `x-hubspot-correlation-id` header, and HubSpot's content type.
pub fn assert_error(reply: &Reply, status: u16, category: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["status"], "error");
    assert_eq!(reply.body["category"], category, "{}", reply.body);
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let correlation = reply.body["correlationId"].as_str().expect("correlationId");
    assert_eq!(reply.header("x-hubspot-correlation-id"), Some(correlation));
    assert_eq!(
        reply.header("content-type"),
        Some("application/json;charset=utf-8")
    );
}

/// The `id`s of a rows listing's results.
pub fn row_ids(body: &Value) -> Vec<String> {
    let results = body["results"].as_array().expect("results");
    results
        .iter()
        .map(|row| row["id"].as_str().expect("id").to_string())
        .collect()
}

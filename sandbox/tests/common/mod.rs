//! Helpers shared by the sandbox's integration tests: a started sandbox, an HTTP client, and
//! the steps of HubSpot's OAuth flow.

#![allow(dead_code)]

use std::time::Duration;

use hubdb_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN, OAuthConfig, RunningSandbox, SandboxConfig,
    start,
};
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

/// A client that shows redirects instead of following them, as the consent page's caller
/// needs.
pub fn no_redirect_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// A response's status, headers, text and JSON body (`Null` when the text is not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Sends `request` and reads the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// GET `url` with the given bearer token (none when `None`).
pub async fn get_as(client: &reqwest::Client, url: &str, token: Option<&str>) -> Reply {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

/// POST a form (`application/x-www-form-urlencoded`) to `url`.
pub async fn post_form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> Reply {
    send(client.post(url).form(fields)).await
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

/// The loopback redirect the OAuth tests register; nothing listens there, the tests read the
/// `Location` header instead.
pub const REDIRECT: &str = "http://localhost:33333/callback";

pub const V1_TOKEN: &str = "/oauth/v1/token";
pub const V3_TOKEN: &str = "/oauth/v3/token";

/// A sandbox with no rate limit and the given OAuth settings.
pub async fn oauth_sandbox(oauth: OAuthConfig) -> RunningSandbox {
    sandbox_with(SandboxConfig {
        rate_limit: 0,
        oauth,
        ..SandboxConfig::default()
    })
    .await
}

/// `/oauth/authorize` for the demo app and [`REDIRECT`], with `state=s-1`.
pub fn authorize_url(sandbox: &RunningSandbox, scope: &str, optional_scope: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", sandbox.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", DEMO_CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("optional_scope", optional_scope)
        .append_pair("state", "s-1");
    url.to_string()
}

/// The query parameters of a redirect's `Location`.
pub fn location_query(reply: &Reply) -> Vec<(String, String)> {
    let location = reply.header("location").expect("a Location header");
    let url = url::Url::parse(location).expect("an absolute Location");
    url.query_pairs().into_owned().collect()
}

pub fn query_value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// A code through an auto-approving sandbox's `/oauth/authorize`.
pub async fn auto_approved_code(sandbox: &RunningSandbox, scope: &str, optional: &str) -> String {
    let reply = get_as(
        &no_redirect_client(),
        &authorize_url(sandbox, scope, optional),
        None,
    )
    .await;
    assert_eq!(reply.status, 302, "{}", reply.text);
    query_value(&location_query(&reply), "code").expect("a code")
}

/// The demo app's `authorization_code` grant at `endpoint` (v1 or v3).
pub async fn exchange(sandbox: &RunningSandbox, endpoint: &str, code: &str) -> Reply {
    let url = format!("{}{endpoint}", sandbox.base_url());
    let fields = [
        ("grant_type", "authorization_code"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("redirect_uri", REDIRECT),
        ("code", code),
    ];
    post_form(&client(), &url, &fields).await
}

/// The demo app's `refresh_token` grant at `endpoint` (v1 or v3).
pub async fn refresh(sandbox: &RunningSandbox, endpoint: &str, refresh_token: &str) -> Reply {
    let url = format!("{}{endpoint}", sandbox.base_url());
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("refresh_token", refresh_token),
    ];
    post_form(&client(), &url, &fields).await
}

/// Access and refresh token of a fresh install through an auto-approving sandbox.
pub async fn oauth_tokens(
    sandbox: &RunningSandbox,
    scope: &str,
    optional: &str,
) -> (String, String) {
    let code = auto_approved_code(sandbox, scope, optional).await;
    let reply = exchange(sandbox, V3_TOKEN, &code).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = |name: &str| reply.body[name].as_str().expect(name).to_string();
    (token("access_token"), token("refresh_token"))
}

/// Asserts a token endpoint's error: 400, HubSpot's `status` and a spec-valid `Error` body.
pub fn assert_token_error(reply: &Reply, status: &str) {
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["status"], status, "{}", reply.body);
    assert_eq!(reply.body["category"], "VALIDATION_ERROR");
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let correlation = reply.body["correlationId"].as_str().expect("correlationId");
    assert_eq!(reply.header("x-hubspot-correlation-id"), Some(correlation));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

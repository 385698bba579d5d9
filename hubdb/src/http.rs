//! The one place that talks HTTP: base URL, Bearer auth, per-request timeout, TLS, retries,
//! HubSpot's error bodies and the request counter. Reads and (later) writes share it; they
//! differ only in their [`RetryMode`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::credential::{Credential, StaticToken};
use crate::limiter::Limiter;
use crate::query::QueryString;
use crate::retry::{Failure, RetryMode, delay_before_retry, parse_retry_after};
use crate::{ClientConfig, Error, ErrorKind, Secret};

/// The 401 category of an expired OAuth access token (reference §10.2).
const EXPIRED_AUTHENTICATION: &str = "EXPIRED_AUTHENTICATION";

/// HubSpot repeats the body's `correlationId` in this header (reference §10.1).
const CORRELATION_ID_HEADER: &str = "x-hubspot-correlation-id";

/// A request body, already serialised.
pub struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub struct Transport {
    http: reqwest::Client,
    /// Without the trailing slash: paths start with `/`.
    base_url: String,
    credential: RwLock<Arc<dyn Credential>>,
    config: ClientConfig,
    limiter: Option<Arc<Limiter>>,
    requests: AtomicU64,
}

impl Transport {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let base_url = normalise_base_url(&config.base_url)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        let credential: Arc<dyn Credential> = match &config.credential {
            Some(credential) => Arc::clone(credential),
            None => Arc::new(StaticToken(config.token.clone())),
        };
        let limiter = config
            .rate_budget
            .map(|budget| Limiter::shared(&base_url, &credential.key(), budget));
        Ok(Self {
            http,
            base_url,
            credential: RwLock::new(credential),
            config,
            limiter,
            requests: AtomicU64::new(0),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn set_token(&self, token: Secret) {
        *self.credential.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(StaticToken(token));
    }

    fn credential(&self) -> Arc<dyn Credential> {
        Arc::clone(&self.credential.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The base URL and the credential's key: equal for clients of one account and app,
    /// and holding no secret.
    pub fn credential_key(&self) -> String {
        format!("{}#{}", self.base_url, self.credential().key())
    }

    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// GET `path` and decode its JSON body into `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &QueryString,
    ) -> Result<T, Error> {
        let body = self
            .send(Method::GET, path, query, None, RetryMode::Read)
            .await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("unexpected response body from GET {path}: {e}"),
            )
        })
    }

    /// Sends one request, retrying as `mode` allows; returns the body of a 2xx response.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &QueryString,
        body: Option<&Body>,
        mode: RetryMode,
    ) -> Result<Vec<u8>, Error> {
        let url = self.url(path, query);
        let mut attempt = 1;
        let mut renewed = false;
        loop {
            let credential = self.credential();
            let token = credential.bearer().await?;
            let failure = match self.attempt(&method, &url, body, &token).await {
                Ok(bytes) => return Ok(bytes),
                Err(failure) => failure,
            };
            // An expired OAuth token is renewed once and the request sent again at once: a
            // request HubSpot refused for its token was not carried out (§10.3).
            if !renewed
                && failure.error.status == Some(401)
                && failure.error.category.as_deref() == Some(EXPIRED_AUTHENTICATION)
            {
                renewed = true;
                if credential.expired(&token).await? {
                    continue;
                }
            }
            let Some(wait) = delay_before_retry(&failure, mode, attempt, &self.config) else {
                return Err(gave_up(failure.error, attempt - 1));
            };
            log::debug!(
                "{method} {path}: {}; retry {attempt} in {wait:?}",
                failure.error
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    fn url(&self, path: &str, query: &QueryString) -> String {
        if query.is_empty() {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}{path}?{}", self.base_url, query.encoded())
        }
    }

    /// One HTTP exchange; counts the request, reads the whole body under the timeout.
    async fn attempt(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Body>,
        token: &Secret,
    ) -> Result<Vec<u8>, Failure> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        let started = Instant::now();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .request(method, url, body, token)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport_error)?;
        log::debug!(
            "{method} {} -> {status} in {} ms",
            path_of(url),
            started.elapsed().as_millis()
        );
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(failure_of_response(status, &headers, &bytes))
    }

    fn request(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Body>,
        token: &Secret,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method.clone(), url)
            .timeout(self.config.timeout)
            .header(ACCEPT, "application/json");
        if !token.is_empty() {
            request = request.header(AUTHORIZATION, format!("Bearer {}", token.expose()));
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, body.content_type)
                .body(body.bytes.clone());
        }
        request
    }
}

/// rustls with the `ring` provider and the platform's trust store (DESIGN "Known traps":
/// reqwest's default provider would bring aws-lc).
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error =
        |e: rustls::Error| Error::new(ErrorKind::Config, format!("cannot set up TLS: {e}"));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_platform_verifier()
        .map_err(tls_error)?
        .with_no_client_auth();
    Ok(config)
}

/// `APIBaseURL` checked once: an http(s) URL, kept without its trailing slash.
fn normalise_base_url(base_url: &str) -> Result<String, Error> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let bad = |why: &str| Error::new(ErrorKind::Config, format!("APIBaseURL '{trimmed}' {why}"));
    let parsed = url::Url::parse(trimmed).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if parsed.host_str().is_none() || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            "must be a scheme, a host and an optional path, without query",
        ));
    }
    Ok(trimmed.to_string())
}

/// The request's path and query, for logs: the base URL may carry credentials of a proxy.
fn path_of(url: &str) -> &str {
    url.find("://")
        .and_then(|scheme_end| {
            url[scheme_end + 3..]
                .find('/')
                .map(|i| &url[scheme_end + 3 + i..])
        })
        .unwrap_or("/")
}

/// A refused answer as a failure: HubSpot's error, and what it said about waiting.
pub(crate) fn failure_of_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Failure {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let error = Error::from_response(status.as_u16(), header(CORRELATION_ID_HEADER), body);
    Failure {
        error,
        retry_after: header(RETRY_AFTER.as_str()).and_then(parse_retry_after),
        policy_name: crate::error::ErrorBody::parse(body).policy_name,
    }
}

/// reqwest's errors as kinds: the URL is dropped from the text, the cause chain kept.
fn transport_error(error: reqwest::Error) -> Failure {
    let error = error.without_url();
    let (kind, what) = if error.is_timeout() {
        (
            ErrorKind::Timeout,
            "HubSpot did not answer within the timeout",
        )
    } else if error.is_connect() {
        (ErrorKind::Connect, "could not connect to HubSpot")
    } else if error.is_builder() {
        (ErrorKind::Config, "could not build the request")
    } else {
        (
            ErrorKind::ConnectionLost,
            "the connection to HubSpot was lost",
        )
    };
    Failure::from(Error::new(kind, format!("{what}: {}", cause_chain(&error))))
}

/// An error and its sources, joined with `: `.
pub(crate) fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The final error says how often it was retried, so a user sees the client did try.
fn gave_up(mut error: Error, retries: u32) -> Error {
    if retries > 0 && error.is_transient() {
        error
            .message
            .push_str(&format!(" Gave up after {retries} retries."));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_a_path_prefix_and_drops_the_trailing_slash() {
        assert_eq!(
            normalise_base_url("https://api.hubapi.com/").unwrap(),
            "https://api.hubapi.com"
        );
        assert_eq!(
            normalise_base_url("http://127.0.0.1:8080/proxy//").unwrap(),
            "http://127.0.0.1:8080/proxy"
        );
    }

    #[test]
    fn base_url_must_be_http() {
        for bad in ["ftp://x", "api.hubapi.com", "", "http://h/?a=1"] {
            assert_eq!(
                normalise_base_url(bad).unwrap_err().kind,
                ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn log_lines_show_the_path_only() {
        assert_eq!(
            path_of("http://user:pw@h:1/cms/v3/hubdb/tables?limit=1"),
            "/cms/v3/hubdb/tables?limit=1"
        );
        assert_eq!(path_of("http://h"), "/");
    }

    #[test]
    fn client_builds_with_the_ring_provider() {
        let config = ClientConfig::new("https://api.hubapi.com", Secret::new("t"));
        let transport = Transport::new(config).unwrap();
        assert_eq!(transport.base_url(), "https://api.hubapi.com");
        assert_eq!(transport.requests_sent(), 0);
    }
}

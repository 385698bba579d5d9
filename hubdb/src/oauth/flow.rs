//! HubSpot's OAuth 2.0 protocol (reference §12): the authorization URL, the code exchange and
//! the refresh, driven by the `oauth2` crate over the project's reqwest client; and the
//! desktop flow that opens the browser and catches the redirect on `CallbackURL`.
//!
//! Decisions baked in:
//! - client id and secret travel in the form body (`AuthType::RequestBody`), as HubSpot's
//!   token endpoints want (§12.2); the token endpoint's redirects are not followed;
//! - scopes are space-separated and sent as `%20`, as in HubSpot's install URLs (§12.1);
//!   HubSpot's own `optional_scope` is sent only when there is one;
//! - HubSpot's token errors are not RFC 6749 bodies but `{status, message, correlationId}`
//!   (§12.2): they are read from the raw body, with the HTTP status and the
//!   `x-hubspot-correlation-id` header; `status` (`BAD_REFRESH_TOKEN`, ...) becomes the
//!   error's category, and a rejected credential is [`ErrorKind::Unauthorized`];
//! - no message or log line holds a token, a code or the client secret: HubSpot's message
//!   is kept, with any of them it might echo blanked out;
//! - the desktop flow binds the callback port before it opens the browser, ends on a
//!   redirect whose `state` is not its own (it may be forged), and releases the port before
//!   it exchanges the code.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenResponse,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::kind_of_status;
use crate::http::{cause_chain, failure_of_response};
use crate::retry::{Failure, RetryMode, delay_before_retry};
use crate::{Error, ErrorKind, Secret};

#[path = "browser.rs"]
mod browser;
#[path = "callback.rs"]
mod callback;

/// HubSpot's consent page (reference §12.1).
const DEFAULT_AUTHORIZATION_URL: &str = "https://app.hubspot.com/oauth/authorize";
/// HubSpot's current token endpoint (reference §12.2).
const DEFAULT_TOKEN_URL: &str = "https://api.hubapi.com/oauth/v3/token";
/// The reference product's `CallbackURL` (DESIGN "Words").
const DEFAULT_CALLBACK_URL: &str = "http://localhost:33333";
/// `Scope` and `OptionalScope` defaults (DESIGN "Connection properties").
const DEFAULT_SCOPE: &str = "hubdb";
const DEFAULT_OPTIONAL_SCOPE: &str = "crm.objects.owners.read";

/// HubSpot repeats the body's `correlationId` in this header (reference §10.1).
const CORRELATION_ID_HEADER: &str = "x-hubspot-correlation-id";

/// An OAuth app and HubSpot's endpoints.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: Secret,
    /// `redirect_uri`: where HubSpot sends the browser back.
    pub callback_url: String,
    /// Required scopes, space-separated (`scope`).
    pub scope: String,
    /// Scopes granted if the account has them (`optional_scope`).
    pub optional_scope: String,
    pub authorization_url: String,
    pub token_url: String,
    /// Per-request timeout of the token endpoint.
    pub timeout: Duration,
    /// The command that opens the consent page, in the syntax of the `BROWSER` environment
    /// variable; `None` reads `BROWSER` (Linux, macOS), then uses the platform's opener.
    pub browser: Option<String>,
}

/// What the token endpoint answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: Secret,
    /// `None` when the answer had none: a refresh then keeps the refresh token it used.
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<u64>,
}

/// `oauth2`'s client with HubSpot's error body; the endpoints a call needs are set per call.
type HubSpotClient<HasAuthUrl = EndpointNotSet, HasTokenUrl = EndpointNotSet> = oauth2::Client<
    HubSpotErrorBody,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

type TokenResult = Result<BasicTokenResponse, RequestTokenError<Error, HubSpotErrorBody>>;

impl OAuthApp {
    /// An app with HubSpot's endpoints and the reference product's defaults: `CallbackURL`
    /// `http://localhost:33333`, `Scope` `hubdb`, `OptionalScope` `crm.objects.owners.read`,
    /// a 60 s timeout.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> OAuthApp {
        OAuthApp {
            client_id: client_id.into(),
            client_secret,
            callback_url: DEFAULT_CALLBACK_URL.to_string(),
            scope: DEFAULT_SCOPE.to_string(),
            optional_scope: DEFAULT_OPTIONAL_SCOPE.to_string(),
            authorization_url: DEFAULT_AUTHORIZATION_URL.to_string(),
            token_url: DEFAULT_TOKEN_URL.to_string(),
            timeout: Duration::from_secs(60),
            browser: None,
        }
    }

    /// Opens the consent page with `command` (`BROWSER` syntax) instead of `BROWSER`.
    pub fn with_browser(mut self, command: impl Into<String>) -> OAuthApp {
        self.browser = Some(command.into());
        self
    }

    /// The consent page URL with `client_id`, `redirect_uri`, `scope`, `optional_scope` and
    /// `state`; `callback_url` and `scope` override the app's when given. An authorization
    /// or callback URL that does not parse gives an empty string, which
    /// [`OAuthApp::try_authorization_url`] explains.
    pub fn authorization_url(
        &self,
        state: &str,
        callback_url: Option<&str>,
        scope: Option<&str>,
    ) -> String {
        self.try_authorization_url(state, callback_url, scope)
            .unwrap_or_else(|error| {
                log::warn!("{error}");
                String::new()
            })
    }

    /// [`OAuthApp::authorization_url`], with a configuration error when a URL is unusable.
    pub fn try_authorization_url(
        &self,
        state: &str,
        callback_url: Option<&str>,
        scope: Option<&str>,
    ) -> Result<String, Error> {
        let auth_url = AuthUrl::new(self.authorization_url.trim().to_string())
            .map_err(|e| bad_url("OAuthAuthorizationURL", &self.authorization_url, e))?;
        let client = self.base_client().set_auth_uri(auth_url);
        let state = CsrfToken::new(state.to_string());
        let mut request = client
            .authorize_url(|| state)
            .set_redirect_uri(Cow::Owned(self.redirect_url(callback_url)?))
            .add_scopes(scopes(scope.unwrap_or(&self.scope)));
        let optional: Vec<&str> = self.optional_scope.split_whitespace().collect();
        if !optional.is_empty() {
            request = request.add_extra_param("optional_scope", optional.join(" "));
        }
        let (url, _) = request.url();
        Ok(with_spaces_as_percent_20(url).to_string())
    }

    /// `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        code: &Secret,
        callback_url: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let client = self.token_client()?;
        let redirect_url = self.redirect_url(callback_url)?;
        let endpoint = TokenEndpoint::new(self.timeout)?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.expose().to_string()))
            .set_redirect_uri(Cow::Owned(redirect_url))
            .request_async(&endpoint)
            .await;
        endpoint.token_response(answer, &[code, &self.client_secret])
    }

    /// `grant_type=refresh_token`.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, Error> {
        let client = self.token_client()?;
        let endpoint = TokenEndpoint::new(self.timeout)?;
        let token = RefreshToken::new(refresh_token.expose().to_string());
        let answer = client
            .exchange_refresh_token(&token)
            .request_async(&endpoint)
            .await;
        endpoint.token_response(answer, &[refresh_token, &self.client_secret])
    }

    /// The desktop flow: listens on the callback URL's host and port, opens the consent page
    /// in the user's browser, waits at most `timeout` for the redirect, checks `state`, and
    /// exchanges the code (under the app's own per-request timeout).
    pub async fn authorize_in_browser(&self, timeout: Duration) -> Result<TokenResponse, Error> {
        let listener = callback::CallbackListener::bind(&self.callback_url).await?;
        let state = random_state()?;
        let consent_url = self.try_authorization_url(&state, None, None)?;
        let opened = browser::open(&consent_url, self.browser.as_deref())?;
        log::info!(
            "waiting up to {} s for the browser sign-in to come back to {}",
            timeout.as_secs(),
            self.callback_url
        );
        let code = listener
            .wait_for_code(&state, timeout, opened.failure())
            .await?;
        self.exchange_code(&code, None).await
    }

    fn base_client(&self) -> HubSpotClient {
        HubSpotClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_string()))
            .set_auth_type(AuthType::RequestBody)
    }

    fn token_client(&self) -> Result<HubSpotClient<EndpointNotSet, EndpointSet>, Error> {
        let token_url = TokenUrl::new(self.token_url.trim().to_string())
            .map_err(|e| bad_url("OAuthAccessTokenURL", &self.token_url, e))?;
        Ok(self.base_client().set_token_uri(token_url))
    }

    /// The redirect URL exactly as written: HubSpot compares it with the app's registered one
    /// character for character.
    fn redirect_url(&self, callback_url: Option<&str>) -> Result<RedirectUrl, Error> {
        let url = callback_url.unwrap_or(&self.callback_url).trim();
        RedirectUrl::new(url.to_string()).map_err(|e| bad_url("CallbackURL", url, e))
    }
}

fn scopes(text: &str) -> impl Iterator<Item = Scope> + '_ {
    text.split_whitespace()
        .map(|scope| Scope::new(scope.to_string()))
}

/// The query is form-encoded, where a space is `+` and a plus `%2B`; HubSpot's install URLs
/// write the space as `%20` (reference §12.1), so this one does too.
fn with_spaces_as_percent_20(mut url: url::Url) -> url::Url {
    if let Some(query) = url.query().map(|q| q.replace('+', "%20")) {
        url.set_query(Some(&query));
    }
    without_empty_state(url)
}

/// `oauth2` always writes `state`; without one (GetOAuthAuthorizationURL called with no
/// State) the URL leaves the parameter out rather than send `state=`.
fn without_empty_state(mut url: url::Url) -> url::Url {
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query.split('&').filter(|p| *p != "state=").collect();
        let query = kept.join("&");
        url.set_query(Some(&query));
    }
    url
}

fn bad_url(property: &str, value: &str, error: url::ParseError) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("{property} '{}' is not a URL: {error}", value.trim()),
    )
}

/// 24 bytes of the system's generator, hex-encoded: URL-safe as it stands.
fn random_state() -> Result<String, Error> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 24];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::new(ErrorKind::Config, "the system's random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The token endpoint for `oauth2`: a reqwest client with rustls and `ring` as `http.rs`
/// builds its own, no redirects, the app's timeout. `oauth2` hands on only the body of a
/// refusal, so the status and correlation id are kept here.
struct TokenEndpoint {
    http: reqwest::Client,
    timeout: Duration,
    refusal: Mutex<Option<Refusal>>,
}

/// A 429 answer of the token endpoint, with what it said about waiting.
fn rate_limited(answer: &oauth2::HttpResponse) -> Option<Failure> {
    (answer.status() == reqwest::StatusCode::TOO_MANY_REQUESTS)
        .then(|| failure_of_response(answer.status(), answer.headers(), answer.body()))
}

/// A token endpoint answer other than 200.
#[derive(Clone, Debug, Default)]
struct Refusal {
    status: u16,
    correlation_id: Option<String>,
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenEndpoint {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

impl TokenEndpoint {
    fn new(timeout: Duration) -> Result<TokenEndpoint, Error> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::http::tls_config()?)
            .user_agent(format!("hubdb-odbc/{}", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(TokenEndpoint {
            http,
            timeout,
            refusal: Mutex::new(None),
        })
    }

    /// Sends a token request, again after a 429 as the API client does (reference §11.3):
    /// HubSpot refused it before carrying it out, so even a single-use code is still good.
    /// Nothing else is repeated, since a code or a rotated refresh token may be spent.
    async fn send(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Error> {
        let mut request = reqwest::Request::try_from(request).map_err(|e| {
            let why = e.without_url();
            Error::new(
                ErrorKind::Config,
                format!("cannot build the token request: {why}"),
            )
        })?;
        let policy = crate::ClientConfig::default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let again = request.try_clone();
            let answer = self.send_once(request).await?;
            let wait = match (&again, rate_limited(&answer)) {
                (Some(_), Some(failure)) => {
                    delay_before_retry(&failure, RetryMode::Write, attempt, &policy)
                }
                _ => None,
            };
            match (again, wait) {
                (Some(next), Some(wait)) => {
                    log::debug!(
                        "token endpoint rate limit: retrying in {} ms",
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                    request = next;
                }
                _ => return Ok(answer),
            }
        }
    }

    async fn send_once(&self, request: reqwest::Request) -> Result<oauth2::HttpResponse, Error> {
        let path = request.url().path().to_string();
        let started = Instant::now();
        let response = self.http.execute(request).await;
        let response = response.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        log::debug!(
            "POST {path} -> {status} in {} ms",
            started.elapsed().as_millis()
        );
        if status != reqwest::StatusCode::OK {
            let correlation_id = headers
                .get(CORRELATION_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let refusal = Refusal {
                status: status.as_u16(),
                correlation_id,
            };
            *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(refusal);
        }
        let mut answer = oauth2::HttpResponse::new(body.to_vec());
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    }

    /// reqwest's errors as kinds, worded for the token endpoint; the URL is dropped.
    fn transport_error(&self, error: reqwest::Error) -> Error {
        let error = error.without_url();
        let (kind, what) = if error.is_timeout() {
            let within = format!("within {} s", self.timeout.as_secs_f64());
            (ErrorKind::Timeout, format!("did not answer {within}"))
        } else if error.is_connect() {
            (ErrorKind::Connect, "could not be reached".to_string())
        } else if error.is_builder() {
            (ErrorKind::Config, "cannot be called".to_string())
        } else {
            (
                ErrorKind::ConnectionLost,
                "dropped the connection".to_string(),
            )
        };
        let message = format!("HubSpot's token endpoint {what}: {}", cause_chain(&error));
        Error::new(kind, message)
    }

    fn token_response(
        &self,
        answer: TokenResult,
        secrets: &[&Secret],
    ) -> Result<TokenResponse, Error> {
        let refusal = self
            .refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let token = answer.map_err(|error| token_error(error, refusal, secrets))?;
        let access_token = token.access_token().secret();
        if access_token.is_empty() {
            return Err(Error::new(
                ErrorKind::Decode,
                "HubSpot's token endpoint answered without an access token",
            ));
        }
        Ok(TokenResponse {
            access_token: Secret::new(access_token.clone()),
            refresh_token: token
                .refresh_token()
                .map(|t| Secret::new(t.secret().clone()))
                .filter(|t| !t.is_empty()),
            expires_in: token.expires_in().map(|d| d.as_secs()),
        })
    }
}

/// `oauth2`'s failures as [`Error`]. A refusal (not 200) is read from its body whatever
/// shape it has; a 200 that is not a token response is a decoding error, described without
/// the body (which would hold the token).
fn token_error(
    error: RequestTokenError<Error, HubSpotErrorBody>,
    refusal: Option<Refusal>,
    secrets: &[&Secret],
) -> Error {
    match (error, refusal) {
        (RequestTokenError::Request(error), _) => error,
        (RequestTokenError::ServerResponse(body), refusal) => {
            refused(refusal.unwrap_or_default(), body, secrets)
        }
        (RequestTokenError::Parse(_, body), Some(refusal)) => {
            refused(refusal, HubSpotErrorBody::parse(&body), secrets)
        }
        (RequestTokenError::Other(_), Some(refusal)) => {
            refused(refusal, HubSpotErrorBody::default(), secrets)
        }
        (RequestTokenError::Parse(error, _), None) => Error::new(
            ErrorKind::Decode,
            format!(
                "HubSpot's token endpoint answered with a body that is not a token response \
                 (at `{}`)",
                error.path()
            ),
        ),
        (RequestTokenError::Other(why), None) => Error::new(
            ErrorKind::Decode,
            format!("unexpected answer of HubSpot's token endpoint: {why}"),
        ),
    }
}

/// HubSpot's token error body (reference §12.2): `status` and `message` on every endpoint,
/// `correlationId` and `category` as the spec's `Error` has them, RFC 6749's `error` and
/// `error_description` on the newer endpoints. Any JSON reads as one, so `oauth2` hands
/// every refusal with a JSON body on as a server response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "Value")]
struct HubSpotErrorBody {
    status: Option<String>,
    message: Option<String>,
    #[serde(rename = "correlationId")]
    correlation_id: Option<String>,
    category: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl From<Value> for HubSpotErrorBody {
    fn from(value: Value) -> Self {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        HubSpotErrorBody {
            status: text("status"),
            message: text("message"),
            correlation_id: text("correlationId"),
            category: text("category").or_else(|| text("errorType")),
            error: text("error"),
            error_description: text("error_description"),
        }
    }
}

impl std::fmt::Display for HubSpotErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = self.code().unwrap_or("token error");
        write!(f, "{code}")
    }
}

impl oauth2::ErrorResponse for HubSpotErrorBody {}

impl HubSpotErrorBody {
    /// What it can read; a body that is not JSON reads as empty.
    fn parse(body: &[u8]) -> Self {
        serde_json::from_slice::<Value>(body)
            .map(HubSpotErrorBody::from)
            .unwrap_or_default()
    }

    /// HubSpot's own code (`BAD_REFRESH_TOKEN`) before RFC 6749's (`invalid_grant`); the
    /// generic `"status": "error"` of API errors says nothing.
    fn code(&self) -> Option<&str> {
        let status = self
            .status
            .as_deref()
            .filter(|s| !s.eq_ignore_ascii_case("error"));
        status.or(self.error.as_deref())
    }
}

/// A refusal of the token endpoint as an [`Error`], HubSpot's message first.
fn refused(refusal: Refusal, body: HubSpotErrorBody, secrets: &[&Secret]) -> Error {
    let status = if refusal.status == 0 {
        400
    } else {
        refusal.status
    };
    let code = body.code().map(str::to_string);
    let kind = code
        .as_deref()
        .and_then(kind_of_token_code)
        .unwrap_or_else(|| kind_of_status(status));
    let message = body
        .message
        .clone()
        .or_else(|| body.error_description.clone())
        .unwrap_or_else(|| format!("HubSpot's token endpoint answered HTTP {status}"));
    Error {
        kind,
        status: Some(status),
        message: with_hint(redact(&message, secrets), hint(code.as_deref())),
        category: code.or(body.category),
        correlation_id: body.correlation_id.or(refusal.correlation_id),
    }
}

/// HubSpot's `status` codes (observed and sandbox-named, §12.2) and RFC 6749 §5.2's.
fn kind_of_token_code(code: &str) -> Option<ErrorKind> {
    match code.to_ascii_uppercase().as_str() {
        "BAD_CLIENT_ID"
        | "BAD_CLIENT_SECRET"
        | "INVALID_CLIENT"
        | "UNAUTHORIZED_CLIENT"
        | "BAD_AUTH_CODE"
        | "EXPIRED_AUTH_CODE"
        | "BAD_REFRESH_TOKEN"
        | "BAD_REDIRECT_URI"
        | "INVALID_GRANT"
        | "ACCESS_DENIED" => Some(ErrorKind::Unauthorized),
        "BAD_GRANT_TYPE" | "UNSUPPORTED_GRANT_TYPE" | "INVALID_REQUEST" | "INVALID_SCOPE" => {
            Some(ErrorKind::BadRequest)
        }
        _ => None,
    }
}

/// What to do about a refused credential, in the connection properties' terms.
fn hint(code: Option<&str>) -> &'static str {
    match code.map(str::to_ascii_uppercase).as_deref() {
        Some("BAD_CLIENT_ID" | "BAD_CLIENT_SECRET" | "INVALID_CLIENT") => {
            " Check OAuthClientId and OAuthClientSecret: both must be the app's."
        }
        Some("BAD_REFRESH_TOKEN") => {
            " The refresh token was revoked or is another app's: sign in again."
        }
        Some("BAD_AUTH_CODE" | "EXPIRED_AUTH_CODE") => {
            " An authorization code is single-use and short-lived: sign in again."
        }
        Some("BAD_REDIRECT_URI") => {
            " CallbackURL must be the app's redirect URL, the same as in the sign-in."
        }
        _ => "",
    }
}

/// HubSpot's messages have no final stop (`missing or invalid refresh token`).
fn with_hint(mut message: String, hint: &str) -> String {
    if !hint.is_empty() && !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    message + hint
}

/// HubSpot's message with any secret of the request blanked out, should it echo one.
fn redact(message: &str, secrets: &[&Secret]) -> String {
    secrets
        .iter()
        .map(|s| s.expose())
        .filter(|s| s.len() >= 6)
        .fold(message.to_string(), |text, secret| {
            text.replace(secret, "***")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_app() -> OAuthApp {
        let mut app = OAuthApp::new("client-1", Secret::new("secret-1"));
        app.authorization_url = "https://app.example.com/oauth/authorize".into();
        app
    }

    fn query_pairs(url: &str) -> Vec<(String, String)> {
        let url = url::Url::parse(url).unwrap();
        url.query_pairs().into_owned().collect()
    }

    fn param(url: &str, key: &str) -> Option<String> {
        let pairs = query_pairs(url);
        pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn authorization_url_carries_hubspot_parameters() {
        let mut app = sample_app();
        app.scope = "hubdb  content".into();
        let url = app.authorization_url("st-1", None, None);
        assert!(url.starts_with("https://app.example.com/oauth/authorize?"));
        assert_eq!(param(&url, "client_id").as_deref(), Some("client-1"));
        assert_eq!(
            param(&url, "redirect_uri").as_deref(),
            Some("http://localhost:33333")
        );
        assert_eq!(param(&url, "scope").as_deref(), Some("hubdb content"));
        assert_eq!(
            param(&url, "optional_scope").as_deref(),
            Some("crm.objects.owners.read")
        );
        assert_eq!(param(&url, "state").as_deref(), Some("st-1"));
        let stateless = app.authorization_url("", None, None);
        assert_eq!(param(&stateless, "state"), None, "{stateless}");
        assert_eq!(param(&stateless, "client_id").as_deref(), Some("client-1"));
        assert!(url.contains("scope=hubdb%20content"), "{url}");
        assert!(!url.contains('+'), "{url}");
        assert!(!url.contains("secret"), "{url}");
    }

    #[test]
    fn authorization_url_arguments_override_the_apps() {
        let url = sample_app().authorization_url(
            "s",
            Some("http://127.0.0.1:4100/cb"),
            Some("hubdb crm.objects.owners.read"),
        );
        assert_eq!(
            param(&url, "redirect_uri").as_deref(),
            Some("http://127.0.0.1:4100/cb")
        );
        assert_eq!(
            param(&url, "scope").as_deref(),
            Some("hubdb crm.objects.owners.read")
        );
    }

    #[test]
    fn authorization_url_leaves_out_an_empty_optional_scope_and_keeps_a_plus() {
        let mut app = sample_app();
        app.optional_scope = " ".into();
        let url = app.authorization_url("a+b c", None, None);
        assert_eq!(param(&url, "optional_scope"), None);
        assert_eq!(param(&url, "state").as_deref(), Some("a+b c"));
    }

    #[test]
    fn an_unusable_url_is_a_config_error_naming_the_property() {
        let mut app = sample_app();
        app.authorization_url = "not a url".into();
        let error = app.try_authorization_url("s", None, None).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Config);
        assert!(
            error
                .message
                .starts_with("OAuthAuthorizationURL 'not a url'")
        );
        assert_eq!(app.authorization_url("s", None, None), "");
        let error = sample_app().try_authorization_url("s", Some("/cb"), None);
        assert!(error.unwrap_err().message.starts_with("CallbackURL '/cb'"));
    }

    #[test]
    fn the_flows_run_on_any_thread_of_a_runtime() {
        fn send<T: Send>(_: &T) {}
        let app = sample_app();
        send(&app.authorize_in_browser(Duration::from_secs(1)));
        send(&app.exchange_code(&Secret::new("c"), None));
        send(&app.refresh(&Secret::new("r")));
    }

    #[test]
    fn random_states_are_long_url_safe_and_differ() {
        let (a, b) = (random_state().unwrap(), random_state().unwrap());
        assert_eq!(a.len(), 48);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    fn refusal(status: u16) -> Refusal {
        Refusal {
            status,
            correlation_id: Some("hdr-id".into()),
        }
    }

    fn mapped(status: u16, body: &str) -> Error {
        let secrets = [&Secret::new("na1-refresh-1"), &Secret::new("secret-1")];
        refused(
            refusal(status),
            HubSpotErrorBody::parse(body.as_bytes()),
            &secrets,
        )
    }

    #[test]
    fn hubspot_bad_refresh_token_body_is_unauthorized() {
        let body = r#"{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token","correlationId":"c-1"}"#;
        let error = mapped(400, body);
        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.status, Some(400));
        assert_eq!(error.category.as_deref(), Some("BAD_REFRESH_TOKEN"));
        assert_eq!(error.correlation_id.as_deref(), Some("c-1"));
        assert!(
            error
                .message
                .starts_with("missing or invalid refresh token. The refresh token was revoked")
        );
    }

    #[test]
    fn every_rejected_credential_is_unauthorized() {
        for code in [
            "BAD_CLIENT_ID",
            "BAD_CLIENT_SECRET",
            "BAD_AUTH_CODE",
            "EXPIRED_AUTH_CODE",
            "BAD_REDIRECT_URI",
        ] {
            let body = format!(r#"{{"status":"{code}","message":"m"}}"#);
            let error = mapped(400, &body);
            assert_eq!(error.kind, ErrorKind::Unauthorized, "{code}");
            assert_eq!(error.category.as_deref(), Some(code));
            assert_eq!(error.correlation_id.as_deref(), Some("hdr-id"));
        }
        for error in ["invalid_client", "invalid_grant", "access_denied"] {
            let body = format!(r#"{{"error":"{error}","error_description":"d"}}"#);
            let mapped = mapped(400, &body);
            assert_eq!(mapped.kind, ErrorKind::Unauthorized, "{error}");
            assert_eq!(mapped.message.split('.').next(), Some("d"));
        }
    }

    #[test]
    fn hubspot_status_wins_over_the_rfc_error_and_the_category() {
        let body = r#"{"status":"BAD_CLIENT_SECRET","message":"missing or invalid client secret","correlationId":"c-2","category":"VALIDATION_ERROR","error":"invalid_client","error_description":"missing or invalid client secret"}"#;
        let error = mapped(400, body);
        assert_eq!(error.category.as_deref(), Some("BAD_CLIENT_SECRET"));
        assert_eq!(
            error.to_string(),
            "missing or invalid client secret. Check OAuthClientId and OAuthClientSecret: \
             both must be the app's. (HTTP 400, BAD_CLIENT_SECRET, correlation id c-2)"
        );
    }

    #[test]
    fn other_refusals_follow_the_http_status() {
        let grant = mapped(400, r#"{"status":"BAD_GRANT_TYPE","message":"m"}"#);
        assert_eq!(grant.kind, ErrorKind::BadRequest);
        let api_style = r#"{"status":"error","message":"m","category":"RATE_LIMITS"}"#;
        let limited = mapped(429, api_style);
        assert_eq!(limited.kind, ErrorKind::RateLimited);
        assert_eq!(limited.category.as_deref(), Some("RATE_LIMITS"));
        let html = mapped(502, "<html>Bad gateway</html>");
        assert_eq!(html.kind, ErrorKind::Server);
        assert_eq!(html.message, "HubSpot's token endpoint answered HTTP 502");
        assert_eq!(html.correlation_id.as_deref(), Some("hdr-id"));
        assert_eq!(mapped(401, "").kind, ErrorKind::Unauthorized);
    }

    #[test]
    fn an_echoed_secret_is_blanked_out() {
        let body = r#"{"status":"BAD_REFRESH_TOKEN","message":"token na1-refresh-1 of client secret-1 is unknown"}"#;
        let error = mapped(400, body);
        assert!(
            error
                .message
                .starts_with("token *** of client *** is unknown")
        );
        assert!(!error.to_string().contains("na1-refresh-1"));
    }

    #[test]
    fn a_success_that_is_not_a_token_response_is_a_decode_error() {
        let error = token_error(RequestTokenError::Other("empty".into()), None, &[]);
        assert_eq!(error.kind, ErrorKind::Decode);
        let refused = token_error(
            RequestTokenError::Other("empty".into()),
            Some(refusal(500)),
            &[],
        );
        assert_eq!(refused.kind, ErrorKind::Server);
    }
}

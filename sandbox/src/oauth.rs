//! HubSpot's OAuth server side (reference/hubdb-api.md §12): the registered apps, consent
//! requests of `/oauth/authorize`, authorization codes, grants with their refresh token, and
//! access tokens. The HTTP shapes live in `authorize.rs` and `token.rs`; this module holds the
//! state and the rules.
//!
//! Where the reference leaves a behaviour open, the variant hardest for a client (DESIGN
//! "Sandbox"):
//! - the redirect URL must match the app's registered one exactly, also at the token endpoint
//!   (the demo app accepts any `http://localhost:<port>` or `http://127.0.0.1:<port>` URL);
//! - `scope` must hold every scope the app requires, and `scope` and `optional_scope` may name
//!   only scopes the app is configured with; scopes are separated by spaces only;
//! - a code is single-use and short-lived; presenting a used code again revokes what it
//!   issued (RFC 6749 §4.1.2 says the server should);
//! - access tokens are 300 characters, the most HubSpot says to allow for (§2.1);
//! - rotation of refresh tokens is a switch, since HubSpot does not say (§12.2, §15);
//! - deleting or revoking a refresh token leaves the access tokens it issued working until
//!   they expire, as HubSpot documents for `DELETE /oauth/v1/refresh-tokens/{token}`
//!   (legacydocs "Delete OAuth 2.0 Refresh Token"); removing the install (the admin
//!   endpoint) ends both at once.
//!
//! Tokens come from the standard library's randomly keyed SipHash: unpredictable enough for
//! a local test server, not a cryptographic generator.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Client id of the demo OAuth app every sandbox registers (UUID-shaped, as HubSpot's are).
pub const DEMO_CLIENT_ID: &str = "00000000-demo-0000-0000-client000001";

/// Client secret of the demo OAuth app. It is public: the sandbox is a local test server.
pub const DEMO_CLIENT_SECRET: &str = "00000000-demo-0000-0000-secret000001";

/// The HubSpot account (portal) every sandbox serves: `hub_id` of its tokens.
pub const DEMO_PORTAL_ID: u32 = 24_681_357;

/// `hub_domain` of the sandbox's account in token information.
pub const DEMO_HUB_DOMAIN: &str = "hubdb-sandbox.example.com";

/// The user who approves every install: a seeded owner of the demo account.
pub const INSTALLING_USER_ID: u32 = 7_300_001;
pub const INSTALLING_USER: &str = "maren.olsen@example.com";

/// Scopes the demo app requires: HubDB's umbrella scope (§2.3).
pub const DEMO_REQUIRED_SCOPES: [&str; 1] = ["hubdb"];

/// Scopes the demo app may get when asked for in `optional_scope`: the owners list (§2.4),
/// as the driver's `OptionalScope` default asks for (DESIGN "Connection properties").
pub const DEMO_OPTIONAL_SCOPES: [&str; 1] = ["crm.objects.owners.read"];

/// How long a consent page stays answerable.
const CONSENT_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// An OAuth app the sandbox knows. Its `Debug` form hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URLs accepted exactly as written; empty means any
    /// `http://localhost:<port>` or `http://127.0.0.1:<port>` URL (tests pick free ports).
    pub redirect_uris: Vec<String>,
    pub required_scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
}

impl OAuthApp {
    /// An app with the demo app's scopes and loopback redirects.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> OAuthApp {
        OAuthApp {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uris: Vec::new(),
            required_scopes: DEMO_REQUIRED_SCOPES.map(String::from).to_vec(),
            optional_scopes: DEMO_OPTIONAL_SCOPES.map(String::from).to_vec(),
        }
    }

    pub fn demo() -> OAuthApp {
        OAuthApp::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    }

    /// Parses the `--oauth-client ID:SECRET[:REDIRECT_URI]` option.
    pub fn parse_option(spec: &str) -> Result<OAuthApp, String> {
        let mut parts = spec.splitn(3, ':');
        let id = parts.next().unwrap_or_default();
        let secret = parts.next().unwrap_or_default();
        if id.is_empty() || secret.is_empty() {
            return Err("--oauth-client wants ID:SECRET[:REDIRECT_URI]".into());
        }
        let mut app = OAuthApp::new(id, secret);
        if let Some(uri) = parts.next() {
            url::Url::parse(uri).map_err(|e| format!("--oauth-client: bad redirect URI: {e}"))?;
            app.redirect_uris.push(uri.to_string());
        }
        Ok(app)
    }

    fn allows_redirect(&self, uri: &str) -> bool {
        if self.redirect_uris.is_empty() {
            is_loopback_url(uri)
        } else {
            self.redirect_uris.iter().any(|allowed| allowed == uri)
        }
    }

    fn knows_scope(&self, scope: &str) -> bool {
        self.required_scopes.iter().any(|s| s == scope)
            || self.optional_scopes.iter().any(|s| s == scope)
    }
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .field("required_scopes", &self.required_scopes)
            .field("optional_scopes", &self.optional_scopes)
            .finish()
    }
}

/// `http://localhost:<port>` or `http://127.0.0.1:<port>` with an explicit port, any path,
/// no user info and no fragment.
fn is_loopback_url(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    url.scheme() == "http"
        && (host == "localhost" || host == "127.0.0.1")
        && url.port().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
}

/// The OAuth side of a sandbox.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    /// Apps besides the demo app ([`DEMO_CLIENT_ID`]), which is always registered.
    pub apps: Vec<OAuthApp>,
    /// `GET /oauth/authorize` redirects with a code at once instead of showing the consent page.
    pub auto_approve: bool,
    /// Deny on the consent page sends the browser nowhere, as the reference says HubSpot does
    /// (§12.1); by default it redirects with `error=access_denied`.
    pub deny_without_redirect: bool,
    /// Optional scopes are never granted, as for an account that lacks the product (§12.1).
    pub drop_optional_scopes: bool,
    /// Lifetime of an authorization code. HubSpot gives "a short window" without a number.
    pub code_lifetime: Duration,
    /// Lifetime of an access token: HubSpot's 30 minutes by default (§12.2).
    pub token_lifetime: Duration,
    /// Each refresh returns a new refresh token and retires the one presented.
    pub rotate_refresh_tokens: bool,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            apps: Vec::new(),
            auto_approve: false,
            deny_without_redirect: false,
            drop_optional_scopes: false,
            code_lifetime: Duration::from_secs(300),
            token_lifetime: Duration::from_secs(1800),
            rotate_refresh_tokens: false,
        }
    }
}

/// A checked `/oauth/authorize` request: what a code for it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// Required plus granted optional scopes.
    pub scopes: Vec<String>,
    pub state: Option<String>,
}

/// The parameters of `/oauth/authorize`, as sent.
#[derive(Default)]
pub struct AuthorizeParams<'a> {
    pub client_id: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub optional_scope: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// Why the token endpoint refuses a request (§12.2). All are 400s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    MissingGrantType,
    UnsupportedGrantType,
    /// `client_credentials`: in the spec's enum, but only for HubSpot's webhooks journal.
    UnauthorizedGrantType,
    BadClientId,
    BadClientSecret,
    BadAuthCode,
    ExpiredAuthCode,
    BadRedirectUri,
    BadRefreshToken,
    MissingToken,
}

/// Tokens handed out by a grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub scopes: Vec<String>,
}

/// What the sandbox knows about a token, for the introspection endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub token: String,
    pub client_id: String,
    pub app_id: u32,
    pub scopes: Vec<String>,
    /// Epoch ms; `None` for refresh tokens, which do not expire.
    pub expires_at: Option<i64>,
    pub issued_at: i64,
}

impl TokenInfo {
    /// Whole seconds left, never negative.
    pub fn expires_in(&self) -> i64 {
        self.expires_at
            .map_or(0, |at| ((at - now_ms()) / 1000).max(0))
    }
}

/// The state of an access token presented to an API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessLookup {
    Active(TokenInfo),
    /// Epoch ms of the expiry.
    Expired(i64),
    /// Revoked, or never issued here.
    Unknown,
}

struct RegisteredApp {
    app: OAuthApp,
    app_id: u32,
}

struct Consent {
    request: AuthorizeRequest,
    expires_at: i64,
}

struct Code {
    request: AuthorizeRequest,
    expires_at: i64,
    used: bool,
    grant: Option<usize>,
}

struct Grant {
    client_id: String,
    app_id: u32,
    scopes: Vec<String>,
    refresh_token: String,
    issued_at: i64,
    /// The refresh token was deleted or revoked; access tokens live on.
    refresh_revoked: bool,
    /// The install is gone: nothing of the grant works.
    revoked: bool,
}

impl Grant {
    fn refreshable_by(&self, client_id: &str) -> bool {
        !self.revoked && !self.refresh_revoked && self.client_id == client_id
    }
}

struct Access {
    grant: usize,
    issued_at: i64,
    expires_at: i64,
}

#[derive(Default)]
struct Ledger {
    consents: HashMap<String, Consent>,
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    refresh_tokens: HashMap<String, usize>,
    access_tokens: HashMap<String, Access>,
}

/// Apps, codes and tokens of one sandbox.
pub struct OAuthState {
    config: OAuthConfig,
    apps: Vec<RegisteredApp>,
    ledger: Mutex<Ledger>,
}

impl OAuthState {
    pub fn new(config: OAuthConfig) -> OAuthState {
        let mut apps = vec![OAuthApp::demo()];
        for app in &config.apps {
            apps.retain(|known: &OAuthApp| known.client_id != app.client_id);
            apps.push(app.clone());
        }
        let apps = apps
            .into_iter()
            .zip(3_100_001..)
            .map(|(app, app_id)| RegisteredApp { app, app_id })
            .collect();
        OAuthState {
            config,
            apps,
            ledger: Mutex::new(Ledger::default()),
        }
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn app(&self, client_id: &str) -> Option<&RegisteredApp> {
        self.apps
            .iter()
            .find(|known| known.app.client_id == client_id)
    }

    /// Checks an install URL as HubSpot's consent screen does; the error is the text of the
    /// error page (wording after HubSpot's, §12.1).
    pub fn check_authorize(&self, params: &AuthorizeParams) -> Result<AuthorizeRequest, String> {
        let client_id = params.client_id.unwrap_or_default();
        let app = self.app(client_id).map(|known| &known.app).ok_or_else(|| {
            format!("Authorization failed because no app has the client ID '{client_id}'.")
        })?;
        let redirect_uri = params.redirect_uri.unwrap_or_default();
        if !app.allows_redirect(redirect_uri) {
            return Err(format!(
                "Authorization failed as the redirect URL '{redirect_uri}' doesn't match the \
                 app's registered redirect URL."
            ));
        }
        let scopes = self.granted_scopes(app, params)?;
        Ok(AuthorizeRequest {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scopes,
            state: params.state.map(str::to_string),
        })
    }

    fn granted_scopes(
        &self,
        app: &OAuthApp,
        params: &AuthorizeParams,
    ) -> Result<Vec<String>, String> {
        let requested = split_scopes(params.scope);
        let optional = split_scopes(params.optional_scope);
        let unknown: Vec<&str> = requested
            .iter()
            .chain(&optional)
            .copied()
            .filter(|scope| !app.knows_scope(scope))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "Authorization failed because one or more scopes are invalid: {}",
                unknown.join(", ")
            ));
        }
        let missing: Vec<&str> = app
            .required_scopes
            .iter()
            .map(String::as_str)
            .filter(|scope| !requested.contains(scope))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Authorization failed because there is a mismatch between the scopes in the \
                 install URL and the app's required scopes: missing {}",
                missing.join(", ")
            ));
        }
        let mut scopes: Vec<String> = requested.iter().map(|s| s.to_string()).collect();
        if !self.config.drop_optional_scopes {
            scopes.extend(optional.iter().map(|s| s.to_string()));
        }
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    /// Keeps a request until the user answers the consent page; returns the page's key.
    pub fn hold_consent(&self, request: AuthorizeRequest) -> String {
        let key = uuid_token();
        let consent = Consent {
            request,
            expires_at: now_ms() + CONSENT_LIFETIME_MS,
        };
        let mut ledger = self.ledger();
        let now = now_ms();
        ledger.consents.retain(|_, held| held.expires_at > now);
        ledger.consents.insert(key.clone(), consent);
        key
    }

    /// The request behind a consent page, once: a second answer finds nothing.
    pub fn take_consent(&self, key: &str) -> Option<AuthorizeRequest> {
        let consent = self.ledger().consents.remove(key)?;
        (consent.expires_at > now_ms()).then_some(consent.request)
    }

    /// A fresh single-use code for an approved request.
    pub fn issue_code(&self, request: &AuthorizeRequest) -> String {
        let code = uuid_token();
        let expires_at = now_ms() + millis(self.config.code_lifetime);
        let entry = Code {
            request: request.clone(),
            expires_at,
            used: false,
            grant: None,
        };
        self.ledger().codes.insert(code.clone(), entry);
        code
    }

    /// The app of a token request, after checking its id and secret.
    pub fn authenticate_client(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<&OAuthApp, TokenError> {
        let app = self
            .app(client_id.unwrap_or_default())
            .ok_or(TokenError::BadClientId)?;
        if client_secret != Some(app.app.client_secret.as_str()) {
            return Err(TokenError::BadClientSecret);
        }
        Ok(&app.app)
    }

    /// The `authorization_code` grant. A used code is refused, and what it issued is revoked.
    pub fn exchange_code(
        &self,
        app: &OAuthApp,
        code: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> Result<Issued, TokenError> {
        let mut guard = self.ledger();
        let ledger = &mut *guard;
        let entry = code
            .and_then(|code| ledger.codes.get_mut(code))
            .filter(|entry| entry.request.client_id == app.client_id)
            .ok_or(TokenError::BadAuthCode)?;
        if entry.used {
            if let Some(grant) = entry.grant.and_then(|g| ledger.grants.get_mut(g)) {
                grant.revoked = true;
            }
            return Err(TokenError::BadAuthCode);
        }
        if now_ms() >= entry.expires_at {
            return Err(TokenError::ExpiredAuthCode);
        }
        if redirect_uri != Some(entry.request.redirect_uri.as_str()) {
            return Err(TokenError::BadRedirectUri);
        }
        entry.used = true;
        let scopes = entry.request.scopes.clone();
        let grant = self.new_grant(ledger, app, scopes);
        if let Some(entry) = code.and_then(|code| ledger.codes.get_mut(code)) {
            entry.grant = Some(grant);
        }
        Ok(self.issue_access(ledger, grant))
    }

    /// The `refresh_token` grant; with rotation the presented refresh token is retired.
    pub fn refresh(
        &self,
        app: &OAuthApp,
        refresh_token: Option<&str>,
    ) -> Result<Issued, TokenError> {
        let mut ledger = self.ledger();
        let grant = refresh_token
            .and_then(|token| ledger.refresh_tokens.get(token).copied())
            .filter(|g| ledger.grants[*g].refreshable_by(&app.client_id))
            .ok_or(TokenError::BadRefreshToken)?;
        if self.config.rotate_refresh_tokens {
            let fresh = refresh_token_string();
            let old = std::mem::replace(&mut ledger.grants[grant].refresh_token, fresh.clone());
            ledger.refresh_tokens.remove(&old);
            ledger.refresh_tokens.insert(fresh, grant);
        }
        Ok(self.issue_access(&mut ledger, grant))
    }

    fn new_grant(&self, ledger: &mut Ledger, app: &OAuthApp, scopes: Vec<String>) -> usize {
        let app_id = self.app(&app.client_id).map_or(0, |known| known.app_id);
        let refresh_token = refresh_token_string();
        ledger.grants.push(Grant {
            client_id: app.client_id.clone(),
            app_id,
            scopes,
            refresh_token: refresh_token.clone(),
            issued_at: now_ms(),
            refresh_revoked: false,
            revoked: false,
        });
        let grant = ledger.grants.len() - 1;
        ledger.refresh_tokens.insert(refresh_token, grant);
        grant
    }

    fn issue_access(&self, ledger: &mut Ledger, grant: usize) -> Issued {
        let access_token = access_token_string();
        let issued_at = now_ms();
        let access = Access {
            grant,
            issued_at,
            expires_at: issued_at + millis(self.config.token_lifetime),
        };
        ledger.access_tokens.insert(access_token.clone(), access);
        let grant = &ledger.grants[grant];
        Issued {
            access_token,
            refresh_token: grant.refresh_token.clone(),
            expires_in: self.config.token_lifetime.as_secs(),
            scopes: grant.scopes.clone(),
        }
    }

    /// An access token presented to an API: active, expired, or unknown (revoked included).
    pub fn access_token(&self, token: &str) -> AccessLookup {
        let ledger = self.ledger();
        let Some(access) = ledger.access_tokens.get(token) else {
            return AccessLookup::Unknown;
        };
        let grant = &ledger.grants[access.grant];
        if grant.revoked {
            return AccessLookup::Unknown;
        }
        if now_ms() >= access.expires_at {
            return AccessLookup::Expired(access.expires_at);
        }
        AccessLookup::Active(TokenInfo {
            token: token.to_string(),
            client_id: grant.client_id.clone(),
            app_id: grant.app_id,
            scopes: grant.scopes.clone(),
            expires_at: Some(access.expires_at),
            issued_at: access.issued_at,
        })
    }

    /// A live refresh token's information.
    pub fn refresh_token(&self, token: &str) -> Option<TokenInfo> {
        let ledger = self.ledger();
        let grant = &ledger.grants[*ledger.refresh_tokens.get(token)?];
        (!grant.revoked && !grant.refresh_revoked).then(|| TokenInfo {
            token: token.to_string(),
            client_id: grant.client_id.clone(),
            app_id: grant.app_id,
            scopes: grant.scopes.clone(),
            expires_at: None,
            issued_at: grant.issued_at,
        })
    }

    /// Deletes a refresh token (of `client_id`'s app, when given); the access tokens it
    /// issued keep working until they expire. False when there was no such live token.
    pub fn revoke_refresh_token(&self, token: &str, client_id: Option<&str>) -> bool {
        let mut guard = self.ledger();
        let ledger = &mut *guard;
        let Some(grant) = ledger
            .refresh_tokens
            .get(token)
            .map(|g| &mut ledger.grants[*g])
        else {
            return false;
        };
        let owner = client_id.unwrap_or(grant.client_id.as_str()).to_string();
        if !grant.refreshable_by(&owner) {
            return false;
        }
        grant.refresh_revoked = true;
        true
    }

    /// Makes every live access token expire now; returns how many did.
    pub fn expire_access_tokens(&self) -> usize {
        let now = now_ms();
        let mut ledger = self.ledger();
        let live = ledger
            .access_tokens
            .values_mut()
            .filter(|access| access.expires_at > now);
        live.map(|access| access.expires_at = now).count()
    }

    /// Revokes every grant, as if each install were removed; returns how many were live.
    pub fn revoke_all(&self) -> usize {
        let mut ledger = self.ledger();
        let live = ledger.grants.iter_mut().filter(|grant| !grant.revoked);
        live.map(|grant| grant.revoked = true).count()
    }
}

/// Scopes are space-separated (`%20` or `+` in the URL, §12.1); commas are not separators.
fn split_scopes(text: Option<&str>) -> Vec<&str> {
    text.unwrap_or_default().split_whitespace().collect()
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

fn random_bytes(count: usize) -> Vec<u8> {
    let words = (0..count.div_ceil(8)).flat_map(|_| random_u64().to_le_bytes());
    words.take(count).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the shape of HubSpot's codes and client ids.
fn uuid_token() -> String {
    let h = hex(&random_bytes(16));
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `na1-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the shape of HubSpot's refresh tokens.
fn refresh_token_string() -> String {
    let h = hex(&random_bytes(14));
    format!(
        "na1-{}-{}-{}-{}-{}",
        &h[..4],
        &h[4..8],
        &h[8..12],
        &h[12..16],
        &h[16..]
    )
}

/// `C` and 224 random bytes in unpadded base64url: 300 characters, HubSpot's stated maximum
/// (§2.1), with `-` and `_` that a careless client may mangle.
fn access_token_string() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::from("C");
    for chunk in random_bytes(224).chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(group >> (18 - 6 * i) & 0x3f) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(config: OAuthConfig) -> OAuthState {
        OAuthState::new(config)
    }

    fn params<'a>(redirect: &'a str, scope: &'a str) -> AuthorizeParams<'a> {
        AuthorizeParams {
            client_id: Some(DEMO_CLIENT_ID),
            redirect_uri: Some(redirect),
            scope: Some(scope),
            ..AuthorizeParams::default()
        }
    }

    #[test]
    fn tokens_have_hubspot_shapes() {
        assert_eq!(access_token_string().len(), 300);
        assert_ne!(access_token_string(), access_token_string());
        let refresh = refresh_token_string();
        assert!(
            refresh.starts_with("na1-") && refresh.len() == 36,
            "{refresh}"
        );
        assert_eq!(uuid_token().len(), 36);
    }

    #[test]
    fn the_demo_app_takes_any_loopback_port_and_nothing_else() {
        let oauth = state(OAuthConfig::default());
        for good in ["http://localhost:33333", "http://127.0.0.1:4100/callback"] {
            assert!(
                oauth.check_authorize(&params(good, "hubdb")).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "http://localhost",
            "https://localhost:33333",
            "http://example.com:33333",
            "http://localhost:33333/#x",
            "localhost:33333",
        ] {
            assert!(
                oauth.check_authorize(&params(bad, "hubdb")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn scopes_must_cover_the_required_and_name_only_known_ones() {
        let oauth = state(OAuthConfig::default());
        let redirect = "http://localhost:1234";
        assert!(oauth.check_authorize(&params(redirect, "")).is_err());
        assert!(
            oauth
                .check_authorize(&params(redirect, "hubdb,crm"))
                .is_err()
        );
        assert!(
            oauth
                .check_authorize(&params(redirect, "hubdb contacts"))
                .is_err()
        );
        let both = AuthorizeParams {
            optional_scope: Some("crm.objects.owners.read"),
            ..params(redirect, "hubdb")
        };
        let granted = oauth.check_authorize(&both).unwrap().scopes;
        assert_eq!(granted, ["crm.objects.owners.read", "hubdb"]);
        let dropping = state(OAuthConfig {
            drop_optional_scopes: true,
            ..OAuthConfig::default()
        });
        assert_eq!(dropping.check_authorize(&both).unwrap().scopes, ["hubdb"]);
    }

    #[test]
    fn an_app_from_the_command_line_keeps_the_colons_of_its_redirect() {
        let app = OAuthApp::parse_option("id:secret:http://127.0.0.1:9000/cb").unwrap();
        assert_eq!(app.redirect_uris, ["http://127.0.0.1:9000/cb"]);
        assert!(OAuthApp::parse_option("only-id").is_err());
        assert!(!format!("{app:?}").contains("secret\""));
    }

    #[test]
    fn a_deleted_refresh_token_leaves_its_access_token_working() {
        let oauth = state(OAuthConfig::default());
        let request = oauth
            .check_authorize(&params("http://localhost:5000", "hubdb"))
            .unwrap();
        let code = oauth.issue_code(&request);
        let app = OAuthApp::demo();
        let redirect = Some("http://localhost:5000");
        let issued = oauth.exchange_code(&app, Some(&code), redirect).unwrap();
        assert!(!oauth.revoke_refresh_token(&issued.refresh_token, Some("other-app")));
        assert!(oauth.revoke_refresh_token(&issued.refresh_token, None));
        assert!(!oauth.revoke_refresh_token(&issued.refresh_token, None));
        assert!(oauth.refresh_token(&issued.refresh_token).is_none());
        assert!(matches!(
            oauth.access_token(&issued.access_token),
            AccessLookup::Active(_)
        ));
        assert_eq!(oauth.revoke_all(), 1);
        assert_eq!(
            oauth.access_token(&issued.access_token),
            AccessLookup::Unknown
        );
    }

    #[test]
    fn a_reused_code_is_refused_and_revokes_what_it_issued() {
        let oauth = state(OAuthConfig::default());
        let request = oauth
            .check_authorize(&params("http://localhost:5000", "hubdb"))
            .unwrap();
        let code = oauth.issue_code(&request);
        let app = OAuthApp::demo();
        let redirect = Some("http://localhost:5000");
        let issued = oauth.exchange_code(&app, Some(&code), redirect).unwrap();
        assert!(matches!(
            oauth.access_token(&issued.access_token),
            AccessLookup::Active(_)
        ));
        assert_eq!(
            oauth.exchange_code(&app, Some(&code), redirect),
            Err(TokenError::BadAuthCode)
        );
        assert_eq!(
            oauth.access_token(&issued.access_token),
            AccessLookup::Unknown
        );
        assert_eq!(
            oauth.refresh(&app, Some(&issued.refresh_token)),
            Err(TokenError::BadRefreshToken)
        );
    }
}

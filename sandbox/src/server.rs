//! The HTTP server: routes of HubDB v3, OAuth and owners, the request log (with secrets
//! redacted) and the admin endpoints.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::error::{ApiError, CORRELATION_HEADER, json_response, new_correlation_id, set_header};
use crate::guard::{Guarded, OWNERS_READ, ROWS_READ, RateLimiter, TABLES_READ, Tokens, guard};
use crate::model::{Store, Table, Version};
use crate::oauth::OAuthState;
use crate::owners::{self, Owner};
use crate::query::{list_rows, list_tables, parse_query, wants_archived};
use crate::render::{row_json, table_json};
use crate::{DEMO_TOKEN, LoggedRequest, NO_SCOPE_TOKEN, SandboxConfig, authorize, token};

/// The path prefixes HubDB v3 is served under: the versioned one the driver uses, and the
/// date-versioned copy with identical behaviour (§1, §15).
const PREFIXES: [&str; 2] = ["/cms/v3/hubdb", "/cms/hubdb/2026-03"];

/// The token endpoint generations that share v3's behaviour: v3 and the date-versioned
/// copies (§12.2).
const OAUTH_V3_PREFIXES: [&str; 3] = ["/oauth/v3", "/oauth/2026-03", "/oauth/2026-09"];

/// Query parameters whose values the request log never shows: codes, tokens and secrets
/// (v1's token endpoint takes some in the query, §12.2; `hapikey` was a secret too, §2.1).
const SECRET_PARAMETERS: [&str; 8] = [
    "code",
    "client_secret",
    "refresh_token",
    "access_token",
    "token",
    "client_assertion",
    "code_verifier",
    "hapikey",
];

/// Paths that end in a token (v1 token information, §12.3): logged without it.
const TOKEN_PATHS: [&str; 2] = ["/oauth/v1/access-tokens/", "/oauth/v1/refresh-tokens/"];

/// What the log shows instead of a secret.
pub const REDACTED: &str = "[redacted]";

pub struct AppState {
    pub store: RwLock<Store>,
    pub owners: Vec<Owner>,
    pub tokens: Tokens,
    pub oauth: OAuthState,
    pub limiter: RateLimiter,
    pub latency: std::time::Duration,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub base_url: String,
}

impl AppState {
    pub fn new(config: SandboxConfig, base_url: String) -> Self {
        let mut full: HashSet<String> = config.tokens.into_iter().collect();
        full.insert(DEMO_TOKEN.to_string());
        let mut without_scope: HashSet<String> = config.tokens_without_scope.into_iter().collect();
        without_scope.insert(NO_SCOPE_TOKEN.to_string());
        AppState {
            store: RwLock::new(config.seed.store),
            owners: config.seed.owners,
            tokens: Tokens {
                full,
                without_scope,
            },
            oauth: OAuthState::new(config.oauth),
            limiter: RateLimiter::new(config.rate_limit, config.rate_window),
            latency: config.latency,
            log: Mutex::new(Vec::new()),
            base_url,
        }
    }

    fn store(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear_requests(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    PREFIXES
        .iter()
        .fold(Router::new(), |app, prefix| {
            app.merge(hubdb_routes(prefix, state.clone()))
        })
        .merge(oauth_routes())
        .merge(owners_routes(state.clone()))
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
        .route(
            "/__sandbox/requests",
            get(admin_requests).delete(admin_clear_requests),
        )
        .route("/__sandbox/oauth/expire", post(admin_expire_tokens))
        .route("/__sandbox/oauth/revoke", post(admin_revoke_grants))
        .with_state(state)
}

type AppStateRef = State<Arc<AppState>>;

fn guarded(state: &Arc<AppState>, scopes: &'static [&'static str]) -> Guarded {
    Guarded {
        state: state.clone(),
        scopes,
    }
}

/// Table and row reads, each guarded by the scopes HubSpot accepts for it (§2.3).
fn hubdb_routes(prefix: &str, state: Arc<AppState>) -> Router<Arc<AppState>> {
    table_routes(prefix)
        .route_layer(middleware::from_fn_with_state(
            guarded(&state, TABLES_READ),
            guard,
        ))
        .merge(
            row_routes(prefix).route_layer(middleware::from_fn_with_state(
                guarded(&state, ROWS_READ),
                guard,
            )),
        )
}

fn table_routes(prefix: &str) -> Router<Arc<AppState>> {
    let at = |path: &str| format!("{prefix}{path}");
    Router::new()
        .route(
            &at("/tables"),
            get(|s: AppStateRef, q: RawQuery, u: Uri| tables(s, q, u, false)),
        )
        .route(
            &at("/tables/draft"),
            get(|s: AppStateRef, q: RawQuery, u: Uri| tables(s, q, u, true)),
        )
        .route(
            &at("/tables/{table}"),
            get(|s: AppStateRef, p: Path<String>, q: RawQuery| table(s, p, q, false)),
        )
        .route(
            &at("/tables/{table}/draft"),
            get(|s: AppStateRef, p: Path<String>, q: RawQuery| table(s, p, q, true)),
        )
}

fn row_routes(prefix: &str) -> Router<Arc<AppState>> {
    let at = |path: &str| format!("{prefix}{path}");
    Router::new()
        .route(
            &at("/tables/{table}/rows"),
            get(|s: AppStateRef, p: Path<String>, q: RawQuery, u: Uri| rows(s, p, q, u, false)),
        )
        .route(
            &at("/tables/{table}/rows/draft"),
            get(|s: AppStateRef, p: Path<String>, q: RawQuery, u: Uri| rows(s, p, q, u, true)),
        )
        .route(
            &at("/tables/{table}/rows/{row}"),
            get(|s: AppStateRef, p: RowPath, q: RawQuery| row(s, p, q, false)),
        )
        .route(
            &at("/tables/{table}/rows/{row}/draft"),
            get(|s: AppStateRef, p: RowPath, q: RawQuery| row(s, p, q, true)),
        )
}

/// The consent page and the token endpoints: no bearer token, no rate limit.
fn oauth_routes() -> Router<Arc<AppState>> {
    let app = Router::new()
        .route("/oauth/authorize", get(authorize::authorize))
        .route(authorize::DECISION_PATH, post(authorize::decide))
        .route("/oauth/v1/token", post(token::token_v1))
        .route(
            "/oauth/v1/access-tokens/{token}",
            get(token::access_token_info),
        )
        .route(
            "/oauth/v1/refresh-tokens/{token}",
            get(token::refresh_token_info).delete(token::delete_refresh_token),
        );
    OAUTH_V3_PREFIXES.iter().fold(app, |app, prefix| {
        app.route(&format!("{prefix}/token"), post(token::token_v3))
            .route(
                &format!("{prefix}/token/introspect"),
                post(token::introspect),
            )
            .route(&format!("{prefix}/token/revoke"), post(token::revoke))
    })
}

fn owners_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/crm/v3/owners", get(owners::list))
        .route("/crm/v3/owners/{owner}", get(owners::one))
        .route_layer(middleware::from_fn_with_state(
            guarded(&state, OWNERS_READ),
            guard,
        ))
}

type RowPath = Path<(String, String)>;

/// A 200 with a JSON body and a correlation id.
pub fn ok(body: &Value) -> Response {
    let mut response = json_response(StatusCode::OK, body);
    set_header(
        &mut response,
        CORRELATION_HEADER.parse().expect("static"),
        &new_correlation_id(),
    );
    response
}

async fn not_found_route() -> ApiError {
    ApiError::not_found("No HubDB endpoint at this path")
}

async fn tables(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    uri: Uri,
    draft: bool,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    let link_base = format!("{}{}", state.base_url, uri.path());
    let body = list_tables(&state.store(), draft, &pairs, &link_base)?;
    Ok(ok(&body))
}

/// The table and the version a request reads, or 404: an unknown or archived table, or a
/// published read of a table that was never published (§6 notes, §9).
fn find_version<'s>(
    store: &'s Store,
    id_or_name: &str,
    pairs: &[(String, String)],
    draft: bool,
) -> Result<(&'s Table, &'s Version), ApiError> {
    let table = store
        .find(id_or_name, wants_archived(pairs))
        .ok_or_else(|| ApiError::not_found(format!("Table {id_or_name} not found")))?;
    let version = table.version(draft).ok_or_else(|| {
        ApiError::not_found(format!(
            "Table {id_or_name} has no published version: it exists only as a draft"
        ))
    })?;
    Ok((table, version))
}

async fn table(
    State(state): State<Arc<AppState>>,
    Path(id_or_name): Path<String>,
    RawQuery(query): RawQuery,
    draft: bool,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    let store = state.store();
    let (table, version) = find_version(&store, &id_or_name, &pairs, draft)?;
    let foreign_ids = pairs
        .iter()
        .any(|(k, v)| k == "includeForeignIds" && v == "true");
    Ok(ok(&table_json(&store, table, version, foreign_ids)))
}

async fn rows(
    State(state): State<Arc<AppState>>,
    Path(id_or_name): Path<String>,
    RawQuery(query): RawQuery,
    uri: Uri,
    draft: bool,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    let store = state.store();
    let (table, version) = find_version(&store, &id_or_name, &pairs, draft)?;
    let listing = format!("rows|{}|{draft}", table.id);
    let link_base = format!("{}{}", state.base_url, uri.path());
    let body = list_rows(version, &listing, &pairs, &link_base)?;
    let served = body["results"].as_array().map_or(0, Vec::len);
    Ok(with_rows_served(ok(&body), served))
}

async fn row(
    State(state): State<Arc<AppState>>,
    Path((id_or_name, row_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    draft: bool,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    let store = state.store();
    let (_, version) = find_version(&store, &id_or_name, &pairs, draft)?;
    let id: u64 = row_id
        .parse()
        .map_err(|_| ApiError::validation(format!("Row id must be numeric, got {row_id}")))?;
    let row = version
        .row(id)
        .ok_or_else(|| ApiError::not_found(format!("Row {id} not found in table {id_or_name}")))?;
    Ok(with_rows_served(ok(&row_json(version, row, None)), 1))
}

/// How many rows an answer carries, read by the request log.
#[derive(Clone, Copy)]
struct RowsServed(usize);

fn with_rows_served(mut response: Response, rows: usize) -> Response {
    response.extensions_mut().insert(RowsServed(rows));
    response
}

/// Records method, path, decoded query and status of every request but the admin ones, with
/// secrets redacted. Bodies are never recorded, so form fields of the token endpoints stay
/// out of the log.
async fn log_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = redact_path(request.uri().path());
    let query = redact_query(parse_query(request.uri().query()));
    let response = next.run(request).await;
    let entry = LoggedRequest {
        method,
        path,
        query,
        status: response.status().as_u16(),
        rows: response.extensions().get::<RowsServed>().map(|r| r.0),
    };
    state
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
    response
}

fn redact_path(path: &str) -> String {
    for prefix in TOKEN_PATHS {
        if path.len() > prefix.len() && path.starts_with(prefix) {
            return format!("{prefix}{REDACTED}");
        }
    }
    path.to_string()
}

fn redact_query(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            let secret = SECRET_PARAMETERS.contains(&key.as_str()) && !value.is_empty();
            let value = if secret { REDACTED.to_string() } else { value };
            (key, value)
        })
        .collect()
}

async fn admin_requests(State(state): State<Arc<AppState>>) -> Response {
    let body = serde_json::to_value(state.requests()).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &body)
}

async fn admin_clear_requests(State(state): State<Arc<AppState>>) -> Response {
    state.clear_requests();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__sandbox/oauth/expire`: every live OAuth access token expires now, so a test sees
/// `EXPIRED_AUTHENTICATION` without waiting 30 minutes.
async fn admin_expire_tokens(State(state): State<Arc<AppState>>) -> Response {
    let expired = state.oauth.expire_access_tokens();
    json_response(StatusCode::OK, &json!({"expired": expired}))
}

/// `POST /__sandbox/oauth/revoke`: every grant is revoked, as when each install is removed;
/// refresh then answers `BAD_REFRESH_TOKEN` and the access tokens 401.
async fn admin_revoke_grants(State(state): State<Arc<AppState>>) -> Response {
    let revoked = state.oauth.revoke_all();
    json_response(StatusCode::OK, &json!({"revoked": revoked}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_from_logged_paths_and_queries() {
        assert_eq!(
            redact_path("/oauth/v1/refresh-tokens/na1-abcd"),
            "/oauth/v1/refresh-tokens/[redacted]"
        );
        assert_eq!(redact_path("/oauth/v1/token"), "/oauth/v1/token");
        let pairs = vec![
            ("client_secret".to_string(), "s3cret".to_string()),
            ("client_id".to_string(), "abc".to_string()),
            ("code".to_string(), String::new()),
        ];
        let logged = redact_query(pairs);
        assert_eq!(logged[0].1, REDACTED);
        assert_eq!(logged[1].1, "abc");
        assert_eq!(logged[2].1, "");
    }
}

//! The HTTP server: routes of HubDB v3, the admin request log, start and shutdown.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::error::{ApiError, CORRELATION_HEADER, json_response, new_correlation_id, set_header};
use crate::guard::{RateLimiter, Tokens, guard};
use crate::model::{Store, Table, Version};
use crate::query::{list_rows, list_tables, parse_query, wants_archived};
use crate::render::{row_json, table_json};
use crate::{DEMO_TOKEN, LoggedRequest, NO_SCOPE_TOKEN, SandboxConfig};

/// The path prefixes HubDB v3 is served under: the versioned one the driver uses, and the
/// date-versioned copy with identical behaviour (§1, §15).
const PREFIXES: [&str; 2] = ["/cms/v3/hubdb", "/cms/hubdb/2026-03"];

pub struct AppState {
    pub store: RwLock<Store>,
    pub tokens: Tokens,
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
            tokens: Tokens {
                full,
                without_scope,
            },
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
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
        .route(
            "/__sandbox/requests",
            get(admin_requests).delete(admin_clear_requests),
        )
        .with_state(state)
}

type AppStateRef = State<Arc<AppState>>;

fn hubdb_routes(prefix: &str, state: Arc<AppState>) -> Router<Arc<AppState>> {
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
        .route_layer(middleware::from_fn_with_state(state, guard))
}

type RowPath = Path<(String, String)>;

fn ok(body: &Value) -> Response {
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

/// Records method, path, decoded query and status of every request but the admin ones.
async fn log_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = parse_query(request.uri().query());
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

async fn admin_requests(State(state): State<Arc<AppState>>) -> Response {
    let body = serde_json::to_value(state.requests()).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &body)
}

async fn admin_clear_requests(State(state): State<Arc<AppState>>) -> Response {
    state.clear_requests();
    StatusCode::NO_CONTENT.into_response()
}

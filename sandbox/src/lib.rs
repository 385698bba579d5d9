//! A local HubDB v3 server that behaves like HubSpot's: the demo and test backend of the
//! HubDB ODBC driver.
//!
//! It follows `reference/hubdb-api.md` and HubSpot's OpenAPI file (`hubdb-v3-relaxed.json`);
//! where they leave a behaviour open it takes the variant hardest for a client (DESIGN
//! "Sandbox"): an opaque `after` cursor holding `+`, `/` and `=`, the `STREAMING` row
//! collection with no offset in `paging`, empty cells left out of `values`, booleans as 0/1,
//! `limit` above 1000 clamped, case-sensitive column names, rows ordered by display index then
//! id unless sorted, nulls last ascending and first descending.
//!
//! # Endpoints
//!
//! Under `/cms/v3/hubdb` (and the date-versioned `/cms/hubdb/2026-03`): `GET /tables`,
//! `/tables/draft`, `/tables/{tableIdOrName}`, `/tables/{tableIdOrName}/draft`,
//! `/tables/{tableIdOrName}/rows`, `/rows/draft`, `/rows/{rowId}`, `/rows/{rowId}/draft`.
//! An all-digit `{tableIdOrName}` is an id, anything else a name. Archived tables are hidden
//! unless `archived=true`. Owners: `GET /crm/v3/owners` (`limit`, `after`, `email`,
//! `archived`) and `/crm/v3/owners/{ownerId}` (`idProperty`, `archived`).
//!
//! OAuth (reference §12): `GET /oauth/authorize` (consent page, or an immediate redirect
//! with auto-approval) and `POST /oauth/authorize/decision`; `POST /oauth/v1/token` and
//! `/oauth/v3/token` (grants `authorization_code` and `refresh_token`); `GET
//! /oauth/v1/access-tokens/{token}`, `GET` and `DELETE /oauth/v1/refresh-tokens/{token}`;
//! `POST /oauth/v3/token/introspect` and `/oauth/v3/token/revoke`. The v3 endpoints are
//! also served under `/oauth/2026-03` and `/oauth/2026-09`. The demo app
//! ([`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`]) requires `hubdb`, may get
//! `crm.objects.owners.read`, and accepts any `http://localhost:<port>` or
//! `http://127.0.0.1:<port>` redirect.
//!
//! Admin, with no auth and not logged: `GET /__sandbox/requests` (the request log as
//! `[{method, path, query: [[k, v], ...], status}]`, codes, tokens and secrets shown as
//! `[redacted]`), `DELETE /__sandbox/requests`, `POST /__sandbox/oauth/expire` (every
//! access token expires now) and `POST /__sandbox/oauth/revoke` (every grant is revoked).
//!
//! Every HubDB and owners call needs `Authorization: Bearer <token>`, a private-app token or
//! an OAuth access token: a missing, unknown or revoked token gets 401
//! `INVALID_AUTHENTICATION`, an expired OAuth token 401 `EXPIRED_AUTHENTICATION`, a token
//! without a scope the endpoint accepts 403 `MISSING_SCOPES` (HubDB: `hubdb` or the granular
//! read scope; owners: `crm.objects.owners.read` or `automation`), a caller past its budget
//! (default 100 requests per rolling 10 s; per private-app token, or per OAuth app and
//! account whichever token it uses) 429 with `errorType: RATE_LIMIT`, `policyName:
//! TEN_SECONDLY_ROLLING` and `category: RATE_LIMITS`, with `Retry-After` on every other 429
//! only. OAuth-authorized answers carry no daily rate-limit headers (§11.3).
//!
//! # Row filters
//!
//! `<column>__<op>=<value>` (no operator: `eq`), ANDed. Operators by column type:
//!
//! | type | operators |
//! |---|---|
//! | TEXT, RICHTEXT, URL, `hs_path`, `hs_name` | eq ne contains icontains startswith like not_like in not_in is_null not_null |
//! | NUMBER, CURRENCY, `hs_id` | eq ne lt lte gt gte in not_in is_null not_null |
//! | DATE, DATETIME, `hs_created_at` | eq ne lt lte gt gte is_null not_null (epoch ms, or relative `-3h`, `10s`) |
//! | BOOLEAN | eq ne (`1`/`0`/`true`/`false`; an empty cell is 0) |
//! | SELECT | eq ne in not_in is_null not_null (option id if all digits and matching, else name) |
//! | MULTISELECT, FOREIGN_ID | eq (exactly the set) ne contains in (any of) not_in is_null not_null |
//! | LOCATION (`lat,long`), IMAGE (url) | eq ne is_null not_null |
//!
//! Any other operator, an unknown operator or an unknown column is a 400 `VALIDATION_ERROR`.
//! An empty cell fails positive tests and passes `ne`, `not_in`, `not_like`. Text tests are
//! case-sensitive except `icontains`; `like` takes `%`, `_` and `\` as escape. `in` values
//! are comma-separated. `properties` names unknown to the table are ignored.
//!
//! # The demo seed (`seed/demo.json`)
//!
//! | table (id) | state | rows | columns |
//! |---|---|---|---|
//! | `store_locations` (5840101) | published, dynamic pages | 10 | store_name TEXT, description RICHTEXT, address TEXT, location LOCATION, region SELECT, services MULTISELECT, open_sundays BOOLEAN, floor_area_m2 NUMBER, opened_on DATE, website URL, photo IMAGE |
//! | `events` (5840102) | published; the draft differs | 8 published, 8 draft | title TEXT, starts_at DATETIME, ends_at DATETIME, format SELECT, topics MULTISELECT, capacity NUMBER, registration_open BOOLEAN, ticket_price CURRENCY, venue FOREIGN_ID (store_locations), agenda RICHTEXT, registration_url URL, notes TEXT; draft only: livestream_url URL |
//! | `price_list` (5840103) | published, generated | 10,000 | sku TEXT, product_name TEXT, category SELECT, unit_price CURRENCY, stock NUMBER, discontinued BOOLEAN, price_valid_from DATE, last_synced_at DATETIME |
//! | `team_members` (5840104) | published | 8 | full_name TEXT, job_title TEXT, department SELECT, skills MULTISELECT, bio RICHTEXT, headshot IMAGE, linkedin URL, start_date DATE, is_manager BOOLEAN, office FOREIGN_ID (store_locations), hourly_rate CURRENCY |
//! | `upcoming_webinars` (5840105) | draft only, never published | 3 | title TEXT, starts_at DATETIME, seats NUMBER, host TEXT |
//! | `spring_promotions_2023` (5840106) | archived | 3 | promo_code TEXT, discount_percent NUMBER, valid_until DATE |
//!
//! The data has accents, CJK and emoji (some outside the BMP, such as 😀), empty cells, and
//! `events` row 82000003 has a `notes` cell of 9,990 characters. In `events`, the draft
//! drops one published row, renames another and adds one never published; its column
//! `livestream_url` exists only in the draft. All timestamps are fixed.
//!
//! Owners: six active (one a `QUEUE` with no email or user id, some with teams, one with a
//! CJK name) and one archived, who has only `userIdIncludingInactive`. The first,
//! Maren Olsen (user [`INSTALLING_USER_ID`]), is the user who approves every OAuth install.

mod authorize;
mod cursor;
mod error;
mod filter;
mod guard;
mod model;
mod oauth;
mod owners;
mod query;
mod render;
mod seed;
mod server;
mod token;
mod values;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use oauth::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_HUB_DOMAIN, DEMO_OPTIONAL_SCOPES, DEMO_PORTAL_ID,
    DEMO_REQUIRED_SCOPES, INSTALLING_USER, INSTALLING_USER_ID, OAuthApp, OAuthConfig,
};
pub use seed::{Seed, SeedError};
pub use server::REDACTED;

/// A private-app token every sandbox accepts, with the `hubdb` and `crm.objects.owners.read`
/// scopes.
pub const DEMO_TOKEN: &str = "pat-na1-00000000-demo-0000-0000-000000000000";

/// A private-app token every sandbox knows but without any scope: calls get 403
/// `MISSING_SCOPES`.
pub const NO_SCOPE_TOKEN: &str = "pat-na1-00000000-nosc-0000-0000-000000000000";

/// How to run a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Accepted private-app tokens with the scopes of [`DEMO_TOKEN`], besides it.
    pub tokens: Vec<String>,
    /// Known private-app tokens without any scope, besides [`NO_SCOPE_TOKEN`].
    pub tokens_without_scope: Vec<String>,
    pub seed: Seed,
    /// Delay added to every HubDB and owners call (not to the OAuth or admin endpoints).
    pub latency: Duration,
    /// Requests per window per private-app token, or per OAuth app and account; 0 means no
    /// limit.
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// OAuth apps, consent and token lifetimes.
    pub oauth: OAuthConfig,
}

impl Default for SandboxConfig {
    /// The demo seed, HubSpot's Free/Starter budget of 100 requests per 10 s (§11.2).
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            tokens: Vec::new(),
            tokens_without_scope: Vec::new(),
            seed: Seed::demo(),
            latency: Duration::ZERO,
            rate_limit: 100,
            rate_window: Duration::from_secs(10),
            oauth: OAuthConfig::default(),
        }
    }
}

/// One request as the sandbox saw it; the query is decoded (`+` became a space).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub status: u16,
    /// Rows the answer carried (row listings and single-row reads), so benchmarks and tests
    /// can tell how many rows crossed the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
}

/// A sandbox serving on 127.0.0.1 until [`RunningSandbox::shutdown`] or drop.
pub struct RunningSandbox {
    base_url: String,
    state: Arc<server::AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts a sandbox on 127.0.0.1 and returns once it accepts connections.
pub async fn start(config: SandboxConfig) -> std::io::Result<RunningSandbox> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let state = Arc::new(server::AppState::new(config, base_url.clone()));
    let app = server::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningSandbox {
        base_url,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests()
    }

    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Makes every live OAuth access token expire now (as `POST /__sandbox/oauth/expire`);
    /// returns how many did.
    pub fn expire_oauth_tokens(&self) -> usize {
        self.state.oauth.expire_access_tokens()
    }

    /// Revokes every OAuth grant (as `POST /__sandbox/oauth/revoke`); returns how many were
    /// live.
    pub fn revoke_oauth_grants(&self) -> usize {
        self.state.oauth.revoke_all()
    }

    /// Stops accepting connections and waits (at most 5 s) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            let finished = tokio::time::timeout(Duration::from_secs(5), &mut task).await;
            if finished.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

//! What stands before every HubDB and owners endpoint: authentication by private-app or
//! OAuth token, scopes, the rate limit, the configured latency, and the rate-limit headers
//! (reference/hubdb-api.md §2, §10, §11).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ApiError, new_correlation_id, set_header};
use crate::oauth::{AccessLookup, DEMO_PORTAL_ID, now_ms};
use crate::server::AppState;
use crate::values::iso;

/// HubSpot's daily budget of a Free/Starter account (§11.2), shown in the daily headers.
const DAILY_LIMIT: u64 = 250_000;

/// HubDB table reads accept the umbrella scope or the granular one (§2.3).
pub const TABLES_READ: &[&str] = &["hubdb", "hubdb.tables.read"];
/// HubDB row reads accept the umbrella scope or the granular one (§2.3).
pub const ROWS_READ: &[&str] = &["hubdb", "hubdb.rows.read"];
/// The owners list accepts either scope of its spec's `security` (§2.3, SPEC-OWNERS).
pub const OWNERS_READ: &[&str] = &["crm.objects.owners.read", "automation"];

/// What the private app behind every token "with scope" was granted: HubDB and owners.
const PRIVATE_APP_SCOPES: &[&str] = &["hubdb", "crm.objects.owners.read"];

/// The guard of one group of routes: the app state and the scopes, any one of which lets a
/// caller in.
#[derive(Clone)]
pub struct Guarded {
    pub state: Arc<AppState>,
    pub scopes: &'static [&'static str],
}

/// Who is calling, once authenticated.
struct Caller {
    /// What the rate limit counts against: a private app's token, or an OAuth app installed
    /// in an account, whichever of its tokens is used (§11.2: "per app", "per installed
    /// account"), so a fresh token brings no fresh budget.
    budget: String,
    scopes: Vec<String>,
    /// HubSpot sends no daily headers on OAuth-authorized requests (§11.3).
    oauth: bool,
}

/// Private-app tokens the sandbox accepts: with the demo private app's scopes (`hubdb` and
/// `crm.objects.owners.read`), or with none.
pub struct Tokens {
    pub full: HashSet<String>,
    pub without_scope: HashSet<String>,
}

/// A rolling window of request times per token (policy `TEN_SECONDLY_ROLLING`, §11.3).
pub struct RateLimiter {
    pub limit: u32,
    pub window: Duration,
    windows: Mutex<HashMap<String, TokenWindow>>,
}

#[derive(Default)]
struct TokenWindow {
    hits: VecDeque<Instant>,
    rejected: u64,
    total: u64,
}

/// The limiter's verdict for one request.
enum Verdict {
    Allowed { remaining: u32, daily_used: u64 },
    Limited { retry_after: Option<u64> },
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `token`. Refused requests do not use up the budget. `Retry-After`
    /// goes on every other 429 only (the first, third, ...): HubSpot does not document it
    /// (§11.3), so clients must cope with and without it.
    fn check(&self, token: &str) -> Verdict {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = windows.entry(token.to_string()).or_default();
        while entry
            .hits
            .front()
            .is_some_and(|hit| now.duration_since(*hit) >= self.window)
        {
            entry.hits.pop_front();
        }
        let unlimited = self.limit == 0;
        if unlimited || entry.hits.len() < self.limit as usize {
            entry.hits.push_back(now);
            entry.total += 1;
            let remaining = (self.limit as usize).saturating_sub(entry.hits.len()) as u32;
            return Verdict::Allowed {
                remaining,
                daily_used: entry.total,
            };
        }
        entry.rejected += 1;
        let oldest = entry.hits.front().copied().unwrap_or(now);
        let wait = self.window.saturating_sub(now.duration_since(oldest));
        let retry_after =
            (entry.rejected % 2 == 1).then(|| wait.as_secs_f64().ceil().max(1.0) as u64);
        Verdict::Limited { retry_after }
    }
}

/// Middleware of the HubDB and owners routes: 401 before 403 before 429, and refused
/// requests use up no budget.
pub async fn guard(State(guarded): State<Guarded>, request: Request, next: Next) -> Response {
    let state = &guarded.state;
    let caller = match authenticate(state, &request) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    if !guarded
        .scopes
        .iter()
        .any(|needed| caller.scopes.iter().any(|granted| granted == needed))
    {
        return missing_scopes(guarded.scopes).into_response();
    }
    let daily = |used: u64| (!caller.oauth).then_some(used);
    let (remaining, daily_used) = match state.limiter.check(&caller.budget) {
        Verdict::Allowed {
            remaining,
            daily_used,
        } => (remaining, daily(daily_used)),
        Verdict::Limited { retry_after } => {
            return rate_limited(&state.limiter, retry_after, daily(0));
        }
    };
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    let mut response = next.run(request).await;
    add_rate_headers(&mut response, &state.limiter, remaining, daily_used);
    response
}

/// The caller behind the bearer token, or the 401 HubSpot sends (§10.2): a missing, unknown
/// or revoked token is `INVALID_AUTHENTICATION`, an expired OAuth token
/// `EXPIRED_AUTHENTICATION`.
fn authenticate(state: &AppState, request: &Request) -> Result<Caller, ApiError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = header
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(unauthenticated)?;
    let private_app = |scopes: &[&str]| Caller {
        budget: token.clone(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        oauth: false,
    };
    if state.tokens.full.contains(&token) {
        return Ok(private_app(PRIVATE_APP_SCOPES));
    }
    if state.tokens.without_scope.contains(&token) {
        return Ok(private_app(&[]));
    }
    match state.oauth.access_token(&token) {
        AccessLookup::Active(info) => Ok(Caller {
            budget: format!("oauth|{}|{DEMO_PORTAL_ID}", info.client_id),
            scopes: info.scopes,
            oauth: true,
        }),
        AccessLookup::Expired(at) => Err(expired_authentication(at)),
        AccessLookup::Unknown => Err(unauthenticated()),
    }
}

/// HubSpot's body for an expired OAuth token (§10.2), with the expiry in `context`.
pub fn expired_authentication(expired_at: i64) -> ApiError {
    let ago = ((now_ms() - expired_at) / 1000).max(0);
    let message = format!("The OAuth token used to make this call expired {ago} second(s) ago.");
    ApiError::new(StatusCode::UNAUTHORIZED, "EXPIRED_AUTHENTICATION", message)
        .with("context", json!({"expire time": [iso(expired_at)]}))
        .with_header(
            HeaderName::from_static("x-hubspot-auth-failure"),
            "401 Unauthorized".into(),
        )
}

fn unauthenticated() -> ApiError {
    let message = "Authentication credentials not found. This API supports both API Key and OAuth 2.0 \
                   authentication and you can find more details at \
                   https://developers.hubspot.com/docs/methods/auth/oauth-overview";
    ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION", message).with_header(
        HeaderName::from_static("x-hubspot-auth-failure"),
        "401 Unauthorized".into(),
    )
}

/// 403 naming the scopes that would do: "one or more of the following" (§10.2).
fn missing_scopes(required: &[&str]) -> ApiError {
    let message = "This app hasn't been granted all required scopes to make this call. \
                   Read more about required scopes here: https://developers.hubspot.com/scopes.";
    let detail = json!([{
        "message": "One or more of the following scopes are required.",
        "context": {"requiredScopes": required}
    }]);
    ApiError::new(StatusCode::FORBIDDEN, "MISSING_SCOPES", message)
        .with("errors", detail)
        .with(
            "links",
            json!({"scopes": "https://developers.hubspot.com/scopes"}),
        )
}

/// 429 with HubSpot's `errorType` and `policyName`, plus `category` so that the body stays
/// valid for the spec's `Error` schema (§11.3, DESIGN "Sandbox").
fn rate_limited(limiter: &RateLimiter, retry_after: Option<u64>, daily: Option<u64>) -> Response {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITS",
        "You have reached your ten_secondly_rolling limit.",
    )
    .with("errorType", json!("RATE_LIMIT"))
    .with("policyName", json!("TEN_SECONDLY_ROLLING"))
    .with("requestId", json!(new_correlation_id()));
    if let Some(seconds) = retry_after {
        error = error.with_header(header::RETRY_AFTER, seconds.to_string());
    }
    let mut response = error.into_response();
    add_rate_headers(&mut response, limiter, 0, daily);
    response
}

/// The window headers, and the daily ones when `daily_used` is given (§11.3).
fn add_rate_headers(
    response: &mut Response,
    limiter: &RateLimiter,
    remaining: u32,
    daily_used: Option<u64>,
) {
    let mut pairs = vec![
        (
            "x-hubspot-ratelimit-interval-milliseconds",
            limiter.window.as_millis().to_string(),
        ),
        ("x-hubspot-ratelimit-max", limiter.limit.to_string()),
        ("x-hubspot-ratelimit-remaining", remaining.to_string()),
    ];
    if let Some(used) = daily_used {
        pairs.push(("x-hubspot-ratelimit-daily", DAILY_LIMIT.to_string()));
        pairs.push((
            "x-hubspot-ratelimit-daily-remaining",
            DAILY_LIMIT.saturating_sub(used).to_string(),
        ));
    }
    for (name, value) in pairs {
        set_header(response, HeaderName::from_static(name), &value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_refuses_past_the_limit_and_retry_after_alternates() {
        let limiter = RateLimiter::new(2, Duration::from_secs(10));
        assert!(matches!(
            limiter.check("t"),
            Verdict::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            limiter.check("t"),
            Verdict::Allowed { remaining: 0, .. }
        ));
        assert!(matches!(
            limiter.check("t"),
            Verdict::Limited {
                retry_after: Some(10)
            }
        ));
        assert!(matches!(
            limiter.check("t"),
            Verdict::Limited { retry_after: None }
        ));
        assert!(matches!(limiter.check("other"), Verdict::Allowed { .. }));
    }

    #[test]
    fn a_zero_limit_means_no_limit() {
        let limiter = RateLimiter::new(0, Duration::from_secs(10));
        assert!((0..500).all(|_| matches!(limiter.check("t"), Verdict::Allowed { .. })));
    }
}

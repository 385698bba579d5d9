//! What stands before every HubDB endpoint: authentication, scopes, the per-token rate limit,
//! the configured latency, and the rate-limit headers (reference/hubdb-api.md §2, §10, §11).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ApiError, new_correlation_id, set_header};
use crate::server::AppState;

/// HubSpot's daily budget of a Free/Starter account (§11.2), shown in the daily headers.
const DAILY_LIMIT: u64 = 250_000;

/// Tokens the sandbox accepts, with or without the `hubdb` scope.
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

/// Middleware of the HubDB routes.
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let token = match authenticate(&state.tokens, &request) {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let (remaining, daily_used) = match state.limiter.check(&token) {
        Verdict::Allowed {
            remaining,
            daily_used,
        } => (remaining, daily_used),
        Verdict::Limited { retry_after } => return rate_limited(&state.limiter, retry_after),
    };
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    let mut response = next.run(request).await;
    add_rate_headers(&mut response, &state.limiter, remaining, daily_used);
    response
}

/// The bearer token, or the 401 / 403 HubSpot sends (§10.2).
fn authenticate(tokens: &Tokens, request: &Request) -> Result<String, ApiError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = header
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    match token {
        Some(token) if tokens.full.contains(&token) => Ok(token),
        Some(token) if tokens.without_scope.contains(&token) => Err(missing_scopes()),
        _ => Err(unauthenticated()),
    }
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

fn missing_scopes() -> ApiError {
    let message = "This app hasn't been granted all required scopes to make this call. \
                   Read more about required scopes here: https://developers.hubspot.com/scopes.";
    let detail = json!([{
        "message": "One or more of the following scopes are required.",
        "context": {"requiredScopes": ["hubdb"]}
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
fn rate_limited(limiter: &RateLimiter, retry_after: Option<u64>) -> Response {
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
    add_rate_headers(&mut response, limiter, 0, 0);
    response
}

fn add_rate_headers(
    response: &mut Response,
    limiter: &RateLimiter,
    remaining: u32,
    daily_used: u64,
) {
    let pairs = [
        (
            "x-hubspot-ratelimit-interval-milliseconds",
            limiter.window.as_millis().to_string(),
        ),
        ("x-hubspot-ratelimit-max", limiter.limit.to_string()),
        ("x-hubspot-ratelimit-remaining", remaining.to_string()),
        ("x-hubspot-ratelimit-daily", DAILY_LIMIT.to_string()),
        (
            "x-hubspot-ratelimit-daily-remaining",
            DAILY_LIMIT.saturating_sub(daily_used).to_string(),
        ),
    ];
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

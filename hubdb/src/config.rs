//! How a [`crate::Client`] reaches HubSpot: base URL, token, timeout and retry budget.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Secret;
use crate::credential::Credential;
use crate::limiter::RateBudget;

/// HubSpot's public API host (reference §1).
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

/// Settings of one client. `Debug` shows the token as `***`.
#[derive(Clone)]
pub struct ClientConfig {
    /// `APIBaseURL`: scheme, host and an optional path prefix; a trailing slash is tolerated.
    pub base_url: String,
    /// Sent as `Authorization: Bearer` (reference §2.1); an empty token sends no header.
    pub token: Secret,
    /// Where tokens come from when they change (OAuth, §12): used instead of `token`.
    pub credential: Option<Arc<dyn Credential>>,
    /// Whole-request limit: connecting, sending and reading the body.
    pub timeout: std::time::Duration,
    /// Retries after the first attempt, for 429 and, on reads, 5xx and dropped connections.
    pub max_retries: u32,
    /// Unit of HubSpot's 429 back-off when no `Retry-After` is sent: 1 s × attempt, or
    /// 10 × unit × attempt for `TEN_SECONDLY_ROLLING` (reference §11.3).
    pub rate_limit_backoff: Duration,
    /// Unit of the back-off after a 5xx or a dropped connection: 200 ms × attempt (§11.3).
    pub server_error_backoff: Duration,
    /// A 429 whose wait would exceed this fails at once instead of blocking the caller
    /// (a `DAILY` limit, or a `Retry-After` of an hour).
    pub max_retry_wait: Duration,
    /// Pacing shared by every client of this base URL and token in the process (B16);
    /// `None` sends as fast as asked.
    pub rate_budget: Option<RateBudget>,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl ClientConfig {
    /// Defaults: 60 s timeout, HubSpot's own client policy of 6 retries (reference §11.3) and
    /// the Free/Starter budget of 100 requests per 10 s (§11.2).
    pub fn new(base_url: impl Into<String>, token: Secret) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            credential: None,
            timeout: Duration::from_secs(60),
            max_retries: 6,
            rate_limit_backoff: Duration::from_secs(1),
            server_error_backoff: Duration::from_millis(200),
            max_retry_wait: Duration::from_secs(120),
            rate_budget: Some(RateBudget::HUBSPOT_FREE),
            user_agent: format!("hubdb-odbc/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new(DEFAULT_BASE_URL, Secret::default())
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("credential", &self.credential.as_ref().map(|c| c.key()))
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("rate_limit_backoff", &self.rate_limit_backoff)
            .field("server_error_backoff", &self.server_error_backoff)
            .field("max_retry_wait", &self.max_retry_wait)
            .field("rate_budget", &self.rate_budget)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_token() {
        let config = ClientConfig::new("http://127.0.0.1:1", Secret::new("pat-na1-secret"));
        let printed = format!("{config:?}");
        assert!(printed.contains("Secret(***)"), "{printed}");
        assert!(!printed.contains("pat-na1-secret"), "{printed}");
    }
}

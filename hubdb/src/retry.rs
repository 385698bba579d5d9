//! When a failed request is sent again, and after how long.
//!
//! HubSpot's own client waits 10 s × attempt after a `TEN_SECONDLY_ROLLING` 429, 1 s × attempt
//! after "You have reached your secondly limit.", and 200 ms × attempt after a 5xx
//! (reference §11.3, NODE `RetryDecorator.ts`). HubSpot does not document `Retry-After`, but
//! when a server sends it, it knows best, so it wins. A `DAILY` limit does not clear within a
//! query, so it is not retried.

use std::time::Duration;

use crate::{ClientConfig, Error, ErrorKind};

/// Whether a request may be repeated after a failure that may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Reads: 429, 5xx and a dropped connection are retried.
    Read,
    /// Writes: only 429, which says the request was refused before it was carried out.
    Write,
}

/// One failed attempt, with what the response said about waiting.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub retry_after: Option<Duration>,
    pub policy_name: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
            policy_name: None,
        }
    }
}

/// The wait before attempt `attempt + 1`, or `None` to give up. `attempt` counts from 1.
pub fn delay_before_retry(
    failure: &Failure,
    mode: RetryMode,
    attempt: u32,
    config: &ClientConfig,
) -> Option<Duration> {
    if attempt > config.max_retries {
        return None;
    }
    match failure.error.kind {
        ErrorKind::RateLimited => {
            rate_limit_delay(failure, attempt, config).filter(|d| *d <= config.max_retry_wait)
        }
        ErrorKind::Server | ErrorKind::ConnectionLost if mode == RetryMode::Read => {
            Some(config.server_error_backoff * attempt)
        }
        _ => None,
    }
}

fn rate_limit_delay(failure: &Failure, attempt: u32, config: &ClientConfig) -> Option<Duration> {
    if let Some(wait) = failure.retry_after {
        return Some(wait);
    }
    let unit = config.rate_limit_backoff;
    match failure.policy_name.as_deref() {
        Some("DAILY") => None,
        Some("TEN_SECONDLY_ROLLING") => Some(unit * 10 * attempt),
        // "You have reached your secondly limit." and any other policy: 1 s × attempt.
        _ => Some(unit * attempt),
    }
}

/// `Retry-After` in seconds (integer or decimal); the HTTP-date form is not used by HubSpot.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn config() -> ClientConfig {
        ClientConfig::new("http://127.0.0.1:1", Secret::default())
    }

    fn failure(kind: ErrorKind, retry_after: Option<u64>, policy: Option<&str>) -> Failure {
        Failure {
            error: Error::new(kind, "x"),
            retry_after: retry_after.map(Duration::from_secs),
            policy_name: policy.map(str::to_string),
        }
    }

    #[test]
    fn retry_after_wins_over_the_policy() {
        let f = failure(
            ErrorKind::RateLimited,
            Some(2),
            Some("TEN_SECONDLY_ROLLING"),
        );
        let delay = delay_before_retry(&f, RetryMode::Read, 3, &config());
        assert_eq!(delay, Some(Duration::from_secs(2)));
    }

    #[test]
    fn ten_secondly_policy_waits_ten_seconds_per_attempt() {
        let f = failure(ErrorKind::RateLimited, None, Some("TEN_SECONDLY_ROLLING"));
        let delay = delay_before_retry(&f, RetryMode::Write, 2, &config());
        assert_eq!(delay, Some(Duration::from_secs(20)));
    }

    #[test]
    fn secondly_and_unknown_policies_wait_one_second_per_attempt() {
        let f = failure(ErrorKind::RateLimited, None, Some("SECONDLY"));
        assert_eq!(
            delay_before_retry(&f, RetryMode::Read, 3, &config()),
            Some(Duration::from_secs(3))
        );
        let f = failure(ErrorKind::RateLimited, None, None);
        assert_eq!(
            delay_before_retry(&f, RetryMode::Read, 1, &config()),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn daily_limit_and_overlong_waits_are_not_retried() {
        let f = failure(ErrorKind::RateLimited, None, Some("DAILY"));
        assert_eq!(delay_before_retry(&f, RetryMode::Read, 1, &config()), None);
        let f = failure(ErrorKind::RateLimited, Some(3600), None);
        assert_eq!(delay_before_retry(&f, RetryMode::Read, 1, &config()), None);
    }

    #[test]
    fn server_errors_and_dropped_connections_are_retried_on_reads_only() {
        for kind in [ErrorKind::Server, ErrorKind::ConnectionLost] {
            let f = failure(kind, None, None);
            assert_eq!(
                delay_before_retry(&f, RetryMode::Read, 2, &config()),
                Some(Duration::from_millis(400))
            );
            assert_eq!(delay_before_retry(&f, RetryMode::Write, 2, &config()), None);
        }
    }

    #[test]
    fn client_errors_timeouts_and_refused_connections_are_final() {
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::Unauthorized,
            ErrorKind::Timeout,
            ErrorKind::Connect,
        ] {
            assert_eq!(
                delay_before_retry(&failure(kind, None, None), RetryMode::Read, 1, &config()),
                None
            );
        }
    }

    #[test]
    fn retries_stop_after_max_retries() {
        let f = failure(ErrorKind::Server, None, None);
        let config = config();
        assert!(delay_before_retry(&f, RetryMode::Read, config.max_retries, &config).is_some());
        assert_eq!(
            delay_before_retry(&f, RetryMode::Read, config.max_retries + 1, &config),
            None
        );
    }

    #[test]
    fn retry_after_header_values() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}

//! A process-wide request budget per credential (B16).
//!
//! HubSpot counts requests per private app or per installed OAuth app, over a rolling
//! 10-second window (reference §11.2), not per client object: eight ODBC connections with
//! one token share one budget. So every client built with the same base URL and token takes
//! its turns from one [`Limiter`], and waits for a free slot instead of provoking 429s.
//! 429s still happen when other processes spend the same budget; the retry policy handles them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// At most `requests` requests in any rolling `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateBudget {
    pub requests: u32,
    pub window: Duration,
}

impl RateBudget {
    /// HubSpot's smallest published budget: 100 requests per 10 s for Free and Starter
    /// accounts (reference §11.2); higher tiers may raise it in the configuration.
    pub const HUBSPOT_FREE: RateBudget = RateBudget {
        requests: 100,
        window: Duration::from_secs(10),
    };
}

/// Send times of the requests in the current window, shared by all clients of one credential.
#[derive(Debug)]
pub struct Limiter {
    budget: RateBudget,
    sent: Mutex<VecDeque<Instant>>,
}

/// Limiters by base URL, credential key and budget; the key holds no secret.
type Registry = Mutex<HashMap<(String, String, RateBudget), Arc<Limiter>>>;

impl Limiter {
    pub fn new(budget: RateBudget) -> Self {
        Self {
            budget,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// The limiter every client of this base URL and credential shares in this process
    /// (B16: the budget belongs to the account's app, not to a client object): the one of
    /// base URL and credential (`Credential::key`, which holds no
    /// secret), made on first use.
    pub fn shared(base_url: &str, credential_key: &str, budget: RateBudget) -> Arc<Limiter> {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let key = (base_url.to_string(), credential_key.to_string(), budget);
        let mut registry = REGISTRY
            .get_or_init(Registry::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        registry
            .entry(key)
            .or_insert_with(|| Arc::new(Limiter::new(budget)))
            .clone()
    }

    /// Waits until a request fits in the budget, then counts it. Each wait ends when the
    /// oldest request leaves the window, so the loop ends after at most `requests` rounds
    /// per window even with many waiters.
    pub async fn acquire(&self) {
        if self.budget.requests == 0 {
            return;
        }
        loop {
            let wait = match self.try_acquire(Instant::now()) {
                None => return,
                Some(wait) => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// How long a request holds its slot: the window plus 5 %. HubSpot counts a request when
    /// it arrives, which is later than when it was sent here; without the margin a burst at
    /// the edge of the window reaches HubSpot inside the previous one and gets 429s (seen
    /// with 16 connections sharing one token: 5 of 185 requests refused).
    fn held(&self) -> Duration {
        self.budget.window + self.budget.window / 20
    }

    /// Counts a request sent at `now` and returns `None`, or returns how long to wait.
    fn try_acquire(&self, now: Instant) -> Option<Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let held = self.held();
        while sent.front().is_some_and(|t| now.duration_since(*t) >= held) {
            sent.pop_front();
        }
        if sent.len() < self.budget.requests as usize {
            sent.push_back(now);
            return None;
        }
        let oldest = *sent.front()?;
        Some(held.saturating_sub(now.duration_since(oldest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(requests: u32, millis: u64) -> RateBudget {
        RateBudget {
            requests,
            window: Duration::from_millis(millis),
        }
    }

    #[test]
    fn requests_beyond_the_budget_wait_for_the_oldest_to_leave_the_window() {
        let limiter = Limiter::new(budget(2, 1000));
        let start = Instant::now();
        assert_eq!(limiter.try_acquire(start), None);
        assert_eq!(
            limiter.try_acquire(start + Duration::from_millis(100)),
            None
        );
        // The slot is held for the window plus the 5 % margin: 1050 ms.
        let wait = limiter.try_acquire(start + Duration::from_millis(400));
        assert_eq!(wait, Some(Duration::from_millis(650)));
        assert!(
            limiter
                .try_acquire(start + Duration::from_millis(1000))
                .is_some()
        );
        assert_eq!(
            limiter.try_acquire(start + Duration::from_millis(1050)),
            None
        );
    }

    #[test]
    fn clients_of_one_credential_share_a_limiter_and_others_do_not() {
        let one = Limiter::shared("http://h", "token#1", budget(5, 10));
        let two = Limiter::shared("http://h", "token#1", budget(5, 10));
        let other = Limiter::shared("http://h", "token#2", budget(5, 10));
        assert!(Arc::ptr_eq(&one, &two));
        assert!(!Arc::ptr_eq(&one, &other));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_paces_requests_to_the_budget() {
        let limiter = Limiter::new(budget(3, 1000));
        let start = Instant::now();
        for _ in 0..7 {
            limiter.acquire().await;
        }
        // 3 at once, 3 after one held window (1050 ms), the 7th after two.
        assert_eq!(start.elapsed(), Duration::from_millis(2100));
    }
}

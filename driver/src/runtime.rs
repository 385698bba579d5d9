//! The driver's one tokio runtime (DESIGN "HTTP").
//!
//! ODBC calls arrive on the application's threads; HTTP work runs on the driver's own worker
//! threads, so an application that runs its own tokio runtime is not disturbed: the calling
//! thread only waits for a call thread, which polls the future with a plain executor while
//! the runtime's workers drive sockets and timers. Every wait is bounded by a timeout and can
//! be cancelled (SQLCancel from another thread).
//!
//! Planning and evaluating an expression recurses once per nesting level inside DataFusion,
//! and a generated statement (`a = 1 OR a = 2 OR ...`) can nest a thousand levels: on the
//! application's thread, whose stack may be 1 MB (Windows, JVM threads), that overflows, and
//! a stack overflow kills the host process where `catch_unwind` cannot help. So each wait
//! runs on a thread of its own with a large stack (`STACK_SIZE`, reserved, not committed),
//! and the runtime's workers get the same.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::error::{DriverError, DriverResult, SqlState};

/// Worker threads of the driver's runtime: HTTP is I/O bound, two are plenty.
const WORKER_THREADS: usize = 2;

/// Stack of the threads that plan and run statements: 64 MiB of address space, of which
/// only what a deep expression touches is ever committed.
const STACK_SIZE: usize = 64 << 20;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_stack_size(STACK_SIZE)
            .thread_name("hubdb-odbc")
            .enable_all()
            .build()
            .expect("the driver's tokio runtime must start")
    })
}

/// How long a wait may take, and the SQLSTATE that reports its expiry: the ODBC reference
/// gives `HYT01` to `SQL_ATTR_CONNECTION_TIMEOUT` and `HYT00` to the query and login timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub duration: Duration,
    pub state: SqlState,
}

impl Limit {
    /// `SQL_ATTR_QUERY_TIMEOUT`, `SQL_ATTR_LOGIN_TIMEOUT` or the `Timeout` property: `HYT00`.
    pub fn query(duration: Duration) -> Limit {
        Limit {
            duration,
            state: SqlState::TIMEOUT,
        }
    }

    /// `SQL_ATTR_CONNECTION_TIMEOUT`: `HYT01`.
    pub fn connection(duration: Duration) -> Limit {
        Limit {
            duration,
            state: SqlState::CONNECTION_TIMEOUT,
        }
    }
}

/// A cancel switch shared between a running call and SQLCancel.
#[derive(Debug, Default)]
pub struct Cancel {
    requested: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// Asks the running call (if any) to stop; it returns `HY008`.
    pub fn cancel(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Re-arms the switch before a new call.
    pub fn reset(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }

    fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

/// Runs `fut` to completion on the driver's runtime; `timeout` expiry gives its SQLSTATE.
pub fn block_on<F>(fut: F, timeout: Option<Limit>) -> DriverResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    block_on_cancellable(fut, timeout, None)
}

/// Like [`block_on`], and `cancel` stops the wait with `HY008`.
pub fn block_on_cancellable<F: Future + Send>(
    fut: F,
    timeout: Option<Limit>,
    cancel: Option<&Cancel>,
) -> DriverResult<F::Output>
where
    F::Output: Send,
{
    std::thread::scope(|scope| {
        let waiter = std::thread::Builder::new()
            .name("hubdb-odbc-call".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || wait_on_runtime(fut, timeout, cancel))
            .map_err(|e| {
                let message = format!("cannot start a thread for the call: {e}");
                DriverError::new(SqlState::MEMORY_ALLOCATION, message)
            })?;
        waiter
            .join()
            .unwrap_or_else(|_| Err(DriverError::internal()))
    })
}

fn wait_on_runtime<F: Future>(
    fut: F,
    timeout: Option<Limit>,
    cancel: Option<&Cancel>,
) -> DriverResult<F::Output> {
    let _context = runtime().handle().enter();
    futures::executor::block_on(async {
        let cancelled = async {
            match cancel {
                Some(cancel) => wait_for_cancel(cancel).await,
                None => std::future::pending().await,
            }
        };
        let limit = timeout.filter(|t| !t.duration.is_zero());
        let expired = async {
            match limit {
                Some(limit) => tokio::time::sleep(limit.duration).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            output = fut => Ok(output),
            () = cancelled => Err(DriverError::canceled()),
            () = expired => Err(limit.map_or_else(DriverError::internal, |limit| {
                DriverError::timeout(limit.state, limit.duration.as_secs())
            })),
        }
    })
}

async fn wait_for_cancel(cancel: &Cancel) {
    loop {
        let notified = cancel.notify.notified();
        if cancel.is_requested() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn completes_a_future() {
        let value = block_on(async { 41 + 1 }, None).expect("no timeout");
        assert_eq!(value, 42);
    }

    #[test]
    fn timeout_gives_hyt00() {
        let slow = async { tokio::time::sleep(Duration::from_secs(5)).await };
        let err = block_on(slow, Some(Limit::query(Duration::from_millis(50))));
        assert_eq!(err.expect_err("times out").state.as_str(), "HYT00");
    }

    #[test]
    fn connection_timeout_gives_hyt01() {
        let slow = async { tokio::time::sleep(Duration::from_secs(5)).await };
        let err = block_on(slow, Some(Limit::connection(Duration::from_millis(50))));
        assert_eq!(err.expect_err("times out").state.as_str(), "HYT01");
    }

    #[test]
    fn cancel_from_another_thread_gives_hy008() {
        let cancel = Arc::new(Cancel::default());
        let remote = Arc::clone(&cancel);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            remote.cancel();
        });
        let slow = async { tokio::time::sleep(Duration::from_secs(5)).await };
        let limit = Some(Limit::query(Duration::from_secs(10)));
        let err = block_on_cancellable(slow, limit, Some(&cancel)).expect_err("cancelled");
        assert_eq!(err.state.as_str(), "HY008");
        canceller.join().expect("canceller thread");
    }
}

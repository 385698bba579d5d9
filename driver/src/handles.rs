//! The handle types behind `SQLHENV`, `SQLHDBC`, `SQLHSTMT` and `SQLHDESC`, and their
//! attributes.
//!
//! Every handle is shared (`Arc`) between the registry in `guard.rs` and the handles that
//! refer to it; its state sits behind a mutex, so calls on different handles run in parallel
//! and calls on the same handle are serialised (ODBC allows that, reference/odbc.md §1.1).
//! The cancel switch and the diagnostics live outside the state lock so SQLCancel and
//! SQLGetDiagRec work while another thread is inside a call.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::runtime::{Cancel, Limit};
use crate::statement::StatementState;

/// Locks a mutex, taking the data even when a panic (caught at the boundary) poisoned it:
/// the driver's state stays usable after an internal error.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `SQL_OV_ODBC2`, `SQL_OV_ODBC3`, `SQL_OV_ODBC3_80` (sqlext.h).
pub const ODBC_VERSIONS: [i32; 3] = [2, 3, 380];

/// An environment handle.
#[derive(Debug)]
pub struct Environment {
    pub diag: Mutex<Diagnostics>,
    /// `SQL_ATTR_ODBC_VERSION` as the application declared it.
    pub odbc_version: Mutex<i32>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            diag: Mutex::default(),
            odbc_version: Mutex::new(3),
        }
    }
}

/// A connection handle.
#[derive(Debug)]
pub struct Connection {
    pub diag: Mutex<Diagnostics>,
    pub env: Arc<Environment>,
    pub state: Mutex<ConnectionState>,
}

impl Connection {
    pub fn new(env: Arc<Environment>) -> Self {
        Connection {
            diag: Mutex::default(),
            env,
            state: Mutex::default(),
        }
    }
}

/// What a connection holds between calls.
#[derive(Default)]
pub struct ConnectionState {
    /// Present while connected.
    pub session: Option<Session>,
    pub attrs: ConnectionAttrs,
}

impl std::fmt::Debug for ConnectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionState")
            .field("connected", &self.session.is_some())
            .field("attrs", &self.attrs)
            .finish()
    }
}

/// An open connection: the engine over one HubDB client.
pub struct Session {
    pub engine: Arc<hubdb_sql::Engine>,
    pub config: Config,
    /// Cleared when a request failed with a communication error (`SQL_ATTR_CONNECTION_DEAD`).
    pub alive: bool,
}

/// Connection attributes (reference/odbc.md §1.13).
#[derive(Debug, Clone)]
pub struct ConnectionAttrs {
    /// `SQL_ATTR_LOGIN_TIMEOUT` in seconds; 0 = the Timeout property.
    pub login_timeout: u64,
    /// `SQL_ATTR_CONNECTION_TIMEOUT` in seconds; 0 = the Timeout property.
    pub connection_timeout: u64,
    /// `SQL_ATTR_AUTOCOMMIT`: accepted either way; HubDB has no transactions.
    pub autocommit: bool,
    /// `SQL_ATTR_ACCESS_MODE`: read-only requested by the application.
    pub read_only: bool,
    /// `SQL_ATTR_CURRENT_CATALOG`: always `HubDB`, the only catalog.
    pub current_catalog: String,
    /// `SQL_ATTR_TXN_ISOLATION` as set (reported back unchanged).
    pub txn_isolation: u32,
    /// `SQL_ATTR_PACKET_SIZE`, `SQL_ATTR_QUIET_MODE` etc. as set, reported back unchanged.
    pub packet_size: u32,
}

impl Default for ConnectionAttrs {
    fn default() -> Self {
        ConnectionAttrs {
            login_timeout: 0,
            connection_timeout: 0,
            autocommit: true,
            read_only: false,
            current_catalog: "HubDB".to_string(),
            txn_isolation: 0,
            packet_size: 0,
        }
    }
}

impl ConnectionState {
    /// Timeout of one request on this connection: `SQL_ATTR_CONNECTION_TIMEOUT` when set,
    /// else the `Timeout` property (0 = none).
    pub fn request_timeout(&self) -> Option<Limit> {
        let from_attr = (self.attrs.connection_timeout > 0)
            .then(|| Limit::connection(Duration::from_secs(self.attrs.connection_timeout)));
        from_attr.or_else(|| {
            self.session
                .as_ref()
                .map(|s| Limit::query(s.config.timeout))
        })
    }
}

/// A statement handle.
#[derive(Debug)]
pub struct Statement {
    pub diag: Mutex<Diagnostics>,
    pub conn: Arc<Connection>,
    pub cancel: Cancel,
    pub state: Mutex<StatementState>,
    /// Addresses of the statement's four implicit descriptors: ARD, APD, IRD, IPD.
    pub descriptors: Mutex<[usize; 4]>,
}

impl Statement {
    pub fn new(conn: Arc<Connection>) -> Self {
        Statement {
            diag: Mutex::default(),
            conn,
            cancel: Cancel::default(),
            state: Mutex::default(),
            descriptors: Mutex::new([0; 4]),
        }
    }
}

/// Which implicit descriptor a descriptor handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptorKind {
    AppRow,
    AppParam,
    ImpRow,
    ImpParam,
    /// Allocated by the application with SQLAllocHandle(SQL_HANDLE_DESC).
    Explicit,
}

/// A descriptor handle. The driver keeps bindings on the statement; descriptors exist so that
/// applications and driver managers that ask for the implicit descriptors get valid handles
/// (reference/odbc.md §1.11).
#[derive(Debug)]
pub struct Descriptor {
    pub diag: Mutex<Diagnostics>,
    pub kind: DescriptorKind,
}

impl Descriptor {
    pub fn new(kind: DescriptorKind) -> Self {
        Descriptor {
            diag: Mutex::default(),
            kind,
        }
    }
}

//! The one guarded path every entry point goes through (STYLE points 2 and 3).
//!
//! - Handles are registered by address; an entry point turns a raw handle into a shared
//!   reference only through the registry, so a null, freed or foreign handle, or a handle of
//!   the wrong kind, gives `SQL_INVALID_HANDLE` and is never dereferenced.
//! - The handle's diagnostics are cleared, the body runs under `catch_unwind`, an error
//!   becomes a diagnostic record and `SQL_ERROR`, a panic becomes `HY000` ("internal error in
//!   the driver"); warnings recorded by the body turn success into `SQL_SUCCESS_WITH_INFO`.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock};

use odbc_sys::{Handle, SqlReturn};

use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult};
use crate::handles::{Connection, Descriptor, Environment, Statement, lock};

/// A live handle.
#[derive(Debug, Clone)]
pub enum Object {
    Env(Arc<Environment>),
    Conn(Arc<Connection>),
    Stmt(Arc<Statement>),
    Desc(Arc<Descriptor>),
}

impl Object {
    fn address(&self) -> usize {
        match self {
            Object::Env(e) => Arc::as_ptr(e) as usize,
            Object::Conn(c) => Arc::as_ptr(c) as usize,
            Object::Stmt(s) => Arc::as_ptr(s) as usize,
            Object::Desc(d) => Arc::as_ptr(d) as usize,
        }
    }

    /// The diagnostics area of the handle.
    pub fn diag(&self) -> &Mutex<Diagnostics> {
        match self {
            Object::Env(e) => &e.diag,
            Object::Conn(c) => &c.diag,
            Object::Stmt(s) => &s.diag,
            Object::Desc(d) => &d.diag,
        }
    }
}

fn registry() -> &'static Mutex<HashMap<usize, Object>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, Object>>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// Registers a new handle and returns the value the application receives.
pub fn register(object: Object) -> Handle {
    let address = object.address();
    lock(registry()).insert(address, object);
    Handle(address as *mut std::ffi::c_void)
}

/// Removes a handle; later calls with it get `SQL_INVALID_HANDLE`.
pub fn unregister(handle: Handle) -> Option<Object> {
    lock(registry()).remove(&(handle.0 as usize))
}

/// Removes a statement handle and its implicit descriptors.
pub fn unregister_statement(stmt: &Statement) {
    for address in *lock(&stmt.descriptors) {
        unregister(Handle(address as *mut std::ffi::c_void));
    }
    unregister(Handle(std::ptr::from_ref(stmt) as *mut std::ffi::c_void));
}

/// Removes every statement handle of `conn`: SQLDisconnect frees them (ODBC reference,
/// "Freeing a Statement Handle"), and unixODBC leaves that to the driver.
pub fn unregister_statements_of(conn: &Arc<Connection>) {
    let statements: Vec<Arc<Statement>> = lock(registry())
        .values()
        .filter_map(|object| match object {
            Object::Stmt(stmt) if Arc::ptr_eq(&stmt.conn, conn) => Some(Arc::clone(stmt)),
            _ => None,
        })
        .collect();
    for stmt in statements {
        unregister_statement(&stmt);
    }
}

/// The live handle behind a raw handle value, if any.
pub fn lookup(handle: Handle) -> Option<Object> {
    if handle.0.is_null() {
        return None;
    }
    lock(registry()).get(&(handle.0 as usize)).cloned()
}

/// The environment behind `handle`.
pub fn environment(handle: Handle) -> Option<Arc<Environment>> {
    match lookup(handle)? {
        Object::Env(env) => Some(env),
        _ => None,
    }
}

/// The connection behind `handle`.
pub fn connection(handle: Handle) -> Option<Arc<Connection>> {
    match lookup(handle)? {
        Object::Conn(conn) => Some(conn),
        _ => None,
    }
}

/// The statement behind `handle`.
pub fn statement(handle: Handle) -> Option<Arc<Statement>> {
    match lookup(handle)? {
        Object::Stmt(stmt) => Some(stmt),
        _ => None,
    }
}

/// The descriptor behind `handle`.
pub fn descriptor(handle: Handle) -> Option<Arc<Descriptor>> {
    match lookup(handle)? {
        Object::Desc(desc) => Some(desc),
        _ => None,
    }
}

/// How a successful body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    /// `SQL_NO_DATA`: end of a result set, no more results, no more chunks.
    NoData,
}

impl From<()> for Status {
    fn from((): ()) -> Self {
        Status::Success
    }
}

/// Runs a body on an environment handle.
pub fn env<R: Into<Status>>(
    handle: Handle,
    body: impl FnOnce(&Arc<Environment>, &mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    match environment(handle) {
        Some(env) => run(&env.diag, |diag| body(&env, diag)),
        None => SqlReturn::INVALID_HANDLE,
    }
}

/// Runs a body on a connection handle.
pub fn conn<R: Into<Status>>(
    handle: Handle,
    body: impl FnOnce(&Arc<Connection>, &mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    match connection(handle) {
        Some(conn) => run(&conn.diag, |diag| body(&conn, diag)),
        None => SqlReturn::INVALID_HANDLE,
    }
}

/// Runs a body on a statement handle.
pub fn stmt<R: Into<Status>>(
    handle: Handle,
    body: impl FnOnce(&Arc<Statement>, &mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    match statement(handle) {
        Some(stmt) => run(&stmt.diag, |diag| body(&stmt, diag)),
        None => SqlReturn::INVALID_HANDLE,
    }
}

/// Runs a body on a descriptor handle.
pub fn desc<R: Into<Status>>(
    handle: Handle,
    body: impl FnOnce(&Arc<Descriptor>, &mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    match descriptor(handle) {
        Some(desc) => run(&desc.diag, |diag| body(&desc, diag)),
        None => SqlReturn::INVALID_HANDLE,
    }
}

/// Runs a body on any live handle (SQLFreeHandle, SQLEndTran, SQLAllocHandle's input).
pub fn any<R: Into<Status>>(
    handle: Handle,
    body: impl FnOnce(&Object, &mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    match lookup(handle) {
        Some(object) => run(object.diag(), |diag| body(&object, diag)),
        None => SqlReturn::INVALID_HANDLE,
    }
}

/// Runs a body that must not clear diagnostics (the diagnostic functions themselves) or has
/// no handle to record them on: only the panic boundary applies.
pub fn boundary(body: impl FnOnce() -> SqlReturn) -> SqlReturn {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(SqlReturn::ERROR)
}

fn run<R: Into<Status>>(
    diag_lock: &Mutex<Diagnostics>,
    body: impl FnOnce(&mut Diagnostics) -> DriverResult<R>,
) -> SqlReturn {
    let mut diag = lock(diag_lock);
    diag.clear();
    let outcome = catch_unwind(AssertUnwindSafe(|| body(&mut diag)));
    let code = match outcome {
        Ok(Ok(status)) => success_code(status.into(), &diag),
        Ok(Err(error)) => fail(&mut diag, error),
        Err(_) => fail(&mut diag, DriverError::internal()),
    };
    diag.return_code = code.0;
    code
}

fn success_code(status: Status, diag: &Diagnostics) -> SqlReturn {
    match status {
        Status::NoData => SqlReturn::NO_DATA,
        Status::Success if diag.has_records() => SqlReturn::SUCCESS_WITH_INFO,
        Status::Success => SqlReturn::SUCCESS,
    }
}

fn fail(diag: &mut Diagnostics, error: DriverError) -> SqlReturn {
    diag.push(error);
    SqlReturn::ERROR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SqlState;

    fn new_env() -> Handle {
        register(Object::Env(Arc::new(Environment::default())))
    }

    #[test]
    fn unknown_null_and_wrong_kind_handles_are_invalid() {
        assert_eq!(
            env(Handle::null(), |_, _| Ok(())),
            SqlReturn::INVALID_HANDLE
        );
        let foreign = Handle(0x10 as *mut std::ffi::c_void);
        assert_eq!(env(foreign, |_, _| Ok(())), SqlReturn::INVALID_HANDLE);
        let handle = new_env();
        assert_eq!(stmt(handle, |_, _| Ok(())), SqlReturn::INVALID_HANDLE);
        unregister(handle);
        assert_eq!(env(handle, |_, _| Ok(())), SqlReturn::INVALID_HANDLE);
    }

    #[test]
    fn errors_become_records_and_warnings_success_with_info() {
        let handle = new_env();
        let code = env(handle, |_, _| -> DriverResult<()> {
            Err(DriverError::not_implemented("scrolling"))
        });
        assert_eq!(code, SqlReturn::ERROR);
        let code = env(handle, |_, diag| {
            diag.push_warning(SqlState::OPTION_VALUE_CHANGED, "value changed");
            Ok(())
        });
        assert_eq!(code, SqlReturn::SUCCESS_WITH_INFO);
        let env_ref = environment(handle).expect("live");
        assert_eq!(lock(&env_ref.diag).len(), 1);
        unregister(handle);
    }

    #[test]
    fn a_panic_becomes_hy000_and_the_handle_stays_usable() {
        let handle = new_env();
        let code = env(handle, |_, _| -> DriverResult<()> { panic!("boom") });
        assert_eq!(code, SqlReturn::ERROR);
        let env_ref = environment(handle).expect("live");
        let state = lock(&env_ref.diag).record(1).expect("record").state;
        assert_eq!(state.as_str(), "HY000");
        assert_eq!(env(handle, |_, _| Ok(())), SqlReturn::SUCCESS);
        unregister(handle);
    }
}

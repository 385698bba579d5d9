//! Handle allocation and environment attributes: SQLAllocHandle, SQLFreeHandle,
//! SQLSetEnvAttr, SQLGetEnvAttr.
//!
//! The ODBC 2 functions (SQLAllocEnv, SQLAllocConnect, SQLAllocStmt, SQLFreeEnv,
//! SQLFreeConnect) are not exported: unixODBC and iODBC map them onto these
//! (reference/odbc.md §1.1, §1.3).

use std::ffi::c_void;
use std::sync::Arc;

use odbc_sys::{Handle, SqlReturn};

use super::write_out;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::guard::{self, Object};
use crate::handles::{
    Connection, Descriptor, DescriptorKind, Environment, ODBC_VERSIONS, Statement, lock,
};

const HANDLE_ENV: i16 = 1;
const HANDLE_DBC: i16 = 2;
const HANDLE_STMT: i16 = 3;
const HANDLE_DESC: i16 = 4;

const ATTR_ODBC_VERSION: i32 = 200;
const ATTR_CONNECTION_POOLING: i32 = 201;
const ATTR_CP_MATCH: i32 = 202;
const ATTR_OUTPUT_NTS: i32 = 10001;
/// iODBC's `SQL_ATTR_DRIVER_UNICODE_TYPE` (iodbcext.h; reference/odbc.md §1.2).
const ATTR_DRIVER_UNICODE_TYPE: i32 = 1065;

/// SQLAllocHandle.
///
/// # Safety
/// `output` is null or valid for writing one handle.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLAllocHandle(
    handle_type: i16,
    input: Handle,
    output: *mut Handle,
) -> SqlReturn {
    if output.is_null() {
        return SqlReturn::ERROR;
    }
    let write = |handle: Handle| {
        // SAFETY: `output` is non-null and valid for writing a handle (caller contract).
        unsafe { write_out(output, handle) }
    };
    match handle_type {
        HANDLE_ENV => guard::boundary(|| {
            write(guard::register(Object::Env(Arc::default())));
            SqlReturn::SUCCESS
        }),
        HANDLE_DBC => guard::env(input, |env, _| {
            write(alloc_connection(env));
            Ok(())
        }),
        HANDLE_STMT => guard::conn(input, |conn, _| alloc_statement(conn).map(write)),
        HANDLE_DESC => guard::conn(input, |_, _| {
            let desc = Descriptor::new(DescriptorKind::Explicit);
            write(guard::register(Object::Desc(Arc::new(desc))));
            Ok(())
        }),
        _ => SqlReturn::ERROR,
    }
}

fn alloc_connection(env: &Arc<Environment>) -> Handle {
    let conn = Connection::new(Arc::clone(env));
    log::debug!("connection allocated");
    guard::register(Object::Conn(Arc::new(conn)))
}

fn alloc_statement(conn: &Arc<Connection>) -> DriverResult<Handle> {
    if lock(&conn.state).session.is_none() {
        return Err(DriverError::new(
            SqlState::CONNECTION_NOT_OPEN,
            "the connection is not open",
        ));
    }
    let stmt = Arc::new(Statement::new(Arc::clone(conn)));
    let kinds = [
        DescriptorKind::AppRow,
        DescriptorKind::AppParam,
        DescriptorKind::ImpRow,
        DescriptorKind::ImpParam,
    ];
    let addresses = kinds.map(|kind| {
        let handle = guard::register(Object::Desc(Arc::new(Descriptor::new(kind))));
        handle.0 as usize
    });
    *lock(&stmt.descriptors) = addresses;
    log::debug!("statement allocated");
    Ok(guard::register(Object::Stmt(stmt)))
}

/// SQLFreeHandle.
#[unsafe(no_mangle)]
pub extern "system" fn SQLFreeHandle(handle_type: i16, handle: Handle) -> SqlReturn {
    let expected = match guard::lookup(handle) {
        Some(Object::Env(_)) => HANDLE_ENV,
        Some(Object::Conn(_)) => HANDLE_DBC,
        Some(Object::Stmt(_)) => HANDLE_STMT,
        Some(Object::Desc(_)) => HANDLE_DESC,
        None => return SqlReturn::INVALID_HANDLE,
    };
    if expected != handle_type {
        return SqlReturn::INVALID_HANDLE;
    }
    guard::any(handle, |object, _| free(object, handle))
}

fn free(object: &Object, handle: Handle) -> DriverResult<()> {
    match object {
        Object::Conn(conn) if lock(&conn.state).session.is_some() => {
            return Err(DriverError::sequence(
                "disconnect before freeing the connection",
            ));
        }
        Object::Stmt(stmt) => {
            guard::unregister_statement(stmt);
            return Ok(());
        }
        _ => {}
    }
    guard::unregister(handle);
    Ok(())
}

/// SQLSetEnvAttr.
#[unsafe(no_mangle)]
pub extern "system" fn SQLSetEnvAttr(
    env: Handle,
    attribute: i32,
    value: *mut c_void,
    _string_length: i32,
) -> SqlReturn {
    // Integer attributes arrive in the pointer argument itself.
    let number = value as usize;
    guard::env(env, |env, _| set_env_attr(env, attribute, number))
}

fn set_env_attr(env: &Environment, attribute: i32, value: usize) -> DriverResult<()> {
    match attribute {
        ATTR_ODBC_VERSION => {
            let version = i32::try_from(value).unwrap_or(0);
            if !ODBC_VERSIONS.contains(&version) {
                return Err(DriverError::new(
                    SqlState::INVALID_ATTRIBUTE_VALUE,
                    format!("ODBC version {value} is not supported (2, 3 and 3.80 are)"),
                ));
            }
            *lock(&env.odbc_version) = version;
            Ok(())
        }
        ATTR_CONNECTION_POOLING | ATTR_CP_MATCH | ATTR_DRIVER_UNICODE_TYPE => Ok(()),
        ATTR_OUTPUT_NTS if value == 1 => Ok(()),
        ATTR_OUTPUT_NTS => Err(DriverError::not_implemented(
            "SQL_ATTR_OUTPUT_NTS = SQL_FALSE",
        )),
        _ => Err(DriverError::new(
            SqlState::INVALID_ATTRIBUTE,
            format!("environment attribute {attribute} is not known"),
        )),
    }
}

/// SQLGetEnvAttr.
///
/// # Safety
/// `value` is null or valid for writing a 32-bit integer.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetEnvAttr(
    env: Handle,
    attribute: i32,
    value: *mut c_void,
    _buffer_length: i32,
    string_length: *mut i32,
) -> SqlReturn {
    guard::env(env, |env, _| {
        let answer = env_attr(env, attribute)?;
        // SAFETY: every environment attribute is a 32-bit integer; `value` is null or valid
        // for one (caller contract); so is `string_length`.
        unsafe {
            write_out(value.cast::<i32>(), answer);
            write_out(string_length, 4);
        }
        Ok(())
    })
}

fn env_attr(env: &Environment, attribute: i32) -> DriverResult<i32> {
    match attribute {
        ATTR_ODBC_VERSION => Ok(*lock(&env.odbc_version)),
        ATTR_CONNECTION_POOLING | ATTR_CP_MATCH => Ok(0),
        ATTR_OUTPUT_NTS => Ok(1),
        // SQL_DM_CP_UTF16 = 1, SQL_DM_CP_UCS4 = 3 (iodbcext.h).
        ATTR_DRIVER_UNICODE_TYPE if cfg!(feature = "iodbc") => Ok(3),
        ATTR_DRIVER_UNICODE_TYPE => Ok(1),
        _ => Err(DriverError::new(
            SqlState::INVALID_ATTRIBUTE,
            format!("environment attribute {attribute} is not known"),
        )),
    }
}

//! Connection and statement attributes: SQLSetConnectAttr(W), SQLGetConnectAttr(W),
//! SQLSetStmtAttr(W), SQLGetStmtAttr(W).
//!
//! Rules (reference/odbc.md §1.13): unknown attribute → `HY092`; an unsupported value with a
//! close supported one is replaced and reported with `01S02`; `SQLGet*Attr` then reports the
//! replacement. Integer values arrive in the pointer argument itself. String lengths of the
//! wide variants are in bytes (the buffer may hold strings or numbers).

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{LengthUnit, StringOut, string_arg, write_out};
use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::guard;
use crate::handles::{Connection, Statement, lock};
use crate::text::Width;

/// Connection attribute ids (sql.h, sqlext.h).
mod conn_attr {
    pub const ASYNC_ENABLE: i32 = 4;
    pub const ACCESS_MODE: i32 = 101;
    pub const AUTOCOMMIT: i32 = 102;
    pub const LOGIN_TIMEOUT: i32 = 103;
    pub const TRACE: i32 = 104;
    pub const TRACEFILE: i32 = 105;
    pub const TRANSLATE_LIB: i32 = 106;
    pub const TRANSLATE_OPTION: i32 = 107;
    pub const TXN_ISOLATION: i32 = 108;
    pub const CURRENT_CATALOG: i32 = 109;
    pub const ODBC_CURSORS: i32 = 110;
    pub const QUIET_MODE: i32 = 111;
    pub const PACKET_SIZE: i32 = 112;
    pub const CONNECTION_TIMEOUT: i32 = 113;
    pub const DISCONNECT_BEHAVIOR: i32 = 114;
    pub const ANSI_APP: i32 = 115;
    pub const RESET_CONNECTION: i32 = 116;
    pub const ASYNC_DBC_FUNCTIONS_ENABLE: i32 = 117;
    pub const ENLIST_IN_DTC: i32 = 1207;
    pub const CONNECTION_DEAD: i32 = 1209;
    pub const AUTO_IPD: i32 = 10001;
    pub const METADATA_ID: i32 = 10014;
}

/// SQLSetConnectAttr.
///
/// # Safety
/// For string attributes `value` is valid for `len` bytes (or NUL-terminated with `SQL_NTS`).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetConnectAttr(
    conn: Handle,
    attribute: i32,
    value: *mut c_void,
    len: i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        set_connect_attr(conn, attribute, value, len, Width::Narrow, diag)
    })
}

/// SQLSetConnectAttrW.
///
/// # Safety
/// As [`SQLSetConnectAttr`], string lengths in bytes of SQLWCHARs.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetConnectAttrW(
    conn: Handle,
    attribute: i32,
    value: *mut c_void,
    len: i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        set_connect_attr(conn, attribute, value, len, Width::Wide, diag)
    })
}

/// # Safety
/// As [`SQLSetConnectAttr`].
unsafe fn set_connect_attr(
    conn: &Connection,
    attribute: i32,
    value: *mut c_void,
    len: i32,
    width: Width,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    use conn_attr::*;
    let number = value as usize;
    let seconds = number as u64;
    let mut state = lock(&conn.state);
    let attrs = &mut state.attrs;
    match attribute {
        ACCESS_MODE => attrs.read_only = number == 1,
        AUTOCOMMIT => attrs.autocommit = number == 1,
        LOGIN_TIMEOUT => attrs.login_timeout = seconds,
        CONNECTION_TIMEOUT => attrs.connection_timeout = seconds,
        TXN_ISOLATION => attrs.txn_isolation = number as u32,
        PACKET_SIZE => attrs.packet_size = number as u32,
        CURRENT_CATALOG => {
            // The length is in bytes; a wide string has half (a quarter) as many characters.
            let chars = if len < 0 {
                len as isize
            } else {
                len as isize / width.unit() as isize
            };
            // SAFETY: forwarded caller contract.
            let catalog = unsafe { string_arg(value, chars, width)? }.unwrap_or_default();
            if !catalog.eq_ignore_ascii_case("HubDB") {
                let message =
                    format!("catalog '{catalog}' does not exist; the only catalog is HubDB");
                return Err(DriverError::new(SqlState("3D000"), message));
            }
        }
        TRACE | TRACEFILE | TRANSLATE_LIB | TRANSLATE_OPTION | ODBC_CURSORS | QUIET_MODE
        | DISCONNECT_BEHAVIOR | RESET_CONNECTION | ENLIST_IN_DTC | METADATA_ID => {}
        ASYNC_ENABLE | ASYNC_DBC_FUNCTIONS_ENABLE if number == 0 => {}
        ASYNC_ENABLE | ASYNC_DBC_FUNCTIONS_ENABLE => {
            diag.push_warning(
                SqlState::OPTION_VALUE_CHANGED,
                "asynchronous execution is not supported; calls run synchronously",
            );
        }
        // The driver behaves the same for ANSI and Unicode applications, so it declines, as
        // the spec asks (reference/odbc.md §1.2).
        ANSI_APP => return Err(DriverError::not_implemented("SQL_ATTR_ANSI_APP")),
        _ => return Err(unknown_attribute("connection", attribute)),
    }
    Ok(())
}

fn unknown_attribute(kind: &str, attribute: i32) -> DriverError {
    DriverError::new(
        SqlState::INVALID_ATTRIBUTE,
        format!("{kind} attribute {attribute} is not known"),
    )
}

/// SQLGetConnectAttr.
///
/// # Safety
/// `value` is null or valid for the attribute's type (`buffer_len` bytes for strings);
/// `string_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetConnectAttr(
    conn: Handle,
    attribute: i32,
    value: *mut c_void,
    buffer_len: i32,
    string_len: *mut i32,
) -> SqlReturn {
    let out = StringOut {
        buf: value,
        capacity: buffer_len as isize,
        len_ptr: string_len,
        unit: LengthUnit::Bytes,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        get_connect_attr(conn, attribute, &out, diag)
    })
}

/// SQLGetConnectAttrW.
///
/// # Safety
/// As [`SQLGetConnectAttr`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetConnectAttrW(
    conn: Handle,
    attribute: i32,
    value: *mut c_void,
    buffer_len: i32,
    string_len: *mut i32,
) -> SqlReturn {
    let out = StringOut {
        buf: value,
        capacity: buffer_len as isize,
        len_ptr: string_len,
        unit: LengthUnit::Bytes,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        get_connect_attr(conn, attribute, &out, diag)
    })
}

/// # Safety
/// As [`SQLGetConnectAttr`].
unsafe fn get_connect_attr(
    conn: &Connection,
    attribute: i32,
    out: &StringOut<i32>,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    use conn_attr::*;
    let state = lock(&conn.state);
    let attrs = &state.attrs;
    let number: u32 = match attribute {
        CURRENT_CATALOG => {
            let catalog = attrs.current_catalog.clone();
            drop(state);
            // SAFETY: forwarded caller contract.
            return unsafe { out.write(&catalog, diag).map(drop) };
        }
        // Read-only when the application asked for it or the connection's `Readonly` says so.
        ACCESS_MODE => {
            u32::from(attrs.read_only || state.session.as_ref().is_some_and(|s| s.config.readonly))
        }
        AUTOCOMMIT => u32::from(attrs.autocommit),
        LOGIN_TIMEOUT => attrs.login_timeout as u32,
        CONNECTION_TIMEOUT => attrs.connection_timeout as u32,
        TXN_ISOLATION => attrs.txn_isolation,
        PACKET_SIZE => attrs.packet_size,
        // SQL_CD_TRUE when there is no open session or a request lost the link.
        CONNECTION_DEAD => u32::from(state.session.as_ref().is_none_or(|s| !s.alive)),
        ASYNC_ENABLE
        | ASYNC_DBC_FUNCTIONS_ENABLE
        | AUTO_IPD
        | METADATA_ID
        | QUIET_MODE
        | TRACE
        | ODBC_CURSORS => 0,
        _ => return Err(unknown_attribute("connection", attribute)),
    };
    // SAFETY: integer connection attributes are SQLUINTEGERs (caller contract on `value`).
    unsafe {
        write_out(out.buf.cast::<u32>(), number);
        write_out(out.len_ptr, 4);
    }
    Ok(())
}

/// Statement attribute ids (sql.h, sqlext.h).
mod stmt_attr {
    pub const CURSOR_SENSITIVITY: i32 = -2;
    pub const CURSOR_SCROLLABLE: i32 = -1;
    pub const QUERY_TIMEOUT: i32 = 0;
    pub const MAX_ROWS: i32 = 1;
    pub const NOSCAN: i32 = 2;
    pub const MAX_LENGTH: i32 = 3;
    pub const ASYNC_ENABLE: i32 = 4;
    pub const ROW_BIND_TYPE: i32 = 5;
    pub const CURSOR_TYPE: i32 = 6;
    pub const CONCURRENCY: i32 = 7;
    pub const KEYSET_SIZE: i32 = 8;
    pub const ROWSET_SIZE: i32 = 9;
    pub const SIMULATE_CURSOR: i32 = 10;
    pub const RETRIEVE_DATA: i32 = 11;
    pub const USE_BOOKMARKS: i32 = 12;
    pub const ROW_NUMBER: i32 = 14;
    pub const ENABLE_AUTO_IPD: i32 = 15;
    pub const FETCH_BOOKMARK_PTR: i32 = 16;
    pub const PARAM_BIND_OFFSET_PTR: i32 = 17;
    pub const PARAM_BIND_TYPE: i32 = 18;
    pub const PARAM_OPERATION_PTR: i32 = 19;
    pub const PARAM_STATUS_PTR: i32 = 20;
    pub const PARAMS_PROCESSED_PTR: i32 = 21;
    pub const PARAMSET_SIZE: i32 = 22;
    pub const ROW_BIND_OFFSET_PTR: i32 = 23;
    pub const ROW_OPERATION_PTR: i32 = 24;
    pub const ROW_STATUS_PTR: i32 = 25;
    pub const ROWS_FETCHED_PTR: i32 = 26;
    pub const ROW_ARRAY_SIZE: i32 = 27;
    pub const APP_ROW_DESC: i32 = 10010;
    pub const APP_PARAM_DESC: i32 = 10011;
    pub const IMP_ROW_DESC: i32 = 10012;
    pub const IMP_PARAM_DESC: i32 = 10013;
    pub const METADATA_ID: i32 = 10014;
}

/// SQLSetStmtAttr.
///
/// # Safety
/// Pointer attributes point to memory that stays valid while the statement uses it.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetStmtAttr(
    stmt: Handle,
    attribute: i32,
    value: *mut c_void,
    _len: i32,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, diag| {
        set_stmt_attr(stmt, attribute, value as usize, diag)
    })
}

/// SQLSetStmtAttrW: no statement attribute is a string, so it matches the ANSI variant.
///
/// # Safety
/// As [`SQLSetStmtAttr`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetStmtAttrW(
    stmt: Handle,
    attribute: i32,
    value: *mut c_void,
    _len: i32,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, diag| {
        set_stmt_attr(stmt, attribute, value as usize, diag)
    })
}

fn set_stmt_attr(
    stmt: &Statement,
    attribute: i32,
    value: usize,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    use stmt_attr::*;
    let mut guard = lock(&stmt.state);
    let state = &mut *guard;
    let (binding, attrs) = (&mut state.binding, &mut state.attrs);
    match attribute {
        ROW_ARRAY_SIZE | ROWSET_SIZE => binding.set_array_size(value)?,
        ROW_BIND_TYPE => binding.bind_type = value,
        ROW_BIND_OFFSET_PTR => binding.bind_offset_ptr = value,
        ROWS_FETCHED_PTR => binding.rows_fetched_ptr = value,
        ROW_STATUS_PTR => binding.row_status_ptr = value,
        QUERY_TIMEOUT => attrs.query_timeout = value as u64,
        MAX_ROWS => attrs.max_rows = value,
        // The driver returns whole values (read long ones in parts with SQLGetData), so a
        // limit is replaced by 0, "no limit", as the ODBC reference allows.
        MAX_LENGTH if value != 0 => {
            attrs.max_length = 0;
            diag.push_warning(
                SqlState::OPTION_VALUE_CHANGED,
                "SQL_ATTR_MAX_LENGTH is not supported; the value was replaced by 0 (no limit)",
            );
        }
        MAX_LENGTH => attrs.max_length = 0,
        NOSCAN => attrs.noscan = value,
        RETRIEVE_DATA => attrs.retrieve_data = value,
        METADATA_ID => attrs.metadata_id = value,
        PARAM_BIND_TYPE => attrs.param_bind_type = value,
        PARAM_BIND_OFFSET_PTR => attrs.param_bind_offset_ptr = value,
        PARAM_STATUS_PTR => attrs.param_status_ptr = value,
        PARAMS_PROCESSED_PTR => attrs.params_processed_ptr = value,
        PARAMSET_SIZE if value == 1 => attrs.paramset_size = 1,
        PARAMSET_SIZE => {
            return Err(DriverError::not_implemented(
                "parameter arrays (SQL_ATTR_PARAMSET_SIZE > 1)",
            ));
        }
        ROW_OPERATION_PTR | PARAM_OPERATION_PTR | FETCH_BOOKMARK_PTR | SIMULATE_CURSOR
        | KEYSET_SIZE => {}
        // Forward-only, read-only, non-scrollable, and synchronous: anything else is replaced.
        CURSOR_TYPE | CURSOR_SCROLLABLE | CURSOR_SENSITIVITY | ASYNC_ENABLE if value != 0 => {
            diag.push_warning(
                SqlState::OPTION_VALUE_CHANGED,
                "only forward-only, synchronous cursors are supported; the value was replaced",
            );
        }
        CONCURRENCY if value != 1 => {
            diag.push_warning(
                SqlState::OPTION_VALUE_CHANGED,
                "only read-only concurrency is supported; the value was replaced",
            );
        }
        CURSOR_TYPE | CURSOR_SCROLLABLE | CURSOR_SENSITIVITY | ASYNC_ENABLE | CONCURRENCY => {}
        USE_BOOKMARKS if value == 0 => {}
        USE_BOOKMARKS => return Err(DriverError::not_implemented("bookmarks")),
        // Setting null restores the implicit descriptor; explicit descriptors are not used.
        APP_ROW_DESC | APP_PARAM_DESC if value == 0 => {}
        APP_ROW_DESC | APP_PARAM_DESC => {
            return Err(DriverError::not_implemented(
                "explicitly allocated descriptors",
            ));
        }
        IMP_ROW_DESC | IMP_PARAM_DESC | ROW_NUMBER | ENABLE_AUTO_IPD => {
            return Err(DriverError::new(
                SqlState("HY017"),
                format!("statement attribute {attribute} is read-only"),
            ));
        }
        _ => return Err(unknown_attribute("statement", attribute)),
    }
    Ok(())
}

/// SQLGetStmtAttr.
///
/// # Safety
/// `value` is null or valid for an SQLULEN or pointer; `string_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetStmtAttr(
    stmt: Handle,
    attribute: i32,
    value: *mut c_void,
    _buffer_len: i32,
    string_len: *mut i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        write_stmt_attr(stmt, attribute, value, string_len)
    })
}

/// SQLGetStmtAttrW: no statement attribute is a string, so it matches the ANSI variant.
///
/// # Safety
/// As [`SQLGetStmtAttr`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetStmtAttrW(
    stmt: Handle,
    attribute: i32,
    value: *mut c_void,
    _buffer_len: i32,
    string_len: *mut i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        write_stmt_attr(stmt, attribute, value, string_len)
    })
}

/// # Safety
/// As [`SQLGetStmtAttr`].
unsafe fn write_stmt_attr(
    stmt: &Statement,
    attribute: i32,
    value: *mut c_void,
    string_len: *mut i32,
) -> DriverResult<()> {
    let answer = stmt_attr_value(stmt, attribute)?;
    // SAFETY: statement attributes are SQLULEN-sized integers or pointers (caller contract).
    unsafe {
        write_out(value.cast::<usize>(), answer);
        write_out(string_len, std::mem::size_of::<usize>() as i32);
    }
    Ok(())
}

fn stmt_attr_value(stmt: &Statement, attribute: i32) -> DriverResult<usize> {
    use stmt_attr::*;
    if let Some(index) = descriptor_index(attribute) {
        return Ok(lock(&stmt.descriptors)[index]);
    }
    let state = lock(&stmt.state);
    let (binding, attrs) = (&state.binding, &state.attrs);
    let value = match attribute {
        ROW_ARRAY_SIZE | ROWSET_SIZE => binding.array_size,
        ROW_BIND_TYPE => binding.bind_type,
        ROW_BIND_OFFSET_PTR => binding.bind_offset_ptr,
        ROWS_FETCHED_PTR => binding.rows_fetched_ptr,
        ROW_STATUS_PTR => binding.row_status_ptr,
        QUERY_TIMEOUT => attrs.query_timeout as usize,
        MAX_ROWS => attrs.max_rows,
        MAX_LENGTH => attrs.max_length,
        NOSCAN => attrs.noscan,
        RETRIEVE_DATA => attrs.retrieve_data,
        METADATA_ID => attrs.metadata_id,
        PARAM_BIND_TYPE => attrs.param_bind_type,
        PARAM_BIND_OFFSET_PTR => attrs.param_bind_offset_ptr,
        PARAM_STATUS_PTR => attrs.param_status_ptr,
        PARAMS_PROCESSED_PTR => attrs.params_processed_ptr,
        PARAMSET_SIZE => attrs.paramset_size,
        // SQL_CONCUR_READ_ONLY.
        CONCURRENCY => 1,
        CURSOR_TYPE | CURSOR_SCROLLABLE | CURSOR_SENSITIVITY | ASYNC_ENABLE | USE_BOOKMARKS
        | KEYSET_SIZE | SIMULATE_CURSOR | ROW_NUMBER | ENABLE_AUTO_IPD | ROW_OPERATION_PTR
        | PARAM_OPERATION_PTR | FETCH_BOOKMARK_PTR => 0,
        _ => return Err(unknown_attribute("statement", attribute)),
    };
    Ok(value)
}

fn descriptor_index(attribute: i32) -> Option<usize> {
    use stmt_attr::*;
    match attribute {
        APP_ROW_DESC => Some(0),
        APP_PARAM_DESC => Some(1),
        IMP_ROW_DESC => Some(2),
        IMP_PARAM_DESC => Some(3),
        _ => None,
    }
}

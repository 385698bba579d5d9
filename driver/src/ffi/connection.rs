//! Connecting: SQLConnect(W), SQLDriverConnect(W), SQLDisconnect.

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{LengthUnit, StringOut, string_arg};
use crate::connection;
use crate::diag::Diagnostics;
use crate::error::DriverResult;
use crate::guard;
use crate::handles::Connection;
use crate::text::{WideChar, Width};

/// SQLConnect.
///
/// # Safety
/// Each string pointer is null or valid for its length (or NUL-terminated with `SQL_NTS`).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLConnect(
    conn: Handle,
    dsn: *const u8,
    dsn_len: i16,
    _user: *const u8,
    _user_len: i16,
    password: *const u8,
    password_len: i16,
) -> SqlReturn {
    guard::conn(conn, |conn, diag| {
        // SAFETY: forwarded caller contract on the string arguments.
        let (dsn, password) = unsafe {
            (
                string_arg(dsn.cast(), dsn_len.into(), Width::Narrow)?,
                string_arg(password.cast(), password_len.into(), Width::Narrow)?,
            )
        };
        connect(conn, dsn, password, diag)
    })
}

/// SQLConnectW.
///
/// # Safety
/// As [`SQLConnect`], with lengths in characters.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLConnectW(
    conn: Handle,
    dsn: *const WideChar,
    dsn_len: i16,
    _user: *const WideChar,
    _user_len: i16,
    password: *const WideChar,
    password_len: i16,
) -> SqlReturn {
    guard::conn(conn, |conn, diag| {
        // SAFETY: forwarded caller contract on the string arguments.
        let (dsn, password) = unsafe {
            (
                string_arg(dsn.cast(), dsn_len.into(), Width::Wide)?,
                string_arg(password.cast(), password_len.into(), Width::Wide)?,
            )
        };
        connect(conn, dsn, password, diag)
    })
}

fn connect(
    conn: &Connection,
    dsn: Option<String>,
    password: Option<String>,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let dsn = dsn.unwrap_or_default();
    connection::connect(conn, &dsn, &password.unwrap_or_default(), diag)
}

/// SQLDriverConnect.
///
/// # Safety
/// `input` is valid for `input_len` bytes (or NUL-terminated); `output` is null or holds
/// `output_max` bytes; `output_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLDriverConnect(
    conn: Handle,
    _window: *mut c_void,
    input: *const u8,
    input_len: i16,
    output: *mut u8,
    output_max: i16,
    output_len: *mut i16,
    _completion: u16,
) -> SqlReturn {
    let out = StringOut {
        buf: output.cast(),
        capacity: output_max.into(),
        len_ptr: output_len,
        unit: LengthUnit::Chars,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    unsafe { driver_connect(conn, input.cast(), input_len, &out, Width::Narrow) }
}

/// SQLDriverConnectW.
///
/// # Safety
/// As [`SQLDriverConnect`], with lengths in characters.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLDriverConnectW(
    conn: Handle,
    _window: *mut c_void,
    input: *const WideChar,
    input_len: i16,
    output: *mut WideChar,
    output_max: i16,
    output_len: *mut i16,
    _completion: u16,
) -> SqlReturn {
    let out = StringOut {
        buf: output.cast(),
        capacity: output_max.into(),
        len_ptr: output_len,
        unit: LengthUnit::Chars,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    unsafe { driver_connect(conn, input.cast(), input_len, &out, Width::Wide) }
}

/// The completion mode is not consulted: the driver never shows a dialog, so every mode
/// connects when the information is complete and fails otherwise (`connection.rs`).
///
/// # Safety
/// As [`SQLDriverConnect`].
unsafe fn driver_connect(
    conn: Handle,
    input: *const c_void,
    input_len: i16,
    out: &StringOut<i16>,
    width: Width,
) -> SqlReturn {
    guard::conn(conn, |conn, diag| {
        // SAFETY: forwarded caller contract on the input string.
        let input = unsafe { string_arg(input, input_len.into(), width)? }.unwrap_or_default();
        let output = connection::driver_connect(conn, &input, diag)?;
        // SAFETY: forwarded caller contract on the output buffer.
        unsafe { out.write(&output, diag)? };
        Ok(())
    })
}

/// SQLDisconnect.
#[unsafe(no_mangle)]
pub extern "system" fn SQLDisconnect(conn: Handle) -> SqlReturn {
    guard::conn(conn, |conn, _| {
        connection::disconnect(conn)?;
        guard::unregister_statements_of(conn);
        Ok(())
    })
}

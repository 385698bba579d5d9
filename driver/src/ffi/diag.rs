//! Diagnostics: SQLGetDiagRec(W), SQLGetDiagField(W).
//!
//! These read a handle's records without clearing them, so they run inside the panic boundary
//! only, not the full guard (reference/odbc.md §1.14). A NULL message buffer is allowed and
//! only reports the length (the Windows DM does that, gh:duckdb/duckdb-odbc#62). Truncation
//! returns `SQL_SUCCESS_WITH_INFO` without adding a record.

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{out_bytes, write_out};
use crate::diag::DiagRecord;
use crate::guard::{self, Object};
use crate::handles::lock;
use crate::text::{self, WideChar, Width};

const DIAG_CURSOR_ROW_COUNT: i16 = -1249;
const DIAG_ROW_NUMBER: i16 = -1248;
const DIAG_COLUMN_NUMBER: i16 = -1247;
const DIAG_RETURNCODE: i16 = 1;
const DIAG_NUMBER: i16 = 2;
const DIAG_ROW_COUNT: i16 = 3;
const DIAG_SQLSTATE: i16 = 4;
const DIAG_NATIVE: i16 = 5;
const DIAG_MESSAGE_TEXT: i16 = 6;
const DIAG_DYNAMIC_FUNCTION: i16 = 7;
const DIAG_CLASS_ORIGIN: i16 = 8;
const DIAG_SUBCLASS_ORIGIN: i16 = 9;
const DIAG_CONNECTION_NAME: i16 = 10;
const DIAG_SERVER_NAME: i16 = 11;
const DIAG_DYNAMIC_FUNCTION_CODE: i16 = 12;

/// SQLGetDiagRec.
///
/// # Safety
/// `state` is null or holds 6 bytes; `native` and `text_len` are null or writable; `message`
/// is null or holds `buffer_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetDiagRec(
    handle_type: i16,
    handle: Handle,
    record: i16,
    state: *mut u8,
    native: *mut i32,
    message: *mut u8,
    buffer_len: i16,
    text_len: *mut i16,
) -> SqlReturn {
    let out = RecOut {
        state: state.cast(),
        native,
        message: message.cast(),
        buffer_len,
        text_len,
    };
    // SAFETY: forwarded caller contract.
    guard::boundary(|| unsafe { diag_rec(handle_type, handle, record, &out, Width::Narrow) })
}

/// SQLGetDiagRecW (lengths in characters).
///
/// # Safety
/// As [`SQLGetDiagRec`], with `state` holding 6 and `message` `buffer_len` SQLWCHARs.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetDiagRecW(
    handle_type: i16,
    handle: Handle,
    record: i16,
    state: *mut WideChar,
    native: *mut i32,
    message: *mut WideChar,
    buffer_len: i16,
    text_len: *mut i16,
) -> SqlReturn {
    let out = RecOut {
        state: state.cast(),
        native,
        message: message.cast(),
        buffer_len,
        text_len,
    };
    // SAFETY: forwarded caller contract.
    guard::boundary(|| unsafe { diag_rec(handle_type, handle, record, &out, Width::Wide) })
}

struct RecOut {
    state: *mut c_void,
    native: *mut i32,
    message: *mut c_void,
    buffer_len: i16,
    text_len: *mut i16,
}

/// The record `number` of a handle of the given type.
fn find_record(
    handle_type: i16,
    handle: Handle,
    number: i16,
) -> Result<Option<DiagRecord>, SqlReturn> {
    let object = object_of_type(handle_type, handle).ok_or(SqlReturn::INVALID_HANDLE)?;
    if number <= 0 {
        return Err(SqlReturn::ERROR);
    }
    Ok(lock(object.diag()).record(number).cloned())
}

fn object_of_type(handle_type: i16, handle: Handle) -> Option<Object> {
    let object = guard::lookup(handle)?;
    let matches = matches!(
        (handle_type, &object),
        (1, Object::Env(_)) | (2, Object::Conn(_)) | (3, Object::Stmt(_)) | (4, Object::Desc(_))
    );
    matches.then_some(object)
}

/// # Safety
/// As [`SQLGetDiagRec`] for the given width.
unsafe fn diag_rec(
    handle_type: i16,
    handle: Handle,
    number: i16,
    out: &RecOut,
    width: Width,
) -> SqlReturn {
    let record = match find_record(handle_type, handle, number) {
        Ok(Some(record)) => record,
        Ok(None) => return SqlReturn::NO_DATA,
        Err(code) => return code,
    };
    if out.buffer_len < 0 {
        return SqlReturn::ERROR;
    }
    let unit = width.unit();
    // SAFETY: the state buffer holds 6 characters (caller contract).
    text::write_text(record.state.as_str(), width, unsafe {
        out_bytes(out.state, 6 * unit)
    });
    // SAFETY: caller contract on `native`.
    unsafe { write_out(out.native, record.native) };
    let capacity = out.buffer_len as usize * unit;
    // SAFETY: the message buffer holds `buffer_len` characters (caller contract).
    let written = text::write_text(&record.message, width, unsafe {
        out_bytes(out.message, capacity)
    });
    let full = i16::try_from(written.full_units).unwrap_or(i16::MAX);
    // SAFETY: caller contract on `text_len`.
    unsafe { write_out(out.text_len, full) };
    if written.truncated && !out.message.is_null() {
        SqlReturn::SUCCESS_WITH_INFO
    } else {
        SqlReturn::SUCCESS
    }
}

/// SQLGetDiagField.
///
/// # Safety
/// `info` is null or valid for the field's type (or `buffer_len` bytes for strings);
/// `string_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetDiagField(
    handle_type: i16,
    handle: Handle,
    record: i16,
    field: i16,
    info: *mut c_void,
    buffer_len: i16,
    string_len: *mut i16,
) -> SqlReturn {
    let out = FieldOut {
        info,
        buffer_len,
        string_len,
    };
    // SAFETY: forwarded caller contract.
    guard::boundary(|| unsafe {
        diag_field(handle_type, handle, record, field, &out, Width::Narrow)
    })
}

/// SQLGetDiagFieldW (string lengths in bytes: the buffer may hold strings or numbers).
///
/// # Safety
/// As [`SQLGetDiagField`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetDiagFieldW(
    handle_type: i16,
    handle: Handle,
    record: i16,
    field: i16,
    info: *mut c_void,
    buffer_len: i16,
    string_len: *mut i16,
) -> SqlReturn {
    let out = FieldOut {
        info,
        buffer_len,
        string_len,
    };
    // SAFETY: forwarded caller contract.
    guard::boundary(|| unsafe { diag_field(handle_type, handle, record, field, &out, Width::Wide) })
}

struct FieldOut {
    info: *mut c_void,
    buffer_len: i16,
    string_len: *mut i16,
}

/// One field value.
enum Field {
    Text(String),
    Int(i32),
    Short(i16),
    Len(isize),
}

/// # Safety
/// As [`SQLGetDiagField`].
unsafe fn diag_field(
    handle_type: i16,
    handle: Handle,
    number: i16,
    field: i16,
    out: &FieldOut,
    width: Width,
) -> SqlReturn {
    let Some(object) = object_of_type(handle_type, handle) else {
        return SqlReturn::INVALID_HANDLE;
    };
    let value = match header_field(&object, field) {
        Some(value) => value,
        None => match record_field(&object, number, field) {
            Ok(value) => value,
            Err(code) => return code,
        },
    };
    // SAFETY: forwarded caller contract.
    unsafe { write_field(value, out, width) }
}

fn header_field(object: &Object, field: i16) -> Option<Field> {
    let diag = lock(object.diag());
    let value = match field {
        DIAG_NUMBER => Field::Int(i32::try_from(diag.len()).unwrap_or(i32::MAX)),
        DIAG_RETURNCODE => Field::Short(diag.return_code),
        DIAG_ROW_COUNT | DIAG_CURSOR_ROW_COUNT => Field::Len(diag.row_count as isize),
        DIAG_DYNAMIC_FUNCTION => Field::Text(String::new()),
        DIAG_DYNAMIC_FUNCTION_CODE => Field::Int(0),
        _ => return None,
    };
    Some(value)
}

fn record_field(object: &Object, number: i16, field: i16) -> Result<Field, SqlReturn> {
    if number <= 0 {
        return Err(SqlReturn::ERROR);
    }
    let record = lock(object.diag())
        .record(number)
        .cloned()
        .ok_or(SqlReturn::NO_DATA)?;
    let value = match field {
        DIAG_SQLSTATE => Field::Text(record.state.as_str().to_string()),
        DIAG_NATIVE => Field::Int(record.native),
        DIAG_MESSAGE_TEXT => Field::Text(record.message),
        DIAG_CLASS_ORIGIN => Field::Text(record.state.class_origin().to_string()),
        DIAG_SUBCLASS_ORIGIN => Field::Text(record.state.subclass_origin().to_string()),
        DIAG_CONNECTION_NAME | DIAG_SERVER_NAME => Field::Text(data_source_name(object)),
        // SQL_NO_ROW_NUMBER / SQL_NO_COLUMN_NUMBER (-1) for a record that is about no row or
        // column: 0 would name the bookmark column.
        DIAG_ROW_NUMBER => Field::Len(if record.row > 0 {
            record.row as isize
        } else {
            -1
        }),
        DIAG_COLUMN_NUMBER => Field::Int(if record.column > 0 { record.column } else { -1 }),
        _ => return Err(SqlReturn::ERROR),
    };
    Ok(value)
}

/// The DSN the handle's connection was opened with (the spec's value for both the
/// connection name and the server name of a DSN connection).
fn data_source_name(object: &Object) -> String {
    let conn = match object {
        Object::Conn(conn) => std::sync::Arc::clone(conn),
        Object::Stmt(stmt) => std::sync::Arc::clone(&stmt.conn),
        _ => return String::new(),
    };
    let state = lock(&conn.state);
    state
        .session
        .as_ref()
        .and_then(|s| s.config.dsn.clone())
        .unwrap_or_default()
}

/// # Safety
/// As [`SQLGetDiagField`].
unsafe fn write_field(value: Field, out: &FieldOut, width: Width) -> SqlReturn {
    // SAFETY (all arms): `info` is null or valid for the field's type (caller contract).
    match value {
        Field::Int(v) => unsafe { write_out(out.info.cast::<i32>(), v) },
        Field::Short(v) => unsafe { write_out(out.info.cast::<i16>(), v) },
        Field::Len(v) => unsafe { write_out(out.info.cast::<isize>(), v) },
        Field::Text(text) => {
            if out.buffer_len < 0 {
                return SqlReturn::ERROR;
            }
            let buf = unsafe { out_bytes(out.info, out.buffer_len as usize) };
            let written = text::write_text(&text, width, buf);
            let full = i16::try_from(written.full_bytes(width)).unwrap_or(i16::MAX);
            // SAFETY: caller contract on `string_len`.
            unsafe { write_out(out.string_len, full) };
            if written.truncated && !out.info.is_null() {
                return SqlReturn::SUCCESS_WITH_INFO;
            }
        }
    }
    SqlReturn::SUCCESS
}

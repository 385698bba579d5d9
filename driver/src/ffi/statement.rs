//! Statements: SQLPrepare(W), SQLExecute, SQLExecDirect(W), SQLNativeSql(W), SQLNumParams,
//! SQLDescribeParam, SQLBindParameter, SQLCancel, SQLEndTran, SQLFreeStmt, SQLCloseCursor,
//! SQLGetCursorName(W), SQLSetCursorName(W).

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{LengthUnit, NTS, StringOut, string_arg, write_out};
use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::guard::{self, Object};
use crate::handles::{Statement, lock};
use crate::statement::{self, ParamBinding, RawParam, StatementState};
use crate::text::{WIDE_UNIT, WideChar, Width};

/// SQLPrepare.
///
/// # Safety
/// `text` is valid for `len` bytes, or NUL-terminated with `SQL_NTS`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLPrepare(stmt: Handle, text: *const u8, len: i32) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        prepare(stmt, text.cast(), len, Width::Narrow)
    })
}

/// SQLPrepareW (length in characters).
///
/// # Safety
/// As [`SQLPrepare`] for a wide string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLPrepareW(
    stmt: Handle,
    text: *const WideChar,
    len: i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        prepare(stmt, text.cast(), len, Width::Wide)
    })
}

/// # Safety
/// As [`SQLPrepare`] for the given width.
unsafe fn prepare(
    stmt: &Statement,
    text: *const c_void,
    len: i32,
    width: Width,
) -> DriverResult<()> {
    // SAFETY: forwarded caller contract.
    let sql = unsafe { string_arg(text, len as isize, width)? }
        .ok_or_else(|| DriverError::null_pointer("StatementText"))?;
    statement::prepare(stmt, &mut lock(&stmt.state), &sql)
}

/// SQLExecute.
#[unsafe(no_mangle)]
pub extern "system" fn SQLExecute(stmt: Handle) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        let mut state = lock(&stmt.state);
        // SAFETY: the bound parameter buffers stay valid until execution (SQLBindParameter
        // contract).
        let params = unsafe { read_params(&state)? };
        statement::execute(stmt, &mut state, &params)
    })
}

/// SQLExecDirect.
///
/// # Safety
/// As [`SQLPrepare`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLExecDirect(stmt: Handle, text: *const u8, len: i32) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        exec_direct(stmt, text.cast(), len, Width::Narrow)
    })
}

/// SQLExecDirectW (length in characters).
///
/// # Safety
/// As [`SQLPrepareW`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLExecDirectW(
    stmt: Handle,
    text: *const WideChar,
    len: i32,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        exec_direct(stmt, text.cast(), len, Width::Wide)
    })
}

/// # Safety
/// As [`SQLPrepare`] for the given width; bound parameters as in [`SQLExecute`].
unsafe fn exec_direct(
    stmt: &Statement,
    text: *const c_void,
    len: i32,
    width: Width,
) -> DriverResult<()> {
    // SAFETY: forwarded caller contract.
    let sql = unsafe { string_arg(text, len as isize, width)? }
        .ok_or_else(|| DriverError::null_pointer("StatementText"))?;
    let mut state = lock(&stmt.state);
    statement::prepare(stmt, &mut state, &sql)?;
    // SAFETY: bound parameter buffers are valid during execution (SQLBindParameter contract).
    let params = unsafe { read_params(&state)? };
    statement::execute(stmt, &mut state, &params)
}

/// Reads the bound parameters the prepared statement has markers for from the application's
/// buffers. Bindings beyond the markers are left alone: an application that reuses a
/// statement handle without `SQL_RESET_PARAMS` still has them bound.
///
/// # Safety
/// Each binding's value and indicator addresses are valid as SQLBindParameter promised.
unsafe fn read_params(state: &StatementState) -> DriverResult<Vec<RawParam>> {
    let markers = state.prepared.as_ref().map_or(0, |p| p.param_count);
    let mut params = Vec::with_capacity(markers);
    for (index, binding) in state.params.iter().take(markers).enumerate() {
        let binding = binding.ok_or_else(|| {
            let message = format!("parameter {} is not bound", index + 1);
            DriverError::new(SqlState::WRONG_PARAMETER_COUNT, message)
        })?;
        // SAFETY: forwarded caller contract.
        params.push(unsafe { read_param(binding)? });
    }
    Ok(params)
}

/// `SQL_DATA_AT_EXEC` and `SQL_LEN_DATA_AT_EXEC(n)` (n ≤ -100) ask for SQLPutData.
fn is_data_at_exec(indicator: isize) -> bool {
    indicator == -2 || indicator <= -100
}

/// # Safety
/// As [`read_params`] for one binding.
unsafe fn read_param(binding: ParamBinding) -> DriverResult<RawParam> {
    let indicator = match binding.indicator {
        0 => NTS,
        // SAFETY: the indicator address is a valid SQLLEN (SQLBindParameter contract).
        address => unsafe { (address as *const isize).read_unaligned() },
    };
    if indicator == -1 {
        return Ok(RawParam {
            binding,
            indicator,
            bytes: Vec::new(),
        });
    }
    if is_data_at_exec(indicator) {
        return Err(DriverError::not_implemented(
            "data-at-execution parameters (SQLPutData)",
        ));
    }
    if binding.value == 0 {
        return Err(DriverError::null_pointer("ParameterValuePtr"));
    }
    let len = match statement::param_fixed_size(binding.c_type) {
        Some(size) => size,
        // SAFETY: forwarded caller contract.
        None if indicator == NTS => unsafe { terminated_len(binding) },
        None => usize::try_from(indicator).map_err(|_| invalid_indicator())?,
    };
    // SAFETY: the value buffer holds `len` bytes (fixed C type, or the length the
    // application reported, or up to its terminator).
    let bytes = unsafe { std::slice::from_raw_parts(binding.value as *const u8, len) }.to_vec();
    Ok(RawParam {
        binding,
        indicator,
        bytes,
    })
}

fn invalid_indicator() -> DriverError {
    DriverError::new(
        SqlState::INVALID_LENGTH,
        "invalid parameter length or indicator",
    )
}

/// Length in bytes of a NUL-terminated character parameter.
///
/// # Safety
/// The value buffer holds a terminated string of the binding's width.
unsafe fn terminated_len(binding: ParamBinding) -> usize {
    let wide = binding.c_type == -8;
    let unit = if wide { WIDE_UNIT } else { 1 };
    let mut len = 0;
    loop {
        // SAFETY: every unit up to the terminator is readable (caller contract).
        let bytes = unsafe { std::slice::from_raw_parts((binding.value + len) as *const u8, unit) };
        if bytes.iter().all(|&b| b == 0) {
            return len;
        }
        len += unit;
    }
}

/// SQLNativeSql: the engine takes the text as the application wrote it.
///
/// # Safety
/// `input` as in [`SQLPrepare`]; `output` is null or holds `output_max` bytes; `output_len`
/// is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLNativeSql(
    conn: Handle,
    input: *const u8,
    input_len: i32,
    output: *mut u8,
    output_max: i32,
    output_len: *mut i32,
) -> SqlReturn {
    let out = StringOut {
        buf: output.cast(),
        capacity: output_max as isize,
        len_ptr: output_len,
        unit: LengthUnit::Chars,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |_, diag| unsafe {
        native_sql(input.cast(), input_len, &out, diag)
    })
}

/// SQLNativeSqlW (lengths in characters).
///
/// # Safety
/// As [`SQLNativeSql`] for wide strings.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLNativeSqlW(
    conn: Handle,
    input: *const WideChar,
    input_len: i32,
    output: *mut WideChar,
    output_max: i32,
    output_len: *mut i32,
) -> SqlReturn {
    let out = StringOut {
        buf: output.cast(),
        capacity: output_max as isize,
        len_ptr: output_len,
        unit: LengthUnit::Chars,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |_, diag| unsafe {
        native_sql(input.cast(), input_len, &out, diag)
    })
}

/// # Safety
/// As [`SQLNativeSql`].
unsafe fn native_sql(
    input: *const c_void,
    len: i32,
    out: &StringOut<i32>,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    // SAFETY: forwarded caller contract.
    let sql = unsafe { string_arg(input, len as isize, out.width)? }
        .ok_or_else(|| DriverError::null_pointer("InStatementText"))?;
    // SAFETY: forwarded caller contract.
    unsafe { out.write(&sql, diag).map(drop) }
}

/// SQLNumParams.
///
/// # Safety
/// `count` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLNumParams(stmt: Handle, count: *mut i16) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        let params = statement::num_params(&lock(&stmt.state))?;
        // SAFETY: caller contract.
        unsafe { write_out(count, params) };
        Ok(())
    })
}

/// SQLDescribeParam. It takes no strings, so one export serves ANSI and Unicode
/// applications.
///
/// # Safety
/// `data_type`, `size`, `decimal_digits` and `nullable` are each null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLDescribeParam(
    stmt: Handle,
    number: u16,
    data_type: *mut i16,
    size: *mut usize,
    decimal_digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        let described = statement::describe_param(&lock(&stmt.state), number)?;
        // SAFETY: caller contract.
        unsafe {
            write_out(data_type, described.data_type);
            write_out(size, described.size);
            write_out(decimal_digits, described.decimal_digits);
            write_out(nullable, described.nullable);
        }
        Ok(())
    })
}

/// SQLBindParameter: input parameters only (HubDB statements return no output parameters).
#[unsafe(no_mangle)]
pub extern "system" fn SQLBindParameter(
    stmt: Handle,
    number: u16,
    io_type: i16,
    c_type: i16,
    sql_type: i16,
    column_size: usize,
    decimal_digits: i16,
    value: *mut c_void,
    buffer_length: isize,
    indicator: *mut isize,
) -> SqlReturn {
    // SQL_PARAM_INPUT = 1.
    const PARAM_INPUT: i16 = 1;
    let binding = ParamBinding {
        c_type,
        sql_type,
        column_size,
        decimal_digits,
        value: value as usize,
        buffer_length,
        indicator: indicator as usize,
    };
    guard::stmt(stmt, |stmt, _| {
        if io_type != PARAM_INPUT {
            return Err(DriverError::not_implemented("output parameters"));
        }
        statement::bind_parameter(&mut lock(&stmt.state), number, binding)
    })
}

/// SQLCancel: flips the statement's cancel switch; a call running on another thread returns
/// `HY008`. Runs without the statement's diagnostics lock, which the running call holds.
#[unsafe(no_mangle)]
pub extern "system" fn SQLCancel(stmt: Handle) -> SqlReturn {
    guard::boundary(|| match guard::statement(stmt) {
        Some(stmt) => {
            stmt.cancel.cancel();
            SqlReturn::SUCCESS
        }
        None => SqlReturn::INVALID_HANDLE,
    })
}

/// SQLEndTran: HubDB has no transactions; every statement commits on its own, so commit and
/// rollback succeed and do nothing (pyodbc rolls back on close, reference/odbc.md §1.5).
#[unsafe(no_mangle)]
pub extern "system" fn SQLEndTran(handle_type: i16, handle: Handle, _completion: i16) -> SqlReturn {
    guard::any(handle, |object, _| match (handle_type, object) {
        (1, Object::Env(_)) | (2, Object::Conn(_)) => Ok(()),
        _ => Err(DriverError::new(
            SqlState::INVALID_ATTRIBUTE_VALUE,
            "SQLEndTran takes an environment or connection handle",
        )),
    })
}

/// SQLFreeStmt: SQL_CLOSE, SQL_DROP, SQL_UNBIND, SQL_RESET_PARAMS.
#[unsafe(no_mangle)]
pub extern "system" fn SQLFreeStmt(stmt: Handle, option: u16) -> SqlReturn {
    const CLOSE: u16 = 0;
    const DROP: u16 = 1;
    const UNBIND: u16 = 2;
    const RESET_PARAMS: u16 = 3;
    if option == DROP {
        return guard::boundary(|| drop_statement(stmt));
    }
    guard::stmt(stmt, |stmt, _| {
        let mut state = lock(&stmt.state);
        match option {
            CLOSE => state.close_cursor(),
            UNBIND => state.binding.unbind_all(),
            RESET_PARAMS => state.params.clear(),
            _ => {
                return Err(DriverError::new(
                    SqlState("HY092"),
                    format!("SQLFreeStmt option {option} is not known"),
                ));
            }
        }
        Ok(())
    })
}

/// SQL_DROP, the ODBC 2 way to free a statement handle.
fn drop_statement(handle: Handle) -> SqlReturn {
    let Some(stmt) = guard::statement(handle) else {
        return SqlReturn::INVALID_HANDLE;
    };
    guard::unregister_statement(&stmt);
    SqlReturn::SUCCESS
}

/// SQLCloseCursor.
#[unsafe(no_mangle)]
pub extern "system" fn SQLCloseCursor(stmt: Handle) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        statement::close_cursor(&mut lock(&stmt.state))
    })
}

/// SQLGetCursorName.
///
/// # Safety
/// `name` is null or holds `buffer_len` bytes; `name_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetCursorName(
    stmt: Handle,
    name: *mut u8,
    buffer_len: i16,
    name_len: *mut i16,
) -> SqlReturn {
    let out = StringOut {
        buf: name.cast(),
        capacity: buffer_len.into(),
        len_ptr: name_len,
        unit: LengthUnit::Chars,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        get_cursor_name(stmt, &out, diag)
    })
}

/// SQLGetCursorNameW (lengths in characters).
///
/// # Safety
/// As [`SQLGetCursorName`] for wide characters.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetCursorNameW(
    stmt: Handle,
    name: *mut WideChar,
    buffer_len: i16,
    name_len: *mut i16,
) -> SqlReturn {
    let out = StringOut {
        buf: name.cast(),
        capacity: buffer_len.into(),
        len_ptr: name_len,
        unit: LengthUnit::Chars,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        get_cursor_name(stmt, &out, diag)
    })
}

/// # Safety
/// As [`SQLGetCursorName`].
unsafe fn get_cursor_name(
    stmt: &Statement,
    out: &StringOut<i16>,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let name = {
        let mut state = lock(&stmt.state);
        // Generated names start with SQL_CUR, as the spec requires of drivers.
        let generated = format!("SQL_CUR{:x}", stmt as *const Statement as usize);
        state.cursor_name.get_or_insert(generated).clone()
    };
    // SAFETY: forwarded caller contract.
    unsafe { out.write(&name, diag).map(drop) }
}

/// SQLSetCursorName.
///
/// # Safety
/// `name` is valid for `len` bytes or NUL-terminated with `SQL_NTS`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetCursorName(
    stmt: Handle,
    name: *const u8,
    len: i16,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        set_cursor_name(stmt, name.cast(), len, Width::Narrow)
    })
}

/// SQLSetCursorNameW (length in characters).
///
/// # Safety
/// As [`SQLSetCursorName`] for a wide string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSetCursorNameW(
    stmt: Handle,
    name: *const WideChar,
    len: i16,
) -> SqlReturn {
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, _| unsafe {
        set_cursor_name(stmt, name.cast(), len, Width::Wide)
    })
}

/// # Safety
/// As [`SQLSetCursorName`] for the given width.
unsafe fn set_cursor_name(
    stmt: &Statement,
    name: *const c_void,
    len: i16,
    width: Width,
) -> DriverResult<()> {
    // SAFETY: forwarded caller contract.
    let name = unsafe { string_arg(name, len.into(), width)? }
        .ok_or_else(|| DriverError::null_pointer("CursorName"))?;
    if name.is_empty()
        || name.len() > 128
        || name.to_ascii_uppercase().starts_with("SQLCUR")
        || name.to_ascii_uppercase().starts_with("SQL_CUR")
    {
        return Err(DriverError::new(
            SqlState("34000"),
            format!("invalid cursor name '{name}'"),
        ));
    }
    lock(&stmt.state).cursor_name = Some(name);
    Ok(())
}

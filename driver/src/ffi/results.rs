//! Result sets: SQLNumResultCols, SQLDescribeCol(W), SQLColAttribute(W), SQLBindCol,
//! SQLFetch, SQLFetchScroll, SQLGetData, SQLRowCount, SQLMoreResults.

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{LengthUnit, StringOut, out_bytes, write_out};
use crate::convert::{self, CType};
use crate::cursor::{AppMemory, ColumnBinding};
use crate::describe::{self, Attribute};
use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::guard::{self, Status};
use crate::handles::{Statement, lock};
use crate::statement::{self, StatementState};
use crate::text::{WideChar, Width};

/// The application's memory as the cursor sees it: bound buffers, indicators, the
/// rows-fetched count and the row status array, addressed as the application bound them.
struct BoundMemory;

impl AppMemory for BoundMemory {
    fn write(&mut self, address: usize, bytes: &[u8]) {
        // SAFETY: the cursor computes `address` from buffers the application bound with
        // SQLBindCol / SQLSetStmtAttr, which stay valid and large enough for the bound type
        // and length until unbound (ODBC's binding contract); the cursor's address arithmetic
        // is checked. Application buffers never overlap the driver's `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), address as *mut u8, bytes.len()) };
    }

    fn read_len(&self, address: usize) -> isize {
        // SAFETY: `address` is the SQL_ATTR_ROW_BIND_OFFSET_PTR the application set, a valid
        // SQLLEN; it may be unaligned inside an application struct.
        unsafe { (address as *const isize).read_unaligned() }
    }
}

/// SQLNumResultCols.
///
/// # Safety
/// `count` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLNumResultCols(stmt: Handle, count: *mut i16) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        let columns = statement::num_result_cols(&lock(&stmt.state));
        // SAFETY: caller contract.
        unsafe { write_out(count, columns) };
        Ok(())
    })
}

/// Output pointers of SQLDescribeCol other than the name.
struct DescribeOut {
    data_type: *mut i16,
    column_size: *mut usize,
    decimal_digits: *mut i16,
    nullable: *mut i16,
}

/// SQLDescribeCol.
///
/// # Safety
/// `name` is null or holds `buffer_len` bytes; the other pointers are null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLDescribeCol(
    stmt: Handle,
    column: u16,
    name: *mut u8,
    buffer_len: i16,
    name_len: *mut i16,
    data_type: *mut i16,
    column_size: *mut usize,
    decimal_digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    let name = StringOut {
        buf: name.cast(),
        capacity: buffer_len.into(),
        len_ptr: name_len,
        unit: LengthUnit::Chars,
        width: Width::Narrow,
    };
    let out = DescribeOut {
        data_type,
        column_size,
        decimal_digits,
        nullable,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        describe_col(stmt, column, &name, &out, diag)
    })
}

/// SQLDescribeColW (name length in characters).
///
/// # Safety
/// As [`SQLDescribeCol`], with `name` holding `buffer_len` SQLWCHARs.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLDescribeColW(
    stmt: Handle,
    column: u16,
    name: *mut WideChar,
    buffer_len: i16,
    name_len: *mut i16,
    data_type: *mut i16,
    column_size: *mut usize,
    decimal_digits: *mut i16,
    nullable: *mut i16,
) -> SqlReturn {
    let name = StringOut {
        buf: name.cast(),
        capacity: buffer_len.into(),
        len_ptr: name_len,
        unit: LengthUnit::Chars,
        width: Width::Wide,
    };
    let out = DescribeOut {
        data_type,
        column_size,
        decimal_digits,
        nullable,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        describe_col(stmt, column, &name, &out, diag)
    })
}

/// # Safety
/// As [`SQLDescribeCol`].
unsafe fn describe_col(
    stmt: &Statement,
    column: u16,
    name: &StringOut<i16>,
    out: &DescribeOut,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let description = describe::describe_column(result_columns(&lock(&stmt.state))?, column)?;
    // SAFETY: caller contract on every output pointer.
    unsafe {
        name.write(&description.name, diag)?;
        write_out(out.data_type, description.data_type);
        write_out(out.column_size, description.column_size);
        write_out(out.decimal_digits, description.decimal_digits);
        write_out(out.nullable, description.nullable);
    }
    Ok(())
}

/// The columns of the open or prepared result; `07005` when there is none.
fn result_columns(state: &StatementState) -> DriverResult<&[hubdb_sql::ResultColumn]> {
    if state.cursor.is_none() && state.prepared.is_none() {
        return Err(DriverError::new(
            SqlState("07005"),
            "the statement has no result set",
        ));
    }
    Ok(state.columns())
}

/// SQLColAttribute.
///
/// # Safety
/// `text` is null or holds `buffer_len` bytes; `text_len` and `number` are null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColAttribute(
    stmt: Handle,
    column: u16,
    field: u16,
    text: *mut c_void,
    buffer_len: i16,
    text_len: *mut i16,
    number: *mut isize,
) -> SqlReturn {
    let out = StringOut {
        buf: text,
        capacity: buffer_len.into(),
        len_ptr: text_len,
        unit: LengthUnit::Bytes,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        col_attribute(stmt, column, field, &out, number, diag)
    })
}

/// SQLColAttributeW (string lengths in bytes, reference/odbc.md §1.2).
///
/// # Safety
/// As [`SQLColAttribute`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColAttributeW(
    stmt: Handle,
    column: u16,
    field: u16,
    text: *mut c_void,
    buffer_len: i16,
    text_len: *mut i16,
    number: *mut isize,
) -> SqlReturn {
    let out = StringOut {
        buf: text,
        capacity: buffer_len.into(),
        len_ptr: text_len,
        unit: LengthUnit::Bytes,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    guard::stmt(stmt, |stmt, diag| unsafe {
        col_attribute(stmt, column, field, &out, number, diag)
    })
}

/// # Safety
/// As [`SQLColAttribute`].
unsafe fn col_attribute(
    stmt: &Statement,
    column: u16,
    field: u16,
    text: &StringOut<i16>,
    number: *mut isize,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let answer = describe::column_attribute(result_columns(&lock(&stmt.state))?, column, field)?;
    // SAFETY: caller contract on the output pointers.
    match answer {
        Attribute::Numeric(value) => unsafe { write_out(number, value) },
        Attribute::Text(value) => unsafe { text.write(&value, diag).map(drop)? },
    }
    Ok(())
}

/// SQLBindCol: binds (or, with a null buffer, unbinds) a column.
#[unsafe(no_mangle)]
pub extern "system" fn SQLBindCol(
    stmt: Handle,
    column: u16,
    c_type: i16,
    value: *mut c_void,
    buffer_len: isize,
    indicator: *mut isize,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        if buffer_len < 0 {
            return Err(DriverError::new(
                SqlState::INVALID_LENGTH,
                "BufferLength must not be negative",
            ));
        }
        let mut state = lock(&stmt.state);
        let count =
            (state.cursor.is_some() || state.prepared.is_some()).then(|| state.columns().len());
        let binding = ColumnBinding::new(
            c_type,
            value as usize,
            buffer_len as usize,
            indicator as usize,
        );
        state.binding.bind(column, Some(binding), count)
    })
}

/// SQLFetch.
#[unsafe(no_mangle)]
pub extern "system" fn SQLFetch(stmt: Handle) -> SqlReturn {
    guard::stmt(stmt, fetch)
}

/// SQLFetchScroll: forward-only cursors take `SQL_FETCH_NEXT` only (`HY106` otherwise).
#[unsafe(no_mangle)]
pub extern "system" fn SQLFetchScroll(stmt: Handle, orientation: i16, _offset: isize) -> SqlReturn {
    // SQL_FETCH_NEXT = 1.
    const FETCH_NEXT: i16 = 1;
    guard::stmt(stmt, |stmt, diag| {
        if orientation != FETCH_NEXT {
            let message = "the cursor is forward-only: only SQL_FETCH_NEXT is supported";
            return Err(DriverError::new(SqlState::FETCH_TYPE_OUT_OF_RANGE, message));
        }
        fetch(stmt, diag)
    })
}

fn fetch(stmt: &std::sync::Arc<Statement>, diag: &mut Diagnostics) -> DriverResult<Status> {
    let mut state = lock(&stmt.state);
    statement::fetch(stmt, &mut state, &mut BoundMemory, diag)
}

/// SQLGetData.
///
/// # Safety
/// `value` is null or holds `buffer_len` bytes (or the fixed size of `c_type`);
/// `indicator` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetData(
    stmt: Handle,
    column: u16,
    c_type: i16,
    value: *mut c_void,
    buffer_len: isize,
    indicator: *mut isize,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, diag| {
        let mut state = lock(&stmt.state);
        let len = buffer_size(&state, column, c_type, buffer_len)?;
        // SAFETY: the application's buffer holds `len` bytes (caller contract: BufferLength
        // for character and binary data, the C type's size otherwise).
        let out = unsafe { out_bytes(value, len) }.unwrap_or_default();
        match statement::get_data(&mut state, column, c_type, out, !indicator.is_null(), diag)? {
            None => Ok(Status::NoData),
            Some(ind) => {
                // SAFETY: caller contract.
                unsafe { write_out(indicator, ind) };
                Ok(Status::Success)
            }
        }
    })
}

/// Bytes of the application's SQLGetData buffer: the C type's size for fixed-length types
/// (BufferLength is ignored for them), else BufferLength.
fn buffer_size(
    state: &StatementState,
    column: u16,
    c_type: i16,
    buffer_len: isize,
) -> DriverResult<usize> {
    let sql_type = &describe::column(state.columns(), column)?.sql_type;
    let code = match c_type {
        convert::ARD_TYPE => state.binding.column(column).map_or(c_type, |b| b.c_type),
        other => other,
    };
    let fixed = CType::from_code(code, sql_type)
        .ok()
        .and_then(CType::fixed_size);
    match fixed {
        Some(size) => Ok(size),
        None => usize::try_from(buffer_len).map_err(|_| {
            DriverError::new(
                SqlState::INVALID_LENGTH,
                "BufferLength must not be negative",
            )
        }),
    }
}

/// SQLRowCount.
///
/// # Safety
/// `count` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLRowCount(stmt: Handle, count: *mut isize) -> SqlReturn {
    guard::stmt(stmt, |stmt, diag| {
        let rows = statement::row_count(&lock(&stmt.state))?;
        diag.row_count = rows;
        // SAFETY: caller contract.
        unsafe { write_out(count, rows as isize) };
        Ok(())
    })
}

/// SQLMoreResults: one result per statement, so always `SQL_NO_DATA`.
#[unsafe(no_mangle)]
pub extern "system" fn SQLMoreResults(stmt: Handle) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        Ok(statement::more_results(&mut lock(&stmt.state)))
    })
}

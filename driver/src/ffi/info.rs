//! SQLGetInfo(W) and SQLGetFunctions.

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::{LengthUnit, StringOut, write_out};
use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::guard;
use crate::handles::{Connection, lock};
use crate::info::{self, InfoContext, InfoValue};
use crate::text::Width;

/// SQLGetInfo.
///
/// # Safety
/// `value` is null or valid for the answer's type (or `buffer_len` bytes for strings);
/// `string_len` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetInfo(
    conn: Handle,
    info_type: u16,
    value: *mut c_void,
    buffer_len: i16,
    string_len: *mut i16,
) -> SqlReturn {
    let out = StringOut {
        buf: value,
        capacity: buffer_len.into(),
        len_ptr: string_len,
        unit: LengthUnit::Bytes,
        width: Width::Narrow,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        get_info(conn, info_type, &out, diag)
    })
}

/// SQLGetInfoW (string lengths in bytes, reference/odbc.md §1.6).
///
/// # Safety
/// As [`SQLGetInfo`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetInfoW(
    conn: Handle,
    info_type: u16,
    value: *mut c_void,
    buffer_len: i16,
    string_len: *mut i16,
) -> SqlReturn {
    let out = StringOut {
        buf: value,
        capacity: buffer_len.into(),
        len_ptr: string_len,
        unit: LengthUnit::Bytes,
        width: Width::Wide,
    };
    // SAFETY: forwarded caller contract.
    guard::conn(conn, |conn, diag| unsafe {
        get_info(conn, info_type, &out, diag)
    })
}

fn context(conn: &Connection) -> InfoContext {
    let state = lock(&conn.state);
    let Some(session) = &state.session else {
        return InfoContext::default();
    };
    InfoContext {
        dsn: session.config.dsn.clone().unwrap_or_default(),
        server_name: session.config.api_base_url.clone(),
        read_only: session.config.readonly || state.attrs.read_only,
    }
}

/// # Safety
/// As [`SQLGetInfo`].
unsafe fn get_info(
    conn: &Connection,
    info_type: u16,
    out: &StringOut<i16>,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let answer = info::info(info_type, &context(conn)).ok_or_else(|| {
        DriverError::new(
            SqlState::INVALID_INFO_TYPE,
            format!("information type {info_type} is not known"),
        )
    })?;
    // SAFETY (all arms): `out.buf` is null or valid for the answer's type; `len_ptr` is null
    // or writable (caller contract).
    match answer {
        InfoValue::Text(text) => unsafe { out.write(&text, diag).map(drop) },
        InfoValue::U16(v) => unsafe {
            write_out(out.buf.cast::<u16>(), v);
            write_out(out.len_ptr, 2);
            Ok(())
        },
        InfoValue::U32(v) => unsafe {
            write_out(out.buf.cast::<u32>(), v);
            write_out(out.len_ptr, 4);
            Ok(())
        },
    }
}

/// SQLGetFunctions: answered from [`info::EXPORTS`], the list of exported functions.
///
/// # Safety
/// `supported` is null or holds 250 `SQLUSMALLINT`s for `SQL_API_ODBC3_ALL_FUNCTIONS`, 100
/// for `SQL_API_ALL_FUNCTIONS`, else one.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLGetFunctions(
    conn: Handle,
    function: u16,
    supported: *mut u16,
) -> SqlReturn {
    guard::conn(conn, |_, _| {
        if supported.is_null() {
            return Err(DriverError::null_pointer("SupportedPtr"));
        }
        match function {
            info::ALL_FUNCTIONS_ODBC3 => {
                // SAFETY: the buffer holds 250 words for this id (caller contract).
                unsafe { write_words(supported, &info::odbc3_bitmap()) }
            }
            info::ALL_FUNCTIONS_ODBC2 => {
                // SAFETY: the buffer holds 100 words for this id (caller contract).
                unsafe { write_words(supported, &info::odbc2_array()) }
            }
            id => {
                // SAFETY: one writable word (caller contract).
                unsafe { write_out(supported, u16::from(info::is_exported(id))) }
            }
        }
        Ok(())
    })
}

/// # Safety
/// `target` is valid for `words.len()` unaligned u16 writes.
unsafe fn write_words(target: *mut u16, words: &[u16]) {
    for (index, &word) in words.iter().enumerate() {
        // SAFETY: index < words.len(), within the caller's buffer.
        unsafe { write_out(target.add(index), word) };
    }
}

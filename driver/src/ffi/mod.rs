//! Every exported ODBC entry point, ANSI and wide, one file per ODBC concept.
//!
//! Each entry point only decodes its C arguments with the helpers below and calls one
//! internal function through `guard`; the ANSI and wide variants share that function. No
//! exported function calls another exported function. This module and `guard.rs` are the
//! only places that read or write through application pointers.

pub mod attributes;
pub mod catalog;
pub mod connection;
pub mod diag;
pub mod env;
pub mod info;
pub mod results;
pub mod statement;

use std::ffi::c_void;

use crate::diag::Diagnostics;
use crate::error::{DriverError, DriverResult, SqlState};
use crate::text::{self, TextOut, WideChar, Width};

/// `SQL_NTS`: the string is NUL-terminated.
pub const NTS: isize = -3;

/// Reads a narrow input string (`SQLCHAR*` plus a length in bytes or `SQL_NTS`). A null
/// pointer reads as None.
///
/// # Safety
/// `ptr` is null or points to `len` readable bytes, or to a NUL-terminated string when
/// `len` is `SQL_NTS`.
pub unsafe fn narrow_arg(ptr: *const u8, len: isize) -> DriverResult<Option<String>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let len = match len {
        NTS => {
            // SAFETY: the caller guarantees a NUL-terminated string for SQL_NTS.
            unsafe { std::ffi::CStr::from_ptr(ptr.cast()) }
                .to_bytes()
                .len()
        }
        n if n >= 0 => n as usize,
        _ => return Err(invalid_length()),
    };
    // SAFETY: the caller guarantees `len` readable bytes at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    Ok(Some(text::decode_narrow(bytes)))
}

/// Reads a wide input string (`SQLWCHAR*` plus a length in characters or `SQL_NTS`).
///
/// # Safety
/// `ptr` is null or points to `len` readable `SQLWCHAR`s, or to a NUL-terminated wide
/// string when `len` is `SQL_NTS`.
pub unsafe fn wide_arg(ptr: *const WideChar, len: isize) -> DriverResult<Option<String>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let len = match len {
        // SAFETY: the caller guarantees a NUL-terminated wide string for SQL_NTS.
        NTS => unsafe { wide_strlen(ptr) },
        n if n >= 0 => n as usize,
        _ => return Err(invalid_length()),
    };
    // An application may pass a wide string at an odd address (a packed struct, a byte
    // buffer): each unit is read unaligned rather than trusting the pointer's alignment.
    let units: Vec<WideChar> = (0..len)
        // SAFETY: the caller guarantees `len` readable units at `ptr`.
        .map(|i| unsafe { ptr.add(i).read_unaligned() })
        .collect();
    Ok(Some(text::decode_wide(&units)))
}

/// Reads an input string of either width; `len` counts characters (or is `SQL_NTS`).
///
/// # Safety
/// As [`narrow_arg`] or [`wide_arg`] for the given width.
pub unsafe fn string_arg(
    ptr: *const c_void,
    len: isize,
    width: Width,
) -> DriverResult<Option<String>> {
    match width {
        // SAFETY: forwarded caller guarantee.
        Width::Narrow => unsafe { narrow_arg(ptr.cast(), len) },
        // SAFETY: forwarded caller guarantee.
        Width::Wide => unsafe { wide_arg(ptr.cast(), len) },
    }
}

/// # Safety
/// `ptr` points to a NUL-terminated wide string.
unsafe fn wide_strlen(ptr: *const WideChar) -> usize {
    let mut len = 0;
    // SAFETY: the string is terminated, so every unit up to the terminator is readable;
    // read unaligned, as in `wide_arg`.
    while unsafe { ptr.add(len).read_unaligned() } != 0 {
        len += 1;
    }
    len
}

fn invalid_length() -> DriverError {
    DriverError::new(SqlState::INVALID_LENGTH, "invalid string or buffer length")
}

/// An application output buffer of `len` bytes, or None for a null pointer.
///
/// # Safety
/// `ptr` is null or points to `len` writable bytes that nothing else accesses during the call.
pub unsafe fn out_bytes<'a>(ptr: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: guaranteed by the caller.
    Some(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<u8>(), len) })
}

/// Writes `value` through `ptr` unless it is null.
///
/// # Safety
/// `ptr` is null or valid for a write of `T` (unaligned writes are allowed).
pub unsafe fn write_out<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: guaranteed by the caller; write_unaligned tolerates packed app structs.
        unsafe { ptr.write_unaligned(value) };
    }
}

/// The unit in which a function reports a string's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// Characters (SQLWCHARs for wide): names, SQL text, diagnostic messages.
    Chars,
    /// Bytes: SQLGetInfo, attribute and descriptor-field buffers.
    Bytes,
}

/// Where a string output goes: the buffer, its capacity and where its length is reported.
pub struct StringOut<L> {
    pub buf: *mut c_void,
    /// Capacity in `unit`s (characters or bytes) as the application passed it.
    pub capacity: isize,
    pub len_ptr: *mut L,
    pub unit: LengthUnit,
    pub width: Width,
}

impl<L: TryFrom<usize> + Copy> StringOut<L> {
    /// Writes `text` through the one string writer; truncation adds `01004` to `diag`.
    ///
    /// # Safety
    /// `buf` is null or holds `capacity` units; `len_ptr` is null or writable.
    pub unsafe fn write(&self, text: &str, diag: &mut Diagnostics) -> DriverResult<TextOut> {
        if self.capacity < 0 {
            return Err(invalid_length());
        }
        let capacity_bytes = match self.unit {
            LengthUnit::Chars => self.capacity as usize * self.width.unit(),
            LengthUnit::Bytes => self.capacity as usize,
        };
        // SAFETY: forwarded caller guarantee on `buf` and its capacity.
        let out = text::write_text(text, self.width, unsafe {
            out_bytes(self.buf, capacity_bytes)
        });
        let full = match self.unit {
            LengthUnit::Chars => out.full_units,
            LengthUnit::Bytes => out.full_bytes(self.width),
        };
        let reported = L::try_from(full).ok();
        if let Some(len) = reported {
            // SAFETY: forwarded caller guarantee on `len_ptr`.
            unsafe { write_out(self.len_ptr, len) };
        }
        if out.truncated && !self.buf.is_null() {
            diag.push_warning(SqlState::STRING_TRUNCATED, "string data, right truncated");
        }
        Ok(out)
    }
}

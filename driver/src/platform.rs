//! The one platform module: reading a DSN's stored keys through the driver manager's
//! installer library (reference/odbc.md §2.3). unixODBC's `libodbcinst` on Linux, iODBC's
//! `libiodbcinst` with the `iodbc` feature, `odbccp32` on Windows. With the file name
//! `odbc.ini` the installer library consults the user file, then the system file.

use std::ffi::{CString, c_char, c_int};

#[cfg_attr(all(unix, not(feature = "iodbc")), link(name = "odbcinst"))]
#[cfg_attr(all(unix, feature = "iodbc"), link(name = "iodbcinst"))]
#[cfg_attr(windows, link(name = "odbccp32"))]
unsafe extern "system" {
    // The narrow variant: MongoDB's Rust driver notes the wide one is unreliable in unixODBC
    // (reference/odbc.md §2.3).
    fn SQLGetPrivateProfileString(
        section: *const c_char,
        entry: *const c_char,
        default: *const c_char,
        buffer: *mut c_char,
        buffer_len: c_int,
        file_name: *const c_char,
    ) -> c_int;
}

/// Longest value read from a DSN (paths, tokens and URLs fit comfortably).
const MAX_VALUE_BYTES: usize = 4096;

/// One key of a DSN, or None when the DSN or key is absent or empty.
pub fn dsn_value(dsn: &str, key: &str) -> Option<String> {
    let section = CString::new(dsn).ok()?;
    let entry = CString::new(key).ok()?;
    let empty = CString::default();
    let file = CString::new("odbc.ini").ok()?;
    let mut buffer = vec![0u8; MAX_VALUE_BYTES];
    // SAFETY: all string arguments are NUL-terminated CStrings that outlive the call; the
    // buffer is writable for its full length, which is passed as the limit, and the installer
    // library writes at most that many bytes including the terminator.
    let len = unsafe {
        SQLGetPrivateProfileString(
            section.as_ptr(),
            entry.as_ptr(),
            empty.as_ptr(),
            buffer.as_mut_ptr().cast(),
            MAX_VALUE_BYTES as c_int,
            file.as_ptr(),
        )
    };
    let len = usize::try_from(len).ok()?.min(MAX_VALUE_BYTES);
    let end = buffer[..len].iter().position(|&b| b == 0).unwrap_or(len);
    let value = String::from_utf8_lossy(&buffer[..end]).trim().to_string();
    (!value.is_empty()).then_some(value)
}

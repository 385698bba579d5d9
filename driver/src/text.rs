//! The one string writer for all character output, and the decoding of input strings.
//!
//! Decisions baked in (reference/odbc.md §1.2, §1.9, STYLE point 4):
//! - narrow (ANSI) strings are UTF-8 both ways;
//! - wide strings are UTF-16 (`SQLWCHAR` = u16) under unixODBC and Windows, UTF-32 under
//!   iODBC (cargo feature `iodbc`, `SQLWCHAR` = `wchar_t`);
//! - output is always NUL-terminated when the buffer has room for the terminator, and the full
//!   length is reported so the caller can return `01004`;
//! - names and messages ([`write_text`]) are truncated on a character boundary (never half a
//!   UTF-8 sequence or half a surrogate pair): they are read in one call;
//! - column data ([`write_encoded`]), which SQLGetData hands out in parts, fills the buffer with
//!   whole code units up to the terminator, even when that splits a character between two
//!   parts. The SQLGetData page fixes the part length at the buffer length minus the
//!   terminator, and clients count on it: pyodbc (`src/getdata.cpp`) takes exactly that many
//!   bytes from every `01004` part, so a shorter part would leave a NUL inside the text.

/// One unit of a wide string as the driver manager passes it.
#[cfg(not(feature = "iodbc"))]
pub type WideChar = u16;
/// One unit of a wide string as the driver manager passes it.
#[cfg(feature = "iodbc")]
pub type WideChar = u32;

/// Bytes per wide unit.
pub const WIDE_UNIT: usize = std::mem::size_of::<WideChar>();

/// Which character width a buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// `SQLCHAR`, UTF-8.
    Narrow,
    /// `SQLWCHAR`, UTF-16 (UTF-32 under iODBC).
    Wide,
}

impl Width {
    /// Bytes per code unit.
    pub fn unit(self) -> usize {
        match self {
            Width::Narrow => 1,
            Width::Wide => WIDE_UNIT,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOut {
    /// Full length of the text in code units (bytes for narrow, SQLWCHARs for wide), without
    /// the terminator, whether or not it fit.
    pub full_units: usize,
    /// Code units actually written, without the terminator.
    pub written_units: usize,
    /// The text did not fit (the caller reports `01004`).
    pub truncated: bool,
}

impl TextOut {
    /// Full length in bytes.
    pub fn full_bytes(&self, width: Width) -> usize {
        self.full_units * width.unit()
    }
}

/// Encodes `text` into code units of the given width.
pub fn encode(text: &str, width: Width) -> Vec<u8> {
    match width {
        Width::Narrow => text.as_bytes().to_vec(),
        Width::Wide => encode_wide(text)
            .iter()
            .flat_map(|unit| unit.to_ne_bytes())
            .collect(),
    }
}

/// Encodes `text` as wide units.
pub fn encode_wide(text: &str) -> Vec<WideChar> {
    #[cfg(not(feature = "iodbc"))]
    return text.encode_utf16().collect();
    #[cfg(feature = "iodbc")]
    return text.chars().map(u32::from).collect();
}

/// Writes `text` into `out` (`None`: the application passed a null buffer and only wants the
/// length). Truncates on a character boundary and always leaves a terminator when `out` has
/// room for one.
pub fn write_text(text: &str, width: Width, out: Option<&mut [u8]>) -> TextOut {
    let encoded = encode(text, width);
    let full_units = encoded.len() / width.unit();
    let Some(out) = out else {
        return TextOut {
            full_units,
            written_units: 0,
            truncated: full_units > 0,
        };
    };
    let written = write_units(text, &encoded, width, out);
    TextOut {
        full_units,
        written_units: written / width.unit(),
        truncated: written < encoded.len(),
    }
}

/// Writes one part of a column value, already encoded at `width`, into `out` (`None`: only the
/// length is wanted): as many whole code units as fit before the terminator, a character split
/// between two parts if need be, so that the parts joined are exactly `encoded`.
pub fn write_encoded(encoded: &[u8], width: Width, out: Option<&mut [u8]>) -> TextOut {
    let full_units = encoded.len() / width.unit();
    let Some(out) = out else {
        return TextOut {
            full_units,
            written_units: 0,
            truncated: full_units > 0,
        };
    };
    let written = copy_terminated(
        encoded,
        room_before_terminator(width, out.len()),
        width,
        out,
    );
    TextOut {
        full_units,
        written_units: written / width.unit(),
        truncated: written < encoded.len(),
    }
}

/// Copies as many whole characters as fit before the terminator; returns the bytes copied.
fn write_units(text: &str, encoded: &[u8], width: Width, out: &mut [u8]) -> usize {
    let room = room_before_terminator(width, out.len());
    let len = fitting_prefix(text, width, room);
    copy_terminated(encoded, len, width, out)
}

/// Bytes of whole code units a buffer of `len` bytes holds besides the terminator.
fn room_before_terminator(width: Width, len: usize) -> usize {
    (len / width.unit()).saturating_sub(1) * width.unit()
}

/// Copies up to `len` bytes of `encoded` and a terminator after them; a buffer without room
/// for the terminator is left alone. Returns the bytes copied.
fn copy_terminated(encoded: &[u8], len: usize, width: Width, out: &mut [u8]) -> usize {
    let unit = width.unit();
    if out.len() < unit {
        return 0;
    }
    let len = len.min(encoded.len());
    out[..len].copy_from_slice(&encoded[..len]);
    out[len..len + unit].fill(0);
    len
}

/// The largest byte count ≤ `room` that ends on a character boundary of `text` encoded at
/// `width`.
fn fitting_prefix(text: &str, width: Width, room: usize) -> usize {
    let mut used = 0;
    for ch in text.chars() {
        let size = match width {
            Width::Narrow => ch.len_utf8(),
            Width::Wide => char_units(ch) * WIDE_UNIT,
        };
        if used + size > room {
            break;
        }
        used += size;
    }
    used
}

fn char_units(ch: char) -> usize {
    if cfg!(feature = "iodbc") {
        1
    } else {
        ch.len_utf16()
    }
}

/// Decodes a narrow input string (UTF-8; invalid bytes become U+FFFD).
pub fn decode_narrow(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes a wide input string (invalid units become U+FFFD).
pub fn decode_wide(units: &[WideChar]) -> String {
    #[cfg(not(feature = "iodbc"))]
    return String::from_utf16_lossy(units);
    #[cfg(feature = "iodbc")]
    return units
        .iter()
        .map(|&u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
}

/// Decodes a wide input string given as raw native-endian bytes.
pub fn decode_wide_bytes(bytes: &[u8]) -> String {
    let units: Vec<WideChar> = bytes
        .chunks_exact(WIDE_UNIT)
        .map(|chunk| {
            let mut raw = [0u8; WIDE_UNIT];
            raw.copy_from_slice(chunk);
            WideChar::from_ne_bytes(raw)
        })
        .collect();
    decode_wide(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_fits_with_terminator() {
        let mut buf = [0xAAu8; 6];
        let out = write_text("abc", Width::Narrow, Some(&mut buf));
        assert_eq!(out.full_units, 3);
        assert!(!out.truncated);
        assert_eq!(&buf[..4], b"abc\0");
    }

    #[test]
    fn narrow_truncates_on_a_character_boundary() {
        // "Aö" is 41 C3 B6: a 3-byte buffer holds 'A' + NUL, never half of 'ö'.
        let mut buf = [0xAAu8; 3];
        let out = write_text("Aö", Width::Narrow, Some(&mut buf));
        assert_eq!(out.full_units, 3);
        assert!(out.truncated);
        assert_eq!(out.written_units, 1);
        assert_eq!(&buf, &[b'A', 0, 0xAA]);
    }

    #[test]
    fn narrow_exact_length_is_truncated_because_the_terminator_needs_room() {
        let mut buf = [0u8; 3];
        let out = write_text("abc", Width::Narrow, Some(&mut buf));
        assert!(out.truncated);
        assert_eq!(&buf, b"ab\0");
    }

    #[cfg(not(feature = "iodbc"))]
    #[test]
    fn wide_never_splits_a_surrogate_pair() {
        // "a😀" is 3 UTF-16 units; 6 bytes hold 'a' + terminator only (the pair needs 4).
        let mut buf = [0xAAu8; 6];
        let out = write_text("a😀", Width::Wide, Some(&mut buf));
        assert_eq!(out.full_units, 3);
        assert_eq!(out.full_bytes(Width::Wide), 6);
        assert!(out.truncated);
        assert_eq!(out.written_units, 1);
        assert_eq!(&buf[..4], &[b'a', 0, 0, 0]);
    }

    #[cfg(not(feature = "iodbc"))]
    #[test]
    fn a_data_part_fills_the_buffer_even_inside_a_surrogate_pair() {
        // "a😀" is 3 UTF-16 units; 6 bytes hold two units and the terminator.
        let encoded = encode("a😀", Width::Wide);
        let mut buf = [0xAAu8; 6];
        let out = write_encoded(&encoded, Width::Wide, Some(&mut buf));
        assert_eq!((out.full_units, out.written_units), (3, 2));
        assert!(out.truncated);
        assert_eq!(&buf[..4], &encoded[..4]);
        assert_eq!(&buf[4..], &[0, 0]);
    }

    #[test]
    fn a_data_part_fills_the_buffer_even_inside_a_utf8_sequence() {
        // "Aö" is 41 C3 B6: 3 bytes hold 41 C3 and the terminator.
        let mut buf = [0xAAu8; 3];
        let out = write_encoded("Aö".as_bytes(), Width::Narrow, Some(&mut buf));
        assert_eq!((out.full_units, out.written_units), (3, 2));
        assert!(out.truncated);
        assert_eq!(buf, [b'A', 0xC3, 0]);
    }

    #[test]
    fn a_data_part_that_fits_is_whole_and_terminated() {
        let mut buf = [0xAAu8; 4];
        let out = write_encoded(b"abc", Width::Narrow, Some(&mut buf));
        assert!(!out.truncated);
        assert_eq!(&buf, b"abc\0");
        let out = write_encoded(b"abc", Width::Narrow, None);
        assert_eq!((out.full_units, out.written_units), (3, 0));
    }

    #[test]
    fn wide_round_trips_non_ascii() {
        let text = "Ablösung 東京";
        let mut buf = vec![0u8; 64];
        let out = write_text(text, Width::Wide, Some(&mut buf));
        assert!(!out.truncated);
        let written = &buf[..out.written_units * WIDE_UNIT];
        assert_eq!(decode_wide_bytes(written), text);
    }

    #[test]
    fn null_buffer_reports_length_only() {
        let out = write_text("hello", Width::Wide, None);
        assert_eq!(out.full_units, 5);
        assert_eq!(out.written_units, 0);
    }

    #[test]
    fn buffer_smaller_than_a_terminator_is_left_alone() {
        let mut buf = [0xAAu8; 1];
        let out = write_text("x", Width::Wide, Some(&mut buf));
        assert!(out.truncated);
        assert_eq!(buf, [0xAA]);
    }

    #[test]
    fn empty_text_writes_only_a_terminator_and_is_not_truncated() {
        let mut buf = [0xAAu8; 4];
        let out = write_text("", Width::Wide, Some(&mut buf));
        assert!(!out.truncated);
        assert_eq!(&buf[..WIDE_UNIT], &vec![0u8; WIDE_UNIT][..]);
    }
}

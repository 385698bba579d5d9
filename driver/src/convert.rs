//! Arrow cell → the C type an application asked for (SQLGetData, bound columns).
//!
//! Decisions baked in (reference/odbc.md §1.9; ODBC appendix D "Converting data from SQL to C
//! data types"):
//! - `SQL_C_CHAR` is UTF-8 (the driver's ANSI encoding), `SQL_C_WCHAR` UTF-16 (UTF-32 under
//!   the `iodbc` feature); both go through `text::write_encoded`, so output is NUL-terminated
//!   and each part fills the buffer with whole code units, a character split between two
//!   parts if need be (the parts joined are the exact encoding; see `text`);
//! - character and binary results can be read in parts: `offset` counts bytes of the converted
//!   representation already delivered, the indicator is the byte length still remaining
//!   (never `SQL_NO_TOTAL`: the whole value is in memory), truncation is `01004`;
//! - numbers and datetimes rendered as text: DOUBLE as the shortest text that reads back to the
//!   same value (exponent form below 1e-4 and from 1e21 on, e.g. `1.5E-7`), DECIMAL as exact
//!   text with all scale digits (`12.5000`), BIT as `0`/`1`, DATE as `YYYY-MM-DD`, TIMESTAMP as
//!   `YYYY-MM-DD hh:mm:ss.fff` (as many fraction digits as the Arrow unit has);
//! - a buffer too small for the whole-number part of a number, or for a full date/time, is
//!   `22003` (appendix D), except a zero-length buffer, which only asks for the length;
//! - text read as a number is parsed after trimming blanks; anything else is `22018`; a value
//!   out of the target's range is `22003`; dropped fractional digits or time parts are the
//!   warning `01S07`; incompatible types (a date into an integer) are `07006`;
//! - `SQL_C_BINARY` gets the bytes of binary columns, the UTF-8 bytes of text and the C
//!   structure or native-endian bytes of everything else;
//! - `SQL_C_NUMERIC` takes precision and scale from the application's descriptor when set, else
//!   from the column; `val` is the little-endian magnitude, `sign` 1 for positive.

use crate::error::{DriverError, DriverResult, SqlState};
use crate::text::{self, Width};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use hubdb_sql::SqlType;
use hubdb_sql::arrow::array::{Array, AsArray};
use hubdb_sql::arrow::datatypes::{self as dt, DataType, TimeUnit};
use hubdb_sql::arrow::util::display::{ArrayFormatter, FormatOptions};
use std::borrow::Cow;

/// `SQL_NULL_DATA` (sql.h).
pub const NULL_DATA: isize = -1;
/// `SQL_ARD_TYPE`: SQLGetData takes the type from the bound column's descriptor record.
pub const ARD_TYPE: i16 = -99;

/// Invalid application buffer type (SQLBindCol / SQLGetData with an unknown C type).
const INVALID_BUFFER_TYPE: SqlState = SqlState("HY003");
/// Datetime field overflow: a year the C structure cannot hold.
const DATETIME_OVERFLOW: SqlState = SqlState("22008");

/// The C types the driver converts to (`SQL_C_DEFAULT` and the ODBC 2 aliases resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CType {
    Char,
    WChar,
    Binary,
    STinyInt,
    UTinyInt,
    SShort,
    UShort,
    SLong,
    ULong,
    SBigInt,
    UBigInt,
    Float,
    Double,
    Bit,
    Numeric,
    Date,
    Time,
    Timestamp,
}

impl CType {
    /// Resolves a C type code from SQLBindCol/SQLGetData. `SQL_C_DEFAULT` becomes the default C
    /// type of the column's SQL type; unknown codes are `HY003`.
    pub fn from_code(code: i16, sql_type: &SqlType) -> DriverResult<CType> {
        let ctype = match code {
            99 => CType::default_for(sql_type),
            1 => CType::Char,
            -8 => CType::WChar,
            -2 => CType::Binary,
            -26 | -6 => CType::STinyInt,
            -28 => CType::UTinyInt,
            -15 | 5 => CType::SShort,
            -17 => CType::UShort,
            -16 | 4 => CType::SLong,
            -18 => CType::ULong,
            -25 => CType::SBigInt,
            -27 => CType::UBigInt,
            7 => CType::Float,
            8 => CType::Double,
            -7 => CType::Bit,
            2 => CType::Numeric,
            9 | 91 => CType::Date,
            10 | 92 => CType::Time,
            11 | 93 => CType::Timestamp,
            // SQL_C_GUID and the interval types are C types the driver does not convert to:
            // a restricted conversion (07006), not an invalid buffer type (HY003).
            -11 | 101..=113 => {
                let message = format!("values cannot be converted to C data type {code}");
                return Err(DriverError::new(SqlState::RESTRICTED_DATA_TYPE, message));
            }
            _ => {
                let message = format!("C data type {code} is not supported");
                return Err(DriverError::new(INVALID_BUFFER_TYPE, message));
            }
        };
        Ok(ctype)
    }

    /// The default C type of a SQL type (ODBC appendix D, "Default C data types"); Power BI
    /// asks for exactly these (reference/odbc.md §1.9).
    pub fn default_for(sql_type: &SqlType) -> CType {
        match sql_type {
            SqlType::WVarChar { .. } | SqlType::WLongVarChar { .. } => CType::WChar,
            SqlType::Decimal { .. } => CType::Char,
            SqlType::Double => CType::Double,
            SqlType::Real => CType::Float,
            SqlType::Bit => CType::Bit,
            SqlType::BigInt => CType::SBigInt,
            SqlType::Integer => CType::SLong,
            SqlType::SmallInt => CType::SShort,
            SqlType::Date => CType::Date,
            SqlType::Time => CType::Time,
            SqlType::Timestamp { .. } => CType::Timestamp,
            SqlType::Binary { .. } => CType::Binary,
        }
    }

    /// Size of the C value for fixed-length types (the application's buffer length is then
    /// ignored, as the spec says); `None` for character and binary types.
    pub fn fixed_size(self) -> Option<usize> {
        match self {
            CType::Char | CType::WChar | CType::Binary => None,
            CType::STinyInt | CType::UTinyInt | CType::Bit => Some(1),
            CType::SShort | CType::UShort => Some(2),
            CType::SLong | CType::ULong | CType::Float => Some(4),
            CType::SBigInt | CType::UBigInt | CType::Double => Some(8),
            // SQL_NUMERIC_STRUCT: precision, scale, sign, 16 value bytes.
            CType::Numeric => Some(19),
            CType::Date | CType::Time => Some(6),
            CType::Timestamp => Some(16),
        }
    }

    fn width(self) -> Option<Width> {
        match self {
            CType::Char => Some(Width::Narrow),
            CType::WChar => Some(Width::Wide),
            _ => None,
        }
    }
}

/// A C type plus the descriptor fields that shape a `SQL_C_NUMERIC` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub ctype: CType,
    /// `SQL_DESC_PRECISION` of the application's descriptor record, if the application set it.
    pub precision: Option<u8>,
    /// `SQL_DESC_SCALE` of the application's descriptor record, if the application set it.
    pub scale: Option<i8>,
}

impl From<CType> for Target {
    fn from(ctype: CType) -> Self {
        Target {
            ctype,
            precision: None,
            scale: None,
        }
    }
}

/// A warning a conversion raises while still delivering data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertWarning {
    /// `01004`: character or binary data did not fit; more remains.
    Truncated,
    /// `01S07`: fractional digits or a time part were dropped.
    FractionalTruncation,
}

impl ConvertWarning {
    /// The diagnostic record for this warning.
    pub fn to_error(self) -> DriverError {
        match self {
            ConvertWarning::Truncated => {
                DriverError::new(SqlState::STRING_TRUNCATED, "string data, right truncated")
            }
            ConvertWarning::FractionalTruncation => {
                DriverError::new(SqlState::FRACTIONAL_TRUNCATION, "fractional truncation")
            }
        }
    }
}

/// What one conversion delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// `SQL_NULL_DATA`, or the byte length of the value from `offset` on, before truncation.
    pub indicator: isize,
    /// Bytes written to the buffer, without the terminator.
    pub written: usize,
    /// Bytes of the converted representation this call delivered (the next offset advances by
    /// it); for fixed-length types the whole value.
    pub consumed: usize,
    pub warning: Option<ConvertWarning>,
}

impl Converted {
    /// True when the cell was NULL.
    pub fn is_null(&self) -> bool {
        self.indicator == NULL_DATA
    }

    /// True when a later call can deliver more of the value (chunked SQLGetData).
    pub fn has_more(&self) -> bool {
        self.warning == Some(ConvertWarning::Truncated)
    }

    fn null() -> Self {
        Converted {
            indicator: NULL_DATA,
            written: 0,
            consumed: 0,
            warning: None,
        }
    }

    fn fixed(bytes: usize, warning: Option<ConvertWarning>) -> Self {
        Converted {
            indicator: to_isize(bytes),
            written: bytes,
            consumed: bytes,
            warning,
        }
    }
}

/// Converts the cell at `row` of `array` into `out`. For character and binary targets,
/// `offset` is the number of bytes of the converted value already delivered by earlier calls;
/// `out` may be empty to ask for the length. For fixed-length targets `out` must hold
/// [`CType::fixed_size`] bytes.
pub fn convert_cell(
    array: &dyn Array,
    row: usize,
    target: &Target,
    out: &mut [u8],
    offset: usize,
) -> DriverResult<Converted> {
    let value = cell_value(array, row)?;
    if matches!(value, Value::Null) {
        return Ok(Converted::null());
    }
    if let Some(width) = target.ctype.width() {
        return to_characters(&value, width, out, offset);
    }
    if target.ctype == CType::Binary {
        return Ok(write_binary(&binary_bytes(&value), out, offset));
    }
    let size = target.ctype.fixed_size().unwrap_or(0);
    let out = out.get_mut(..size).ok_or_else(|| {
        DriverError::new(
            SqlState::INVALID_LENGTH,
            format!("buffer smaller than {size} bytes"),
        )
    })?;
    let warning = write_fixed(&value, target, out)?;
    Ok(Converted::fixed(size, warning))
}

/// True when the cell at `row` is NULL.
pub fn is_null(array: &dyn Array, row: usize) -> bool {
    array.is_null(row)
}

fn write_fixed(
    value: &Value,
    target: &Target,
    out: &mut [u8],
) -> DriverResult<Option<ConvertWarning>> {
    match target.ctype {
        CType::Float | CType::Double => write_float(value, target.ctype, out).map(|()| None),
        CType::Bit => write_bit(value, out),
        CType::Numeric => write_numeric(value, target, out),
        CType::Date => write_date(value, out),
        CType::Time => write_time(value, out),
        CType::Timestamp => write_timestamp(value, out),
        integer => write_integer(value, integer, out),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a cell.

/// One cell, decoded from its Arrow array.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Text(Cow<'a, str>),
    Bytes(&'a [u8]),
    Bool(bool),
    Int(i128),
    Float(f64),
    Decimal {
        mantissa: i128,
        precision: u8,
        scale: i8,
    },
    Date(NaiveDate),
    /// A timestamp and the fraction digits of its Arrow unit.
    Timestamp(NaiveDateTime, u8),
    Time(NaiveTime, u8),
}

fn cell_value(array: &dyn Array, row: usize) -> DriverResult<Value<'_>> {
    if row >= array.len() {
        return Err(DriverError::new(
            SqlState::GENERAL_ERROR,
            "row outside the batch",
        ));
    }
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    let value = match array.data_type() {
        DataType::Utf8 => Value::Text(Cow::Borrowed(array.as_string::<i32>().value(row))),
        DataType::LargeUtf8 => Value::Text(Cow::Borrowed(array.as_string::<i64>().value(row))),
        DataType::Utf8View => Value::Text(Cow::Borrowed(array.as_string_view().value(row))),
        DataType::Binary => Value::Bytes(array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => Value::Bytes(array.as_binary::<i64>().value(row)),
        DataType::BinaryView => Value::Bytes(array.as_binary_view().value(row)),
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Float64 => Value::Float(array.as_primitive::<dt::Float64Type>().value(row)),
        DataType::Float32 => Value::Float(f64::from(
            array.as_primitive::<dt::Float32Type>().value(row),
        )),
        DataType::Decimal128(precision, scale) => Value::Decimal {
            mantissa: array.as_primitive::<dt::Decimal128Type>().value(row),
            precision: *precision,
            scale: *scale,
        },
        other => return integer_or_temporal(array, row, other),
    };
    Ok(value)
}

fn integer_or_temporal<'a>(
    array: &'a dyn Array,
    row: usize,
    data_type: &DataType,
) -> DriverResult<Value<'a>> {
    let int = |v: i128| Ok(Value::Int(v));
    match data_type {
        DataType::Int64 => int(array.as_primitive::<dt::Int64Type>().value(row).into()),
        DataType::Int32 => int(array.as_primitive::<dt::Int32Type>().value(row).into()),
        DataType::Int16 => int(array.as_primitive::<dt::Int16Type>().value(row).into()),
        DataType::Int8 => int(array.as_primitive::<dt::Int8Type>().value(row).into()),
        DataType::UInt64 => int(array.as_primitive::<dt::UInt64Type>().value(row).into()),
        DataType::UInt32 => int(array.as_primitive::<dt::UInt32Type>().value(row).into()),
        DataType::UInt16 => int(array.as_primitive::<dt::UInt16Type>().value(row).into()),
        DataType::UInt8 => int(array.as_primitive::<dt::UInt8Type>().value(row).into()),
        DataType::Date32 => date(array.as_primitive::<dt::Date32Type>().value_as_date(row)),
        DataType::Date64 => date(array.as_primitive::<dt::Date64Type>().value_as_date(row)),
        DataType::Timestamp(unit, _) => timestamp(array, row, unit),
        DataType::Time32(_) | DataType::Time64(_) => time(array, row, data_type),
        _ => formatted(array, row),
    }
}

fn date(value: Option<NaiveDate>) -> DriverResult<Value<'static>> {
    value.map(Value::Date).ok_or_else(out_of_range_date)
}

fn timestamp<'a>(array: &'a dyn Array, row: usize, unit: &TimeUnit) -> DriverResult<Value<'a>> {
    let (value, digits) = match unit {
        TimeUnit::Second => (
            array
                .as_primitive::<dt::TimestampSecondType>()
                .value_as_datetime(row),
            0,
        ),
        TimeUnit::Millisecond => (
            array
                .as_primitive::<dt::TimestampMillisecondType>()
                .value_as_datetime(row),
            3,
        ),
        TimeUnit::Microsecond => (
            array
                .as_primitive::<dt::TimestampMicrosecondType>()
                .value_as_datetime(row),
            6,
        ),
        TimeUnit::Nanosecond => (
            array
                .as_primitive::<dt::TimestampNanosecondType>()
                .value_as_datetime(row),
            9,
        ),
    };
    value
        .map(|v| Value::Timestamp(v, digits))
        .ok_or_else(out_of_range_date)
}

fn time<'a>(array: &'a dyn Array, row: usize, data_type: &DataType) -> DriverResult<Value<'a>> {
    let (value, digits) = match data_type {
        DataType::Time32(TimeUnit::Second) => (
            array
                .as_primitive::<dt::Time32SecondType>()
                .value_as_time(row),
            0,
        ),
        DataType::Time32(_) => (
            array
                .as_primitive::<dt::Time32MillisecondType>()
                .value_as_time(row),
            3,
        ),
        DataType::Time64(TimeUnit::Microsecond) => (
            array
                .as_primitive::<dt::Time64MicrosecondType>()
                .value_as_time(row),
            6,
        ),
        _ => (
            array
                .as_primitive::<dt::Time64NanosecondType>()
                .value_as_time(row),
            9,
        ),
    };
    value
        .map(|v| Value::Time(v, digits))
        .ok_or_else(out_of_range_date)
}

/// Any other Arrow type (lists, structs ...) is delivered as Arrow's text rendering.
fn formatted(array: &dyn Array, row: usize) -> DriverResult<Value<'static>> {
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default()).map_err(|e| {
        DriverError::new(SqlState::GENERAL_ERROR, format!("cannot render value: {e}"))
    })?;
    Ok(Value::Text(Cow::Owned(formatter.value(row).to_string())))
}

fn out_of_range_date() -> DriverError {
    DriverError::new(
        DATETIME_OVERFLOW,
        "datetime value outside the supported range",
    )
}

// ---------------------------------------------------------------------------------------------
// Character and binary targets.

fn to_characters(
    value: &Value,
    width: Width,
    out: &mut [u8],
    offset: usize,
) -> DriverResult<Converted> {
    let rendered = render_text(value);
    if offset == 0 && !out.is_empty() {
        check_whole_part_fits(value, &rendered, width, out.len())?;
    }
    Ok(write_text_chunk(&rendered, width, out, offset))
}

/// Appendix D: a number whose whole-number part, or a date/time that does not fit completely,
/// is `22003`; only fractional digits may be cut (with `01004`).
fn check_whole_part_fits(
    value: &Value,
    rendered: &str,
    width: Width,
    out_len: usize,
) -> DriverResult<()> {
    let needed = match value {
        Value::Text(_) | Value::Bytes(_) => return Ok(()),
        Value::Int(_) | Value::Float(_) | Value::Decimal { .. } => whole_part_len(rendered),
        Value::Timestamp(..) => 19,
        _ => rendered.chars().count(),
    };
    let capacity = (out_len / width.unit()).saturating_sub(1);
    if capacity >= needed {
        return Ok(());
    }
    let message = format!("value {rendered} does not fit a buffer of {out_len} bytes");
    Err(DriverError::new(SqlState::NUMERIC_OUT_OF_RANGE, message))
}

/// Characters before the decimal point; the whole text for exponent forms.
fn whole_part_len(rendered: &str) -> usize {
    if rendered.contains('E') {
        return rendered.len();
    }
    rendered.find('.').unwrap_or(rendered.len())
}

/// Writes the part of `rendered` after `offset` bytes (of its `width` encoding).
fn write_text_chunk(rendered: &str, width: Width, out: &mut [u8], offset: usize) -> Converted {
    let encoded = text::encode(rendered, width);
    let rest = encoded.get(offset..).unwrap_or_default();
    let written = text::write_encoded(rest, width, Some(out));
    let bytes = written.written_units * width.unit();
    Converted {
        indicator: to_isize(written.full_bytes(width)),
        written: bytes,
        consumed: bytes,
        warning: written.truncated.then_some(ConvertWarning::Truncated),
    }
}

fn write_binary(bytes: &[u8], out: &mut [u8], offset: usize) -> Converted {
    let rest = bytes.get(offset..).unwrap_or_default();
    let len = rest.len().min(out.len());
    out[..len].copy_from_slice(&rest[..len]);
    Converted {
        indicator: to_isize(rest.len()),
        written: len,
        consumed: len,
        warning: (len < rest.len()).then_some(ConvertWarning::Truncated),
    }
}

/// The value as text, as the conversion to `SQL_C_CHAR`/`SQL_C_WCHAR` delivers it.
fn render_text<'a>(value: &'a Value) -> Cow<'a, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::Text(text) => Cow::Borrowed(text.as_ref()),
        Value::Bytes(bytes) => Cow::Owned(bytes.iter().map(|b| format!("{b:02X}")).collect()),
        Value::Bool(flag) => Cow::Borrowed(if *flag { "1" } else { "0" }),
        Value::Int(int) => Cow::Owned(int.to_string()),
        Value::Float(float) => Cow::Owned(format_double(*float)),
        Value::Decimal {
            mantissa, scale, ..
        } => Cow::Owned(format_decimal(*mantissa, i32::from(*scale))),
        Value::Date(date) => Cow::Owned(date.format("%Y-%m-%d").to_string()),
        Value::Timestamp(ts, digits) => Cow::Owned(format_timestamp(ts, *digits)),
        Value::Time(time, digits) => Cow::Owned(format_time(time, *digits)),
    }
}

/// Shortest text that reads back as the same double (Rust's float formatting is shortest
/// round-trip); exponent form outside [1e-4, 1e21) keeps it within the display size of 24.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-4..1e21).contains(&magnitude) {
        let text = format!("{value:E}");
        return match text.split_once('E') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}E+{exp}"),
            _ => text,
        };
    }
    format!("{value}")
}

/// Exact decimal text of `mantissa × 10^-scale` with all `scale` digits.
pub fn format_decimal(mantissa: i128, scale: i32) -> String {
    let sign = if mantissa < 0 { "-" } else { "" };
    let digits = mantissa.unsigned_abs().to_string();
    if scale <= 0 {
        let zeros = if digits == "0" {
            0
        } else {
            scale.unsigned_abs() as usize
        };
        return format!("{sign}{digits}{}", "0".repeat(zeros));
    }
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

fn format_timestamp(ts: &NaiveDateTime, digits: u8) -> String {
    format!(
        "{} {}",
        ts.format("%Y-%m-%d"),
        format_time(&ts.time(), digits)
    )
}

fn format_time(time: &NaiveTime, digits: u8) -> String {
    let base = time.format("%H:%M:%S").to_string();
    if digits == 0 {
        return base;
    }
    let nanos = format!("{:09}", time.nanosecond() % 1_000_000_000);
    format!("{base}.{}", &nanos[..usize::from(digits.min(9))])
}

fn binary_bytes<'a>(value: &'a Value) -> Cow<'a, [u8]> {
    match value {
        Value::Bytes(bytes) => Cow::Borrowed(*bytes),
        Value::Text(text) => Cow::Borrowed(text.as_bytes()),
        Value::Bool(flag) => Cow::Owned(vec![u8::from(*flag)]),
        Value::Int(int) => Cow::Owned(clamp_i64(*int).to_ne_bytes().to_vec()),
        Value::Float(float) => Cow::Owned(float.to_ne_bytes().to_vec()),
        Value::Decimal {
            mantissa,
            precision,
            scale,
        } => Cow::Owned(numeric_struct(*precision, *scale, *mantissa)),
        Value::Date(date) => Cow::Owned(date_struct(date).unwrap_or_default()),
        Value::Time(time, _) => Cow::Owned(time_struct(time)),
        Value::Timestamp(ts, _) => Cow::Owned(timestamp_struct(ts).unwrap_or_default()),
        Value::Null => Cow::Borrowed(&[]),
    }
}

fn clamp_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

// ---------------------------------------------------------------------------------------------
// Numbers.

/// A numeric value: exact (`mantissa × 10^-scale`) or approximate.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Exact { mantissa: i128, scale: i32 },
    Approx(f64),
}

fn number(value: &Value) -> DriverResult<Number> {
    match value {
        Value::Int(int) => Ok(Number::Exact {
            mantissa: *int,
            scale: 0,
        }),
        Value::Bool(flag) => Ok(Number::Exact {
            mantissa: i128::from(*flag),
            scale: 0,
        }),
        Value::Decimal {
            mantissa, scale, ..
        } => Ok(Number::Exact {
            mantissa: *mantissa,
            scale: i32::from(*scale),
        }),
        Value::Float(float) => Ok(Number::Approx(*float)),
        Value::Text(text) => parse_number(text).ok_or_else(|| invalid_character_value(text)),
        _ => Err(restricted()),
    }
}

/// Parses text as a number: exact when it has at most 38 significant digits, else
/// approximate. Blanks around it are ignored; `inf`/`nan` are not numbers here.
fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Some(exact) = parse_exact(text) {
        return Some(exact);
    }
    let is_numeric = |c: char| c.is_ascii_digit() || "+-.eE".contains(c);
    if text.is_empty() || !text.chars().all(is_numeric) {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Approx)
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` into an exact decimal.
fn parse_exact(text: &str) -> Option<Number> {
    let (body, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, body) = match body.as_bytes().first()? {
        b'-' => (true, &body[1..]),
        b'+' => (false, &body[1..]),
        _ => (false, body),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit());
    if !all_digits || whole.len() + fraction.len() == 0 {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let magnitude: i128 = digits
        .trim_start_matches('0')
        .parse()
        .or_else(|_| {
            if digits.bytes().all(|b| b == b'0') {
                Ok(0)
            } else {
                Err(())
            }
        })
        .ok()?;
    let scale = i32::try_from(fraction.len()).ok()?.checked_sub(exponent)?;
    let mantissa = if negative { -magnitude } else { magnitude };
    Some(Number::Exact { mantissa, scale })
}

fn pow10(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

/// The integer part of a number and whether a fraction was dropped.
fn integer_part(number: Number) -> DriverResult<(i128, bool)> {
    match number {
        Number::Exact { mantissa, scale } if scale > 0 => {
            let divisor = pow10(scale.unsigned_abs()).unwrap_or(i128::MAX);
            Ok((mantissa / divisor, mantissa % divisor != 0))
        }
        Number::Exact { mantissa, scale } => pow10(scale.unsigned_abs())
            .and_then(|factor| mantissa.checked_mul(factor))
            .map(|int| (int, false))
            .ok_or_else(out_of_range),
        Number::Approx(float) if float.is_finite() && float.abs() < 1e38 => {
            let whole = float.trunc();
            Ok((whole as i128, whole != float))
        }
        Number::Approx(_) => Err(out_of_range()),
    }
}

fn to_f64(number: Number) -> f64 {
    match number {
        Number::Approx(float) => float,
        Number::Exact { mantissa, scale: 0 } => mantissa as f64,
        // Rust's float parser rounds correctly, which `mantissa as f64 / 10^scale` would not.
        Number::Exact { mantissa, scale } => {
            format!("{mantissa}e{}", -scale).parse().unwrap_or(f64::NAN)
        }
    }
}

fn write_integer(
    value: &Value,
    ctype: CType,
    out: &mut [u8],
) -> DriverResult<Option<ConvertWarning>> {
    let (int, fraction_dropped) = integer_part(number(value)?)?;
    let fits = |min: i128, max: i128| (min..=max).contains(&int);
    let bytes = match ctype {
        CType::STinyInt if fits(i8::MIN.into(), i8::MAX.into()) => {
            (int as i8).to_ne_bytes().to_vec()
        }
        CType::UTinyInt if fits(0, u8::MAX.into()) => (int as u8).to_ne_bytes().to_vec(),
        CType::SShort if fits(i16::MIN.into(), i16::MAX.into()) => {
            (int as i16).to_ne_bytes().to_vec()
        }
        CType::UShort if fits(0, u16::MAX.into()) => (int as u16).to_ne_bytes().to_vec(),
        CType::SLong if fits(i32::MIN.into(), i32::MAX.into()) => {
            (int as i32).to_ne_bytes().to_vec()
        }
        CType::ULong if fits(0, u32::MAX.into()) => (int as u32).to_ne_bytes().to_vec(),
        CType::SBigInt if fits(i64::MIN.into(), i64::MAX.into()) => {
            (int as i64).to_ne_bytes().to_vec()
        }
        CType::UBigInt if fits(0, u64::MAX.into()) => (int as u64).to_ne_bytes().to_vec(),
        _ => return Err(out_of_range()),
    };
    out.copy_from_slice(&bytes);
    Ok(fraction_dropped.then_some(ConvertWarning::FractionalTruncation))
}

fn write_float(value: &Value, ctype: CType, out: &mut [u8]) -> DriverResult<()> {
    let float = to_f64(number(value)?);
    if ctype == CType::Double {
        out.copy_from_slice(&float.to_ne_bytes());
        return Ok(());
    }
    if float.is_finite() && float.abs() > f64::from(f32::MAX) {
        return Err(out_of_range());
    }
    out.copy_from_slice(&(float as f32).to_ne_bytes());
    Ok(())
}

/// Appendix D: 0 and 1 convert; values in (0, 2) are truncated with `01S07`; anything below 0
/// or from 2 on is `22003`.
fn write_bit(value: &Value, out: &mut [u8]) -> DriverResult<Option<ConvertWarning>> {
    let number = number(value)?;
    let negative = match number {
        Number::Exact { mantissa, .. } => mantissa < 0,
        Number::Approx(float) => float < 0.0,
    };
    let (int, fraction_dropped) = integer_part(number)?;
    if negative || !(0..=1).contains(&int) {
        return Err(out_of_range());
    }
    out[0] = int as u8;
    Ok(fraction_dropped.then_some(ConvertWarning::FractionalTruncation))
}

fn write_numeric(
    value: &Value,
    target: &Target,
    out: &mut [u8],
) -> DriverResult<Option<ConvertWarning>> {
    let (mantissa, scale) = exact(number(value)?)?;
    // Without a precision from the descriptor: the DECIMAL's own, else the widest.
    let column_precision = match value {
        Value::Decimal { precision, .. } => *precision,
        _ => 38,
    };
    let precision = target.precision.unwrap_or(column_precision).clamp(1, 38);
    let target_scale = target
        .scale
        .unwrap_or_else(|| i8::try_from(scale).unwrap_or(0));
    let (rescaled, fraction_dropped) = rescale(mantissa, scale, i32::from(target_scale))?;
    if digit_count(rescaled) > u32::from(precision) {
        return Err(out_of_range());
    }
    out.copy_from_slice(&numeric_struct(precision, target_scale, rescaled));
    Ok(fraction_dropped.then_some(ConvertWarning::FractionalTruncation))
}

fn exact(number: Number) -> DriverResult<(i128, i32)> {
    match number {
        Number::Exact { mantissa, scale } => Ok((mantissa, scale)),
        Number::Approx(float) if float.is_finite() => match parse_exact(&format_double(float)) {
            Some(Number::Exact { mantissa, scale }) => Ok((mantissa, scale)),
            _ => Err(out_of_range()),
        },
        Number::Approx(_) => Err(out_of_range()),
    }
}

/// `mantissa × 10^-from` as a mantissa at scale `to`; digits below `to` are dropped.
fn rescale(mantissa: i128, from: i32, to: i32) -> DriverResult<(i128, bool)> {
    let shift = to.saturating_sub(from);
    let factor = pow10(shift.unsigned_abs()).ok_or_else(out_of_range);
    if shift >= 0 {
        return mantissa
            .checked_mul(factor?)
            .map(|m| (m, false))
            .ok_or_else(out_of_range);
    }
    match factor {
        Ok(divisor) => Ok((mantissa / divisor, mantissa % divisor != 0)),
        // More than 38 digits to drop: nothing of an i128 remains.
        Err(_) => Ok((0, mantissa != 0)),
    }
}

fn digit_count(value: i128) -> u32 {
    value
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |log| log + 1)
}

/// `SQL_NUMERIC_STRUCT`: precision, scale, sign (1 = positive), 16-byte little-endian value.
fn numeric_struct(precision: u8, scale: i8, mantissa: i128) -> Vec<u8> {
    let mut bytes = vec![precision, scale as u8, u8::from(mantissa >= 0)];
    bytes.extend_from_slice(&mantissa.unsigned_abs().to_le_bytes());
    bytes
}

// ---------------------------------------------------------------------------------------------
// Dates and times.

fn write_date(value: &Value, out: &mut [u8]) -> DriverResult<Option<ConvertWarning>> {
    let (date, warning) = match value {
        Value::Date(date) => (*date, None),
        Value::Timestamp(ts, _) => {
            let has_time = ts.time() != NaiveTime::MIN;
            (
                ts.date(),
                has_time.then_some(ConvertWarning::FractionalTruncation),
            )
        }
        Value::Text(text) => parse_datetime_text(text)
            .map(|ts| (ts.date(), None))
            .ok_or_else(|| invalid_character_value(text))?,
        _ => return Err(restricted()),
    };
    out.copy_from_slice(&date_struct(&date)?);
    Ok(warning)
}

fn write_time(value: &Value, out: &mut [u8]) -> DriverResult<Option<ConvertWarning>> {
    let time = match value {
        Value::Time(time, _) => *time,
        Value::Timestamp(ts, _) => ts.time(),
        Value::Text(text) => parse_time_text(text).ok_or_else(|| invalid_character_value(text))?,
        _ => return Err(restricted()),
    };
    out.copy_from_slice(&time_struct(&time));
    let fraction_dropped = time.nanosecond() != 0;
    Ok(fraction_dropped.then_some(ConvertWarning::FractionalTruncation))
}

fn write_timestamp(value: &Value, out: &mut [u8]) -> DriverResult<Option<ConvertWarning>> {
    let ts = match value {
        Value::Timestamp(ts, _) => *ts,
        Value::Date(date) => date.and_time(NaiveTime::MIN),
        // Appendix D: a time converted to a timestamp gets the current date.
        Value::Time(time, _) => chrono::Utc::now().date_naive().and_time(*time),
        Value::Text(text) => {
            parse_datetime_text(text).ok_or_else(|| invalid_character_value(text))?
        }
        _ => return Err(restricted()),
    };
    out.copy_from_slice(&timestamp_struct(&ts)?);
    Ok(None)
}

fn parse_datetime_text(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    const FORMATS: [&str; 3] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })
}

fn parse_time_text(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
        .ok()
        .or_else(|| parse_datetime_text(text).map(|ts| ts.time()))
}

/// `SQL_DATE_STRUCT`: year (SQLSMALLINT), month, day (SQLUSMALLINT).
fn date_struct(date: &NaiveDate) -> DriverResult<Vec<u8>> {
    let year = i16::try_from(date.year()).map_err(|_| out_of_range_date())?;
    let mut bytes = year.to_ne_bytes().to_vec();
    bytes.extend_from_slice(&(date.month() as u16).to_ne_bytes());
    bytes.extend_from_slice(&(date.day() as u16).to_ne_bytes());
    Ok(bytes)
}

/// `SQL_TIME_STRUCT`: hour, minute, second (SQLUSMALLINT).
fn time_struct(time: &NaiveTime) -> Vec<u8> {
    [time.hour(), time.minute(), time.second()]
        .iter()
        .flat_map(|part| (*part as u16).to_ne_bytes())
        .collect()
}

/// `SQL_TIMESTAMP_STRUCT`: the date, the time and `fraction` in nanoseconds (SQLUINTEGER).
fn timestamp_struct(ts: &NaiveDateTime) -> DriverResult<Vec<u8>> {
    let mut bytes = date_struct(&ts.date())?;
    bytes.extend_from_slice(&time_struct(&ts.time()));
    let fraction = ts.nanosecond() % 1_000_000_000;
    bytes.extend_from_slice(&fraction.to_ne_bytes());
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// Errors.

fn out_of_range() -> DriverError {
    DriverError::new(SqlState::NUMERIC_OUT_OF_RANGE, "numeric value out of range")
}

fn invalid_character_value(text: &str) -> DriverError {
    let shown: String = text.chars().take(40).collect();
    let message = format!("invalid character value for cast specification: '{shown}'");
    DriverError::new(SqlState::INVALID_CHARACTER_VALUE, message)
}

fn restricted() -> DriverError {
    DriverError::new(
        SqlState::RESTRICTED_DATA_TYPE,
        "restricted data type attribute violation: the column cannot be converted to this C type",
    )
}

fn to_isize(value: usize) -> isize {
    isize::try_from(value).unwrap_or(isize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubdb_sql::arrow::array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array,
        StringArray, TimestampMillisecondArray,
    };

    fn char_target() -> Target {
        CType::Char.into()
    }

    fn convert(
        array: &dyn Array,
        target: impl Into<Target>,
        out: &mut [u8],
    ) -> DriverResult<Converted> {
        convert_cell(array, 0, &target.into(), out, 0)
    }

    /// Reads a value the way a SQLGetData loop does: part after part until no more remains.
    fn read_in_parts(array: &dyn Array, ctype: CType, buffer: usize) -> (Vec<u8>, usize) {
        let unit = ctype.width().map_or(0, Width::unit);
        let (mut whole, mut offset, mut calls) = (Vec::new(), 0, 0);
        loop {
            let mut out = vec![0u8; buffer];
            let part = convert_cell(array, 0, &ctype.into(), &mut out, offset).expect("part");
            whole.extend_from_slice(&out[..part.written]);
            if unit > 0 {
                assert!(
                    out[part.written..part.written + unit]
                        .iter()
                        .all(|b| *b == 0)
                );
            }
            offset += part.consumed;
            calls += 1;
            if !part.has_more() {
                return (whole, calls);
            }
            assert!(calls < 1000, "reading never finishes");
        }
    }

    fn text_out(out: &[u8], converted: &Converted) -> String {
        String::from_utf8(out[..converted.written].to_vec()).expect("utf-8")
    }

    fn as_char(array: &dyn Array) -> String {
        let mut out = vec![0u8; 64];
        let converted = convert(array, char_target(), &mut out).expect("to char");
        assert_eq!(converted.warning, None);
        text_out(&out, &converted)
    }

    #[test]
    fn text_to_char_is_utf8_with_terminator_and_full_length() {
        let array = StringArray::from(vec!["Ablösung"]);
        let mut out = [0xAAu8; 16];
        let converted = convert(&array, char_target(), &mut out).expect("fits");
        assert_eq!(converted.indicator, 9);
        assert_eq!(&out[..10], "Ablösung\0".as_bytes());
        assert_eq!(converted.warning, None);
    }

    #[test]
    fn b22_empty_string_is_data_of_length_zero_not_null_or_no_data() {
        let array = StringArray::from(vec![""]);
        for ctype in [CType::Char, CType::WChar] {
            let mut out = [0xAAu8; 8];
            let converted = convert(&array, ctype, &mut out).expect("empty");
            assert_eq!((converted.indicator, converted.warning), (0, None));
            assert!(
                out[..ctype.width().expect("text").unit()]
                    .iter()
                    .all(|b| *b == 0)
            );
        }
    }

    #[test]
    fn null_gives_sql_null_data_for_every_target() {
        let array = StringArray::from(vec![None::<&str>]);
        for ctype in [
            CType::Char,
            CType::WChar,
            CType::SLong,
            CType::Timestamp,
            CType::Numeric,
        ] {
            let mut out = [0u8; 32];
            assert_eq!(
                convert(&array, ctype, &mut out).expect("null").indicator,
                NULL_DATA
            );
        }
    }

    #[test]
    fn a_truncated_part_fills_the_buffer_even_inside_a_utf8_sequence() {
        // "aé": 'é' is C3 A9; a 3-byte buffer holds "a", C3 and the terminator.
        let array = StringArray::from(vec!["aé"]);
        let mut out = [0xAAu8; 3];
        let converted = convert(&array, char_target(), &mut out).expect("truncated");
        assert_eq!(converted.indicator, 3);
        assert_eq!(converted.warning, Some(ConvertWarning::Truncated));
        assert_eq!(out, [b'a', 0xC3, 0]);
        assert_eq!(converted.consumed, 2);
    }

    #[cfg(not(feature = "iodbc"))]
    #[test]
    fn a_truncated_wide_part_fills_the_buffer_even_inside_a_surrogate_pair() {
        // "x😀": 3 UTF-16 units; 6 bytes hold 'x', the high surrogate and the terminator.
        let array = StringArray::from(vec!["x😀"]);
        let mut out = [0xAAu8; 6];
        let converted = convert(&array, CType::WChar, &mut out).expect("truncated");
        assert_eq!(converted.indicator, 6);
        assert_eq!(converted.written, 4);
        assert_eq!(&out[..4], &text::encode("x😀", Width::Wide)[..4]);
        assert_eq!(&out[4..], &[0, 0]);
        assert!(converted.has_more());
    }

    /// Reads a value as pyodbc does (`src/getdata.cpp`): after a `01004` part it keeps the
    /// buffer length minus the terminator, whatever the driver wrote.
    fn read_like_pyodbc(array: &dyn Array, ctype: CType, buffer: usize) -> Vec<u8> {
        let unit = ctype.width().map_or(0, Width::unit);
        let (mut whole, mut offset) = (Vec::new(), 0);
        loop {
            let mut out = vec![0u8; buffer];
            let part = convert_cell(array, 0, &ctype.into(), &mut out, offset).expect("part");
            if !part.has_more() {
                whole.extend_from_slice(&out[..part.written]);
                return whole;
            }
            whole.extend_from_slice(&out[..buffer - unit]);
            offset += part.consumed;
        }
    }

    #[test]
    fn b23_parts_read_like_pyodbc_reassemble_text_with_characters_across_parts() {
        let value = "a😀東".repeat(700);
        let array = StringArray::from(vec![value.as_str()]);
        for buffer in [7, 8, 9, 4096] {
            let narrow = read_like_pyodbc(&array, CType::Char, buffer);
            assert_eq!(String::from_utf8(narrow).expect("utf-8"), value, "{buffer}");
        }
        for buffer in [6, 8, 10, 4096] {
            let wide = read_like_pyodbc(&array, CType::WChar, buffer);
            assert_eq!(text::decode_wide_bytes(&wide), value, "{buffer}");
        }
    }

    #[test]
    fn chunked_char_reads_reassemble_the_full_value() {
        let value = "Grüße aus 東京 😀 ".repeat(40);
        let array = StringArray::from(vec![value.as_str()]);
        let (whole, calls) = read_in_parts(&array, CType::Char, 7);
        assert_eq!(String::from_utf8(whole).expect("utf-8"), value);
        assert!(calls > 10);
    }

    #[test]
    fn chunked_wide_reads_reassemble_the_full_value() {
        let value = "Grüße 😀😀 東京 ".repeat(30);
        let array = StringArray::from(vec![value.as_str()]);
        let (whole, _) = read_in_parts(&array, CType::WChar, 10);
        assert_eq!(text::decode_wide_bytes(&whole), value);
    }

    #[test]
    fn remaining_length_shrinks_with_each_part() {
        let array = StringArray::from(vec!["abcdefghij"]);
        let mut out = [0u8; 4];
        let first = convert_cell(&array, 0, &char_target(), &mut out, 0).expect("first");
        let second =
            convert_cell(&array, 0, &char_target(), &mut out, first.consumed).expect("second");
        assert_eq!((first.indicator, second.indicator), (10, 7));
        assert_eq!(&out[..3], b"def");
    }

    #[test]
    fn a_zero_length_buffer_only_reports_the_length() {
        let array = Float64Array::from(vec![1234.5]);
        let converted = convert(&array, char_target(), &mut []).expect("length");
        assert_eq!((converted.indicator, converted.written), (6, 0));
        assert!(converted.has_more());
    }

    #[test]
    fn doubles_become_their_shortest_round_trip_text() {
        let cases = [
            (0.1, "0.1"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (1e21, "1E+21"),
            (1.5e-7, "1.5E-7"),
            (123456.789, "123456.789"),
            (f64::MAX, "1.7976931348623157E+308"),
        ];
        for (value, text) in cases {
            assert_eq!(as_char(&Float64Array::from(vec![value])), text);
            assert_eq!(
                format_double(value).parse::<f64>().expect("reads back"),
                value
            );
        }
    }

    #[test]
    fn decimals_become_exact_text_with_all_scale_digits() {
        let array = Decimal128Array::from(vec![125000, -5, 0])
            .with_precision_and_scale(19, 4)
            .expect("decimal");
        let texts: Vec<String> = (0..3)
            .map(|row| {
                let mut out = [0u8; 32];
                let converted =
                    convert_cell(&array, row, &char_target(), &mut out, 0).expect("text");
                text_out(&out, &converted)
            })
            .collect();
        assert_eq!(texts, ["12.5000", "-0.0005", "0.0000"]);
    }

    #[test]
    fn a_number_whose_whole_part_does_not_fit_is_22003_and_a_cut_fraction_01004() {
        let array = Float64Array::from(vec![12345.678]);
        let err = convert(&array, char_target(), &mut [0u8; 5]).expect_err("whole part");
        assert_eq!(err.state, SqlState::NUMERIC_OUT_OF_RANGE);
        let mut out = [0u8; 8];
        let converted = convert(&array, char_target(), &mut out).expect("fraction cut");
        assert_eq!(converted.warning, Some(ConvertWarning::Truncated));
        assert_eq!(text_out(&out, &converted), "12345.6");
    }

    #[test]
    fn decimal_to_numeric_struct_is_little_endian_with_sign_precision_and_scale() {
        let array = Decimal128Array::from(vec![-1234567])
            .with_precision_and_scale(19, 4)
            .expect("decimal");
        let mut out = [0u8; 19];
        let converted = convert(&array, CType::Numeric, &mut out).expect("numeric");
        assert_eq!((converted.indicator, converted.warning), (19, None));
        assert_eq!(&out[..3], &[19, 4, 0]);
        assert_eq!(
            u128::from_le_bytes(out[3..].try_into().expect("16 bytes")),
            1234567
        );
    }

    #[test]
    fn numeric_takes_scale_from_the_descriptor_and_warns_on_dropped_digits() {
        let array = Decimal128Array::from(vec![1234567])
            .with_precision_and_scale(19, 4)
            .expect("decimal");
        let target = Target {
            ctype: CType::Numeric,
            precision: Some(10),
            scale: Some(2),
        };
        let mut out = [0u8; 19];
        let converted = convert(&array, target, &mut out).expect("numeric");
        assert_eq!(
            converted.warning,
            Some(ConvertWarning::FractionalTruncation)
        );
        assert_eq!(&out[..3], &[10, 2, 1]);
        assert_eq!(
            u128::from_le_bytes(out[3..].try_into().expect("16 bytes")),
            12345
        );
        let narrow = Target {
            ctype: CType::Numeric,
            precision: Some(3),
            scale: Some(2),
        };
        let err = convert(&array, narrow, &mut out).expect_err("too many digits");
        assert_eq!(err.state, SqlState::NUMERIC_OUT_OF_RANGE);
    }

    #[test]
    fn text_reads_as_numbers_or_fails_with_22018() {
        let array = StringArray::from(vec![" 42 ", "12.7", "abc", "1e10", ""]);
        let mut out = [0u8; 4];
        let ok = convert_cell(&array, 0, &CType::SLong.into(), &mut out, 0).expect("42");
        assert_eq!((i32::from_ne_bytes(out), ok.warning), (42, None));
        let cut = convert_cell(&array, 1, &CType::SLong.into(), &mut out, 0).expect("12");
        assert_eq!(i32::from_ne_bytes(out), 12);
        assert_eq!(cut.warning, Some(ConvertWarning::FractionalTruncation));
        for (row, state) in [(2, "22018"), (3, "22003"), (4, "22018")] {
            let err =
                convert_cell(&array, row, &CType::SLong.into(), &mut out, 0).expect_err("fails");
            assert_eq!(err.state.as_str(), state, "row {row}");
        }
    }

    #[test]
    fn integers_out_of_the_targets_range_are_22003() {
        let array = Int64Array::from(vec![-1, 3_000_000_000, i64::MAX]);
        let mut out = [0u8; 8];
        let fails = |row, ctype: CType, out: &mut [u8]| {
            let size = ctype.fixed_size().expect("fixed");
            convert_cell(&array, row, &ctype.into(), &mut out[..size], 0)
                .expect_err("range")
                .state
        };
        assert_eq!(
            fails(0, CType::UTinyInt, &mut out),
            SqlState::NUMERIC_OUT_OF_RANGE
        );
        assert_eq!(
            fails(1, CType::SLong, &mut out),
            SqlState::NUMERIC_OUT_OF_RANGE
        );
        convert_cell(&array, 2, &CType::SBigInt.into(), &mut out, 0).expect("fits");
        assert_eq!(i64::from_ne_bytes(out), i64::MAX);
    }

    #[test]
    fn doubles_convert_to_integers_floats_and_back_to_double() {
        let array = Float64Array::from(vec![-7.9, 1e300]);
        let mut out = [0u8; 8];
        let cut = convert_cell(&array, 0, &CType::SBigInt.into(), &mut out, 0).expect("int");
        assert_eq!(
            (i64::from_ne_bytes(out), cut.warning),
            (-7, Some(ConvertWarning::FractionalTruncation))
        );
        convert_cell(&array, 0, &CType::Double.into(), &mut out, 0).expect("double");
        assert_eq!(f64::from_ne_bytes(out), -7.9);
        let err = convert_cell(&array, 1, &CType::Float.into(), &mut out[..4], 0).expect_err("f32");
        assert_eq!(err.state, SqlState::NUMERIC_OUT_OF_RANGE);
    }

    #[test]
    fn bits_are_0_and_1_as_text_and_numbers() {
        let array = BooleanArray::from(vec![true, false]);
        let mut out = [0u8; 4];
        let converted = convert(&array, char_target(), &mut out).expect("text");
        assert_eq!(text_out(&out, &converted), "1");
        convert_cell(&array, 1, &CType::Bit.into(), &mut out[..1], 0).expect("bit");
        assert_eq!(out[0], 0);
        convert_cell(&array, 0, &CType::SLong.into(), &mut out, 0).expect("int");
        assert_eq!(i32::from_ne_bytes(out), 1);
        let numbers = Float64Array::from(vec![0.5, 2.0]);
        let half = convert_cell(&numbers, 0, &CType::Bit.into(), &mut out[..1], 0).expect("0.5");
        assert_eq!(
            (out[0], half.warning),
            (0, Some(ConvertWarning::FractionalTruncation))
        );
        let two = convert_cell(&numbers, 1, &CType::Bit.into(), &mut out[..1], 0).expect_err("2");
        assert_eq!(two.state, SqlState::NUMERIC_OUT_OF_RANGE);
    }

    #[test]
    fn guid_and_interval_c_types_are_restricted_and_unknown_codes_invalid() {
        let text = SqlType::WVarChar { length: 10 };
        for code in [-11, 101, 113] {
            let err = CType::from_code(code, &text).expect_err("restricted");
            assert_eq!(err.state, SqlState::RESTRICTED_DATA_TYPE, "{code}");
        }
        let err = CType::from_code(1234, &text).expect_err("invalid");
        assert_eq!(err.state, INVALID_BUFFER_TYPE);
    }

    #[test]
    fn dates_become_the_date_struct_and_iso_text() {
        // 2024-02-29 is day 19782 after the epoch.
        let array = Date32Array::from(vec![19782]);
        assert_eq!(as_char(&array), "2024-02-29");
        let mut out = [0u8; 6];
        convert(&array, CType::Date, &mut out).expect("date");
        assert_eq!(i16::from_ne_bytes([out[0], out[1]]), 2024);
        assert_eq!(u16::from_ne_bytes([out[2], out[3]]), 2);
        assert_eq!(u16::from_ne_bytes([out[4], out[5]]), 29);
        let err = convert(&array, CType::SLong, &mut out[..4]).expect_err("restricted");
        assert_eq!(err.state, SqlState::RESTRICTED_DATA_TYPE);
    }

    #[test]
    fn timestamps_become_the_struct_with_nanoseconds_and_millisecond_text() {
        // 2024-01-02 03:04:05.678 UTC.
        let array = TimestampMillisecondArray::from(vec![1_704_164_645_678]);
        assert_eq!(as_char(&array), "2024-01-02 03:04:05.678");
        let mut out = [0u8; 16];
        convert(&array, CType::Timestamp, &mut out).expect("timestamp");
        let parts: Vec<u16> = (0..6)
            .map(|i| u16::from_ne_bytes([out[2 * i], out[2 * i + 1]]))
            .collect();
        assert_eq!(parts, [2024, 1, 2, 3, 4, 5]);
        assert_eq!(
            u32::from_ne_bytes(out[12..16].try_into().expect("4 bytes")),
            678_000_000
        );
        let date = convert(&array, CType::Date, &mut out[..6]).expect("date part");
        assert_eq!(date.warning, Some(ConvertWarning::FractionalTruncation));
    }

    #[test]
    fn a_timestamp_needs_19_characters_or_is_22003() {
        let array = TimestampMillisecondArray::from(vec![1_704_164_645_678]);
        let err = convert(&array, char_target(), &mut [0u8; 12]).expect_err("too small");
        assert_eq!(err.state, SqlState::NUMERIC_OUT_OF_RANGE);
        let mut out = [0u8; 21];
        let cut = convert(&array, char_target(), &mut out).expect("fraction cut");
        assert_eq!(text_out(&out, &cut), "2024-01-02 03:04:05.");
        assert!(cut.has_more());
    }

    #[test]
    fn text_reads_as_dates_and_timestamps() {
        let array = StringArray::from(vec!["2024-01-02 03:04:05.5", "not a date"]);
        let mut out = [0u8; 16];
        convert_cell(&array, 0, &CType::Timestamp.into(), &mut out, 0).expect("timestamp");
        assert_eq!(
            u32::from_ne_bytes(out[12..16].try_into().expect("4 bytes")),
            500_000_000
        );
        let err = convert_cell(&array, 1, &CType::Date.into(), &mut out[..6], 0).expect_err("bad");
        assert_eq!(err.state, SqlState::INVALID_CHARACTER_VALUE);
    }

    #[test]
    fn binary_reads_raw_bytes_in_parts_and_as_hex_text() {
        let array = BinaryArray::from(vec![&[0xDEu8, 0xAD, 0xBE, 0xEF][..]]);
        assert_eq!(as_char(&array), "DEADBEEF");
        let (whole, calls) = read_in_parts(&array, CType::Binary, 3);
        assert_eq!((whole, calls), (vec![0xDE, 0xAD, 0xBE, 0xEF], 2));
    }

    #[test]
    fn c_types_resolve_defaults_and_reject_unknown_codes() {
        let text = SqlType::WVarChar { length: 10 };
        assert_eq!(CType::from_code(99, &text), Ok(CType::WChar));
        assert_eq!(
            CType::from_code(
                99,
                &SqlType::Decimal {
                    precision: 19,
                    scale: 4
                }
            ),
            Ok(CType::Char)
        );
        assert_eq!(CType::from_code(99, &SqlType::BigInt), Ok(CType::SBigInt));
        assert_eq!(CType::from_code(4, &text), Ok(CType::SLong));
        assert_eq!(CType::from_code(11, &text), Ok(CType::Timestamp));
        assert_eq!(
            CType::from_code(1234, &text)
                .expect_err("unknown")
                .state
                .as_str(),
            "HY003"
        );
    }
}

//! What the driver tells applications about a column: SQLDescribeCol, SQLColAttribute(W), the
//! IRD fields, and the per-type values SQLColumns and SQLGetTypeInfo report.
//!
//! Decisions baked in (reference/odbc.md §1.7, §1.8, §1.11; bug cases B17-B20, B29):
//! - sizes come from the schema, never from the rows seen so far, so they are the same before
//!   the first fetch and after the last (B20);
//! - text columns report their HubDB limit in characters (TEXT 10000, RICHTEXT 65000, ...),
//!   never 0 (arrow-odbc refuses zero-sized text, B17/B29); the octet length is that count
//!   times `sizeof(SQLWCHAR)`, which assumes HubSpot counts a text limit in UTF-16 code units
//!   as its Java back end does;
//! - `DOUBLE` reports 15 decimal digits with radix 10 (the column-size appendix of the ODBC
//!   reference), `BIGINT` 19, timestamps `20 + fraction digits` and 3 decimal digits;
//! - every result column is read-only (`SQL_ATTR_READONLY`): the driver has no positioned
//!   updates; only the row id (`Id`, or `hs_id` when a table column took that name) is
//!   auto-unique;
//! - `SQL_DESC_UNSIGNED` is true for non-numeric columns, as the spec defines it.

use crate::error::{DriverError, DriverResult, SqlState};
use crate::text::WIDE_UNIT;
use hubdb_sql::{ResultColumn, SqlType};
use odbc_sys::{Desc, SqlDataType};

/// `SQL_NULLABLE` / `SQL_NO_NULLS` (sql.h).
pub const SQL_NO_NULLS: i16 = 0;
pub const SQL_NULLABLE: i16 = 1;
/// `SQL_DATETIME`: the verbose type of dates and timestamps (sql.h).
pub const SQL_DATETIME: i16 = 9;
/// `SQL_CODE_DATE` / `SQL_CODE_TIME` / `SQL_CODE_TIMESTAMP` (sql.h).
pub const SQL_CODE_DATE: i16 = 1;
pub const SQL_CODE_TIME: i16 = 2;
pub const SQL_CODE_TIMESTAMP: i16 = 3;
/// `SQL_PRED_BASIC` / `SQL_SEARCHABLE` (sqlext.h).
pub const SQL_PRED_BASIC: i16 = 2;
pub const SQL_SEARCHABLE: i16 = 3;
/// `SQL_ATTR_READONLY` (sqlext.h) for `SQL_DESC_UPDATABLE`.
pub const SQL_ATTR_READONLY: i16 = 0;
/// `SQL_NAMED` / `SQL_UNNAMED` (sql.h).
pub const SQL_NAMED: i16 = 0;
pub const SQL_UNNAMED: i16 = 1;

/// Everything the driver knows about one SQL type, independent of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    /// Concise type (`SQL_DESC_CONCISE_TYPE`, `DATA_TYPE` in catalog results).
    pub concise_type: i16,
    /// Verbose type (`SQL_DESC_TYPE`, `SQL_DATA_TYPE`): `SQL_DATETIME` for dates and times.
    pub verbose_type: i16,
    /// `SQL_DATETIME_SUB` / `SQL_DESC_DATETIME_INTERVAL_CODE`; 0 for other types.
    pub datetime_sub: i16,
    /// Column size: characters for text, digits for numbers, bytes for binary.
    pub column_size: usize,
    /// Decimal digits (scale, or fractional-second digits); `None` where not applicable.
    pub decimal_digits: Option<i16>,
    /// `NUM_PREC_RADIX`: 10 for numbers, `None` otherwise.
    pub radix: Option<i16>,
    /// Characters needed to display any value (`SQL_DESC_DISPLAY_SIZE`).
    pub display_size: usize,
    /// Bytes of a value in its default C type (`SQL_DESC_OCTET_LENGTH`, `BUFFER_LENGTH`).
    pub octet_length: usize,
    /// Name of the type as this driver spells it (`SQL_DESC_TYPE_NAME`, `TYPE_NAME`).
    pub type_name: &'static str,
    /// Literal prefix and suffix (`SQL_DESC_LITERAL_PREFIX/SUFFIX`).
    pub literal_prefix: &'static str,
    pub literal_suffix: &'static str,
    /// Parameters of a `CREATE TABLE` type declaration (`CREATE_PARAMS`).
    pub create_params: Option<&'static str>,
    pub case_sensitive: bool,
    pub searchable: i16,
    /// True for unsigned and for non-numeric types (the spec's definition).
    pub unsigned: bool,
    /// True for character and binary types (the C buffer holds a variable-length value).
    pub is_character: bool,
}

/// Describes a SQL type of the engine in ODBC terms.
pub fn type_info(sql_type: &SqlType) -> TypeInfo {
    match sql_type {
        SqlType::WVarChar { length } => text_type(-9, "WVARCHAR", *length),
        SqlType::WLongVarChar { length } => text_type(-10, "WLONGVARCHAR", *length),
        SqlType::Binary { length } => binary_type(*length),
        SqlType::Double => number(SqlDataType::DOUBLE.0, "DOUBLE", 15, 24, 8),
        SqlType::Real => number(SqlDataType::REAL.0, "REAL", 7, 14, 4),
        SqlType::BigInt => integer(SqlDataType::EXT_BIG_INT.0, "BIGINT", 19, 8),
        SqlType::Integer => integer(SqlDataType::INTEGER.0, "INTEGER", 10, 4),
        SqlType::SmallInt => integer(SqlDataType::SMALLINT.0, "SMALLINT", 5, 2),
        SqlType::Decimal { precision, scale } => decimal_type(*precision, *scale),
        SqlType::Bit => bit_type(),
        SqlType::Date => datetime(SqlDataType::DATE.0, "DATE", SQL_CODE_DATE, 10, 6, None),
        SqlType::Time => datetime(SqlDataType::TIME.0, "TIME", SQL_CODE_TIME, 8, 6, Some(0)),
        SqlType::Timestamp { fraction_digits } => timestamp_type(*fraction_digits),
    }
}

fn base(concise_type: i16, type_name: &'static str, column_size: usize) -> TypeInfo {
    TypeInfo {
        concise_type,
        verbose_type: concise_type,
        datetime_sub: 0,
        column_size,
        decimal_digits: None,
        radix: None,
        display_size: column_size,
        octet_length: column_size,
        type_name,
        literal_prefix: "",
        literal_suffix: "",
        create_params: None,
        case_sensitive: false,
        searchable: SQL_SEARCHABLE,
        unsigned: true,
        is_character: false,
    }
}

fn text_type(concise_type: i16, type_name: &'static str, length: u32) -> TypeInfo {
    // A zero limit would make arrow-odbc fail (B29); 1 is the smallest honest size.
    let chars = usize::try_from(length.max(1)).unwrap_or(usize::MAX);
    TypeInfo {
        octet_length: chars.saturating_mul(WIDE_UNIT),
        literal_prefix: "'",
        literal_suffix: "'",
        create_params: Some("max length"),
        case_sensitive: true,
        is_character: true,
        ..base(concise_type, type_name, chars)
    }
}

fn binary_type(length: u32) -> TypeInfo {
    let bytes = usize::try_from(length.max(1)).unwrap_or(usize::MAX);
    TypeInfo {
        display_size: bytes.saturating_mul(2),
        literal_prefix: "X'",
        literal_suffix: "'",
        create_params: Some("max length"),
        searchable: SQL_PRED_BASIC,
        is_character: true,
        ..base(SqlDataType::EXT_VAR_BINARY.0, "VARBINARY", bytes)
    }
}

fn number(
    concise: i16,
    name: &'static str,
    digits: usize,
    display: usize,
    bytes: usize,
) -> TypeInfo {
    TypeInfo {
        radix: Some(10),
        display_size: display,
        octet_length: bytes,
        unsigned: false,
        ..base(concise, name, digits)
    }
}

fn integer(concise: i16, name: &'static str, digits: usize, bytes: usize) -> TypeInfo {
    TypeInfo {
        decimal_digits: Some(0),
        // Sign plus digits.
        display_size: digits + 1,
        ..number(concise, name, digits, digits + 1, bytes)
    }
}

fn decimal_type(precision: u8, scale: i8) -> TypeInfo {
    let digits = usize::from(precision.max(1));
    // Default C type of DECIMAL is SQL_C_CHAR: sign, digits and the decimal point.
    TypeInfo {
        decimal_digits: Some(i16::from(scale)),
        create_params: Some("precision,scale"),
        ..number(
            SqlDataType::DECIMAL.0,
            "DECIMAL",
            digits,
            digits + 2,
            digits + 2,
        )
    }
}

fn bit_type() -> TypeInfo {
    TypeInfo {
        octet_length: 1,
        ..base(SqlDataType::EXT_BIT.0, "BIT", 1)
    }
}

fn datetime(
    concise: i16,
    name: &'static str,
    code: i16,
    size: usize,
    struct_bytes: usize,
    decimal_digits: Option<i16>,
) -> TypeInfo {
    TypeInfo {
        verbose_type: SQL_DATETIME,
        datetime_sub: code,
        decimal_digits,
        octet_length: struct_bytes,
        literal_prefix: "'",
        literal_suffix: "'",
        ..base(concise, name, size)
    }
}

fn timestamp_type(fraction_digits: u8) -> TypeInfo {
    // 19 characters without fractional seconds, 20 + s with s digits (column-size appendix).
    let digits = usize::from(fraction_digits.min(9));
    let size = if digits == 0 { 19 } else { 20 + digits };
    let decimal_digits = Some(i16::from(fraction_digits.min(9)));
    let name = "TIMESTAMP";
    datetime(
        SqlDataType::TIMESTAMP.0,
        name,
        SQL_CODE_TIMESTAMP,
        size,
        16,
        decimal_digits,
    )
}

/// What SQLDescribeCol returns for one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDescription {
    pub name: String,
    pub data_type: i16,
    pub column_size: usize,
    pub decimal_digits: i16,
    pub nullable: i16,
}

/// The column `number` (1-based) of `columns`, or `07009`.
pub fn column(columns: &[ResultColumn], number: u16) -> DriverResult<&ResultColumn> {
    let index = usize::from(number).checked_sub(1);
    index.and_then(|i| columns.get(i)).ok_or_else(|| {
        DriverError::new(
            SqlState::INVALID_DESCRIPTOR_INDEX,
            format!(
                "column {number} does not exist; the result has {} columns",
                columns.len()
            ),
        )
    })
}

/// SQLDescribeCol for column `number` (1-based).
pub fn describe_column(columns: &[ResultColumn], number: u16) -> DriverResult<ColumnDescription> {
    let col = column(columns, number)?;
    let info = type_info(&col.sql_type);
    Ok(ColumnDescription {
        name: col.name.clone(),
        data_type: info.concise_type,
        column_size: info.column_size,
        decimal_digits: info.decimal_digits.unwrap_or(0),
        nullable: nullability(col),
    })
}

/// `SQL_NULLABLE` or `SQL_NO_NULLS` for a column.
pub fn nullability(column: &ResultColumn) -> i16 {
    if column.nullable {
        SQL_NULLABLE
    } else {
        SQL_NO_NULLS
    }
}

/// True for the HubDB row id: the `Id` system column (or `hs_id` when a table column took the
/// name `Id`, DESIGN "System columns"); it is the only BIGINT column named so that comes from
/// a table.
pub fn is_row_id(column: &ResultColumn) -> bool {
    let named = column.name.eq_ignore_ascii_case("Id") || column.name.eq_ignore_ascii_case("hs_id");
    named && column.table.is_some() && matches!(column.sql_type, SqlType::BigInt)
}

/// One SQLColAttribute answer: numeric fields go to `NumericAttributePtr`, string fields to
/// `CharacterAttributePtr` (reference/odbc.md §1.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    Numeric(isize),
    Text(String),
}

/// ODBC 2 field ids a 3.x driver must still accept (reference/odbc.md §1.11; sqlext.h).
mod odbc2 {
    pub const COLUMN_COUNT: u16 = 0;
    pub const COLUMN_NAME: u16 = 1;
    pub const COLUMN_LENGTH: u16 = 3;
    pub const COLUMN_PRECISION: u16 = 4;
    pub const COLUMN_SCALE: u16 = 5;
    pub const COLUMN_NULLABLE: u16 = 7;
}

/// SQLColAttribute(W) for column `number` (1-based) and field `field`. `SQL_DESC_COUNT` (and
/// the ODBC 2 `SQL_COLUMN_COUNT`) ignore the column number. Unknown field ids give `HY091`.
pub fn column_attribute(
    columns: &[ResultColumn],
    number: u16,
    field: u16,
) -> DriverResult<Attribute> {
    if field == Desc::Count as u16 || field == odbc2::COLUMN_COUNT {
        return Ok(Attribute::Numeric(
            isize::try_from(columns.len()).unwrap_or(isize::MAX),
        ));
    }
    let col = column(columns, number)?;
    let info = type_info(&col.sql_type);
    if let Some(text) = text_attribute(col, &info, field) {
        return Ok(Attribute::Text(text));
    }
    numeric_attribute(col, &info, field)
        .map(Attribute::Numeric)
        .ok_or_else(|| {
            DriverError::new(
                SqlState::INVALID_DESCRIPTOR_FIELD,
                format!("descriptor field {field} is not a column attribute"),
            )
        })
}

fn text_attribute(col: &ResultColumn, info: &TypeInfo, field: u16) -> Option<String> {
    let table = col.table.clone().unwrap_or_default();
    let text = match field {
        f if f == Desc::Name as u16 || f == Desc::Label as u16 || f == odbc2::COLUMN_NAME => {
            col.name.clone()
        }
        f if f == Desc::BaseColumnName as u16 => base_column_name(col),
        f if f == Desc::BaseTableName as u16 || f == Desc::TableName as u16 => table,
        f if f == Desc::CatalogName as u16 => col.catalog.clone().unwrap_or_default(),
        f if f == Desc::SchemaName as u16 => col.schema.clone().unwrap_or_default(),
        f if f == Desc::TypeName as u16 => info.type_name.to_string(),
        f if f == Desc::LiteralPrefix as u16 => info.literal_prefix.to_string(),
        f if f == Desc::LiteralSuffix as u16 => info.literal_suffix.to_string(),
        f if f == Desc::LocalTypeName as u16 => String::new(),
        _ => return None,
    };
    Some(text)
}

/// The name of the table column a result column reads, or "" for an expression.
fn base_column_name(col: &ResultColumn) -> String {
    if col.table.is_some() {
        col.name.clone()
    } else {
        String::new()
    }
}

fn numeric_attribute(col: &ResultColumn, info: &TypeInfo, field: u16) -> Option<isize> {
    let size = to_isize(info.column_size);
    let value = match field {
        f if f == Desc::ConciseType as u16 => isize::from(info.concise_type),
        f if f == Desc::Type as u16 => isize::from(info.verbose_type),
        f if f == Desc::DatetimeIntervalCode as u16 => isize::from(info.datetime_sub),
        f if f == Desc::DisplaySize as u16 => to_isize(info.display_size),
        f if f == Desc::OctetLength as u16 || f == odbc2::COLUMN_LENGTH => {
            to_isize(info.octet_length)
        }
        f if f == Desc::Length as u16 => size,
        f if f == Desc::Precision as u16 || f == odbc2::COLUMN_PRECISION => precision(info),
        f if f == Desc::Scale as u16 || f == odbc2::COLUMN_SCALE => scale(col),
        f if f == Desc::Nullable as u16 || f == odbc2::COLUMN_NULLABLE => {
            isize::from(nullability(col))
        }
        f if f == Desc::NumPrecRadix as u16 => isize::from(info.radix.unwrap_or(0)),
        f if f == Desc::Unsigned as u16 => isize::from(info.unsigned),
        f if f == Desc::CaseSensitive as u16 => isize::from(info.case_sensitive),
        f if f == Desc::Searchable as u16 => isize::from(info.searchable),
        f if f == Desc::FixedPrecScale as u16 => 0,
        f if f == Desc::AutoUniqueValue as u16 => isize::from(is_row_id(col)),
        f if f == Desc::Updatable as u16 => isize::from(SQL_ATTR_READONLY),
        f if f == Desc::Unnamed as u16 => isize::from(unnamed(col)),
        f if f == Desc::DatetimeIntervalPrecision as u16 => 0,
        _ => return None,
    };
    Some(value)
}

/// `SQL_DESC_PRECISION`: digits for numbers, fractional-second digits for datetimes, the
/// column size (characters) for text.
fn precision(info: &TypeInfo) -> isize {
    if info.verbose_type == SQL_DATETIME {
        isize::from(info.decimal_digits.unwrap_or(0))
    } else {
        to_isize(info.column_size)
    }
}

/// `SQL_DESC_SCALE`: the declared scale of a DECIMAL, 0 for everything else.
fn scale(col: &ResultColumn) -> isize {
    match col.sql_type {
        SqlType::Decimal { scale, .. } => isize::from(scale),
        _ => 0,
    }
}

fn unnamed(col: &ResultColumn) -> i16 {
    if col.name.is_empty() {
        SQL_UNNAMED
    } else {
        SQL_NAMED
    }
}

fn to_isize(value: usize) -> isize {
    isize::try_from(value).unwrap_or(isize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, sql_type: SqlType, table: Option<&str>) -> ResultColumn {
        ResultColumn {
            name: name.into(),
            table: table.map(Into::into),
            schema: table.map(|_| "Published".into()),
            catalog: table.map(|_| "HubDB".into()),
            sql_type,
            nullable: true,
            remarks: None,
        }
    }

    fn numeric(columns: &[ResultColumn], number: u16, field: Desc) -> isize {
        match column_attribute(columns, number, field as u16).expect("attribute") {
            Attribute::Numeric(value) => value,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    fn text(columns: &[ResultColumn], number: u16, field: u16) -> String {
        match column_attribute(columns, number, field).expect("attribute") {
            Attribute::Text(value) => value,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn text_columns_report_their_hubdb_limit_in_characters_and_bytes() {
        let cols = [col(
            "name",
            SqlType::WVarChar { length: 10000 },
            Some("products"),
        )];
        let described = describe_column(&cols, 1).expect("describe");
        assert_eq!(described.data_type, -9);
        assert_eq!(described.column_size, 10000);
        assert_eq!(
            numeric(&cols, 1, Desc::OctetLength),
            10000 * WIDE_UNIT as isize
        );
        assert_eq!(numeric(&cols, 1, Desc::DisplaySize), 10000);
        assert_eq!(numeric(&cols, 1, Desc::Length), 10000);
        assert_eq!(text(&cols, 1, Desc::TypeName as u16), "WVARCHAR");
    }

    #[test]
    fn a_zero_text_limit_is_never_reported() {
        let info = type_info(&SqlType::WLongVarChar { length: 0 });
        assert!(info.column_size > 0 && info.octet_length > 0 && info.display_size > 0);
    }

    #[test]
    fn timestamps_have_three_decimal_digits_and_size_23() {
        let cols = [col(
            "CreatedAt",
            SqlType::Timestamp { fraction_digits: 3 },
            Some("t"),
        )];
        let described = describe_column(&cols, 1).expect("describe");
        assert_eq!((described.data_type, described.column_size), (93, 23));
        assert_eq!(described.decimal_digits, 3);
        assert_eq!(numeric(&cols, 1, Desc::Type), isize::from(SQL_DATETIME));
        assert_eq!(numeric(&cols, 1, Desc::DatetimeIntervalCode), 3);
        assert_eq!(numeric(&cols, 1, Desc::Precision), 3);
        assert_eq!(numeric(&cols, 1, Desc::OctetLength), 16);
    }

    #[test]
    fn decimal_precision_and_scale_agree_everywhere() {
        let cols = [col(
            "price",
            SqlType::Decimal {
                precision: 19,
                scale: 4,
            },
            Some("t"),
        )];
        let described = describe_column(&cols, 1).expect("describe");
        assert_eq!((described.column_size, described.decimal_digits), (19, 4));
        assert_eq!(numeric(&cols, 1, Desc::Precision), 19);
        assert_eq!(numeric(&cols, 1, Desc::Scale), 4);
        assert_eq!(column_attribute(&cols, 1, 4), Ok(Attribute::Numeric(19)));
        assert_eq!(column_attribute(&cols, 1, 5), Ok(Attribute::Numeric(4)));
        assert_eq!(numeric(&cols, 1, Desc::NumPrecRadix), 10);
        assert_eq!(numeric(&cols, 1, Desc::Unsigned), 0);
    }

    #[test]
    fn the_row_id_is_auto_unique_and_nothing_is_updatable() {
        let cols = [
            col("Id", SqlType::BigInt, Some("products")),
            col("Id", SqlType::BigInt, None),
        ];
        assert_eq!(numeric(&cols, 1, Desc::AutoUniqueValue), 1);
        assert_eq!(numeric(&cols, 2, Desc::AutoUniqueValue), 0);
        assert_eq!(numeric(&cols, 1, Desc::Updatable), 0);
        assert_eq!(numeric(&cols, 1, Desc::ConciseType), -5);
    }

    #[test]
    fn names_come_from_the_column_and_its_table() {
        let cols = [
            col("name", SqlType::WVarChar { length: 10 }, Some("products")),
            col("total", SqlType::Double, None),
        ];
        assert_eq!(text(&cols, 1, Desc::BaseColumnName as u16), "name");
        assert_eq!(text(&cols, 1, Desc::BaseTableName as u16), "products");
        assert_eq!(text(&cols, 1, Desc::CatalogName as u16), "HubDB");
        assert_eq!(text(&cols, 1, Desc::SchemaName as u16), "Published");
        assert_eq!(text(&cols, 1, odbc2::COLUMN_NAME), "name");
        assert_eq!(text(&cols, 2, Desc::Label as u16), "total");
        assert_eq!(text(&cols, 2, Desc::BaseColumnName as u16), "");
        assert_eq!(numeric(&cols, 2, Desc::Count), 2);
    }

    #[test]
    fn bad_column_numbers_and_field_ids_have_their_states() {
        let cols = [col("a", SqlType::Bit, None)];
        let missing = column_attribute(&cols, 2, Desc::Name as u16).expect_err("07009");
        assert_eq!(missing.state, SqlState::INVALID_DESCRIPTOR_INDEX);
        assert_eq!(
            describe_column(&cols, 0).expect_err("07009").state.as_str(),
            "07009"
        );
        let unknown = column_attribute(&cols, 1, 9999).expect_err("HY091");
        assert_eq!(unknown.state, SqlState::INVALID_DESCRIPTOR_FIELD);
    }

    #[test]
    fn non_numeric_columns_are_unsigned_and_numbers_signed() {
        assert!(type_info(&SqlType::Date).unsigned);
        assert!(type_info(&SqlType::WVarChar { length: 5 }).unsigned);
        assert!(!type_info(&SqlType::BigInt).unsigned);
        assert!(!type_info(&SqlType::Double).unsigned);
    }
}

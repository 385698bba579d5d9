//! SQL types of result columns and their Arrow representation (DESIGN "Types").
//!
//! The SQL type of a plain column comes from the HubDB column type, not from the data
//! (bug case B08), and travels through DataFusion in the Arrow field's metadata, so a
//! prepared statement can describe `TEXT` as `WVARCHAR(10000)` rather than "some Utf8".

use std::collections::HashMap;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};

/// Arrow field metadata key holding the [`SqlType`] of a HubDB-backed column.
pub(crate) const SQL_TYPE_KEY: &str = "hubdb.sql_type";
/// Arrow field metadata key holding the HubDB table a column comes from.
pub(crate) const TABLE_KEY: &str = "hubdb.table";
/// Arrow field metadata key holding the schema (`Published`/`Draft`) of that table.
pub(crate) const SCHEMA_KEY: &str = "hubdb.schema";

/// Length reported for text computed by SQL (e.g. `UPPER(name)`): HubDB's longest cell.
const COMPUTED_TEXT_LENGTH: u32 = 65000;

/// The SQL type of a result or catalog column, as the driver reports it to ODBC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SqlType {
    WVarChar { length: u32 },
    WLongVarChar { length: u32 },
    Double,
    Decimal { precision: u8, scale: i8 },
    Bit,
    BigInt,
    Integer,
    SmallInt,
    Real,
    Date,
    Timestamp { fraction_digits: u8 },
    Time,
    Binary { length: u32 },
}

impl SqlType {
    /// The Arrow type the engine produces for this SQL type (agreed with the driver).
    pub fn arrow_type(&self) -> DataType {
        match *self {
            Self::WVarChar { .. } | Self::WLongVarChar { .. } => DataType::Utf8,
            Self::Double => DataType::Float64,
            Self::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
            Self::Bit => DataType::Boolean,
            Self::BigInt => DataType::Int64,
            Self::Integer => DataType::Int32,
            Self::SmallInt => DataType::Int16,
            Self::Real => DataType::Float32,
            Self::Date => DataType::Date32,
            Self::Timestamp { .. } => DataType::Timestamp(TimeUnit::Millisecond, None),
            Self::Time => DataType::Time64(TimeUnit::Microsecond),
            Self::Binary { .. } => DataType::Binary,
        }
    }

    /// The SQL type of a value SQL computed, from its Arrow type alone.
    pub fn from_arrow(data_type: &DataType) -> SqlType {
        match data_type {
            DataType::Boolean => Self::Bit,
            DataType::Int8 | DataType::Int16 | DataType::UInt8 => Self::SmallInt,
            DataType::Int32 | DataType::UInt16 => Self::Integer,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Self::BigInt,
            DataType::Float16 | DataType::Float32 => Self::Real,
            DataType::Float64 => Self::Double,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => Self::Decimal {
                precision: (*p).min(38),
                scale: *s,
            },
            DataType::Date32 | DataType::Date64 => Self::Date,
            // Results carry timestamps as milliseconds (the agreed Arrow type), so finer
            // units are reported, and delivered, at millisecond precision.
            DataType::Timestamp(unit, _) => Self::Timestamp {
                fraction_digits: fraction_digits(unit).min(3),
            },
            DataType::Time32(_) | DataType::Time64(_) => Self::Time,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Self::Binary {
                length: COMPUTED_TEXT_LENGTH,
            },
            DataType::FixedSizeBinary(n) => Self::Binary {
                length: u32::try_from(*n).unwrap_or(0),
            },
            _ => Self::WLongVarChar {
                length: COMPUTED_TEXT_LENGTH,
            },
        }
    }

    /// Text form stored in Arrow field metadata, e.g. `WVARCHAR(10000)`.
    pub(crate) fn encode(&self) -> String {
        match *self {
            Self::WVarChar { length } => format!("WVARCHAR({length})"),
            Self::WLongVarChar { length } => format!("WLONGVARCHAR({length})"),
            Self::Double => "DOUBLE".into(),
            Self::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
            Self::Bit => "BIT".into(),
            Self::BigInt => "BIGINT".into(),
            Self::Integer => "INTEGER".into(),
            Self::SmallInt => "SMALLINT".into(),
            Self::Real => "REAL".into(),
            Self::Date => "DATE".into(),
            Self::Timestamp { fraction_digits } => format!("TIMESTAMP({fraction_digits})"),
            Self::Time => "TIME".into(),
            Self::Binary { length } => format!("BINARY({length})"),
        }
    }

    /// Inverse of [`SqlType::encode`]; `None` for anything else.
    pub(crate) fn decode(text: &str) -> Option<SqlType> {
        let (name, args) = match text.split_once('(') {
            Some((name, rest)) => (name, rest.strip_suffix(')')?),
            None => (text, ""),
        };
        let mut numbers = args.split(',').map(str::trim);
        let mut next = || numbers.next().and_then(|n| n.parse::<i64>().ok());
        Some(match name {
            "WVARCHAR" => Self::WVarChar {
                length: u32::try_from(next()?).ok()?,
            },
            "WLONGVARCHAR" => Self::WLongVarChar {
                length: u32::try_from(next()?).ok()?,
            },
            "DECIMAL" => Self::Decimal {
                precision: u8::try_from(next()?).ok()?,
                scale: i8::try_from(next()?).ok()?,
            },
            "TIMESTAMP" => Self::Timestamp {
                fraction_digits: u8::try_from(next()?).ok()?,
            },
            "BINARY" => Self::Binary {
                length: u32::try_from(next()?).ok()?,
            },
            _ => Self::decode_plain(name)?,
        })
    }

    fn decode_plain(name: &str) -> Option<SqlType> {
        Some(match name {
            "DOUBLE" => Self::Double,
            "BIT" => Self::Bit,
            "BIGINT" => Self::BigInt,
            "INTEGER" => Self::Integer,
            "SMALLINT" => Self::SmallInt,
            "REAL" => Self::Real,
            "DATE" => Self::Date,
            "TIME" => Self::Time,
            _ => return None,
        })
    }
}

fn fraction_digits(unit: &TimeUnit) -> u8 {
    match unit {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// The SQL type of a planned column: the HubDB-derived type when the field carries one and
/// still has the Arrow type it was declared with, else the type of the computed value.
pub(crate) fn sql_type_of_field(field: &Field) -> SqlType {
    let declared = field
        .metadata()
        .get(SQL_TYPE_KEY)
        .and_then(|text| SqlType::decode(text));
    match declared {
        Some(sql_type) if sql_type.arrow_type() == *field.data_type() => sql_type,
        _ => SqlType::from_arrow(field.data_type()),
    }
}

/// An Arrow field for a HubDB-backed column, carrying its SQL type and origin.
pub(crate) fn hubdb_field(
    name: &str,
    sql_type: SqlType,
    nullable: bool,
    table: &str,
    schema: &str,
) -> Field {
    let metadata = HashMap::from([
        (SQL_TYPE_KEY.to_string(), sql_type.encode()),
        (TABLE_KEY.to_string(), table.to_string()),
        (SCHEMA_KEY.to_string(), schema.to_string()),
    ]);
    Field::new(name, sql_type.arrow_type(), nullable).with_metadata(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_type_survives_its_metadata_encoding() {
        let all = [
            SqlType::WVarChar { length: 10000 },
            SqlType::WLongVarChar { length: 65000 },
            SqlType::Double,
            SqlType::Decimal {
                precision: 19,
                scale: 4,
            },
            SqlType::Bit,
            SqlType::BigInt,
            SqlType::Integer,
            SqlType::SmallInt,
            SqlType::Real,
            SqlType::Date,
            SqlType::Timestamp { fraction_digits: 3 },
            SqlType::Time,
            SqlType::Binary { length: 16 },
        ];
        for sql_type in all {
            assert_eq!(SqlType::decode(&sql_type.encode()), Some(sql_type));
        }
    }

    #[test]
    fn a_field_whose_arrow_type_changed_reports_the_computed_type() {
        let field = hubdb_field("n", SqlType::Double, true, "t", "Published");
        let cast = field.clone().with_data_type(DataType::Int64);
        assert_eq!(sql_type_of_field(&field), SqlType::Double);
        assert_eq!(sql_type_of_field(&cast), SqlType::BigInt);
    }
}

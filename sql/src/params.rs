//! Values bound to `?` markers, and their conversion to the type DataFusion inferred for
//! each marker from its context (`WHERE price > ?` makes the marker a DOUBLE).

use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::LogicalPlan;

use crate::convert::scaled_decimal;
use crate::error::SqlError;
use crate::types::{SQL_TYPE_KEY, SqlType, sql_type_of_field};

/// The SQL type each of `count` markers takes from its context in the plan (SQLDescribeParam):
/// a marker compared with a column takes that column's type (`WHERE cost > ?` on a CURRENCY
/// column is DECIMAL(19,4)), one DataFusion typed otherwise takes that type, and `None`
/// where nothing fixes it or only "some text" is known.
pub(crate) fn marker_types(plan: &LogicalPlan, count: usize) -> Vec<Option<SqlType>> {
    let fields = plan.get_parameter_fields().unwrap_or_default();
    (1..=count)
        .map(|position| {
            let field = fields.get(&format!("${position}"))?.as_ref()?;
            let from_column = field.metadata().contains_key(SQL_TYPE_KEY);
            let text = matches!(
                field.data_type(),
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null
            );
            (from_column || !text).then(|| sql_type_of_field(field))
        })
        .collect()
}

/// A parameter value as the driver received it from the application.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Null,
    Bool(bool),
    I64(i64),
    F64(f64),
    Text(String),
    /// Decimal text, e.g. `"12.3400"`.
    Decimal(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

/// The scalar for marker `$position`, cast to `target` when the plan fixed its type.
pub(crate) fn bind(
    value: &ParamValue,
    target: Option<DataType>,
    position: usize,
) -> Result<ScalarValue, SqlError> {
    let scalar = scalar_of(value)
        .map_err(|detail| SqlError::invalid_parameter(format!("parameter {position}: {detail}")))?;
    match target {
        Some(data_type) if scalar.data_type() != data_type => {
            scalar.cast_to(&data_type).map_err(|_| {
                SqlError::invalid_parameter(format!(
                    "parameter {position}: {} cannot be used as {data_type}",
                    describe(value)
                ))
            })
        }
        _ => Ok(scalar),
    }
}

fn scalar_of(value: &ParamValue) -> Result<ScalarValue, String> {
    Ok(match value {
        ParamValue::Null => ScalarValue::Null,
        ParamValue::Bool(b) => ScalarValue::Boolean(Some(*b)),
        ParamValue::I64(n) => ScalarValue::Int64(Some(*n)),
        ParamValue::F64(x) => ScalarValue::Float64(Some(*x)),
        ParamValue::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        ParamValue::Decimal(text) => decimal(text)?,
        ParamValue::Date(day) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            let days = (*day - epoch).num_days();
            ScalarValue::Date32(Some(i32::try_from(days).map_err(|e| e.to_string())?))
        }
        ParamValue::Timestamp(at) => {
            ScalarValue::TimestampMillisecond(Some(at.and_utc().timestamp_millis()), None)
        }
    })
}

/// Decimal text as DECIMAL(38, s) where s is its number of fraction digits.
fn decimal(text: &str) -> Result<ScalarValue, String> {
    let scale = text
        .trim()
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    let scale = u32::try_from(scale.min(37)).unwrap_or(0);
    let unscaled =
        scaled_decimal(text, scale).ok_or_else(|| format!("'{text}' is not a decimal number"))?;
    Ok(ScalarValue::Decimal128(Some(unscaled), 38, scale as i8))
}

fn describe(value: &ParamValue) -> String {
    match value {
        ParamValue::Text(s) => format!("'{s}'"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cast_to_the_inferred_marker_type() {
        let bound = bind(&ParamValue::Text("5.5".into()), Some(DataType::Float64), 1).unwrap();
        assert_eq!(bound, ScalarValue::Float64(Some(5.5)));
    }

    #[test]
    fn a_value_that_does_not_fit_is_an_invalid_parameter() {
        let error = bind(&ParamValue::Text("abc".into()), Some(DataType::Int64), 2).unwrap_err();
        assert!(matches!(error.kind, crate::SqlErrorKind::InvalidParameter));
        assert_eq!(error.message, "parameter 2: 'abc' cannot be used as Int64");
    }

    #[test]
    fn decimals_keep_their_digits() {
        let bound = bind(&ParamValue::Decimal("12.3400".into()), None, 1).unwrap();
        assert_eq!(bound, ScalarValue::Decimal128(Some(123400), 38, 4));
    }

    #[test]
    fn dates_and_timestamps_use_the_epoch() {
        let day = NaiveDate::from_ymd_opt(2017, 1, 2).unwrap();
        assert_eq!(
            bind(&ParamValue::Date(day), None, 1).unwrap(),
            ScalarValue::Date32(Some(17168))
        );
        let at = day.and_hms_milli_opt(0, 0, 1, 500).unwrap();
        assert_eq!(
            bind(&ParamValue::Timestamp(at), None, 1).unwrap(),
            ScalarValue::TimestampMillisecond(Some(1_483_315_201_500), None)
        );
    }
}

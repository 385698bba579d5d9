//! HubDB rows to Arrow record batches, one batch per HubDB page.
//!
//! Cell shapes follow reference §5. A scalar that arrives wrapped in a one-element list is
//! unwrapped (bug case B08); any other unexpected shape is an error naming the column.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::error::DataFusionError;
use hubdb::{ColumnType, Row};
use serde_json::Value;

use crate::layout::{CellColumn, Coordinate, LayoutColumn, Source, SystemColumn};

const MS_PER_DAY: i64 = 86_400_000;
/// CURRENCY is DECIMAL(19,4): amounts are stored as ten-thousandths.
const CURRENCY_SCALE: u32 = 4;

/// A cell HubDB sent in a shape its column type does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError {
    pub(crate) column: String,
    pub(crate) detail: String,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column '{}': {}", self.column, self.detail)
    }
}

impl std::error::Error for ShapeError {}

impl From<ShapeError> for DataFusionError {
    fn from(error: ShapeError) -> Self {
        DataFusionError::External(Box::new(error))
    }
}

type CellResult<T> = Result<Option<T>, String>;

/// Converts one page of rows into a batch with the given (projected) columns.
pub(crate) fn rows_to_batch(
    columns: &[LayoutColumn],
    schema: Arc<Schema>,
    rows: &[Row],
) -> Result<RecordBatch, ShapeError> {
    let arrays = columns
        .iter()
        .map(|column| {
            column_array(column, rows).map_err(|detail| ShapeError {
                column: column.name.clone(),
                detail,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| ShapeError {
        column: String::new(),
        detail: e.to_string(),
    })
}

fn column_array(column: &LayoutColumn, rows: &[Row]) -> Result<ArrayRef, String> {
    let array: ArrayRef = match column.sql_type.arrow_type() {
        DataType::Utf8 => Arc::new(StringArray::from(collect(rows, |r| text(column, r))?)),
        DataType::Float64 => Arc::new(Float64Array::from(collect(rows, |r| double(column, r))?)),
        DataType::Decimal128(precision, scale) => Arc::new(
            Decimal128Array::from(collect(rows, |r| currency(column, r))?)
                .with_precision_and_scale(precision, scale)
                .map_err(|e| e.to_string())?,
        ),
        DataType::Boolean => Arc::new(BooleanArray::from(collect(rows, |r| boolean(column, r))?)),
        DataType::Date32 => Arc::new(Date32Array::from(collect(rows, |r| date(column, r))?)),
        DataType::Timestamp(..) => Arc::new(TimestampMillisecondArray::from(collect(rows, |r| {
            timestamp(column, r)
        })?)),
        DataType::Int64 => Arc::new(Int64Array::from(collect(rows, |r| integer(column, r))?)),
        other => return Err(format!("no conversion to {other}")),
    };
    Ok(array)
}

fn collect<T>(
    rows: &[Row],
    cell: impl Fn(&Row) -> CellResult<T>,
) -> Result<Vec<Option<T>>, String> {
    rows.iter().map(cell).collect()
}

/// The cell of a table column, with B08's one-element list unwrapped for scalar types.
fn cell<'r>(row: &'r Row, column: &CellColumn) -> Result<Option<&'r Value>, String> {
    let value = match row.values.get(&column.name) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let list_typed = matches!(
        column.column_type,
        ColumnType::MultiSelect | ColumnType::ForeignId | ColumnType::Other(_)
    );
    match value {
        // An empty list is an empty cell, whatever the column type: NULL, as the README says.
        Value::Array(items) if items.is_empty() => Ok(None),
        Value::Array(items) if !list_typed => match items.as_slice() {
            [single] => Ok(Some(single).filter(|v| !v.is_null())),
            _ => Err(format!("expected one value, got a list of {}", items.len())),
        },
        _ => Ok(Some(value)),
    }
}

fn text(column: &LayoutColumn, row: &Row) -> CellResult<String> {
    match &column.source {
        Source::System(SystemColumn::PagePath) => Ok(row.path.clone()),
        Source::System(SystemColumn::PageName) => Ok(row.name.clone()),
        Source::Cell(cell_column) => match cell(row, cell_column)? {
            None => Ok(None),
            Some(value) => cell_text(cell_column, value).map(Some),
        },
        _ => Err("not a text column".into()),
    }
}

fn cell_text(column: &CellColumn, value: &Value) -> Result<String, String> {
    match column.column_type {
        ColumnType::Select => option_name(value),
        ColumnType::MultiSelect => multiselect_text(column, value),
        ColumnType::Location => {
            let (lat, long) = location(value)?;
            Ok(format!("{lat},{long}"))
        }
        ColumnType::Image => object_field(value, "url"),
        ColumnType::ForeignId => foreign_ids(value),
        ColumnType::Other(_) => Ok(value.to_string()),
        _ => scalar_text(value),
    }
}

fn scalar_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected text, got {other}")),
    }
}

/// A SELECT option: `{"id","name","type":"option"}`; a bare name is taken as is.
fn option_name(value: &Value) -> Result<String, String> {
    match value {
        Value::Object(_) => object_field(value, "name"),
        _ => scalar_text(value),
    }
}

fn object_field(value: &Value, key: &str) -> Result<String, String> {
    match value {
        Value::Object(map) => match map.get(key) {
            Some(inner) => scalar_text(inner),
            None => Err(format!("object without '{key}'")),
        },
        _ => scalar_text(value),
    }
}

/// Option names joined with `;` in the column's option order (DESIGN "Types").
fn multiselect_text(column: &CellColumn, value: &Value) -> Result<String, String> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut named: Vec<(usize, String)> = items
        .iter()
        .filter(|v| !v.is_null())
        .map(|item| {
            let name = option_name(item)?;
            let id = item.get("id").map(scalar_text).transpose()?;
            let rank = column
                .options
                .iter()
                .position(|o| Some(&o.id) == id.as_ref() || o.name == name)
                .unwrap_or(usize::MAX);
            Ok((rank, name))
        })
        .collect::<Result<_, String>>()?;
    named.sort_by_key(|(rank, _)| *rank);
    Ok(join(named.into_iter().map(|(_, name)| name)))
}

/// Referenced row ids joined with `;` (DESIGN "Types"; bug case B10).
fn foreign_ids(value: &Value) -> Result<String, String> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let ids = items
        .iter()
        .filter(|v| !v.is_null())
        .map(|item| object_field(item, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(join(ids.into_iter()))
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(";")
}

fn location(value: &Value) -> Result<(f64, f64), String> {
    let coordinate = |key: &str| {
        value
            .get(key)
            .and_then(number)
            .ok_or_else(|| format!("expected a location with '{key}', got {value}"))
    };
    Ok((coordinate("lat")?, coordinate("long")?))
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn double(column: &LayoutColumn, row: &Row) -> CellResult<f64> {
    match &column.source {
        Source::Cell(cell_column) => match cell(row, cell_column)? {
            None => Ok(None),
            Some(value) => number(value)
                .map(Some)
                .ok_or_else(|| format!("expected a number, got {value}")),
        },
        Source::Location(name, coordinate) => {
            let Some(value) = row.values.get(name).filter(|v| !v.is_null()) else {
                return Ok(None);
            };
            let value = match value {
                Value::Array(items) if items.len() == 1 => &items[0],
                other => other,
            };
            let (lat, long) = location(value)?;
            Ok(Some(match coordinate {
                Coordinate::Latitude => lat,
                Coordinate::Longitude => long,
            }))
        }
        Source::System(_) => Err("not a number column".into()),
    }
}

fn currency(column: &LayoutColumn, row: &Row) -> CellResult<i128> {
    let Source::Cell(cell_column) = &column.source else {
        return Err("not a currency column".into());
    };
    match cell(row, cell_column)? {
        None => Ok(None),
        Some(value) => scaled_decimal(&scalar_text(value)?, CURRENCY_SCALE)
            .map(Some)
            .ok_or_else(|| format!("expected an amount, got {value}")),
    }
}

/// Decimal text (`12.5`, `-3`, `1e3`) as an integer of `scale` decimal places, rounded
/// half away from zero. Parsed from text so that amounts do not pass through binary floats.
pub(crate) fn scaled_decimal(text: &str, scale: u32) -> Option<i128> {
    let text = text.trim();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .chars()
            .chain(frac_part.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let all_digits = format!("{int_part}{frac_part}");
    // The value is all_digits * 10^(exponent - frac_len); we want it times 10^scale.
    let shift = exponent + scale as i32 - frac_part.len() as i32;
    let unscaled: i128 = all_digits.parse().ok()?;
    let scaled = if shift >= 0 {
        unscaled.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let divisor = 10i128
            .checked_pow(shift.unsigned_abs())
            .unwrap_or(i128::MAX);
        let (quotient, remainder) = (unscaled / divisor, unscaled % divisor);
        quotient + i128::from(remainder * 2 >= divisor)
    };
    Some(if negative { -scaled } else { scaled })
}

fn boolean(column: &LayoutColumn, row: &Row) -> CellResult<bool> {
    let Source::Cell(cell_column) = &column.source else {
        return Err("not a boolean column".into());
    };
    // An empty cell is false (DESIGN "Types"): HubDB's filters treat it as 0.
    let value = match cell(row, cell_column)? {
        None => return Ok(Some(false)),
        Some(value) => value,
    };
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) => Ok(Some(n.as_f64() != Some(0.0))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(Some(true)),
            "0" | "false" | "" => Ok(Some(false)),
            _ => Err(format!("expected 0 or 1, got {value}")),
        },
        other => Err(format!("expected 0 or 1, got {other}")),
    }
}

/// Epoch milliseconds (reference §5), or an ISO-8601 text some shapes use.
fn epoch_ms(value: &Value) -> Result<i64, String> {
    let parsed = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| {
                DateTime::parse_from_rfc3339(s.trim())
                    .ok()
                    .map(|d| d.timestamp_millis())
            })
            .or_else(|| {
                let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
                Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
            }),
        _ => None,
    };
    parsed.ok_or_else(|| format!("expected epoch milliseconds, got {value}"))
}

fn date(column: &LayoutColumn, row: &Row) -> CellResult<i32> {
    let Source::Cell(cell_column) = &column.source else {
        return Err("not a date column".into());
    };
    match cell(row, cell_column)? {
        None => Ok(None),
        // The UTC calendar day of the epoch-ms value (DESIGN "Types").
        Some(value) => {
            let days = epoch_ms(value)?.div_euclid(MS_PER_DAY);
            i32::try_from(days).map(Some).map_err(|e| e.to_string())
        }
    }
}

fn timestamp(column: &LayoutColumn, row: &Row) -> CellResult<i64> {
    match &column.source {
        Source::System(SystemColumn::CreatedAt) => Ok(row.created_at),
        Source::System(SystemColumn::UpdatedAt) => Ok(row.updated_at),
        Source::System(SystemColumn::PublishedAt) => Ok(row.published_at),
        Source::Cell(cell_column) => match cell(row, cell_column)? {
            None => Ok(None),
            Some(value) => epoch_ms(value).map(Some),
        },
        _ => Err("not a timestamp column".into()),
    }
}

fn integer(column: &LayoutColumn, row: &Row) -> CellResult<i64> {
    match &column.source {
        Source::System(SystemColumn::Id) => Ok(Some(row.id)),
        Source::System(SystemColumn::ChildTableId) => Ok(row.child_table_id),
        _ => Err("not an integer column".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: Value) -> Row {
        crate::testing::row(1, 0, values)
    }

    fn column(name: &str, column_type: ColumnType) -> CellColumn {
        CellColumn {
            name: name.to_string(),
            column_type,
            options: Vec::new(),
        }
    }

    #[test]
    fn b08_an_empty_list_is_an_empty_cell_for_every_column_type() {
        let row = row(serde_json::json!({"tags": [], "refs": [], "title": []}));
        for (name, column_type) in [
            ("tags", ColumnType::MultiSelect),
            ("refs", ColumnType::ForeignId),
            ("title", ColumnType::Text),
        ] {
            assert_eq!(cell(&row, &column(name, column_type)), Ok(None), "{name}");
        }
    }

    #[test]
    fn b08_a_one_element_list_of_a_scalar_column_is_its_value() {
        let row = row(serde_json::json!({"title": ["Hello"], "refs": [{"id": "7"}]}));
        let title = cell(&row, &column("title", ColumnType::Text)).unwrap();
        assert_eq!(title, Some(&Value::String("Hello".into())));
        let refs = cell(&row, &column("refs", ColumnType::ForeignId)).unwrap();
        assert_eq!(foreign_ids(refs.unwrap()), Ok("7".to_string()));
    }
}

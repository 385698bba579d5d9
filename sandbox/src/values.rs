//! Cell values between their typed form and HubDB's JSON (reference/hubdb-api.md §5).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::model::{Cell, Column, ColumnType, ForeignRef};

/// Longest TEXT cell HubDB stores (§11.1).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest RICHTEXT cell HubDB stores (§11.1).
pub const MAX_RICHTEXT_CHARS: usize = 65_000;

const DAY_MS: i64 = 86_400_000;

/// An ISO-8601 UTC date-time with milliseconds, the form of every `*At` field.
pub fn iso(millis: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 date-time or a `YYYY-MM-DD` day (midnight UTC) into epoch milliseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_millis());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A JSON number without a spurious `.0`: HubSpot writes `76`, not `76.0` (§4.5 example).
pub fn number_json(value: f64) -> Value {
    let integral = value.fract() == 0.0 && value.abs() < 9.0e15;
    if integral {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The wire form of a cell (§5): booleans 0/1, dates as epoch ms, options as objects.
pub fn cell_json(column: &Column, cell: &Cell) -> Value {
    match cell {
        Cell::Text(text) => json!(text),
        Cell::Number(number) => number_json(*number),
        Cell::Bool(flag) => json!(u8::from(*flag)),
        Cell::Millis(millis) => json!(millis),
        Cell::Select(id) => option_json(column, id),
        Cell::Multi(ids) => Value::Array(ids.iter().map(|id| option_json(column, id)).collect()),
        Cell::Location { lat, long } => json!({"lat": lat, "long": long, "type": "location"}),
        Cell::Image { url, width, height } => image_json(url, *width, *height),
        Cell::Foreign(refs) => Value::Array(refs.iter().map(foreign_json).collect()),
        Cell::Json(value) => value.clone(),
    }
}

fn option_json(column: &Column, id: &str) -> Value {
    match column.option_by_id(id) {
        Some(option) => json!({
            "id": option.id, "name": option.name, "type": "option", "order": option.order
        }),
        None => json!({"id": id, "name": id, "type": "option", "order": 0}),
    }
}

fn image_json(url: &str, width: Option<i64>, height: Option<i64>) -> Value {
    let mut image = Map::new();
    image.insert("url".into(), json!(url));
    if let Some(width) = width {
        image.insert("width".into(), json!(width));
    }
    if let Some(height) = height {
        image.insert("height".into(), json!(height));
    }
    image.insert("type".into(), json!("image"));
    Value::Object(image)
}

fn foreign_json(reference: &ForeignRef) -> Value {
    json!({"id": reference.id, "name": reference.name, "type": "foreignid"})
}

/// Reads a cell from JSON in any form HubDB accepts on write (§5), plus readable forms used
/// by seed files (ISO dates, option names). `Ok(None)` is an empty cell.
pub fn parse_cell(column: &Column, value: &Value) -> Result<Option<Cell>, String> {
    if value.is_null() || value.as_str() == Some("") {
        return Ok(None);
    }
    let cell = match &column.kind {
        ColumnType::Text => Cell::Text(parse_text(value, MAX_TEXT_CHARS)?),
        ColumnType::RichText => Cell::Text(parse_text(value, MAX_RICHTEXT_CHARS)?),
        ColumnType::Url => Cell::Text(parse_text(value, MAX_TEXT_CHARS)?),
        ColumnType::Number | ColumnType::Currency => Cell::Number(parse_number(value)?),
        ColumnType::Boolean => Cell::Bool(parse_bool(value)?),
        ColumnType::Date => Cell::Millis(parse_date(value)?),
        ColumnType::DateTime => Cell::Millis(parse_datetime(value)?),
        ColumnType::Select => Cell::Select(parse_option(column, value)?),
        ColumnType::MultiSelect => Cell::Multi(parse_options(column, value)?),
        ColumnType::Location => parse_location(value)?,
        ColumnType::Image => parse_image(value)?,
        ColumnType::ForeignId => Cell::Foreign(parse_foreign(value)?),
        ColumnType::Other(_) => Cell::Json(value.clone()),
    };
    Ok(Some(cell))
}

fn parse_text(value: &Value, max_chars: usize) -> Result<String, String> {
    let text = value.as_str().ok_or("expected a string")?;
    if text.chars().count() > max_chars {
        return Err(format!("text longer than {max_chars} characters"));
    }
    Ok(text.to_string())
}

fn parse_number(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(number) => number.as_f64().ok_or_else(|| "not a number".to_string()),
        Value::String(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("not a number: {text}")),
        _ => Err("expected a number".into()),
    }
}

fn parse_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::Number(number) if number.as_i64() == Some(1) => Ok(true),
        Value::Number(number) if number.as_i64() == Some(0) => Ok(false),
        Value::String(text) => parse_bool_text(text).ok_or_else(|| format!("not 0 or 1: {text}")),
        _ => Err("expected 0 or 1".into()),
    }
}

/// Boolean text as HubDB filters take it: `1`/`0`, also `true`/`false` (§8.5).
pub fn parse_bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

fn parse_millis(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(number) => number.as_i64().ok_or_else(|| "expected epoch ms".into()),
        Value::String(text) => text
            .parse()
            .ok()
            .or_else(|| parse_time(text))
            .ok_or_else(|| format!("not a date: {text}")),
        _ => Err("expected epoch milliseconds".into()),
    }
}

/// DATE cells must be midnight UTC (§5, §14.8).
fn parse_date(value: &Value) -> Result<i64, String> {
    let millis = parse_millis(value)?;
    if millis.rem_euclid(DAY_MS) != 0 {
        return Err(format!("{millis} is not midnight UTC"));
    }
    Ok(millis)
}

fn parse_datetime(value: &Value) -> Result<i64, String> {
    parse_millis(value)
}

fn parse_option(column: &Column, value: &Value) -> Result<String, String> {
    let wanted = match value {
        Value::Object(object) => object
            .get("id")
            .or_else(|| object.get("name"))
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    let text = match &wanted {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return Err("expected an option".into()),
    };
    let by_name = value.get("name").and_then(Value::as_str);
    column
        .resolve_option(&text)
        .or_else(|| by_name.and_then(|name| column.resolve_option(name)))
        .map(|option| option.id.clone())
        .ok_or_else(|| format!("no option {text} in column {}", column.name))
}

fn parse_options(column: &Column, value: &Value) -> Result<Vec<String>, String> {
    let items = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let mut ids = items
        .iter()
        .map(|item| parse_option(column, item))
        .collect::<Result<Vec<_>, _>>()?;
    let order = |id: &String| column.option_by_id(id).map_or(0, |option| option.order);
    ids.sort_by_key(order);
    ids.dedup();
    Ok(ids)
}

fn parse_location(value: &Value) -> Result<Cell, String> {
    let lat = value.get("lat").and_then(Value::as_f64);
    let long = value.get("long").and_then(Value::as_f64);
    match (lat, long) {
        (Some(lat), Some(long)) => Ok(Cell::Location { lat, long }),
        _ => Err("expected {\"lat\", \"long\"}".into()),
    }
}

fn parse_image(value: &Value) -> Result<Cell, String> {
    let url = value
        .as_str()
        .or_else(|| value.get("url").and_then(Value::as_str));
    let url = url.ok_or("expected an image {\"url\"}")?;
    Ok(Cell::Image {
        url: url.to_string(),
        width: value.get("width").and_then(Value::as_i64),
        height: value.get("height").and_then(Value::as_i64),
    })
}

fn parse_foreign(value: &Value) -> Result<Vec<ForeignRef>, String> {
    let items = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items.iter().map(parse_foreign_ref).collect()
}

fn parse_foreign_ref(value: &Value) -> Result<ForeignRef, String> {
    let id = match value.get("id").unwrap_or(value) {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return Err("expected a row id".into()),
    };
    let name = value.get("name").and_then(Value::as_str).unwrap_or(&id);
    Ok(ForeignRef {
        name: name.to_string(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SelectOption;

    fn column(kind: ColumnType) -> Column {
        Column {
            id: 1,
            name: "c".into(),
            label: "C".into(),
            kind,
            description: None,
            options: vec![
                SelectOption {
                    id: "1".into(),
                    name: "Outlet".into(),
                    order: 0,
                },
                SelectOption {
                    id: "2".into(),
                    name: "Flagship".into(),
                    order: 1,
                },
            ],
            foreign_table_id: None,
            foreign_column_id: None,
            width: None,
        }
    }

    #[test]
    fn booleans_are_written_as_zero_or_one() {
        let column = column(ColumnType::Boolean);
        let cell = parse_cell(&column, &json!(true)).unwrap().unwrap();
        assert_eq!(cell_json(&column, &cell), json!(1));
    }

    #[test]
    fn a_date_that_is_not_midnight_utc_is_rejected() {
        let column = column(ColumnType::Date);
        assert!(parse_cell(&column, &json!(1_483_315_200_001_i64)).is_err());
        let day = parse_cell(&column, &json!("2017-01-02")).unwrap().unwrap();
        assert_eq!(day, Cell::Millis(1_483_315_200_000));
    }

    #[test]
    fn select_accepts_name_id_or_object_and_renders_the_option() {
        let column = column(ColumnType::Select);
        for input in [
            json!("Flagship"),
            json!(2),
            json!({"id": "2"}),
            json!({"name": "Flagship"}),
        ] {
            let cell = parse_cell(&column, &input).unwrap().unwrap();
            let rendered = json!({"id": "2", "name": "Flagship", "type": "option", "order": 1});
            assert_eq!(cell_json(&column, &cell), rendered);
        }
    }

    #[test]
    fn multiselect_keeps_option_order() {
        let column = column(ColumnType::MultiSelect);
        let cell = parse_cell(&column, &json!(["Flagship", "Outlet"])).unwrap();
        assert_eq!(cell, Some(Cell::Multi(vec!["1".into(), "2".into()])));
    }

    #[test]
    fn text_over_the_limit_is_rejected_and_empty_text_is_an_empty_cell() {
        let column = column(ColumnType::Text);
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(parse_cell(&column, &json!(long)).is_err());
        assert_eq!(parse_cell(&column, &json!("")).unwrap(), None);
    }

    #[test]
    fn whole_numbers_are_written_without_a_fraction() {
        assert_eq!(number_json(76.0).to_string(), "76");
        assert_eq!(number_json(7.1354).to_string(), "7.1354");
    }
}

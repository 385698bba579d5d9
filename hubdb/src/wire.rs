//! HubDB v3 response bodies as sent (reference §4), decoded leniently: every field optional,
//! unknown fields ignored, ids as strings or numbers, date-times as ISO-8601 or epoch ms.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::{Column, ColumnType, Error, ErrorKind, PageToken, Row, SelectOption, Table, Version};

/// `CollectionResponseWithTotal...` of tables or rows (reference §4.8).
#[derive(Debug, Deserialize)]
pub struct Collection<T> {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total: Option<u64>,
    #[serde(
        default = "Vec::new",
        deserialize_with = "null_as_empty",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub results: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub next: Option<NextPage>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextPage {
    #[serde(default, deserialize_with = "lenient_string")]
    pub after: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub offset: Option<u64>,
}

impl<T> Collection<T> {
    /// `paging.next.after` as an opaque string, else `paging.next.offset`, else none;
    /// `type` is ignored (reference §4.8, driver contract).
    pub fn next_page(&self) -> Option<PageToken> {
        let next = self.paging.as_ref()?.next.as_ref()?;
        match (&next.after, next.offset) {
            (Some(after), _) if !after.is_empty() => Some(PageToken::After(after.clone())),
            (_, Some(offset)) => Some(PageToken::Offset(offset)),
            _ => None,
        }
    }
}

/// `HubDbTableV3` (reference §4.1).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableWire {
    #[serde(default, deserialize_with = "lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    label: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    columns: Vec<ColumnWire>,
    #[serde(default, deserialize_with = "lenient_i64")]
    row_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    published: Option<bool>,
    #[serde(default, deserialize_with = "lenient_time")]
    published_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    updated_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    use_for_pages: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    archived: Option<bool>,
    /// The spec's name of the archived flag (reference §4.1).
    #[serde(default, deserialize_with = "lenient_bool")]
    deleted: Option<bool>,
}

impl TableWire {
    /// A table read through the `version` endpoints. Without a `published` flag, a table
    /// served by a published endpoint, or stamped `publishedAt`, is published.
    pub fn into_table(self, version: Version) -> Table {
        let published_at = self.published_at;
        Table {
            id: self.id.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            label: self.label.unwrap_or_default(),
            columns: live_columns(self.columns),
            row_count: self.row_count,
            published: self
                .published
                .unwrap_or(version == Version::Published || published_at.is_some()),
            published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            use_for_pages: self.use_for_pages.unwrap_or(false),
            archived: self.archived.unwrap_or(false) || self.deleted.unwrap_or(false),
        }
    }
}

/// Deleted columns still count in `columnCount` (reference §4.1) but hold no data.
fn live_columns(columns: Vec<ColumnWire>) -> Vec<Column> {
    columns
        .into_iter()
        .filter(|c| !c.deleted.unwrap_or(false) && !c.archived.unwrap_or(false))
        .map(ColumnWire::into_column)
        .collect()
}

/// `Column` (reference §4.2).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnWire {
    #[serde(default, deserialize_with = "lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    label: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    column_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    description: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    options: Vec<OptionWire>,
    #[serde(default, deserialize_with = "lenient_i64")]
    foreign_table_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    foreign_column_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    deleted: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    archived: Option<bool>,
}

impl ColumnWire {
    fn into_column(self) -> Column {
        let mut options: Vec<SelectOption> = self
            .options
            .into_iter()
            .map(OptionWire::into_option)
            .collect();
        // Option order decides how MULTISELECT names are joined (DESIGN "Types").
        options.sort_by_key(|o| o.order.unwrap_or(i32::MAX));
        let name = self.name.unwrap_or_default();
        Column {
            id: self.id.unwrap_or_default(),
            label: self.label.unwrap_or_else(|| name.clone()),
            name,
            column_type: ColumnType::from_api(self.column_type.as_deref().unwrap_or("NULL")),
            description: self.description.filter(|d| !d.is_empty()),
            options,
            foreign_table_id: self.foreign_table_id.filter(|id| *id != 0),
            foreign_column_id: self
                .foreign_column_id
                .and_then(|id| i32::try_from(id).ok())
                .filter(|id| *id != 0),
        }
    }
}

/// `Option` of a SELECT/MULTISELECT column (reference §4.3): ids as ints or strings.
#[derive(Debug, Deserialize)]
struct OptionWire {
    #[serde(default, deserialize_with = "lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    order: Option<i64>,
}

impl OptionWire {
    fn into_option(self) -> SelectOption {
        SelectOption {
            id: self.id.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            order: self.order.and_then(|o| i32::try_from(o).ok()),
        }
    }
}

/// `HubDbTableRowV3` (reference §4.5).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowWire {
    #[serde(default, deserialize_with = "lenient_i64")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    updated_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    published_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    child_table_id: Option<i64>,
    #[serde(default)]
    values: Option<Map<String, Value>>,
}

impl RowWire {
    /// A row without a usable id cannot be addressed or keyed, so it is a decode error.
    pub fn into_row(self) -> Result<Row, Error> {
        let id = self.id.ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                "HubDB returned a row without a numeric id",
            )
        })?;
        Ok(Row {
            id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            published_at: self.published_at,
            path: self.path,
            name: self.name,
            // The CLI writes "0" for "no child table" (reference §4.5).
            child_table_id: self.child_table_id.filter(|id| *id != 0),
            values: self.values.unwrap_or_default(),
        })
    }
}

/// Epoch milliseconds of an ISO-8601 date-time (`2020-03-30T20:39:52.328Z`), UTC.
pub fn parse_date_time(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    // Offset-less forms are read as UTC: HubDB's date-times are UTC (reference §5).
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.and_utc().timestamp_millis())
}

pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(lenient_i64(d)?.and_then(|n| u64::try_from(n).ok()))
}

pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::Number(n)) => n.as_i64().map(|n| n != 0),
        Some(Value::String(s)) => match s.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => parse_date_time(&s).or_else(|| s.parse().ok()),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_date_times_become_epoch_milliseconds() {
        assert_eq!(
            parse_date_time("2020-03-30T20:39:52.328Z"),
            Some(1_585_600_792_328)
        );
        assert_eq!(parse_date_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_date_time("2020-03-30T22:39:52.328+02:00"),
            Some(1_585_600_792_328)
        );
        assert_eq!(
            parse_date_time("2020-03-30T20:39:52.328"),
            Some(1_585_600_792_328)
        );
        assert_eq!(parse_date_time("yesterday"), None);
    }

    #[test]
    fn spec_example_row_is_read() {
        let row: RowWire = serde_json::from_value(json!({
            "id": "4099275931", "createdAt": "2020-03-30T20:39:52.328Z",
            "updatedAt": "2020-03-30T20:39:52.328Z", "publishedAt": null,
            "values": {"text_column": "sample text value", "number_column": 76},
            "path": "test_path", "name": "test_title", "childTableId": "1902373",
            "isSoftEditable": false
        }))
        .unwrap();
        let row = row.into_row().unwrap();
        assert_eq!(row.id, 4_099_275_931);
        assert_eq!(row.created_at, Some(1_585_600_792_328));
        assert_eq!(row.published_at, None);
        assert_eq!(row.child_table_id, Some(1_902_373));
        assert_eq!(row.values["number_column"], json!(76));
        assert_eq!(row.path.as_deref(), Some("test_path"));
    }

    #[test]
    fn numeric_ids_and_epoch_times_are_accepted() {
        let row: RowWire =
            serde_json::from_value(json!({"id": 17, "createdAt": 1000, "childTableId": "0"}))
                .unwrap();
        let row = row.into_row().unwrap();
        assert_eq!(
            (row.id, row.created_at, row.child_table_id),
            (17, Some(1000), None)
        );
        assert!(row.values.is_empty());
    }

    #[test]
    fn a_row_without_id_is_a_decode_error() {
        let row: RowWire = serde_json::from_value(json!({"values": {}})).unwrap();
        assert_eq!(row.into_row().unwrap_err().kind, ErrorKind::Decode);
    }

    #[test]
    fn spec_example_table_is_read_and_deleted_columns_dropped() {
        let table: TableWire = serde_json::from_value(json!({
            "id": "1630034", "name": "test_table", "label": "Test Table",
            "createdAt": "2019-03-15T21:20:51.556Z", "publishedAt": "2020-04-02T16:00:45.009Z",
            "columns": [
                {"name": "text_column", "label": "Text Column", "id": "1", "archived": false,
                 "foreignIdsById": {}, "foreignIdsByName": {}, "type": "TEXT"},
                {"name": "gone", "label": "Gone", "id": 2, "type": "NUMBER", "deleted": true},
                {"name": "kind", "id": 3, "type": "SELECT", "options": [
                    {"id": 2, "name": "b", "type": "option", "order": 1},
                    {"id": "1", "name": "a", "type": "option", "order": 0}]}
            ],
            "rowCount": 0, "useForPages": true, "columnCount": 3, "dynamicMetaTags": {}
        }))
        .unwrap();
        let table = table.into_table(Version::Draft);
        assert_eq!(
            (table.id.as_str(), table.name.as_str()),
            ("1630034", "test_table")
        );
        assert!(table.published && table.use_for_pages && !table.archived);
        assert_eq!(table.created_at, Some(1_552_684_851_556));
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["text_column", "kind"]);
        assert_eq!(table.columns[1].column_type, ColumnType::Select);
        assert_eq!(table.columns[1].label, "kind");
        let option_ids: Vec<&str> = table.columns[1]
            .options
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(option_ids, ["1", "2"]);
    }

    #[test]
    fn next_page_prefers_after_then_offset_and_ignores_type() {
        let page = |v: Value| {
            serde_json::from_value::<Collection<Value>>(v)
                .unwrap()
                .next_page()
        };
        let both =
            json!({"type": "RANDOM_ACCESS", "paging": {"next": {"after": "a+b/c=", "offset": 5}}});
        assert_eq!(page(both), Some(PageToken::After("a+b/c=".into())));
        let offset = json!({"paging": {"next": {"offset": "1000", "link": "x"}}});
        assert_eq!(page(offset), Some(PageToken::Offset(1000)));
        assert_eq!(page(json!({"paging": null, "results": null})), None);
        assert_eq!(page(json!({"paging": {"next": {"after": ""}}})), None);
        assert_eq!(page(json!({"total": 3, "results": []})), None);
    }
}

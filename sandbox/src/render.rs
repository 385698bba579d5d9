//! Tables, columns and rows as HubDB v3 JSON (reference/hubdb-api.md §4.1, §4.2, §4.5).

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::model::{Column, ColumnType, Row, Store, Table, Version};
use crate::values::{cell_json, iso};

/// The user shown as creator and last editor of every seeded table.
fn sandbox_user() -> Value {
    json!({"id": "1000001", "email": "owner@example.com", "firstName": "Sandbox", "lastName": "Owner"})
}

/// A table as `HubDbTableV3`; `version` is the draft or the published copy being read.
pub fn table_json(store: &Store, table: &Table, version: &Version, foreign_ids: bool) -> Value {
    let columns: Vec<Value> = version
        .columns
        .iter()
        .map(|column| column_json(store, column, foreign_ids))
        .collect();
    let mut out = json!({
        "id": table.id.to_string(),
        "name": table.name,
        "label": table.label,
        "columns": columns,
        "rowCount": version.rows.len(),
        "columnCount": version.columns.len(),
        "published": table.published.is_some(),
        "createdAt": iso(table.created_at),
        "updatedAt": iso(version.updated_at),
        "createdBy": sandbox_user(),
        "updatedBy": sandbox_user(),
        "deleted": table.archived,
        "useForPages": table.use_for_pages,
        "allowChildTables": table.allow_child_tables,
        "enableChildTablePages": table.enable_child_table_pages,
        "allowPublicApiAccess": table.allow_public_api_access,
        "dynamicMetaTags": table.dynamic_meta_tags,
        "isOrderedManually": false,
    });
    if let Some(published_at) = table.published_at {
        out["publishedAt"] = json!(iso(published_at));
    }
    out
}

/// A column as `Column` (§4.2): ids as strings, options for select types, the foreign link
/// for FOREIGN_ID, and with `includeForeignIds` the rows it may point to.
pub fn column_json(store: &Store, column: &Column, foreign_ids: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(column.id.to_string()));
    out.insert("name".into(), json!(column.name));
    out.insert("label".into(), json!(column.label));
    out.insert("type".into(), json!(column.kind.name()));
    out.insert("deleted".into(), json!(false));
    if let Some(description) = &column.description {
        out.insert("description".into(), json!(description));
    }
    if let Some(width) = column.width {
        out.insert("width".into(), json!(width));
    }
    if matches!(column.kind, ColumnType::Select | ColumnType::MultiSelect) {
        out.insert("options".into(), options_json(column));
        out.insert("optionCount".into(), json!(column.options.len()));
    }
    out.insert("foreignIdsById".into(), json!({}));
    out.insert("foreignIdsByName".into(), json!({}));
    if column.kind == ColumnType::ForeignId {
        add_foreign_link(store, column, foreign_ids, &mut out);
    }
    Value::Object(out)
}

fn options_json(column: &Column) -> Value {
    let options = column.options.iter().map(|option| {
        json!({"id": option.id, "name": option.name, "label": option.name,
               "type": "option", "order": option.order})
    });
    Value::Array(options.collect())
}

fn add_foreign_link(
    store: &Store,
    column: &Column,
    foreign_ids: bool,
    out: &mut Map<String, Value>,
) {
    if let Some(table_id) = column.foreign_table_id {
        out.insert("foreignTableId".into(), json!(table_id));
    }
    if let Some(column_id) = column.foreign_column_id {
        out.insert("foreignColumnId".into(), json!(column_id));
    }
    let target = column.foreign_table_id.and_then(|id| store.by_id(id));
    let Some(version) = target
        .filter(|_| foreign_ids)
        .and_then(|t| t.version(false))
    else {
        return;
    };
    let ids = version.rows.iter().map(|row| {
        json!({"id": row.id.to_string(), "name": foreign_name(version, column, row), "type": "foreignid"})
    });
    out.insert("foreignIds".into(), Value::Array(ids.collect()));
}

/// The display name of a referenced row: its page name, else the referenced column's text.
fn foreign_name(version: &Version, column: &Column, row: &Row) -> String {
    let shown = column
        .foreign_column_id
        .and_then(|id| version.columns.iter().find(|c| c.id == id))
        .and_then(|c| row.cells.get(&c.name));
    match (&row.name, shown) {
        (Some(name), _) => name.clone(),
        (None, Some(crate::model::Cell::Text(text))) => text.clone(),
        _ => row.id.to_string(),
    }
}

/// A row as `HubDbTableRowV3`: empty cells left out of `values` (§4.5); `properties`, when
/// given, limits `values` to those columns (§8.3).
pub fn row_json(version: &Version, row: &Row, properties: Option<&HashSet<String>>) -> Value {
    let mut values = Map::new();
    for column in &version.columns {
        let wanted = properties.is_none_or(|names| names.contains(&column.name));
        if let Some(cell) = row.cells.get(&column.name).filter(|_| wanted) {
            values.insert(column.name.clone(), cell_json(column, cell));
        }
    }
    json!({
        "id": row.id.to_string(),
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "publishedAt": row.published_at.map(iso),
        "path": row.path,
        "name": row.name,
        "childTableId": row.child_table_id.to_string(),
        "values": values,
    })
}
